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
