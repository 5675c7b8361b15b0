"""National roll-up in one process: every area, every year of a range, from Parquet.

    python benchmarks/rollup.py acc=A.parquet net=N.parquet anal=X.parquet pelvic=P.parquet \
        --first-year 2020 --year 2025 --extract-date 2026-02-15 -o rollup.csv

What a region's batch job does through the library: validate each area's export once
(``validate_export``), then ``compute_area`` for each reporting year, and keep each year's rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("inputs", nargs="+", help="AREA=PATH")
    ap.add_argument("--first-year", type=int, required=True)
    ap.add_argument("--year", type=int, required=True)
    ap.add_argument("--extract-date", required=True)
    ap.add_argument("-o", "--output", type=Path, required=True)
    a = ap.parse_args(argv)

    import polars as pl

    from nhvmetrics.engine.compute import compute_area
    from nhvmetrics.schema.validate import validate_export

    ed = dt.date.fromisoformat(a.extract_date)
    parts = []
    t0 = time.perf_counter()
    for item in a.inputs:
        area, _, path = item.partition("=")
        t = time.perf_counter()
        v = validate_export(area, {"cases": Path(path)}, extract_date=ed)
        tv = time.perf_counter() - t
        t = time.perf_counter()
        for y in range(a.first_year, a.year + 1):
            res = compute_area(area, v.accepted, y, ed)
            parts.append(res.table.filter(pl.col("period") == y))
        tc = time.perf_counter() - t
        cases = v.tables["cases"]
        print(f"{area}: {cases.rows_read} rows read, {cases.n_accepted} accepted; validate {tv:.2f}s, "
              f"compute x{a.year - a.first_year + 1} {tc:.2f}s", flush=True)
    table = pl.concat(parts, how="vertical")
    table.write_csv(a.output)
    print(f"roll-up: {table.height} rows -> {a.output} in {time.perf_counter() - t0:.2f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
