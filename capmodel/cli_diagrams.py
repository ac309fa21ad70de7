"""`capmodel render` and `capmodel graph`: the diagram commands, registered on the `cli` group."""
from __future__ import annotations

import json
from pathlib import Path

import click

from .cli import EXIT_INTERRUPTED, Seconds, _load_all, cli, json_option
from .cli_files import FilesReport
from .render.sequence_dot import DOT_SECONDS

DRAWABLE_STATES = 2_000  # beyond this, `graph` writes the .dot but does not run Graphviz unless asked


@cli.command(epilog="Exit codes: 0 drawn (or nothing to draw); 2 the file is not such a document, or --out "
             "cannot take the diagrams.")
@click.argument("trace_file", metavar="TRACE.json", type=click.Path(dir_okay=False))
@click.option("--out", "out_dir", default="out", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the diagrams (one subfolder per spec).")
@click.option("--format", "fmt", type=click.Choice(["svg", "png"]), default="svg", show_default=True,
              help="Image format.")
@json_option
def render(trace_file, out_dir, fmt, as_json):
    """Redraw the counterexamples saved by `capmodel verify --json` (or one bare trace).

    The file must follow capmodel/schema/capmodel.schema.json (as `verify --json`
    output does, docs/json.md); at most 200 traces of at most 500 steps each are drawn.

    \b
    Example:
      capmodel verify specs/async.cap --json > async.json
      capmodel render async.json --format png"""
    from .render.diagrams import DiagramsNotWritten, write_traces
    from .render.trace_json import TraceFormatError, check_schema, drawable, traces_in, within_bounds

    report = FilesReport("render", as_json, trace_file)
    from_verify = "give a file written by `capmodel verify --json`"
    try:
        text = Path(trace_file).read_text(encoding="utf-8")
    except FileNotFoundError:
        report.fail(f"{trace_file}: no such file", code="no_such_file")
    except (OSError, UnicodeDecodeError) as err:
        report.fail(f"{trace_file}: cannot read it ({err.__class__.__name__}: {err})", code="unreadable")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        report.fail(f"{trace_file}:{err.lineno}:{err.colno}: not JSON ({err.msg})", code="not_json",
                    line=err.lineno, column=err.colno, hint=from_verify)
    except RecursionError:
        report.fail(f"{trace_file}: the JSON is nested too deeply to be a trace", code="not_a_trace",
                    hint=from_verify)
    except ValueError as err:  # a number of thousands of digits
        report.fail(f"{trace_file}: unreadable JSON ({err})", code="not_json", hint=from_verify)
    try:
        within_bounds(doc)
        check_schema(doc)
        found = drawable(traces_in(doc))
    except TraceFormatError as err:
        report.fail(f"{trace_file}: {err}", code="not_a_trace")
    except RecursionError:
        report.fail(f"{trace_file}: the JSON is nested too deeply to be a trace", code="not_a_trace")
    if not found:
        report.say(f"{trace_file}: no counterexample to draw (every property held)")
        report.done()
    by_folder: dict[str, list] = {}
    for folder, key, trace in found:
        by_folder.setdefault(folder, []).append((key, trace))
    for folder, traces in by_folder.items():
        try:
            paths, more = write_traces(traces, folder, out_dir, fmt)
        except DiagramsNotWritten as err:
            report.fail(str(err), code="output_not_written", hint="give a folder you can write to")
        for key, path in paths.items():
            report.wrote(key, path)
        for note in more:
            report.note(note)
    report.done()


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
@json_option
def graph(spec, out_dir, max_states, fmt, dot_timeout, as_json):
    """Draw the reachable state graph of a small model, counterexamples in red.

    \b
    Example:
      capmodel graph specs/split_brain_fenced.cap --max-states 2000"""
    from .engines import explicit
    from .render.diagrams import UnsafePath, inside, not_written, safe_name
    from .render.sequence_dot import INSTALL_HINT, DotMissing, render_dot
    from .render.state_graph import ExplorationInterrupted, TooManyStates, explore, graph_to_dot
    from .semantics.build import build_model

    ((_, cfg),) = _load_all([spec], "graph" if as_json else None)
    report = FilesReport("graph", as_json, spec)
    model = build_model(cfg)
    try:
        states, edges = explore(model, max_states)
    except ExplorationInterrupted as stop:  # a graph needs the whole state space: nothing is drawn
        report.fail(f"{spec}: {stop}", code="interrupted", hint="no graph drawn", exit_code=EXIT_INTERRUPTED)
    except TooManyStates:
        report.fail(f"{spec} has more than {max_states} reachable states, too many to draw as a graph",
                    code="too_many_states", hint="make the model smaller (fewer nodes, writes or reads, "
                    "crashes 0 or partitions 0) or raise --max-states")
    try:
        result = explicit.check_step(model, stop_when_decided=False)
    except KeyboardInterrupt:
        report.fail(f"{spec}: interrupted while its counterexamples were found", code="interrupted",
                    hint="no graph drawn", exit_code=EXIT_INTERRUPTED)
    traces = [p.trace for p in result.properties if p.trace is not None]
    source = graph_to_dot(model, states, edges, traces)
    try:
        folder = inside(Path(out_dir), safe_name(Path(spec).stem, "spec"))
        folder.mkdir(parents=True, exist_ok=True)
        dot_path = inside(folder, "state_graph.dot")
        dot_path.write_text(source, encoding="utf-8")
    except (OSError, UnsafePath) as err:
        report.fail(f"{spec}: {len(states)} states, {len(edges)} transitions; {not_written(err, out_dir)}",
                    code="output_not_written")
    except ValueError as err:  # a NUL in --out
        report.fail(not_written(err, out_dir), code="output_not_written")
    report.say(f"{spec}: {len(states)} states, {len(edges)} transitions"
               + (f"; counterexamples of {', '.join(t.property for t in traces)} in red" if traces else ""),
               states=len(states), transitions=len(edges), counterexamples=[t.property for t in traces])
    if dot_timeout is None and len(states) > DRAWABLE_STATES:
        # Graphviz lays out such a graph for minutes or hours; try only when asked
        report.wrote("graph", dot_path)
        report.note(f"note: {len(states):,} states are too many for Graphviz to draw quickly; only the .dot file "
                    "was written (give --dot-timeout SECONDS to try drawing it)")
        report.done()
    try:
        report.wrote("graph", render_dot(source, inside(folder, "state_graph." + fmt), fmt,
                                         timeout=dot_timeout or DOT_SECONDS))
    except DotMissing:
        report.wrote("graph", dot_path)
        report.note(INSTALL_HINT)
    except (RuntimeError, OSError) as err:
        report.wrote("graph", dot_path)
        report.note(f"warning: dot could not render {dot_path}: {err}; raise --dot-timeout, or draw a smaller model")
    report.done()
