"""The figures and outputs in README.md and docs/*.md, recomputed from capmodel.

    python scripts/docfigures.py            # same as --check
    python scripts/docfigures.py --check    # exit 1 and list every stale block (file:line and a diff)
    python scripts/docfigures.py --update   # rewrite the stale blocks in place

Markers (HTML comments, invisible in the rendered Markdown):

A block: the output of one capmodel command (as `capmodel ARGS` prints it,
stdout and stderr together), run in a scratch folder holding a copy of specs/
and bench/specs/, so diagrams land there and not in out/:

    <!-- figure: verify specs/async.cap --no-render | 1-8; ...; /^no_stale_read is/para -->
    ```
    ...output...
    ```
    <!-- /figure -->

`cat FILE` instead of a capmodel command shows a file. After ` | ` comes an
optional selection of lines, pieces separated by `;`, each taken after the
previous one: `3` or `3-8` or `12-` (line numbers), `/REGEX/` (the next line
matching), `/REGEX/+N` (it and N more), `/REGEX/para` (it up to the next blank
line), `...` (a line `...`, for what is left out), `blank` (an empty line).

An inline figure: one number or word, from the explicit engine exploring the
whole reachable state space (where `capmodel verify` may stop early, once every
property is violated; verdicts and counterexamples are the same):

    <!-- fig: states specs/async.cap -->29,494<!-- /fig -->

Kinds: `states`, `transitions`, `depth`, `reduced` (the states verify stores: cone of influence and
symmetry), `verdict PROPERTY`, `steps PROPERTY`
(the counterexample's length); PROPERTY may be `reachable NAME` too. Instead of
a spec file, `bench:MODE:NODES:WRITES` names a cell of bench/run.py's grid.

A file that exists only in the story a doc tells (the tutorial's `mine.cap`),
made for the figures below it in that doc:

    <!-- file: mine.cap = specs/async.cap | replace 'replication async' 'replication sync' -->
    <!-- file: mine.cap | insert-before-last '}' '' next-block -->

`= PATH` starts from a copy of PATH; without it the edits apply to the doc's
current version of the file. Edits (shell words, separated by ` | `):
`replace OLD NEW`, `delete FROM_TEXT N` (N lines from the first line holding
FROM_TEXT), `insert-before-last TEXT ITEM...` (before the last line holding
TEXT; each ITEM is a line, or `next-block`: the lines of the next fenced block
below the marker).

Timings (`0.18 s`, `162,559 states/s`) and absolute paths are masked: a block
whose output differs only in them is up to date, and --update leaves it as it is.
"""
from __future__ import annotations

import argparse
import contextlib
import difflib
import os
import re
import shlex
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ["README.md", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))]
COPIED = ["specs", "bench/specs"]  # what a figure's scratch folder holds, as in the repository

FIGURE = re.compile(r"^\s*<!--\s*figure:\s*(?P<spec>.*?)\s*-->\s*$")
FIGURE_END = re.compile(r"^\s*<!--\s*/figure\s*-->\s*$")
FILE = re.compile(r"^\s*<!--\s*file:\s*(?P<spec>.*?)\s*-->\s*$")
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})")
INLINE = re.compile(r"<!--\s*fig:\s*(?P<spec>.*?)\s*-->(?P<value>.*?)<!--\s*/fig\s*-->")
INLINE_OPEN = re.compile(r"<!--\s*fig:")

MASKS = [
    (re.compile(r"[\d,]+(?:\.\d+)? states/s"), "<N> states/s"),
    (re.compile(r"\b\d+(?:\.\d+)? ?(?:ms|s)\b"), "<T> s"),
]


class DocError(Exception):
    """A marker that cannot be read, or a figure that cannot be computed."""


@dataclass
class Block:
    """One generated place in a doc: a fenced block (inline=False) or an inline value."""

    file: str
    line: int  # 1-based line of the marker
    spec: str  # what the marker says, after `figure:` or `fig:`
    inline: bool
    text: str  # the content now in the doc
    files: dict[str, str] = field(default_factory=dict)  # the story's files at this point of the doc
    start: int = 0  # block: first content line (0-based); inline: offset of the value in its line
    end: int = 0  # block: line after the last content line; inline: end offset of the value

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


# --- parsing -------------------------------------------------------------------------------------

def parse(text: str, file: str = "<doc>", base: dict[str, str] | None = None) -> list[Block]:
    """Every figure of one doc, in order. `base` gives the text of files named by `= PATH`."""
    lines = text.split("\n")
    blocks: list[Block] = []
    files: dict[str, str] = {}
    i = 0
    while i < len(lines):
        line = lines[i]
        if m := FILE.match(line):
            name, content = _file_marker(m["spec"], files, lines, i, file, base)
            files = {**files, name: content}
        elif m := FIGURE.match(line):
            blocks.append(_figure(m["spec"], lines, i, file, files))
            i = blocks[-1].end + 1  # the closing fence; the end marker follows it
        elif FIGURE_END.match(line):
            raise DocError(f"{file}:{i + 1}: <!-- /figure --> without a <!-- figure: ... --> above it")
        else:
            pos = 0
            for m in INLINE.finditer(line):
                _check_no_open(line[pos:m.start()], file, i)
                blocks.append(Block(file, i + 1, m["spec"], True, m["value"], files, m.start("value"),
                                    m.end("value")))
                pos = m.end()
            _check_no_open(line[pos:], file, i)
        i += 1
    return blocks


def _check_no_open(rest: str, file: str, i: int) -> None:
    if INLINE_OPEN.search(rest):
        raise DocError(f"{file}:{i + 1}: unterminated inline figure: <!-- fig: ... --> needs "
                       "<!-- /fig --> after its value on the same line")


def _figure(spec: str, lines: list[str], i: int, file: str, files: dict[str, str]) -> Block:
    where = f"{file}:{i + 1}"
    if i + 1 >= len(lines) or not (fence := FENCE.match(lines[i + 1])):
        raise DocError(f"{where}: a figure marker must be followed by a fenced code block (```)")
    closing = fence["fence"]
    for j in range(i + 2, len(lines)):
        if FIGURE.match(lines[j]) or FIGURE_END.match(lines[j]):
            break
        if lines[j].strip() == closing:
            if j + 1 < len(lines) and FIGURE_END.match(lines[j + 1]):
                return Block(file, i + 1, spec, False, "\n".join(lines[i + 2:j]), files, i + 2, j)
            raise DocError(f"{where}: unterminated figure block: its code block ends at line {j + 1}, "
                           "which must be followed by <!-- /figure -->")
    raise DocError(f"{where}: unterminated figure block: no closing {closing} and <!-- /figure --> "
                   "before the next figure or the end of the file")


def _file_marker(spec: str, files: dict[str, str], lines: list[str], i: int, file: str,
                 base: dict[str, str] | None) -> tuple[str, str]:
    where = f"{file}:{i + 1}"
    steps = [s.strip() for s in spec.split(" | ")]
    head = steps.pop(0)
    name, _, source = (part.strip() for part in head.partition("="))
    if source:
        content = (base or {}).get(source)
        if content is None:
            path = ROOT / source
            if not path.is_file():
                raise DocError(f"{where}: {source} does not exist")
            content = path.read_text(encoding="utf-8")
    elif name in files:
        content = files[name]
    else:
        raise DocError(f"{where}: {name} is not defined above: say `{name} = PATH`")
    for step in steps:
        content = _edit(content, shlex.split(step), lines, i, where)
    return name, content


def _edit(content: str, words: list[str], lines: list[str], i: int, where: str) -> str:
    op, args = words[0], words[1:]
    text = content.split("\n")
    if op == "replace" and len(args) == 2:
        if args[0] not in content:
            raise DocError(f"{where}: replace: {args[0]!r} is not in the file")
        return content.replace(args[0], args[1], 1)
    if op == "delete" and len(args) == 2:
        k = _find(text, args[0], where, last=False)
        return "\n".join(text[:k] + text[k + int(args[1]):])
    if op == "insert-before-last" and args:
        k = _find(text, args[0], where, last=True)
        new: list[str] = []
        for item in args[1:]:
            new += _next_block(lines, i, where) if item == "next-block" else [item]
        return "\n".join(text[:k] + new + text[k:])
    raise DocError(f"{where}: unknown edit {' '.join(words)!r}: use replace OLD NEW, delete FROM_TEXT N "
                   "or insert-before-last TEXT ITEM...")


def _find(text: list[str], needle: str, where: str, last: bool) -> int:
    hits = [k for k, line in enumerate(text) if needle in line]
    if not hits:
        raise DocError(f"{where}: no line holds {needle!r}")
    return hits[-1] if last else hits[0]


def _next_block(lines: list[str], i: int, where: str) -> list[str]:
    for j in range(i + 1, len(lines)):
        if fence := FENCE.match(lines[j]):
            for k in range(j + 1, len(lines)):
                if lines[k].strip() == fence["fence"]:
                    return lines[j + 1:k]
    raise DocError(f"{where}: next-block: no fenced block below")


# --- computing ----------------------------------------------------------------------------------

@contextlib.contextmanager
def scratch(files: dict[str, str]):
    """A folder like the repository root for one figure: copies of specs/ and bench/specs/,
    the story's files, and the current directory moved there."""
    old = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="docfig-") as tmp:
        for folder in COPIED:
            if (ROOT / folder).is_dir():
                shutil.copytree(ROOT / folder, Path(tmp) / folder)
        for name, content in files.items():
            path = Path(tmp) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
        os.chdir(tmp)
        try:
            yield Path(tmp)
        finally:
            os.chdir(old)


@contextlib.contextmanager
def placeholder_images():
    """Diagrams without running Graphviz: the same paths in the report whether or not `dot` is
    installed, and no time spent drawing pictures nobody looks at."""
    from capmodel.render import diagrams

    def render_dot(source, target, fmt):
        out = Path(target).with_suffix("." + fmt)
        out.write_text("", encoding="utf-8")
        return out

    saved = diagrams.have_dot, diagrams.render_dot
    diagrams.have_dot, diagrams.render_dot = (lambda: True), render_dot
    try:
        yield
    finally:
        diagrams.have_dot, diagrams.render_dot = saved


_cache: dict[tuple, str] = {}


def compute(block: Block) -> str:
    """What the block should hold now."""
    key = (block.inline, block.spec, tuple(sorted(block.files.items())))
    if key not in _cache:
        try:
            _cache[key] = _inline(block) if block.inline else _output(block)
        except DocError as err:
            raise DocError(f"{block.where}: {err}") from None
        except Exception as err:  # capmodel itself failed: say where, and keep going
            raise DocError(f"{block.where}: {block.spec}: {type(err).__name__}: {err}") from err
    return _cache[key]


def _output(block: Block) -> str:
    command, _, selection = block.spec.partition(" | ")
    args = shlex.split(command)
    if not args:
        raise DocError("empty figure command")
    with scratch(block.files) as tmp:
        if args[0] == "cat":
            try:
                out = "".join(Path(a).read_text(encoding="utf-8") for a in args[1:])
            except OSError as err:
                raise DocError(f"cat: {err}") from None
        else:
            out = run_capmodel(args)
        out = out.replace(str(tmp) + os.sep, "").replace(str(ROOT) + os.sep, "")
    return "\n".join(select(out.rstrip("\n").split("\n"), selection))


def run_capmodel(args: list[str]) -> str:
    """`capmodel ARGS` in this process: stdout and stderr as a terminal would show them."""
    from click.testing import CliRunner

    from capmodel import cli

    with placeholder_images():
        result = CliRunner().invoke(cli.cli, args)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise DocError(f"capmodel {shlex.join(args)} failed: {type(result.exception).__name__}: "
                       f"{result.exception}")
    return result.output


def select(lines: list[str], selection: str) -> list[str]:
    """The lines a selection (`1-8; ...; /REGEX/para`) keeps; all of them without one."""
    if not selection.strip():
        return lines
    out: list[str] = []
    pos = 0  # pieces are taken in order: each searches after the previous one
    for piece in (p.strip() for p in selection.split(";")):
        if piece == "...":
            out.append("...")
        elif piece == "blank":
            out.append("")
        elif m := re.fullmatch(r"(\d+)(?:-(\d*))?", piece):
            first = int(m[1]) - 1
            last = int(m[1]) if m[2] is None else (int(m[2]) if m[2] else len(lines))
            if first >= len(lines) or last > len(lines) or last <= first:
                raise DocError(f"lines {piece} are not in the {len(lines)}-line output")
            out += lines[first:last]
            pos = last
        elif m := re.fullmatch(r"/(.*)/(?:\+(\d+)|(para))?", piece):
            pattern = re.compile(m[1])
            k = next((k for k in range(pos, len(lines)) if pattern.search(lines[k])), None)
            if k is None:
                raise DocError(f"no line matches /{m[1]}/ (after line {pos})")
            if m[3]:
                last = next((j for j in range(k, len(lines)) if not lines[j].strip()), len(lines))
            else:
                last = min(len(lines), k + 1 + int(m[2] or 0))
            out += lines[k:last]
            pos = last
        else:
            raise DocError(f"cannot read the selection {piece!r}: use N, N-M, N-, /REGEX/, /REGEX/+N, "
                           "/REGEX/para, ... or blank")
    return out


def _inline(block: Block) -> str:
    words = shlex.split(block.spec)
    kind = words[0] if words else ""
    if kind in ("states", "transitions", "depth") and len(words) == 2:
        stats = explicit_result(words[1], block.files).stats
        return f"{getattr(stats, kind):,}"
    if kind == "reduced" and len(words) == 2:  # states stored by verify: cone of influence and symmetry
        return f"{reduced_result(words[1], block.files).stats.states:,}"
    if kind in ("verdict", "steps") and len(words) >= 3:
        name, spec = " ".join(words[1:-1]), words[-1]
        result = explicit_result(spec, block.files)
        if name.startswith("reachable "):
            found = [r for r in result.reachables if r.name == name.split(" ", 1)[1]]
        else:
            found = [p for p in result.properties if p.name == name]
        if not found:
            raise DocError(f"{spec} has no property {name!r}")
        if kind == "verdict":
            from capmodel.render.text import verdict_words

            return verdict_words(found[0])
        if found[0].trace is None:
            raise DocError(f"{name} has no counterexample in {spec}")
        return f"{len(found[0].trace.steps)}"
    raise DocError(f"unknown inline figure {block.spec!r}: use states SPEC, transitions SPEC, depth SPEC, reduced SPEC, "
                   "verdict PROPERTY SPEC or steps PROPERTY SPEC")


def explicit_result(spec: str, files: dict[str, str]):
    """The explicit engine's result on a spec: the whole reachable state space, also when every
    property is violated early (where `capmodel verify` stops); verdicts and shortest
    counterexamples are the same as verify's. The compiled engine searches where it can run
    (tests/test_compiled_engine.py holds it to the Python engine's states, transitions, depth,
    verdicts and traces on every shipped spec); the Python engine took 5 s on the largest."""
    key = ("explicit", spec, tuple(sorted(files.items())))
    if key not in _cache:
        from capmodel.engines import compiled, explicit
        from capmodel.semantics.build import build_model
        from capmodel.syntax.diagnostics import SpecError
        from capmodel.syntax.load import load_spec

        with scratch(files):
            try:
                cfg = bench_cell(spec) if spec.startswith("bench:") else load_spec(spec)
            except SpecError as err:
                raise DocError(f"{spec} is not a valid spec:\n{err.render()}") from None
            engine = compiled if compiled.available() is None else explicit
            _cache[key] = engine.check(build_model(cfg), stop_when_decided=False)
    return _cache[key]


def reduced_result(spec: str, files: dict[str, str]):
    """What `capmodel verify` explores, reductions included, over the whole state space."""
    key = ("reduced", spec, tuple(sorted(files.items())))
    if key not in _cache:
        from capmodel.engines import search
        from capmodel.semantics.build import build_model
        from capmodel.syntax.load import load_spec

        with scratch(files):
            _cache[key] = search.check(build_model(load_spec(spec)), stop_when_decided=False)
    return _cache[key]


def bench_cell(spec: str):
    """`bench:MODE:NODES:WRITES`: the system of one cell of bench/run.py's grid."""
    import importlib.util

    try:
        _, mode, nodes, writes = spec.split(":")
        size = int(nodes), int(writes)
    except ValueError:
        raise DocError(f"{spec!r}: a bench cell is bench:MODE:NODES:WRITES") from None
    loader = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
    bench = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(bench)
    return bench.system(mode, *size)


# --- comparing and rewriting -------------------------------------------------------------------

def mask(text: str) -> str:
    for pattern, replacement in MASKS:
        text = pattern.sub(replacement, text)
    return text


def stale(block: Block) -> str | None:
    """None when the block is up to date, else the new content."""
    new = compute(block)
    return None if mask(new) == mask(block.text) else new


def diff(block: Block, new: str) -> str:
    return "\n".join(difflib.unified_diff(mask(block.text).split("\n"), mask(new).split("\n"),
                                          f"{block.where} (in the doc)", f"{block.where} (recomputed)",
                                          lineterm=""))


def doc_blocks(docs: list[str] | None = None) -> list[Block]:
    return [b for doc in (docs or DOCS) for b in parse((ROOT / doc).read_text(encoding="utf-8"), doc)]


def rewrite(text: str, changes: list[tuple[Block, str]]) -> str:
    """The doc with each (block, new content) put in; blocks from parse(text)."""
    lines = text.split("\n")
    # from the bottom up, and right to left within a line, so earlier offsets stay valid
    for block, new in sorted(changes, key=lambda c: (c[0].line, c[0].start), reverse=True):
        if block.inline:
            k = block.line - 1
            lines[k] = lines[k][:block.start] + new + lines[k][block.end:]
        else:
            lines[block.start:block.end] = new.split("\n") if new else []
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="list stale blocks and exit 1 if any (default)")
    mode.add_argument("--update", action="store_true", help="rewrite stale blocks")
    ap.add_argument("docs", nargs="*", help="only these files (relative to the repository root)")
    args = ap.parse_args(argv)
    sys.path.append(str(ROOT))  # capmodel from the checkout when it is not installed
    failures = 0
    for doc in args.docs or DOCS:
        path = ROOT / doc
        text = path.read_text(encoding="utf-8")
        try:
            blocks = parse(text, doc)
        except DocError as err:
            print(f"error: {err}", file=sys.stderr)
            failures += 1
            continue
        changes = []
        for block in blocks:
            try:
                if (new := stale(block)) is not None:
                    changes.append((block, new))
            except DocError as err:  # left as it is; the others are still checked or updated
                print(f"error: {err}", file=sys.stderr)
                failures += 1
        for block, new in changes:
            if args.update:
                print(f"{block.where}: updated ({block.spec})")
            else:
                print(f"{block.where}: stale ({block.spec})\n{diff(block, new)}\n")
        if args.update and changes:
            path.write_text(rewrite(text, changes), encoding="utf-8")
        failures += 0 if args.update else len(changes)
    if failures:
        print(f"{failures} stale or broken figure(s); `python scripts/docfigures.py --update` "
              "rewrites the stale ones", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
