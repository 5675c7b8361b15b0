"""``type: proportion`` (nhvmetrics/engine/kinds/proportion.py): its part of a definition and
its rows, with numbers worked out by hand."""

from __future__ import annotations

import pytest

from nhvmetrics.engine.kinds.proportion import ProportionPlan, ProportionSpec
from tests.fixtures.kinds import D, compute, definition, load_error, row, strata

VISIT = dict(
    type="proportion",
    params={"x_days": 14},
    numerator="days(referral_date, first_visit_date) <= x_days",
    pending="first_visit_date is null and days(referral_date, extract_date) < x_days",
    missing="sex is null",
    population="national_mdk",
    stratifiers=["sex"],
)


def case(cid, unit, ref, visit=None, sex="K", mdk=True):
    return {
        "case_id": cid,
        "unit": unit,
        "sex": sex,
        "referral_date": ref,
        "first_visit_date": visit,
        "national_mdk": mdk,
    }


ROWS = [
    case("a", "01", D(2024, 3, 1), D(2024, 3, 15)),  # day 14: numerator
    case("b", "01", D(2024, 3, 1), D(2024, 3, 16)),  # day 15: denominator only
    case("c", "01", D(2024, 12, 20)),  # no visit, window open on 2025-01-02: pending
    case("d", "02", D(2024, 3, 1)),  # no visit, window closed: numerator unknown -> missing
    case("e", "02", D(2024, 3, 1), D(2024, 3, 2), sex=None),  # in time, but missing says so:
    # the numerator comes first, so it still counts in the numerator
    case("f", "02", D(2024, 3, 1), D(2024, 3, 30), sex=None),  # late and sex missing: missing
    case("g", "02", D(2024, 3, 1), D(2024, 3, 2), mdk=False),  # outside the population
    case("h", "02", D(2023, 3, 1), D(2023, 3, 2)),  # another year
]


def test_parses_its_own_part():
    d = definition(**VISIT)
    assert d.kind.name == "proportion" and isinstance(d.spec, ProportionSpec)
    assert d.spec.numerator.columns == {"referral_date", "first_visit_date"}
    assert d.spec.pending.specials == {"extract_date"}
    assert d.required_columns == {
        "unit",
        "referral_date",
        "first_visit_date",
        "sex",
        "national_mdk",
    }


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"numerator": None}, "a proportion needs a 'numerator' condition."),
        ({"numerator": "days(referral_date, first_visit) <= 3"}, "unknown column or parameter"),
        ({"value": "days(referral_date, first_visit_date)"}, "'value' is only used by type"),
        ({"category": "sex"}, "'category' is only used by type distribution."),
        ({"targets": {"high": 90}}, "targets.high must be a share between 0 and 1, got 90."),
        ({"measures": [{"name": "x", "title": {"sv": "a", "en": "b"}}]}, "needs a 'numerator'"),
        (
            {
                "measures": [
                    {"name": "x", "title": {"sv": "a", "en": "b"}, "numerator": "national_mdk"},
                    {"name": "x", "title": {"sv": "a", "en": "b"}, "numerator": "national_mdk"},
                ]
            },
            "measures: two measures have the same name.",
        ),
        (
            {"measures": [{"name": "x", "title": {"sv": "a"}, "numerator": "national_mdk"}]},
            "measures[1].title needs both 'sv' (Swedish) and 'en' (English) text.",
        ),
    ],
)
def test_parsing_errors_name_the_field(fields, message):
    assert message in load_error(**{**VISIT, **fields})


def test_rows_by_hand():
    t = compute(definition(**VISIT), ROWS, 2024, D(2025, 1, 1))
    # ALL: numerator a, e; denominator a, b, e; pending c; missing d (unknown), f (missing)
    r = row(t)
    assert (r["numerator"], r["denominator"], r["n_pending"], r["n_missing"]) == (2, 3, 1, 2)
    assert r["value"] == pytest.approx(2 / 3) and r["kind"] == "proportion"
    assert r["ci_low"] < 2 / 3 < r["ci_high"]
    u1, u2 = row(t, "01"), row(t, "02")
    assert (u1["numerator"], u1["denominator"], u1["n_pending"], u1["n_missing"]) == (1, 2, 1, 0)
    assert (u2["numerator"], u2["denominator"], u2["n_pending"], u2["n_missing"]) == (1, 1, 0, 2)
    k = row(t, stratum="sex=K")
    assert (k["numerator"], k["denominator"], k["n_pending"], k["n_missing"]) == (1, 2, 1, 1)
    unknown = row(t, stratum="sex=unknown")
    assert (unknown["numerator"], unknown["denominator"], unknown["n_missing"]) == (1, 1, 1)
    # the other year is a period of its own: h alone
    assert (row(t, period=2023)["numerator"], row(t, period=2023)["denominator"]) == (1, 1)


def test_measures_are_shares_over_the_same_cases_with_their_own_population():
    d = definition(
        **VISIT,
        measures=[
            {
                "name": "within_7",
                "title": {"sv": "Inom 7", "en": "Within 7"},
                "numerator": "days(referral_date, first_visit_date) <= 7",
                "population": "first_visit_date is not null",
            }
        ],
    )
    t = compute(d, ROWS, 2024, D(2025, 1, 1))
    m = row(t, stratum="measure=within_7")
    # visited, in the population, in 2024: a (14 d), b (15), e (1), f (29) -> e within 7
    assert (m["numerator"], m["denominator"], m["n_missing"], m["kind"]) == (1, 4, 0, "proportion")
    assert "measure=within_7;sex=K" in strata(t)
    assert d.kind.sub_strata(d.spec) == (("measure=within_7", "proportion"),)
    assert d.kind.stratum_titles(d.spec) == (("measure=within_7", "Inom 7", "Within 7"),)


def test_a_unit_with_no_case_in_a_year_gets_an_empty_row():
    t = compute(definition(**VISIT), ROWS, 2024, D(2025, 1, 1))
    # unit 01 has no case in 2023: its row is there with 0 / 0 and no value
    r = row(t, "01", period=2023)
    assert (r["numerator"], r["denominator"], r["value"], r["n_missing"]) == (0, 0, None, 0)


def test_plan_shares_its_pass_and_describes_itself():
    from nhvmetrics.engine.kind import PlanContext

    d = definition(**VISIT)
    plan = d.kind.plan(d.spec, PlanContext(0, d, d.params, D(2025, 1, 1)))
    assert isinstance(plan, ProportionPlan) and plan.fusable
    assert plan.period == "__y_referral_date_0"
    assert plan.sums == ("a_num", "a_den", "a_mis", "a_pen")
    assert d.row_kind == "proportion" and d.kind.value_axis(d.spec) == "share"
    text = d.kind.catalogue(d.spec, None)
    assert [k for k, _ in text.rule] == ["Numerator", "Pending (n_pending)", "Missing (n_missing)"]


# ---------------------------------------------------------------- [v2]


def test_an_unknown_population_is_missing_not_left_out():
    """A case of the year whose population cannot be decided (its intent is unknown) counts in
    n_missing, in the main row and in every measure, even when it meets the numerator."""
    d = definition(
        type="proportion",
        period={"date": "surgery_date"},
        population="surgery_intent == 'curative'",
        numerator="resection_margin in ['R1', 'R2']",
        measures=[
            {
                "name": "r2",
                "title": {"sv": "R2", "en": "R2"},
                "numerator": "resection_margin == 'R2'",
            }
        ],
    )
    rows = [
        {
            "case_id": c,
            "unit": "01",
            "surgery_date": D(2024, 3, 1),
            "surgery_intent": i,
            "resection_margin": m,
        }
        for c, i, m in [
            ("a", "curative", "R0"),
            ("b", "curative", "R2"),
            ("c", None, "R2"),
            ("d", "palliative", "R2"),
        ]
    ]
    t = compute(d, rows)
    assert (row(t)["numerator"], row(t)["denominator"], row(t)["n_missing"]) == (1, 2, 1)
    m = row(t, stratum="measure=r2")
    assert (m["numerator"], m["denominator"], m["n_missing"]) == (1, 2, 1)


def test_a_measure_population_unknown_is_missing_in_that_measure():
    d = definition(
        area="net",
        type="proportion",
        period={"date": "surgery_date"},
        numerator="complication_30d",
        measures=[
            {
                "name": "fistula",
                "title": {"sv": "F", "en": "F"},
                "population": "net_condition == 3",
                "numerator": "pancreatic_fistula",
            }
        ],
    )
    rows = [
        {
            "case_id": c,
            "unit": "01",
            "surgery_date": D(2024, 3, 1),
            "net_condition": n,
            "complication_30d": True,
            "pancreatic_fistula": f,
        }
        for c, n, f in [("a", 3, True), ("b", 1, None), ("c", None, True)]
    ]
    t = compute(d, rows)
    assert row(t)["denominator"] == 3
    m = row(t, stratum="measure=fistula")
    assert (m["numerator"], m["denominator"], m["n_missing"]) == (1, 1, 1)


def test_a_case_column_joined_from_the_case_table():
    """A definition of another table reads columns of its case's row (anal's episodes: the
    treatment intent); an episode without its case in the case table is missing."""
    d = definition(
        area="anal",
        type="proportion",
        table="episodes",
        case_columns=["treatment_intent"],
        period={"date": "visit_date"},
        population="treatment_intent == 'curative'",
        numerator="written_care_plan",
    )
    assert d.required_columns == {"unit", "visit_date", "case_id", "written_care_plan"}
    tables = {
        "cases": [
            {"case_id": "a", "unit": "01", "treatment_intent": "curative"},
            {"case_id": "b", "unit": "01", "treatment_intent": "palliative"},
        ],
        "episodes": [
            {
                "episode_id": "1",
                "case_id": "a",
                "unit": "01",
                "visit_date": D(2024, 1, 1),
                "written_care_plan": True,
            },
            {
                "episode_id": "2",
                "case_id": "a",
                "unit": "01",
                "visit_date": D(2024, 2, 1),
                "written_care_plan": False,
            },
            {
                "episode_id": "3",
                "case_id": "b",
                "unit": "01",
                "visit_date": D(2024, 2, 1),
                "written_care_plan": True,
            },
            {
                "episode_id": "4",
                "case_id": "x",
                "unit": "01",
                "visit_date": D(2024, 2, 1),
                "written_care_plan": True,
            },
        ],
    }
    r = row(compute(d, tables))
    assert (r["numerator"], r["denominator"], r["n_missing"]) == (1, 2, 1)
    only_episodes = compute(d, {"episodes": tables["episodes"]})
    assert row(only_episodes)["note"] == "not computable: table 'cases' is not in the export"
    assert "case_columns: unknown column 'intent' in table 'cases'." in load_error(
        area="anal",
        type="proportion",
        table="episodes",
        case_columns=["intent"],
        period={"date": "visit_date"},
        numerator="written_care_plan",
    )
