"""Write the indicator table as CSV, Parquet, XLSX or JSON — same columns, byte-stable.

Every format carries the same columns in the same order (``OUTPUT_COLUMNS``).  Floats are
written at full precision in Parquet and as the shortest round-trip text elsewhere; dates as
``YYYY-MM-DD``; booleans ``true``/``false``; missing values empty (CSV/XLSX) or ``null``
(JSON).  The XLSX zip gets fixed entry times and the extract date as its creation time, so the
same input gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl

FORMATS = (".csv", ".parquet", ".xlsx", ".json")


def check_output_path(path: Path) -> str:
    from nhvmetrics.errors import NhvError

    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise NhvError(
            f"the output must end in {', '.join(FORMATS)}, got '{Path(path).name}'; "
            "for example -o acc.csv."
        )
    return suffix


def write_table(table: pl.DataFrame, path: Path | str, *, meta: dict | None = None) -> None:
    """Write ``table`` atomically in the format its suffix names."""
    from nhvmetrics.io.atomic import write_bytes
    from nhvmetrics.io.guard import guard_frame

    path = Path(path)
    suffix = check_output_path(path)
    table = guard_frame(table)
    if suffix == ".csv":
        from nhvmetrics.io.writers import spreadsheet_safe

        write_bytes(path, spreadsheet_safe(table).write_csv().encode("utf-8"))
    elif suffix == ".parquet":
        from nhvmetrics.io.writers import write_parquet

        write_parquet(table, path)
    elif suffix == ".json":
        write_bytes(path, json_bytes(table, meta or {}))
    else:
        write_bytes(path, xlsx_bytes(table, meta or {}))


def _records(table: pl.DataFrame) -> list[dict]:
    out = []
    for row in table.iter_rows(named=True):
        rec = {}
        for k, v in row.items():
            if isinstance(v, dt.date):
                v = v.isoformat()
            elif isinstance(v, float) and v != v:
                v = None
            rec[k] = v
        out.append(rec)
    return out


def json_bytes(table: pl.DataFrame, meta: dict) -> bytes:
    payload = {
        **{k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in meta.items()},
        "columns": table.columns,
        "rows": _records(table),
    }
    return (json.dumps(payload, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def xlsx_bytes(table: pl.DataFrame, meta: dict) -> bytes:
    from openpyxl import Workbook

    from nhvmetrics.io.xlsx import put_value, workbook_bytes

    wb = Workbook()
    ws = wb.active
    ws.title = "indicators"
    for c, name in enumerate(table.columns, start=1):
        put_value(ws.cell(row=1, column=c), name)
    for r, row in enumerate(table.iter_rows(), start=2):
        for c, v in enumerate(row, start=1):
            put_value(ws.cell(row=r, column=c), v)
    ws.freeze_panes = "A2"
    when = meta.get("extract_date")
    when = (
        dt.datetime.combine(when, dt.time())
        if isinstance(when, dt.date)
        else dt.datetime(2000, 1, 1)
    )
    return workbook_bytes(wb, when)
