"""Random small PASP programs for the property tests: probabilistic facts, normal rules with
default negation, choice rules, disjunctive heads and integrity constraints (positive cycles
included, so many are not tight)."""
from __future__ import annotations

from hypothesis import strategies as st

XS = ["x0", "x1", "x2"]
YS = ["y0", "y1", "y2", "y3"]
PROBS = ["0.2", "0.5", "0.7", "0.9"]


@st.composite
def literal(draw: st.DrawFn, atoms: list[str]) -> str:
    a = draw(st.sampled_from(atoms))
    return a if draw(st.booleans()) else f"not {a}"


@st.composite
def program(draw: st.DrawFn) -> str:
    nx = draw(st.integers(1, 3))
    xs = XS[:nx]
    atoms = xs + YS
    lines = [f"{draw(st.sampled_from(PROBS))}::{x}." for x in xs]
    for _ in range(draw(st.integers(1, 7))):
        body = draw(st.lists(literal(atoms), min_size=0, max_size=2))
        tail = f" :- {', '.join(body)}." if body else "."
        kind = draw(st.sampled_from(["normal", "normal", "normal", "choice", "disj",
                                     "constraint"]))
        if kind == "constraint":
            if body:
                lines.append(f":- {', '.join(body)}.")
            continue
        heads = draw(st.lists(st.sampled_from(YS), min_size=1, max_size=2, unique=True))
        if kind == "choice":
            lines.append("{" + "; ".join(heads) + "}" + tail)
        elif kind == "disj":
            lines.append(" ; ".join(heads) + tail)
        else:
            lines.append(heads[0] + tail)
    return "\n".join(lines)
