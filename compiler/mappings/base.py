"""Elementwise mappings tau: S -> S' with declared (or derived) properties (docs/atlas.md §2.2)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from atlasc.compiler.semirings.base import Semiring


@dataclass(frozen=True)
class MapProps:
    """What is known of tau.  True: established; False: refuted; None: undecided (= absent)."""
    additive: bool | None
    multiplicative: bool | None
    zero_preserving: bool | None      # tau(0_S) = 0_S'
    support_preserving: bool | None   # tau(a) = 0' iff a = 0
    scale: Any = None                 # tau(x) = x (x) scale, in S = S' (S-linear): any circuit
    how: str = "declared"             # "declared" (builtin) or "derived with sympy"
    notes: tuple[str, ...] = ()

    @property
    def homomorphism(self) -> bool:
        return bool(self.additive and self.multiplicative)


@dataclass(frozen=True, eq=False)
class Mapping:
    """A map between the carriers of two semirings, with what is proven of it."""
    name: str
    src: Semiring
    dst: Semiring
    props: MapProps
    fn: Callable[[np.ndarray], np.ndarray] = field(repr=False)
    params: tuple[Any, ...] = ()
    expr: str = ""   # a printable definition
    # For a tau that is not multiplicative: the values w it passes, tau(w (x) v) = tau(w) (x)'
    # tau(v) for every v (ops/mapping.py: the single-factor route, docs/atlas.md §3.3).
    passes: Callable[[Any], bool] | None = field(default=None, repr=False, compare=False)
    # Where the declared properties hold only on part of src (credal_lower: multiplicative on
    # the pairs a <= b), that part, a set closed under (+) and (x): every leaf weight and
    # constant of the operand must lie in it (ops/mapping.py), else the mapping is refused.
    domain: Callable[[Any], bool] | None = field(default=None, repr=False, compare=False)

    def key(self) -> tuple[Any, ...]:
        return (self.name, self.src.name, self.dst.name, self.params, self.expr)

    def __hash__(self) -> int:
        return hash(self.key())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and other.key() == self.key()

    def __call__(self, a: np.ndarray) -> np.ndarray:
        return self.fn(a)

    def apply_py(self, x: Any) -> Any:
        """tau on one Python element of src."""
        a = self.src.array([x])
        return self.dst.to_py(self.fn(a)[0])

    @property
    def label(self) -> str:
        p = f"({', '.join(map(str, self.params))})" if self.params else ""
        return f"{self.name}{p}: {self.src.name} -> {self.dst.name}"

    def __repr__(self) -> str:
        return self.label
