"""The instruction opcodes of the linearised program (linear.py writes them, the kernels of
kernels.py dispatch on them)."""
LEAF, SUM, PROD, SUM_ARG, MAP = 0, 1, 2, 3, 4
