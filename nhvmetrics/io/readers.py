"""Read one table of an export (CSV, XLSX or Parquet) into an all-String polars frame.

Every reader returns a :class:`RawTable` whose ``frame`` holds the input columns as ``String``
(names as in the file, stripped of blanks) plus ``_row`` (Int64): the row number as a spreadsheet
shows it, header = row 1, first data row = 2.  Typing and the INCA conventions are applied later by
:mod:`nhvmetrics.schema.normalize`, so every format goes through the same normalisation.

CSV: the delimiter (``;`` ``,`` tab) is sniffed from the header line; the encoding is detected on a
sample of bytes (UTF-8, UTF-8 with BOM, UTF-16 with BOM, else Windows-1252 / Latin-1) and the file
is transcoded in memory only when it is not UTF-8.  The rows themselves are parsed by polars' native
reader.  Anything that cannot be read raises :class:`~nhvmetrics.errors.InputError` (exit 2).
"""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nhvmetrics.errors import InputError
from nhvmetrics.io.names import check_name, printable

if TYPE_CHECKING:  # pragma: no cover
    import polars as pl

ROW = "_row"
Selector = Callable[[list[str]], list[str]]
FIRST_DATA_ROW = 2
SAMPLE_BYTES = 1 << 16

CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
PARQUET_SUFFIXES = {".parquet", ".pq"}

_MAGIC = [
    (
        b"PK\x03\x04",
        "a zip archive (an Excel workbook?)",
        "give it the .xlsx extension or export it as CSV",
    ),
    (b"\x1f\x8b", "gzip-compressed", "decompress it first"),
    (b"%PDF", "a PDF document", "export the table from INCA as CSV, XLSX or Parquet"),
    (b"PAR1", "a Parquet file", "give it the .parquet extension"),
    (b"\xd0\xcf\x11\xe0", "an old Excel .xls (or other OLE) file", "save it as .xlsx or CSV"),
]


@dataclass
class RawTable:
    """One table as read: String columns (natively typed ones from Parquet/frames) plus ``_row``."""

    frame: pl.DataFrame
    path: Path | None = None
    format: str = "frame"
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    notes: list[str] = field(default_factory=list)  # reader remarks, reported as warnings
    all_columns: list[str] | None = None  # every column name of the file (frame may hold a subset)
    numeric_columns: list[str] = field(default_factory=list)  # workbook columns with number cells

    @property
    def columns(self) -> list[str]:
        """Every column name of the input (without ``_row``), also those not loaded."""
        if self.all_columns is not None:
            return list(self.all_columns)
        return [c for c in self.frame.columns if c != ROW]


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def read_table(
    path: Path | str,
    table: str = "cases",
    sheets: Iterable[str] = (),
    known_names: Iterable[str] = (),
    select: Selector | None = None,
) -> RawTable:
    """Read ``path`` (CSV, XLSX or Parquet, by extension) into a :class:`RawTable`.

    ``sheets`` are the sheet names tried for this table in a workbook (else the first visible
    sheet for the case table); ``known_names`` (lower case) help find the header row in a
    workbook that has a title row above it.  ``select``, given the file's (cleaned) column
    names, returns the ones to load: the others are listed in ``all_columns`` but not parsed
    into the frame, which keeps wide exports (hundreds of registry columns) cheap.
    """
    path = Path(path)
    check_name(path)
    if not path.exists():
        raise InputError(f"the file {path} does not exist; check the path.")
    if path.is_dir():
        raise InputError(f"{path} is a folder, not a file; give the path of the exported table.")
    suffix = path.suffix.lower()
    if suffix not in CSV_SUFFIXES | XLSX_SUFFIXES | PARQUET_SUFFIXES:
        if suffix == ".xls":
            raise InputError(
                f"{path} is an old-style .xls workbook; save it as .xlsx or CSV and try again."
            )
        raise InputError(
            f"{path} has the extension '{suffix or '(none)'}', which nhvmetrics does not read; "
            "export the table as .csv, .xlsx or .parquet."
        )
    try:
        size = path.stat().st_size
        if size == 0:
            raise InputError(f"{path} is empty; export the table again.")
        if suffix in CSV_SUFFIXES:
            raw = read_csv(path, select=select)
        elif suffix in XLSX_SUFFIXES:
            raw = read_xlsx(path, table=table, sheets=sheets, known_names=known_names)
            if select is not None:
                names = raw.columns
                keep = set(select(names))
                raw.frame = raw.frame.select([ROW, *[c for c in names if c in keep]])
                raw.all_columns = names
        else:
            raw = read_parquet(path, select=select)
        if raw.frame.height == 0:
            raw.notes.append(
                "the table has a header but no data rows; check that the export is complete"
            )
        return raw
    except PermissionError:
        raise InputError(
            f"cannot read {path}: permission denied; check the file's permissions."
        ) from None
    except OSError as exc:
        raise InputError(f"cannot read {path} ({exc.strerror or exc}); check the file.") from None


# --------------------------------------------------------------------------------------------
# CSV


def _check_magic(path: Path, head: bytes) -> None:
    for magic, what, todo in _MAGIC:
        if head.startswith(magic):
            raise InputError(f"{path} is {what}, not a CSV file; {todo}.")


def _looks_binary(sample: str) -> bool:
    if not sample:
        return False
    bad = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\t\r\n") or ch == "\ufffd")
    return bad / len(sample) > 0.02


def detect_encoding(head: bytes, complete: bool) -> str:
    """``utf-8``, ``utf-8-sig``, ``utf-16`` or ``cp1252`` for a sample of the file's bytes."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=complete)
        return "utf-8"
    except UnicodeDecodeError:
        return "cp1252"


def _decode_cp1252(data: bytes) -> str:
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:  # 0x81, 0x8D, 0x8F, 0x90, 0x9D are undefined in cp1252
        return data.decode("latin-1")


_EXCEL_SEP_RE = re.compile(r'^\ufeff?[ \t]*"?sep=([^\r\n])"?(?:\1)*[ \t]*\r?$', re.IGNORECASE)


def excel_separator(text: str) -> str | None:
    """The delimiter Excel declares on a first line ``sep=;`` (plain or quoted ``"sep=;"``),
    or None. The line is no header: the table starts on the line after it (and its row
    numbers are those a spreadsheet shows, which hides the line)."""
    first = text.split("\n", 1)[0]
    m = _EXCEL_SEP_RE.match(first)
    return m.group(1) if m else None


def sniff_delimiter(text: str) -> str:
    """The delimiter of the header line: the most frequent of ``;`` tab ``,`` outside quotes."""
    line = ""
    in_quotes = False
    for ch in text:
        if ch == '"':
            in_quotes = not in_quotes
        elif ch in "\r\n" and not in_quotes:
            if line.strip():
                break
            line = ""
            continue
        line += ch if not in_quotes else ""
    counts = {d: line.count(d) for d in (";", "\t", ",")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _other_delimiter(sample: str, delimiter: str) -> str | None:
    """The delimiter the data rows use if not the header's (first 50 rows, quotes ignored)."""
    lines = [ln for ln in re.sub(r'"[^"]*"', "", sample).splitlines() if ln.strip()]
    if len(lines) < 2 or lines[0].count(delimiter) < 2:
        return None
    rows = lines[1:51]
    if len(rows) > 1:
        rows = rows[:-1]  # the sample may end inside a row
    for other in (";", "\t", ","):
        if other == delimiter:
            continue
        if all(r.count(delimiter) == 0 and r.count(other) >= 2 for r in rows):
            return other
    return None


def read_csv(path: Path, select: Selector | None = None) -> RawTable:
    import polars as pl

    with open(path, "rb") as f:
        head = f.read(SAMPLE_BYTES)
        complete = len(head) < SAMPLE_BYTES
    _check_magic(path, head)
    encoding = detect_encoding(head, complete)
    notes: list[str] = []
    source: Path | bytes = path
    if encoding == "utf-16":
        try:
            text = path.read_bytes().decode("utf-16")
        except UnicodeDecodeError:
            raise InputError(
                f"{path} starts like UTF-16 but is not valid UTF-16; save it as UTF-8 CSV."
            ) from None
        source = text.encode("utf-8")
        sample = text[:SAMPLE_BYTES]
    elif encoding == "cp1252":
        text = _decode_cp1252(path.read_bytes())
        source = text.encode("utf-8")
        sample = text[:SAMPLE_BYTES]
    else:
        sample = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    if not sample.strip():
        raise InputError(f"{path} contains no table (only blank lines); export the table again.")
    if _looks_binary(sample):
        raise InputError(
            f"{path} does not look like a text (CSV) file; "
            "export the table as CSV, XLSX or Parquet."
        )
    if "\r" in sample and "\n" not in sample:  # old Mac line endings: polars needs \n
        data = source if isinstance(source, bytes) else path.read_bytes()
        source = data.replace(b"\r", b"\n")
    declared = excel_separator(sample)
    skip = 0
    if declared is not None:  # Excel's "sep=;" line: the delimiter, not a header
        skip = 1
        sample = sample.split("\n", 1)[1] if "\n" in sample else ""
        if not sample.strip():
            raise InputError(
                f"{path} holds only Excel's 'sep=' line and no table; export the table again."
            )
    delimiter = declared or sniff_delimiter(sample)

    all_columns: list[str] | None = None

    def _read(src: Path | bytes, enc: str) -> pl.DataFrame:
        nonlocal all_columns
        opts: dict[str, Any] = dict(
            separator=delimiter,
            infer_schema=False,
            encoding=enc,
            raise_if_empty=True,
            skip_rows=skip,
        )
        columns = None
        if select is not None:
            header = pl.read_csv(src, n_rows=0, **opts).columns
            names = _unique([_clean_name(h) for h in header])
            keep = set(select(names))
            idx = [i for i, n in enumerate(names) if n in keep]
            all_columns = names
            columns = idx or [0]  # at least one column, to count the rows
        frame = pl.read_csv(
            src, columns=columns, row_index_name=ROW, row_index_offset=FIRST_DATA_ROW, **opts
        )
        if select is not None and not idx:
            frame = frame.select(ROW)
        return frame

    try:
        try:
            frame = _read(source, "utf8")
        except pl.exceptions.ComputeError as exc:
            if "utf-8" not in str(exc).lower() and "utf8" not in str(exc).lower():
                raise
            frame = _read(source, "utf8-lossy")
            notes.append(
                "the file has bytes that are not valid UTF-8; they were replaced by '\ufffd'"
            )
            encoding = "utf-8 (lossy)"
    except pl.exceptions.NoDataError:
        raise InputError(f"{path} contains no table; export the table again.") from None
    except pl.exceptions.PolarsError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "more fields" in first:
            raise InputError(
                f"{path}: a row has more fields than the header (delimiter '{_show(delimiter)}'); "
                "check the delimiter and quoting of the file."
            ) from None
        if "escaped" in str(exc) or "quote" in str(exc).lower():
            raise InputError(
                f"{path}: unbalanced quotes in the file; fix the quoting and try again."
            ) from None
        raise InputError(
            f"cannot read {path} as CSV ({first}); check that it is a CSV export."
        ) from None
    frame = _clean_names(frame)
    notes.extend(_delimiter_notes(sample, delimiter))
    return RawTable(
        frame=frame,
        path=path,
        format="csv",
        encoding=encoding,
        delimiter=delimiter,
        notes=notes,
        all_columns=all_columns,
    )


def _delimiter_notes(sample: str, delimiter: str) -> list[str]:
    """A remark when the data rows use another delimiter than the header (their values then land
    in the first column)."""
    other = _other_delimiter(sample, delimiter)
    if not other:
        return []
    return [
        f"the header is separated by '{_show(delimiter)}' but the rows below it by "
        f"'{_show(other)}', so their values land in the first column; export the file again "
        "with one delimiter"
    ]


def _show(delimiter: str) -> str:
    return "tab" if delimiter == "\t" else delimiter


def _clean_name(name: str) -> str:
    return name.strip().lstrip("\ufeff").strip()


def _unique(names: list[str]) -> list[str]:
    """Names made unique the way polars does it (``x``, ``x_duplicated_0``, …): two header cells
    that differ only in blanks are two columns with the same name."""
    seen: dict[str, int] = {}
    out = []
    for n in names:
        if n in seen:
            seen[n] += 1
            k = seen[n] - 1
            while f"{n}_duplicated_{k}" in seen:
                k += 1
            n = f"{n}_duplicated_{k}"
        seen.setdefault(n, 0)
        out.append(n)
    return out


def _clean_names(frame: pl.DataFrame) -> pl.DataFrame:
    import polars as pl

    cols = [c for c in frame.columns if c != ROW]
    mapping = dict(zip(cols, _unique([_clean_name(c) for c in cols]), strict=True))
    frame = (
        frame.rename({k: v for k, v in mapping.items() if k != v})
        if any(k != v for k, v in mapping.items())
        else frame
    )
    return frame.with_columns(pl.col(ROW).cast(pl.Int64))


# --------------------------------------------------------------------------------------------
# Parquet


def read_parquet(path: Path, select: Selector | None = None) -> RawTable:
    import polars as pl

    all_columns = None
    try:
        columns = None
        if select is not None:
            header = pl.scan_parquet(path).collect_schema().names()
            keep = set(select([_clean_name(h) for h in header]))
            columns = [h for h in header if _clean_name(h) in keep or h == ROW] or header[:1]
            all_columns = [_clean_name(h) for h in header if h != ROW]
        frame = pl.read_parquet(path, columns=columns)
    except Exception as exc:  # polars raises several kinds for a broken file
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise InputError(
            f"cannot read {path} as Parquet ({first}); export the table again."
        ) from None
    # a Parquet written by `nhvmetrics convert` keeps the row numbers of the original export
    keep_rows = (
        ROW in frame.columns and frame.schema[ROW].is_integer() and frame[ROW].null_count() == 0
    )
    try:
        out = _parquet_frame(frame, keep if select is not None else None, keep_rows, FIRST_DATA_ROW)
    except pl.exceptions.PolarsError:
        raise InputError(
            f"{path} has nested (list or struct) columns; export a flat table."
        ) from None
    return RawTable(frame=out, path=path, format="parquet", all_columns=all_columns)


def _parquet_frame(
    frame: pl.DataFrame, keep: set[str] | None, keep_rows: bool, start: int
) -> pl.DataFrame:
    """The columns of a Parquet file as read → the reader's frame (``_row`` first, numbered from
    ``start`` unless the file keeps its own row numbers; String or native types; clean names)."""
    import polars as pl

    rows = (
        frame[ROW].cast(pl.Int64)
        if keep_rows
        else pl.int_range(start, start + frame.height, dtype=pl.Int64, eager=True)
    )
    body = frame.drop(ROW) if ROW in frame.columns else frame
    if keep is not None:
        body = body.select([c for c in body.columns if _clean_name(c) in keep])
    body = body.select([_keep_or_string(pl, c, body.schema[c]) for c in body.columns])
    out = pl.DataFrame({ROW: rows}).hstack(body) if body.width else pl.DataFrame({ROW: rows})
    return _clean_names(out)


def is_native(pl, dtype) -> bool:
    """Types a Parquet file or an in-memory frame may keep: normalisation uses them directly
    where the canonical type matches (Date, Datetime, Boolean, integers, floats)."""
    return (
        dtype == pl.Date
        or isinstance(dtype, pl.Datetime)
        or dtype == pl.Boolean
        or dtype.is_integer()
        or dtype.is_float()
    )


def _keep_or_string(pl, name: str, dtype) -> pl.Expr:
    if dtype == pl.String or is_native(pl, dtype):
        return pl.col(name)
    return _to_string(pl, name, dtype)


def to_string(name: str, dtype) -> pl.Expr:
    """The canonical text of a typed column (ISO dates, true/false, whole floats as integers)."""
    import polars as pl

    return _to_string(pl, name, dtype)


def _to_string(pl, name: str, dtype) -> pl.Expr:
    col = pl.col(name)
    if dtype == pl.Date:
        return col.dt.strftime("%Y-%m-%d").alias(name)
    if isinstance(dtype, pl.Datetime):
        return col.dt.strftime("%Y-%m-%d %H:%M:%S").alias(name)
    if dtype == pl.Boolean:
        return col.cast(pl.String).alias(name)
    if dtype.is_float():
        # whole numbers as integers ("1", not "1.0"), so codes written as floats still match
        return (
            pl.when(col.is_finite() & (col == col.round(0)) & (col.abs() < 1e15))
            .then(col.cast(pl.Int64, strict=False).cast(pl.String))
            .otherwise(col.cast(pl.String))
            .alias(name)
        )
    return col.cast(pl.String).alias(name)


# --------------------------------------------------------------------------------------------
# Streaming (large CSV and Parquet files, read in row batches)


class StreamFallback(Exception):
    """The streamed read hit something the whole-file reader handles (and words) better."""


@dataclass
class StreamedTable:
    """A large CSV or Parquet table read in row batches of about ``batch_rows`` rows.

    ``batches()`` yields frames exactly like the whole-file reader's frame, cut into consecutive
    row ranges (same columns, names, types and ``_row`` numbers); ``read_columns`` reads a few
    columns of every row at once (for the checks that need the whole table, e.g. duplicate ids).
    Any polars error while streaming raises :class:`StreamFallback`: the caller then reads the
    file whole, which gives the same result or the worded error.
    """

    meta: RawTable  # path, format, encoding, delimiter, notes, all_columns; frame is empty
    batch_rows: int
    _scan: pl.LazyFrame  # the selected columns (in file order)
    _finish: Callable[[pl.DataFrame, int], pl.DataFrame]  # as scanned -> as the whole-file reader
    _offsets: bool = False  # Parquet without kept row numbers: number the rows per batch

    def batches(self):
        import polars as pl

        start = FIRST_DATA_ROW
        try:
            for frame in self._scan.collect_batches(chunk_size=self.batch_rows):
                if not frame.height:
                    continue
                out = self._finish(frame, start)
                start += frame.height
                yield out
        except pl.exceptions.PolarsError as exc:
            raise StreamFallback(str(exc)) from None

    def read_columns(self, names: list[str]) -> pl.DataFrame:
        """``_row`` plus the given columns (names as in the batches) for every row of the file."""
        import polars as pl

        try:
            scanned = self._scan.collect_schema().names()
            body = [c for c in scanned if c != ROW]
            shown = self._finish(self._scan.head(0).collect(), FIRST_DATA_ROW).columns[1:]
            if len(shown) != len(body):  # pragma: no cover - defensive
                raise StreamFallback("column names do not line up")
            raw_of = dict(zip(shown, body, strict=True))
            wanted = [c for c in scanned if c == ROW or c in {raw_of[n] for n in names}]
            frame = self._scan.select(wanted).collect()
        except pl.exceptions.PolarsError as exc:
            raise StreamFallback(str(exc)) from None
        out = self._finish(frame, FIRST_DATA_ROW)
        return out.rename(
            dict(zip(out.columns[1:], [n for n in shown if raw_of[n] in wanted], strict=True))
        ).select([ROW, *names])


def stream_table(
    path: Path | str, select: Selector | None, batch_rows: int
) -> StreamedTable | None:
    """A :class:`StreamedTable` for a large UTF-8 CSV or Parquet file (more than 1.5 batches),
    else None (the file is small, or needs the whole-file reader: transcoding, old Mac line endings,
    anything odd).  The whole-file reader stays the reference: the batches concatenated equal its
    frame."""
    path = Path(path)
    suffix = path.suffix.lower()
    if printable(str(path)) != str(path):
        return None  # the whole-file reader refuses the name with a sentence
    try:
        if not path.is_file() or path.stat().st_size == 0:
            return None
        if suffix in CSV_SUFFIXES:
            return _stream_csv(path, select, batch_rows)
        if suffix in PARQUET_SUFFIXES:
            return _stream_parquet(path, select, batch_rows)
    except (OSError, StreamFallback):
        return None
    except Exception as exc:  # a polars error on a broken file: the whole-file reader words it
        import polars as pl

        if isinstance(exc, pl.exceptions.PolarsError):
            return None
        raise
    return None


def _stream_csv(path: Path, select: Selector | None, batch_rows: int) -> StreamedTable | None:
    import polars as pl

    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(SAMPLE_BYTES)
    for magic, _what, _todo in _MAGIC:
        if head.startswith(magic):
            return None
    lines = head.count(b"\n")
    if lines < 2 or size / (len(head) / lines) < 1.5 * batch_rows:  # about one batch: read it whole
        return None
    encoding = detect_encoding(head, len(head) < SAMPLE_BYTES)
    if encoding not in ("utf-8", "utf-8-sig"):
        return None
    sample = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    if not sample.strip() or _looks_binary(sample) or ("\r" in sample and "\n" not in sample):
        return None
    declared = excel_separator(sample)
    skip = 0
    if declared is not None:
        skip = 1
        sample = sample.split("\n", 1)[1] if "\n" in sample else ""
        if not sample.strip():
            return None
    delimiter = declared or sniff_delimiter(sample)
    opts: dict[str, Any] = dict(
        separator=delimiter, infer_schema=False, encoding="utf8", skip_rows=skip
    )
    header = pl.read_csv(path, n_rows=0, raise_if_empty=True, **opts).columns
    scan = pl.scan_csv(
        path, row_index_name=ROW, row_index_offset=FIRST_DATA_ROW, raise_if_empty=True, **opts
    )
    if scan.collect_schema().names() != [ROW, *header]:
        return None
    names = _unique([_clean_name(h) for h in header])
    keep = set(select(names)) if select is not None else set(names)
    idx = [i for i, n in enumerate(names) if n in keep]
    if not idx:
        return None
    scan = scan.select([ROW, *[header[i] for i in idx]])

    def finish(frame: pl.DataFrame, _start: int) -> pl.DataFrame:
        return _clean_names(frame)

    meta = RawTable(
        frame=pl.DataFrame({ROW: []}, schema={ROW: pl.Int64}),
        path=path,
        format="csv",
        encoding=encoding,
        delimiter=delimiter,
        notes=_delimiter_notes(sample, delimiter),
        all_columns=names if select is not None else None,
    )
    return StreamedTable(meta=meta, batch_rows=batch_rows, _scan=scan, _finish=finish)


def _stream_parquet(path: Path, select: Selector | None, batch_rows: int) -> StreamedTable | None:
    import polars as pl

    scan = pl.scan_parquet(path)
    schema = scan.collect_schema()
    header = schema.names()
    if any(dtype.is_nested() for dtype in schema.dtypes()):
        return None
    rows = scan.select(pl.len()).collect().item()
    if rows < 1.5 * batch_rows:
        return None
    all_columns = None
    columns = header
    keep = None
    if select is not None:
        keep = set(select([_clean_name(h) for h in header]))
        columns = [h for h in header if _clean_name(h) in keep or h == ROW] or header[:1]
        all_columns = [_clean_name(h) for h in header if h != ROW]
    keep_rows = (
        ROW in columns
        and schema[ROW].is_integer()
        and scan.select(pl.col(ROW).null_count()).collect().item() == 0
    )

    def finish(frame: pl.DataFrame, start: int) -> pl.DataFrame:
        return _parquet_frame(frame, keep, keep_rows, start)

    meta = RawTable(
        frame=pl.DataFrame({ROW: []}, schema={ROW: pl.Int64}),
        path=path,
        format="parquet",
        all_columns=all_columns,
    )
    return StreamedTable(
        meta=meta, batch_rows=batch_rows, _scan=scan.select(columns), _finish=finish
    )


# --------------------------------------------------------------------------------------------
# XLSX


def _cell_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    text = str(value)
    return text if text.strip() else None


def _known(name: str, known: set[str]) -> bool:
    n = name.strip().lower()
    for suffix in ("_värde", "_varde", "_beskrivning"):
        if n.endswith(suffix):
            n = n[: -len(suffix)]
    return n in known


def read_xlsx(
    path: Path, table: str = "cases", sheets: Iterable[str] = (), known_names: Iterable[str] = ()
) -> RawTable:
    """Read one sheet of a workbook.  The zip archive and its XML parts are checked first
    (:mod:`nhvmetrics.io.xlsx_checks`: zip bombs, DTDs); a hidden sheet is never read (see
    :func:`_choose_sheet`), and any error of openpyxl while parsing is one :class:`InputError`."""
    import polars as pl

    try:
        import openpyxl
    except ImportError:  # pragma: no cover
        raise InputError(
            "reading .xlsx needs openpyxl; install it with: pip install openpyxl"
        ) from None
    broken = _xlsx_parse_errors()
    _check_workbook_file(path, broken)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except broken as exc:
        raise _xlsx_error(path, exc) from None
    try:
        ws, choice_notes = _choose_sheet(path, wb, table, sheets)
        header, header_row, pending = _sheet_rows(path, ws, known_names)
        sheet_title = ws.title
        sheet_notes = _sheet_remarks(wb, ws)
    except InputError:
        raise
    except broken as exc:
        raise _xlsx_error(path, exc) from None
    finally:
        wb.close()
    # drop trailing empty rows (Excel often reports formatted but empty rows)
    while pending and all(t is None for t in pending[-1][1]):
        pending.pop()
    names = []
    seen: dict[str, int] = {}
    for j, h in enumerate(header):
        name = (h or "").strip() or f"unnamed_{j + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_duplicated_{seen[name] - 1}"
        else:
            seen[name] = 1
        names.append(name)
    width = len(names)
    columns: list[list[str | None]] = [[] for _ in range(width)]
    row_numbers = []
    numeric: set[int] = set()
    for i, texts, nums in pending:
        row_numbers.append(i)
        numeric.update(nums)
        for j in range(width):
            columns[j].append(texts[j] if j < len(texts) else None)
    data = {ROW: pl.Series(ROW, row_numbers, dtype=pl.Int64)}
    for name, values in zip(names, columns, strict=True):
        data[name] = pl.Series(name, values, dtype=pl.String)
    frame = pl.DataFrame(data)
    # drop wholly empty unnamed columns (formatting beyond the table)
    frame = frame.drop(
        [n for n in names if n.startswith("unnamed_") and frame[n].null_count() == frame.height]
    )
    notes = list(choice_notes)
    if header_row > 1:
        notes.append(
            f"the header is on row {header_row} of sheet '{sheet_title}'; "
            "rows above it were skipped"
        )
    notes.extend(sheet_notes)
    return RawTable(
        frame=frame,
        path=path,
        format="xlsx",
        sheet=sheet_title,
        notes=notes,
        numeric_columns=[names[j] for j in sorted(numeric) if j < width],
    )


def workbook_sheets(path: Path) -> list[tuple[str, bool]]:
    """The sheets of a workbook as (title, visible), in order; the archive and XML are checked
    first, as :func:`read_xlsx` does, and a broken workbook is the same one sentence."""
    import openpyxl

    path = Path(path)
    check_name(path)
    broken = _xlsx_parse_errors()
    _check_workbook_file(path, broken)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except broken as exc:
        raise _xlsx_error(path, exc) from None
    try:
        return [(ws.title, ws.sheet_state == "visible") for ws in wb.worksheets]
    finally:
        wb.close()


def _check_workbook_file(path: Path, broken: tuple[type[BaseException], ...]) -> None:
    """The archive and XML checks of :mod:`nhvmetrics.io.xlsx_checks`, before openpyxl."""
    import zipfile

    from nhvmetrics.io.xlsx_checks import check_archive, check_xml_parts

    try:
        with zipfile.ZipFile(path) as archive:
            check_archive(path, archive)
            check_xml_parts(path, archive)
    except InputError:
        raise
    except broken as exc:
        raise _xlsx_error(path, exc) from None


def _xlsx_parse_errors() -> tuple[type[BaseException], ...]:
    """What openpyxl and zipfile raise on a broken workbook (imported late: fast ``--help``)."""
    import zipfile
    import zlib
    from xml.etree.ElementTree import ParseError

    from openpyxl.utils.exceptions import InvalidFileException

    return (
        zipfile.BadZipFile,  # also a part that unpacks to more than it declares (CRC mismatch)
        zipfile.LargeZipFile,
        zlib.error,
        ParseError,
        InvalidFileException,
        ValueError,  # includes defusedxml's refusals and undecodable text
        KeyError,  # a part the workbook names but the archive lacks
        IndexError,  # a shared string that is not there
        TypeError,  # an element without the attributes openpyxl needs
        NotImplementedError,  # a compression method zipfile does not know
        EOFError,
        OSError,
    )


def _xlsx_error(path: Path, exc: BaseException) -> InputError:
    if isinstance(exc, PermissionError):
        return InputError(f"cannot read {path}: permission denied; check the file's permissions.")
    cause: BaseException | None = exc
    while cause is not None and not type(cause).__module__.startswith("defusedxml"):
        cause = cause.__cause__ or cause.__context__  # openpyxl wraps it in a ValueError
    if cause is not None:
        return InputError(
            f"{path} is refused: it holds XML entity declarations, which Excel never writes and "
            "which can expand to gigabytes or read other files; open and save it again in "
            "Excel, or export the table as CSV."
        )
    return InputError(
        f"{path} is not a valid .xlsx workbook; open and save it again in Excel, or export CSV."
    )


def _choose_sheet(path: Path, wb, table: str, sheets: Iterable[str]) -> tuple[Any, list[str]]:
    """The sheet to read for ``table`` and the remarks about the choice.

    Visible sheets first: the first visible sheet named like the table (``cases``;
    ``episodes``/``vardtillfallen`` …), else for the case table the first visible sheet (and for
    another table the only visible sheet).  A hidden sheet is never read: one named like the
    table is named in a remark, and when it is the only sheet that could hold a secondary table
    the read fails with a sentence saying so.
    """
    wanted = [s.lower() for s in (*sheets, table)]
    visible = [w for w in wb.worksheets if w.sheet_state == "visible"]
    hidden = [w for w in wb.worksheets if w.sheet_state != "visible"]
    by_name = {w.title.lower(): w for w in visible}
    ws = next((by_name[n] for n in wanted if n in by_name), None)
    hidden_named = [w.title for w in hidden if w.title.lower() in wanted]
    notes: list[str] = []
    if ws is None and hidden_named and table != "cases":
        raise InputError(
            f"{path}: the sheet '{hidden_named[0]}' for the {table} table is hidden, and a hidden "
            "sheet is never read (it is often a stale copy); unhide it if it holds the current "
            "table, or delete it, and run again."
        )
    if ws is None:
        if table == "cases" or len(visible) == 1:
            if not visible:
                raise InputError(f"{path} has no visible sheet; unhide the sheet with the table.")
            ws = visible[0]
        else:
            listed = ", ".join(
                w.title + ("" if w.sheet_state == "visible" else " (hidden)") for w in wb.worksheets
            )
            raise InputError(
                f"{path} has no sheet named '{table}' (sheets: {listed}); "
                f"rename the sheet holding the {table} table to '{table}'."
            )
    for title in hidden_named:
        notes.append(
            f"the workbook has a hidden sheet '{title}' named like the {table} table; hidden "
            f"sheets are never read, so the visible sheet '{ws.title}' was read: delete the "
            "hidden sheet if it is stale, or unhide it and remove the other one"
        )
    return ws, notes


def _numbers_at(values: tuple) -> tuple[int, ...]:
    """Positions of the cells Excel stores as numbers (a code typed as a number loses its
    leading zeros: ``05101`` becomes ``5101``)."""
    return tuple(j for j, v in enumerate(values) if v.__class__ is int or v.__class__ is float)


def _sheet_rows(path: Path, ws, known_names: Iterable[str]):
    """(header texts, header row number, data rows as (row number, texts, numeric positions))."""
    known = {k.lower() for k in known_names}
    rows = ws.iter_rows(values_only=True)
    header: list[str | None] | None = None
    header_row = 0
    pending: list[tuple] = []
    for i, values in enumerate(rows, 1):
        texts = [_cell_text(v) for v in values]
        if header is None:
            pending.append((i, texts, _numbers_at(values)))
            nonempty = [t for t in texts if t is not None]
            if known and any(_known(t, known) for t in nonempty):
                header, header_row = texts, i
                pending = []
            elif len(pending) >= 10:
                break
            continue
        pending.append((i, texts, _numbers_at(values)))
    if header is None:
        # no known column name found: the first non-empty row is the header
        rows_all = pending
        first = next(
            (k for k, (_, t, _n) in enumerate(rows_all) if any(x is not None for x in t)), None
        )
        if first is None:
            raise InputError(
                f"{path}: the sheet '{ws.title}' is empty; put the table on it or export CSV."
            )
        header_row, header, _nums = rows_all[first]
        if len(rows_all) >= 10:  # we stopped early: read the rest
            rest = [
                (i, [_cell_text(v) for v in vals], _numbers_at(vals))
                for i, vals in enumerate(rows, len(rows_all) + 1)
            ]
            pending = rows_all[first + 1 :] + rest
        else:
            pending = rows_all[first + 1 :]
    return header, header_row, pending


_MERGE_RE = re.compile(rb'<mergeCell ref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"')
_CELL_RE = re.compile(rb'<c r="([A-Z]+[0-9]+)"[^>]*?(?:/>|>(.*?)</c>)', re.S)
_VALUE_RE = re.compile(rb"<v(?: [^>]*)?>[^<]")  # a saved value (``<v/>`` and ``<v></v>`` are none)
MAX_SHEET_XML = 64 << 20  # sheets larger than this are not scanned for the remarks below


def _sheet_remarks(wb, ws) -> list[str]:
    """Remarks about cells openpyxl reads as empty: merged ranges (only their first cell holds the
    value) and formulas without a saved value (the workbook was never calculated and saved)."""
    try:
        archive = wb._archive
        info = archive.getinfo(ws._worksheet_path)
        if info.file_size > MAX_SHEET_XML:
            return []
        xml = archive.read(info)
    except (
        AttributeError,
        KeyError,
        OSError,
        ValueError,
    ):  # pragma: no cover - other openpyxl versions
        return []
    notes = []
    merged = [m.decode() for m in _MERGE_RE.findall(xml)]
    if merged:
        shown = ", ".join(merged[:5]) + (", …" if len(merged) > 5 else "")
        notes.append(
            f"sheet '{ws.title}' has merged cells ({shown}); only the first cell of a merged "
            "range holds its value, so the other rows read as empty: unmerge the cells and fill "
            "in every row"
        )
    if b"<f" in xml:
        empty = [
            ref.decode()
            for ref, body in _CELL_RE.findall(xml)
            if body and b"<f" in body and not _VALUE_RE.search(body)
        ]
        if empty:
            shown = ", ".join(empty[:5]) + (", …" if len(empty) > 5 else "")
            notes.append(
                f"{len(empty)} cell(s) of sheet '{ws.title}' hold a formula with no saved value "
                f"({shown}), read as empty: open the workbook in Excel and save it, or paste "
                "the values"
            )
    return notes


def frame_as_raw(frame: pl.DataFrame) -> RawTable:
    """Wrap an already-loaded frame (any dtypes) as a :class:`RawTable` (all String + ``_row``)."""
    import polars as pl

    if ROW in frame.columns:
        rows = frame[ROW].cast(pl.Int64)
        body = frame.drop(ROW)
    else:
        rows = pl.int_range(
            FIRST_DATA_ROW, FIRST_DATA_ROW + frame.height, dtype=pl.Int64, eager=True
        )
        body = frame
    body = body.select([_keep_or_string(pl, c, body.schema[c]) for c in body.columns])
    return RawTable(
        frame=body.with_columns(rows.alias(ROW)).select([ROW, *body.columns]), format="frame"
    )
