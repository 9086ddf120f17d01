"""The report leaf for a model: names the circuit and records how its properties are known."""
from __future__ import annotations

from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ops.common import scope_of
from atlasc.compiler.ir.report import Step


def model(c: Circuit, name: str, detail: str = "") -> Circuit:
    """Mark `c` as the model `name`: it becomes a source with a report leaf."""
    c.name = name
    c.step = Step("model", f"model {name}" + (f" ({detail})" if detail else ""), c.sr.name,
                  scope_of(c), keeps=tuple(f.describe() for f in c.facts.values()))
    c.step.size_of(c)
    return c
