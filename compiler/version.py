"""The package version (one place; `pyproject.toml` reads it) and the JSON schema version."""
from __future__ import annotations

import hashlib
import os
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
    keys every cache entry to the atlasc that wrote it.  Each file counts by its path, size and
    modification time in nanoseconds, as make and ccache tell a changed file (an edit, a
    reinstall or a checkout rewrites the file and so its time): reading every source's bytes
    on every run cost 8-30 ms of a cached run's start-up."""
    if not _SOURCE_HASH:
        here = str(Path(__file__).resolve().parents[1])
        h = hashlib.sha256()
        for sub in SOURCE_FOLDERS:
            for path, st in _sources(os.path.join(here, sub)):
                h.update(f"{os.path.relpath(path, here)}\0{st.st_size}\0{st.st_mtime_ns}\0"
                         .encode())
        _SOURCE_HASH.append(h.hexdigest())
    return _SOURCE_HASH[0]


SOURCE_FOLDERS = ("compiler", "runtime", "grammar", "atlasc")


def _sources(folder: str) -> list[tuple[str, os.stat_result]]:
    """The .py and .lark files under folder (not __pycache__), sorted, with their stat."""
    out = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        out += [(os.path.join(root, f), os.stat(os.path.join(root, f))) for f in files
                if f.endswith((".py", ".lark"))]
    return sorted(out)
