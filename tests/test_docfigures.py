"""Every figure in README.md and docs/*.md is what capmodel prints today (scripts/docfigures.py)."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("docfigures", ROOT / "scripts" / "docfigures.py")
docfigures = sys.modules["docfigures"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(docfigures)

BLOCKS = docfigures.doc_blocks()


def test_the_docs_have_figures():
    assert {b.file for b in BLOCKS} >= {"README.md", "docs/tutorial.md", "docs/systems.md"}


@pytest.mark.slow
@pytest.mark.parametrize("block", BLOCKS, ids=[f"{b.where} {b.spec[:40]}" for b in BLOCKS])
def test_doc_figure_is_up_to_date(block):
    new = docfigures.compute(block)
    assert docfigures.mask(block.text) == docfigures.mask(new), (
        f"{block.where} is stale: run `python scripts/docfigures.py --update`\n{docfigures.diff(block, new)}")


DOC = """\
Intro `x`.
<!-- file: a.cap = base.cap | replace 'old' 'new' -->
<!-- figure: verify a.cap --no-render | 1-2; ...; /^z/para -->
```
first
second
...
z 1
z 2
```
<!-- /figure -->
It has <!-- fig: states a.cap -->1,290<!-- /fig --> states, <!-- fig: verdict p a.cap -->HOLDS<!-- /fig -->.
<!-- file: a.cap | insert-before-last '}' '' next-block -->
```
  extra
```
"""


def test_parse_blocks_files_and_inline_figures():
    blocks = docfigures.parse(DOC, "d.md", base={"base.cap": "system old {\n}"})
    assert [(b.line, b.inline, b.spec) for b in blocks] == [
        (3, False, "verify a.cap --no-render | 1-2; ...; /^z/para"),
        (12, True, "states a.cap"), (12, True, "verdict p a.cap")]
    assert blocks[0].text == "first\nsecond\n...\nz 1\nz 2"
    assert blocks[0].files == {"a.cap": "system new {\n}"}
    assert [b.text for b in blocks[1:]] == ["1,290", "HOLDS"]
    assert docfigures.rewrite(DOC, [(blocks[0], "one"), (blocks[1], "7"), (blocks[2], "VIOLATED")]) == (
        DOC.replace("first\nsecond\n...\nz 1\nz 2", "one").replace(">1,290<", ">7<").replace(">HOLDS<", ">VIOLATED<"))


def test_file_edits_and_next_block():
    doc = DOC + "<!-- fig: depth a.cap -->3<!-- /fig -->\n"
    last = docfigures.parse(doc, "d.md", base={"base.cap": "system old {\n}"})[-1]
    assert last.files == {"a.cap": "system new {\n\n  extra\n}"}
    deleted = docfigures.parse("<!-- file: b = base | delete 'two' 2 -->\n<!-- fig: depth b -->1<!-- /fig -->",
                               base={"base": "one\ntwo\nthree\nfour"})[0]
    assert deleted.files == {"b": "one\nfour"}


@pytest.mark.parametrize("doc, message", [
    ("a\n<!-- figure: properties -->\n```\nno end\n", "d.md:2: unterminated figure block"),
    ("<!-- figure: properties -->\n```\nx\n```\nprose\n", "d.md:1: unterminated figure block"),
    ("<!-- figure: properties -->\nprose\n", "d.md:1: a figure marker must be followed by a fenced code block"),
    ("text\n<!-- /figure -->\n", "d.md:2: <!-- /figure --> without"),
    ("x <!-- fig: states a.cap -->12\n", "d.md:1: unterminated inline figure"),
    ("<!-- file: m.cap | replace a b -->\n", "d.md:1: m.cap is not defined above"),
])
def test_parse_errors_say_where(doc, message):
    with pytest.raises(docfigures.DocError, match="^" + message.replace("(", r"\(")):
        docfigures.parse(doc, "d.md")


def test_select_and_mask():
    lines = ["head", "", "a 1", "  a 2", "", "b", "c"]
    assert docfigures.select(lines, "1; ...; /^a/para; blank; /^b/+1") == ["head", "...", "a 1", "  a 2", "", "b", "c"]
    assert docfigures.select(lines, "6-") == ["b", "c"]
    with pytest.raises(docfigures.DocError, match="no line matches"):
        docfigures.select(lines, "/^b/; /^a/")
    assert docfigures.mask("in 0.18 s (162,559 states/s): 3 steps") == docfigures.mask("in 2.5 s (9 states/s): 3 steps")
    assert docfigures.mask("3 steps") != docfigures.mask("4 steps")
