"""nhvmetrics/engine/coverage.py: the expected counts of registry coverage, read and checked."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from nhvmetrics.engine.compute import compute_area
from nhvmetrics.engine.coverage import check_coverage, read_coverage
from nhvmetrics.errors import EXIT_USAGE, InputError


def _write(tmp_path, text, name="coverage.csv", encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def test_reads_a_comma_or_semicolon_file_keeping_leading_zeros(tmp_path):
    p = _write(tmp_path, "area,year,unit,expected\nacc,2025,05101,14\nACC,2025,all,47\n")
    f = read_coverage(p)
    assert f.schema == {
        "area": pl.String,
        "year": pl.Int64,
        "unit": pl.String,
        "expected": pl.Int64,
    }
    assert f.rows() == [("acc", 2025, "05101", 14), ("acc", 2025, "ALL", 47)]
    # Excel's Swedish CSV: semicolons, Windows-1252, another column order and case
    q = _write(
        tmp_path, "Unit;Expected;Year;Area\r\n11001;3;2024;net\r\n", "b.csv", encoding="cp1252"
    )
    assert read_coverage(q).rows() == [("net", 2024, "11001", 3)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "area,year,unit\nacc,2025,01\n",
            "column 'expected' is missing; a coverage file has the header area,year,unit,expected.",
        ),
        ("area,year,unit,expected,note\nacc,2025,01,3,x\n", "unknown column 'note'"),
        ("area,year,unit,expected\n", "no lines after the header"),
        ("area,year,unit,expected\nacc,25,01,3\n", "line 2: year '25' is not a year such as 2025."),
        (
            "area,year,unit,expected\nacc,2025,01,3.5\n",
            "line 2: expected '3.5' is not a whole number of cases",
        ),
        (
            "area,year,unit,expected\nacc,2025,01,-1\n",
            "line 2: expected '-1' is not a whole number",
        ),
        (
            "area,year,unit,expected\nacc,2025,,3\n",
            "line 2: 'unit' is empty; fill it in or delete the line.",
        ),
        (
            "area,year,unit,expected\nacc,2025,01,3\nacc,2025,01,4\n",
            "area acc, year 2025, unit 01 is given twice; keep one line for it.",
        ),
    ],
)
def test_each_problem_is_one_sentence_naming_the_file_and_line(tmp_path, text, message):
    p = _write(tmp_path, text)
    with pytest.raises(InputError) as err:
        read_coverage(p)
    assert message in str(err.value) and str(err.value).startswith("coverage.csv")
    assert err.value.exit_code == EXIT_USAGE


def test_an_unreadable_file_is_one_sentence(tmp_path):
    with pytest.raises(InputError):
        read_coverage(tmp_path / "nowhere.csv")
    with pytest.raises(InputError):
        read_coverage(_write(tmp_path, "", "empty.csv"))


def test_a_frame_is_checked_before_compute_uses_it():
    good = pl.DataFrame({"area": ["ACC"], "year": [2025], "unit": ["01"], "expected": [3]})
    assert check_coverage(good).rows() == [("acc", 2025, "01", 3)]
    with pytest.raises(InputError, match="has no column 'expected'"):
        check_coverage(good.drop("expected"))
    with pytest.raises(InputError, match="negative expected count"):
        check_coverage(good.with_columns(expected=pl.lit(-2)))
    with pytest.raises(InputError, match="twice"):
        check_coverage(pl.concat([good, good]))
    cases = pl.DataFrame({"case_id": ["a"], "unit": ["01"], "referral_date": [dt.date(2025, 3, 1)]})
    with pytest.raises(InputError, match="negative"):
        compute_area(
            "acc",
            {"cases": cases},
            2025,
            dt.date(2026, 1, 1),
            coverage=good.with_columns(expected=pl.lit(-1)),
        )


def test_compute_takes_the_coverage_frame():
    cases = pl.DataFrame(
        {"case_id": ["a", "b"], "unit": ["01", "01"], "referral_date": [dt.date(2025, 3, 1)] * 2}
    )
    cov = pl.DataFrame({"area": ["acc"], "year": [2025], "unit": ["ALL"], "expected": [8]})
    t = compute_area("acc", {"cases": cases}, 2025, dt.date(2026, 1, 1), coverage=cov).table
    r = t.filter(
        (pl.col("indicator_id") == "acc.registry_coverage") & (pl.col("unit") == "ALL")
    ).row(0, named=True)
    assert (r["numerator"], r["denominator"], r["value"], r["computable"]) == (2, 8, 0.25, True)
