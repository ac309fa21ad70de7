"""The parse cache (syntax/parse_cache.py): a cached AST is the parser's own,
a stale, foreign or damaged entry is parsed again, errors are never cached,
and a warm cache spares a verify the import of Lark."""
from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from capmodel.syntax import parse_cache, parser
from capmodel.syntax.diagnostics import SpecError

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "specs").glob("**/*.cap"))


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CAPMODEL_CACHE_DIR", str(tmp_path))
    return tmp_path


def not_parsed(monkeypatch):
    """From here on, a call of the real parser fails the test."""
    def refuse(text, file="<string>"):
        raise AssertionError(f"{file} was parsed, not read from the cache")
    monkeypatch.setattr(parser, "parse", refuse)


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_cached_ast_is_the_parsers(spec, cache, monkeypatch):
    text, name = spec.read_text(), str(spec.relative_to(ROOT))
    expected = parser.parse(text, name)
    assert parse_cache.parse(text, name) == expected  # parsed, then stored
    not_parsed(monkeypatch)
    assert parse_cache.parse(text, name) == expected


def test_an_edited_spec_is_parsed_again(cache):
    text = (ROOT / "specs/async.cap").read_text()
    first = parse_cache.parse(text, "s.cap")
    edited = text.replace("system ", "system edited_", 1)
    second = parse_cache.parse(edited, "s.cap")
    assert second == parser.parse(edited, "s.cap") and second != first
    assert parse_cache.parse(text, "other.cap") == parser.parse(text, "other.cap")  # spans name the file
    assert len(list(cache.glob("spec-*.pickle"))) == 2  # one entry per path: the edit replaced it


@pytest.mark.parametrize("content", [b"", b"not a pickle", pickle.dumps(("another key", "a string")),
                                     None])
def test_a_damaged_or_foreign_entry_is_parsed_again(cache, content):
    text = (ROOT / "specs/sync.cap").read_text()
    expected = parser.parse(text, "sync.cap")
    parse_cache.parse(text, "sync.cap")
    (entry,) = cache.glob("spec-*.pickle")
    if content is None:  # the entry of another text, under this path's name
        other = (ROOT / "specs/async.cap").read_text()
        key = parse_cache._entry("spec", "sync.cap", other)[1]
        content = pickle.dumps((key, parser.parse(other, "sync.cap")))
    entry.write_bytes(content)
    assert parse_cache.parse(text, "sync.cap") == expected


def test_errors_are_reported_each_time_and_never_stored(cache):
    for _ in range(2):
        with pytest.raises(SpecError) as info:
            parse_cache.parse("system s { nodes a b }", "bad.cap")
        assert info.value.diagnostics[0].code == "CAP104"
    assert not list(cache.glob("spec-*.pickle"))


def test_keywords_are_the_grammars(cache, monkeypatch):
    parse_cache.keywords.cache_clear()
    try:
        expected = parser.keywords()
        assert parse_cache.keywords() == expected  # from the grammar, then stored
        parse_cache.keywords.cache_clear()
        monkeypatch.setattr(parser, "keywords", lambda: pytest.fail("the keywords were not read from the cache"))
        assert parse_cache.keywords() == expected
    finally:
        parse_cache.keywords.cache_clear()


def test_no_cache_folder_parses_each_time(monkeypatch):
    monkeypatch.setenv("CAPMODEL_CACHE_DIR", "/proc/no-such-folder")
    text = (ROOT / "specs/cp.cap").read_text()
    assert parse_cache.parse(text, "cp.cap") == parser.parse(text, "cp.cap")


HEAVY = ("lark", "rich", "z3", "graphviz", "jsonschema", "numpy")


@pytest.mark.slow
def test_a_cached_verify_imports_no_heavy_library(cache):
    """`capmodel verify` of a shipped spec, twice in fresh processes: the second,
    with warm caches, imports none of HEAVY (the first needs Lark to parse)."""
    code = ("import atexit, sys; atexit.register(lambda: print('imported:', *(m for m in %r if m in sys.modules))); "
            "from capmodel.cli import main; "
            "sys.argv = ['capmodel', 'verify', 'specs/textbook/raft_majority.cap', '--no-render', '-q']; main()"
            % (HEAVY,))
    imported = []
    for _ in range(2):
        proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                              env={**os.environ, "CAPMODEL_CACHE_DIR": str(cache)})
        assert proc.returncode == 1, proc.stderr  # raft_majority has a violation
        (line,) = [line for line in proc.stdout.splitlines() if line.startswith("imported:")]
        imported.append(line.split()[1:])
    assert "lark" in imported[0] and imported[1] == []
