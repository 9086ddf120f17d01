"""The package version (one place; `pyproject.toml` reads it) and the JSON schema version."""
from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

# Every JSON output carries `"schema": SCHEMA` and its `"kind"`; docs/schemas/<kind>.schema.json
# describes each kind (report, query-report, results, circuit, problog-results, fit).
SCHEMA = "atlasc/1"


def stamped(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """`body` with the schema and kind first."""
    return {"schema": SCHEMA, "kind": kind, **body}
