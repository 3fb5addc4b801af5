"""Writing a file so that it appears whole or not at all.

The text goes to a hidden temporary file beside the target (``.NAME.RANDOM.part``), which is
renamed over the target only once everything is written. A run that fails or is interrupted
removes its temporary file and leaves the target as it was; a run killed outright leaves at most
the ``.part`` file, never a partial file under the target's name.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

__all__ = ["replacing"]


def _is_special(path: Path) -> bool:
    # /dev/null, a named pipe, a terminal: written to in place, never replaced by a rename.
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


@contextlib.contextmanager
def replacing(target: Path) -> Iterator[TextIO]:
    """A UTF-8 text stream whose content replaces ``target`` when the block ends normally.

    A symbolic link is followed: the file it points to is replaced, the link kept. A target
    that exists and is not a regular file (``/dev/null``, a named pipe) is written in place.

    Raises:
        OSError: the temporary file cannot be created or written, or the rename fails
            (``IsADirectoryError`` when ``target`` is a directory).
    """
    final = target.resolve() if target.is_symlink() else target
    if final.is_dir():
        raise IsADirectoryError(21, "Is a directory", str(target))
    if _is_special(final):
        with final.open("w", encoding="utf-8", newline="\n") as stream:
            yield stream
        return
    partial = final.with_name(f".{final.name}.{secrets.token_hex(4)}.part")
    # O_EXCL: never write into a file that someone else made; 0o666 so that the umask, not
    # this module, decides who may read the result, as for any file a command creates.
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as stream:
            yield stream
        os.replace(partial, final)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
