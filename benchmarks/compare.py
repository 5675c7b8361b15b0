"""Differential check: a peer's indicator rows against ``nhvmetrics compute``'s.

    python benchmarks/compare.py ENGINE.csv PEER.csv [--tolerance 1e-9]

Rows are matched on (indicator_id, period, unit, stratum) for the strata the peer computes;
numerator, denominator, value, q1, q3, n_missing and n_pending must agree.  Engine rows the peer
does not produce must be empty (the engine fills every unit × period with zero rows).  Exit 1 and
print the first disagreements when anything differs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import polars as pl

KEYS = ["indicator_id", "period", "unit", "stratum"]
INTS = ["numerator", "denominator", "n_missing", "n_pending"]
FLOATS = ["value", "q1", "q3"]


def _load(path: Path) -> pl.DataFrame:
    df = pl.read_csv(path, infer_schema_length=0)
    cols = [c for c in KEYS + INTS + FLOATS if c in df.columns]
    df = df.select(cols).with_columns(
        pl.col("period").cast(pl.Float64).cast(pl.Int64),
        *[pl.col(c).cast(pl.Float64) for c in INTS + FLOATS if c in cols],
    )
    return df


def compare(engine_csv: Path, peer_csv: Path, tolerance: float = 1e-9, indicators=None) -> dict:
    eng = _load(engine_csv)
    peer = _load(peer_csv)
    if indicators:
        eng = eng.filter(pl.col("indicator_id").is_in(indicators))
    peer_inds = peer["indicator_id"].unique().to_list()
    eng = eng.filter(pl.col("indicator_id").is_in(peer_inds))
    # strata the peer covers: 'all', 'measure=...' and single-category 'x=v' rows without ';'
    eng = eng.filter(~pl.col("stratum").str.contains(";"))
    eng = eng.filter(
        pl.col("stratum").is_in(peer["stratum"].unique().to_list()) | (pl.col("stratum") == "all")
    )
    # stratifier rows (indication=..., sex=... on indicators whose categories are not sex) are
    # engine-only: keep only strata that are 'all', measures, or the indicator's own categories
    cat_of = {"pelvic.sex": "sex=", "pelvic.home_region": "home_region=", "pelvic.age": "age_band="}
    own = pl.lit(False)
    for ind, prefix in cat_of.items():
        own = own | ((pl.col("indicator_id") == ind) & pl.col("stratum").str.starts_with(prefix))
    eng = eng.filter(
        (pl.col("stratum") == "all") | pl.col("stratum").str.starts_with("measure=") | own
    )

    j = eng.join(peer, on=KEYS, how="full", suffix="_peer", coalesce=True, nulls_equal=True)
    problems = []
    only_peer = j.filter(
        pl.col("numerator").is_null()
        & pl.col("denominator").is_null()
        & pl.col("n_missing").is_null()
        & (pl.col("value").is_null())
        & (pl.col("numerator_peer").is_not_null() | pl.col("denominator_peer").is_not_null())
    )
    for c in INTS + FLOATS:
        a, b = pl.col(c), pl.col(f"{c}_peer")
        if c in INTS:  # absent on one side counts as 0 (engine skeleton rows, peer empty groups)
            a, b = a.fill_null(0), b.fill_null(0)
        bad = j.filter(
            ~(((a - b).abs() <= tolerance * (1 + b.abs())) | (a.is_null() & b.is_null()))
        )
        if c in FLOATS:
            # a value the peer never produced (no peer row) is fine when the engine row is empty
            bad = bad.filter(
                ~(
                    b.is_null()
                    & pl.col("denominator").fill_null(0).eq(0)
                    & pl.col("numerator").fill_null(0).eq(0)
                )
            )
        if bad.height:
            problems.append((c, bad.select(KEYS + [c, f"{c}_peer"]).head(8)))
    return {
        "rows_engine": eng.height,
        "rows_peer": peer.height,
        "matched": j.height,
        "problems": problems,
        "only_peer": only_peer.height,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("engine", type=Path)
    ap.add_argument("peer", type=Path)
    ap.add_argument("--tolerance", type=float, default=1e-9)
    a = ap.parse_args(argv)
    r = compare(a.engine, a.peer, a.tolerance)
    if r["problems"]:
        print(f"DISAGREE: {a.peer} vs {a.engine}")
        with pl.Config(tbl_rows=20, tbl_cols=10, tbl_width_chars=160):
            for c, df in r["problems"]:
                print(f"-- column {c}")
                print(df)
        return 1
    print(
        f"agree: {r['rows_peer']} peer rows match the engine "
        f"({r['rows_engine']} engine rows compared)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
