"""The three operators of the compositional atlas (and evidence, renaming, smoothing).

Each checks its sufficient conditions before building, records a report `Step` on its result,
and raises `StructuralPropertyError` (with the witness and a fix) when a condition fails."""
from compiler.ops.aggregate import aggregate
from compiler.ops.evidence import condition
from compiler.ops.mapping import apply_mapping
from compiler.ops.marginals import marginals
from compiler.ops.product import multiply
from compiler.ops.rename import rename
from compiler.ops.report import Step
from compiler.ops.source import model
from compiler.ops.transplant import transplant

__all__ = ["aggregate", "apply_mapping", "condition", "marginals", "model", "multiply", "rename",
           "Step", "transplant"]
