"""Run the test cases written beside each definition (``tests:`` in the YAML file).

Used by ``tests/indicators/test_cases.py`` (one pytest case per definition case) and by
``nhvmetrics indicators check``.  A case gives input rows (canonical column names), the
reporting year, the extract date and optionally parameter overrides, expected counts for a
registry coverage (``coverage: [{year, unit, expected}]``) and the suppression policy
(``suppress: cells``); ``expect`` lists rows of
the indicator table (default ``unit: ALL``, ``stratum: all``, ``period: <year>``) with the
numbers worked out by hand.  Numbers match when equal within 1e-6 (relative 1e-5), so a
share may be written with six decimals (``0.666667``); ``null`` expects no value.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from nhvmetrics.engine.definitions import Definition

_NUM_FIELDS = (
    "numerator",
    "denominator",
    "value",
    "ci_low",
    "ci_high",
    "n_missing",
    "n_pending",
    "q1",
    "q3",
)


def case_frames(defn: Definition, case: dict[str, Any]):
    """Canonical polars frames for one test case, typed by the definition's contract."""
    import polars as pl

    tables = dict(case.get("tables") or {})
    if "rows" in case:
        tables[defn.table] = case["rows"]
    frames = {}
    for tname, rows in tables.items():
        schema = defn.contract.dtypes(tname)
        cols: list[str] = []
        for r in rows:
            for c in r:
                if c not in cols and not str(c).startswith("_"):
                    cols.append(c)
        data = {}
        for c in cols:
            t = schema[c]
            vals = [_coerce(r.get(c), t) for r in rows]
            data[c] = pl.Series(c, vals, dtype=t)
        frames[tname] = pl.DataFrame(data) if data else pl.DataFrame()
    return frames


def _coerce(v: Any, t) -> Any:
    import polars as pl

    if v is None:
        return None
    if t == pl.Date:
        if isinstance(v, dt.datetime):
            return v.date()
        if isinstance(v, dt.date):
            return v
        return dt.date.fromisoformat(str(v))
    if t == pl.String:
        return str(v)
    if t == pl.Boolean:
        if isinstance(v, str):
            return v.strip().lower() in ("1", "true", "ja", "yes")
        return bool(v)
    if t == pl.Float64:
        return float(v)
    if t == pl.Int64:
        return int(v)
    return v


def run_case(defn: Definition, case: dict[str, Any]) -> list[str]:
    """Compute the case and return a list of mismatches (empty when it passes)."""
    from nhvmetrics.engine.compute import compute_area

    year = int(case["year"])
    ed = case.get("extract_date")
    if isinstance(ed, str):
        ed = dt.date.fromisoformat(ed)
    frames = case_frames(defn, case)
    params = {defn.id: dict(case.get("params") or {})}
    coverage = None
    if case.get("coverage") is not None:
        import polars as pl

        lines = [{"area": defn.area, **line} for line in case["coverage"]]
        coverage = pl.DataFrame(
            lines,
            schema={"area": pl.String, "year": pl.Int64, "unit": pl.String, "expected": pl.Int64},
        )
    try:
        res = compute_area(
            defn.area,
            frames,
            year,
            ed,
            params=params,
            definitions=[defn],
            ci_method=case.get("ci", "wilson"),
            contract=defn.contract,
            coverage=coverage,
            suppress=case.get("suppress", "denominator"),
        )
    except Exception as exc:  # report, don't crash the whole check
        return [f"computing failed: {type(exc).__name__}: {exc}"]
    table = res.table
    exps = case["expect"] if isinstance(case["expect"], list) else [case["expect"]]
    problems: list[str] = []
    for e in exps:
        unit = str(e.get("unit", "ALL"))
        stratum = str(e.get("stratum", "all"))
        period = int(e.get("period", year))
        rows = [
            r
            for r in table.iter_rows(named=True)
            if r["unit"] == unit and r["stratum"] == stratum and r["period"] == period
        ]
        where = f"unit={unit} stratum={stratum} period={period}"
        if not rows:
            have = sorted(
                {(r["unit"], r["stratum"], r["period"]) for r in table.iter_rows(named=True)}
            )
            problems.append(f"{where}: no such row in the result (rows: {have[:12]})")
            continue
        row = rows[0]
        for k, want in e.items():
            if k in ("unit", "stratum", "period"):
                continue
            got = row.get(k)
            if not _same(got, want):
                problems.append(f"{where}: {k} is {_show(got)}, expected {_show(want)}")
    return problems


def _same(got: Any, want: Any) -> bool:
    if want is None:
        return got is None or (isinstance(got, float) and math.isnan(got))
    if got is None:
        return False
    if isinstance(want, bool) or isinstance(got, bool):
        return bool(got) == bool(want)
    if isinstance(want, (int, float)) and isinstance(got, (int, float)):
        return math.isclose(float(got), float(want), rel_tol=1e-5, abs_tol=1e-6)
    return str(got) == str(want)


def _show(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    return "null" if v is None else str(v)


def iter_cases(defs: list[Definition]):
    """(definition, case index, case) for every case of every definition."""
    for d in defs:
        for i, c in enumerate(d.tests):
            yield d, i, c
