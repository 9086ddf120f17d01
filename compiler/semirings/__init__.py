"""Semirings: `get(name)` looks one up; see `registry` for the list."""
from atlasc.compiler.semirings.base import Semiring
from atlasc.compiler.semirings.registry import (BOOL, COUNT, COUNT2, EXPECTATION, GRAD, LOG, MAXLOG,
                                         MAXPROD, MINSUM, MOMENTS, PROB, PROB2,
                                         UnknownSemiring,
                                         all_semirings, get, names, pair, register)

__all__ = ["Semiring", "BOOL", "COUNT", "COUNT2", "EXPECTATION", "GRAD", "LOG", "MAXLOG",
           "MAXPROD", "MINSUM", "MOMENTS", "PROB", "PROB2", "UnknownSemiring", "all_semirings", "get",
           "names", "pair", "register"]
