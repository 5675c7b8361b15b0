"""``type: coverage`` (nhvmetrics/engine/kinds/coverage.py): registered over expected cases."""

from __future__ import annotations

import polars as pl
import pytest

from tests.fixtures.kinds import D, compute, definition, load_error, row

COVERAGE = dict(type="coverage")


def expected(*lines):
    return pl.DataFrame(
        [{"area": "acc", "year": y, "unit": u, "expected": n} for y, u, n in lines],
        schema={"area": pl.String, "year": pl.Int64, "unit": pl.String, "expected": pl.Int64},
    )


def cases(*spec):
    out = []
    for i, (unit, day) in enumerate(spec):
        out.append({"case_id": str(i), "unit": unit, "referral_date": day})
    return out


ROWS = cases(
    ("01", D(2024, 2, 1)), ("01", D(2024, 3, 1)), ("01", D(2024, 4, 1)), ("02", D(2024, 5, 1))
)


def test_registered_over_expected_per_unit_and_the_sum_for_all():
    t = compute(definition(**COVERAGE), ROWS, coverage=expected((2024, "01", 4), (2024, "02", 2)))
    assert (row(t, "01")["numerator"], row(t, "01")["denominator"]) == (3, 4)
    assert row(t, "01")["value"] == pytest.approx(0.75)
    assert row(t, "02")["value"] == pytest.approx(0.5)
    r = row(t)
    assert (r["numerator"], r["denominator"], r["value"], r["kind"]) == (4, 6, 4 / 6, "proportion")
    assert r["ci_low"] < 4 / 6 < r["ci_high"]


def test_a_national_line_is_used_for_all_and_more_than_expected_has_no_interval():
    t = compute(definition(**COVERAGE), ROWS, coverage=expected((2024, "ALL", 3)))
    r = row(t)
    assert (r["numerator"], r["denominator"], r["value"]) == (4, 3, pytest.approx(4 / 3))
    assert r["ci_low"] is None and r["ci_high"] is None
    assert row(t, "01")["value"] is None  # no line for the unit: no value


def test_a_unit_with_an_expected_count_and_no_case_has_coverage_zero():
    t = compute(definition(**COVERAGE), ROWS, coverage=expected((2024, "02", 5), (2023, "01", 2)))
    assert row(t, "02")["numerator"] == 1
    rows = ROWS + cases(("03", D(2023, 6, 1)))
    t = compute(definition(**COVERAGE), rows, coverage=expected((2024, "03", 5)))
    r = row(t, "03")
    assert (r["numerator"], r["denominator"], r["value"]) == (0, 5, 0.0)


def test_without_expected_counts_it_is_not_computable():
    t = compute(definition(**COVERAGE), ROWS)
    assert not row(t)["computable"]
    assert "no expected counts were given" in row(t)["note"]
    other = expected((2024, "01", 4)).with_columns(area=pl.lit("net"))
    t = compute(definition(**COVERAGE), ROWS, coverage=other)
    assert row(t)["note"] == "not computable: the coverage file has no expected counts for area acc"


def test_small_registered_counts_are_suppressed_though_the_expected_count_is_large():
    t = compute(definition(**COVERAGE), ROWS, coverage=expected((2024, "01", 40), (2024, "02", 40)))
    assert row(t, "02")["suppressed"] and row(t, "01")["suppressed"]


def test_no_stratifiers():
    assert "a coverage has no stratifiers" in load_error(**COVERAGE, stratifiers=["sex"])
    d = definition(**COVERAGE)
    assert d.kind.needs_inputs(d.spec) == ("coverage",) and d.row_kind == "proportion"
