"""`capmodel render` and `capmodel graph`: the diagram commands, registered on the `cli` group."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .cli import EXIT_INTERRUPTED, EXIT_INVALID, EXIT_OK, Seconds, _load, cli
from .render.sequence_dot import DOT_SECONDS

DRAWABLE_STATES = 2_000  # beyond this, `graph` writes the .dot but does not run Graphviz unless asked


@cli.command(epilog="Exit codes: 0 drawn (or nothing to draw); 2 the file is not such a document, or --out "
             "cannot take the diagrams.")
@click.argument("trace_file", metavar="TRACE.json", type=click.Path(dir_okay=False))
@click.option("--out", "out_dir", default="out", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the diagrams (one subfolder per spec).")
@click.option("--format", "fmt", type=click.Choice(["svg", "png"]), default="svg", show_default=True,
              help="Image format.")
def render(trace_file, out_dir, fmt):
    """Redraw the counterexamples saved by `capmodel verify --json` (or one bare trace).

    The file must follow capmodel/schema/capmodel.schema.json (as `verify --json`
    output does, docs/json.md); at most 200 traces of at most 500 steps each are drawn.

    \b
    Example:
      capmodel verify specs/async.cap --json > async.json
      capmodel render async.json --format png"""
    from .render.diagrams import DiagramsNotWritten, write_traces
    from .render.trace_json import TraceFormatError, check_schema, drawable, traces_in, within_bounds

    try:
        text = Path(trace_file).read_text(encoding="utf-8")
    except FileNotFoundError:
        _fail(f"error: {trace_file}: no such file")
    except (OSError, UnicodeDecodeError) as err:
        _fail(f"error: {trace_file}: cannot read it ({err.__class__.__name__}: {err})")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        _fail(f"error: {trace_file}:{err.lineno}:{err.colno}: not JSON ({err.msg}); "
              "give a file written by `capmodel verify --json`")
    except RecursionError:
        _fail(f"error: {trace_file}: the JSON is nested too deeply to be a trace; "
              "give a file written by `capmodel verify --json`")
    except ValueError as err:  # a number of thousands of digits
        _fail(f"error: {trace_file}: unreadable JSON ({err}); give a file written by `capmodel verify --json`")
    try:
        within_bounds(doc)
        check_schema(doc)
        found = drawable(traces_in(doc))
    except TraceFormatError as err:
        _fail(f"error: {trace_file}: {err}")
    except RecursionError:
        _fail(f"error: {trace_file}: the JSON is nested too deeply to be a trace")
    if not found:
        click.echo(f"{trace_file}: no counterexample to draw (every property held)")
        sys.exit(EXIT_OK)
    by_folder: dict[str, list] = {}
    for folder, key, trace in found:
        by_folder.setdefault(folder, []).append((key, trace))
    notes: list[str] = []
    for folder, traces in by_folder.items():
        try:
            paths, more = write_traces(traces, folder, out_dir, fmt)
        except DiagramsNotWritten as err:
            _fail(f"error: {err}")
        notes += [n for n in more if n not in notes]
        for key, path in paths.items():
            click.echo(f"{key}: {path}")
    for note in notes:
        click.echo(note, err=True)


@cli.command(epilog="Exit codes: 0 drawn (or the .dot written); 2 invalid spec, too many states, or --out "
             "cannot take it; 130 Ctrl-C.")
@click.argument("spec", type=click.Path(dir_okay=True))
@click.option("--out", "out_dir", default="out", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the graph (in a subfolder named after the spec).")
@click.option("--max-states", type=click.IntRange(min=1), default=300, show_default=True,
              help="Refuse models with more reachable states than this.")
@click.option("--format", "fmt", type=click.Choice(["svg", "png"]), default="svg", show_default=True,
              help="Image format.")
@click.option("--dot-timeout", type=Seconds(), default=None,
              help=f"Seconds Graphviz may take to draw the graph (the .dot file is kept when it runs out); "
                   f"default {DOT_SECONDS:g} s, and a graph of more than {DRAWABLE_STATES:,} states is then "
                   "only written as .dot.")
def graph(spec, out_dir, max_states, fmt, dot_timeout):
    """Draw the reachable state graph of a small model, counterexamples in red.

    \b
    Example:
      capmodel graph specs/split_brain_fenced.cap --max-states 2000"""
    from .engines import explicit
    from .render.diagrams import UnsafePath, inside, not_written, safe_name
    from .render.sequence_dot import INSTALL_HINT, DotMissing, render_dot
    from .render.state_graph import ExplorationInterrupted, TooManyStates, explore, graph_to_dot
    from .semantics.build import build_model

    cfg = _load(spec)
    if cfg is None:
        sys.exit(EXIT_INVALID)
    model = build_model(cfg)
    try:
        states, edges = explore(model, max_states)
    except ExplorationInterrupted as stop:  # a graph needs the whole state space: nothing is drawn
        click.echo(f"interrupted (Ctrl-C): {spec}: {stop}; no graph drawn", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except TooManyStates:
        _fail(f"error: {spec} has more than {max_states} reachable states, too many to draw as a graph; "
              "make the model smaller (fewer nodes, writes or reads, crashes 0 or partitions 0) "
              "or raise --max-states")
    result = explicit.check(model, stop_when_decided=False)
    traces = [p.trace for p in result.properties if p.trace is not None]
    source = graph_to_dot(model, states, edges, traces)
    try:
        folder = inside(Path(out_dir), safe_name(Path(spec).stem, "spec"))
        folder.mkdir(parents=True, exist_ok=True)
        dot_path = inside(folder, "state_graph.dot")
        dot_path.write_text(source, encoding="utf-8")
    except (OSError, UnsafePath) as err:
        _fail(f"error: {spec}: {len(states)} states, {len(edges)} transitions; {not_written(err, out_dir)}")
    except ValueError as err:  # a NUL in --out
        _fail(f"error: {not_written(err, out_dir)}")
    click.echo(f"{spec}: {len(states)} states, {len(edges)} transitions"
               + (f"; counterexamples of {', '.join(t.property for t in traces)} in red" if traces else ""))
    if dot_timeout is None and len(states) > DRAWABLE_STATES:
        # Graphviz lays out such a graph for minutes or hours; try only when asked
        click.echo(f"graph: {dot_path}")
        click.echo(f"note: {len(states):,} states are too many for Graphviz to draw quickly; only the .dot file "
                   "was written (give --dot-timeout SECONDS to try drawing it)", err=True)
        return
    try:
        drawn = render_dot(source, inside(folder, "state_graph." + fmt), fmt, timeout=dot_timeout or DOT_SECONDS)
        click.echo(f"graph: {drawn}")
    except DotMissing:
        click.echo(f"graph: {dot_path}")
        click.echo(INSTALL_HINT, err=True)
    except (RuntimeError, OSError) as err:
        click.echo(f"graph: {dot_path}")
        click.echo(f"warning: dot could not render {dot_path}: {err}; raise --dot-timeout, or draw a smaller model",
                   err=True)


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(EXIT_INVALID)
