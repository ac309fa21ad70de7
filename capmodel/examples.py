"""The example specs shipped with capmodel, and `capmodel examples [DEST]`, which copies them.

A wheel carries them as capmodel/specs/ (setup.py copies specs/ there at build
time); an editable install or a checkout has them in specs/ beside the package.
They are copied into DEST/specs/ so that the commands of README.md and
docs/tutorial.md (`capmodel verify specs/async.cap`, `capmodel cap`) work as
written from inside DEST.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import click

from .cli import cli, json_option
from .cli_files import FilesReport

DEFAULT_DEST = "capmodel-examples"


def shipped_specs() -> Path | None:
    """The folder of example specs: the wheel's capmodel/specs/, else a checkout's specs/; None if neither."""
    package = Path(__file__).resolve().parent
    for folder in (package / "specs", package.parent / "specs"):
        if any(folder.rglob("*.cap")):
            return folder
    return None


def copy_examples(dest: Path) -> list[Path]:
    """Copy every shipped .cap file into dest/specs/ (keeping subfolders); the files written, sorted.
    Raises FileExistsError if dest exists and is not an empty folder: nothing is overwritten."""
    source = shipped_specs()
    if source is None:
        raise FileNotFoundError("this installation of capmodel ships no example specs")
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise FileExistsError(str(dest))
    written = []
    for spec in sorted(source.rglob("*.cap")):
        target = dest / "specs" / spec.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(spec, target)
        written.append(target)
    return written


@cli.command(name="examples", epilog="Exit codes: 0 copied; 2 DEST exists and is not empty, or cannot be written.")
@click.argument("dest", default=DEFAULT_DEST, type=click.Path(path_type=Path))
@json_option
def examples_command(dest: Path, as_json: bool) -> None:
    """Copy the example specs into DEST/specs/ (DEST defaults to ./capmodel-examples).

    Never overwrites: DEST must not exist, or be an empty folder.

    \b
    Example:
      capmodel examples && cd capmodel-examples && capmodel verify specs/async.cap"""
    report = FilesReport("examples", as_json, None)
    try:
        written = copy_examples(dest)
    except FileExistsError:
        report.fail(f"{dest} already exists and is not an empty folder; nothing copied", code="exists",
                    hint="remove it, or give another folder: capmodel examples DEST")
    except FileNotFoundError as err:
        report.fail(str(err), code="no_examples", hint="reinstall it with: pip install capmodel")
    except OSError as err:
        report.fail(f"cannot write {err.filename or dest}: {err.strerror or err}", code="output_not_written")
    report.say(f"copied {len(written)} example specs into {dest / 'specs'}", folder=str(dest / "specs"))
    for path in written:
        report.written[str(path.relative_to(dest))] = str(path)  # listed in JSON only: 40 lines of text say little
    report.say(f"try: cd {dest} && capmodel verify specs/async.cap")
    report.say("     (the CAP table of two of them: capmodel cap specs/cp.cap specs/ap.cap)")
    report.done()
