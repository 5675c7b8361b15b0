"""The engine's list of canonical columns agrees with the shipped schemas (schemas/*.yaml)."""

from __future__ import annotations

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

    from polars.testing import assert_frame_equal

    from nhvmetrics.engine.compute import columns_needed, compute_area
    from nhvmetrics.schema.validate import validate_export

    root = Path(__file__).resolve().parents[1] / "sample_data"
    files = {p.stem.split("_", 1)[1]: p for p in sorted(root.glob(f"{area}_*.csv"))}
    needed = columns_needed(area)
    full = validate_export(area, files, dt.date(2026, 3, 31), contract=False)
    lean = validate_export(area, files, dt.date(2026, 3, 31), contract=False, accepted_columns=needed)
    for name, t in lean.tables.items():
        assert set(t.accepted.columns) == {"_row"} | (needed.get(name, set()) & set(full.table(name).accepted.columns))
    assert {"patient_id", "case_id"}.isdisjoint(lean.table("cases").accepted.columns)
    for extract in (dt.date(2026, 3, 31), None):
        a = compute_area(area, full.accepted, 2025, extract)
        b = compute_area(area, lean.accepted, 2025, extract)
        assert a.extract_date == b.extract_date
        assert_frame_equal(a.table, b.table)
