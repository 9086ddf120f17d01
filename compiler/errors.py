"""One error hierarchy.

AtlasError
  QueryError(span)            user mistakes in a .query file or on the command line
    QuerySyntaxError
    QueryNameError            unknown / duplicate names
    QueryTypeError            semiring mismatches and the like
    QueryErrors               several independent mistakes of one file, in source order
  SourceError                 malformed model files (file, line, what is wrong)
  OperatorError               misuse of an operator through the Python API
  StructuralPropertyError     a tractability condition failed: operator, property, witness, fix
  LimitExceeded               a node or time limit was passed
  OutputError                 an output file could not be written (the path and the reason)
InternalCompilerError is for broken invariants and is never styled as a user error.
"""
from __future__ import annotations

from typing import Any, Protocol, Sequence

from atlasc.compiler.source import Span


class Witness(Protocol):
    """What a failed check points at (compiler.ir.facts.Violation is one)."""

    def describe(self) -> str: ...


class AtlasError(Exception):
    exit_code = 2

    def render(self) -> str:
        return str(self)


class QueryError(AtlasError):
    def __init__(self, message: str, span: Span | None = None, hint: str | None = None,
                 notes: tuple[tuple[Span, str], ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.span = span
        self.hint = hint
        self.notes = notes

    def render(self) -> str:
        out = self.span.render(self.message) if self.span else f"error: {self.message}"
        for span, note in self.notes:
            out += "\n" + span.render(f"note: {note}")
        if self.hint:
            out += f"\nhint: {self.hint}"
        return out

    def __str__(self) -> str:
        return self.render()


class QuerySyntaxError(QueryError):
    pass


class QueryNameError(QueryError):
    unknown: str | None = None      # the unknown name, when that is the error (reported once)


class QueryTypeError(QueryError):
    pass


class QueryErrors(QueryError):
    """Every independent mistake of one file (in source order), each rendered as its own
    error; at most MAX_SHOWN are shown.  As a QueryError it reads as the first one."""
    MAX_SHOWN = 20

    def __init__(self, errors: "Sequence[AtlasError]") -> None:
        first = errors[0]
        super().__init__(getattr(first, "message", str(first)), getattr(first, "span", None),
                         getattr(first, "hint", None), getattr(first, "notes", ()))
        self.errors = list(errors)

    def render(self) -> str:
        shown = self.errors[:self.MAX_SHOWN]
        out = "\n\n".join(e.render() for e in shown)
        more = len(self.errors) - len(shown)
        tail = f" ({more} more not shown)" if more else ""
        return out + f"\n\n{len(self.errors)} errors{tail}"


def raise_all(errors: "Sequence[AtlasError]") -> None:
    """Nothing if `errors` is empty; the error itself if there is one; QueryErrors else."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise QueryErrors(errors)


class SourceError(AtlasError):
    def __init__(self, message: str, file: str | None = None, line: int | None = None,
                 col: int | None = None, hint: str | None = None,
                 width: int | None = None) -> None:
        super().__init__(message)
        self.message, self.file, self.line, self.col, self.hint = message, file, line, col, hint
        self.width = width          # characters under the caret, from col

    def render(self) -> str:
        loc = self.file or "<input>"
        if self.line is not None:
            loc += f":{self.line}"
            if self.col is not None:
                loc += f":{self.col}"
        out = f"{loc}: {self.message}"
        return out + (f"\nhint: {self.hint}" if self.hint else "")

    def __str__(self) -> str:
        return self.render()


class SourceWarning(UserWarning):
    """A model file was read with a repair (a row within NORMALISE_TOL of 1 normalised); the
    message is `file:line: warning: ...`, printed as it is by the CLI."""


class OperatorError(AtlasError):
    """An operator was called on arguments it cannot take (API misuse)."""


class StructuralPropertyError(AtlasError):
    """A tractability condition failed; carries what the report needs."""
    exit_code = 3

    def __init__(self, operator: str, prop: str, violation: Witness | None, fix: str,
                 step: Any = None, needs: Any = None, circuits: tuple[Any, ...] = ()) -> None:
        self.operator, self.prop, self.violation, self.fix, self.step = \
            operator, prop, violation, fix, step
        self.needs = needs            # the missing Prop, when it is a circuit property
        self.circuits = circuits      # the circuit(s) that lack it
        super().__init__(self.render())

    def render(self) -> str:
        out = f"{self.operator}: not certified tractable: needs {self.prop}"
        if self.violation is not None:
            out += f"\n  witness: {self.violation.describe()}"
        return out + f"\n  fix: {self.fix}"


class LimitExceeded(AtlasError):
    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message, self.hint = message, hint

    def render(self) -> str:
        return f"error: {self.message}" + (f"\nhint: {self.hint}" if self.hint else "")


class OutputError(AtlasError):
    """An output could not be written (permission, not a directory, a full disk): one line
    naming the path."""


class WeightRangeError(AtlasError, ValueError):
    """A weight the compiler computes from the user's weights (a pointwise product of leaves,
    a mapping applied to a leaf) falls outside its semiring's carrier, e.g. 1e308 * 1e308 = inf
    in prob. Lowering positions it at the operator that computed it; a ValueError too, as
    the builder has always raised for a weight outside the carrier."""


class InternalCompilerError(Exception):
    pass
