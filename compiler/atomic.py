"""Atomic file writes: a temporary file in the target's directory, fsync, then rename, so a
reader sees the old file or the whole new one, never a part; and sealed cache entries (a magic
tag, the payload's SHA-256 and length in front), so a truncated or corrupt one is detected."""
from __future__ import annotations

import hashlib
import os
import struct
import tempfile
from pathlib import Path


def write_atomic_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def seal(magic: bytes, payload: bytes) -> bytes:
    return magic + hashlib.sha256(payload).digest() + struct.pack("<Q", len(payload)) + payload


def unseal(magic: bytes, data: bytes) -> bytes | None:
    """The payload of a whole, intact entry; None if it is truncated, corrupt or foreign."""
    head = len(magic) + 32 + 8
    if len(data) < head or not data.startswith(magic):
        return None
    digest = data[len(magic):len(magic) + 32]
    (length,) = struct.unpack("<Q", data[len(magic) + 32:head])
    payload = data[head:]
    if len(payload) != length or hashlib.sha256(payload).digest() != digest:
        return None
    return payload
