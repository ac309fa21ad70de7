"""Where capmodel keeps what it can rebuild: compiled models, the parser tables,
parsed specs (syntax/parse_cache.py).

A folder of the user's own ($CAPMODEL_CACHE_DIR, else $XDG_CACHE_HOME/capmodel,
else ~/.cache/capmodel), never a shared temporary folder: what is cached here
is loaded back as code or pickles, so nobody else may be able to write it.
Deleting it is always safe.
"""
from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """$CAPMODEL_CACHE_DIR, else $XDG_CACHE_HOME/capmodel, else ~/.cache/capmodel."""
    if os.environ.get("CAPMODEL_CACHE_DIR"):
        return Path(os.environ["CAPMODEL_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "capmodel"


def private_folder() -> Path | None:
    """cache_dir(), created if need be, or None when it cannot be (read-only
    home, no home): callers then rebuild instead of caching."""
    folder = cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder if os.access(folder, os.W_OK) else None
