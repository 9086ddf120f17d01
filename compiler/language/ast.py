"""The query language's abstract syntax: frozen dataclasses, each with its source `span` first.

The parser (`parse.py`) only shapes the tree; names, domains and semirings are checked by
`resolve.py` and `typecheck.py`.  Class names follow the grammar's aliases (docs/language.md).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence, Union

from atlasc.compiler.source import Span


# ---- leaves -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)     # slots: 10^7 of them in a 50 MB formula
class Name:
    span: Span
    text: str


@dataclass(frozen=True)
class Value:
    """A domain value as written: a name, a number, true or false."""
    span: Span
    text: str


@dataclass(frozen=True)
class Number:
    """A numeric literal as written (`text` has no sign); `negative` records a leading minus."""
    span: Span
    text: str
    negative: bool = False

    @property
    def is_inf(self) -> bool:
        return self.text == "inf"


@dataclass(frozen=True)
class PairNumber:
    span: Span
    first: Number
    second: Number


# ---- declarations -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Domain:
    """`bool` (kind "named", name "bool") or `{v1, v2, ...}` (kind "enum")."""
    span: Span
    kind: str
    name: Name | None = None
    values: tuple[Value, ...] = ()


@dataclass(frozen=True)
class VarDecl:
    span: Span
    names: Sequence[Name]         # a tuple, or a long list in compact form (runs.NameRun)
    domain: Domain | None


@dataclass(frozen=True)
class Literal:
    """`X` (value None, positive), `!X` (negated), or `X = v`."""
    span: Span
    var: Name
    value: Value | None = None
    negated: bool = False


@dataclass(frozen=True)
class Option:
    """One `with` option of a model, e.g. `vtree constrained {Rain}`."""
    span: Span
    key: Name
    arg: Name | None
    vars: tuple[Name, ...] | None


# Boolean formulas of `logic` models.
@dataclass(frozen=True)
class FConst:
    span: Span
    value: bool


@dataclass(frozen=True, slots=True)     # slots: 10^7 of them in a 50 MB formula
class FLit:
    span: Span
    var: Name
    value: Value | None   # None: the variable itself (Boolean)


@dataclass(frozen=True, slots=True)     # slots: 10^7 of them in a 50 MB formula
class FNot:
    span: Span
    arg: "Formula"


@dataclass(frozen=True, slots=True)     # slots: 10^7 of them in a 50 MB formula
class FNary:
    span: Span
    op: str               # "and" | "or"
    args: Sequence["Formula"]     # a tuple, or a long flat run in compact form (runs.LitRun)


@dataclass(frozen=True)
class FBinary:
    span: Span
    op: str               # "implies" | "iff"
    left: "Formula"
    right: "Formula"


Formula = Union[FConst, FLit, FNot, FNary, FBinary]


@dataclass(frozen=True)
class LogicModel:
    span: Span
    formula: Formula
    options: tuple[Option, ...]


@dataclass(frozen=True)
class Weight:
    span: Span
    literal: Literal
    value: Number | PairNumber


@dataclass(frozen=True)
class WeightsModel:
    span: Span
    semiring: Name | None
    weights: tuple[Weight, ...]


@dataclass(frozen=True)
class Dist:
    """A distribution over the child's values: `p` (P(true), Boolean child only), `[p1, ...]`
    in domain order, or `[v1: p1, ...]` by value."""
    span: Span
    kind: str             # "true" | "list" | "named"
    probs: tuple[Number, ...]
    values: tuple[Value, ...] = ()


@dataclass(frozen=True)
class CptRow:
    span: Span
    key: tuple[Value, ...]
    dist: Dist


@dataclass(frozen=True)
class Cpt:
    span: Span
    child: Name
    parents: tuple[Name, ...]
    root: Dist | None             # for a variable without parents
    rows: tuple[CptRow, ...]


@dataclass(frozen=True)
class BayesNetModel:
    span: Span
    cpts: tuple[Cpt, ...]
    options: tuple[Option, ...]


@dataclass(frozen=True)
class FileModel:
    span: Span
    kind: Name
    path: str
    path_span: Span
    options: tuple[Option, ...]
    extra_path: str | None = None          # sdd/psdd: the vtree file
    extra_span: Span | None = None
    renames: tuple[tuple[Name, Name], ...] = ()   # `as {file name: query name, ...}`


@dataclass(frozen=True)
class PaspModel:
    """`pasp "prog.lp"` or `pasp { 0.3::a. b ; c :- a. }`: the program text (inline) or its
    file name, and where it is written (a clingo error is shown there)."""
    span: Span
    source: str
    source_span: Span
    inline: bool
    options: tuple[Option, ...]


ModelBody = Union[LogicModel, WeightsModel, BayesNetModel, PaspModel, FileModel]


@dataclass(frozen=True)
class ModelDecl:
    span: Span
    name: Name
    body: ModelBody


# Mapping bodies: arithmetic in one variable, turned into sympy by typecheck.py.
@dataclass(frozen=True)
class MNum:
    span: Span
    number: Number


@dataclass(frozen=True)
class MName:
    span: Span
    name: Name


@dataclass(frozen=True)
class MUnary:
    span: Span
    op: str               # "neg"
    arg: "MExpr"


@dataclass(frozen=True)
class MBinary:
    span: Span
    op: str               # "+", "-", "*", "/", "^"
    left: "MExpr"
    right: "MExpr"


@dataclass(frozen=True)
class MCall:
    span: Span
    fn: Name
    args: tuple["MExpr", ...]


MExpr = Union[MNum, MName, MUnary, MBinary, MCall]


@dataclass(frozen=True)
class MappingDecl:
    span: Span
    name: Name
    src: Name
    dst: Name
    param: Name
    body: MExpr
    at_zero: MExpr | None
    zero_key: Number | None


# ---- query expressions ------------------------------------------------------------------------
@dataclass(frozen=True)
class Scope:
    """`*` (every: True, names empty), `* \\ {A, ...}` (every: True, names excepted) or a list."""
    span: Span
    every: bool
    names: tuple[Name, ...]


@dataclass(frozen=True)
class MapSpec:
    span: Span
    name: Name
    params: tuple[Number, ...]
    src: Name | None
    dst: Name | None


@dataclass(frozen=True)
class Ref:
    span: Span
    name: Name


@dataclass(frozen=True)
class Aggregate:
    span: Span
    word: Name            # sum | max | min | or | agg
    scope: Scope
    operand: "Expr"


@dataclass(frozen=True)
class Map:
    span: Span
    spec: MapSpec
    operand: "Expr"


@dataclass(frozen=True)
class Product:
    span: Span
    factors: tuple["Expr", ...]


@dataclass(frozen=True)
class Given:
    span: Span
    operand: "Expr"
    evidence: tuple[Literal, ...]


@dataclass(frozen=True)
class Keyword:
    """`key = {A, B}`, `key = A` (names) or `key = 0.5` (number) in a sugar call."""
    span: Span
    key: Name
    names: tuple[Name, ...] = ()
    number: Number | None = None


@dataclass(frozen=True)
class Sugar:
    """`name(vars; vars; ...; expr)`, `name(model, key = value, ...)` or `name(model, goal |
    evidence)` (goal_form: one group, the goal's atoms): query-level sugar expanded by
    `sugar.py`."""
    span: Span
    name: Name
    var_groups: tuple[tuple[Name, ...], ...]
    operand: "Expr"
    keywords: tuple[Keyword, ...] = ()
    goal_form: bool = False


@dataclass(frozen=True)
class Rename:
    """Internal only (made by sugar expansions): rename variables, e.g. X to X' (frontdoor)."""
    span: Span
    pairs: tuple[tuple[str, str], ...]
    operand: "Expr"


Expr = Union[Ref, Aggregate, Map, Product, Given, Sugar, Rename]


@dataclass(frozen=True)
class QueryDecl:
    span: Span
    name: Name
    expr: Expr


Stmt = Union[VarDecl, ModelDecl, MappingDecl, QueryDecl]


@dataclass(frozen=True)
class Module:
    span: Span
    stmts: tuple[Stmt, ...]
    file: str
    text: str
    depth: int = 0          # the deepest nesting of the parse tree (compiler.deep)
