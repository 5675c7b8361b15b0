"""Floors: the least work any tool must do on the file, run as its own process like the commands.

    python benchmarks/floors.py count  FILE            # polars scan + row count
    python benchmarks/floors.py read   FILE            # polars full read: every column, every row
    python benchmarks/floors.py read   FILE --batched  # the same in batches of 250 000 rows,
                                                       # each dropped when read (when the frame
                                                       # cannot fit)
    python benchmarks/floors.py needed FILE --area A   # polars read of the columns the schema knows

CSV is read as exported (``;``, decimal comma, types inferred); Parquet as stored.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def schema_columns(area: str, header: list[str]) -> list[str]:
    """The input columns the area's schema maps (INCA names and their aliases, case-insensitive),
    plus the system columns that drive dropped rows."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from generate import load_naming

    naming = load_naming(area)
    wanted = {e.name.lower() for e in naming.columns.values()} | {"makulerad", "region_namn"}
    try:
        from nhvmetrics.schema.model import load_schema

        for col in load_schema(area).table("cases").columns.values():
            for a in col.aliases:
                wanted |= {a.lower(), f"{a}_värde".lower(), f"{a}_varde".lower()}
    except Exception:  # noqa: BLE001
        pass
    return [h for h in header if h.lower() in wanted]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["count", "read", "needed"])
    ap.add_argument("file", type=Path)
    ap.add_argument("--area", default="pelvic")
    ap.add_argument("--batched", action="store_true", help="read mode: in batches (bounded memory)")
    a = ap.parse_args(argv)
    import polars as pl

    csv = a.file.suffix.lower() == ".csv"
    opts = {"separator": ";", "decimal_comma": True, "infer_schema_length": 10_000}
    if a.mode == "count":
        lf = pl.scan_csv(a.file, **opts) if csv else pl.scan_parquet(a.file)
        n = lf.select(pl.len()).collect().item()
        print(f"rows={n}")
        return 0
    if a.mode == "read" and a.batched:
        lf = pl.scan_csv(a.file, **opts) if csv else pl.scan_parquet(a.file)
        rows = width = 0
        for batch in lf.collect_batches(chunk_size=250_000):
            rows, width = rows + batch.height, batch.width
        print(f"rows={rows} columns={width} (batched)")
        return 0
    if a.mode == "read":
        df = pl.read_csv(a.file, **opts) if csv else pl.read_parquet(a.file)
    else:
        header = (
            (pl.scan_csv(a.file, **opts) if csv else pl.scan_parquet(a.file))
            .collect_schema()
            .names()
        )
        cols = schema_columns(a.area, header)
        df = (
            pl.read_csv(a.file, columns=cols, **opts)
            if csv
            else pl.read_parquet(a.file, columns=cols)
        )
    print(f"rows={df.height} columns={df.width} bytes={df.estimated_size()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
