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
