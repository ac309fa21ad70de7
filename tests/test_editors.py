"""editors/ (the TextMate grammar for .cap and its VS Code extension), the pre-commit hook
and the Dockerfile (docs/editors.md). The Dockerfile is linted, not built."""
from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

from helpers import grammar_keywords

ROOT = Path(__file__).resolve().parent.parent
EDITORS = ROOT / "editors"
TM = json.loads((EDITORS / "cap.tmLanguage.json").read_text())
WORD_LIST = re.compile(r"^\\b\(\?:([a-z_|]+)\)\\b$")


def textmate_keywords() -> set[str]:
    """Every word of the TextMate grammar's keyword and constant lists."""
    words: set[str] = set()
    for name, rule in TM["repository"].items():
        found = WORD_LIST.match(rule.get("match", ""))
        if found:
            assert rule["name"].startswith(("keyword.", "constant.language.")), name
            words |= set(found.group(1).split("|"))
    return words


def test_keywords_match_the_lark_grammar():
    keywords = grammar_keywords()
    assert {"system", "replication", "forall", "implies", "true", "read_concern"} <= keywords
    assert "NAME" not in keywords and "==" not in keywords
    tm = textmate_keywords()
    assert tm - keywords == set(), "in the TextMate grammar, not in grammar.lark"
    assert keywords - tm == set(), "in grammar.lark, not in the TextMate grammar"


def test_textmate_grammar_is_well_formed():
    assert TM["scopeName"] == "source.cap" and TM["fileTypes"] == ["cap"]
    included = {p["include"].lstrip("#") for p in TM["patterns"]}
    assert included == set(TM["repository"])
    for rule in TM["repository"].values():
        re.compile(rule["match"])  # these patterns mean the same in Oniguruma
    package = json.loads((EDITORS / "package.json").read_text())
    (grammar,) = package["contributes"]["grammars"]
    assert grammar["scopeName"] == TM["scopeName"] and (EDITORS / grammar["path"]).resolve() == \
        (EDITORS / "cap.tmLanguage.json").resolve()
    (language,) = package["contributes"]["languages"]
    assert language["extensions"] == [".cap"] and (EDITORS / language["configuration"]).exists()


def scopes(line: str) -> dict[str, str]:
    """word -> scope, by the first pattern matching at each position (as a TextMate tokenizer does)."""
    rules = [TM["repository"][p["include"].lstrip("#")] for p in TM["patterns"]]
    out, pos = {}, 0
    while pos < len(line):
        for rule in rules:
            m = re.compile(rule["match"]).match(line, pos)
            if m and m.end() > pos:
                if "name" in rule:
                    out.setdefault(m.group(0), rule["name"])
                for k, capture in rule.get("captures", {}).items():
                    out.setdefault(m.group(int(k)), capture["name"])
                pos = m.end()
                break
        else:
            pos += 1
    return out


def test_a_shipped_spec_is_highlighted():
    source = (ROOT / "specs" / "sync.cap").read_text().splitlines()
    seen: dict[str, str] = {}
    for line in source:
        seen.update({k: v for k, v in scopes(line).items() if k not in seen})
    assert seen["system"].startswith("keyword.control") and seen["sync_replication"].startswith("entity.name")
    assert seen["acked_everywhere"] == "entity.name.function.cap"
    assert seen["forall"].startswith("keyword.operator") and seen["implies"].startswith("keyword.operator")
    assert seen["crashes"].startswith("keyword.") and seen["1"] == "constant.numeric.integer.cap"
    assert any(v.startswith("comment") for v in seen.values())


def hook() -> dict[str, str]:
    """The one hook of .pre-commit-hooks.yaml (flat `key: value` lines; no YAML library needed)."""
    text = (ROOT / ".pre-commit-hooks.yaml").read_text()
    assert text.count("- id:") == 1
    fields = {}
    for line in text.splitlines():
        m = re.match(r"^[- ] (\w+): (.*)$", line)
        if m:
            fields[m.group(1)] = m.group(2)
    return fields


def test_pre_commit_hook_runs_capmodel_check(tmp_path):
    fields = hook()
    assert fields["id"] == "capmodel-check" and fields["language"] == "python"
    assert re.search(fields["files"], "specs/async.cap") and not re.search(fields["files"], "README.md")
    command = shlex.split(fields["entry"])
    assert command == ["python", "-m", "capmodel", "check"]  # every staged spec in one run
    command[0] = sys.executable  # pre-commit's environment has capmodel installed, as this one does
    good = subprocess.run(command + ["specs/async.cap", "specs/cp.cap"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert good.returncode == 0, good.stderr
    assert good.stdout.count("is valid") == 2
    bad = tmp_path / "bad.cap"
    bad.write_text("system bad {\n  nodes master, slave\n  leader slave3\n}\n")
    run = subprocess.run(command + [str(bad), "specs/async.cap"], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 2
    assert f"{bad}:3:10" in run.stderr and "hint" in run.stderr and "is valid" in run.stdout


def test_dockerfile_installs_the_package_and_graphviz():
    lines = [ln.strip() for ln in (ROOT / "Dockerfile").read_text().splitlines()
             if ln.strip() and not ln.lstrip().startswith("#")]
    joined = " ".join(ln.rstrip("\\") for ln in lines)
    assert lines[0] == "FROM python:3.11-slim"
    assert re.search(r"apt-get install -y --no-install-recommends graphviz\b", joined)
    assert re.search(r"pip install --no-cache-dir \.( |$)", joined)
    for line in lines:
        instruction = line.split()[0]
        assert instruction.isupper() or lines[lines.index(line) - 1].endswith("\\"), line
        if instruction == "COPY":
            for source in line.split()[1:-1]:  # a pattern (LICENSE*) may match nothing yet
                assert "*" in source or (ROOT / source).exists(), source
    copied = {s for ln in lines if ln.startswith("COPY") for s in ln.split()[1:-1]}
    assert {"pyproject.toml", "README.md", "capmodel"} <= copied  # what `pip install .` reads
    assert json.loads(lines[-2].split(None, 1)[1]) == ["capmodel"]
