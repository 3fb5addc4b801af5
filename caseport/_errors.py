"""How the command line reports errors: one red line on stderr and a documented exit code.

Only :class:`~contracts.errors.CaseportError` crosses the boundary between the layer and the
command line. A pydantic ``ValidationError`` can only come from what the user typed (a query
built from options), so it is reported the same way, as a validation error.
"""

from __future__ import annotations

from typing import Any, Final

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.text import Text
from typer.core import TyperGroup

from contracts.errors import CaseportError, ConfigurationError, ValidationFailed
from contracts.validation import as_validation_failed

__all__ = [
    "EXIT_CODES_HELP",
    "EXIT_FAILURE",
    "EXIT_USAGE",
    "ReportingGroup",
    "exit_code",
    "report",
]

EXIT_FAILURE: Final = 1
"""The request was understood but failed: backend error, missing record, failed check."""
EXIT_USAGE: Final = 2
"""The request must change: bad option, invalid value, unusable configuration."""

EXIT_CODES_HELP: Final = (
    "Exit codes: 0 success; 1 failure (backend error, record not found, unsupported "
    "capability, failed conformance run, backends that disagree); 2 usage, validation or "
    "configuration error."
)


def exit_code(error: CaseportError) -> int:
    """The exit code for ``error``: 2 when the caller must change the request, else 1."""
    if isinstance(error, ValidationFailed | ConfigurationError):
        return EXIT_USAGE
    return EXIT_FAILURE


_MAX_MESSAGE: Final = 600


def _one_line(message: str) -> str:
    # Messages may quote multi-line output (a test run's tail, say); one bounded line stays
    # readable and greppable.
    line = " ".join(message.split()) or "unknown error"
    return line if len(line) <= _MAX_MESSAGE else line[: _MAX_MESSAGE - 1] + "…"


def report(error: CaseportError, console: Console | None = None) -> int:
    """Print ``error`` as one red line on stderr and return its exit code."""
    console = console or Console(stderr=True, highlight=False, soft_wrap=True)
    label = type(error).__name__
    console.print(Text(f"Error ({label}): {_one_line(str(error))}", style="bold red"))
    return exit_code(error)


class ReportingGroup(TyperGroup):
    """The top-level command group; turns contract errors raised by any command into one line.

    Catching here, rather than in ``main``, means the test runner and every subcommand get the
    same behaviour.
    """

    def invoke(self, ctx: Any) -> Any:
        """Run the chosen command, reporting contract and input errors as one line."""
        # ``ctx`` is typer's own click context; its class lives in a private module of typer.
        try:
            return super().invoke(ctx)
        except CaseportError as error:
            raise typer.Exit(report(error)) from error
        except ValidationError as error:
            raise typer.Exit(report(as_validation_failed(error, "input"))) from error
