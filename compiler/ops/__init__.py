"""The three operators of the compositional atlas (and evidence, renaming, smoothing).

Each checks its sufficient conditions before building, records a report `Step` on its result,
and raises `StructuralPropertyError` (with the witness and a fix) when a condition fails."""
from atlasc.compiler.ops.aggregate import aggregate
from atlasc.compiler.ops.evidence import condition
from atlasc.compiler.ops.mapping import apply_mapping
from atlasc.compiler.ops.marginals import marginals
from atlasc.compiler.ops.product import multiply
from atlasc.compiler.ops.rename import rename
from atlasc.compiler.ir.report import Step
from atlasc.compiler.ops.source import model
from atlasc.compiler.ir.transplant import transplant

__all__ = ["aggregate", "apply_mapping", "condition", "marginals", "model", "multiply", "rename",
           "Step", "transplant"]
