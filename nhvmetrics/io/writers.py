"""Frame writers on top of :mod:`nhvmetrics.io.atomic`: CSV (spreadsheet-safe), JSON, Parquet.

CSV files are UTF-8 (no BOM), comma-separated, with a header row.  Text cells that a spreadsheet
would run as a formula (starting with ``=``, ``+``, ``@``, a tab, a carriage return, or ``-``
followed by something that is not a number) are prefixed with an apostrophe, so opening a findings
or quarantine file in Excel never executes data from the export.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nhvmetrics.io.atomic import atomic_path

if TYPE_CHECKING:  # pragma: no cover
    import polars as pl

_FORMULA_RE = r"^(?:[=+@\t\r]|-[^0-9.])"


def spreadsheet_safe(frame: pl.DataFrame) -> pl.DataFrame:
    import polars as pl

    exprs = [
        pl.when(pl.col(c).str.contains(_FORMULA_RE)).then(pl.lit("'") + pl.col(c)).otherwise(pl.col(c)).alias(c)
        for c, t in frame.schema.items()
        if t == pl.String
    ]
    return frame.with_columns(exprs) if exprs else frame


def write_csv(frame: pl.DataFrame, target: Path | str, safe: bool = True) -> None:
    out = spreadsheet_safe(frame) if safe else frame
    with atomic_path(target) as tmp:
        out.write_csv(tmp)


def write_json(payload: dict[str, Any], records: pl.DataFrame | None, target: Path | str, key: str = "findings") -> None:
    """Write ``payload`` as a JSON object, with ``records`` (a frame) as the list under ``key``."""
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


def write_parquet(frame: pl.DataFrame, target: Path | str) -> None:
    with atomic_path(target) as tmp:
        frame.write_parquet(tmp, statistics=True)
