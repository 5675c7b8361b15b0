"""The canonical contract (nhvmetrics/contract.py): read from the area schemas, and taken by the
definition loader and the engine as an input (an area of a region's own, given as files)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import polars as pl
import pytest

from nhvmetrics.contract import contract_from_schema, load_contract, polars_types
from nhvmetrics.engine.compute import compute_area
from nhvmetrics.engine.definitions import parse_definition
from nhvmetrics.errors import DefinitionError, NhvError
from nhvmetrics.schema.model import load_schema, load_schema_files

ROOT = Path(__file__).resolve().parents[1]


def test_types_come_from_the_schema_files():
    acc = polars_types("acc")
    assert set(acc) == {"cases"}
    cases = acc["cases"]
    assert cases["referral_date"] == pl.Date and cases["patient_id"] == pl.String
    assert cases["mitotane_level_1y"] == pl.Float64 and cases["national_mdk"] == pl.Boolean
    assert polars_types("net")["cases"]["net_condition"] == pl.Int64
    anal = load_contract("anal")
    assert set(anal.tables) == {"cases", "episodes", "prem"}
    assert anal.dtypes("prem")["q1"] == pl.Int64 and anal.is_date("episodes", "visit_date")
    assert anal.columns("nothing") == {} and not anal.has_table("nothing")
    # every column of every table, in the schema's order
    for area in ("acc", "net", "anal", "pelvic"):
        schema = load_schema(area)
        for name, spec in schema.tables.items():
            assert list(load_contract(area).columns(name)) == list(spec.columns)


def test_an_unknown_area_is_a_usage_error():
    with pytest.raises(NhvError, match="unknown area 'lung'") as err:
        load_contract("lung")
    assert err.value.exit_code == 2 and "path of an area folder" in str(err.value)


def _lung_contract(tmp_path: Path):
    """An area of its own (not shipped): acc's schema under another name, with one more column."""
    common = tmp_path / "common.yaml"
    shutil.copy(ROOT / "schemas" / "common.yaml", common)
    text = (ROOT / "schemas" / "acc.yaml").read_text(encoding="utf-8")
    text = text.replace("area: acc", "area: lung").replace(
        "    columns:\n", "    columns:\n      tumour_size:\n        type: float\n", 1
    )
    area = tmp_path / "lung.yaml"
    area.write_text(text, encoding="utf-8")
    return contract_from_schema(load_schema_files(common, area))


RAW = {
    "id": "lung.large_tumours",
    "version": 1,
    "title": {"sv": "Stora tumörer", "en": "Large tumours"},
    "source": {"document": "local.txt", "section": "x"},
    "type": "proportion",
    "period": {"date": "referral_date"},
    "numerator": "tumour_size >= 30",
}


def test_the_loader_and_the_engine_take_the_contract_as_an_input(tmp_path):
    contract = _lung_contract(tmp_path)
    assert contract.area == "lung" and contract.dtypes()["tumour_size"] == pl.Float64
    d = parse_definition(RAW, contract=contract)
    assert d.contract is contract and d.required_columns == {"unit", "referral_date", "tumour_size"}
    frame = pl.DataFrame(
        {
            "case_id": ["a", "b", "c"],
            "unit": ["01", "01", "02"],
            "referral_date": [dt.date(2024, 2, 1)] * 3,
            "tumour_size": [31, 12, None],  # integers: widened to the contract's Float64
        }
    )
    t = compute_area(
        "lung", {"cases": frame}, 2024, dt.date(2025, 1, 1), definitions=[d], contract=contract
    ).table
    r = t.filter((pl.col("unit") == "ALL") & (pl.col("stratum") == "all")).row(0, named=True)
    assert (r["area"], r["numerator"], r["denominator"], r["n_missing"]) == ("lung", 1, 2, 1)


def test_without_the_contract_the_column_and_the_area_are_unknown(tmp_path):
    with pytest.raises(DefinitionError, match="unknown area 'lung'"):
        parse_definition(RAW)
    acc = {**RAW, "id": "acc.large_tumours"}
    with pytest.raises(DefinitionError, match="unknown column or parameter 'tumour_size'"):
        parse_definition(acc)
    with pytest.raises(DefinitionError, match="is not an indicator of area 'lung'"):
        parse_definition(acc, contract=_lung_contract(tmp_path))
    with pytest.raises(NhvError, match="the contract given is for area 'lung', not 'acc'"):
        compute_area("acc", {}, 2024, dt.date(2025, 1, 1), contract=_lung_contract(tmp_path))
