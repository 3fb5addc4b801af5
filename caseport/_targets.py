"""Which store a query command reads, and which ids it was given, from its positional arguments.

Every query command takes the store's URL first and lets it be left out, in which case the
configured store is read (``caseport.toml``, ``CASEPORT_URL``, else ``./caseport.db``). A first
argument holding ``://`` is the URL: no record id can hold a ``/``, so ``get ID`` and
``get URL ID`` are never confused.
"""

from __future__ import annotations

from collections.abc import Sequence

import typer

__all__ = ["is_url", "url_and_ids"]


def is_url(value: str) -> bool:
    """Whether ``value`` names a store (``scheme://...``) rather than a record."""
    return "://" in value


class _ArgumentProblem(typer.BadParameter):
    """A usage error whose message is shown as written, like click's own missing argument."""

    def format_message(self) -> str:
        """The message as given."""
        return self.message


def url_and_ids(
    ctx: typer.Context,
    given: Sequence[str | None],
    names: Sequence[str],
    *,
    variadic: bool = False,
) -> tuple[str | None, list[str]]:
    """Split positional arguments into the store URL (``None``: configured) and the ids.

    ``names`` are the metavars of the ids expected, in order; with ``variadic`` the last one
    may repeat. ``ctx`` is the command's, so that an error can point at its help.

    Raises:
        typer.BadParameter: an id is missing, or there are more arguments than ids expected.
    """
    values = [value for value in given if value is not None]
    url = values.pop(0) if values and is_url(values[0]) else None
    for value in values:
        if is_url(value):
            raise _ArgumentProblem(
                f"{value[:80]!r} looks like a store URL; give the URL first, before the ids.",
                ctx=ctx,
            )
    if len(values) < len(names):
        missing = names[len(values)]
        raise _ArgumentProblem(f"Missing argument '{missing}'.", ctx=ctx)
    if not variadic and len(values) > len(names):
        extra = " ".join(values[len(names) :])
        raise _ArgumentProblem(f"Got unexpected extra argument ({extra[:80]}).", ctx=ctx)
    return url, values
