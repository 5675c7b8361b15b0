"""``type: prem`` (nhvmetrics/engine/kinds/prem.py): survey respondents and positive answers."""

from __future__ import annotations

import pytest

from nhvmetrics.engine.kind import PlanContext
from nhvmetrics.engine.kinds.prem import PremSpec
from tests.fixtures.kinds import D, compute, definition, load_error, row, strata

PREM = dict(
    type="prem",
    table="prem",
    period={"date": "response_date"},
    params={"positive_min": 4},
    questions=["q1", "q2"],
)


MAY = D(2024, 5, 1)


def answer(rid, unit, q1, q2, when=MAY):
    return {"response_id": rid, "unit": unit, "response_date": when, "q1": q1, "q2": q2}


ROWS = [
    answer("1", "A", 5, 4),
    answer("2", "A", 3, None),
    answer("3", "B", None, 1),
    answer("4", "B", 4, 2),
    answer("5", "B", 5, 5, when=D(2023, 5, 1)),
]


def test_respondents_and_shares_per_question_by_hand():
    t = compute(definition("anal", **PREM), {"prem": ROWS})
    resp = row(t)
    assert (resp["numerator"], resp["value"], resp["kind"]) == (4, 4.0, "count")
    q1 = row(t, stratum="question=q1")  # 5, 3, -, 4: positive 2 of 3 answers, 1 unanswered
    assert (q1["numerator"], q1["denominator"], q1["n_missing"], q1["kind"]) == (
        2,
        3,
        1,
        "proportion",
    )
    assert q1["value"] == pytest.approx(2 / 3)
    q2 = row(t, "B", stratum="question=q2")  # 1, 2: none positive
    assert (q2["numerator"], q2["denominator"], q2["value"]) == (0, 2, 0.0)
    assert strata(t) == ["all", "question=q1", "question=q2"]
    assert row(t, period=2023)["numerator"] == 1


def test_positive_min_is_a_parameter():
    t = compute(definition("anal", **PREM), {"prem": ROWS}, params={"positive_min": 5})
    q1 = row(t, stratum="question=q1")
    assert (q1["numerator"], q1["denominator"]) == (1, 3)
    assert q1["parameters"] == "positive_min=5"


def test_an_empty_unit_still_has_its_question_rows():
    rows = [*ROWS, answer("6", "C", 5, 5, when=D(2023, 1, 1))]
    t = compute(definition("anal", **PREM), {"prem": rows})
    assert strata(t, "C") == ["all", "question=q1", "question=q2"]
    q = row(t, "C", stratum="question=q1")
    assert (q["numerator"], q["denominator"], q["value"]) == (0, 0, None)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"questions": []}, "a prem indicator needs 'questions', e.g. [q1, q2, q3, q4]."),
        ({"questions": ["q9"]}, "questions: unknown column 'q9' in table 'prem'."),
        ({"params": {}}, "a prem indicator needs a parameter 'positive_min' (e.g. 4)."),
        ({"table": "answers"}, "table 'answers' is not a table of area 'anal'."),
        ({"category": "unit"}, "'category' is only used by type distribution."),
    ],
)
def test_parsing_errors(fields, message):
    assert message in load_error("anal", **{**PREM, **fields})


def test_spec_plan_and_description():
    d = definition("anal", **PREM)
    assert d.spec == PremSpec(("q1", "q2")) and d.required_columns == {
        "unit",
        "response_date",
        "q1",
        "q2",
    }
    plan = d.kind.plan(d.spec, PlanContext(0, d, d.params, D(2025, 1, 1)))
    assert plan.fusable and plan.sums[0] == "resp"
    assert d.row_kind == "count"
    assert d.kind.sub_strata(d.spec) == (
        ("question=q1", "proportion"),
        ("question=q2", "proportion"),
    )
