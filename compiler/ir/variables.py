"""Variables with finite domains.

A `Var` is a name and an ordered tuple of domain values (strings). Booleans use the domain
``("false", "true")`` so value index 1 is ``true``.  Variables compare by name and domain, and
sort by name, which fixes every ordering the compiler prints.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Callable, Iterable, TypeVar

T = TypeVar("T")

BOOL_DOMAIN: tuple[str, ...] = ("false", "true")


@dataclass(frozen=True, slots=True, order=True)
class Var:
    """A discrete variable: its name and its domain's values (their order gives the codes)."""
    name: str
    domain: tuple[str, ...] = BOOL_DOMAIN
    _hash: int = field(init=False, repr=False, compare=False, default=0)

    def __post_init__(self) -> None:
        if self.domain is not BOOL_DOMAIN:      # the shared Boolean domain is known good
            _check_domain(self.name, self.domain)
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


def _check_domain(name: str, domain: tuple[str, ...]) -> None:
    if len(domain) < 1:
        raise ValueError(f"variable {name!r} has an empty domain")
    if len(set(domain)) != len(domain):
        raise ValueError(f"variable {name!r} has repeated domain values")


def bool_var(name: str) -> Var:
    """Var(name, BOOL_DOMAIN) without re-checking the Boolean domain (a 10^6-variable CNF
    makes 10^6 of them)."""
    v = object.__new__(Var)
    object.__setattr__(v, "name", name)
    object.__setattr__(v, "domain", BOOL_DOMAIN)
    object.__setattr__(v, "_hash", hash((name, BOOL_DOMAIN)))
    return v


def var_key(v: Var) -> tuple[str, tuple[str, ...]]:
    """Var's order as a key: sorting by it compares tuples in C, not through the dataclass's
    __lt__ (10^5 variables: ~1.7 million Python calls per sort)."""
    return (v.name, v.domain)


_VAR_KEY = attrgetter("name", "domain")     # var_key in C: no Python call per variable


BIG = 4096          # a scope at least this large has its sorted order kept (below)
_SORTED: dict[frozenset[Var], tuple[Var, ...]] = {}
_KEPT = 8


def sorted_vars(vs: Iterable[Var]) -> tuple[Var, ...]:
    """The variables in name order.  The order of a large frozenset is kept (the last few):
    the operators ask for the same scope again and again, and one sort of 10^6 variables
    costs ~0.6 s."""
    if not (isinstance(vs, frozenset) and len(vs) >= BIG):
        return tuple(sorted(vs, key=_VAR_KEY))
    return _kept(_SORTED, vs, _by_name)


def _kept(memo: dict[frozenset[Var], T], vs: frozenset[Var],
          make: Callable[[frozenset[Var]], T]) -> T:
    """make(vs), remembered for the last _KEPT sets."""
    out = memo.get(vs)
    if out is None:
        out = memo[vs] = make(vs)
        while len(memo) > _KEPT:
            del memo[next(iter(memo))]
    return out


_NAME = attrgetter("name")


def _by_name(vs: frozenset[Var]) -> tuple[Var, ...]:
    """Var order: by name (strings compare faster than (name, domain) keys: 1.1 s against
    2.8 s for 10^6 on a loaded machine), by domain only where names repeat."""
    out = sorted(vs, key=_NAME)
    if len(set(map(_NAME, out))) < len(out):
        out.sort(key=_VAR_KEY)
    return tuple(out)


SHOWN = 32          # a longer list of variables is shown by its first names and its size


def fmt_vars(vs: Iterable[Var]) -> str:
    """`{A, B, C}`; past SHOWN variables, the first SHOWN // 2 and the count: a message about
    10^6 variables is read by a person, and does not list them all."""
    s = vs if isinstance(vs, frozenset) else frozenset(vs)
    if len(s) <= SHOWN:
        return "{" + ", ".join(v.name for v in sorted_vars(s)) + "}"
    return _kept(_SHOWN, s, _abbreviated)


_SHOWN: dict[frozenset[Var], str] = {}


def _abbreviated(s: frozenset[Var]) -> str:
    first = _SORTED.get(s) or heapq.nsmallest(SHOWN // 2, s, key=_VAR_KEY)
    head = ", ".join(v.name for v in first[:SHOWN // 2])
    return f"{{{head}, ... ({len(s):,} variables)}}"
