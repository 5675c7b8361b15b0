"""``type: survival`` (nhvmetrics/engine/kinds/survival.py): Kaplan–Meier at a horizon."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from nhvmetrics.engine.kinds.survival import SurvivalSpec
from tests.fixtures.kinds import D, compute, definition, load_error, row

SURVIVAL = dict(
    type="survival",
    period={"date": "diagnosis_date", "offset_years": 1},
    params={"horizon_days": 365},
    time_origin="diagnosis_date",
    event="death_date",
    censor="coalesce(vital_status_date, extract_date)",
    optional_columns=["vital_status_date"],
)
ORIGIN = D(2023, 1, 1)


def case(cid, unit, died=None, followed=None, origin=ORIGIN):
    day = dt.timedelta
    return {
        "case_id": cid,
        "unit": unit,
        "referral_date": origin,
        "diagnosis_date": origin,
        "death_date": None if died is None else origin + day(died),
        "vital_status_date": origin + day(died if died is not None else followed),
    }


ROWS = [
    case("a", "01", died=100),
    case("b", "01", followed=150),  # censored before the horizon: pending
    case("c", "02", died=200),
    case("d", "02", followed=400),  # followed past the horizon
    case("e", "02", died=500),  # dies after the horizon: alive at it
    {**case("f", "02", died=10), "diagnosis_date": ORIGIN + dt.timedelta(days=20)},  # before
]


def test_kaplan_meier_by_hand():
    t = compute(definition(**SURVIVAL), ROWS, 2024, D(2025, 6, 1))
    r = row(t)
    # at risk 5 at day 100 (1 death), 3 at day 200 (1 death): S = 4/5 * 2/3
    s = 4 / 5 * 2 / 3
    assert r["value"] == pytest.approx(s) and r["kind"] == "survival"
    # f died before its origin: no usable time -> missing
    assert (r["numerator"], r["denominator"], r["n_pending"], r["n_missing"]) == (2, 5, 1, 1)
    greenwood = 1 / (5 * 4) + 1 / (3 * 2)
    se = math.sqrt(greenwood) / abs(math.log(s))
    z = 1.959963984540054
    assert r["ci_low"] == pytest.approx(s ** math.exp(z * se))
    assert r["ci_high"] == pytest.approx(s ** math.exp(-z * se))
    u1 = row(t, "01")  # a dies at 100 of 2 at risk, b censored at 150
    assert (u1["value"], u1["numerator"], u1["denominator"], u1["n_pending"]) == (0.5, 1, 2, 1)


def test_censoring_never_after_the_extract_date():
    rows = [case("a", "01", followed=700), case("b", "01", died=300)]
    # extract date 200 days after the origin: a is followed 200 days (pending), b alive then
    t = compute(definition(**SURVIVAL), rows, 2024, ORIGIN + dt.timedelta(days=200))
    r = row(t)
    assert (r["value"], r["numerator"], r["n_pending"]) == (1.0, 0, 2)
    assert r["ci_low"] is None and r["ci_high"] == 1.0


def test_followed_exactly_to_the_horizon_is_not_pending():
    rows = [case("a", "01", followed=365), case("b", "01", followed=364), case("c", "01", died=365)]
    r = row(compute(definition(**SURVIVAL), rows, 2024, D(2025, 6, 1)))
    # c dies on the horizon day: an event; at risk then: a and c -> S = 1/2
    assert (r["numerator"], r["n_pending"], r["value"]) == (1, 1, 0.5)


def test_everyone_dead_gives_zero_with_no_interval():
    rows = [case("a", "01", died=5), case("b", "01", died=6)]
    r = row(compute(definition(**SURVIVAL), rows, 2024, D(2025, 6, 1)))
    assert (r["value"], r["ci_low"], r["ci_high"], r["numerator"]) == (0.0, None, None, 2)


def test_parses_its_part():
    d = definition(**SURVIVAL)
    assert isinstance(d.spec, SurvivalSpec)
    assert (d.spec.time_origin, d.spec.event) == ("diagnosis_date", "death_date")
    assert "vital_status_date" not in d.required_columns  # optional
    assert {"diagnosis_date", "death_date"} <= d.required_columns
    plain = definition(**{**SURVIVAL, "time_origin": None, "censor": None})
    assert plain.spec.time_origin == "diagnosis_date" and plain.spec.censor is None
    assert (
        plain.kind.catalogue(plain.spec, None)
        .rule[0][1]
        .endswith("censoring at `extract_date` (at most the extract date)")
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"params": {}}, "survival needs a parameter 'horizon_days' (e.g. 365)."),
        ({"event": "sex"}, "survival: 'event' must be a date column of table 'cases'."),
        ({"event": None}, "survival: 'event' must be a date column"),
        ({"time_origin": "unit"}, "survival: 'time_origin' must be a date column"),
        ({"censor": "vital_date"}, "censor: unknown column or parameter 'vital_date'."),
        ({"numerator": "death_date is null"}, "'numerator' is only used by type proportion."),
    ],
)
def test_parsing_errors(fields, message):
    assert message in load_error(**{**SURVIVAL, **fields})


# ---------------------------------------------------------------- delayed entry [v2]

ENTRY = {**SURVIVAL, "entry": "referral_date"}


def referred(cid, unit, referred_day, died=None, followed=None):
    r = case(cid, unit, died=died, followed=followed)
    r["referral_date"] = ORIGIN + dt.timedelta(days=referred_day)
    return r


def test_delayed_entry_at_referral_by_hand():
    """A patient is at risk only after the referral reached the unit: one referred on day 100
    is not at risk for a death on day 50 (which would bias the estimate upwards)."""
    rows = [
        referred("a", "01", 0, died=50),
        referred("b", "01", 0, died=200),
        referred("c", "01", 0, followed=400),
        referred("d", "01", 100, followed=400),  # late entry
        referred("e", "01", 120, died=90),  # died before the referral: no time at risk
        referred("f", "01", -10, died=10),  # referred before the diagnosis: at risk from day 0
    ]
    t = compute(definition(**ENTRY), rows, 2024, D(2025, 6, 1))
    r = row(t)
    # day 10: a, b, c, f at risk (d not yet) -> 3/4; day 50: a, b, c -> 2/3; day 200: b, c, d -> 2/3
    assert r["value"] == pytest.approx(3 / 4 * 2 / 3 * 2 / 3)
    assert (r["numerator"], r["denominator"], r["n_missing"], r["n_pending"]) == (3, 5, 1, 0)
    # without the entry, d counts as at risk on days 10 and 50 too
    naive = row(compute(definition(**SURVIVAL), rows[:4] + rows[5:], 2024, D(2025, 6, 1)))
    assert naive["value"] == pytest.approx(4 / 5 * 3 / 4 * 2 / 3)
    assert naive["value"] > r["value"]


def test_a_death_on_the_day_of_referral_has_no_time_at_risk():
    rows = [referred("a", "01", 30, died=30), referred("b", "01", 0, followed=400)]
    r = row(compute(definition(**ENTRY), rows, 2024, D(2025, 6, 1)))
    assert (r["value"], r["denominator"], r["n_missing"]) == (1.0, 1, 1)


def test_entry_is_a_date_column():
    assert "survival: 'entry' must be a date column" in load_error(**{**ENTRY, "entry": "sex"})
    d = definition(**ENTRY)
    assert d.spec.entry == "referral_date" and "referral_date" in d.required_columns
    rule = dict(d.kind.catalogue(d.spec, None).rule)
    assert "left truncation" in rule["Delayed entry"]


def test_an_unknown_population_is_missing():
    d = definition(**{**SURVIVAL, "population": "surgery_intent == 'curative'"})
    rows = [
        {**case("a", "01", died=100), "surgery_intent": "curative"},
        {**case("b", "01", followed=400), "surgery_intent": "curative"},
        {**case("c", "01", died=10), "surgery_intent": None},  # unknown: missing, not a death
        {**case("d", "01", died=10), "surgery_intent": "palliative"},  # outside
    ]
    r = row(compute(d, rows, 2024, D(2025, 6, 1)))
    assert (r["value"], r["denominator"], r["n_missing"], r["numerator"]) == (0.5, 2, 1, 1)
