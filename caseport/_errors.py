"""How the command line reports errors: one red line on stderr and a documented exit code.

Only :class:`~contracts.errors.CaseportError` crosses the boundary between the layer and the
command line on purpose. A pydantic ``ValidationError`` can only come from what the user typed
(a query built from options), so it is reported the same way, as a validation error. Anything
else is a bug, in caseport or in an adapter: it is reported as one ``Error (internal: ...)``
line with exit 1. The full traceback is printed only with the global ``--debug`` option (for
any error, so that a bug report can quote it). A usage error (unknown option, a value of the
wrong type) is one line too, with a hint naming ``--help`` (:mod:`caseport._usage`).
Ctrl-C prints ``interrupted`` and exits 130, as shells expect; output cut short by its reader
(``caseport ... | head``) ends quietly with 141, as it does for other Unix tools.
"""

from __future__ import annotations

import os
import sys
import traceback
from typing import Any, Final

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.text import Text
from typer.core import TyperCommand, TyperGroup

from caseport._usage import as_usage_error, report_usage
from contracts.errors import CaseportError, ConfigurationError, ValidationFailed
from contracts.validation import as_validation_failed

__all__ = [
    "DEBUG_PARAMETER",
    "EXIT_BROKEN_PIPE",
    "EXIT_CODES_HELP",
    "EXIT_FAILURE",
    "EXIT_INTERRUPTED",
    "EXIT_USAGE",
    "CaseportCommand",
    "ReportingGroup",
    "exit_code",
    "report",
    "report_internal",
]

EXIT_FAILURE: Final = 1
"""The request was understood but failed: backend error, missing record, failed check."""
EXIT_USAGE: Final = 2
"""The request must change: bad option, invalid value, unusable configuration."""
EXIT_INTERRUPTED: Final = 130
"""The user pressed Ctrl-C (128 + SIGINT, as shells report it)."""
EXIT_BROKEN_PIPE: Final = 141
"""The reader of stdout went away (``| head``): 128 + SIGPIPE, as a shell reports a Unix tool
killed by it. Not 0, so that ``set -o pipefail`` still sees output that was cut short."""

DEBUG_PARAMETER: Final = "debug"
"""The name of the top-level option that asks for tracebacks of internal errors."""

EXIT_CODES_HELP: Final = (
    "Exit codes: 0 success; 1 failure (backend error, record not found, unsupported "
    "capability, failed conformance run, backends that disagree, internal error); 2 usage, "
    "validation or configuration error; 130 interrupted (Ctrl-C); 141 the output's reader "
    "closed the pipe (e.g. | head), printing nothing more."
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


def _stderr() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def report(error: CaseportError, console: Console | None = None) -> int:
    """Print ``error`` as one red line on stderr and return its exit code."""
    console = console or _stderr()
    label = type(error).__name__
    console.print(Text(f"Error ({label}): {_one_line(str(error))}", style="bold red"))
    return exit_code(error)


def report_internal(error: BaseException, console: Console | None = None) -> int:
    """Print an unexpected ``error`` as one red line on stderr and return exit code 1.

    The line names the error's type but not its message: an error nobody anticipated may
    repeat anything it was handed, a secret or personal data included. ``--debug`` adds the
    traceback, message and all, for a person who asks for it.
    """
    console = console or _stderr()
    label = f"internal: {type(error).__name__}"
    console.print(
        Text(
            f"Error ({label}): caseport failed unexpectedly; run again with --debug for the "
            "traceback, and report it",
            style="bold red",
        )
    )
    return EXIT_FAILURE


def _print_traceback(error: BaseException) -> None:
    # Plain text, not rich's pretty traceback: it is meant to be pasted into a bug report.
    text = "".join(traceback.format_exception(error))
    _stderr().print(Text(text.rstrip(), style="dim"))


def _hide_flag_types(params: list[Any]) -> list[Any]:
    # typer's rich help shows a value type such as ``<bool>`` next to every option, which reads
    # as if a flag took a value (``--version <bool>``). An empty metavar shows nothing; a flag
    # never uses its metavar otherwise.
    for param in params:
        if getattr(param, "is_bool_flag", False) and param.metavar is None:
            param.metavar = ""
    return params


class CaseportCommand(TyperCommand):
    """A subcommand whose help shows flags without a value type."""

    def get_params(self, ctx: Any) -> list[Any]:
        """The command's parameters, flags marked to show no value type in help."""
        return _hide_flag_types(super().get_params(ctx))


class ReportingGroup(TyperGroup):
    """The top-level command group; turns errors raised by any command into one line.

    Catching here, rather than in ``main``, means the test runner and every subcommand get the
    same behaviour.
    """

    def get_params(self, ctx: Any) -> list[Any]:
        """The group's parameters, flags marked to show no value type in help."""
        return _hide_flag_types(super().get_params(ctx))

    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> Any:
        """Parse the top-level options; a mistake in them is reported as one line."""
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except typer.TyperException as error:
            usage = as_usage_error(error)
            if usage is None:
                raise
            raise typer.Exit(report_usage(usage, _stderr())) from error

    def invoke(self, ctx: Any) -> Any:
        """Run the chosen command, reporting every error as one line on stderr."""
        # ``ctx`` is typer's own click context; its class lives in a private module of typer.
        debug = bool(ctx.params.get(DEBUG_PARAMETER, False))
        try:
            result = super().invoke(ctx)
            # Written output still buffered would meet a closed pipe only at exit, unreported.
            sys.stdout.flush()
            return result
        except (typer.Exit, typer.Abort, EOFError):
            raise
        except typer.TyperException as error:
            # Usage errors of a command: its name, options and their values.
            usage = as_usage_error(error)
            if usage is None:
                raise
            raise typer.Exit(report_usage(usage, _stderr())) from error
        except BrokenPipeError as error:
            raise typer.Exit(_quiet_broken_pipe()) from error
        except CaseportError as error:
            if debug:
                _print_traceback(error)
            raise typer.Exit(report(error)) from error
        except ValidationError as error:
            if debug:
                _print_traceback(error)
            raise typer.Exit(report(as_validation_failed(error, "input"))) from error
        except KeyboardInterrupt as error:
            _stderr().print(Text("interrupted", style="bold red"))
            raise typer.Exit(EXIT_INTERRUPTED) from error
        except Exception as error:
            # The last resort: a bug in caseport or an adapter must not end in a wall of
            # traceback, but must not be hidden either.
            if debug:
                _print_traceback(error)
            raise typer.Exit(report_internal(error)) from error


def _quiet_broken_pipe() -> int:
    """End quietly once stdout's reader has gone: no traceback, no error line, exit 141.

    stdout is pointed at ``/dev/null`` so that the flush at exit, with output still buffered,
    cannot fail a second time (Python would print ``Exception ignored ... BrokenPipeError``).
    """
    try:
        descriptor = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return EXIT_BROKEN_PIPE  # not a real file (a test runner's capture): nothing to flush
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, descriptor)
    os.close(devnull)
    return EXIT_BROKEN_PIPE
