"""The condition language (nhvmetrics/engine/expr.py): what it allows and computes, what it
refuses, and that a refused condition is one sentence from the loader (DefinitionError)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from nhvmetrics.engine.definitions import parse_definition
from nhvmetrics.engine.expr import ExprError, compile_expr, parse
from nhvmetrics.errors import EXIT_INVALID, DefinitionError

D = dt.date
EXTRACT = D(2025, 1, 1)
COLUMNS = {"a", "b", "birth", "at", "sex", "n", "margin"}
FRAME = pl.DataFrame(
    {
        "a": [D(2024, 1, 1), D(2024, 1, 1), None],
        "b": [D(2024, 1, 15), D(2024, 3, 1), D(2024, 2, 1)],
        "birth": [D(1960, 2, 29), D(1960, 2, 29), D(2000, 1, 1)],
        "at": [D(2024, 2, 28), D(2024, 2, 29), D(2023, 12, 31)],
        "sex": ["K", "M", None],
        "n": [1, 5, None],
        "margin": ["R0", "R1", None],
    }
)


def values(text: str, params: dict | None = None, extract: dt.date | None = EXTRACT):
    p = parse(text, COLUMNS, params or {})
    return FRAME.select(compile_expr(p, params or {}, extract).alias("x"))["x"].to_list()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("days(a, b)", [14, 60, None]),
        ("days(a, b) <= x_days", [True, False, None]),
        ("add_days(a, 14) = b", [True, False, None]),
        ("year(b)", [2024, 2024, 2024]),
        ("age(birth, at)", [63, 64, 23]),  # born 29 February: a year older on 1 March
        ("coalesce(a, b)", [D(2024, 1, 1), D(2024, 1, 1), D(2024, 2, 1)]),
        ("least(a, b)", [D(2024, 1, 1), D(2024, 1, 1), D(2024, 2, 1)]),
        ("greatest(n, 3)", [3, 5, 3]),
        ("if_else(sex == 'K', 1, 2)", [1, 2, 2]),
        ("b >= date('2024-02-01')", [False, True, True]),
        ("margin in ['R1', 'R2']", [False, True, None]),
        ("margin not in ['R1', 'R2']", [True, False, None]),
        ("a is null", [False, False, True]),
        ("a IS NOT NULL", [True, True, False]),
        ("is_null(sex) or not_null(a)", [True, True, True]),
        ("sex = 'K' AND n <> 5", [True, False, None]),
        ("n<>1", [False, True, None]),
        ("NOT sex = 'K' OR FALSE", [False, True, None]),
        ("n = NULL", [False, False, True]),
        ("2 <= n <= 5", [False, True, None]),
        ("n * 2 + 1 - n / 2", [2.5, 8.5, None]),
        ("-n < 0", [True, True, None]),
        ("b < extract_date", [True, True, True]),
        ("n = TRUE", [True, False, None]),
    ],
)
def test_allowed_constructs_compute_with_sql_logic(text, expected):
    assert values(text, {"x_days": 14}) == expected


def test_parse_records_what_it_reads():
    p = parse("days(a, extract_date) < x_days and sex = 'K'", COLUMNS, {"x_days": 1})
    assert (p.columns, p.params, p.specials) == ({"a", "sex"}, {"x_days"}, {"extract_date"})
    assert p.text == "days(a, extract_date) < x_days and sex = 'K'"


def test_extract_date_is_needed_to_compile():
    with pytest.raises(ExprError, match="extract_date is needed"):
        values("b < extract_date", extract=None)


REFUSED = [
    ("a.year", "'a.year' is not allowed in a condition"),
    ("sex[0]", "is not allowed in a condition"),
    ("lambda: 1", "is not allowed in a condition"),
    ("[x for x in sex]", "is not allowed in a condition"),
    ("n ** 2", "is not allowed in a condition"),
    ("n // 2", "is not allowed in a condition"),
    ("n % 2", "is not allowed in a condition"),
    ("n & 1", "is not allowed in a condition"),
    ("~n", "is not allowed in a condition"),
    ("f'{sex}'", "is not allowed in a condition"),
    ("(x := 1)", "is not allowed in a condition"),
    ("1 if sex else 2", "is not allowed in a condition"),
    ("{'a': 1}", "is not allowed in a condition"),
    ("__import__('os')", "unknown function '__import__'; use one of: add_days, age"),
    ("open('x')", "unknown function 'open'"),
    ("sex.lower()", "unknown function '?'"),
    ("days(a)", "wrong number of arguments: days(a, b)"),
    ("coalesce(a)", "wrong number of arguments"),
    ("date(sex)", "date() takes a literal 'YYYY-MM-DD'"),
    ("date('2024-13-01')", "date('2024-13-01') is not a valid date"),
    ("sex is 'K'", "'is' may only be used as 'x is null' or 'x is not null'"),
    ("sex in 'KM'", "'in' must be followed by a list such as ['R1', 'R2']"),
    ("sex in [sex]", "the list after 'in' may hold only literal values"),
    ("(sex, sex)", "a list is only allowed after 'in'"),
    ("...", "literal Ellipsis is not allowed"),
    ("b'x' == sex", "literal b'x' is not allowed"),
    ("margins == 'R0'", "unknown column or parameter 'margins'"),
    ("sex; import os", "cannot parse"),
    ("n < > 1", "cannot parse"),
    ("sex == 'K' and", "cannot parse"),
    ("days(a, b", "a bracket or a quote is not closed"),
    ("  ", "the condition is empty"),
]


@pytest.mark.parametrize(("text", "reason"), REFUSED)
def test_refused(text, reason):
    with pytest.raises(ExprError) as err:
        parse(text, COLUMNS, {"x_days": 14})
    assert reason in str(err.value)


@pytest.mark.parametrize("text", [t for t, _ in REFUSED] + [{"a": 1}, ["sex"]])
def test_a_refused_condition_is_one_sentence_from_the_loader(text):
    raw = {
        "id": "acc.example",
        "version": 1,
        "title": {"sv": "Exempel", "en": "Example"},
        "source": {"document": "000_322ab7d43b14cd0e.txt", "section": "x"},
        "type": "proportion",
        "period": {"date": "referral_date"},
        "numerator": text,
    }
    with pytest.raises(DefinitionError) as err:
        parse_definition(raw)
    msg = str(err.value)
    assert err.value.exit_code == EXIT_INVALID
    assert msg.startswith("<definition>: numerator: ") and msg.endswith(".")
    assert "\n" not in msg and "Traceback" not in msg
