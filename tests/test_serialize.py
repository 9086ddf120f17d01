"""Circuit JSON: round trips (hypothesis), the documented example, and clear errors."""
from __future__ import annotations

import copy
import json
import math
import pathlib
import random
import re

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from atlasc.compiler.errors import SourceError
from atlasc.compiler.ir.builder import Builder
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.nodes import Node
from atlasc.compiler.ir.printer import print_circuit
from atlasc.compiler.ir.serialize import dumps, from_json, loads, to_json
from atlasc.compiler.ir.variables import Var, bool_var
from atlasc.compiler.ir.vtree import balanced, right_linear
from atlasc.compiler.mappings import builtin
from atlasc.compiler.mappings.symbolic import from_expr
from atlasc.compiler.ir.facts import DEC, DET, SMOOTH, Fact, How, xdet
from atlasc.compiler.semirings import (BOOL, COUNT, COUNT2, LOG, MAXLOG, MAXPROD, MINSUM, PROB,
                                PROB2, Semiring)

X = sp.Symbol("x")
HALF = from_expr("half", X / 2, X, PROB, PROB)
SHIFT = from_expr("shift", X + sp.log(2), X, LOG, LOG)
RECIP0 = from_expr("rc", 1 / X, X, PROB, PROB, at_zero=0)
USER = [HALF, SHIFT, RECIP0]
VARS = [bool_var("A"), bool_var("B"), Var("C", ("x", "y", "z")), bool_var("D")]
RAIN = bool_var("Rain")
DOC = pathlib.Path(__file__).resolve().parents[1] / "docs" / "circuit-json.md"


# ==== random circuits =======================================================================
def _value(sr: Semiring, rng: random.Random):
    if sr in (PROB, MAXPROD):
        return rng.choice([0.0, 1.0, rng.random(), 0.1 + 0.2, 1e-300, 7.5])
    if sr in (LOG, MAXLOG):
        return rng.choice([-math.inf, 0.0, math.log(rng.random() + 1e-9), 2.5])
    if sr is MINSUM:
        return rng.choice([math.inf, 0.0, rng.random() * 5, -1.25])
    if sr is COUNT:
        return rng.choice([0, 1, rng.randrange(10**25)])
    if sr is BOOL:
        return rng.random() < 0.5
    if sr is COUNT2:
        return (rng.randrange(5), rng.randrange(5))
    return (rng.random(), 0.5)


# mappings into each semiring: (mapping, its source semiring)
INTO = {
    PROB: [builtin.power(2), builtin.power(0.5), builtin.recip(), HALF, RECIP0,
           builtin.identity(COUNT, PROB), builtin.maxent(), builtin.credal_lower()],
    MAXPROD: [builtin.identity(PROB, MAXPROD)],
    LOG: [builtin.log(PROB), SHIFT],
    MAXLOG: [builtin.log(MAXPROD)],
    MINSUM: [builtin.neglog(PROB), builtin.neglog(MAXPROD)],
    BOOL: [builtin.support(PROB)],
    COUNT: [builtin.identity(COUNT, COUNT)],
}
SEMIRINGS = [PROB, COUNT, LOG, MINSUM, MAXPROD, MAXLOG, BOOL, COUNT2, PROB2]


def _leaf(b: Builder, sr: Semiring, rng: random.Random) -> Node:
    v = rng.choice(VARS)
    ws = [_value(sr, rng) for _ in v.domain]
    kind = rng.random()
    if kind < 0.6:
        return b.input(v, ws, sr)
    return b.margin(v, ws, sr) if kind < 0.8 else b.const(_value(sr, rng), sr)


def _constant(b: Builder, sr: Semiring, rng: random.Random) -> Node:
    parts = [b.margin(v, [_value(sr, rng) for _ in v.domain], sr)
             if rng.random() < 0.5 else b.const(_value(sr, rng), sr)
             for v in rng.choices(VARS, k=rng.randint(1, 3))]
    return b.sum(parts, sr) if rng.random() < 0.5 else b.prod(parts, sr)


def _mapped(b: Builder, sr: Semiring, rng: random.Random) -> Node:
    m = rng.choice(INTO[sr])
    return b.map(m, _constant(b, m.src, rng))


def random_circuit(seed: int) -> Circuit:
    rng = random.Random(seed)
    b = Builder()
    sr = rng.choice(SEMIRINGS)
    pool = [_leaf(b, sr, rng)]
    for _ in range(rng.randint(0, 14)):
        r = rng.random()
        if r < 0.35:
            pool.append(_leaf(b, sr, rng))
        elif r < 0.5 and sr in INTO:
            pool.append(_mapped(b, sr, rng))
        else:
            kids = [rng.choice(pool) for _ in range(rng.randint(2, 3))]
            pool.append(b.sum(kids, sr) if rng.random() < 0.5 else b.prod(kids, sr))
    root = pool[-1] if rng.random() < 0.5 else b.sum(pool[-3:], sr)
    return _decorate(Circuit(root, b, name=rng.choice(["", "c", "wet grass"])), rng)


def _decorate(c: Circuit, rng: random.Random) -> Circuit:
    vs = sorted(c.vars)
    if vs and rng.random() < 0.4:
        c.vtree = (balanced if rng.random() < 0.5 else right_linear)(vs)
    for prop in (SMOOTH, DEC, DET, xdet(set(vs[:1]))):
        if rng.random() < 0.3:
            c.facts[prop] = Fact(prop, rng.choice([True, False, None]),
                                 rng.choice(list(How)), rng.choice(["", "by hand"]))
    return c


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_round_trip_prints_identically(seed):
    c = random_circuit(seed)
    text = dumps(c)
    c2 = loads(text, mappings=USER)
    assert print_circuit(c2, facts=True) == print_circuit(c, facts=True)
    assert c2.vtree == c.vtree and c2.name == c.name
    assert dumps(c2) == text


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_import_into_the_same_builder_finds_the_same_nodes(seed):
    c = random_circuit(seed)
    assert from_json(to_json(c), c.builder, mappings=USER).root is c.root


# ==== the format ============================================================================
def _small() -> Circuit:
    b = Builder()
    rain = b.margin(RAIN, [0.7, 0.3], PROB)
    m = b.map(builtin.identity(PROB, MAXPROD), b.prod([rain, b.const(0.5, PROB)]))
    return Circuit(m, b)


def test_documented_example_loads():
    block = re.search(r"## Example\s+```json\n(.*?)```", DOC.read_text(), re.S)
    assert block is not None
    c = loads(block.group(1))
    assert print_circuit(c) == print_circuit(_small())
    assert to_json(c) == json.loads(block.group(1))


def test_infinities_are_strings_and_json_is_strict():
    b = Builder()
    c = Circuit(b.prod([b.input(VARS[0], [-math.inf, 0.0], LOG),
                        b.input(VARS[1], [-math.inf, 1.5], LOG)]), b)
    d = to_json(c)
    assert d["nodes"][0]["weights"] == ["-inf", 0.0]
    text = dumps(c)
    assert "Infinity" not in text and "NaN" not in text
    ms = Circuit(b.input(VARS[0], [math.inf, 0.0], MINSUM), b)
    assert to_json(ms)["nodes"][0]["weights"] == ["inf", 0.0]


def test_pairs_counts_and_bools():
    b = Builder()
    c = Circuit(b.sum([b.input(VARS[0], [(1, 2), (3, 10**30)], COUNT2),
                       b.const((0, 1), COUNT2)]), b)
    nodes = to_json(c)["nodes"]
    assert nodes[0]["weights"] == [[1, 2], [3, 10**30]] and nodes[1]["value"] == [0, 1]
    assert print_circuit(loads(dumps(c))) == print_circuit(c)
    bl = Circuit(b.input(VARS[1], [False, True], BOOL), b)
    assert to_json(bl)["nodes"][0]["weights"] == [False, True]


def test_user_mappings_must_be_supplied():
    b = Builder()
    c = Circuit(b.map(HALF, b.const(0.5, PROB)), b)
    d = to_json(c)
    assert d["nodes"][1]["mapping"] == {"name": "half", "src": "prob", "dst": "prob",
                                        "params": [], "expr": "x/2"}
    with pytest.raises(SourceError, match=r"nodes\[1\]\.mapping: unknown mapping half: "
                                          r"prob -> prob = x/2; user-defined"):
        from_json(d)
    assert print_circuit(from_json(d, mappings={"half": HALF})) == print_circuit(c)
    other = from_expr("half", X / 3, X, PROB, PROB)
    with pytest.raises(SourceError, match="unknown mapping half"):
        from_json(d, mappings=[other])


def test_deep_circuit_round_trip():
    b = Builder()
    x, y = b.input(VARS[0], [0.5, 0.5], PROB), b.input(VARS[1], [0.25, 0.75], PROB)
    node = x
    for i in range(30_000):
        node = b.sum([node, y]) if i % 2 else b.prod([node, y])
    c = Circuit(node, b, vtree=right_linear(VARS))
    assert print_circuit(loads(dumps(c))) == print_circuit(c)


# ==== malformed input =======================================================================
def _doc() -> dict:
    c = _small()
    c.vtree = balanced([RAIN, VARS[1]])
    c.facts[xdet({RAIN})] = Fact(xdet({RAIN}), True, How.VERIFIED)
    return to_json(c)


def _set(d: dict, path: tuple, value) -> dict:
    d = copy.deepcopy(d)
    target = d
    for k in path[:-1]:
        target = target[k]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return d


_DELETE = object()

BAD = [
    (("format",), "atlasc", r"format: expected 'atlasc-circuit'"),
    (("version",), 2, r"version: this compiler reads version 1, not 2"),
    (("version",), "1", r"document\.version: expected an integer, got a string"),
    (("nodes",), _DELETE, r"document: missing field 'nodes'"),
    (("nodes",), [], r"nodes: a circuit needs at least one node"),
    (("root",), 17, r"root: index 17 is not a node \(0\.\.3\)"),
    (("root",), True, r"document\.root: expected an integer, got a boolean"),
    (("nodes", 0, "op"), "leaf", r"nodes\[0\]\.op: unknown op 'leaf'"),
    (("nodes", 0, "semiring"), "reals", r"nodes\[0\]\.semiring: unknown semiring 'reals'"),
    (("nodes", 0, "var"), "Q", r"nodes\[0\]\.var: unknown variable 'Q'"),
    (("nodes", 0, "weights"), [0.5], r"nodes\[0\]: leaf over Rain needs 2 weights, got 1"),
    (("nodes", 0, "weights"), [-1, 0.5], r"nodes\[0\]\.weights: -1 is not an element of prob"),
    (("nodes", 0, "weights"), ["infinity", 1], r"the only strings allowed as values"),
    (("nodes", 0, "weights"), [[[1]], 1], r"nodes\[0\]\.weights: .* not an element of prob"),
    (("nodes", 0), "margin", r"nodes\[0\]: expected an object, got a string"),
    (("nodes", 1, "value"), _DELETE, r"nodes\[1\]: missing field 'value'"),
    (("nodes", 2, "children"), [0, 3], r"nodes\[2\]\.children: 3 is not the index of an "
                                       r"earlier node"),
    (("nodes", 2, "children"), [0, 1.0], r"1\.0 is not the index"),
    (("nodes", 2, "semiring"), "log", r"nodes\[2\]: prod node in log has a child in prob"),
    (("nodes", 3, "mapping", "name"), "frobnicate", r"unknown mapping frobnicate: prob -> "
                                                    r"maxprod; user-defined"),
    (("nodes", 3, "mapping", "dst"), "log", r"nodes\[3\]\.mapping: cannot rebuild builtin "
                                            r"mapping id"),
    (("nodes", 3, "mapping", "src"), "count", r"nodes\[3\]: mapping id reads count, the "
                                              r"child is prob"),
    (("nodes", 3, "semiring"), "prob", r"nodes\[3\]: mapping id produces maxprod, the node "
                                       r"is in prob"),
    (("nodes", 3, "children"), [1, 2], r"a map node has one child, not 2"),
    (("semiring",), "prob", r"semiring: the document says 'prob' but the root node is in "
                            r"maxprod"),
    (("variables", 0, "domain"), ["a", "a"], r"variables\[0\]: variable 'B' has repeated "
                                             r"domain values"),
    (("variables", 0, "domain"), [1, 2], r"variables\[0\]\.domain: domain values must be "
                                         r"strings"),
    (("facts", 0, "property"), "nice", r"facts\[0\]\.property: unknown value 'nice'"),
    (("facts", 0, "X"), ["Z"], r"facts\[0\]\.X: unknown variable 'Z'"),
    (("vtree", 2, "left"), 2, r"vtree\[2\]: left and right must be indices of earlier"),
    (("vtree", 2, "right"), 0, r"vtree\[2\]: vtree children share variables"),
]


@pytest.mark.parametrize("path,value,message", BAD, ids=[str(p) for p, _, _ in BAD])
def test_malformed_documents(path, value, message):
    d = _set(_doc(), path, value)
    with pytest.raises(SourceError, match=message):
        from_json(d)


def test_valid_base_document_loads():
    assert from_json(_doc()).sr is MAXPROD


def test_non_object_and_bad_text():
    with pytest.raises(SourceError, match="document: expected an object, got a list"):
        from_json([])  # type: ignore[arg-type]
    with pytest.raises(SourceError, match=r"model\.json:1:2: not valid JSON"):
        loads("{oops", file="model.json")
    with pytest.raises(SourceError, match="nested too deeply"):
        loads("[" * 100_000 + "]" * 100_000)


def _paths(d) -> list[tuple]:
    out, stack = [], [((), d)]
    while stack:
        path, v = stack.pop()
        items = v.items() if isinstance(v, dict) else enumerate(v) if isinstance(v, list) else ()
        for k, child in items:
            out.append(path + (k,))
            stack.append((path + (k,), child))
    return out


JUNK = st.one_of(st.none(), st.booleans(), st.integers(-3, 10**400), st.floats(),
                 st.text(max_size=4), st.just([]), st.just({}), st.just([[1, 2]]),
                 st.just({"var": "A"}))


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_mutations_raise_source_errors_only(data):
    d = _doc()
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(_paths(d)))
        value = data.draw(st.one_of(st.just(_DELETE), JUNK))
        d = _set(d, path, value)
    try:
        c = from_json(d)
    except SourceError as e:
        assert "circuit JSON" in str(e)
    else:
        assert isinstance(c, Circuit)
