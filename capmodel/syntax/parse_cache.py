"""Parsed specs, cached: a spec file whose text has not changed is not parsed again.

Importing Lark, loading its parser tables and parsing took a fifth of the CPU
of a cached `capmodel verify` of a shipped spec, every time. Here the AST of a
file (ast.py's dataclasses) is loaded back from the user's cache folder
(cache.py) when nothing it depends on has changed, and so is the set of the
language's keywords, which validation needs; Lark is then never imported.

    parse(text, file) -> ast.Spec     as parser.parse, cached
    keywords() -> frozenset[str]      as parser.keywords, cached

The key of an entry is a hash of everything the AST depends on: the text, the
file name (every span holds it), grammar.lark, parser.py and ast.py (the code
that builds the tree) and the installed Lark. Each entry holds its full key
and is used only when that key matches, so a stale, foreign or damaged file
is parsed again, never believed. Only successful parses are stored: a spec
with an error is parsed, and its error reported, every time. One file per
spec path (and version of the parser code): editing a spec replaces its entry.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import pickle
from functools import lru_cache
from pathlib import Path

from ..cache import private_folder
from . import ast

FORMAT = 1  # of the entries: bump when what is stored changes
_HERE = Path(__file__).resolve().parent
_CODE = ("grammar.lark", "parser.py", "ast.py")  # what the AST is built by


@lru_cache(maxsize=1)
def _code_identity() -> str | None:
    """A hash of the parser's code and of the installed Lark (found, not
    imported: its files' sizes and times), or None when a file is missing
    (then nothing is cached)."""
    digest = hashlib.sha256(f"capmodel parse cache {FORMAT}".encode())
    try:
        for name in _CODE:
            digest.update(b"\0" + (_HERE / name).read_bytes())
        spec = importlib.util.find_spec("lark")
        if spec is None or spec.origin is None:
            return None
        st = os.stat(spec.origin)  # lark/__init__.py, which names its version: rewritten by an upgrade
        digest.update(f"\0{spec.origin}\0{st.st_size}\0{st.st_mtime_ns}".encode())
    except (OSError, ImportError, ValueError):
        return None
    return digest.hexdigest()


def _entry(kind: str, *parts: str) -> tuple[Path, str] | None:
    """The cache file of this entry and the full key it must hold, or None
    when nothing can be cached here."""
    identity = _code_identity()
    try:
        folder = private_folder() if identity is not None else None
    except ValueError:  # a NUL in $CAPMODEL_CACHE_DIR: no cache, as for any unusable folder
        return None
    if folder is None:
        return None
    name = _hash(identity, kind, *parts[:1])[:32]
    return folder / f"{kind}-{name}.pickle", _hash(identity, kind, *parts)


def _hash(*parts: str) -> str:
    """Each part with its length, so that no two lists of parts hash alike."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8", "surrogatepass")
        digest.update(f"{len(data)}:".encode() + data)
    return digest.hexdigest()


def _read(entry: tuple[Path, str] | None):
    if entry is None:
        return None
    path, key = entry
    try:
        with open(path, "rb") as fh:
            stored_key, value = pickle.load(fh)
    except Exception:  # missing, damaged or from another version: parse again
        return None
    return value if stored_key == key else None


def _write(entry: tuple[Path, str] | None, value) -> None:
    """Atomically (a reader sees the old entry or the new one), and silently:
    a cache that cannot be written only costs time."""
    if entry is None:
        return
    import tempfile  # here: a cached run writes nothing

    path, key = entry
    try:
        fd, tmp = tempfile.mkstemp(prefix=".parsed-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump((key, value), fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except (OSError, pickle.PicklingError, RecursionError):
        pass


def parse(text: str, file: str = "<string>") -> ast.Spec:
    """parser.parse(text, file), from the cache when this text was parsed before."""
    entry = _entry("spec", file, text)
    spec = _read(entry)
    if isinstance(spec, ast.Spec):
        return spec
    from . import parser

    spec = parser.parse(text, file)  # raises SpecError: nothing is stored
    _write(entry, spec)
    return spec


@lru_cache(maxsize=1)
def keywords() -> frozenset[str]:
    """parser.keywords(), from the cache when the grammar has not changed."""
    entry = _entry("keywords")
    words = _read(entry)
    if isinstance(words, frozenset):
        return words
    from . import parser

    words = parser.keywords()
    _write(entry, words)
    return words


__all__ = ["keywords", "parse"]
