"""The report: one `Step` per operator, forming the query's operator tree.

Each step records the operator, the sufficient condition it used (docs/atlas.md §3.4), every
precondition with how it was established, what the result keeps, and sizes.  A failed step
carries the missing property, the witness node and a fix."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from atlasc.compiler.ir.facts import Fact
from atlasc.compiler.ir.variables import SHOWN, Var, sorted_vars

Scope = tuple[str, ...] | frozenset[Var]     # names, or variables named when first read


@dataclass
class Step:
    """One operator of a query's report, with its inputs and its checks."""
    kind: str                      # model | aggregate | product | map | evidence | rename
    label: str                     # e.g. "sum[{A}]", "map[id: prob -> maxprod]"
    semiring: str
    scope: Scope                   # read it as `names` (sorted on demand)
    inputs: tuple["Step", ...] = ()
    condition: str = ""            # the sufficient condition used
    cost: str = ""
    needs: tuple[Fact, ...] = ()   # preconditions, each with how it was established
    keeps: tuple[str, ...] = ()    # what the result keeps
    size: int = 0                  # |C| (edges) of the result
    notes: tuple[str, ...] = ()
    ok: bool = True
    failure: dict[str, Any] | None = None
    span: Any = field(default=None, compare=False)  # source span of the operator, if any
    pending: Any = field(default=None, repr=False, compare=False)   # a circuit not yet counted

    @property
    def names(self) -> tuple[str, ...]:
        """The scope's names in order (sorted when first read: a run that prints no report
        does not sort the scope of every operator)."""
        if isinstance(self.scope, frozenset):
            self.scope = tuple(v.name for v in sorted_vars(self.scope))
        return self.scope

    def size_of(self, c: Any) -> None:
        """`size` is |C| of the circuit c, counted when the report is rendered (a walk of the
        whole circuit, which a run that prints no report does not need)."""
        self.pending = c

    @property
    def edges(self) -> int:
        if self.pending is not None:
            self.size, self.pending = self.pending.size, None
        return self.size

    @property
    def all_ok(self) -> bool:
        stack, out = [self], True
        while stack:
            s = stack.pop()
            out = out and s.ok
            stack.extend(s.inputs)
        return out

    def render(self) -> str:
        lines: list[str] = []
        stack: list[tuple[Step, str, str]] = [(self, "", "")]
        while stack:
            s, head, pad = stack.pop()
            lines += [head + s.headline_text()] + [pad + "    " + x for x in s.body_lines()]
            kids = list(s.inputs)
            for i, k in reversed(list(enumerate(kids))):
                last = i == len(kids) - 1
                stack.append((k, pad + ("`-- " if last else "|-- "),
                              pad + ("    " if last else "|   ")))
        return "\n".join(lines)

    def headline_text(self) -> str:
        return f"{self.summary_text()}  {self.status}"

    def summary_text(self) -> str:
        scope = scope_text(self.names)
        size = f", |C|={self.edges}" if self.ok else ""
        return f"{self.label}  [{self.semiring} over {scope}{size}]"

    @property
    def status(self) -> str:
        return "ok" if self.ok else "NOT CERTIFIED"

    def body_lines(self) -> list[str]:
        out = []
        if self.condition:
            out.append(f"condition: {self.condition}" + (f"  ({self.cost})" if self.cost else ""))
        out += [f"needs {f.describe()}" for f in self.needs]
        if self.keeps:
            out.append("keeps: " + ", ".join(self.keeps))
        out += [f"note: {n}" for n in self.notes]
        if self.failure:
            out.append(f"missing: {self.failure['property']}")
            if self.failure.get("witness"):
                out.append(f"witness: {self.failure['witness']}")
            out.append(f"fix: {self.failure['fix']}")
        return out

    def __repr__(self) -> str:
        return f"<Step {self.headline_text()}>"

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "label": self.label, "semiring": self.semiring,
            "scope": list(self.names), "ok": self.ok, "condition": self.condition,
            "cost": self.cost, "size": self.edges,
            "needs": [{"property": str(f.prop), "holds": f.holds, "how": f.how.value,
                       "detail": f.detail,
                       "witness": f.witness.describe() if f.witness else None}
                      for f in self.needs],
            "keeps": list(self.keeps), "notes": list(self.notes), "failure": self.failure,
            "inputs": [s.to_json() for s in self.inputs],
        }


def scope_text(names: tuple[str, ...]) -> str:
    """`{A, B}`; a scope past SHOWN names by its first ones and its size (as fmt_vars)."""
    if len(names) <= SHOWN:
        return "{" + ", ".join(names) + "}"
    return "{" + ", ".join(names[:SHOWN // 2]) + f", ... ({len(names):,} variables)}}"
