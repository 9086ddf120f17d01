"""Random inputs for every format atlasc reads, from its grammar and the file formats.

Each generator takes a `random.Random` and returns a `Case`: a `.query` program and the model
files it names.  Valid inputs are built from the grammar (grammar/query.lark) and the formats'
specifications (docs/sources.md); `mutate` then breaks them the way an adversary would:
insertions of tokens and stray bytes (invalid UTF-8, NUL), huge and tiny numbers, deep
nesting, truncation, duplicated or deleted spans.  The same generators serve the fast
hypothesis tests (through `st.randoms()`) and the long campaign (tests/fuzz/campaign.py).
"""
from __future__ import annotations

import gzip
import os
import random
import tempfile
from dataclasses import dataclass, field
from typing import Callable

NAMES = ("A", "B", "C", "D")
SCALE = {"header": 100_000, "nesting": (1000, 3000, 20_000)}      # the long campaign's sizes
FAST = {"header": 2000, "nesting": (300, 1000, 2000)}             # make test's
COLOURS = ("r", "g", "b")


@dataclass
class Case:
    kind: str
    query: bytes
    files: dict[str, bytes] = field(default_factory=dict)

    def write(self, folder: str) -> str:
        for name, data in self.files.items():
            with open(os.path.join(folder, name), "wb") as f:
                f.write(data)
        path = os.path.join(folder, "fuzz.query")
        with open(path, "wb") as f:
            f.write(self.query)
        return path


# ---- numbers ----------------------------------------------------------------------------------
def prob(r: random.Random) -> str:
    return r.choice(["0", "1", "0.5", f"{r.random():.3f}", f"{r.randint(1, 9)}/10", ".25",
                     "1e-3", f"{r.random():.2e}"])


def wild_number(r: random.Random) -> str:
    """Numbers an adversary writes: beyond double range, below it, non-finite, exact."""
    return r.choice(["1" + "0" * r.randint(300, 500), "1" + "0" * 400 + "/3", "1e999",
                     "1e-400", "inf", "-inf", "-1", "0/0", "1/0", "2", "1e308", "4.9e-324",
                     "0." + "0" * 330 + "1", str(r.randint(0, 10 ** 30)), "nan"])


def number(r: random.Random) -> str:
    return wild_number(r) if r.random() < 0.15 else prob(r)


def decimal(r: random.Random) -> str:
    """A number in a model file (files have no ratios): mostly a probability."""
    return wild_number(r) if r.random() < 0.05 else f"{r.random():.3f}"


def row(r: random.Random, k: int) -> str:
    """k entries of a distribution (they sum to 1), now and then broken."""
    if r.random() < 0.08:
        return ", ".join(decimal(r) for _ in range(k))
    cuts = sorted(round(r.random(), 3) for _ in range(k - 1))
    parts = [b - a for a, b in zip([0.0] + cuts, cuts + [1.0])]
    return ", ".join(f"{x:.3f}" for x in parts[:-1]) + f", {1 - sum(round(x, 3) for x in parts[:-1]):.3f}"


# ---- formulas, programs -----------------------------------------------------------------------
def formula(r: random.Random, names: tuple[str, ...], depth: int = 3) -> str:
    if depth == 0 or r.random() < 0.3:
        return r.choice(list(names) + ["true", "false"])
    op = r.choice(["&", "|", "->", "<->", "!", "()"])
    if op == "!":
        return "!" + formula(r, names, depth - 1)
    if op == "()":
        return "(" + formula(r, names, depth - 1) + ")"
    return f"({formula(r, names, depth - 1)} {op} {formula(r, names, depth - 1)})"


def deep_formula(r: random.Random, names: tuple[str, ...]) -> str:
    n = r.choice(SIZES["nesting"])
    kind = r.choice(["not", "and", "paren", "flat"])
    if kind == "not":
        return "!" * n + names[0]
    if kind == "and":
        return f"({names[0]} & " * n + names[-1] + ")" * n
    if kind == "paren":
        return "(" * n + names[0] + ")" * n
    return " & ".join(r.choice(names) for _ in range(n))


def scope(r: random.Random, names: tuple[str, ...]) -> str:
    k = r.choice(["*", "but", "list"])
    picked = r.sample(names, r.randint(1, len(names)))
    if k == "*":
        return "*"
    if k == "but":
        return "* \\ {" + ", ".join(picked) + "}"
    return ", ".join(picked)


def evidence(r: random.Random, names: tuple[str, ...]) -> str:
    return ", ".join(r.choice([n, "!" + n, f"{n} = true", f"{n} = false"])
                     for n in r.sample(names, r.randint(1, len(names))))


def weights(r: random.Random, names: tuple[str, ...], sr: str = "") -> str:
    lits = []
    for n in names:
        lits += [f"{n}: {number(r)}", f"!{n}: {number(r)}"]
    tag = f"[{sr}]" if sr else ""
    return f"weights{tag} {{" + ", ".join(lits) + "}"


def bayesnet(r: random.Random, names: tuple[str, ...]) -> str:
    rows = [f"{names[0]}: {prob(r)}"]
    for i, n in enumerate(names[1:], 1):
        parent = names[r.randrange(i)]
        rows.append(f"{n} | {parent}: {{false: {prob(r)}, true: {prob(r)}}}")
    return "bayesnet { " + "  ".join(rows) + " }"


MAPPINGS = ["x -> x / 2", "x -> 2 * x", "x -> x ^ 2", "x -> 1 - x", "x -> log(x)",
            "x -> exp(x)", "x -> x + 1", "x -> 1 / x", "x -> sqrt(x)", "x -> x * x * x"]


def query_expr(r: random.Random, models: list[str], names: tuple[str, ...], depth: int = 2
               ) -> str:
    atom = r.choice(models)
    if depth == 0 or r.random() < 0.25:
        return atom
    inner = query_expr(r, models, names, depth - 1)
    return r.choice([
        f"sum[{scope(r, names)}] {inner}",
        f"max[{scope(r, names)}] map[id: prob -> maxprod] {inner}",
        f"({inner} * {query_expr(r, models, names, depth - 1)})",
        f"({inner} | {evidence(r, names)})",
        f"(map[half] {inner})",
        f"marginals({inner})",
        f"mmap({names[0]}; {inner})",
        f"normalize({inner})",
        f"sum[*] map[indicator: bool -> count] {atom}",
        f"or[*] {atom}",
        f"min[*] map[neglog] {inner}",
        f"map[log] {inner}",
    ])


def program(r: random.Random, extra_models: dict[str, str] | None = None) -> str:
    names = NAMES[:r.randint(2, 4)]
    lines = ["var " + ", ".join(names) + " : bool"]
    if r.random() < 0.3:
        lines.append("var Col : {" + ", ".join(COLOURS) + "}")
    f = deep_formula(r, names) if r.random() < 0.08 else formula(r, names)
    lines += [f"model f = logic {f}" + (f" with vtree constrained {{{names[0]}}}"
                                         if r.random() < 0.3 else ""),
              f"model w = {weights(r, names)}", f"model p = {bayesnet(r, names)}",
              f"mapping half : prob -> prob = {r.choice(MAPPINGS)}"]
    prob_models = ["p", "w", "map[indicator: bool -> prob] f"]
    for name, body in (extra_models or {}).items():
        lines.append(f"model {name} = {body}")
        prob_models.append(name)
    for i in range(r.randint(1, 3)):
        lines.append(f"query q{i} = {query_expr(r, prob_models, names)}")
    return "\n".join(lines) + "\n"


# ---- model files ------------------------------------------------------------------------------
def cnf_text(r: random.Random, weighted: bool) -> str:
    n, m = r.randint(1, 6), r.randint(0, 6)
    hn, hm = (n, m) if r.random() < 0.85 else (r.choice([n, SIZES["header"], 0]),
                                                 r.choice([m, 2]))
    out = [f"p cnf {hn} {hm}"]
    for v in range(1, n + 1):
        if weighted and (v == 1 or r.random() < 0.6):
            out.append(f"c p weight {v} {decimal(r)} 0")
    if r.random() < 0.3:
        out.append("c p show " + " ".join(str(r.randint(1, n + 1)) for _ in range(2)) + " 0")
    for _ in range(m):
        k = r.randint(1, 3)
        out.append(" ".join(str(r.choice([1, -1]) * r.randint(1, n)) for _ in range(k)) + " 0")
    return "\n".join(out) + "\n"


def bif_text(r: random.Random) -> str:
    names = NAMES[:r.randint(1, 4)]
    out = ["network fuzz { }"]
    for n in names:
        out.append(f"variable {n} {{ type discrete [ 2 ] {{ yes, no }}; }}")
    out.append(f"probability ( {names[0]} ) {{ table {row(r, 2)}; }}")
    for i, n in enumerate(names[1:], 1):
        par = names[r.randrange(i)]
        out.append(f"probability ( {n} | {par} ) {{ (yes) {row(r, 2)}; (no) {row(r, 2)}; }}")
    return "\n".join(out) + "\n"


def uai_text(r: random.Random) -> str:
    n = r.randint(1, 3)
    cards = [r.choice([2, 2, 3]) for _ in range(n)]
    if r.random() < 0.05:
        cards[0] = r.choice([10 ** 8, 10 ** 12, 0, -1])
    out = [r.choice(["MARKOV", "BAYES"]), str(n), " ".join(map(str, cards)), str(n)]
    out += [f"1 {i}" for i in range(n)]
    for c in cards:
        k = max(0, min(c, 4))
        out += ["", str(c), row(r, k) if k else ""]
    return "\n".join(out) + "\n"


def nnf_text(r: random.Random) -> str:
    """A c2d-format NNF: random nodes (most are not decomposable: the loader must say so)."""
    nv = r.randint(1, 3)
    nodes = [f"L {r.choice([1, -1]) * r.randint(1, nv)}" for _ in range(r.randint(1, 3))]
    for _ in range(r.randint(0, 4)):
        k = len(nodes)
        kids = [str(r.randrange(k + (1 if r.random() < 0.05 else 0))) for _ in range(2)]
        nodes.append(r.choice([f"A 2 {' '.join(kids)}",
                               f"O {r.randint(0, nv)} 2 {' '.join(kids)}"]))
    edges = sum(int(x.split()[1 if x[0] == "A" else 2]) for x in nodes if x[0] in "AO")
    return f"nnf {len(nodes)} {edges} {nv}\n" + "\n".join(nodes) + "\n"


def sdd_files(r: random.Random) -> tuple[bytes, bytes]:
    from pysdd.sdd import SddManager, Vtree
    n = r.randint(2, 4)
    mgr = SddManager.from_vtree(Vtree(var_count=n, vtree_type=r.choice(["balanced", "right"])))
    f = mgr.true()
    for _ in range(r.randint(1, 4)):
        a, b = (mgr.literal(r.choice([1, -1]) * r.randint(1, n)) for _ in range(2))
        f = f & (a | b)
    with tempfile.TemporaryDirectory() as d:
        sp, vp = os.path.join(d, "f.sdd"), os.path.join(d, "f.vtree")
        mgr.save(sp.encode(), f)
        mgr.vtree().save(vp.encode())
        with open(sp, "rb") as fs, open(vp, "rb") as fv:
            return fs.read(), fv.read()


def lp_text(r: random.Random) -> str:
    atoms = ["a", "b", "c", "d"]
    out = [f"{decimal(r)}::{a}." for a in atoms[:2]]
    for _ in range(r.randint(1, 4)):
        h, b1, b2 = (r.choice(atoms) for _ in range(3))
        out.append(r.choice([f"{h} :- {b1}.", f"{h} :- not {b1}.", f"{h} ; {b2} :- {b1}.",
                             f":- {b1}, {b2}.", f"{{{h}}} :- {b1}.", f"{h} :- {b1}, not {b2}."]))
    return "\n".join(out) + "\n"


# ---- cases by format --------------------------------------------------------------------------
def query_case(r: random.Random) -> Case:
    return Case("query", program(r).encode())


def _file_case(kind: str, files: dict[str, bytes], body: str, r: random.Random,
               queries: list[str]) -> Case:
    text = f"model m = {body}\n" + "\n".join(f"query q{i} = {q}" for i, q in
                                             enumerate(queries)) + "\n"
    return Case(kind, text.encode(), files)


def cnf_case(r: random.Random) -> Case:
    weighted = r.random() < 0.4
    queries = ["sum[*] m", "marginals(m)"] if weighted else \
        ["sum[*] map[indicator: bool -> count] m", "or[*] m"]
    return _file_case("cnf", {"m.cnf": cnf_text(r, weighted).encode()},
                      'cnf "m.cnf"', r, queries)


def bif_case(r: random.Random) -> Case:
    data = bif_text(r).encode()
    if r.random() < 0.3:
        data = gzip.compress(data)
        return _file_case("bif", {"m.bif.gz": data}, 'bif "m.bif.gz"', r,
                          ["sum[*] m", "marginals(m)"])
    return _file_case("bif", {"m.bif": data}, 'bif "m.bif"', r,
                      ["sum[*] m", "marginals(m)", "max[*] map[id: prob -> maxprod] m"])


def uai_case(r: random.Random) -> Case:
    return _file_case("uai", {"m.uai": uai_text(r).encode()}, 'uai "m.uai"', r,
                      ["sum[*] m", "marginals(m)"])


def nnf_case(r: random.Random) -> Case:
    return _file_case("nnf", {"m.nnf": nnf_text(r).encode()}, 'nnf "m.nnf"', r,
                      ["sum[*] map[indicator: bool -> count] m", "or[*] m"])


def sdd_case(r: random.Random) -> Case:
    sdd, vtree = sdd_files(r)
    return _file_case("sdd", {"m.sdd": sdd, "m.vtree": vtree}, 'sdd "m.sdd" "m.vtree"', r,
                      ["sum[*] map[indicator: bool -> count] m", "or[*] m"])


def pasp_case(r: random.Random) -> Case:
    if r.random() < 0.3:
        text = f"model g = pasp {{ {lp_text(r)} }}\nquery q = maxent(g, a)\n"
        return Case("pasp", text.encode())
    return Case("pasp", b'model g = pasp "m.lp"\nquery q0 = maxent(g, a)\n'
                        b'query q1 = credal(g, b | a)\n', {"m.lp": lp_text(r).encode()})


GENERATORS: dict[str, Callable[[random.Random], Case]] = {
    "query": query_case, "cnf": cnf_case, "bif": bif_case, "uai": uai_case, "nnf": nnf_case,
    "sdd": sdd_case, "pasp": pasp_case}


# ---- mutations --------------------------------------------------------------------------------
PIECES = [b"*", b"|", b"(", b")", b"[", b"]", b"{", b"}", b"=", b"!", b",", b";", b"\\",
          b"->", b"sum", b"max", b"map", b"X", b"true", b"0.5", b"#", b"\n", b"query", b" ",
          b"A", b"@", b'"x"', b"1/0", b"\xff", b"\xc3", b"\x00", b"\xe9t\xe9", b"-", b"--1",
          b"0", b"p cnf 3 1", b"inf", b"nan", b"1e999", b"L", b"D", b"I", b"O", b"::", b":-",
          b".", b"not", b"100000000", b"-7", b"c p show 9 0"]


def mutate(r: random.Random, data: bytes) -> bytes:
    for _ in range(r.randint(1, 3)):
        i = r.randint(0, len(data))
        j = min(len(data), i + r.randint(1, 8))
        op = r.choice(["insert", "delete", "replace", "dup", "truncate", "number", "deep"])
        if op == "insert":
            data = data[:i] + r.choice(PIECES) + data[i:]
        elif op == "delete":
            data = data[:i] + data[j:]
        elif op == "replace":
            data = data[:i] + r.choice(PIECES) + data[j:]
        elif op == "dup":
            data = data[:j] + data[i:j] + data[j:]
        elif op == "truncate":
            data = data[:i]
        elif op == "number":
            data = data[:i] + wild_number(r).encode() + data[i:]
        else:
            data = data[:i] + r.choice([b"(", b"!", b"{", b"["]) * r.randint(
                10, SIZES["nesting"][1]) + data[i:]
    return data


SIZES = dict(SCALE)


def case(r: random.Random, kind: str | None = None, mutation_rate: float = 0.6,
         fast: bool = False) -> Case:
    """One input: a valid one of `kind` (random if None), mutated with `mutation_rate`; `fast`
    keeps sizes small (sparse headers, nesting) for the tests of make test."""
    SIZES.update(FAST if fast else SCALE)
    kind = kind or r.choice(sorted(GENERATORS))
    c = GENERATORS[kind](r)
    if r.random() < mutation_rate:
        targets = ["fuzz.query"] + sorted(c.files)
        t = r.choice(targets) if c.files and r.random() < 0.7 else "fuzz.query"
        if t == "fuzz.query":
            c.query = mutate(r, c.query)
        else:
            c.files[t] = mutate(r, c.files[t])
    return c
