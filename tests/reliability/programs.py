"""Program-level differential cases: a random model (a Bayesian network, a formula with
weights, a weighted DIMACS CNF file), a random query of one class (probability of evidence,
WMC, model counts, satisfiability, marginals, conditionals, MPE with its assignment, MMAP,
2AMC, log and min-sum forms), evaluated through `Query.run` (the LLVM evaluator by rows),
`Query.run_array` (by columns), the numpy reference on the query's circuit, the elimination
route (the same program with every network compiled by variable elimination) and, for networks,
the flat-array route, and compared with brute-force enumeration written here, independently of
atlasc.  Zero parameters and weights are frequent, so evidence of probability 0 is frequent:
a conditional must then be undefined, never a number.

`program_case(r)` draws one case from a `random.Random` and checks it; it returns
(semiring, class) and raises `Disagreement` with what differed.
"""
from __future__ import annotations

import itertools
import math
import os
import random
import tempfile
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from atlasc.compiler.api import compile_string
from atlasc.compiler.sources import networks
from atlasc.runtime import reference

PARAMS = (0.0, 1.0, 0.5, 0.25, 0.1, 0.9, 0.75, 0.05)
WEIGHTS = (0.0, 0.1, 0.25, 0.5, 1.0, 2.0, 0.3, 0.7)
REL, ABS = 1e-9, 1e-12


class Disagreement(AssertionError):
    """An evaluator's answer differs from brute force (or is defined where it must not be)."""


@dataclass
class Model:
    """A random model: its variables, its text (and files), and its weight function."""
    names: list[str]
    text: str
    weight: Callable[[dict[str, int]], float]
    kind: str
    files: dict[str, str] = field(default_factory=dict)
    bn: Any = None                       # (parents, p_true) of a network, for the flat route
    sat: Callable[[dict[str, int]], bool] | None = None   # a bool model: [phi], and its scope
    scope: list[str] = field(default_factory=list)

    def joint(self) -> dict[tuple[int, ...], float]:
        return {x: self.weight(dict(zip(self.names, x)))
                for x in itertools.product((0, 1), repeat=len(self.names))}


# ---- models -------------------------------------------------------------------------------
def param(r: random.Random) -> float:
    return r.choice(PARAMS) if r.random() < 0.5 else round(r.uniform(0.01, 0.99), 3)


def network(r: random.Random) -> Model:
    names = [f"V{i}" for i in range(r.randint(1, 4))]
    parents = {v: sorted(r.sample(names[:i], r.randint(0, min(i, 2))), key=names.index)
               for i, v in enumerate(names)}
    p_true = {v: {k: param(r) for k in itertools.product((0, 1), repeat=len(parents[v]))}
              for v in names}

    def weight(a: dict[str, int]) -> float:
        out = 1.0
        for v in names:
            p = p_true[v][tuple(a[u] for u in parents[v])]
            out *= p if a[v] else 1.0 - p
        return out
    return Model(names, _bn_text(names, parents, p_true), weight, "bn", bn=(parents, p_true))


def _bn_text(names: list[str], parents: dict[str, list[str]],
             p_true: dict[str, dict[tuple[int, ...], float]]) -> str:
    rows = []
    for v in names:
        if not parents[v]:
            rows.append(f"  {v}: {p_true[v][()]}")
            continue
        cells = ", ".join(f"({', '.join(_b(x) for x in key)}): {p}"
                          for key, p in p_true[v].items())
        rows.append(f"  {v} | {', '.join(parents[v])}: {{{cells}}}")
    return f"var {', '.join(names)} : bool\nmodel m = bayesnet {{\n" + "\n".join(rows) + "\n}"


def _b(x: int) -> str:
    return "true" if x else "false"


def formula(r: random.Random, names: list[str], depth: int = 3) -> tuple[Any, ...]:
    if depth == 0 or r.random() < 0.3:
        return ("lit", r.choice(names), r.random() < 0.5) if r.random() < 0.9 else \
            ("const", r.random() < 0.5)
    op = r.choice(["&", "|", "->", "<->", "!"])
    if op == "!":
        return ("!", formula(r, names, depth - 1))
    return (op, formula(r, names, depth - 1), formula(r, names, depth - 1))


def render(f: tuple[Any, ...]) -> str:
    if f[0] == "lit":
        return ("" if f[2] else "!") + f[1]
    if f[0] == "const":
        return "true" if f[1] else "false"
    if f[0] == "!":
        return f"!({render(f[1])})"
    return f"({render(f[1])} {f[0]} {render(f[2])})"


def holds(f: tuple[Any, ...], a: dict[str, int]) -> bool:
    op = f[0]
    if op == "lit":
        return bool(a[f[1]]) == f[2]
    if op == "const":
        return bool(f[1])
    if op == "!":
        return not holds(f[1], a)
    x, y = holds(f[1], a), holds(f[2], a)
    return {"&": x and y, "|": x or y, "->": (not x) or y, "<->": x == y}[op]


def literal_weights(r: random.Random, names: list[str]) -> dict[tuple[str, int], float]:
    return {(n, x): r.choice(WEIGHTS) for n in names for x in (0, 1)}


def logic(r: random.Random) -> Model:
    """A formula `m` (bool) and weights `w` (prob); the weight function is [f] * w."""
    names = list("ABCD"[:r.randint(1, 4)])
    f, w = formula(r, names), literal_weights(r, names)
    if not mentioned(f):                   # a constant is no model (a positioned error)
        f = ("&", f, ("lit", names[0], True))
    lits = ", ".join(f"{'' if x else '!'}{n}: {w[n, x]}" for n, x in w)
    text = (f"var {', '.join(names)} : bool\nmodel m = logic {render(f)}\n"
            f"model w = weights {{{lits}}}")
    return Model(names, text, lambda a: float(holds(f, a)) * math.prod(
        w[n, a[n]] for n in names), "logic", bn=(f, w), sat=lambda a: holds(f, a),
        scope=[n for n in names if n in mentioned(f)])


def cnf(r: random.Random, weighted: bool = True) -> Model:
    """A DIMACS file; weighted: both polarities weighed, or neither (then 1 and 1), and the
    first variable always (so the model is in prob); unweighted: a bool model."""
    n = r.randint(1, 4)
    names = [f"x{i}" for i in range(1, n + 1)]
    clauses = [[r.choice([1, -1]) * r.randint(1, n) for _ in range(r.randint(1, 3))]
               for _ in range(r.randint(0, 4))]
    w = {(v, x): 1.0 for v in names for x in (0, 1)}
    lines = [f"p cnf {n} {len(clauses)}"]
    for i, v in enumerate(names, 1):
        if weighted and (r.random() < 0.7 or i == 1):
            w[v, 1], w[v, 0] = r.choice(WEIGHTS), r.choice(WEIGHTS)
            lines += [f"c p weight {i} {w[v, 1]} 0", f"c p weight {-i} {w[v, 0]} 0"]
    lines += [" ".join(map(str, c)) + " 0" for c in clauses]

    def sat(a: dict[str, int]) -> bool:
        return all(any(a[f"x{abs(lit)}"] == (lit > 0) for lit in c) for c in clauses)
    return Model(names, 'model m = cnf "m.cnf"',
                 lambda a: float(sat(a)) * math.prod(w[v, a[v]] for v in names),
                 "cnf" if weighted else "dimacs", files={"m.cnf": "\n".join(lines) + "\n"},
                 sat=sat, scope=names)


# ---- queries ------------------------------------------------------------------------------
@dataclass
class Query:
    """One query of a class: its text, its semiring, the variables it keeps (`free`), the
    maximised ones (`best`: MPE, MMAP, 2AMC's outer ones), its brute-force value `want(row,
    free assignment)` (None: undefined) and, for maximisation, the score of an assignment."""
    cls: str
    sr: str
    text: str
    want: Callable[[dict[str, int], dict[str, int]], Any]
    free: list[str] = field(default_factory=list)
    score: Callable[[dict[str, int], dict[str, int]], Any] | None = None
    on_free: bool = False                # evidence on the free variables is allowed


def expr(m: Model) -> str:
    """The model as a prob expression."""
    return "(map[indicator: bool -> prob] m * w)" if m.kind == "logic" else "m"


def consistent(m: Model, e: dict[str, int]) -> list[tuple[dict[str, int], float]]:
    out = []
    for x, p in m.joint().items():
        a = dict(zip(m.names, x))
        if all(a[v] == val for v, val in e.items()):
            out.append((a, p))
    return out


def mass(m: Model, e: dict[str, int], a: dict[str, int] | None = None) -> float:
    """The total weight of the assignments that agree with e and with a (0 if they clash)."""
    a = a or {}
    if any(e.get(v, x) != x for v, x in a.items()):
        return 0.0
    return sum(p for _, p in consistent(m, {**e, **a}))


def best(m: Model, e: dict[str, int], Q: list[str]) -> float:
    """max over Q of the sum over the rest, under e."""
    return max(mass(m, {**e, **a}) for a in agree(e, Q))


def agree(e: dict[str, int], Q: list[str]) -> list[dict[str, int]]:
    """The assignments of Q that agree with e."""
    out = (dict(zip(Q, q)) for q in itertools.product((0, 1), repeat=len(Q)))
    return [a for a in out if all(e.get(v, x) == x for v, x in a.items())]


def _log(p: float) -> float:
    return math.log(p) if p > 0 else -math.inf


def scope(names: list[str], keep: list[str]) -> str:
    rest = [v for v in names if v not in keep]
    return "*" if not keep else ("{" + ", ".join(rest) + "}" if rest else "")


def q_poe(r: random.Random, m: Model) -> Query:
    return Query("poe" if m.kind == "bn" else "wmc", "prob", f"sum[*] {expr(m)}",
                 lambda e, a: mass(m, e))


def q_conditional(r: random.Random, m: Model) -> Query:
    Y = sorted(r.sample(m.names, r.randint(1, len(m.names))), key=m.names.index)
    inner = f"sum[{scope(m.names, Y)}] {expr(m)}" if len(Y) < len(m.names) else expr(m)

    def want(e: dict[str, int], a: dict[str, int]) -> Any:
        tot = mass(m, e)
        return None if tot == 0 else mass(m, e, a) / tot
    return Query("conditional", "prob", f"normalize({inner})", want, Y)


def q_mpe(r: random.Random, m: Model) -> Query:
    Q = list(m.names)
    return Query("mpe", "maxprod", f"max[*] map[id: prob -> maxprod] {expr(m)}",
                 lambda e, a: best(m, e, Q), score=lambda e, q: mass(m, {**e, **q}))


def q_mmap(r: random.Random, m: Model) -> Query:
    Q = sorted(r.sample(m.names, r.randint(1, len(m.names))), key=m.names.index)
    own = [v for v in Q if v in m.scope]
    if m.kind == "logic" and own:        # a product of two models: no view, so ask for one
        m.text = m.text.replace("\nmodel w", f" with vtree constrained {{{', '.join(own)}}}"
                                "\nmodel w", 1)
    return Query("mmap", "maxprod", f"mmap({', '.join(Q)}; {expr(m)})",
                 lambda e, a: best(m, e, Q), score=lambda e, q: mass(m, {**e, **q}))


def q_log(r: random.Random, m: Model) -> Query:
    Y = r.sample(m.names, r.randint(0, min(1, len(m.names) - 1)))
    inner = f"sum[{scope(m.names, Y)}] {expr(m)}"
    return Query("log", "log", f"map[log] {inner}", lambda e, a: _log(mass(m, e, a)),
                 Y, on_free=True)


def q_minsum(r: random.Random, m: Model) -> Query:
    Q = list(m.names)
    return Query("minsum", "minsum", f"min[*] map[neglog] {expr(m)}",
                 lambda e, a: -_log(best(m, e, Q)), score=lambda e, q: -_log(mass(m, {**e, **q})))


def q_maxlog(r: random.Random, m: Model) -> Query:
    Q = list(m.names)
    return Query("maxlog", "maxlog", f"max[*] map[log] map[id: prob -> maxprod] {expr(m)}",
                 lambda e, a: _log(best(m, e, Q)), score=lambda e, q: _log(mass(m, {**e, **q})))


def models(m: Model, e: dict[str, int]) -> list[bool]:
    """[phi] at every assignment of the bool model's scope that agrees with e."""
    assert m.sat is not None
    return [m.sat(a) for a in agree(e, m.scope)]


def mentioned(f: tuple[Any, ...]) -> set[str]:
    if f[0] == "lit":
        return {f[1]}
    return set().union(*(mentioned(g) for g in f[1:] if isinstance(g, tuple)))


def q_count(r: random.Random, m: Model) -> Query:
    return Query("count", "count", "sum[*] map[indicator: bool -> count] m",
                 lambda e, a: sum(models(m, e)))


def q_sat(r: random.Random, m: Model) -> Query:
    return Query("sat", "bool", "or[*] m", lambda e, a: any(models(m, e)))


def q_twoamc(r: random.Random, m: Model) -> Query:
    """max over X of wx(x) * the WMC over the other variables given x (tau = id: prob ->
    maxprod); X among the formula's variables, the inner weights wy on the others."""
    f, _ = m.bn
    used = [n for n in m.names if n in mentioned(f)]
    if len(m.names) < 2:
        return q_poe(r, m)
    X = sorted(r.sample(used, r.randint(1, min(len(used), len(m.names) - 1))), key=m.names.index)
    Y = [n for n in m.names if n not in X]
    wx, wy = ({(n, x): r.choice(WEIGHTS) for n in vs for x in (0, 1)} for vs in (X, Y))
    m.text += "".join(f"\nmodel {name} = weights{tag} {{" + ", ".join(
        f"{'' if x else '!'}{n}: {w[n, x]}" for n, x in w) + "}"
        for name, tag, w in (("wx", "[maxprod]", wx), ("wy", "", wy)))

    def value(e: dict[str, int], q: dict[str, int]) -> float:
        inner = sum(math.prod(wy[n, a[n]] for n in Y) for a in (dict(zip(Y, y)) for y in
                    itertools.product((0, 1), repeat=len(Y)))
                    if all(e.get(v, x) == x for v, x in a.items()) and holds(f, {**a, **q}))
        return math.prod(wx[n, q[n]] for n in X) * inner

    def want(e: dict[str, int], a: dict[str, int]) -> float:
        return max(value(e, q) for q in agree(e, X))
    return Query("2amc", "maxprod", f"twoamc(m, outer = {{{', '.join(X)}}}, inner_weights = wy, "
                 "outer_weights = wx, tau = id)", want, score=value)


def q_marginals(r: random.Random, m: Model) -> Query:
    return Query("marginals", "prob", f"marginals({expr(m)})", lambda e, a: None,
                 list(m.names), on_free=True)


BY_SEMIRING: dict[str, list[Callable[[random.Random, Model], Query]]] = {
    "prob": [q_poe, q_conditional, q_marginals], "maxprod": [q_mpe, q_mmap, q_twoamc],
    "log": [q_log], "maxlog": [q_maxlog], "minsum": [q_minsum], "count": [q_count],
    "bool": [q_sat]}
KINDS = {"prob": ["bn", "bn", "logic", "cnf"], "maxprod": ["bn", "logic", "cnf"],
         "count": ["logic", "dimacs"], "bool": ["logic", "dimacs"]}
SEMIRINGS = tuple(BY_SEMIRING)


# ---- evaluation and comparison ------------------------------------------------------------
def rows_for(r: random.Random, m: Model, q: Query) -> list[dict[str, int]]:
    pool = [v for v in m.names if q.on_free or v not in q.free]
    return [{v: r.randint(0, 1) for v in r.sample(pool, r.randint(0, len(pool)))}
            for _ in range(r.randint(1, 3))]


def same(sr: str, got: Any, want: Any) -> bool:
    if want is None or got is None:
        return got is None and want is None
    if sr in ("bool", "count"):
        return bool(got == want) and type(got) is not float if sr == "count" else \
            bool(got) == bool(want)
    got, want = float(got), float(want)
    if math.isinf(want) or math.isinf(got):
        return got == want
    return math.isclose(got, want, rel_tol=REL, abs_tol=ABS)


def check(ok: bool, *what: Any) -> None:
    if not ok:
        raise Disagreement(what)


def compile_case(m: Model, q: Query, elimination: bool = False) -> Any:
    text = m.text + f"\nquery q = {q.text}\n"
    old = networks.TREE_MIN_VARS
    networks.TREE_MIN_VARS = 0 if elimination else old
    try:
        if not m.files:                  # no folder to make (mkdir is slow on a busy disk)
            return compile_string(text).queries["q"]
        with tempfile.TemporaryDirectory(prefix="atlasc-diff-") as d:
            for name, body in m.files.items():
                with open(os.path.join(d, name), "w") as f:
                    f.write(body)
            return compile_string(text, base_dir=d).queries["q"]
    finally:
        networks.TREE_MIN_VARS = old


def by_name(asg: dict[str, str]) -> dict[str, int]:
    return {k: int(v == "true") for k, v in asg.items()}


def check_rows(m: Model, q: Query, qq: Any, rows: list[dict[str, int]], route: str) -> None:
    """Query.run (LLVM, by rows): every entry, and the argmax's score."""
    res = qq.run(evidence=[{v: bool(x) for v, x in e.items()} for e in rows])
    for e, row in zip(rows, res.rows):
        for ent in row.entries:
            a = by_name(ent.assignment)
            want = q.want(e, a)
            check(same(q.sr, ent.value, want), route, "run", e, a, ent.value, want)
            if q.score is not None and ent.argmax is not None and want is not None:
                s = q.score(e, by_name(ent.argmax))
                check(same(q.sr, s, want), route, "argmax", e, ent.argmax, s, want)


def check_array(m: Model, q: Query, qq: Any, rows: list[dict[str, int]]) -> None:
    """Query.run_array (LLVM, by columns), NaN where undefined."""
    arr = np.array([[e.get(v, -1) for v in m.names] for e in rows], dtype=np.int64)
    out = qq.run_array(arr, m.names)
    free = [v.name for v in out.free]
    for b, e in enumerate(rows):
        for k, idx in enumerate(out.assignments):
            a = dict(zip(free, (int(i) for i in idx)))
            want, got = q.want(e, a), out.values[b, k]
            got = None if out.undefined is not None and out.undefined[b, k] else got
            if got is not None and q.sr == "count":
                got = int(got)
            check(same(q.sr, got, want), "run_array", e, a, got, want)


def check_reference(m: Model, q: Query, qq: Any, rows: list[dict[str, int]]) -> None:
    """The numpy reference evaluator on the query's circuit, at every defined entry."""
    prog = qq.program
    for e in rows:
        for a in (dict(zip(q.free, x)) for x in itertools.product((0, 1), repeat=len(q.free))):
            want = q.want(e, a)
            if want is None or any(e.get(v, x) != x for v, x in a.items()):
                continue
            ev, asg = (prog.evidence_row({v: bool(x) for v, x in d.items()}) for d in (e, a))
            got = reference.evaluate(qq.circuit, evidence=[ev], assignment=[asg]).values[0]
            check(same(q.sr, got, want), "reference", e, a, got, want)


def marginal_tables(m: Model, e: dict[str, int]) -> dict[str, tuple[list[float], Any]]:
    """P(X = x, e without X) and its normalised column (None: undefined) per variable."""
    out = {}
    for v in m.names:
        rest = {u: x for u, x in e.items() if u != v}
        joint = [mass(m, {**rest, v: x}) for x in (0, 1)]
        tot = sum(joint)
        out[v] = (joint, None if tot == 0 else [j / tot for j in joint])
    return out


def check_marginals(m: Model, rows: list[dict[str, int]], joint: Any, cond: Any,
                    route: str) -> None:
    for b, e in enumerate(rows):
        for v, (wj, wc) in marginal_tables(m, e).items():
            gj = [float(x) for x in joint[v][b]]
            check(all(same("prob", g, w) for g, w in zip(gj, wj)), route, "joint", e, v, gj, wj)
            if cond is None:
                continue
            gc = [float(x) for x in cond[v][b]]
            gc_ = None if any(math.isnan(x) for x in gc) else gc
            check((gc_ is None) == (wc is None) and (wc is None or all(
                same("prob", g, w) for g, w in zip(gc, wc))), route, "conditional", e, v, gc, wc)


def run_marginals(m: Model, qq: Any, rows: list[dict[str, int]], route: str) -> None:
    res = qq.run(evidence=[{v: bool(x) for v, x in e.items()} for e in rows])
    check_marginals(m, rows, res.joint, res.conditional, route + " run")
    arr = np.array([[e.get(v, -1) for v in m.names] for e in rows], dtype=np.int64)
    out = qq.run_array(arr, m.names)
    check_marginals(m, rows, out.joint, out.conditional, route + " run_array")


def flat_network(m: Model, variables: dict[str, Any]) -> Any:
    from atlasc.compiler.sources import bayesnet, cpt
    parents, p_true = m.bn
    cpts = [cpt(variables[v], [variables[u] for u in parents[v]],
                [[1.0 - p_true[v][k], p_true[v][k]] for k in sorted(p_true[v])])
            for v in m.names]
    return bayesnet(cpts)


def check_flat(m: Model, q: Query, qq: Any, rows: list[dict[str, int]]) -> None:
    """The flat-array elimination route (runtime/flat.py) on the same network."""
    from atlasc.compiler.sources.flat import compile_flat
    from atlasc.runtime import flat
    vs = qq.program.variables
    bn = flat_network(m, vs)
    ev = [{vs[v]: x for v, x in e.items()} for e in rows]
    if q.cls == "marginals":
        got = flat.marginals(compile_flat(bn), ev, [vs[v] for v in m.names])
        check_marginals(m, rows, {v: got[vs[v]] for v in m.names}, None, "flat")
        return
    Q = [u for u in m.names if u in q.text.split(";")[0]] if q.cls == "mmap" else m.names
    fc = compile_flat(bn, constrained=[vs[u] for u in Q])
    for e, row in zip(rows, ev):
        want = q.want(e, {})
        if q.cls == "poe":
            got = flat.value(fc, row)
        else:
            got, arg = flat.mmap(fc, row, [vs[u] for u in Q])
            s = q.score(e, {u: arg[vs[u]] for u in Q}) if q.score else want
            check(want == 0 or same("prob", s, want), "flat argmax", e, arg, s, want)
        check(same("prob", got, want), "flat", q.cls, e, got, want)


MODELS: dict[str, Callable[[random.Random], Model]] = {
    "bn": network, "logic": logic, "cnf": cnf, "dimacs": lambda r: cnf(r, weighted=False)}


def program_case(r: random.Random, sr: str) -> tuple[str, str]:
    """One random case of a query in semiring sr, checked by every evaluator that applies:
    (semiring, class); a certified refusal is the class "refused"."""
    make = r.choice(BY_SEMIRING[sr])
    m = MODELS["logic" if make is q_twoamc else r.choice(KINDS.get(sr, ["bn", "logic", "cnf"]))](r)
    q = make(r, m)
    rows = rows_for(r, m, q)
    qq = compile_case(m, q)
    if not qq.tractable:
        return q.sr, "refused"
    routes = [("sdd", qq)] + ([("elimination", compile_case(m, q, True))]
                              if m.kind == "bn" else [])
    for route, one in routes:
        if q.cls == "marginals":
            run_marginals(m, one, rows, route)
            continue
        check_rows(m, q, one, rows, route)
        check_array(m, q, one, rows)
        check_reference(m, q, one, rows)
    if m.kind == "bn" and q.cls in ("poe", "marginals", "mpe", "mmap"):
        check_flat(m, q, qq, rows)
    return q.sr, q.cls
