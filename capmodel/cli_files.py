"""What the commands that write files report: `render`, `graph`, `export`, `examples`.

As text, each file written is a line `key: path` and notes go to stderr; with
--json the same facts are one document of the command's kind (docs/json.md),
whose one result lists them: {file, written: {key: path}, notes, ...facts}.
Errors are one line `error: ...` (text) or an error object (JSON), exit 2.
"""
from __future__ import annotations

import sys

import click

from .cli import EXIT_INTERRUPTED, EXIT_INVALID, EXIT_OK, emit, error_json


class FilesReport:
    def __init__(self, kind: str, as_json: bool, file: str | None) -> None:
        self.kind, self.as_json, self.file = kind, as_json, file
        self.written: dict[str, str] = {}
        self.notes: list[str] = []
        self.facts: dict = {}

    def say(self, line: str, **facts) -> None:
        """A line of the text report; its facts go into the JSON result."""
        self.facts.update(facts)
        if not self.as_json:
            click.echo(line)

    def wrote(self, key: str, path) -> None:
        self.written[key] = str(path)
        if not self.as_json:
            click.echo(f"{key}: {path}")

    def note(self, line: str) -> None:
        if line not in self.notes:
            self.notes.append(line)
            if not self.as_json:
                click.echo(line, err=True)

    def result(self) -> dict:
        return {"file": self.file, "written": dict(self.written), "notes": list(self.notes), **self.facts}

    def fail(self, message: str, *, code: str, hint: str | None = None, line: int | None = None,
             column: int | None = None, exit_code: int = EXIT_INVALID):
        """End the command with an error (text: one line on stderr)."""
        if self.as_json:
            self._emit(exit_code, [error_json(code, message, file=self.file, line=line, column=column, hint=hint)],
                       interrupted=exit_code == EXIT_INTERRUPTED)
        click.echo(f"{'interrupted (Ctrl-C)' if exit_code == EXIT_INTERRUPTED else 'error'}: {message}"
                   + (f"; {hint}" if hint else ""), err=True)
        sys.exit(exit_code)

    def done(self) -> None:
        if self.as_json:
            self._emit(EXIT_OK, [])
        sys.exit(EXIT_OK)

    def _emit(self, exit_code: int, errors: list, interrupted: bool = False):
        emit(self.kind, [self.result()], exit_code, errors, interrupted)

