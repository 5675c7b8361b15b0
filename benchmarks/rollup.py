"""National roll-up in one process: every area, every year of a range, from Parquet.

    python benchmarks/rollup.py acc=A.parquet net=N.parquet anal=X.parquet pelvic=P.parquet \
        --first-year 2020 --year 2025 --extract-date 2026-02-15 -o rollup.csv

What a region's batch job does through the library: validate each area's export once
(``validate_export``, keeping only the columns the indicators read, as ``nhvmetrics compute``
does), then ``compute_area`` once for the last year — it returns every earlier year too, with
the same rows as a run for that year — and keep the years of the range.
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
    ap.add_argument(
        "--stamped",
        action="store_true",
        help="the inputs are stamped Parquet files of `nhvmetrics convert`: read them as compute "
        "does (no re-validation); fail if a stamp does not hold",
    )
    a = ap.parse_args(argv)

    import polars as pl

    from nhvmetrics.engine.compute import columns_needed, compute_area
    from nhvmetrics.schema.validate import Needs, validate_export

    ed = dt.date.fromisoformat(a.extract_date)
    parts = []
    t0 = time.perf_counter()
    for item in a.inputs:
        area, _, path = item.partition("=")
        t = time.perf_counter()
        if a.stamped:  # as compute reads a converted file: the stamp, not the rows, is checked
            from nhvmetrics import pipeline

            opts = pipeline.RunOptions(
                area=area, tables={"cases": Path(path)}, year=a.year, extract_date=ed
            )
            v = pipeline.validate(opts, pipeline.Purpose.COMPUTE).result
            if not v.stamped:
                raise SystemExit(f"{path}: its validation stamp does not hold")
        else:
            v = validate_export(
                area,
                {"cases": Path(path)},
                extract_date=ed,
                needs=Needs(contract=False, quarantined_rows=False, columns=columns_needed(area)),
            )
        tv = time.perf_counter() - t
        t = time.perf_counter()
        res = compute_area(area, v.accepted, a.year, ed)
        parts.append(res.table.filter(pl.col("period").is_between(a.first_year, a.year)))
        tc = time.perf_counter() - t
        cases = v.tables["cases"]
        print(
            f"{area}: {cases.rows_read} rows read, {cases.n_accepted} accepted; validate "
            f"{tv:.2f}s, "
            f"compute {a.first_year}-{a.year} {tc:.2f}s",
            flush=True,
        )
    table = pl.concat(parts, how="vertical")
    table.write_csv(a.output)
    print(f"roll-up: {table.height} rows -> {a.output} in {time.perf_counter() - t0:.2f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
