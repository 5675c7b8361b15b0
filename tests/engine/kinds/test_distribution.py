"""``type: distribution`` (nhvmetrics/engine/kinds/distribution.py): categories and their shares."""

from __future__ import annotations

import pytest

from nhvmetrics.engine.kinds.distribution import DistributionSpec
from tests.fixtures.kinds import D, compute, definition, load_error, row, strata

JUNE = D(2024, 6, 1)


def case(cid, unit, region, birth=None, ref=JUNE, sex="K"):
    return {
        "case_id": cid,
        "unit": unit,
        "sex": sex,
        "referring_region": region,
        "birth_date": birth,
        "referral_date": ref,
    }


ROWS = [
    case("a", "01", "12", D(1984, 6, 1)),  # 40 on the referral date
    case("b", "01", "12", D(1984, 6, 2)),  # 39: one day short
    case("c", "02", "01", D(1944, 1, 1)),  # 80
    case("d", "02", None, None),
    case("e", "02", "01", D(1970, 1, 1), ref=D(2023, 1, 1)),
]


def test_categories_shares_and_the_total_by_hand():
    t = compute(definition(type="distribution", category="referring_region"), ROWS)
    total = row(t)
    assert (total["numerator"], total["value"], total["n_missing"], total["kind"]) == (
        3,
        3.0,
        1,
        "count",
    )
    r12 = row(t, stratum="referring_region=12")
    assert (r12["numerator"], r12["denominator"], r12["kind"]) == (2, 3, "distribution")
    assert r12["value"] == pytest.approx(2 / 3) and r12["ci_low"] < 2 / 3 < r12["ci_high"]
    assert row(t, "02", stratum="referring_region=01")["value"] == 1.0
    assert strata(t) == ["all", "referring_region=01", "referring_region=12"]


def test_age_bands_at_the_period_date_and_a_median_value():
    d = definition(
        type="distribution",
        category="age_band",
        value="age(birth_date, referral_date)",
        value_unit="years",
    )
    assert d.spec.derived() == {"age_band"} and "birth_date" in d.required_columns
    t = compute(d, ROWS)
    assert row(t, stratum="age_band=40-49")["numerator"] == 1  # a
    assert row(t, stratum="age_band=0-39")["numerator"] == 1  # b
    assert row(t, stratum="age_band=80+")["numerator"] == 1  # c
    main = row(t)
    # ages 40, 39, 80 (d unknown): median 40, q1 39.5, q3 60
    assert (main["value"], main["q1"], main["q3"], main["kind"]) == (40.0, 39.5, 60.0, "median")
    assert (main["denominator"], main["n_missing"]) == (3, 1)
    assert d.row_kind == "median" and d.kind.value_axis(d.spec) == "median"


def test_categories_within_a_stratifier():
    d = definition(type="distribution", category="referring_region", stratifiers=["sex"])
    t = compute(d, ROWS)
    assert row(t, stratum="sex=K;referring_region=12")["numerator"] == 2
    assert row(t, stratum="sex=K")["numerator"] == 3


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "a distribution needs 'category': a column of table 'cases' or age_band."),
        ({"category": "region"}, "a distribution needs 'category'"),
        (
            {"category": "sex", "events": [{"date": "surgery_date"}]},
            "'events' is only used by type count.",
        ),
        ({"category": "sex", "value": "age(birth, referral_date)"}, "value: unknown column"),
    ],
)
def test_parsing_errors(fields, message):
    assert message in load_error(type="distribution", **fields)


def test_spec_and_catalogue():
    d = definition(type="distribution", category="sex")
    assert d.spec == DistributionSpec("sex") and d.row_kind == "count"
    assert d.kind.catalogue(d.spec, None).rule == (("Category", "`sex`"),)


# ---------------------------------------------------------------- [v2]


def test_each_patient_once_with_the_age_of_the_first_case():
    d = definition(
        type="distribution",
        category="age_band",
        value="age(birth_date, referral_date)",
        distinct="patient_id",
    )
    rows = [
        {**case("a", "01", "12", D(1964, 3, 1), ref=D(2024, 2, 1)), "patient_id": "p1"},  # 59
        {**case("b", "01", "12", D(1964, 3, 1), ref=D(2024, 9, 1)), "patient_id": "p1"},  # 60
        {**case("c", "01", "12", D(1950, 1, 1), ref=D(2024, 5, 1)), "patient_id": "p2"},  # 74
    ]
    t = compute(d, rows)
    assert (row(t)["value"], row(t)["denominator"]) == (66.5, 2)  # 59 and 74, p1 once
    assert row(t, stratum="age_band=50-59")["numerator"] == 1
    assert "age_band=60-69" not in strata(t)
    assert "distinct: each patient counts with the smallest 'value'" in load_error(
        type="distribution", category="sex", distinct="patient_id"
    )


def test_an_unknown_population_has_no_category_and_is_missing():
    d = definition(type="distribution", category="referring_region", population="national_mdk")
    rows = [
        {**case("a", "01", "12"), "national_mdk": True},
        {**case("b", "01", "12"), "national_mdk": False},  # outside
        {**case("c", "01", "01"), "national_mdk": None},  # unknown: missing, no category
    ]
    t = compute(d, rows)
    assert (row(t)["numerator"], row(t)["n_missing"]) == (1, 1)
    assert row(t, stratum="referring_region=12")["denominator"] == 1
    assert "referring_region=01" not in strata(t)
