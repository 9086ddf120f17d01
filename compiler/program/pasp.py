"""PASP queries at run time: the mass of the inconsistent total choices (those without an answer
set), flagged in the report and in every result row, and the check that run-time evidence
observes probabilistic facts only (docs/pasp.md).  The model and its sugar are in
compiler/language/pasp.py."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, SupportsFloat

from atlasc.compiler.errors import QueryTypeError
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.evaluation import evaluator
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.language import typed as Ty
from atlasc.compiler.language.typed import Semantics, TPasp

if TYPE_CHECKING:
    from atlasc.compiler.program.program import Query, Row


# ---- inconsistent total choices: flagged in the report and the results ------------------------
@dataclass
class Flag:
    """One maxent/credal call of a query and the circuit of P(consistent | e on facts)."""
    label: str
    semantics: Semantics
    X: frozenset[Var]
    circuit: Circuit
    mass: float = 0.0               # without run-time evidence (the report's number)

    def at(self, mass: float) -> "Inconsistent":
        return Inconsistent(self.label, self.semantics.name, mass, self.semantics.treatment)

    def measure(self, rows: "list[Row]") -> list[float]:
        """The mass per row: run-time evidence on the facts conditions it too."""
        evs = [{v: x for v, x in r.items() if x is not None and v in self.X} for r in rows]
        return [_mass(p) for p in evaluator().evaluate(self.circuit, evidence=evs).values]


@dataclass
class Inconsistent:
    """In a result row: the mass of the total choices without an answer set, and what the
    query's semantics does with them."""
    query: str                      # the call, e.g. maxent({b})
    semantics: str
    mass: float
    treatment: str

    def text(self, call: bool = True) -> str:
        return (f"{self.query}: " if call else "") + \
            f"inconsistent total choices: mass {self.mass:.6g}, {self.treatment}"

    def to_json(self) -> dict[str, object]:
        return {"query": self.query, "semantics": self.semantics, "mass": self.mass,
                "treatment": self.treatment}


def flags(q: "Query", lower: Callable[[Ty.T], Circuit]) -> list[Flag]:
    """Lower each PASP call's P(consistent) with the query's lowerer (its sub-circuits are
    shared with the query's), note its mass in the call's report step, and inherit the flags
    of the queries it uses."""
    out: list[Flag] = []
    for t in Ty.walk(q.typed):
        if isinstance(t, Ty.TQuery):
            out += q.program.queries[t.name].inconsistent
        if not isinstance(t, TPasp) or t.consistent is None:
            continue
        f = Flag(t.label, t.semantics, t.X, lower(t.consistent))
        f.mass = _mass(evaluator().evaluate(f.circuit, evidence=[{}]).values[0])
        step = lower(t).step
        if step is not None and f.mass:
            step.notes += (f.at(f.mass).text(call=False),)
        out.append(f)
    return out


def _mass(consistent: SupportsFloat) -> float:
    """1 - P(consistent), to 12 decimals (a sum of weights that is 1 in exact arithmetic may
    come out as 1 - 1e-16)."""
    return max(0.0, round(1.0 - float(consistent), 12))


def inconsistent(fs: list[Flag], rows: "list[Row]") -> list[list[Inconsistent]]:
    """Per row, every flag's mass under the row's evidence."""
    out: list[list[Inconsistent]] = [[] for _ in rows]
    for f in fs:
        for k, m in enumerate(f.measure(rows)):
            out[k].append(f.at(m))
    return out


def check_run_evidence(q: "Query", row: "Row") -> None:
    """Run-time evidence (-e, --data) on a PASP query may observe probabilistic facts only."""
    for t in Ty.walk(q.typed):
        if isinstance(t, Ty.TQuery):
            check_run_evidence(q.program.queries[t.name], row)
        if not isinstance(t, TPasp):
            continue
        bad = sorted(v.name for v, x in row.items() if x is not None and v in t.sealed)
        if bad:
            raise QueryTypeError(f"evidence on {', '.join(bad)} given at run time: for query "
                                 f"{q.name} only probabilistic facts may be observed so",
                                 t.span, "write the evidence in the query: maxent(p, q | "
                                 f"{bad[0]}) (docs/pasp.md)")
