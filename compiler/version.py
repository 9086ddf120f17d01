"""The package version (one place; `pyproject.toml` reads it) and the JSON schema version."""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

__version__ = "0.1.0"

# Every JSON output carries `"schema": SCHEMA` and its `"kind"`; docs/schemas/<kind>.schema.json
# describes each kind (report, query-report, results, circuit, problog-results, fit).
SCHEMA = "atlasc/1"


def stamped(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """`body` with the schema and kind first."""
    return {"schema": SCHEMA, "kind": kind, **body}


_SOURCE_HASH: list[str] = []


def source_hash() -> str:
    """A hash of atlasc's own source files (computed once per process): with __version__, what
    keys every cache entry to the atlasc that wrote it."""
    if not _SOURCE_HASH:
        here = Path(__file__).resolve().parents[1]
        h = hashlib.sha256()
        for sub in ("compiler", "runtime", "grammar", "atlasc"):
            for p in sorted((here / sub).rglob("*")):
                if p.suffix in (".py", ".lark") and "__pycache__" not in p.parts:
                    h.update(str(p.relative_to(here)).encode() + b"\0" + p.read_bytes())
        _SOURCE_HASH.append(h.hexdigest())
    return _SOURCE_HASH[0]
