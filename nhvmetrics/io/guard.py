"""The output guard: every way out of nhvmetrics passes through it.

Two things never leave the tool, whatever the data holds:

* a **personnummer** (or samordningsnummer): every personnummer-shaped token, as
  :mod:`nhvmetrics.personnummer` defines it, is replaced by ``<personnummer>``
  (``&lt;personnummer&gt;`` inside HTML, ``personnummer`` in a derived file name);
* raw **control and invisible characters** from the data: C0 and C1 controls (ESC, NUL, …), DEL,
  and the format characters of Unicode (bidi overrides and marks, zero-width characters, the
  BOM, soft hyphens), line and paragraph separators.  They are shown as text instead: ``\\x1b``
  for a control, ``U+202E`` for the others.  Inside a cell value tabs and line breaks are
  shown too; a whole document or terminal line keeps its own.  A personnummer split by such a
  character (``19121212\\u200b-1212``) is still found and masked.

Where it is applied (docs/guarantees.md lists the tests):

* files: :func:`nhvmetrics.io.atomic.write_text` (HTML, JSON, CSV text), and
  :func:`~nhvmetrics.io.atomic.write_bytes` for text; :mod:`nhvmetrics.io.writers` guards every
  frame (values and column names) and JSON payload; :func:`nhvmetrics.io.xlsx.workbook_bytes`
  every cell and sheet name of every workbook; ``atomic_path`` refuses a file name that holds a
  personnummer;
* the terminal: :func:`echo` for the commands' lines, and :class:`GuardedStream` around stdout
  and stderr for everything else that prints (rich tables, typer's own messages);
* messages: :class:`nhvmetrics.errors.NhvError` cleans its sentence with :func:`clean_value`.

This module imports only :mod:`nhvmetrics.personnummer`, so ``errors.py`` can use it.
"""

from __future__ import annotations

import contextlib
import functools
import io
import re
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TextIO

from nhvmetrics.personnummer import (
    MASK,
    MASK_FILE_NAME,
    MASK_HTML,
    PREFILTER_RE,
    WHOLE_TOKEN_RE,
    find_personnummer,
    mask_text,
)

if TYPE_CHECKING:  # pragma: no cover
    import polars as pl

# Unicode Cc (controls) and Cf (format characters) plus Zl/Zp, as ranges; a test checks the list
# against unicodedata.
_INVISIBLE_RANGES: tuple[tuple[int, int], ...] = (
    (0x00, 0x1F),
    (0x7F, 0x9F),
    (0xAD, 0xAD),
    (0x600, 0x605),
    (0x61C, 0x61C),
    (0x6DD, 0x6DD),
    (0x70F, 0x70F),
    (0x890, 0x891),
    (0x8E2, 0x8E2),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x2028, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
)
_LAYOUT = "\t\n\r"


def _py_class(ranges: tuple[tuple[int, int], ...], keep: str = "") -> str:
    parts = []
    for lo, hi in ranges:
        for a, b in _split(lo, hi, {ord(k) for k in keep}):
            parts.append(
                re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
            )
    return "[" + "".join(parts) + "]"


def _rust_class(ranges: tuple[tuple[int, int], ...]) -> str:
    return (
        "["
        + "".join(
            f"\\x{{{lo:X}}}" if lo == hi else f"\\x{{{lo:X}}}-\\x{{{hi:X}}}" for lo, hi in ranges
        )
        + "]"
    )


def _split(lo: int, hi: int, holes: set[int]) -> list[tuple[int, int]]:
    out, start = [], lo
    for cp in range(lo, hi + 1):
        if cp in holes:
            if start < cp:
                out.append((start, cp - 1))
            start = cp + 1
    if start <= hi:
        out.append((start, hi))
    return out


_INVISIBLE = re.compile(_py_class(_INVISIBLE_RANGES))  # every one, in cell values
_INVISIBLE_IN_TEXT = re.compile(_py_class(_INVISIBLE_RANGES, keep=_LAYOUT))  # documents, lines
_INVISIBLE_RUST = _rust_class(_INVISIBLE_RANGES)  # the same class for polars (vectorised test)
#: A terminal keeps ESC only where the tool itself colours a line (rich, on a terminal).
_INVISIBLE_ON_TTY = re.compile(_py_class(_INVISIBLE_RANGES, keep=_LAYOUT + "\x1b"))


_SURROGATE = re.compile("[\ud800-\udfff]")


def _show(m: re.Match[str]) -> str:
    cp = ord(m.group(0))
    return f"\\x{cp:02x}" if cp <= 0x9F else f"U+{cp:04X}"


def neutralise(text: str, layout: bool = False) -> str:
    """Show control and invisible characters as text (``\\x1b``, ``U+202E``).

    ``layout=True`` keeps tabs and line breaks (for a whole document or a terminal line)."""
    text = _SURROGATE.sub("\ufffd", text)  # from a file name that is not valid UTF-8
    return (_INVISIBLE_IN_TEXT if layout else _INVISIBLE).sub(_show, text)


def _mask_hidden(text: str, pattern: re.Pattern[str], mask: str) -> str:
    """Mask personnummer, also one that an invisible character splits (it is then dropped)."""
    if pattern.search(text):
        bare = pattern.sub("", text)
        if len(find_personnummer(bare)) > len(find_personnummer(text)):
            text = bare
    return mask_text(text, mask)


def clean_value(text: str, mask: str = MASK) -> str:
    """One value (a cell, a name, a message): personnummer masked, every control shown as text."""
    if len(text) > _MEMO_CHARS:
        return _clean_value(text, mask)
    return _clean_value_memo(text, mask)


def _clean_value(text: str, mask: str = MASK) -> str:
    return neutralise(_mask_hidden(text, _INVISIBLE, mask))


# A report guards the same short texts (labels, unit codes, periods) thousands of times: they
# are remembered. The function is pure, so what it returns is the same either way.
_MEMO_CHARS = 200
_clean_value_memo = functools.lru_cache(maxsize=8192)(_clean_value)


def clean_text(text: str, html: bool = False) -> str:
    """A whole document or terminal line: personnummer masked, controls shown as text; tabs and
    line breaks are kept.  ``html=True`` uses the HTML form of the mask."""
    return neutralise(_mask_hidden(text, _INVISIBLE_IN_TEXT, MASK_HTML if html else MASK), True)


def safe_file_name(name: str) -> str:
    """A file name made from data (a unit code …) with every personnummer replaced by
    ``personnummer`` and controls shown as text."""
    return clean_value(name, MASK_FILE_NAME)


def needs_cleaning(text: str) -> bool:
    """True when :func:`clean_value` would change ``text``."""
    return clean_value(text) != text


# --- frames, JSON, workbooks -------------------------------------------------------------------


def clean_series(values: pl.Series) -> pl.Series:
    """A String series through :func:`clean_value`; values that need nothing are not touched
    (a vectorised pre-filter finds the few that do)."""
    import polars as pl

    token = values.str.contains(PREFILTER_RE).fill_null(False)
    hidden = values.str.contains(_INVISIBLE_RUST).fill_null(False)
    if not (token | hidden).any():
        return values
    out = values
    whole = (token & ~hidden) & values.str.contains(WHOLE_TOKEN_RE).fill_null(False)
    if whole.any():  # a column of personnummer: masked without Python
        out = values.zip_with(~whole, pl.Series([MASK] * len(values), dtype=pl.String))
    rest = (token | hidden) & ~whole
    if not rest.any():
        return out
    candidates = values.filter(rest).unique().to_list()
    changed = {v: c for v in candidates if (c := clean_value(v)) != v}
    return out.replace(changed).cast(pl.String) if changed else out


def guard_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Every text value and every column name of ``frame`` through :func:`clean_value`."""
    import polars as pl

    names = [clean_value(c) for c in frame.columns]
    if names != frame.columns:
        seen: dict[str, int] = {}
        unique = []
        for n in names:  # two masked names must stay two columns
            seen[n] = seen.get(n, 0) + 1
            unique.append(n if seen[n] == 1 else f"{n} ({seen[n]})")
        frame = frame.rename(dict(zip(frame.columns, unique, strict=True)))
    out = []
    for name, dtype in frame.schema.items():
        if dtype == pl.String:
            s = frame.get_column(name)
            c = clean_series(s)
            if c is not s:
                out.append(c.alias(name))
        elif isinstance(dtype, (pl.Categorical, pl.Enum)):
            s = frame.get_column(name).cast(pl.String)
            c = clean_series(s)
            if c is not s:
                out.append(c.cast(pl.Categorical).alias(name))
        elif dtype.is_numeric():
            # a personnummer read as a number (a Parquet or Excel column of integers): only a
            # whole part of 10 or 12 digits can be one
            v = frame.get_column(name).cast(pl.Float64).abs()
            if not (((v >= 1e9) & (v < 1e10)) | ((v >= 1e11) & (v < 1e12))).any():
                continue
            s = frame.get_column(name).cast(pl.String)
            c = clean_series(s)
            if c is not s:
                out.append(c.alias(name))
    return frame.with_columns(out) if out else frame


def guard_json(value: Any) -> Any:
    """A JSON-able object with every string (keys included) through :func:`clean_value`."""
    if isinstance(value, str):
        return clean_value(value)
    if isinstance(value, dict):
        return {
            (clean_value(k) if isinstance(k, str) else k): guard_json(v) for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [guard_json(v) for v in value]
    return value


def guard_cell_value(value: Any) -> Any:
    """A workbook cell's value: text cleaned; a whole number that reads as a personnummer masked."""
    if isinstance(value, str):
        cleaned = clean_value(value)
        return value if cleaned == value else cleaned
    if isinstance(value, int) and not isinstance(value, bool) and find_personnummer(str(value)):
        return MASK
    return value


def guard_workbook(wb: Any) -> None:
    """Every sheet name and every cell of an openpyxl workbook through the guard (in place)."""
    for ws in wb.worksheets:
        title = clean_value(ws.title)
        if title != ws.title:
            ws.title = title[:31]
        for row in ws.iter_rows():
            for cell in row:
                v = cell.value
                g = guard_cell_value(v)
                if g is not v:
                    cell.value = g
                    if isinstance(g, str):
                        cell.data_type = "s"


# --- the terminal ------------------------------------------------------------------------------


def echo(message: str = "", err: bool = False) -> None:
    """Print one line (or a few) to stdout, or stderr with ``err=True``, through the guard."""
    import typer  # typer's own echo: newer typers no longer install click

    typer.echo(clean_text(str(message)), err=err)


class GuardedStream(io.TextIOBase):
    """A text stream that sends each complete line through the guard before the real stream.

    Installed around ``sys.stdout`` and ``sys.stderr`` by the command line (``cli.main``), so
    that nothing printed, whoever prints it, shows a personnummer or a raw control character.
    On a terminal ESC is let through (rich colours its tables with it); the values that rich
    shows are cleaned where they come from (findings, messages, :func:`echo`).
    """

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self._stream = stream
        self._pending = ""
        try:
            self._tty = bool(stream.isatty())
        except (AttributeError, ValueError, OSError):
            self._tty = False

    # what click and rich look at
    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._stream, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return getattr(self._stream, "errors", None)

    def isatty(self) -> bool:
        return self._tty

    def fileno(self) -> int:
        return self._stream.fileno()

    def writable(self) -> bool:
        return True

    def _emit(self, text: str) -> None:
        if not text:
            return
        masked = _mask_hidden(text, _INVISIBLE_IN_TEXT, MASK)
        pattern = _INVISIBLE_ON_TTY if self._tty else _INVISIBLE_IN_TEXT
        self._stream.write(pattern.sub(_show, masked))

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self._pending += text
        cut = max(self._pending.rfind("\n"), self._pending.rfind("\r"))
        if cut >= 0:
            done, self._pending = self._pending[: cut + 1], self._pending[cut + 1 :]
            self._emit(done)
        return len(text)

    def flush(self) -> None:
        pending, self._pending = self._pending, ""
        self._emit(pending)
        try:
            self._stream.flush()
        except (AttributeError, ValueError, OSError):
            pass

    @property
    def wrapped(self) -> TextIO:
        return self._stream


@contextlib.contextmanager
def guarded_terminal() -> Iterator[None]:
    """Put :class:`GuardedStream` around ``sys.stdout`` and ``sys.stderr`` for the duration."""
    out, err = sys.stdout, sys.stderr
    if isinstance(out, GuardedStream) or isinstance(err, GuardedStream):
        yield
        return
    g_out, g_err = GuardedStream(out), GuardedStream(err)
    sys.stdout, sys.stderr = g_out, g_err
    try:
        yield
    finally:
        for g in (g_out, g_err):
            with contextlib.suppress(Exception):
                g.flush()
        sys.stdout, sys.stderr = out, err
