"""File names that cannot be shown.

On Linux a file name is bytes; Python hands bytes that are not valid UTF-8 (a Latin-1 ``Ö`` from
an old file share) over as lone surrogates, which polars cannot open and which cannot be printed,
written to JSON or put in a report.  Such names are refused with one sentence that shows the name
with ``\ufffd`` in place of the bytes, and says to rename the file.
"""

from __future__ import annotations

import re
from pathlib import Path

from nhvmetrics.errors import InputError

_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def printable(text: str) -> str:
    """``text`` with every undecodable byte of a file name (a lone surrogate) shown as U+FFFD."""
    return _SURROGATE_RE.sub("\ufffd", text)


def check_name(path: Path | str, what: str = "file") -> None:
    """Raise :class:`InputError` (exit 2) when ``path`` is not valid UTF-8."""
    text = str(path)
    if _SURROGATE_RE.search(text):
        raise InputError(
            f"the {what} name {printable(text)} is not valid UTF-8 (the bytes shown as \ufffd); "
            "rename the file or its folder using UTF-8 (for example with convmv -f latin1 "
            "-t utf8), then run again."
        )
