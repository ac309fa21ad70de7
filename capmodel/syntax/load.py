"""Spec files -> SystemConfig: reading, `extends` resolution, then validation.

    load_spec(path) -> SystemConfig     the whole pipeline
    load_ast(path)  -> ast.Spec         one file, parsed, `extends` not followed
    load_chain(path) -> list[ast.Spec]  the file and its bases, base first

Every function raises SpecError (and nothing else) for any bad input: a
missing file, a directory, a binary or huge file, a syntax error, an extends
cycle, or invalid contents. Spec files are only read, never executed, and
`extends` only ever opens `.cap` files.
"""
from __future__ import annotations

import errno
import os
import stat

from ..config import SystemConfig
from . import ast
from .diagnostics import Diagnostic, SpecError, guard
from .parse_cache import parse
from .validate import validate

# 256 KB: a spec is a few lines; the limit bounds the parse (Lark builds a tree
# of every token: a file at the limit, ~6,000 invariants, checks in a few seconds)
MAX_FILE_BYTES = 256 * 1024
MAX_EXTENDS_DEPTH = 32
SPEC_SUFFIX = ".cap"


def _whole(file: str) -> ast.Span:
    """The file as a whole (rendered as just the file name)."""
    return ast.Span(file, 0, 0, 0, 0)


def _top(file: str) -> ast.Span:
    return ast.Span(file, 1, 1, 1, 2)


def read_source(path: str, origin: ast.Span | None = None) -> str:
    """Read a spec file as UTF-8 text, refusing what is not a text spec.

    `origin` is the `extends` clause that named the file, if any: problems
    finding the file are then reported there (CAP009)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if origin is not None:
            raise SpecError([Diagnostic("CAP009", f"the base spec \"{path}\" does not exist", origin,
                                        "the path is relative to the directory of the file that says `extends`")]
                              ) from None
        raise SpecError([Diagnostic("CAP001", "spec file not found", _whole(path),
                                    "check the path (it is relative to the current directory)")]) from None
    except (OSError, ValueError) as e:  # ValueError: NUL in the path
        span = origin or _whole(path)
        raise SpecError([Diagnostic("CAP006", f"cannot read the spec file: {_reason(e)}", span,
                                    _unreadable_hint(e))]) from None
    if stat.S_ISDIR(st.st_mode):
        raise SpecError([Diagnostic("CAP002", "this is a directory, not a spec file", origin or _whole(path),
                                    "give the path of a .cap file inside it")])
    if not stat.S_ISREG(st.st_mode):
        raise SpecError([Diagnostic("CAP002", "this is not a regular file", origin or _whole(path),
                                    "give the path of a .cap file")])
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        raise SpecError([Diagnostic("CAP006", f"cannot read the spec file: {_reason(e)}",
                                    origin or _whole(path), _unreadable_hint(e))]) from None
    if len(data) > MAX_FILE_BYTES:
        raise SpecError([Diagnostic("CAP004", f"the file is larger than {MAX_FILE_BYTES // 1024} KB, "
                                    "too large for a spec", _whole(path),
                                    "a spec is a few lines of text; is this the right file?")])
    if b"\x00" in data:
        raise SpecError([Diagnostic("CAP003", "this is not a text spec file (it contains NUL bytes)",
                                    _top(path), "is this a binary file? give the path of a .cap text file")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        col = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise SpecError([Diagnostic("CAP003", "this is not a text spec file "
                                    f"(invalid UTF-8 at line {line}, column {col})",
                                    _top(path), "save the spec as UTF-8 text")]) from None
    return text


def _unreadable_hint(e: BaseException) -> str | None:
    """What to do about a file the system refuses to open (None: the code's generic hint)."""
    errno_hint = {
        errno.ELOOP: "a symbolic link on the path points back to itself (directly or through other links); "
                     "point it at the .cap file",
        errno.EACCES: "you may not read this file or a folder on its path; check their permissions",
        errno.ENAMETOOLONG: "the path is too long; move the spec to a shorter path",
    }
    if isinstance(e, ValueError):
        return "the path contains a NUL character; give the path of a .cap file"
    return errno_hint.get(getattr(e, "errno", None))


def _reason(e: BaseException) -> str:
    return getattr(e, "strerror", None) or str(e) or type(e).__name__


def load_ast(path: str) -> ast.Spec:
    """Parse one spec file; its `extends` is recorded, not followed."""
    return guard(lambda: parse(read_source(path), path), path)


def load_chain(path: str) -> list[ast.Spec]:
    """The spec at `path` and every spec it extends, base first."""
    return guard(lambda: _chain(path, {})[0], path)


def load_spec(path: str | os.PathLike) -> SystemConfig:
    """Read, parse, resolve `extends`, validate. Raises SpecError only."""
    path = os.fspath(path)  # a Path is named in messages as the text it stands for

    def run() -> SystemConfig:
        chain, sources = _chain(path, {})
        return validate(chain, file=path, sources=sources)

    return guard(run, path)


def load_text(text: str, file: str = "<string>") -> SystemConfig:
    """Validate a spec given as text (handy in tests); `extends` is resolved
    relative to the directory of `file`."""

    def run() -> SystemConfig:
        spec = parse(text, file)
        sources = {file: text}
        chain = [spec]
        if spec.extends is not None:
            base, base_sources = _chain(_target(file, spec), {}, origin=spec.extends[1],
                                        seen=[os.path.realpath(file)], names=[file])
            chain = base + chain
            sources.update(base_sources)
        return validate(chain, file=file, sources=sources)

    return guard(run, file)


def _target(child: str, spec: ast.Spec) -> str:
    """The base spec's path: relative to the child's directory."""
    target, span = spec.extends  # type: ignore[misc]
    if not target.endswith(SPEC_SUFFIX):
        raise SpecError([Diagnostic("CAP007", f"`extends` only reads {SPEC_SUFFIX} spec files, not \"{target}\"",
                                    span, f"name a spec file, like \"base{SPEC_SUFFIX}\"")])
    if os.path.isabs(target):
        return os.path.normpath(target)
    return os.path.normpath(os.path.join(os.path.dirname(child), target))


def _chain(path: str, sources: dict[str, str], origin: ast.Span | None = None,
           seen: list[str] | None = None, names: list[str] | None = None) -> tuple[list[ast.Spec], dict[str, str]]:
    """Load `path` and its bases (iteratively), base first."""
    seen = list(seen or [])
    names = list(names or [])
    specs: list[ast.Spec] = []
    current, via = path, origin
    while True:
        real = os.path.realpath(current)
        if real in seen:
            cycle = " -> ".join([*names[seen.index(real):], current])
            raise SpecError([Diagnostic("CAP008", f"cyclic extends: {cycle}", via or _whole(current),
                                        "a spec cannot (directly or indirectly) extend itself")], sources)
        if len(seen) > MAX_EXTENDS_DEPTH:  # seen holds the spec itself and its bases so far
            raise SpecError([Diagnostic("CAP008", f"more than {MAX_EXTENDS_DEPTH} levels of extends",
                                        via or _whole(current), "flatten the chain of base specs")], sources)
        seen.append(real)
        names.append(current)
        try:
            text = read_source(current, via)
            sources[current] = text
            spec = parse(text, current)
        except SpecError as e:
            e.sources = {**sources, **e.sources}
            raise
        specs.append(spec)
        if spec.extends is None:
            break
        try:
            nxt = _target(current, spec)
        except SpecError as e:
            e.sources.update(sources)
            raise
        current, via = nxt, spec.extends[1]
    specs.reverse()
    return specs, sources
