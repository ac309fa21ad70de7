"""The `capmodel` command: verify, check, properties, cap, infer (and render, graph).

Exit codes: 0 every checked property holds; 1 a property is violated (or a
deadlock, or a `reachable` condition that can never happen); 2 invalid spec
or usage; 3 a bound was reached before a verdict (or Z3 found no counterexample
up to a depth without a proof); 4 the explicit and Z3 engines disagree; 130 Ctrl-C (after the
partial report).
"""
from __future__ import annotations

import json
import sys
import time

import click

from . import catalogue
from .engines import explicit
from .engines.result import CheckResult
from .render import text

EXIT_OK, EXIT_VIOLATED, EXIT_INVALID, EXIT_INCOMPLETE, EXIT_DISAGREE = 0, 1, 2, 3, 4
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT

# verify's default bounds: they protect the machine, not the verdicts (a run
# that reaches one is INCOMPLETE, never HOLDS)
DEFAULT_MAX_STATES = 3_000_000
MEMORY_SHARE = 0.5  # of the memory available when the run starts
MAX_SECONDS = 1_000_000.0  # a --timeout beyond about 11 days is a typo


class Seconds(click.ParamType):
    """A finite number of seconds between 0.1 and MAX_SECONDS (not inf, nan or negative)."""

    name = "seconds"

    def convert(self, value, param, ctx):
        if isinstance(value, float):
            seconds = value
        else:
            try:
                seconds = float(value)
            except (TypeError, ValueError):
                self.fail(f"{value!r} is not a number of seconds", param, ctx)
        if not 0.1 <= seconds <= MAX_SECONDS:  # also false for nan
            self.fail(f"{value!r} is not a number of seconds between 0.1 and {MAX_SECONDS:,.0f}", param, ctx)
        return seconds


def memory_budget(megabytes: int | None) -> int | None:
    """--max-memory in bytes; by default a share of the memory available now (None where unknown)."""
    if megabytes is not None:
        return megabytes * 2**20
    available = explicit.memory_available()
    return None if available is None else int(available * MEMORY_SHARE)


def interrupted(result) -> bool:
    return result is not None and result.stats.bound == explicit.INTERRUPTED


class Progress:
    """States, depth and rate on stderr once a run has lasted a second: a
    live line on a terminal, and a plain line every 30 s when stderr is piped
    (a long run is never silent). Nothing with --json or --quiet."""

    PIPED_EVERY = 30.0

    def __init__(self, enabled: bool, terminal: bool | None = None) -> None:
        self.enabled = enabled
        self.terminal = sys.stderr.isatty() if terminal is None else terminal
        self.live = None
        self.next_piped = self.PIPED_EVERY

    def __call__(self, states: int, depth: int, seconds: float) -> None:
        if not self.enabled or seconds < 1.0:
            return
        line = f"exploring: {states:,} states, depth {depth}, {states / seconds:,.0f} states/s, {seconds:.0f} s"
        if not self.terminal:
            if seconds >= self.next_piped:
                self.next_piped = seconds + self.PIPED_EVERY
                click.echo(line, err=True)
            return
        if self.live is None:
            from rich.console import Console
            from rich.live import Live

            # transient: the line disappears when the run ends, leaving only the report
            self.live = Live(line, console=Console(stderr=True), transient=True, refresh_per_second=4)
            self.live.start()
        else:
            self.live.update(line)

    def close(self) -> None:
        if self.live is not None:
            self.live.stop()


def _load(path: str):
    """Load and validate one spec; print its diagnostics and return None when invalid."""
    from .syntax.diagnostics import SpecError
    from .syntax.load import load_spec

    try:
        return load_spec(path)
    except SpecError as err:
        click.echo(err.render(), err=True)
        return None


def _exit_code(results: list[CheckResult]) -> int:
    if any(r.failed for r in results):
        return EXIT_VIOLATED
    if any(r.incomplete for r in results):
        return EXIT_INCOMPLETE
    return EXIT_OK


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="capmodel")
def cli() -> None:
    """Model-check database replication setups: every interleaving of writes,
    reads, crashes, partitions and failovers within a spec's bounds."""


@cli.command()
@click.argument("specs", nargs=-1, required=True, type=click.Path(dir_okay=True))
@click.option("--property", "-p", "properties", multiple=True, metavar="NAME",
              help="Check only this property (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of text.")
@click.option("--max-states", type=click.IntRange(min=1), default=DEFAULT_MAX_STATES, show_default=True,
              help="Stop after N distinct states (INCOMPLETE, never HOLDS).")
@click.option("--max-memory", type=click.IntRange(min=1), default=None, metavar="MB",
              help="Stop when the search holds this many MB (INCOMPLETE). "
                   f"Default: {MEMORY_SHARE:.0%} of the memory available when the run starts.")
@click.option("--max-depth", type=click.IntRange(min=0), default=None, help="Explore at most N steps deep.")
@click.option("--out", "out_dir", default="out", show_default=True, type=click.Path(file_okay=False),
              help="Folder for counterexample diagrams (one subfolder per spec).")
@click.option("--no-render", is_flag=True, help="Do not write diagrams.")
@click.option("--format", "fmt", type=click.Choice(["svg", "png"]), default="svg", show_default=True,
              help="Image format of the rendered diagrams.")
@click.option("--engine", type=click.Choice(["explicit", "z3", "both"]), default="explicit", show_default=True,
              help="explicit BFS, Z3 (bounded model checking and induction), or both, compared.")
@click.option("--no-symmetry", is_flag=True,
              help="Store every state, not one per orbit of interchangeable nodes.")
@click.option("--quiet", "-q", is_flag=True, help="No progress lines on stderr.")
@click.option("--timeout", type=Seconds(), default=None,
              help="Seconds for the Z3 engine as a whole (INCOMPLETE when it runs out).")
def verify(specs, properties, as_json, max_states, max_memory, max_depth, out_dir, no_render, fmt, engine,
           no_symmetry, quiet, timeout):
    """Explore every interleaving and give each property a verdict.

    The explicit search stops at --max-states states or at --max-memory MB,
    whichever comes first, and says so: the verdicts it could not reach are
    INCOMPLETE. Ctrl-C stops it too and prints what is known so far (exit 130)."""
    from .render.diagrams import DiagramsNotWritten, folder_names, write_counterexamples
    from .semantics.build import build_model

    configs = [(path, _load(path)) for path in specs]
    if any(cfg is None for _, cfg in configs):
        sys.exit(EXIT_INVALID)
    budget = memory_budget(max_memory)
    results = []
    documents = []
    diagram_errors: list[str] = []
    stopped = False
    for (path, cfg), folder in zip(configs, folder_names(specs)):
        wanted = list(properties) or None
        if wanted:
            unknown = [p for p in wanted if p not in cfg.checks and p not in
                       [c.name.text for c in cfg.invariants]]
            if unknown:
                click.echo(f"error: {path} does not check {', '.join(unknown)}; it checks "
                           f"{', '.join(list(cfg.checks) + [c.name.text for c in cfg.invariants])}", err=True)
                sys.exit(EXIT_INVALID)
        model = build_model(cfg)
        result, comparison = None, None
        if engine in ("explicit", "both"):
            from .engines import search

            progress = Progress(enabled=not as_json and not quiet)
            try:
                result = search.check(model, properties=wanted, max_states=max_states, max_depth=max_depth,
                                      progress=progress, stop_when_decided=engine == "explicit",
                                      max_memory=budget, symmetry=not no_symmetry,
                                      warn=lambda line: click.echo(line, err=True))
            finally:
                progress.close()
            stopped = interrupted(result)
        if engine in ("z3", "both") and not stopped:
            from .engines import z3_engine

            try:
                z3_result = z3_engine.check_z3(
                    model, properties=wanted, max_depth=max_depth, timeout=timeout,
                    diameter=z3_engine.diameter_of(result) if result is not None else None)
            except z3_engine.UnsupportedConstruct as err:
                click.echo(f"error: {path}: the Z3 engine cannot translate this model: {err}", err=True)
                sys.exit(EXIT_INVALID)
            except KeyboardInterrupt:
                z3_result, stopped = None, True
            if result is not None and z3_result is not None:
                disagreements = z3_engine.compare(result, z3_result)
                if disagreements:
                    click.echo(f"ENGINE DISAGREEMENT on {path} (a bug in capmodel, not in the spec):", err=True)
                    for line in disagreements:
                        click.echo(f"  {line}", err=True)
                    sys.exit(EXIT_DISAGREE)
                if not as_json:
                    click.echo(f"{path}: the explicit and Z3 engines agree on every verdict and "
                               "counterexample length")
            if engine == "both" and result is not None and z3_result is not None:
                # one combined verdict: the explicit engine's when it explored
                # everything (Z3 only cross-checked it), Z3's otherwise
                combined, other = (result, z3_result) if result.stats.complete else (z3_result, result)
                comparison = {"agree": True, "verdicts_from": combined.engine,
                              "explicit": result.to_json(), "z3": z3_result.to_json()}
                if not as_json:
                    click.echo(text.report(other, path) + "\n")
                    click.echo(f"{path}: the verdicts below are the {combined.engine} engine's"
                               + (" (it explored every state; Z3 cross-checked them)"
                                  if combined is result else " (the explicit engine hit a bound)"))
                result = combined
            else:
                result = z3_result or result
        if result is None:  # Ctrl-C before the Z3 engine had a result
            break
        results.append(result)
        diagrams: dict[str, str] = {}
        if not no_render:
            try:
                diagrams, notes = write_counterexamples(result, path, out_dir, fmt, folder=folder)
            except DiagramsNotWritten as err:
                notes = []
                if str(err) not in diagram_errors:
                    diagram_errors.append(str(err))
            for note in notes:
                click.echo(note, err=True)
        if as_json:
            documents.append({"file": path, **result.to_json(), "diagrams": diagrams,
                              **({"comparison": comparison} if comparison else {})})
        else:
            click.echo(text.report(result, path, diagrams))
            if len(configs) > 1:
                click.echo("")
        if stopped:
            break
    if as_json:
        payload = documents[0] if len(documents) == 1 else {"results": documents}
        click.echo(json.dumps(payload, indent=2))
    for message in diagram_errors:  # after the report: a folder that refuses diagrams loses nothing else
        click.echo(f"error: {message}", err=True)
    if stopped:
        click.echo(f"interrupted: {len(results)} of {len(configs)} spec(s) reported, the last one partly",
                   err=True)
        sys.exit(EXIT_INTERRUPTED)
    sys.exit(EXIT_INVALID if diagram_errors else _exit_code(results))


@cli.command()
@click.argument("spec", type=click.Path(dir_okay=True))
def check(spec):
    """Parse and validate a spec without exploring it."""
    cfg = _load(spec)
    if cfg is None:
        sys.exit(EXIT_INVALID)
    click.echo(f"{spec}: system {cfg.name} is valid: {len(cfg.nodes)} nodes, {cfg.replication} replication, "
               f"{cfg.reads} reads, failover {cfg.failover}{' with fencing' if cfg.fencing else ''}{' on a live majority' if cfg.live_majority else ''}; "
               f"checks {', '.join(cfg.checks) or 'nothing'}")


@cli.command(name="properties")
def list_properties():
    """List the built-in properties with their one-line definitions."""
    width = max(map(len, catalogue.PROPERTIES))
    for name, meaning in catalogue.PROPERTIES.items():
        click.echo(f"{name:<{width}}  {meaning}")


@cli.command(name="cap")
@click.argument("specs", nargs=-1, type=click.Path(dir_okay=True))
@click.option("--json", "as_json", is_flag=True, help="Print the table as one JSON document.")
@click.option("--out", "out_dir", default="out", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the counterexample diagrams (out/cap/<spec>/).")
@click.option("--no-render", is_flag=True, help="Do not write diagrams.")
@click.option("--max-states", type=click.IntRange(min=1), default=DEFAULT_MAX_STATES, show_default=True,
              help="Stop each spec after N states (its label is then INCOMPLETE).")
def cap_command(specs, as_json, out_dir, no_render, max_states):
    """Label each spec CP, AP or neither under a partition (default: every spec in specs/).

    Ctrl-C prints the rows known so far (the one being explored as INCOMPLETE), exit 130."""
    from pathlib import Path

    from .cap import analyse, table
    from .render.diagrams import DiagramsNotWritten, counterexamples, folder_names, write_traces

    if not specs:
        specs = sorted(str(p) for p in Path("specs").rglob("*.cap"))
        if not specs:
            click.echo("error: no SPEC given and no specs/*.cap here", err=True)
            sys.exit(EXIT_INVALID)
    configs = [(path, _load(path)) for path in specs]
    if any(cfg is None for _, cfg in configs):
        sys.exit(EXIT_INVALID)
    rows = []
    diagram_errors: list[str] = []
    stopped = False
    for (path, cfg), folder in zip(configs, folder_names(specs)):
        row = analyse(cfg, path, max_states=max_states)
        stopped = interrupted(row.result)
        if not no_render and row.failures and not diagram_errors:
            try:
                paths, notes = write_traces(counterexamples(row.result), folder, Path(out_dir) / "cap", "svg")
            except DiagramsNotWritten as err:
                paths, notes = {}, []
                diagram_errors.append(str(err))
            row.failures = {p: paths.get(p, "") for p in row.failures}
            for note in notes:
                click.echo(note, err=True)
        rows.append(row)
        if stopped:
            break
    if as_json:
        click.echo(json.dumps({"rows": [r.to_json() for r in rows]}, indent=2))
    else:
        click.echo(table(rows))
    for message in diagram_errors:
        click.echo(f"error: {message}", err=True)
    if stopped:
        click.echo(f"interrupted: {len(rows)} of {len(configs)} spec(s) labelled, the last one partly", err=True)
        sys.exit(EXIT_INTERRUPTED)
    if diagram_errors:
        sys.exit(EXIT_INVALID)
    if any(r.both for r in rows):
        click.echo("BUG: a spec is both consistent and available under a partition; please report it", err=True)
        sys.exit(4)
    sys.exit(EXIT_INCOMPLETE if any(r.under_partition == "INCOMPLETE" for r in rows) else EXIT_OK)


@cli.command(name="infer")
@click.argument("spec", type=click.Path(dir_okay=True))
@click.option("--property", "-p", "properties", multiple=True, metavar="NAME",
              help="Only this property (repeatable).")
@click.option("--timeout", type=Seconds(), default=30.0, show_default=True,
              help="Seconds for the whole command (each property gets a share of what is left).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of text.")
def infer(spec, properties, timeout, as_json):
    """Look for an inductive invariant with Z3's Spacer, check it, and offer its parts as lemmas.

    Best effort, for small models: it proves what it can, and never without
    an independent check of the invariant it found."""
    from .engines import z3_chc
    from .semantics.build import build_model

    cfg = _load(spec)
    if cfg is None:
        sys.exit(EXIT_INVALID)
    model = build_model(cfg)
    names = [c.name for c in model.invariants]
    unknown = [p for p in properties if p not in names]
    if unknown:
        click.echo(f"error: {spec} does not check {', '.join(unknown)}; it checks {', '.join(names)}", err=True)
        sys.exit(EXIT_INVALID)
    results = z3_chc.spacer_prove(model, list(properties) or None, timeout=timeout, lemmas=model.lemmas)
    if as_json:
        click.echo(json.dumps({"file": spec, "spec": model.name, "results": [
            {"property": r.name, "verdict": r.verdict, "seconds": round(r.seconds, 3), "checked": r.checked,
             "reason": r.reason, "invariant": r.invariant_text,
             "suggestions": [{"text": s.text, "lemma": s.lemma, "needed": s.needed,
                              "inductive_alone": s.inductive_alone} for s in r.suggestions]}
            for r in results]}, indent=2))
    else:
        click.echo(f"{spec}: system {model.name} (Spacer)")
        for r in results:
            click.echo("")
            click.echo(z3_chc.format_suggestions(r))
    if any(r.verdict == z3_chc.VIOLATED for r in results):
        sys.exit(EXIT_VIOLATED)
    sys.exit(EXIT_OK if all(r.verdict == z3_chc.PROVED for r in results) else EXIT_INCOMPLETE)


@cli.command(name="export")
@click.argument("spec", type=click.Path(dir_okay=True))
@click.option("--to", "language", type=click.Choice(["promela", "murphi"]), required=True,
              help="promela for SPIN, murphi for Rumur (or CMurphi).")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="Write the model to FILE (default: standard output).")
@click.option("--property", "-p", "properties", multiple=True, metavar="NAME",
              help="Check only this property (repeatable), as verify -p.")
def export_command(spec, language, output, properties):
    """Write the model for SPIN or Rumur, with the same states and transitions as the explicit engine.

    How to run each tool, and how its counts relate to capmodel's: docs/export.md."""
    from pathlib import Path

    from .export import ExportError, export, how_to_run, unknown_properties
    from .semantics.build import build_model

    cfg = _load(spec)
    if cfg is None:
        sys.exit(EXIT_INVALID)
    model = build_model(cfg)
    unknown = unknown_properties(model, list(properties))
    if unknown:
        names = [c.name for c in model.invariants + model.lemmas]
        click.echo(f"error: {spec} does not check {', '.join(unknown)}; it checks {', '.join(names)}", err=True)
        sys.exit(EXIT_INVALID)
    try:
        text = export(model, language, list(properties) or None, source=spec)
    except ExportError as err:
        click.echo(f"error: {spec}: cannot write it in {language}: {err}", err=True)
        sys.exit(EXIT_INVALID)
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as err:
        click.echo(f"error: cannot write {output}: {err.strerror or err}", err=True)
        sys.exit(EXIT_INVALID)
    click.echo(f"{spec}: wrote {output} ({language}: {len(model.variables)} variables, "
               f"{len(model.instances())} action instances)")
    click.echo(f"run: {how_to_run(language, output)}")


# `render` and `graph` live with the diagram code
from . import cli_diagrams  # noqa: E402,F401  (registers its commands on `cli`)


def main() -> None:
    # A shell cannot pass a NUL byte, but a caller of main() can, and no path
    # or value may hold one (the OS refuses it deep inside, as a ValueError)
    bad = next((k for k, arg in enumerate(sys.argv[1:], 1) if "\0" in arg), None)
    if bad is not None:
        click.echo(f"error: argument {bad} holds a NUL byte (\\0), which no path or value may contain; "
                   "remove it", err=True)
        sys.exit(EXIT_INVALID)
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.UsageError as err:  # bad options: exit 2 with click's message, no traceback
        err.show()
        sys.exit(EXIT_INVALID)
    except click.ClickException as err:
        err.show()
        sys.exit(EXIT_INVALID)
    except KeyboardInterrupt:
        click.echo("\ninterrupted", err=True)
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as err:  # a bug in capmodel: one line, not a traceback, unless asked
        if "CAPMODEL_DEBUG" in __import__("os").environ:
            raise
        click.echo(f"internal error: {type(err).__name__}: {err} (set CAPMODEL_DEBUG=1 for details; "
                   "please report it)", err=True)
        sys.exit(70)
