"""The documentation: the mkdocs site builds with --strict, and docs/language.md names every word of the language."""
import re
import subprocess
import sys
from pathlib import Path

from helpers import grammar_keywords

from capmodel import catalogue

ROOT = Path(__file__).parent.parent
LANGUAGE = (ROOT / "docs" / "language.md").read_text()


def test_mkdocs_site_builds_strict(tmp_path):
    """--strict turns every warning into a failure: a broken link or anchor, a page left out of nav."""
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"),
                           "-d", str(tmp_path / "site")], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    pages = {p.stem for p in (ROOT / "docs").glob("*.md")}
    built = {p.parent.name for p in (tmp_path / "site").glob("*/index.html")}
    assert pages == built, f"pages not built: {pages - built}"
    assert "semi_sync" in (tmp_path / "site" / "language" / "index.html").read_text()


def code_in(markdown: str) -> str:
    """The text of every fenced block and inline `code` span: where a reference shows what to type."""
    blocks = re.findall(r"^```[^\n]*\n(.*?)^```", markdown, re.DOTALL | re.MULTILINE)
    spans = re.findall(r"`([^`\n]+)`", re.sub(r"^```.*?^```", "", markdown, flags=re.DOTALL | re.MULTILINE))
    return "\n".join(blocks + spans)


def words(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))


def test_language_reference_shows_every_keyword_of_the_grammar():
    keywords = grammar_keywords()
    assert {"system", "lemma", "faults", "implies"} <= keywords
    missing = keywords - words(code_in(LANGUAGE))
    assert not missing, f"grammar.lark keywords that docs/language.md never shows as code: {sorted(missing)}"


def test_language_reference_shows_every_word_of_the_catalogue():
    tables = [catalogue.REPLICATION_MODES, catalogue.CONSISTENCY_LEVELS, catalogue.READ_REPAIR,
              catalogue.READ_CONCERNS, catalogue.READ_POLICIES, catalogue.FAILOVER_STRATEGIES,
              catalogue.FAILOVER_OPTIONS, catalogue.ACK_POINTS, catalogue.VISIBILITY, catalogue.STANDBY_RULES,
              catalogue.PROPERTIES, catalogue.LEADERLESS_PROPERTIES, catalogue.GLOBALS, catalogue.DOMAINS,
              *catalogue.ATTRIBUTES.values()]
    wanted = {word for table in tables for word in table}
    missing = wanted - words(code_in(LANGUAGE))
    assert not missing, f"catalogue words that docs/language.md never shows as code: {sorted(missing)}"


def test_language_reference_shows_the_forms_the_issue_named():
    code = code_in(LANGUAGE)
    assert "semi_sync K" in code and "semi_sync 1 timeout" in code
    assert re.search(r"lemma \w+: ", code)  # a lemma with its condition
    assert "writes +2" in code and "crashes -1" in code  # signed numbers in statements
    for operator in ["==", "!=", "<=", ">=", "<", ">", "+", "-", "(", ")", ".attr"]:
        assert operator in code, operator
