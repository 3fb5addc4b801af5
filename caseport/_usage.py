"""How the command line reports a usage error: one line, at most a hint naming ``--help``.

typer reports a mistyped command or option as a five-line box, and a value it cannot convert in
pydantic's words (``Input should be a valid integer, unable to parse string as an integer``).
Here both become one line in the shape of every other error, naming the option and what it
takes (``--limit: 'abc' is not a whole number from 1 to 1000``), and a second line saying where
help is. The exit code is the one click gives the error: 2 for every usage error.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any, Final, Protocol, cast

from pydantic import ValidationError
from rich.console import Console
from rich.text import Text

__all__ = ["UsageFailure", "as_usage_error", "describe_usage_error", "report_usage"]

_MAX_VALUE: Final = 40
"""Longest part of a typed value repeated in a message."""
_NO_ARGS_IS_HELP: Final = "NoArgsIsHelpError"
"""click's error for a group called without a command; its help is printed already."""


class UsageFailure(Protocol):
    """What click's usage errors offer (typer keeps click's exception classes private)."""

    exit_code: int

    def format_message(self) -> str:
        """The error's own message."""
        ...


def as_usage_error(error: BaseException) -> UsageFailure | None:
    """``error`` when it is a usage error to report; ``None`` for any other error.

    ``caseport`` without a command raises a usage error that only stands for the help it has
    printed already; it is not reported either.
    """
    if type(error).__name__ == _NO_ARGS_IS_HELP:
        return None
    if isinstance(getattr(error, "exit_code", None), int) and callable(
        getattr(error, "format_message", None)
    ):
        return cast(UsageFailure, error)
    return None


def _option_name(param: Any) -> str:
    """``--limit`` for an option, ``URL`` for an argument."""
    opts: Sequence[str] = getattr(param, "opts", ()) or ()
    flags = [name for name in opts if name.startswith("-")]
    if flags:
        return next((name for name in flags if name.startswith("--")), flags[0])
    metavar = getattr(param, "metavar", None)
    if isinstance(metavar, str) and metavar:
        return metavar
    return str(getattr(param, "name", None) or "value").upper()


def _choice_text(choice: object) -> str:
    return str(choice.value) if isinstance(choice, Enum) else str(choice)


def _range_text(low: object, high: object) -> str:
    if low is not None and high is not None:
        return f" from {low} to {high}"
    if low is not None:
        return f" of at least {low}"
    if high is not None:
        return f" of at most {high}"
    return ""


def _expected(param: Any) -> str | None:
    """What ``param`` takes, in words (``a whole number from 1 to 1000``); ``None``: unknown."""
    descriptor = getattr(param, "type_descriptor", None)
    choices = getattr(descriptor, "choices", None)
    if choices:
        return "one of " + ", ".join(_choice_text(choice) for choice in choices)
    annotation = getattr(descriptor, "annotation", None)
    bounds = _range_text(getattr(param, "min", None), getattr(param, "max", None))
    if annotation is int:
        return "a whole number" + bounds
    if annotation is float:
        return "a number" + bounds
    if annotation is datetime:
        return "an ISO-8601 date or datetime (e.g. 2024-03-01 or 2024-03-01T18:30:00Z)"
    if annotation is Path:
        return "a path"
    return None


def _typed_value(cause: ValidationError) -> str | None:
    errors = cause.errors(include_url=False)
    if not errors:
        return None
    value = errors[0].get("input")
    if value is None:
        return None
    text = str(value.value if isinstance(value, Enum) else value)
    return repr(text[:_MAX_VALUE] + ("…" if len(text) > _MAX_VALUE else ""))


def describe_usage_error(error: UsageFailure) -> str:
    """``error``'s message in our words: a bad value names the option and what it takes.

    A value that typer converted with pydantic and that failed is described from the option
    itself (its range or choices); every other usage error keeps click's message, which
    already names the option or command (``No such option: --bogus``).
    """
    cause = getattr(error, "__cause__", None)
    param = getattr(error, "param", None)
    if isinstance(cause, ValidationError) and param is not None:
        expected = _expected(param)
        value = _typed_value(cause)
        name = _option_name(param)
        if expected is not None:
            return f"{name}: {value} is not {expected}" if value else f"{name}: expected {expected}"
        return f"{name}: {value} is not a valid value" if value else f"{name}: invalid value"
    return error.format_message()


def _help_hint(error: UsageFailure) -> str | None:
    ctx = getattr(error, "ctx", None)
    if ctx is None:
        return None
    command = getattr(ctx, "command", None)
    if command is None or command.get_help_option(ctx) is None:
        return None
    return f"Try '{ctx.command_path} {ctx.help_option_names[0]}' for help."


def report_usage(error: UsageFailure, console: Console) -> int:
    """Print ``error`` as one red line, then a hint naming ``--help``; return its exit code."""
    message = " ".join(describe_usage_error(error).split())
    console.print(Text(f"Error (usage): {message}", style="bold red"))
    hint = _help_hint(error)
    if hint is not None:
        console.print(Text(hint, style="dim"))
    return error.exit_code
