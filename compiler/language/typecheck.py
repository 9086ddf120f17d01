"""Typing: query expressions become typed trees (`typed.py`).

Checks the aggregation word against the operand's semiring, resolves `*` and `* \\ {...}`
scopes, finds mappings (builtin or declared) and checks their source semiring, checks that the
factors of a product share a semiring and that evidence names a variable of its operand, and
expands query sugar (`sugar.py`).  Every mistake is a QueryError at the offending span.
"""
from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Iterable

from atlasc.compiler.errors import QueryNameError, QueryTypeError
from atlasc.compiler.language import ast as A
from atlasc.compiler.language import typed as Ty
from atlasc.compiler.language.diagnose import Diagnostics
from atlasc.compiler.language.forms import expand
from atlasc.compiler.language.modelinfo import ModelInfo, real
from atlasc.compiler.language.resolve import Env
from atlasc.compiler.language.scope import unknown
from atlasc.compiler.ir.variables import Var, fmt_vars
from atlasc.compiler.mappings import builtin
from atlasc.compiler.mappings.base import Mapping
from atlasc.compiler.semirings import registry as R
from atlasc.compiler.semirings.base import Semiring
from atlasc.compiler.source import Span
from atlasc.compiler.language.modelinfo import semiring
from atlasc.compiler.lazy import lazy_module

if TYPE_CHECKING:
    import atlasc.compiler.language.usermap as usermap
else:
    # the mapping compiler pulls in sympy (0.35 s): loaded at the first declared mapping
    usermap = lazy_module("atlasc.compiler.language.usermap")

AGG_WORDS = ("sum", "max", "min", "or")


class Checker:
    def __init__(self, env: Env, models: dict[str, ModelInfo]) -> None:
        self.env, self.models = env, models
        self.queries: dict[str, Ty.T] = {}
        self._mappings: dict[str, Mapping] = {}
        self._current: str | None = None

    # ---- entry points ---------------------------------------------------------------------------
    def check_all(self, diag: Diagnostics) -> dict[str, Ty.T]:
        """Each mapping and query on its own; one with an error is left out (and kept in
        `diag`), and so are the queries that use it."""
        for name, m in self.env.mappings.items():
            diag.check(m, (m.name,), lambda: self.mapping(name))
        for name, decl in self.env.queries.items():
            self._current = name
            t = diag.check(decl, (decl.name,), lambda: self.expr(decl.expr))
            if t is not None:
                self.queries[name] = t
        self._current = None
        return self.queries

    def mapping(self, name: str) -> Mapping:
        if name not in self._mappings:
            self._mappings[name] = usermap.build_mapping(self.env.mappings[name])
        return self._mappings[name]

    def expr(self, e: A.Expr) -> Ty.T:
        if isinstance(e, A.Ref):
            return self.ref(e)
        if isinstance(e, A.Aggregate):
            return self.aggregate(e)
        if isinstance(e, A.Map):
            return self.map(e)
        if isinstance(e, A.Product):
            return self.product(e.span, [self.expr(f) for f in e.factors], e.factors)
        if isinstance(e, A.Given):
            return self.given(e)
        if isinstance(e, A.Sugar):
            return expand(self, e)
        raise TypeError(f"unexpected expression {type(e).__name__}")

    # ---- references -----------------------------------------------------------------------------
    def ref(self, e: A.Ref) -> Ty.T:
        name = e.name.text
        if name in self.models:
            m = self.models[name]
            return Ty.TModel(e.span, m.sr, m.vars, frozenset(), name)
        if name in self.queries:
            q = self.queries[name]
            return Ty.TQuery(e.span, q.sr, q.vars, q.summed, name)
        if name in self.env.queries:
            what = "itself" if name == self._current else "a query declared after it"
            raise QueryNameError(f"this query refers to {what}", e.span,
                                 "a query may use models and the queries declared before it",
                                 notes=((self.env.spans[name], f"'{name}' is declared here"),))
        known = list(self.models) + list(self.queries)
        raise unknown(e.name, "model or query", known, self.env.kinds.get(name))

    # ---- aggregation ----------------------------------------------------------------------------
    def aggregate(self, e: A.Aggregate) -> Ty.T:
        t = self.expr(e.operand)
        self.check_word(e.word, t)
        return self.make_aggregate(e.span, e.word.text, self.scope(e.scope, t), t)

    def check_word(self, word: A.Name, t: Ty.T) -> None:
        if word.text == "agg" or word.text == t.sr.add_word:
            return
        raise QueryTypeError(f"'{word.text}' cannot aggregate this {t.sr.name} expression: "
                             f"the (+) of {t.sr.name} is '{t.sr.add_word}'", word.span,
                             _word_hint(word.text, t.sr))

    def scope(self, s: A.Scope, t: Ty.T) -> frozenset[Var]:
        named = [self._in_scope(n, t) for n in s.names]
        return t.vars - frozenset(named) if s.every else frozenset(named)

    def _in_scope(self, n: A.Name, t: Ty.T) -> Var:
        v = self.env.var(n)
        if v not in t.vars:
            raise QueryTypeError(f"{v.name} is not a free variable of the expression",
                                 n.span, _scope_hint(v, t))
        return v

    def make_aggregate(self, span: Span, word: str, over: frozenset[Var], t: Ty.T
                       ) -> Ty.TAggregate:
        return Ty.TAggregate(span, t.sr, t.vars - over, t.summed | over, word, over, t)

    # ---- mappings -------------------------------------------------------------------------------
    def map(self, e: A.Map) -> Ty.T:
        t = self.expr(e.operand)
        return self.make_map(e.span, self.find_mapping(e.spec, t.sr), t, e.spec.span)

    def find_mapping(self, spec: A.MapSpec, operand: Semiring) -> Mapping:
        name = spec.name.text
        if name in self.env.mappings and not spec.params:
            m = self.mapping(name)
            self._check_declared(spec, m)
            return m
        if name not in builtin.BUILTIN_NAMES:
            known = list(builtin.BUILTIN_NAMES) + list(self.env.mappings)
            err = unknown(spec.name, "mapping", known, self.env.kinds.get(name))
            listed = "built-in mappings: " + ", ".join(builtin.BUILTIN_NAMES) + \
                ("; declared: " + ", ".join(self.env.mappings) if self.env.mappings else "")
            err.hint = f"{err.hint} ({listed})" if err.hint else listed
            raise err
        src = _semiring(spec.src) if spec.src else operand
        dst = _semiring(spec.dst) if spec.dst else None
        params = tuple(real(p) for p in spec.params)
        try:
            return builtin.lookup(name, src, dst, params)
        except builtin.UnknownMapping as err:
            raise QueryTypeError(f"no builtin mapping {_describe(name, src, dst)}: "
                                 f"{err.args[0] if err.args else name}", spec.span,
                                 _mapping_hint(name)) from None

    def _check_declared(self, spec: A.MapSpec, m: Mapping) -> None:
        for given, actual in ((spec.src, m.src), (spec.dst, m.dst)):
            if given is not None and _semiring(given) != actual:
                raise QueryTypeError(f"mapping {m.name} is declared {m.src.name} -> "
                                     f"{m.dst.name}", given.span,
                                     notes=((self.env.spans[m.name], "declared here"),))

    def make_map(self, span: Span, m: Mapping, t: Ty.T, spec_span: Span | None = None
                 ) -> Ty.TMap:
        if m.src != t.sr:
            raise QueryTypeError(f"mapping {m.label} reads {m.src.name}, but its operand is "
                                 f"in {t.sr.name}", spec_span or span,
                                 f"the operand's semiring is {t.sr.name}; write map[{m.name}: "
                                 f"{t.sr.name} -> ...] if such a mapping exists")
        return Ty.TMap(span, m.dst, t.vars, t.summed, m, t)

    # ---- products and evidence ------------------------------------------------------------------
    def product(self, span: Span, ts: list[Ty.T], exprs: Iterable[A.Expr] = ()) -> Ty.T:
        spans = [e.span for e in exprs] or [span] * len(ts)
        first = ts[0].sr
        for t, s in zip(ts[1:], spans[1:]):
            if t.sr != first:
                raise QueryTypeError(f"this factor is in {t.sr.name}, but the product's first "
                                     f"factor is in {first.name}", s,
                                     _convert_hint(t.sr, first))
        return Ty.TProduct(span, first, frozenset().union(*(t.vars for t in ts)),
                           frozenset().union(*(t.summed for t in ts)), tuple(ts))

    def given(self, e: A.Given) -> Ty.T:
        t = self.expr(e.operand)
        ev: dict[Var, int] = {}
        for lit in e.evidence:
            v, i = self.env.literal(lit)
            if v in ev:
                raise QueryNameError(f"a second observation of {v.name}", lit.span)
            if v not in t.vars:
                raise QueryTypeError(f"evidence on {v.name}, which is not a free variable of "
                                     "the expression on the left of '|'", lit.var.span,
                                     _scope_hint(v, t))
            ev[v] = i
        return Ty.TGiven(e.span, t.sr, t.vars, t.summed, tuple(ev.items()), t)

    def make_rename(self, span: Span, pairs: dict[Var, Var], t: Ty.T) -> Ty.TRename:
        vs = frozenset(pairs.get(v, v) for v in t.vars)
        return Ty.TRename(span, t.sr, vs, t.summed, tuple(pairs.items()), t)


# ---- messages ---------------------------------------------------------------------------------
def _semiring(name: A.Name) -> Semiring:
    return semiring(name)


def _describe(name: str, src: Semiring, dst: Semiring | None) -> str:
    return f"{name}: {src.name} -> {dst.name}" if dst else f"{name} on {src.name}"


def _mapping_hint(name: str) -> str:
    if name == "id":
        return "id converts between semirings over the same numbers, e.g. id: prob -> maxprod"
    if name == "indicator":
        return "indicator reads bool: map[indicator: bool -> prob]"
    return f"builtin mappings: {', '.join(builtin.BUILTIN_NAMES)}"


def _scope_hint(v: Var, t: Ty.T) -> str:
    free = fmt_vars(t.vars) if t.vars else "{} (none)"
    if v in t.summed:
        return f"{v.name} was already aggregated away; the free variables are {free}"
    return f"the free variables are {free}"


def _conversion(src: Semiring, dst: Semiring) -> str | None:
    for name in ("id", "indicator", "support"):
        try:
            builtin.lookup(name, src, dst)
        except builtin.UnknownMapping:
            continue
        return f"map[{name}: {src.name} -> {dst.name}]"
    return None


def _word_hint(word: str, sr: Semiring) -> str | None:
    for cand in R.all_semirings():
        if cand.add_word == word and cand.is_scalar:
            conv = _conversion(sr, cand)
            if conv is not None:
                return f"map the operand to {cand.name} first: {word}[...] {conv} (...)"
    if word not in AGG_WORDS:
        return None
    return f"use {sr.add_word}[...] (or agg[...]) for {sr.name}"


def _convert_hint(have: Semiring, want: Semiring) -> str | None:
    conv = _conversion(have, want)
    return f"convert it with {conv}" if conv else None


def close_names(name: str, known: Iterable[str]) -> list[str]:
    return difflib.get_close_matches(name, list(known), n=1)
