"""Frame writers on top of :mod:`nhvmetrics.io.atomic`: CSV (spreadsheet-safe), JSON, Parquet.

CSV files are UTF-8 (no BOM), comma-separated, with a header row.  Text cells that a spreadsheet
would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return,
unless the whole cell is a plain number such as ``-1.5``) are prefixed with an apostrophe, so
opening a findings or quarantine file in Excel never executes data from the export.

Every frame goes through the output guard first (:func:`nhvmetrics.io.guard.guard_frame`: no
personnummer and no raw control character in any value or column name), and so does the JSON
payload.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from nhvmetrics.io.atomic import atomic_path
from nhvmetrics.io.guard import guard_frame, guard_json

if TYPE_CHECKING:  # pragma: no cover
    import polars as pl

# the codecs polars writes Parquet with
ParquetCompression = Literal["lz4", "uncompressed", "snappy", "gzip", "brotli", "zstd"]

_FORMULA_RE = r"^[=+\-@\t\r]"
_NUMBER_RE = (
    r"^-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?$"  # -1.5 stays a number, -2+3+cmd|… does not
)


def formula_like(text: str) -> bool:
    """True when a spreadsheet would run ``text`` as a formula (see :func:`spreadsheet_safe`)."""
    import re

    return bool(re.match(_FORMULA_RE, text)) and not re.match(_NUMBER_RE, text)


def spreadsheet_safe(frame: pl.DataFrame) -> pl.DataFrame:
    import polars as pl

    def risky(c: str) -> pl.Expr:
        return pl.col(c).str.contains(_FORMULA_RE) & ~pl.col(c).str.contains(_NUMBER_RE)

    exprs = [
        pl.when(risky(c)).then(pl.lit("'") + pl.col(c)).otherwise(pl.col(c)).alias(c)
        for c, t in frame.schema.items()
        if t == pl.String
    ]
    return frame.with_columns(exprs) if exprs else frame


def _os_error(exc: Exception) -> Exception:
    """An error of polars' writer as the OSError it wraps (``… (os error 28)``), so that
    :func:`~nhvmetrics.io.atomic.atomic_path` words it in one sentence and removes the
    temporary file: polars raises a ComputeError for a full disk while writing Parquet, and an
    OSError without ``errno`` while writing CSV.  Any other error is returned as it is."""
    import os
    import re

    if isinstance(exc, OSError) and exc.errno is not None:
        return exc
    m = re.search(r"os error (\d+)", str(exc))
    if not m:
        return exc
    code = int(m.group(1))
    return OSError(code, os.strerror(code))


def write_csv(frame: pl.DataFrame, target: Path | str, safe: bool = True) -> None:
    import polars as pl

    out = guard_frame(frame)
    out = spreadsheet_safe(out) if safe else out
    with atomic_path(target) as tmp:
        try:
            out.write_csv(tmp)
        except (OSError, pl.exceptions.PolarsError) as exc:
            raise _os_error(exc) from None


def write_json(
    payload: dict[str, Any], records: pl.DataFrame | None, target: Path | str, key: str = "findings"
) -> None:
    """Write ``payload`` as a JSON object, with ``records`` (a frame) as the list under ``key``."""
    payload = guard_json(json.loads(json.dumps(payload, default=str)))
    records = guard_frame(records) if records is not None else None
    head = json.dumps(payload, ensure_ascii=False, indent=1, default=str)
    with atomic_path(target) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            if records is None:
                f.write(head + "\n")
                return
            f.write(head[:-1].rstrip() + (",\n" if payload else "\n"))
            f.write(f' "{key}": ')
            f.write(records.write_json() if records.height else "[]")
            f.write("\n}\n")


def write_parquet(
    frame: pl.DataFrame,
    target: Path | str,
    compression: ParquetCompression = "zstd",
    metadata: dict[str, str] | None = None,
) -> None:
    """Write ``frame`` as Parquet (with statistics), through the output guard; a full disk is
    one sentence. ``metadata`` goes into the file's key-value metadata (through the guard)."""
    import polars as pl

    out = guard_frame(frame)
    meta = guard_json(metadata) if metadata else None
    with atomic_path(target) as tmp:
        try:
            out.write_parquet(tmp, statistics=True, compression=compression, metadata=meta)
        except (OSError, pl.exceptions.PolarsError) as exc:
            raise _os_error(exc) from None
