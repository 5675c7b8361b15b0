"""The engine's list of canonical columns agrees with the shipped schemas (schemas/*.yaml)."""

from __future__ import annotations

import datetime as dt

import pytest

from nhvmetrics import AREAS
from nhvmetrics.engine import columns as C

TYPES = {"string": "String", "date": "Date", "bool": "Boolean", "int": "Int64", "float": "Float64"}


@pytest.mark.parametrize("area", AREAS)
def test_engine_columns_match_schema(area):
    model = pytest.importorskip("nhvmetrics.schema.model")
    schema = model.load_schema(area)
    for table, spec in schema.tables.items():
        mine = C.table_columns(area, table)
        theirs = {name: TYPES.get(col.type, col.type) for name, col in spec.columns.items()}
        assert mine == theirs, (area, table, set(mine.items()) ^ set(theirs.items()))


@pytest.mark.parametrize("area", AREAS)
def test_computing_from_only_the_needed_columns_gives_the_same_table(area):
    """``compute`` keeps only ``columns_needed`` of a large export; the result must not change
    (with the extract date given and inferred from the data)."""
    import datetime as dt
    from pathlib import Path

    import polars as pl
    from polars.testing import assert_frame_equal

    from nhvmetrics.engine.compute import columns_needed, compute_area
    from nhvmetrics.schema.validate import validate_export

    root = Path(__file__).resolve().parents[2] / "sample_data"
    files = {p.stem.split("_", 1)[1]: p for p in sorted(root.glob(f"{area}_*.csv"))}
    needed = columns_needed(area)
    full = validate_export(area, files, dt.date(2026, 3, 31), contract=False)
    lean = validate_export(
        area, files, dt.date(2026, 3, 31), contract=False, accepted_columns=needed
    )
    for name, t in lean.tables.items():
        assert set(t.accepted.columns) == {"_row"} | (
            needed.get(name, set()) & set(full.table(name).accepted.columns)
        )
    assert {"patient_id", "case_id"}.isdisjoint(lean.table("cases").accepted.columns)
    assert lean.table("cases").accepted.schema["unit"] == pl.Categorical
    for extract in (dt.date(2026, 3, 31), None):
        a = compute_area(area, full.accepted, 2025, extract)
        b = compute_area(area, lean.accepted, 2025, extract)
        assert a.extract_date == b.extract_date
        assert_frame_equal(a.table, b.table)


def test_every_indicator_case_gives_the_same_table_from_categorical_text():
    """``compute`` hands the engine coded text as Categorical (4 bytes a row instead of 16): every
    definition's own cases must give the same table as from String columns."""
    import polars as pl
    from polars.testing import assert_frame_equal

    from nhvmetrics.engine.compute import compute_area
    from nhvmetrics.engine.definitions import load_definitions
    from nhvmetrics.engine.testing import case_frames, iter_cases

    checked = 0
    for area in AREAS:
        for d, _i, case in iter_cases(load_definitions(area)):
            frames = case_frames(d, case)
            cats = {
                n: f.with_columns(pl.col(pl.String).cast(pl.Categorical)) for n, f in frames.items()
            }
            ed = case.get("extract_date")
            ed = dt.date.fromisoformat(ed) if isinstance(ed, str) else ed
            kw = dict(
                definitions=[d],
                params={d.id: dict(case.get("params") or {})},
                ci_method=case.get("ci", "wilson"),
            )
            a = compute_area(area, frames, int(case["year"]), ed, **kw)
            b = compute_area(area, cats, int(case["year"]), ed, **kw)
            assert_frame_equal(a.table, b.table)
            checked += 1
    assert checked >= 50
