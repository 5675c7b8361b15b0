"""The schema files load, and the loader rejects broken ones naming file and problem."""

from __future__ import annotations

import shutil

import pytest

from nhvmetrics.areas import resolve_area, shipped_area_names
from nhvmetrics.errors import DefinitionError
from nhvmetrics.schema.model import inca_name, inca_names, load_schema, load_schema_files


@pytest.mark.parametrize("area", shipped_area_names())
def test_every_area_loads_with_required_common_columns(area):
    s = load_schema(area)
    cases = s.table("cases")
    assert set(cases.required) == {"patient_id", "case_id", "unit", "sex", "referral_date"}
    assert cases.key == "case_id"
    assert cases.column("referral_date").type == "date"


def test_anal_secondary_tables():
    s = load_schema("anal")
    ep = s.table("episodes")
    assert ep.parent == ("cases", "case_id")
    assert set(ep.required) == {"episode_id", "case_id", "visit_date"}
    prem = s.table("prem")
    assert "patient_id" not in prem.columns
    assert set(prem.required) == {"response_id", "unit", "response_date"}
    assert prem.column("q3").range == (1, 5)


def test_inca_names_and_codes():
    assert inca_name("acc", "patient_id") == "PAT_ID"
    assert inca_name("acc", "sex") == "KON_VALUE"
    assert inca_name("net", "home_region") == "LAN_VALUE"
    assert inca_name("pelvic", "unit") == "SjukhusKod"
    assert inca_name("acc", "resection_margin") == "radikalitet_Värde"
    names = inca_names("anal", "episodes")
    assert names["case_id"] == "REG_ID"
    col = load_schema("acc").table("cases").column("sex")
    assert col.inca_code("K") == "2" and col.inca_code("M") == "1"
    rm = load_schema("pelvic").table("cases").column("resection_margin")
    assert rm.inca_description_name == "radikalitet_Beskrivning"
    assert rm.inca_code("R2") == "3"
    mdk = load_schema("net").table("cases").column("national_mdk")
    assert (mdk.inca_code(True), mdk.inca_label(False)) == ("1", "Nej")


def _copy(tmp_path):
    from nhvmetrics.areas import shipped_common_path

    shutil.copy(shipped_common_path(), tmp_path / "common.yaml")
    shutil.copy(resolve_area("acc").schema_path, tmp_path / "acc.yaml")
    return tmp_path / "common.yaml", tmp_path / "acc.yaml"


@pytest.mark.parametrize(
    "old, new, fragment",
    [
        ("type: float", "type: decimal", "type 'decimal'"),
        (
            "{check: date_order, before: referral_date, after: oncology_start_date, "
            "severity: warning}",
            "{check: date_order, before: referral_date, after: no_such_date}",
            "unknown column 'no_such_date'",
        ),
        ("range: [0, 100]", "range: [0]", "range must be [min, max]"),
        ("area: acc", "aera: acc", "missing 'area"),
        ("extends: common", "extends: common\nextend: other", "unknown top-level key 'extend'"),
        ("order: 1", "order: first", "'order' must be a whole number"),
        ("title: {sv: Binjurebarkscancer,", "title: {se: Binjurebarkscancer,", "'title' must be"),
    ],
)
def test_broken_schema_names_file_and_problem(tmp_path, old, new, fragment):
    common, acc = _copy(tmp_path)
    text = acc.read_text(encoding="utf-8")
    assert old in text
    acc.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(DefinitionError) as exc:
        load_schema_files(common, acc)
    assert "acc.yaml" in str(exc.value) and fragment in str(exc.value)


def test_loaded_file_equals_check_ok(tmp_path):
    common, acc = _copy(tmp_path)
    assert (
        load_schema_files(common, acc).table("cases").columns
        == load_schema("acc").table("cases").columns
    )


def test_the_area_file_says_its_title_and_order():
    acc = load_schema("acc")
    assert (acc.title_sv, acc.title_en) == ("Binjurebarkscancer", "adrenocortical carcinoma")


def test_common_rules_apply_where_the_area_has_their_columns(tmp_path):
    """A new area that does not use death_date or first_visit_date loads: the common rules on
    those columns do not apply to it; the others do."""
    common, acc = _copy(tmp_path)
    small = tmp_path / "small.yaml"
    small.write_text(
        "area: small\ntables:\n  cases:\n"
        "    common: [patient_id, case_id, unit, sex, birth_date, referral_date]\n",
        encoding="utf-8",
    )
    rules = load_schema_files(common, small).table("cases").rules
    assert [(r.check, r.params) for r in rules] == [
        ("not_before_birth", {"birth": "birth_date"}),
        ("age_range", {"birth": "birth_date", "at": "referral_date", "min": 0, "max": 110}),
    ]
    assert len(load_schema_files(common, acc).table("cases").rules) > len(rules)
