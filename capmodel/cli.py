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
import threading
import time

import click

from . import catalogue, extras, interrupts
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
    (a long run is never silent). Nothing with --json or --quiet.

    The Z3 engine tells its steps (say()), and one solver call can last
    minutes (raft_majority's BMC at depth 20: 125 s): a heartbeat thread
    repeats its last step with the time so far, so a line still comes every
    30 s (and the terminal's clock moves)."""

    PIPED_EVERY = 30.0

    def __init__(self, enabled: bool, terminal: bool | None = None, label: str = "",
                 clock=time.perf_counter) -> None:
        self.enabled = enabled
        self.terminal = sys.stderr.isatty() if terminal is None else terminal
        self.live = None
        self.label = label  # what is being explored, before the line: `cp.cap, under a partition: `
        self.next_piped = self.PIPED_EVERY
        self.clock = clock
        self.started = clock()
        self.last_said: str | None = None  # the Z3 engine's last step, repeated by the heartbeat
        self._lock = threading.Lock()  # the engine's thread and the heartbeat's both show lines
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None

    def phase(self, label: str) -> "Progress":
        """The same display for a new search (whose clock starts at 0 again), told as `label`."""
        self.label, self.next_piped = label, self.PIPED_EVERY
        return self

    def __call__(self, states: int, depth: int, seconds: float) -> None:
        self.show(f"exploring: {states:,} states, depth {depth}, {states / seconds:,.0f} states/s, {seconds:.0f} s"
                  if seconds else "", seconds)

    def say(self, text: str) -> None:
        """A line from an engine that counts no states (Z3's depth, induction round), timed from the start."""
        seconds = self.clock() - self.started
        self.last_said = text
        self.show(f"{text}, {seconds:.0f} s", seconds)
        if self.enabled and self._heartbeat is None:
            self._heartbeat = threading.Thread(target=self._beat_until_closed, name="progress", daemon=True)
            self._heartbeat.start()

    def beat(self) -> None:
        """The last step again, with the time so far: the engine is still in it."""
        if self.last_said is not None:
            seconds = self.clock() - self.started
            self.show(f"{self.last_said}; still working, {seconds:.0f} s", seconds)

    def _beat_until_closed(self) -> None:
        while not self._stop.wait(1.0 if self.terminal else self.PIPED_EVERY / 6):
            self.beat()

    def show(self, line: str, seconds: float) -> None:
        if not self.enabled or seconds < 1.0:
            return
        line = f"{self.label}{line}"
        with self._lock:
            if not self.terminal:
                if seconds >= self.next_piped:
                    self.next_piped = seconds + self.PIPED_EVERY
                    click.echo(line, err=True)
                return
            if self._stop.is_set():
                return
            if self.live is None:
                from rich.console import Console
                from rich.live import Live

                # transient: the line disappears when the run ends, leaving only the report
                self.live = Live(line, console=Console(stderr=True, highlight=False), transient=True,
                                 refresh_per_second=4)
                self.live.start()
            else:
                self.live.update(line)

    def close(self) -> None:
        self._stop.set()
        if self._heartbeat is not None:
            self._heartbeat.join()
        with self._lock:
            if self.live is not None:
                self.live.stop()


JSON_KINDS = ("verify", "cap", "check", "infer", "properties", "render", "graph", "export", "examples")
json_option = click.option("--json", "as_json", is_flag=True,
                           help="Print one JSON document instead of text (docs/json.md).")
SCHEMA_VERSION = 1  # of every --json document (capmodel/schema/capmodel.schema.json, docs/json.md)

EXIT_CODES = """\b
Exit codes: 0 every checked property holds; 1 a property is violated (or a
deadlock, or a `reachable` condition that can never happen); 2 invalid spec
or usage; 3 a bound was reached before a verdict; 4 the explicit and Z3
engines disagree (a bug in capmodel); 70 capmodel itself failed (a bug:
please report it); 130 Ctrl-C (after the partial report)."""


def error_json(code: str, message: str, *, file: str | None = None, line: int | None = None,
               column: int | None = None, hint: str | None = None, severity: str = "error") -> dict:
    """One error as --json gives it (the `error` of the schema)."""
    return {"code": code, "severity": severity, "file": file, "line": line, "column": column,
            "message": message, "hint": hint}


def diagnostics_json(err) -> list[dict]:
    """A SpecError's diagnostics, each as error_json."""
    out = []
    for d in err.diagnostics:
        known = d.span.line > 0
        out.append(error_json(d.code, d.message, file=d.span.file, line=d.span.line if known else None,
                              column=d.span.column if known else None, hint=d.hint, severity=d.severity))
    return out


def document(kind: str, results: list, exit_code: int, errors: list | None = None,
             interrupted: bool = False) -> dict:
    """The one shape of every --json output (docs/json.md)."""
    return {"schema_version": SCHEMA_VERSION, "kind": kind, "results": results, "exit_code": exit_code,
            "errors": errors or [], "interrupted": interrupted}


def emit(kind: str, results: list, exit_code: int, errors: list | None = None, interrupted: bool = False):
    """Print the --json document and exit with its code."""
    click.echo(json.dumps(document(kind, results, exit_code, errors, interrupted), indent=2))
    sys.exit(exit_code)


def fail(kind: str | None, message: str, *, code: str = "usage", hint: str | None = None,
         file: str | None = None, exit_code: int = 2):
    """An error that ends the command: a JSON document on stdout under --json
    (kind is the command; None: text), else `error: message` on stderr."""
    if kind is not None:
        emit(kind, [], exit_code, [error_json(code, message, file=file, hint=hint)])
    click.echo(f"error: {message}" + (f" ({hint})" if hint else ""), err=True)
    sys.exit(exit_code)


def use_color(choice: str) -> bool:
    """--color: always and never say so; auto colours only a terminal, and never under NO_COLOR."""
    import os

    if choice in ("always", "never"):
        return choice == "always"
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def spec_property_names(ctx: click.Context, with_lemmas: bool) -> set[str]:
    """The properties and invariants (and lemmas) of the specs already on the
    command line, for tab completion; an unreadable spec offers nothing."""
    from .syntax.diagnostics import SpecError
    from .syntax.load import load_spec

    # completing an option's value, click leaves the spec arguments unparsed, in ctx.args
    given = ctx.params.get("specs") or ctx.params.get("spec")
    names: set[str] = set()
    for path in [given] if isinstance(given, str) else list(given or ctx.args):
        try:
            cfg = load_spec(path)
        except (SpecError, OSError):  # completion never prints an error
            continue
        names.update(cfg.checks)
        names.update(c.name.text for c in cfg.invariants + (cfg.lemmas if with_lemmas else ()))
    return names


def property_option(help: str, with_lemmas: bool = False):
    """-p NAME (repeatable), tab-completed from the names the spec lets -p take
    (the built-in properties before a spec is given)."""
    def complete(ctx: click.Context, param, incomplete: str) -> list[str]:
        names = spec_property_names(ctx, with_lemmas) or set(catalogue.PROPERTIES) | set(
            catalogue.LEADERLESS_PROPERTIES)
        return sorted(n for n in names if n.startswith(incomplete))

    return click.option("--property", "-p", "properties", multiple=True, metavar="NAME", help=help,
                        shell_complete=complete)


color_option = click.option("--color", "color_choice", type=click.Choice(["auto", "always", "never"]),
                            default="auto", show_default=True,
                            help="Colour the verdicts: auto only on a terminal and without NO_COLOR.")


def _load(path: str, errors: list | None = None):
    """Load and validate one spec; print its diagnostics (or, given `errors`,
    add them to it as JSON) and return None when invalid."""
    from .syntax.diagnostics import SpecError
    from .syntax.load import load_spec

    try:
        return load_spec(path)
    except SpecError as err:
        if errors is not None:
            errors += diagnostics_json(err)
        else:
            click.echo(err.render(), err=True)
        return None


def _load_all(paths, kind: str | None):
    """Every spec loaded, or the command ends with exit 2 and every spec's diagnostics."""
    errors: list = []
    configs = [(path, _load(path, errors if kind else None)) for path in paths]
    if any(cfg is None for _, cfg in configs):
        if kind:
            emit(kind, [], EXIT_INVALID, errors)
        sys.exit(EXIT_INVALID)
    return configs


def unknown_names(asked, known: list[str], spec: str, kind: str | None):
    """Exit 2 naming the -p names the spec does not check, with a did-you-mean for each."""
    import difflib

    unknown = [p for p in asked if p not in known]
    if not unknown:
        return
    close = {p: difflib.get_close_matches(p, known, n=1, cutoff=0.6) for p in unknown}
    hint = "; ".join(f"did you mean '{m[0]}' for '{p}'?" for p, m in close.items() if m) or None
    fail(kind, f"{spec} does not check {', '.join(unknown)}; it checks {', '.join(known)}",
         code="unknown_property", file=spec, hint=hint)


def left_out(cfg, wanted) -> list[str]:
    """The spec's own invariants that -p leaves unchecked (none without -p), which the output names."""
    return [c.name.text for c in cfg.invariants if c.name.text not in wanted] if wanted else []


def _exit_code(results: list[CheckResult]) -> int:
    if any(r.failed for r in results):
        return EXIT_VIOLATED
    if any(r.incomplete for r in results):
        return EXIT_INCOMPLETE
    return EXIT_OK


def _version_message() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"capmodel {version('capmodel')}"
    except PackageNotFoundError:
        return "capmodel (version unknown: not installed)"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="capmodel", prog_name="capmodel", message="%(prog)s %(version)s")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Model-check database replication setups: every interleaving of writes,
    reads, crashes, partitions and failovers within a spec's bounds.

    \b
    Example:
      capmodel verify specs/async.cap

    Exit codes: 0 holds, 1 violated, 2 invalid spec or usage, 3 a bound
    reached first, 4 the engines disagree, 70 capmodel itself failed (a bug:
    please report it), 130 Ctrl-C. `capmodel COMMAND --help` says more;
    --json output is described in docs/json.md."""
    if ctx.invoked_subcommand != "verify":  # verify takes a held Ctrl-C once its model is built
        interrupts.release_or_raise()


@cli.command(epilog=EXIT_CODES)
@click.argument("specs", nargs=-1, required=True, type=click.Path(dir_okay=True))
@property_option("Check only this property (repeatable).")
@json_option
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
@click.option("--itf", "itf_dir", default=None, type=click.Path(file_okay=False), metavar="DIR",
              help="Also write each counterexample as an ITF trace (Apalache/Quint), "
                   "DIR/<spec>/<property>.itf.json.")
@click.option("--engine", type=click.Choice(["explicit", "z3", "both"]), default="explicit", show_default=True,
              callback=extras.check_engine,
              help="explicit BFS, Z3 (bounded model checking and induction), or both, compared.")
@click.option("--no-symmetry", is_flag=True,
              help="Store every state, not one per orbit of interchangeable nodes.")
@click.option("--quiet", "-q", is_flag=True, help="No progress lines on stderr.")
@click.option("--timeout", type=Seconds(), default=None,
              help="Seconds for the Z3 engine as a whole (INCOMPLETE when it runs out).")
@color_option
def verify(specs, properties, as_json, max_states, max_memory, max_depth, out_dir, no_render, fmt, itf_dir,
           engine, no_symmetry, quiet, timeout, color_choice):
    """Explore every interleaving and give each property a verdict.

    The explicit search stops at --max-states states or at --max-memory MB,
    whichever comes first, and says so: the verdicts it could not reach are
    INCOMPLETE. Ctrl-C stops it too and prints what is known so far (exit 130).

    \b
    Examples:
      capmodel verify specs/async.cap
      capmodel verify specs/sync.cap -p no_acked_write_lost --engine z3
      capmodel verify specs/*.cap --json --no-render > verdicts.json"""
    from .render.diagrams import DiagramsNotWritten, folder_names, write_counterexamples
    from .semantics.build import build_model

    kind = "verify" if as_json else None
    color = use_color(color_choice) and not as_json
    configs = _load_all(specs, kind)
    budget = memory_budget(max_memory)
    results = []
    documents = []
    diagram_errors: list[str] = []
    stopped = False
    for (path, cfg), folder in zip(configs, folder_names(specs)):
        wanted = list(properties) or None
        own = [c.name.text for c in cfg.invariants]
        if wanted:
            unknown_names(wanted, list(cfg.checks) + own, path, kind)
        unchecked = left_out(cfg, wanted)
        started = time.perf_counter()
        interrupts.hold()  # building is short: a Ctrl-C now is taken once there is a model to report on
        model = build_model(cfg)
        result, comparison = None, None
        if interrupts.release():  # Ctrl-C while starting, loading or building: nothing explored
            result, stopped = explicit.interrupted_before_search(model, wanted, time.perf_counter() - started), True
        elif engine in ("explicit", "both"):
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

            z3_progress = Progress(enabled=not as_json and not quiet)
            try:
                z3_result = z3_engine.check_z3(model, properties=wanted, timeout=timeout, progress=z3_progress.say,
                                               **z3_engine.bounds_for(model, result, max_depth))
            except z3_engine.UnsupportedConstruct as err:
                fail(kind, f"{path}: the Z3 engine cannot translate this model: {err}", code="z3_unsupported",
                     file=path)
            except BaseException as err:  # noqa: B036 - a Ctrl-C outside a solver call (Z3 catches one inside
                if not interrupts.is_interrupt(err):  # and stops as at a deadline), maybe disguised by ctypes
                    raise
                z3_result, stopped = None, True
                if result is None:
                    result = explicit.interrupted_before_search(model, wanted, time.perf_counter() - started)
                    result.engine = "z3"
            finally:
                z3_progress.close()
            stopped = stopped or interrupted(z3_result)
            if result is not None and z3_result is not None:
                disagreements = z3_engine.compare(result, z3_result)
                if disagreements:
                    if as_json:
                        documents.append({"file": path, **result.to_json(), "diagrams": {},
                                          "unchecked": unchecked,
                                          "comparison": {"agree": False, "verdicts_from": None,
                                                         "disagreements": disagreements,
                                                         "explicit": result.to_json(), "z3": z3_result.to_json()}})
                        emit("verify", documents, EXIT_DISAGREE, [error_json(
                            "engine_disagreement", f"the explicit and Z3 engines disagree on {path} "
                            "(a bug in capmodel, not in the spec)", file=path, hint="please report it")])
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
                comparison = {"agree": True, "verdicts_from": combined.engine, "disagreements": [],
                              "explicit": result.to_json(), "z3": z3_result.to_json()}
                if not as_json:
                    click.echo(text.report(other, path, color=color) + "\n", color=color)
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
        itf: dict[str, str] = {}
        if itf_dir is not None:
            from .render.itf import write_itf

            try:
                itf = write_itf(result, model.variables, path, itf_dir, folder)
            except DiagramsNotWritten as err:
                if str(err) not in diagram_errors:
                    diagram_errors.append(str(err))
        if as_json:
            documents.append({"file": path, **result.to_json(), "diagrams": diagrams,
                              **({"itf": itf} if itf_dir is not None else {}), "unchecked": unchecked,
                              **({"comparison": comparison} if comparison else {})})
        else:
            click.echo(text.report(result, path, diagrams, color=color, unchecked=unchecked), color=color)
            for key, where in itf.items():
                click.echo(f"  itf: {key}: {where}")
            if len(configs) > 1:
                click.echo("")
        if stopped:
            break
    code = (EXIT_INTERRUPTED if stopped else EXIT_INVALID if diagram_errors else _exit_code(results))
    if as_json:
        emit("verify", documents, code,
             [error_json("output_not_written", message, hint="give a folder you can write to")
              for message in diagram_errors], interrupted=stopped)
    for message in diagram_errors:  # after the report: a folder that refuses diagrams loses nothing else
        click.echo(f"error: {message}", err=True)
    if stopped:
        click.echo(f"interrupted: {len(results)} of {len(configs)} spec(s) reported, the last one partly",
                   err=True)
    sys.exit(code)


@cli.command(epilog="Exit codes: 0 every spec is valid; 2 one is not (each problem with file:line:col and a hint).")
@click.argument("specs", nargs=-1, required=True, type=click.Path(dir_okay=True))
@json_option
def check(specs, as_json):
    """Parse and validate specs without exploring them.

    Every spec is checked, so one run reports the problems of them all (a
    pre-commit hook passes every staged spec at once).

    \b
    Examples:
      capmodel check specs/async.cap
      capmodel check specs/*.cap"""
    errors: list = []
    configs = [(spec, _load(spec, errors if as_json else None)) for spec in specs]
    valid = [(spec, cfg) for spec, cfg in configs if cfg is not None]
    code = EXIT_OK if len(valid) == len(configs) else EXIT_INVALID
    if as_json:
        emit("check", [{"file": spec, "spec": cfg.name, "valid": True, "nodes": list(cfg.nodes),
                        "replication": cfg.replication, "reads": cfg.reads, "failover": cfg.failover,
                        "fencing": bool(cfg.fencing), "live_majority": bool(cfg.live_majority),
                        "checks": list(cfg.checks), "invariants": [c.name.text for c in cfg.invariants],
                        "reachable": [c.name.text for c in cfg.reachables]} for spec, cfg in valid],
             code, errors)
    for spec, cfg in valid:
        click.echo(f"{spec}: system {cfg.name} is valid: {len(cfg.nodes)} nodes, {cfg.replication} replication, "
                   f"{cfg.reads} reads, failover {cfg.failover}{' with fencing' if cfg.fencing else ''}"
                   f"{' on a live majority' if cfg.live_majority else ''}; "
                   f"checks {', '.join(cfg.checks) or 'nothing'}")
    sys.exit(code)


@cli.command(name="properties", epilog="Exit code: 0.")
@json_option
def list_properties(as_json):
    """List the built-in properties with their one-line definitions.

    \b
    Example:
      capmodel properties"""
    listed = {**catalogue.PROPERTIES,
              **{name: f"{meaning} (leaderless replication only)"
                 for name, meaning in catalogue.LEADERLESS_PROPERTIES.items()}}
    if as_json:
        emit("properties", [{"name": name, "description": meaning} for name, meaning in listed.items()],
             EXIT_OK)
    click.echo(text.grid([("", 0), ("", 0)], list(listed.items()), header=False))


@cli.command(name="cap", epilog="Exit codes: 0 every spec labelled; 2 invalid spec or usage; 3 a spec hit "
             "--max-states or half the memory available (INCOMPLETE); 4 a spec is both C and A under a "
             "partition (a bug in capmodel); 130 Ctrl-C.")
@click.argument("specs", nargs=-1, type=click.Path(dir_okay=True))
@click.option("--json", "as_json", is_flag=True, help="Print the table as one JSON document (docs/json.md).")
@click.option("--out", "out_dir", default="out", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the counterexample diagrams (out/cap/<spec>/).")
@click.option("--no-render", is_flag=True, help="Do not write diagrams.")
@click.option("--format", "fmt", type=click.Choice(["svg", "png"]), default="svg", show_default=True,
              help="Image format of the rendered diagrams.")
@click.option("--max-states", type=click.IntRange(min=1), default=DEFAULT_MAX_STATES, show_default=True,
              help="Stop each spec after N states (its label is then INCOMPLETE).")
@click.option("--quiet", "-q", is_flag=True, help="No progress lines on stderr.")
@color_option
def cap_command(specs, as_json, out_dir, no_render, fmt, max_states, quiet, color_choice):
    """Label each spec CP, AP or neither under a partition (default: every spec in specs/).

    Each row is printed as its spec is done; meanwhile progress goes to
    stderr, as for verify (live on a terminal, a line every 30 s when piped,
    nothing with --json or --quiet). Ctrl-C prints the rows known so far (the
    one being explored as INCOMPLETE), exit 130.

    \b
    Examples:
      capmodel cap specs/cp.cap specs/ap.cap --format png
      capmodel cap --json --no-render"""
    from pathlib import Path

    from .cap import analyse, header, row_lines, spec_width
    from .render.diagrams import DiagramsNotWritten, counterexamples, folder_names, write_traces

    kind = "cap" if as_json else None
    color = use_color(color_choice) and not as_json
    if not specs:
        specs = sorted(str(p) for p in Path("specs").rglob("*.cap"))
        if not specs:
            fail(kind, "no SPEC given and no specs/*.cap here", code="no_specs",
                 hint="give the specs to label, e.g. capmodel cap my.cap, "
                 "or copy the shipped examples with `capmodel examples` and run it there")
    configs = _load_all(specs, kind)
    width = spec_width(list(specs))
    budget = memory_budget(None)  # as verify's default: half the memory available now
    if not as_json:
        click.echo(header(width))
    rows = []
    diagram_errors: list[str] = []
    stopped = False
    for (path, cfg), folder in zip(configs, folder_names(specs)):
        progress = Progress(enabled=not as_json and not quiet)
        try:
            row = analyse(cfg, path, max_states=max_states, max_memory=budget,
                          progress=lambda phase: progress.phase(f"{Path(path).name}, {phase}: "))
        finally:
            progress.close()
        stopped = row.interrupted
        if not no_render and row.failures and not diagram_errors:
            try:
                paths, notes = write_traces(counterexamples(row.result), folder, Path(out_dir) / "cap", fmt)
            except DiagramsNotWritten as err:
                paths, notes = {}, []
                diagram_errors.append(str(err))
            row.failures = {p: paths.get(p, "") for p in row.failures}
            for note in notes:
                click.echo(note, err=True)
        rows.append(row)
        if not as_json:
            click.echo(row_lines(row, width, color=color), color=color)
        if stopped:
            break
    both = any(r.both for r in rows)
    code = (EXIT_INTERRUPTED if stopped else EXIT_INVALID if diagram_errors else EXIT_DISAGREE if both
            else EXIT_INCOMPLETE if any(r.under_partition == "INCOMPLETE" for r in rows) else EXIT_OK)
    if as_json:
        errors = [error_json("output_not_written", m, hint="give --out a folder you can write to, or --no-render")
                  for m in diagram_errors]
        if both and not stopped and not diagram_errors:
            errors.append(error_json("bug", "a spec is both consistent and available under a partition",
                                     hint="please report it"))
        emit("cap", [r.to_json() for r in rows], code, errors, interrupted=stopped)
    for message in diagram_errors:
        click.echo(f"error: {message}", err=True)
    if stopped:
        click.echo(f"interrupted: {len(rows)} of {len(configs)} spec(s) labelled, the last one partly", err=True)
    elif both and not diagram_errors:
        click.echo("BUG: a spec is both consistent and available under a partition; please report it", err=True)
    sys.exit(code)


@cli.command(name="infer", epilog="Exit codes: 0 every property proved; 1 one is violated; 2 invalid spec or "
             "usage; 3 no proof within --timeout; 130 Ctrl-C (after the partial report).")
@click.argument("spec", type=click.Path(dir_okay=True))
@property_option("Only this property (repeatable).")
@click.option("--timeout", type=Seconds(), default=30.0, show_default=True,
              help="Seconds for the whole command (each property gets a share of what is left).")
@json_option
@color_option
def infer(spec, properties, timeout, as_json, color_choice):
    """Look for an inductive invariant with Z3's Spacer, check it, and offer its parts as lemmas.

    Best effort, for small models: it proves what it can, and never without
    an independent check of the invariant it found.

    \b
    Example:
      capmodel infer specs/sync.cap -p no_acked_write_lost --timeout 60"""
    from .engines import z3_chc
    from .engines.result import verdict_id
    from .semantics.build import build_model

    kind = "infer" if as_json else None
    color = use_color(color_choice) and not as_json
    ((_, cfg),) = _load_all([spec], kind)
    model = build_model(cfg)
    unknown_names(properties, [c.name for c in model.invariants], spec, kind)
    unchecked = left_out(cfg, properties)
    progress = Progress(enabled=not as_json)
    try:
        results = z3_chc.spacer_prove(model, list(properties) or None, timeout=timeout, lemmas=model.lemmas,
                                      progress=progress.say)
    finally:
        progress.close()
    stopped = any(r.reason == z3_chc.INTERRUPTED for r in results)
    if stopped:
        code = EXIT_INTERRUPTED
    elif any(r.verdict == z3_chc.VIOLATED for r in results):
        code = EXIT_VIOLATED
    else:
        code = EXIT_OK if all(r.verdict == z3_chc.PROVED for r in results) else EXIT_INCOMPLETE
    if as_json:
        emit("infer", [{"file": spec, "spec": model.name, "engine": "spacer", "properties": [
            {"name": r.name, "verdict": verdict_id(r.verdict), "seconds": round(r.seconds, 3), "checked": r.checked,
             "reason": r.reason, "invariant": r.invariant_text,
             "suggestions": [{"text": s.text, "lemma": s.lemma, "needed": s.needed,
                              "inductive_alone": s.inductive_alone} for s in r.suggestions]}
            for r in results], "unchecked": unchecked}], code, interrupted=stopped)
    click.echo(f"{spec}: system {model.name} (Spacer)")
    for r in results:
        click.echo("")
        click.echo(z3_chc.format_suggestions(r, paint=lambda words: text.paint(words, color)), color=color)
    if unchecked:
        click.echo("\n" + text.unchecked_line(unchecked))
    if stopped:
        click.echo(f"\ninterrupted: {sum(r.reason != z3_chc.INTERRUPTED for r in results)} of {len(results)} "
                   "properties decided before Ctrl-C", err=True)
    sys.exit(code)


@cli.command(name="export", epilog="Exit codes: 0 written; 2 invalid spec or usage, or a model the language "
             "cannot express.")
@click.argument("spec", type=click.Path(dir_okay=True))
@click.option("--to", "language", type=click.Choice(["promela", "murphi", "tla"]), required=True,
              help="promela for SPIN, murphi for Rumur (or CMurphi), tla for TLC (a module NAME.tla and "
                   "its configuration NAME.cfg; NAME_reach<k>.cfg checks the k-th reachable condition).")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="Write the model to FILE (default: standard output).")
@property_option("Check only this property or lemma (repeatable), as verify -p.", with_lemmas=True)
@json_option
def export_command(spec, language, output, properties, as_json):
    """Write the model for SPIN, Rumur or TLC, with the same states as the explicit engine.

    How to run each tool, and how its counts relate to capmodel's: docs/export.md.
    With --json and no -o, the model's text is the result's `model`. With
    --to tla and no -o, the module is named capmodel and its TLC configuration
    follows the module's end line.

    \b
    Example:
      capmodel export specs/async.cap --to promela -o async.pml
      capmodel export specs/async.cap --to tla -o async.tla   # and async.cfg, async_reach<k>.cfg"""
    from pathlib import Path

    from .cli_files import FilesReport
    from .export import ExportError, export, files, how_to_run, unknown_properties
    from .semantics.build import build_model

    kind = "export" if as_json else None
    ((_, cfg),) = _load_all([spec], kind)
    report = FilesReport("export", as_json, spec)
    model = build_model(cfg)
    if unknown_properties(model, list(properties)):
        unknown_names(properties, [c.name for c in model.invariants + model.lemmas], spec, kind)
    wanted = list(properties) or None
    try:
        if output is None:
            text = export(model, language, wanted, source=spec)
        else:
            written = files(model, language, wanted, spec, output)
    except ExportError as err:
        report.fail(f"{spec}: cannot write it in {language}: {err}", code="not_expressible")
    facts = {"language": language, "variables": len(model.variables), "action_instances": len(model.instances())}
    if output is None:
        if as_json:
            report.say("", model=text, **facts)
        else:
            click.echo(text, nl=False)
        report.done()
    for key, (path, content) in written.items():
        try:
            Path(path).write_text(content, encoding="utf-8")
        except OSError as err:
            report.fail(f"cannot write {path}: {err.strerror or err}", code="output_not_written")
    report.say(f"{spec}: wrote {output} ({language}: {len(model.variables)} variables, "
               f"{len(model.instances())} action instances)", **facts)
    for key, (path, _) in written.items():
        report.wrote(key, path)
    report.say(f"run: {how_to_run(language, output)}", run=how_to_run(language, output))
    report.done()


# `render` and `graph` live with the diagram code
from . import cli_diagrams  # noqa: E402,F401  (registers its commands on `cli`)
from . import examples  # noqa: E402,F401  (registers `capmodel examples`)


def command_kind(otherwise: str) -> str:
    """The --json kind of the command on the command line, when click could not say."""
    return next((arg for arg in sys.argv[1:] if arg in JSON_KINDS), otherwise)


def z3_missing(as_json: bool):
    """--engine z3/both or infer without the z3 extra: one line naming it, exit 2."""
    kind = command_kind("usage") if as_json else None
    fail(kind, extras.Z3_MISSING, code="z3_missing", hint=f"install it with: {extras.Z3_INSTALL}")


def _interrupted_before_a_result(as_json: bool) -> None:
    """Exit 130 for a Ctrl-C that came before any report: a command with a
    partial report has printed it already."""
    if as_json:
        error = error_json("interrupted", "interrupted (Ctrl-C) before any result", hint="nothing was checked")
        emit(command_kind("error"), [], EXIT_INTERRUPTED, [error], interrupted=True)
    click.echo("\ninterrupted (Ctrl-C)", err=True)
    sys.exit(EXIT_INTERRUPTED)


def main() -> None:
    # A shell cannot pass a NUL byte, but a caller of main() can, and no path
    # or value may hold one (the OS refuses it deep inside, as a ValueError)
    bad = next((k for k, arg in enumerate(sys.argv[1:], 1) if "\0" in arg), None)
    if bad is not None:
        click.echo(f"error: argument {bad} holds a NUL byte (\\0), which no path or value may contain; "
                   "remove it", err=True)
        sys.exit(EXIT_INVALID)
    as_json = "--json" in sys.argv[1:]
    try:
        cli.main(standalone_mode=False, prog_name="capmodel")
    except click.UsageError as err:
        if as_json:  # the command's own kind when click knows it
            ctx = err.ctx
            name = ctx.command.name if ctx is not None and ctx.command is not None else None
            kind = name if name in JSON_KINDS else "usage"
            emit(kind, [], EXIT_INVALID, [error_json("usage", err.format_message(),
                                                     hint="capmodel COMMAND --help lists the options")])
        err.show()
        sys.exit(EXIT_INVALID)
    except (click.exceptions.Abort, KeyboardInterrupt):  # click turns a Ctrl-C into Abort
        _interrupted_before_a_result(as_json)
    except click.ClickException as err:
        err.show()
        sys.exit(EXIT_INVALID)
    except SystemExit:
        raise
    except Exception as err:  # a bug in capmodel: one line, not a traceback, unless asked
        if interrupts.is_interrupt(err):  # a Ctrl-C that ctypes turned into an ArgumentError
            _interrupted_before_a_result(as_json)
        if extras.is_z3_missing(err):
            z3_missing(as_json)
        if "CAPMODEL_DEBUG" in __import__("os").environ:
            raise
        message = f"internal error: {type(err).__name__}: {err}"
        if as_json:
            emit("error", [], 70, [error_json("internal", message, hint="set CAPMODEL_DEBUG=1 for details; "
                                              "please report it")])
        click.echo(f"{message} (set CAPMODEL_DEBUG=1 for details; please report it)", err=True)
        sys.exit(70)
