"""The UAI format (BAYES and MARKOV) into a `BayesNet` or a `MarkovNet`.

    BAYES | MARKOV
    <n>  <card_0> ... <card_n-1>
    <m>  then m scopes: <size> <var> ... (BAYES: the child last)
    then m tables: <count> <values> (the last scope variable fastest)

Variables are v0..v{n-1} with values "0".."k-1".  `#` starts a comment that runs to the end of
its line (pyAgrum writes a header of comments).
"""
from __future__ import annotations

import math
import os
import re

import numpy as np

from atlasc.compiler.ir.variables import Var
from atlasc.compiler.sources.limits import MAX_DOMAIN, MAX_TABLE, MAX_VARIABLES
from atlasc.compiler.sources.model import CPT, BayesNet, Factor, MarkovNet, Model, validate
from atlasc.compiler.sources.text import Tokens, read_text, tokenize
from atlasc.compiler.errors import SourceError

_TOKEN = re.compile(r"#[^\n]*|(\S+)")     # a comment runs from # to the end of its line


def load_uai_model(path: str | os.PathLike[str]) -> Model:
    file = os.fspath(path)
    return parse_uai(read_text(file), file)


def parse_uai(text: str, file: str = "<uai>") -> Model:
    ts = Tokens(tokenize(text, _TOKEN), file)
    kind_tok = ts.next("BAYES or MARKOV")
    kind = kind_tok.text.upper()
    if kind not in ("BAYES", "MARKOV"):
        raise ts.error(f"expected BAYES or MARKOV, found {kind_tok.text!r}", kind_tok)
    n_tok = ts.peek_tok()
    n = ts.integer("the number of variables")
    if n > min(MAX_VARIABLES, len(ts.toks)):
        raise ts.error(f"the header declares {n} variables; the file cannot hold them (limit "
                       f"{MAX_VARIABLES})", n_tok)
    cards = [_card(ts) for _ in range(n)]
    vs = tuple(Var(f"v{i}", tuple(str(k) for k in range(c))) for i, c in enumerate(cards))
    m = ts.integer("the number of factors")
    scopes = [_scope(ts, vs) for _ in range(m)]
    tables = [_table(ts, sc) for sc, _ in scopes]
    if not ts.done:
        raise ts.error(f"unexpected trailing token {ts.peek()!r}")
    model = _build(kind, vs, scopes, tables, file)
    validate(model)
    return model


def _card(ts: Tokens) -> int:
    """A domain size, checked against the limit before any value is made."""
    t = ts.peek_tok()
    c = ts.integer("a domain size")
    if c <= 0:
        raise ts.error(f"a domain size must be positive, got {c}", t)
    if c > MAX_DOMAIN:
        raise ts.error(f"a domain of {c} values is beyond the limit of {MAX_DOMAIN}", t,
                       "atlasc encodes each value as an indicator; split the variable")
    return c


def _scope(ts: Tokens, vs: tuple[Var, ...]) -> tuple[tuple[Var, ...], int]:
    t = ts.peek_tok()
    k = ts.integer("a scope size")
    idx = [ts.integer("a variable index") for _ in range(k)]
    for i in idx:
        if not 0 <= i < len(vs):
            raise ts.error(f"variable index {i} is outside 0..{len(vs) - 1}", t)
    return tuple(vs[i] for i in idx), t.line if t else 0


def _table(ts: Tokens, scope: tuple[Var, ...]) -> tuple[np.ndarray, int]:
    t = ts.peek_tok()
    k = ts.integer("a table size")
    want = math.prod(v.size for v in scope)
    if want > MAX_TABLE:
        raise ts.error(f"the table over ({', '.join(v.name for v in scope)}) would have {want} "
                       f"entries, beyond the limit of {MAX_TABLE}", t)
    if k != want:
        raise ts.error(f"the table over ({', '.join(v.name for v in scope)}) needs {want} "
                       f"entries, the file says {k}", t)
    vals = [ts.number("a table entry") for _ in range(k)]
    return np.asarray(vals).reshape(tuple(v.size for v in scope)), t.line if t else 0


def _build(kind: str, vs: tuple[Var, ...], scopes: list[tuple[tuple[Var, ...], int]],
           tables: list[tuple[np.ndarray, int]], file: str) -> Model:
    if kind == "MARKOV":
        fs = tuple(Factor(sc, tb, line) for (sc, _), (tb, line) in zip(scopes, tables))
        return MarkovNet(vs, fs, os.path.basename(file), file)
    cpts = []
    for (sc, sline), (tb, line) in zip(scopes, tables):
        if not sc:
            raise SourceError("a BAYES factor needs a child variable", file=file, line=sline)
        cpts.append(CPT(sc[-1], sc[:-1], tb, line))
    return BayesNet(vs, tuple(cpts), os.path.basename(file), file)
