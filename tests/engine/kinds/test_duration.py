"""``type: duration`` and its alias ``type: median`` (nhvmetrics/engine/kinds/duration.py)."""

from __future__ import annotations

import pytest

from nhvmetrics.engine.kind import PlanContext
from nhvmetrics.engine.kinds.duration import DurationPlan, DurationSpec
from tests.fixtures.kinds import D, compute, definition, load_error, row

STAY = dict(
    type="duration",
    period={"date": "treatment_start_date"},
    params={"x_days": 5},
    value="days(referral_date, treatment_start_date)",
    value_unit="days",
    measures=[
        {
            "name": "within_x",
            "title": {"sv": "Inom {x_days} dygn", "en": "Within {x_days} days"},
            "numerator": "days(referral_date, treatment_start_date) <= x_days",
        }
    ],
)


def case(cid, unit, ref, start):
    return {"case_id": cid, "unit": unit, "referral_date": ref, "treatment_start_date": start}


# days from referral to treatment: 1, 4, 10, 17 in 2024; one without a referral date
ROWS = [
    case("a", "01", D(2024, 1, 1), D(2024, 1, 2)),
    case("b", "01", D(2024, 1, 1), D(2024, 1, 5)),
    case("c", "02", D(2024, 1, 1), D(2024, 1, 11)),
    case("d", "02", D(2024, 1, 1), D(2024, 1, 18)),
    case("e", "02", None, D(2024, 6, 1)),
    case("f", "02", D(2022, 12, 1), D(2023, 1, 1)),
]


def test_median_and_quartiles_by_hand():
    t = compute(definition("anal", **STAY), ROWS)
    r = row(t)
    # type 7 over 1, 4, 10, 17: q1 at (4 - 1) * 0.25 = 0.75 -> 1 + 0.75 * 3; the median at 1.5
    # -> 4 + 0.5 * 6; q3 at 2.25 -> 10 + 0.25 * 7
    assert (r["q1"], r["value"], r["q3"]) == (3.25, 7.0, 11.75)
    assert (r["numerator"], r["denominator"], r["n_missing"], r["n_pending"]) == (None, 4, 1, 0)
    assert r["kind"] == "median" and r["ci_low"] is None
    u = row(t, "01")
    assert (u["q1"], u["value"], u["q3"], u["denominator"]) == (1.75, 2.5, 3.25, 2)
    m = row(t, stratum="measure=within_x")
    # within 5 days: a (1), b (4); e has no value: the numerator is unknown -> missing
    assert (m["numerator"], m["denominator"], m["n_missing"], m["kind"]) == (2, 4, 1, "proportion")
    assert row(t, period=2023)["value"] == 31.0


def test_a_missing_value_is_pending_when_the_pending_condition_holds():
    d = definition(
        "pelvic",
        type="duration",
        period={"date": "surgery_date"},
        value="days(admission_date, discharge_date)",
        pending="discharge_date is null and surgery_date >= add_days(extract_date, -30)",
    )
    rows = [
        {
            "case_id": "a",
            "unit": "1",
            "surgery_date": D(2024, 12, 20),
            "admission_date": D(2024, 12, 19),
        },
        {
            "case_id": "b",
            "unit": "1",
            "surgery_date": D(2024, 5, 1),
            "admission_date": D(2024, 4, 30),
        },
        {
            "case_id": "c",
            "unit": "1",
            "surgery_date": D(2024, 5, 1),
            "admission_date": D(2024, 4, 30),
            "discharge_date": D(2024, 5, 9),
        },
    ]
    r = row(compute(d, rows, 2024, D(2025, 1, 5)))
    # a: still admitted within 30 days of the extract date -> pending; b: no discharge -> missing
    assert (r["denominator"], r["n_pending"], r["n_missing"], r["value"]) == (1, 1, 1, 9.0)


def test_median_is_an_alias_of_duration():
    d = definition("acc", **{**STAY, "type": "median", "value_unit": "mg/L"})
    assert d.type == "median" and d.kind.name == "duration" and isinstance(d.spec, DurationSpec)
    assert d.kind.value_axis(d.spec) == "median"
    assert d.kind.type_text(d.type) == "median with quartiles q1, q3 (n = denominator)"
    days = definition("acc", **STAY)
    assert days.kind.value_axis(days.spec) == "days" and days.row_kind == "median"
    assert days.kind.type_text(days.type).startswith("median days")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"value": None}, "a duration needs a 'value' expression"),
        ({"type": "median", "value": None}, "a median needs a 'value' expression"),
        ({"missing": "referral_date is null"}, "'missing' is only used by type proportion."),
        ({"numerator": "referral_date is null"}, "'numerator' is only used by type proportion."),
        ({"value": "days(referral_date, start)"}, "value: unknown column or parameter 'start'."),
    ],
)
def test_parsing_errors(fields, message):
    assert message in load_error("anal", **{**STAY, **fields})


def test_plan_keeps_the_value_in_its_keys():
    d = definition("anal", **STAY)
    plan = d.kind.plan(d.spec, PlanContext(3, d, d.params, D(2025, 1, 1)))
    assert isinstance(plan, DurationPlan) and not plan.fusable
    assert plan.keys == (plan.value,) and plan.value == "__v3"
    assert plan.sums[:3] == ("den", "mis", "pen")


# ---------------------------------------------------------------- [v2]


def test_a_period_date_from_an_expression_and_pending_cases_without_the_value():
    """pelvic.length_of_stay: a surgery without a discharge date is placed by its surgery date
    (coalesce) and is pending while recent, missing after that."""
    d = definition(
        area="pelvic",
        type="duration",
        period={"date": "coalesce(discharge_date, surgery_date)"},
        params={"admitted_days": 60},
        value="days(admission_date, discharge_date)",
        pending="discharge_date is null and days(surgery_date, extract_date) <= admitted_days",
        stratifiers=["age_band"],
    )
    assert d.period_columns == {"discharge_date", "surgery_date"}
    assert {"discharge_date", "surgery_date"} <= d.required_columns

    def stay(cid, surgery, discharge):
        return {
            "case_id": cid,
            "unit": "01",
            "birth_date": D(1960, 1, 1),
            "surgery_date": surgery,
            "admission_date": surgery,
            "discharge_date": discharge,
        }

    rows = [
        stay("a", D(2024, 3, 1), D(2024, 3, 11)),  # 10
        stay("b", D(2024, 12, 20), None),  # 51 days before the extract: still admitted
        stay("c", D(2024, 6, 1), None),  # long ago: missing
        stay("d", D(2023, 12, 28), D(2024, 1, 5)),  # discharged in 2024: 8
    ]
    t = compute(d, rows, 2024, D(2025, 2, 9))
    r = row(t)
    assert (r["value"], r["denominator"], r["n_pending"], r["n_missing"]) == (9.0, 2, 1, 1)
    # the age band is read at the period date (the expression), as for a plain column
    assert row(t, stratum="age_band=60-69")["denominator"] == 2


def test_an_unknown_population_is_missing():
    d = definition(
        **{**STAY, "population": "treatment_intent == 'curative'", "measures": []}, area="anal"
    )
    rows = [
        {**case("a", "01", D(2024, 1, 1), D(2024, 1, 11)), "treatment_intent": "curative"},
        {**case("b", "01", D(2024, 1, 1), D(2024, 1, 3)), "treatment_intent": "palliative"},
        {**case("c", "01", D(2024, 1, 1), D(2024, 1, 5)), "treatment_intent": None},
    ]
    r = row(compute(d, rows))
    assert (r["value"], r["denominator"], r["n_missing"]) == (10.0, 1, 1)
