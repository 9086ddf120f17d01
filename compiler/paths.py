"""Where atlasc keeps its caches: the user cache directory of the platform (platformdirs), or
ATLASC_CACHE_DIR; `ATLASC_CACHE_DIR=off` turns every cache off."""
from __future__ import annotations

import importlib
import os
from pathlib import Path


def cache_root() -> Path | None:
    """The cache directory (not created here), or None when caching is off."""
    env = os.environ.get("ATLASC_CACHE_DIR")
    if env == "off":
        return None
    if env:
        return Path(env)
    dirs = importlib.import_module("platformdirs")   # imported only here (3-8 ms of CPU)
    return Path(dirs.user_cache_dir("atlasc", appauthor=False))


def object_cache_dir() -> Path | None:
    """Where the LLVM back end keeps compiled kernels (runtime/llvm/engine.py); here, not in
    the runtime, so `atlasc cache info|clear` need not load llvmlite."""
    if os.environ.get("ATLASC_CACHE_DIR"):        # as before: the objects themselves
        return cache_root()
    root = cache_root()
    return root / "llvm" if root is not None else None


def program_dir() -> Path | None:
    """ATLASC_PROGRAM_CACHE: off, or a folder for the programs alone (compiler/program/cache.py,
    and the ProbLog answers of compiler/problogdirect.py)."""
    own = os.environ.get("ATLASC_PROGRAM_CACHE")
    if own == "off":
        return None
    if own:
        return Path(own)
    root = cache_root()
    return root / "programs" if root is not None else None
