"""The one pipeline (nhvmetrics.pipeline): options checked once, stages handing typed results on,
and no silent failure — figures over unusable data are marked and the run exits 1."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from nhvmetrics import pipeline
from nhvmetrics.errors import NhvError
from tests.fixtures.cli import run_cli

ROOT = Path(__file__).resolve().parents[1]
ACC = ROOT / "sample_data" / "acc_cases.csv"


def options(**kw) -> pipeline.RunOptions:
    return pipeline.RunOptions(**{"area": "acc", "tables": {"cases": ACC}, "year": 2025, **kw})


@pytest.mark.parametrize(
    "kw, says",
    [
        ({"area": "lung"}, "unknown area 'lung'; use one of acc, net, anal, pelvic, or the path"),
        ({"year": 1800}, "--year must be a calendar year"),
        ({"year": True}, "--year must be a calendar year"),
        ({"min_count": 0}, "--min-count must be a whole number of at least 1"),
        ({"min_count": 4.9}, "--min-count must be a whole number of at least 1"),
        ({"ci_method": "exact"}, "--ci takes one of wilson, clopper-pearson"),
        ({"lang": "de"}, "unknown language 'de'"),
        ({"max_quarantined": 1.5}, "--max-quarantined takes a share from 0 to 1"),
        ({"suppress": "all"}, "--suppress takes one of denominator, cells"),
        ({"extract_date": "15/2"}, "--extract-date takes a date YYYY-MM-DD"),
        ({"tables": {"episodes": ACC}}, "the 'cases' table is required"),
        ({"year": 2026, "extract_date": "2025-12-31"}, "is after the extract date"),
    ],
)
def test_options_are_checked_once_with_one_sentence(kw, says) -> None:
    with pytest.raises(NhvError) as exc:
        options(**kw)
    assert says in str(exc.value) and exc.value.exit_code == 2


def test_options_are_normalised() -> None:
    o = options(area=" ACC ", ci_method="Clopper-Pearson", lang="EN", extract_date="2026-01-31")
    assert (o.area.name, o.ci_method, o.lang) == ("acc", "clopper-pearson", "en")
    assert o.extract_date == dt.date(2026, 1, 31)
    assert o.with_year(2024).year == 2024 and o.year == 2025


def test_parse_tables() -> None:
    t = pipeline.parse_tables("c.csv", ["Episodes=e.csv", "prem = p.csv"])
    assert t == {"cases": Path("c.csv"), "episodes": Path("e.csv"), "prem": Path("p.csv")}
    assert pipeline.parse_tables("c.csv", {"episodes": "e.csv"})["episodes"] == Path("e.csv")
    for bad in (["episodes"], ["=e.csv"], ["cases=x.csv"]):
        with pytest.raises(NhvError):
            pipeline.parse_tables("c.csv", bad)


def test_what_validation_keeps_is_decided_by_the_purpose() -> None:
    o = options()
    check = pipeline.validate(o, pipeline.Purpose.CHECK)
    lean = pipeline.validate(o, pipeline.Purpose.COMPUTE)
    cases_check, cases_lean = check.result.tables["cases"], lean.result.tables["cases"]
    assert cases_check.n_accepted == cases_lean.n_accepted
    # compute keeps only the columns the indicators read
    assert set(cases_lean.accepted.columns) < set(cases_check.accepted.columns)
    # the same extract date whichever stage asks: the latest date in the data
    assert check.extract_date == lean.extract_date
    assert not check.extract_date_given


def test_stages_hand_typed_results_on_and_agree_with_the_engine() -> None:
    from nhvmetrics.engine.compute import compute_area
    from nhvmetrics.schema.validate import validate_export

    o = options()
    computed = pipeline.compute(o)
    rendered = pipeline.render(o, computed, workbook=True)
    assert rendered.html.startswith("<!DOCTYPE html>") and rendered.workbook[:2] == b"PK"
    assert rendered.data.year == 2025 and not rendered.problems
    v = validate_export("acc", {"cases": ACC})
    direct = compute_area("acc", v.accepted, 2025, computed.extract_date)
    assert computed.table.equals(direct.table)


def _export(tmp_path: Path, bad_rows: int, year: int = 2025) -> Path:
    """A copy of the acc sample with its first ``bad_rows`` rows made invalid (a personnummer
    with a wrong check digit), and its dates moved so the last referral falls in ``year``."""
    frame = pl.read_csv(ACC, infer_schema=False)
    pid = frame["patient_id"].to_list()
    for i in range(bad_rows):
        digits = pid[i]
        pid[i] = digits[:-1] + str((int(digits[-1]) + 1) % 10)
    frame = frame.with_columns(pl.Series("patient_id", pid))
    path = tmp_path / "acc_cases.csv"
    frame.write_csv(path)
    return path


def test_more_than_max_quarantined_is_exit_1_after_writing(tmp_path: Path, capsys) -> None:
    src = _export(tmp_path, 70)  # 70 of 300: 23 %
    out = tmp_path / "x.csv"
    code, _, err = run_cli(["compute", src, "--area", "acc", "--year", "2025", "-o", out], capsys)
    assert code == 1 and out.exists()
    assert "70 of 300 case rows (23%) were quarantined, more than --max-quarantined 20%" in err
    code, _, _ = run_cli(
        ["compute", src, "--area", "acc", "--year", "2025", "-o", out, "--max-quarantined", "0.3"],
        capsys,
    )
    assert code == 0
    # the figures are still computable: they rest on the accepted rows
    assert pl.read_csv(out)["computable"].any()


def test_no_accepted_row_is_exit_1_and_nothing_is_computable(tmp_path: Path, capsys) -> None:
    src = _export(tmp_path, 300)
    out = tmp_path / "x.csv"
    code, _, err = run_cli(
        [
            "compute",
            src,
            "--area",
            "acc",
            "--year",
            "2025",
            "--extract-date",
            "2026-01-31",
            "-o",
            out,
        ],
        capsys,
    )
    assert code == 1
    assert "no usable case rows: all 300 case row(s) were quarantined" in err
    table = pl.read_csv(out)
    assert table.height and not table["computable"].any()
    notes = set(table["note"])
    assert "not computable: no accepted case rows" in notes
    assert all(n.startswith("not computable: ") for n in notes)
    # the report says it too, and exits 1 after writing
    code, _, err = run_cli(
        [
            "report",
            src,
            "--area",
            "acc",
            "--year",
            "2025",
            "--extract-date",
            "2026-01-31",
            "-o",
            tmp_path / "r.html",
        ],
        capsys,
    )
    assert code == 1 and (tmp_path / "r.html").exists() and "no usable case rows" in err


def test_a_year_without_cases_is_exit_1_and_its_rows_are_not_computable(
    tmp_path: Path, capsys
) -> None:
    out = tmp_path / "x.csv"
    code, _, err = run_cli(["compute", ACC, "--area", "acc", "--year", "2017", "-o", out], capsys)
    assert code == 1 and "the reporting year 2017 has no case in the data" in err
    table = pl.read_csv(out)
    assert not table.filter(pl.col("period") == 2017)["computable"].any()


def test_a_year_after_the_extract_date_is_a_usage_error(tmp_path: Path, capsys) -> None:
    for extra in ([], ["--extract-date", "2025-06-30"]):
        code, _, err = run_cli(
            ["compute", ACC, "--area", "acc", "--year", "2027", *extra, "-o", tmp_path / "x.csv"],
            capsys,
        )
        assert code == 2 and "is after the extract date" in err
        assert not (tmp_path / "x.csv").exists()


def test_validate_prints_the_extract_date_compute_uses(tmp_path: Path, capsys) -> None:
    _, out_v, _ = run_cli(["validate", ACC, "--area", "acc"], capsys)
    _, out_c, _ = run_cli(
        ["compute", ACC, "--area", "acc", "--year", "2025", "-o", tmp_path / "x.csv"], capsys
    )
    line = [x for x in out_v.splitlines() if x.startswith("extract date:")]
    assert line and line[0] in out_c.splitlines()
