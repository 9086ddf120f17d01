"""Converters compared with the file readers on the same networks: pgmpy's and pyAgrum's models
of tests/data/bnlearn files give our BIF reader's variables, values and tables; BIF text
written from a network reads back the same; a converted network answers queries like the file."""
from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

import atlasc
from atlasc.compiler.sources.bif import load_bif_model, parse_bif
from atlasc.compiler.sources.converters import from_pgmpy, from_pyagrum, to_bif
from helpers import bnlearn, pgmpy_model, same_network as _same

NETS = ["asia", "sachs", "child", "alarm", "insurance"]


@pytest.mark.parametrize("name", NETS)
def test_pgmpy_model_is_the_file(name: str) -> None:
    pytest.importorskip("pgmpy")
    _same(load_bif_model(bnlearn(name)), from_pgmpy(pgmpy_model(name)))


@pytest.mark.parametrize("name", ["asia", "sachs", "alarm", "insurance"])
def test_pyagrum_model_is_the_file(name: str, tmp_path: Path) -> None:
    gum = pytest.importorskip("pyagrum")
    plain = tmp_path / f"{name}.bif"
    plain.write_text(gzip.open(bnlearn(name), "rt").read())
    _same(load_bif_model(bnlearn(name)), from_pyagrum(gum.loadBN(str(plain))))


@pytest.mark.parametrize("name", NETS)
def test_bif_text_reads_back(name: str) -> None:
    bn = load_bif_model(bnlearn(name))
    _same(bn, parse_bif(to_bif(bn)))


def test_a_converted_network_answers_like_the_file() -> None:
    pytest.importorskip("pgmpy")
    queries = 'query m = marginals(bn | xray = yes)\nquery mm = mmap(lung; bn | dysp = yes)\n'
    net = atlasc.from_pgmpy(pgmpy_model("asia"))
    ours = net.compile(queries, vtree="constrained {lung}")
    text = f'model bn = bif "{bnlearn("asia")}" with vtree constrained {{lung}}\n' + queries
    theirs = atlasc.compile_string(text)
    a, b = ours.queries["m"].run(), theirs.queries["m"].run()
    for v in ("lung", "tub", "bronc"):
        for x, (joint, cond) in a.table(v).items():
            assert (joint, cond) == pytest.approx(b.table(v)[x])
    x, y = ours.queries["mm"].run().rows[0].entries[0], theirs.queries["mm"].run().rows[0].entries[0]
    assert x.value == pytest.approx(y.value) and x.argmax == y.argmax
