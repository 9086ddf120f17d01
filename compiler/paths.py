"""Where atlasc keeps its caches: the user cache directory of the platform (platformdirs), or
ATLASC_CACHE_DIR; `ATLASC_CACHE_DIR=off` turns every cache off."""
from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def cache_root() -> Path | None:
    """The cache directory (not created here), or None when caching is off."""
    env = os.environ.get("ATLASC_CACHE_DIR")
    if env == "off":
        return None
    return Path(env) if env else Path(platformdirs.user_cache_dir("atlasc", appauthor=False))
