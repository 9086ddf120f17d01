"""What a fuzz input must end in: an answer, or a user error with a position.

`outcome(case)` compiles the case's program through the API, runs every certified query, and
classifies the result:
  ok          values (or a query refused as not certified, with its report)
  user        an AtlasError with a position (QueryError with a span, SourceError with a line)
  limit       a LimitExceeded (it names the limit passed)
  unpositioned  a user error without a position
  internal    any other exception (a bug)
  wrong       a NaN value, or a negative probability
Crashes and hangs are the campaign's to see (it runs cases in a child process with a timeout).
"""
from __future__ import annotations

import math
import tempfile
import traceback
from dataclasses import dataclass
from typing import Any

from atlasc.compiler.api import compile_file
from atlasc.compiler.errors import (AtlasError, LimitExceeded, QueryError, SourceError,
                                    StructuralPropertyError)

from tests.fuzz.inputs import Case


@dataclass
class Outcome:
    kind: str
    detail: str = ""


def outcome(case: Case) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="atlasc-fuzz-") as d:
        path = case.write(d)
        try:
            return _run(path)
        except AtlasError as e:
            return classify_error(e)
        except Exception:                   # noqa: BLE001 - the point of fuzzing
            return Outcome("internal", traceback.format_exc(limit=-6))


def _run(path: str) -> Outcome:
    prog = compile_file(path)
    for q in prog.queries.values():
        if not q.tractable:
            continue
        try:
            res = q.run()
        except (QueryError, StructuralPropertyError):
            continue
        bad = _bad_value(res.to_json())
        if bad:
            return Outcome("wrong", f"query {q.name}: {bad}")
    return Outcome("ok")


def classify_error(e: AtlasError) -> Outcome:
    if isinstance(e, LimitExceeded):
        return Outcome("limit", e.render())
    if isinstance(e, StructuralPropertyError):
        return Outcome("ok", e.render())
    if isinstance(e, QueryError) and e.span is not None:
        return Outcome("user", e.render())
    if isinstance(e, SourceError) and e.line is not None:
        return Outcome("user", e.render())
    return Outcome("unpositioned", f"{type(e).__name__}: {e.render()}")


def _bad_value(j: Any) -> str:
    """A NaN anywhere in the JSON of a result."""
    if isinstance(j, float) and math.isnan(j):
        return "NaN in the result"
    if isinstance(j, dict):
        return next((b for b in map(_bad_value, j.values()) if b), "")
    if isinstance(j, list):
        return next((b for b in map(_bad_value, j) if b), "")
    return ""
