"""The Hugin NET reader against pyAgrum's loader of the same file and against the BIF of the
same network (pyAgrum writes the .net from the BIF), on hand-written files (quoted states,
comments, flat data, attributes it ignores) and on its positioned errors."""
from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

import atlasc
from atlasc.compiler.errors import QueryError, SourceError
from atlasc.compiler.sources import load_model
from atlasc.compiler.sources.bif import load_bif_model
from atlasc.compiler.sources.converters import from_pyagrum
from atlasc.compiler.sources.hugin import load_net_model, parse_net
from helpers import bnlearn, same_network

NETS = ["asia", "sachs", "alarm", "insurance"]     # the bnlearn files pyAgrum reads


def _pyagrum_net(name: str, tmp_path: Path) -> Path:
    gum = pytest.importorskip("pyagrum")
    plain = tmp_path / f"{name}.bif"
    plain.write_text(gzip.open(bnlearn(name), "rt").read())
    out = tmp_path / f"{name}.net"
    gum.saveBN(gum.loadBN(str(plain)), str(out))
    return out


@pytest.mark.parametrize("name", NETS)
def test_pyagrum_net_is_the_bif_and_what_pyagrum_reads(name: str, tmp_path: Path) -> None:
    gum = pytest.importorskip("pyagrum")
    net = _pyagrum_net(name, tmp_path)
    ours = load_net_model(net)
    # pyAgrum keeps its tables in single precision and writes them so (0.1 is written
    # 0.10000000149011612): the BIF agrees to float32's 6e-8, pyAgrum's own reading exactly
    same_network(ours, load_bif_model(bnlearn(name)), atol=0, rtol=1.2e-7)
    same_network(ours, from_pyagrum(gum.loadBN(str(net))), atol=0, rtol=1e-15)
    assert [v.name for v in load_model(net).variables] == [v.name for v in ours.variables]


HAND = """% written by hand, in Hugin's own style
net
{
    node_size = (80 40);
    name = "rain";
}

discrete node Rain            % a comment after a word
{
    label = "It rains";
    position = (100 200);
    states = ("no" "yes");
}

node Wet
{
    states = ("dry" "damp" "soaked");
    subtype = label;
}

node Sprinkler { states = ("off" "on"); }

potential (Rain) { data = ( 0.8 0.2 ); }

potential (Sprinkler | Rain)
{
    data = (( 0.6 0.4 )      %  Rain=no
            ( 0.99 0.01 ));  %  Rain=yes
    experience = ( 10 10 );
}

potential ( Wet | Rain Sprinkler )
{
    data = (0.9 0.1 0.0  0.1 0.6 0.3  0.2 0.5 0.3  0.0 0.2 0.8);   % flat: Sprinkler fastest
}
"""


def test_hand_written_file() -> None:
    bn = parse_net(HAND, "rain.net")
    assert bn.name == "rain"
    assert [v.name for v in bn.variables] == ["Rain", "Wet", "Sprinkler"]
    assert bn.var("Rain").domain == ("no", "yes")
    assert bn.var("Wet").domain == ("dry", "damp", "soaked")
    wet = bn.cpt("Wet")
    assert [p.name for p in wet.parents] == ["Rain", "Sprinkler"]
    np.testing.assert_array_equal(wet.table[1, 0], [0.2, 0.5, 0.3])     # Rain=yes, off
    np.testing.assert_array_equal(wet.table[0, 1], [0.1, 0.6, 0.3])     # Rain=no, on
    np.testing.assert_array_equal(bn.cpt("Sprinkler").table, [[0.6, 0.4], [0.99, 0.01]])


def test_a_net_model_answers_like_the_bif(tmp_path: Path) -> None:
    pytest.importorskip("pyagrum")
    net = _pyagrum_net("asia", tmp_path)
    q = "query m = marginals(bn | xray = yes)\nquery mm = mmap(lung; bn | dysp = yes)\n"
    opts = " with vtree constrained {lung}\n"
    a = atlasc.compile_string(f'model bn = net "{net}"' + opts + q)
    b = atlasc.compile_string(f'model bn = bif "{bnlearn("asia")}"' + opts + q)
    ra, rb = a.queries["m"].run(), b.queries["m"].run()
    for v in ("lung", "tub", "either"):
        for x, pair in ra.table(v).items():
            assert pair == pytest.approx(rb.table(v)[x], rel=1e-6)   # float32 tables
    x, y = a.queries["mm"].run().rows[0].entries[0], b.queries["mm"].run().rows[0].entries[0]
    assert x.value == pytest.approx(y.value, rel=1e-6) and x.argmax == y.argmax


HEAD = 'node A { states = ("a0" "a1"); }\n'


@pytest.mark.parametrize("text, line, words", [
    (HEAD + "potential (A | B) { data = (0.5 0.5); }", 2, "unknown node 'B'"),
    (HEAD + "potential (A) { data = (0.5 0.2 0.3); }", 2, "needs 2 numbers, got 3"),
    (HEAD + "potential (A) {\n data = (0.5 x); }", 3, "expected a number, found 'x'"),
    (HEAD + "potential (A) { }", 2, "has no data"),
    (HEAD + "potential (A) { model_nodes = (); model_data = (A); }", 2, "expressions"),
    (HEAD + "potential (A) { data = (0.5 0.4); }", 2, "sums to 0.9"),
    (HEAD + "potential (A) { data = (0.5 0.5); }\npotential (A) { data = (0.5 0.5); }", 3,
     "two CPTs"),
    (HEAD, 1, "'A' has no CPT"),
    (HEAD + "node A { states = (x y); }", 2, "declared twice"),
    (HEAD + "node B { label = \"B\"; }", 2, "has no states"),
    (HEAD + "continuous node C { }", 2, "continuous nodes are not supported"),
    (HEAD + "decision D { states = (a b); }", 2, "decision nodes are not supported"),
    (HEAD + "utility U { }", 2, "utility nodes"),
    ("class C { }", 1, "classes"),
    (HEAD + "node B { states = (x y) }", 2, "expected ';'"),
    (HEAD + "potential (A B) { data = (0.5 0.5); }", 2, "exactly one variable"),
    (HEAD + "node B { states = (x x); }", 2, "node 'B'"),
    (HEAD + "edge A B;", 2, "expected 'net', 'node' or 'potential'"),
    (HEAD + "potential (A) { data = (0.5 0.5)", 2, "unexpected end of file"),
])
def test_errors_name_the_line(text: str, line: int, words: str) -> None:
    with pytest.raises(SourceError) as e:
        parse_net(text, "bad.net")
    assert e.value.line == line and words in e.value.message, e.value.render()


def test_a_query_shows_the_file_line(tmp_path: Path) -> None:
    (tmp_path / "bad.net").write_text(HEAD + "potential (A | B) { data = (0.5 0.5); }\n")
    with pytest.raises(QueryError) as e:
        atlasc.compile_string('model m = net "bad.net"\nquery q = sum[*] m\n',
                              filename="q.query", base_dir=str(tmp_path))
    assert "bad.net:2:16: unknown node 'B'" in e.value.render()     # the token's column
