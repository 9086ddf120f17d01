"""Evaluation.  `atlasc.runtime.evaluator` is the entry point; `atlasc.runtime.llvm` the compiled back end
(docs/md); `atlasc.runtime.reference` (numpy) and `atlasc.runtime.brute` (enumeration) the test
oracles; `atlasc.runtime.backward` the all-marginals pass."""
