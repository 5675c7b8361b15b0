"""``type: count`` (nhvmetrics/engine/kinds/count.py): cases, or events of several dates."""

from __future__ import annotations

import pytest

from nhvmetrics.engine.kind import PlanContext
from nhvmetrics.engine.kinds.count import CountSpec, Event
from tests.fixtures.kinds import D, compute, definition, load_error, row

TREATMENTS = dict(
    type="count",
    period={"date": "referral_date"},
    events=[
        {"date": "surgery_date"},
        {"date": "oncology_start_date", "when": "mitotane_level_1y is not null"},
    ],
)


def case(cid, unit, ref, surgery=None, onc=None, level=None, sex="K"):
    return {
        "case_id": cid,
        "unit": unit,
        "sex": sex,
        "referral_date": ref,
        "surgery_date": surgery,
        "oncology_start_date": onc,
        "mitotane_level_1y": level,
    }


ROWS = [
    case("a", "01", D(2024, 1, 1)),
    case("b", "01", D(2024, 2, 1), surgery=D(2024, 3, 1), onc=D(2024, 6, 1), level=15.0),
    case("c", "02", D(2023, 2, 1), surgery=D(2024, 1, 10), onc=D(2023, 12, 1), level=12.0),
    case("d", "02", D(2024, 5, 1), onc=D(2024, 7, 1)),  # no level: that start is not counted
    case("e", "02", D(2024, 5, 1), sex="M"),
]


def test_cases_in_the_period_per_unit_and_stratum():
    t = compute(definition(type="count", stratifiers=["sex"]), ROWS)
    assert (row(t)["numerator"], row(t)["value"], row(t)["kind"]) == (4, 4.0, "count")
    assert (row(t, "01")["numerator"], row(t, "02")["numerator"]) == (2, 2)
    assert (row(t, stratum="sex=K")["numerator"], row(t, stratum="sex=M")["numerator"]) == (3, 1)
    assert row(t, period=2023)["numerator"] == 1
    assert row(t)["denominator"] is None and row(t)["n_missing"] == 0


def test_a_population_is_folded_into_the_count():
    t = compute(definition(type="count", population="surgery_date is not null"), ROWS)
    assert row(t)["numerator"] == 1  # b (c's referral is in 2023)
    assert row(t, "02")["numerator"] == 0  # an empty unit row: a count of 0


def test_events_are_counted_each_in_the_year_of_its_own_date():
    t = compute(definition(**TREATMENTS), ROWS)
    # 2024: surgeries b, c; oncology starts with a level: b  (c's start is in 2023, d has none)
    assert row(t)["numerator"] == 3
    assert (row(t, "01")["numerator"], row(t, "02")["numerator"]) == (2, 1)
    assert row(t, period=2023)["numerator"] == 1  # c's oncology start


def test_parses_events():
    d = definition(**TREATMENTS)
    assert isinstance(d.spec, CountSpec)
    assert d.spec.events[0] == Event("surgery_date")
    assert d.spec.events[1].when.columns == {"mitotane_level_1y"}
    assert d.required_columns == {
        "unit",
        "referral_date",
        "surgery_date",
        "oncology_start_date",
        "mitotane_level_1y",
    }


@pytest.mark.parametrize(
    ("events", "message"),
    [
        ([{"date": "sex"}], "events[1]: needs 'date', a date column of table 'cases'."),
        (["surgery_date"], "events[1]: needs 'date', a date column of table 'cases'."),
        ({"date": "surgery_date"}, "events must be a list"),
        ([{"date": "surgery_date", "when": "levl > 1"}], "events[1].when: unknown column"),
    ],
)
def test_parsing_errors(events, message):
    assert message in load_error(type="count", events=events)


def test_other_kinds_fields_are_refused():
    assert "'questions' is only used by type prem." in load_error(type="count", questions=["q1"])
    assert "'event' is only used by type survival." in load_error(type="count", event="death_date")


def test_plans_a_shared_pass_unless_it_counts_events():
    plain = definition(type="count")
    events = definition(**TREATMENTS)
    ctx = PlanContext(0, plain, {}, D(2025, 1, 1))
    assert plain.kind.plan(plain.spec, ctx).fusable
    plan = events.kind.plan(events.spec, PlanContext(1, events, {}, D(2025, 1, 1)))
    assert not plan.fusable and len(plan.periods) == 2 and plan.sums == ("n", "n_mis")
    assert plain.row_kind == "count" and plain.kind.value_axis(plain.spec) == "count"
    rows = events.kind.catalogue(events.spec, None).counted
    assert rows[1] == (
        "Counts",
        "`oncology_start_date` in the year where `mitotane_level_1y is not null`",
    )


# ---------------------------------------------------------------- patients are people [v2]

PATIENTS = dict(
    type="count",
    distinct="patient_id",
    measures=[{"name": "cases", "title": {"sv": "Antal fall", "en": "Number of cases"}}],
    stratifiers=["sex"],
)


def person(cid, pid, unit, ref, sex="K", **more):
    return {
        "case_id": cid,
        "patient_id": pid,
        "unit": unit,
        "sex": sex,
        "referral_date": ref,
        **more,
    }


def test_distinct_patients_once_per_unit_once_in_all_and_the_cases_beside():
    rows = [
        person("a", "p1", "01", D(2024, 1, 10)),
        person("b", "p1", "01", D(2024, 6, 10)),  # p1 again at the same unit
        person("c", "p2", "01", D(2024, 2, 10), sex="M"),
        person("d", "p2", "02", D(2024, 9, 10), sex="M"),  # p2 at a second unit
        person("e", "p3", "02", D(2023, 3, 10)),  # another year
    ]
    t = compute(definition(**PATIENTS), rows)
    assert [row(t, u)["numerator"] for u in ("ALL", "01", "02")] == [2, 2, 1]
    assert [row(t, u, "measure=cases")["numerator"] for u in ("ALL", "01", "02")] == [4, 3, 1]
    assert row(t, stratum="sex=M")["numerator"] == 1
    assert row(t, stratum="measure=cases;sex=M")["numerator"] == 2
    assert row(t, period=2023)["numerator"] == 1
    # the units add up to more than ALL: p2 counts at both
    assert row(t, "01")["numerator"] + row(t, "02")["numerator"] > row(t)["numerator"]
    d = definition(**PATIENTS)
    assert "patient_id" in d.required_columns
    assert d.kind.sub_strata(d.spec) == (("measure=cases", "count"),)
    assert d.stratum_titles == (("measure=cases", "Antal fall", "Number of cases"),)


def test_a_measure_of_distinct_patients_beside_a_count_of_referrals():
    d = definition(
        type="count",
        measures=[{"name": "patients", "title": {"sv": "P", "en": "P"}, "distinct": "patient_id"}],
    )
    rows = [person("a", "p1", "01", D(2024, 1, 10)), person("b", "p1", "01", D(2024, 5, 1))]
    t = compute(d, rows)
    assert (row(t)["numerator"], row(t, stratum="measure=patients")["numerator"]) == (2, 1)


def test_an_unknown_population_is_counted_as_missing():
    d = definition(**{**PATIENTS, "population": "surgery_intent == 'curative'"})
    rows = [
        person("a", "p1", "01", D(2024, 1, 10), surgery_intent="curative"),
        person("b", "p2", "01", D(2024, 1, 10), surgery_intent="palliative"),  # outside
        person("c", "p3", "01", D(2024, 1, 10), surgery_intent=None),  # unknown: missing
        person("d", "p3", "01", D(2024, 3, 10), surgery_intent=None),
    ]
    t = compute(d, rows)
    assert (row(t)["numerator"], row(t)["n_missing"]) == (1, 2)  # n_missing counts cases
    plain = compute(definition(type="count", population="surgery_intent == 'curative'"), rows)
    assert (row(plain)["numerator"], row(plain)["n_missing"]) == (1, 2)


def test_an_event_may_set_its_own_stratum():
    """An operation counts under treatment_type=surgery although the case's first treatment
    was neoadjuvant radiotherapy (pelvic.treatments)."""
    d = definition(
        area="pelvic",
        type="count",
        period={"date": "surgery_date"},
        events=[
            {"date": "surgery_date", "set": {"treatment_type": "surgery"}},
            {"date": "treatment_start_date", "when": "treatment_type != 'surgery'"},
        ],
        stratifiers=["treatment_type"],
    )
    rows = [
        {
            "case_id": "a",
            "unit": "01",
            "treatment_type": "radiotherapy",
            "treatment_start_date": D(2024, 1, 10),
            "surgery_date": D(2024, 4, 10),
        },
        {
            "case_id": "b",
            "unit": "01",
            "treatment_type": "surgery",
            "treatment_start_date": D(2024, 2, 1),
            "surgery_date": D(2024, 2, 1),
        },
    ]
    t = compute(d, rows)
    assert row(t)["numerator"] == 3
    assert row(t, stratum="treatment_type=surgery")["numerator"] == 2
    assert row(t, stratum="treatment_type=radiotherapy")["numerator"] == 1
    counted = d.kind.catalogue(d.spec, None).counted
    assert counted[0] == (
        "Counts",
        "`surgery_date` in the year, counted as `treatment_type=surgery`",
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"distinct": "pnr"}, "distinct: 'pnr' is not a column of table 'cases'."),
        (
            {"measures": [{"name": "x", "title": {"sv": "a", "en": "b"}, "numerator": "x"}]},
            "measures[1]: unknown field 'numerator'; a count's measure has name, title, distinct",
        ),
        (
            {**TREATMENTS, "distinct": "patient_id"},
            "a count of events counts events: it takes no 'distinct' or 'measures'.",
        ),
        (
            {"events": [{"date": "surgery_date", "set": {"sex": "K"}}]},
            "events[1].set: 'sex' is not one of the indicator's stratifiers.",
        ),
    ],
)
def test_parsing_errors_of_v2_fields(fields, message):
    assert message in load_error(**{"type": "count", **fields})
