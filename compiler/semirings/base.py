"""Semirings as first-class objects.

A semiring owns the representation of its values: a numpy array whose leading axes are the
batch (or table) axes and whose trailing `elem_shape` axes hold one element's components (pair
semirings have `elem_shape == (2,)`).  Python-side elements (leaf weights, constants) are plain
hashable values: float, int, bool, or tuples for pairs.

Flags (docs/atlas.md §2.1): `idempotent` (a (+) a = a), `zero_sum_free`, `no_zero_divisors`.
`add_word` is the word the query language uses for this semiring's (+): sum, max, min or or.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np


@dataclass(frozen=True, eq=False)
class Semiring:
    """A commutative semiring: its carrier's constants, operations and numpy form."""
    name: str
    add_word: str
    zero: Any
    one: Any
    idempotent: bool
    zero_sum_free: bool
    no_zero_divisors: bool
    dtype: Any
    elem_shape: tuple[int, ...]
    _add: Callable[[np.ndarray, np.ndarray], np.ndarray] = field(repr=False)
    _mul: Callable[[np.ndarray, np.ndarray], np.ndarray] = field(repr=False)
    _check: Callable[[Any], Any] = field(repr=False)
    doc: str = ""
    components: tuple["Semiring", ...] = ()
    # For idempotent semirings: picks, along axis 0, the index of the operand equal to the sum.
    _select: Callable[[np.ndarray], np.ndarray] | None = field(default=None, repr=False)

    def __hash__(self) -> int:
        return hash(self.name)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Semiring) and other.name == self.name

    def __repr__(self) -> str:
        return self.name

    # ---- elements -------------------------------------------------------------------------
    def element(self, x: Any) -> Any:
        """Validate and normalise a Python element of this semiring (raises ValueError)."""
        return self._check(x)

    def array(self, elements: list[Any] | tuple[Any, ...]) -> np.ndarray:
        """A 1-d batch (plus element axes) of the given Python elements."""
        out = np.empty((len(elements),) + self.elem_shape, dtype=self.dtype)
        for i, e in enumerate(elements):
            out[i] = e
        return out

    def full(self, shape: tuple[int, ...], x: Any) -> np.ndarray:
        out = np.empty(tuple(shape) + self.elem_shape, dtype=self.dtype)
        out[...] = x if not self.elem_shape else np.array(x, dtype=self.dtype)
        return out

    def zeros(self, shape: tuple[int, ...]) -> np.ndarray:
        return self.full(shape, self.zero)

    def ones(self, shape: tuple[int, ...]) -> np.ndarray:
        return self.full(shape, self.one)

    def to_py(self, a: np.ndarray) -> Any:
        """One element (an array with only the element axes) as a Python value."""
        if self.elem_shape:
            return tuple(c.to_py(np.asarray(a[..., i]))
                         for i, c in enumerate(self.components)) if self.components \
                else tuple(float(v) for v in a)
        v = a.item() if isinstance(a, np.ndarray) else a
        if self.dtype is bool:
            return bool(v)
        if self.dtype is object:
            return int(v)
        return float(v)

    # ---- arithmetic -----------------------------------------------------------------------
    def add(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return self._add(a, b)

    def mul(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return self._mul(a, b)

    def add_reduce(self, a: np.ndarray, axis: int = 0) -> np.ndarray:
        """(+) over one batch axis."""
        if isinstance(self._add, np.ufunc) and not self.elem_shape and a.shape[axis] > 0:
            return self._add.reduce(a, axis=axis)
        a = np.moveaxis(a, axis, 0)
        if a.shape[0] == 0:
            return self.zeros(a.shape[1:len(a.shape) - len(self.elem_shape)])
        acc = a[0]
        for i in range(1, a.shape[0]):
            acc = self._add(acc, a[i])
        return acc

    def mul_reduce(self, a: np.ndarray, axis: int = 0) -> np.ndarray:
        if isinstance(self._mul, np.ufunc) and not self.elem_shape and a.shape[axis] > 0:
            return self._mul.reduce(a, axis=axis)
        a = np.moveaxis(a, axis, 0)
        if a.shape[0] == 0:
            return self.ones(a.shape[1:len(a.shape) - len(self.elem_shape)])
        acc = a[0]
        for i in range(1, a.shape[0]):
            acc = self._mul(acc, a[i])
        return acc

    def is_zero(self, a: np.ndarray) -> np.ndarray:
        z = self.full((), self.zero)
        eq = a == z
        for _ in self.elem_shape:
            eq = eq.all(axis=-1)
        return eq

    def select(self, a: np.ndarray) -> np.ndarray:
        """For idempotent (+): the index along axis 0 of an operand equal to the (+)-sum."""
        if self._select is None:
            raise TypeError(f"semiring {self.name} has no selecting (+)")
        return self._select(a)

    def where(self, mask: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        m = mask.reshape(mask.shape + (1,) * len(self.elem_shape))
        return np.where(m, a, b)

    def close(self, x: Any, y: Any, rel: float = 1e-9, abs_: float = 1e-12) -> bool:
        """Equality of two Python elements up to floating-point error."""
        if isinstance(x, tuple):
            return len(x) == len(y) and all(self._component(i).close(a, b, rel, abs_)
                                            for i, (a, b) in enumerate(zip(x, y)))
        if self.dtype is bool or self.dtype is object:
            return bool(x == y)
        if np.isinf(x) or np.isinf(y):
            return bool(x == y)
        return bool(abs(x - y) <= abs_ + rel * max(abs(x), abs(y)))

    def _component(self, i: int) -> "Semiring":
        comp = self.components[i] if self.components else _REAL_COMPONENT
        assert comp is not None
        return comp

    @property
    def is_scalar(self) -> bool:
        return not self.elem_shape


_REAL_COMPONENT: Semiring | None = None  # the real numbers' semiring, set by the registry
