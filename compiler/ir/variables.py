"""Variables with finite domains.

A `Var` is a name and an ordered tuple of domain values (strings). Booleans use the domain
``("false", "true")`` so value index 1 is ``true``.  Variables compare by name and domain, and
sort by name, which fixes every ordering the compiler prints.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Iterable

BOOL_DOMAIN: tuple[str, ...] = ("false", "true")


@dataclass(frozen=True, slots=True, order=True)
class Var:
    """A discrete variable: its name and its domain's values (their order gives the codes)."""
    name: str
    domain: tuple[str, ...] = BOOL_DOMAIN
    _hash: int = field(init=False, repr=False, compare=False, default=0)

    def __post_init__(self) -> None:
        if len(self.domain) < 1:
            raise ValueError(f"variable {self.name!r} has an empty domain")
        if len(set(self.domain)) != len(self.domain):
            raise ValueError(f"variable {self.name!r} has repeated domain values")
        object.__setattr__(self, "_hash", hash((self.name, self.domain)))

    def __hash__(self) -> int:      # variables key every dict on the hot paths: hash once
        return self._hash

    def __reduce__(self) -> tuple[type[Var], tuple[str, tuple[str, ...]]]:  # string hashes differ between processes: recompute
        return (Var, (self.name, self.domain))

    @property
    def size(self) -> int:
        return len(self.domain)

    @property
    def is_bool(self) -> bool:
        return self.domain == BOOL_DOMAIN

    def index(self, value: str | int | bool) -> int:
        """The index of a domain value; accepts the value's name, its index, or a bool."""
        if isinstance(value, bool):
            value = "true" if value else "false"
        if isinstance(value, int):
            if 0 <= value < self.size:
                return value
            raise ValueError(f"{self.name} has no value index {value}")
        try:
            return self.domain.index(value)
        except ValueError:
            raise ValueError(f"{self.name} has no value {value!r}; its domain is "
                             f"{{{', '.join(self.domain)}}}") from None

    def __repr__(self) -> str:
        return self.name


def bool_var(name: str) -> Var:
    return Var(name, BOOL_DOMAIN)


def var_key(v: Var) -> tuple[str, tuple[str, ...]]:
    """Var's order as a key: sorting by it compares tuples in C, not through the dataclass's
    __lt__ (10^5 variables: ~1.7 million Python calls per sort)."""
    return (v.name, v.domain)


_VAR_KEY = attrgetter("name", "domain")     # var_key in C: no Python call per variable


_NAME = attrgetter("name")


_LAST: list[tuple[frozenset[Var], tuple[Var, ...]]] = []   # the last large frozenset sorted


def sorted_vars(vs: Iterable[Var]) -> tuple[Var, ...]:
    """By name, then domain: names compare as strings (a tuple key costs twice as much on
    10^6 variables); only where two share a name does the domain decide.  The last large
    frozenset sorted is remembered (the operators and their report ask for one scope
    several times)."""
    if _LAST and vs is _LAST[0][0]:
        return _LAST[0][1]
    out = sorted(vs, key=_NAME)
    if any(a.name == b.name for a, b in zip(out, out[1:])):
        out.sort(key=_VAR_KEY)
    got = tuple(out)
    if isinstance(vs, frozenset) and len(got) > FMT_MAX:
        _LAST[:] = [(vs, got)]
    return got


FMT_MAX = 1000       # a longer set prints its first and last names and its size


def fmt_vars(vs: Iterable[Var]) -> str:
    """`{a, b, c}` in sorted order; a set of more than FMT_MAX its first 8 and last 2 names
    and its size (found without sorting it all)."""
    vs = vs if isinstance(vs, (set, frozenset, list, tuple)) else list(vs)
    if len(vs) <= FMT_MAX:
        return "{" + ", ".join(v.name for v in sorted_vars(vs)) + "}"
    first = heapq.nsmallest(8, vs, key=_VAR_KEY)
    last = heapq.nlargest(2, vs, key=_VAR_KEY)[::-1]
    return "{" + ", ".join([v.name for v in first] + [f"... ({len(vs):,} variables) ..."]
                           + [v.name for v in last]) + "}"
