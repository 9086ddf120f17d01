"""Evidence values given from Python (`Query.run`, `Program.run`, `Program.evidence_row`):
always a value of the variable's domain, never an index (docs/language.md, "Python API").

* a string is the value as the domain spells it (`"0-3_days"`, `"true"`);
* a number is the domain value it reads as: on `var X : {1, 2, 3}`, 1 is the value 1 (index 0);
  a domain with no such value is an error naming the domain, whatever its size;
* a bool (or 0 and 1) is a value of a Boolean variable only;
* None, "" and NaN are unobserved.
`Query.run_array` is the one interface that takes value indices (compiler/program/batch.py).
"""
from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Any

import numpy as np

from atlasc.compiler.errors import QueryTypeError
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.lazy import lazy_module

if TYPE_CHECKING:
    import difflib
else:   # for a did-you-mean only: not loaded by a run whose values are all in their domains
    difflib = lazy_module("difflib")


def value_index(v: Var, x: Any) -> int | None:
    """The index of the domain value `x` names; None if `x` is unobserved."""
    return None if _unobserved(x) else observed_index(v, x)


def observed_index(v: Var, x: Any) -> int:
    """The index of the domain value `x` names (`x` is not unobserved)."""
    if isinstance(x, (bool, np.bool_)):
        if v.is_bool:
            return int(bool(x))
        raise _error(v, x, f"{v.name} is not Boolean")
    if isinstance(x, (str, np.str_)):
        if str(x) in v.domain:
            return v.domain.index(str(x))
        raise _error(v, x, None, _close(v, str(x)))
    if isinstance(x, numbers.Real):
        return _number(v, float(x), x)
    raise _error(v, x, f"a {type(x).__name__} is not a value")


def _unobserved(x: Any) -> bool:
    return x is None or (isinstance(x, str) and x == "") or \
        (isinstance(x, (float, np.floating)) and math.isnan(x))


def _number(v: Var, f: float, x: Any) -> int:
    if v.is_bool and f in (0.0, 1.0):
        return int(f)
    hits = [i for i, d in enumerate(v.domain) if _reads_as(d) == f]
    if len(hits) == 1:
        return hits[0]
    if len(hits) > 1:
        raise _error(v, x, "several values of the domain read as this number",
                     "give the value as a string")
    numeric = any(_reads_as(d) is not None for d in v.domain)
    why = None if numeric else f"the values of {v.name} are not numbers"
    return _raise(v, x, why)


def _raise(v: Var, x: Any, why: str | None) -> int:
    raise _error(v, x, why, "evidence from Python is a value, never an index; "
                 "Query.run_array takes value indices")


def _reads_as(d: str) -> float | None:
    try:
        return float(d)
    except ValueError:
        return None


def _close(v: Var, x: str) -> str | None:
    close = difflib.get_close_matches(x, v.domain, n=1)
    return f"did you mean '{close[0]}'?" if close else None


def _error(v: Var, x: Any, why: str | None, hint: str | None = None) -> QueryTypeError:
    shown = x.item() if isinstance(x, np.generic) else x
    head = f"{v.name} has no value {shown!r}" + (f": {why}" if why else "")
    domain = f"its domain is {{{', '.join(v.domain)}}}"
    return QueryTypeError(f"{head}; {domain}", None, hint)


def index_array(vs: list[Var], values: Any) -> np.ndarray:
    """A 2-d array of values (one column per variable in `vs`, read as `value_index` reads
    them) as the int32 array of value indices `Query.run_array` takes (-1: unobserved)."""
    a = np.asarray(values, dtype=object)
    if a.ndim != 2 or a.shape[1] != len(vs):
        raise QueryTypeError(f"the values must be a 2-d array with one column per variable "
                             f"({len(vs)}), not of shape {a.shape}")
    out = np.empty(a.shape, np.int32)
    for j, v in enumerate(vs):
        seen: dict[Any, int] = {}
        for i, x in enumerate(a[:, j]):
            key = (type(x), x)
            if _unobserved(x):
                out[i, j] = -1
            else:
                out[i, j] = seen[key] if key in seen else \
                    seen.setdefault(key, observed_index(v, x))
    return out
