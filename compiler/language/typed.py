"""The typed query tree: every node knows its semiring, its free variables (the result's
scope) and the variables aggregated somewhere below it.  Made by `typecheck.py` (and the sugar
expansions), lowered to circuits by `lower.py`.

Nodes compare by identity: a subtree used twice (as sugar expansions do) is lowered once, so
its uses are views of one circuit.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from atlasc.compiler.ir.variables import Var
from atlasc.compiler.mappings.base import Mapping
from atlasc.compiler.semirings.base import Semiring
from atlasc.compiler.source import Span


@dataclass(frozen=True, eq=False)
class T:
    """A typed query node: its span, semiring, free and aggregated variables."""
    span: Span
    sr: Semiring
    vars: frozenset[Var]        # free variables of the result
    summed: frozenset[Var]      # variables aggregated somewhere inside

    def children(self) -> tuple["T", ...]:
        return ()


@dataclass(frozen=True, eq=False)
class TModel(T):
    """A model named in a query."""
    name: str


@dataclass(frozen=True, eq=False)
class TQuery(T):
    """An earlier query used by name."""
    name: str


@dataclass(frozen=True, eq=False)
class TAggregate(T):
    """sum[W] / max[W] of a sub-query."""
    word: str
    over: frozenset[Var]
    operand: T

    def children(self) -> tuple[T, ...]:
        return (self.operand,)


@dataclass(frozen=True, eq=False)
class TMap(T):
    """A mapping applied to a sub-query."""
    mapping: Mapping
    operand: T

    def children(self) -> tuple[T, ...]:
        return (self.operand,)


@dataclass(frozen=True, eq=False)
class TProduct(T):
    """The product of sub-queries."""
    factors: tuple[T, ...]

    def children(self) -> tuple[T, ...]:
        return self.factors


@dataclass(frozen=True, eq=False)
class TGiven(T):
    """A sub-query under evidence."""
    evidence: tuple[tuple[Var, int], ...]
    operand: T

    def children(self) -> tuple[T, ...]:
        return (self.operand,)


@dataclass(frozen=True, eq=False)
class TRename(T):
    """A sub-query with variables renamed."""
    pairs: tuple[tuple[Var, Var], ...]
    operand: T

    def children(self) -> tuple[T, ...]:
        return (self.operand,)


@dataclass(frozen=True, eq=False)
class TMarginals(T):
    """Every table sum[* \\ {X}] operand for X in `targets`, computed together (a family of
    tables, so only a whole query can be one)."""
    targets: tuple[Var, ...]
    operand: T

    def children(self) -> tuple[T, ...]:
        return (self.operand,)


@dataclass(frozen=True, eq=False)
class TMoments(T):
    """(E[V], Var[V]) of the total V of `operand` when its parameters are random (a pair in
    semiring moments, docs/moments.md): `kind` "dropout" (each sum input kept with probability
    1 - param) or "dirichlet" (every CPT row a Dirichlet, param unused: the rows' alpha are in
    `second`, the doubled network's total; `copies` its copy -> variable pairs)."""
    kind: str
    param: float
    operand: T
    second: T | None = None
    copies: tuple[tuple[Var, Var], ...] = ()
    label: str = ""
    notes: tuple[str, ...] = ()

    def children(self) -> tuple[T, ...]:
        return (self.operand,) + ((self.second,) if self.second is not None else ())


@dataclass(frozen=True, eq=False)
class TCheck:
    """A condition a formula's value rests on, checked per evidence row when the query runs
    (compiler/program/undefined.py): `table` is evaluated at every cell of its free variables.
    kind "nonzero": an entry is undefined where the table is 0 (a normaliser: p(e) = 0, or a
    conditional's row sum); "backdoor" / "frontdoor": the table is p(X, Z) and an entry is
    undefined at a treatment value x where the adjustment's positivity fails (docs/atlas.md P11).
    `on` are the variables the failure is reported on (the table's, or the treatment X)."""
    table: T
    kind: str
    on: frozenset[Var]
    message: str


@dataclass(frozen=True, eq=False)
class TNote(T):
    """The operand, with what a sugar expansion adds to the report: a headline, the
    conditions it checked, and guards: conditions checked under each run's evidence row
    (a normaliser that must not be zero, an adjustment's positivity), where they fail the
    entries are undefined."""
    label: str
    notes: tuple[str, ...]
    guards: tuple[TCheck, ...]
    operand: T
    # (model, X): the expansion's circuits are cheapest when the model is X-deterministic
    # for each X (a view compiled for them: compiler/program/views.py)
    wants: tuple[tuple[str, frozenset[Var]], ...] = ()

    def children(self) -> tuple[T, ...]:
        return (self.operand,)


def model_below(t: T) -> tuple[str, dict[Var, Var]] | None:
    """The model `t` reads through evidence, aggregations, renamings and notes, with the
    renaming back into the model's variables; None for anything else (products, queries)."""
    back: dict[Var, Var] = {}
    while True:
        if isinstance(t, TModel):
            return t.name, back
        if isinstance(t, TRename):
            inverse = {z: a for a, z in t.pairs}
            back = {v: inverse.get(a, a) for v, a in back.items()} | \
                {z: a for z, a in inverse.items() if z not in back}
        if not isinstance(t, (TGiven, TAggregate, TRename, TNote)):
            return None
        t = t.operand


def walk(t: T) -> Iterator[T]:
    """Every node below and including `t` (pre-order, iterative)."""
    stack = [t]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children()))


def aggregation_of(t: T, v: Var) -> TAggregate | None:
    """The first aggregation below `t` that sums `v` away."""
    return next((n for n in walk(t) if isinstance(n, TAggregate) and v in n.over), None)


# ---- PASP (compiler/language/pasp.py expands maxent and credal into these) -------------------
@dataclass(frozen=True)
class Semantics:
    """What maxent and credal differ in: the inner mapping (named like the form), the outer
    semiring, and how a total choice without an answer set is treated (docs/pasp.md)."""
    name: str
    pair: bool                  # prob2: (lower, upper)
    treatment: str              # for the flag in the report and the results
    note: str                   # for the report step
    doc: str


MAXENT = Semantics("maxent", False, "dropped and renormalised (MaxEnt)",
                   "inconsistent total choices are dropped and the rest renormalised: the "
                   "denominator is P(e, consistent)",
                   "PASP MaxEnt semantics: P(Q | e) over the consistent total choices "
                   "(docs/atlas.md §4.2)")
CREDAL = Semantics("credal", True, "reported, counted in neither bound (credal)",
                   "credal(a, b) = ([a = b > 0], [a > 0]) per total choice: an inconsistent "
                   "one counts for neither bound",
                   "PASP credal semantics: (lower, upper) of P(Q | e) in prob2, e on "
                   "probabilistic facts (docs/atlas.md §4.2)")


@dataclass(frozen=True, eq=False)
class TPasp(TNote):
    """A PASP query.  Evidence given when it runs may only observe probabilistic facts (the
    others change the answer-set counts that normalise MaxEnt; write them as p | e).
    `consistent` is P(consistent | e on facts), empty scope, lowered with the query: its
    complement, the mass of the total choices without an answer set, is flagged in the
    report and in every result row."""
    sealed: frozenset[Var] = frozenset()
    semantics: Semantics = MAXENT
    X: frozenset[Var] = frozenset()
    consistent: T | None = None
