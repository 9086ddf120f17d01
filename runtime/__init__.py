"""Evaluation: the numpy reference evaluator and brute-force enumeration (the test oracles);
the LLVM back end joins them here."""
