"""Evaluation.  `runtime.evaluator` is the entry point; `runtime.llvm` the compiled back end
(docs/runtime.md); `runtime.reference` (numpy) and `runtime.brute` (enumeration) the test
oracles; `runtime.backward` the all-marginals pass."""
