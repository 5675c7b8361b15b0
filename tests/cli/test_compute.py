"""``nhvmetrics compute`` end to end: validation in front, every output format, byte-stable."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from nhvmetrics.cli import app
from nhvmetrics.engine.compute import OUTPUT_COLUMNS

runner = CliRunner()

CASES = """\
patient_id,case_id,unit,sex,referral_date,first_visit_date,birth_date,referring_region,national_mdk
P1,c1,11001,K,2024-01-10,2024-01-20,1960-01-01,01,1
P2,c2,11001,M,2024-02-10,2024-03-20,1970-01-01,12,0
P3,c3,51001,K,2024-03-10,,1980-01-01,12,
P4,c4,51001,K,2023-03-10,2023-03-12,1950-01-01,25,1
P5,c5,51001,K,2024-13-10,2023-03-12,1950-01-01,25,1
"""


@pytest.fixture()
def export(tmp_path: Path) -> Path:
    p = tmp_path / "acc_cases.csv"
    p.write_text(CASES, encoding="utf-8")
    return p


def _run(*args):
    return runner.invoke(app, ["compute", *map(str, args)])


def test_compute_csv_with_invalid_row_warning(export, tmp_path):
    out = tmp_path / "acc.csv"
    r = _run(export, "--area", "acc", "--year", 2024, "--extract-date", "2024-06-30", "-o", out)
    assert r.exit_code == 0, r.output
    assert "1 row quarantined" in r.output and "nhvmetrics validate" in r.output
    assert "extract date: 2024-06-30" in r.output
    t = pl.read_csv(out, infer_schema_length=0)
    assert t.columns == OUTPUT_COLUMNS
    v = t.filter(
        (pl.col("indicator_id") == "acc.visit_within_x")
        & (pl.col("unit") == "ALL")
        & (pl.col("stratum") == "all")
        & (pl.col("period") == "2024")
    ).row(0, named=True)
    # c1 day 10 yes, c2 day 39 no, c3 no visit (window closed) missing; c5 (bad date) left out
    assert (v["numerator"], v["denominator"], v["n_missing"], v["n_pending"]) == (
        "1",
        "2",
        "1",
        "0",
    )
    assert set(t["extract_date"].to_list()) == {"2024-06-30"}
    assert set(t["period"].to_list()) == {"2023", "2024"}
    surv = t.filter(pl.col("indicator_id") == "acc.survival_1y")
    assert set(surv["computable"].to_list()) == {"false"}


@pytest.mark.slow
def test_same_columns_in_every_format_and_byte_stable(export, tmp_path):
    tables = {}
    for fmt in ("csv", "parquet", "xlsx", "json"):
        a, b = tmp_path / f"a.{fmt}", tmp_path / f"b.{fmt}"
        for target in (a, b):
            r = _run(export, "--area", "acc", "--year", 2024, "-o", target)
            assert r.exit_code == 0, r.output
        assert a.read_bytes() == b.read_bytes(), fmt
        tables[fmt] = a
    csv = pl.read_csv(tables["csv"], infer_schema_length=0)
    pq = pl.read_parquet(tables["parquet"])
    assert pq.columns == csv.columns == OUTPUT_COLUMNS
    assert pq.height == csv.height
    doc = json.loads(tables["json"].read_text(encoding="utf-8"))
    assert doc["columns"] == OUTPUT_COLUMNS and len(doc["rows"]) == csv.height
    assert doc["extract_date"] == "2024-03-20" and doc["extract_date_source"] == "data"
    from openpyxl import load_workbook

    ws = load_workbook(tables["xlsx"], read_only=True).active
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == OUTPUT_COLUMNS and len(rows) - 1 == csv.height


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "{tmp}/out.txt"], "must end in"),
        (["--ci", "bayes", "-o", "{tmp}/o.csv"], "--ci takes one of"),
        (["--extract-date", "2024-02-30", "-o", "{tmp}/o.csv"], "--extract-date takes a date"),
        (["--min-count", "0", "-o", "{tmp}/o.csv"], "--min-count"),
        (["-o", "{export}"], "refusing to overwrite the input"),
    ],
)
def test_usage_errors_exit_2(export, tmp_path, args, message, capsys):
    from nhvmetrics.cli import main

    args = [a.format(tmp=tmp_path, export=export) for a in args]
    with pytest.raises(SystemExit) as exc:
        main(["compute", str(export), "--area", "acc", "--year", "2024", *args])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.slow
def test_options_ci_and_min_count(export, tmp_path):
    out1, out2 = tmp_path / "w.csv", tmp_path / "cp.csv"
    assert (
        _run(export, "--area", "acc", "--year", 2024, "-o", out1, "--min-count", 1).exit_code == 0
    )
    assert (
        _run(
            export, "--area", "acc", "--year", 2024, "-o", out2, "--ci", "clopper-pearson"
        ).exit_code
        == 0
    )
    w, cp = pl.read_csv(out1), pl.read_csv(out2)
    assert not w["suppressed"].any() and cp["suppressed"].any()
    assert w["ci_low"].to_list() != cp["ci_low"].to_list()


def test_strict_exits_1_after_writing(export, tmp_path):
    out = tmp_path / "strict.csv"
    r = _run(export, "--area", "acc", "--year", 2024, "-o", out, "--strict")
    assert r.exit_code == 1 and out.exists()
    clean = tmp_path / "clean.csv"
    clean.write_text("\n".join(CASES.splitlines()[:-1]) + "\n", encoding="utf-8")
    assert (
        _run(clean, "--area", "acc", "--year", 2024, "-o", tmp_path / "c.csv", "--strict").exit_code
        == 0
    )
