"""The v2 settings of a run on the command line and in the batch: --coverage, --suppress,
and a region's own parameter values and target levels."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from tests.fixtures.cli import run_cli

ROOT = Path(__file__).resolve().parents[2]
ACC = ROOT / "sample_data" / "acc_cases.csv"


def _coverage(tmp_path: Path) -> Path:
    p = tmp_path / "expected.csv"
    p.write_text("area,year,unit,expected\nacc,2025,ALL,100\n", encoding="utf-8")
    return p


def test_compute_with_coverage_makes_registry_coverage_computable(tmp_path, capsys) -> None:
    out = tmp_path / "x.csv"
    base = ["compute", ACC, "--area", "acc", "--year", "2025", "-o", out]
    assert run_cli(base, capsys)[0] == 0
    row = pl.read_csv(out).filter(
        (pl.col("indicator_id") == "acc.registry_coverage")
        & (pl.col("period") == 2025)
        & (pl.col("unit") == "ALL")
        & (pl.col("stratum") == "all")
    )
    assert not row["computable"][0]
    assert run_cli([*base, "--coverage", _coverage(tmp_path)], capsys)[0] == 0
    t = pl.read_csv(out)
    row = t.filter(
        (pl.col("indicator_id") == "acc.registry_coverage")
        & (pl.col("period") == 2025)
        & (pl.col("unit") == "ALL")
        & (pl.col("stratum") == "all")
    ).row(0, named=True)
    registered = pl.read_csv(ACC).filter(pl.col("referral_date").str.starts_with("2025")).height
    assert row["computable"] and row["numerator"] == registered and row["denominator"] == 100
    assert abs(row["value"] - registered / 100) < 1e-12


def test_a_bad_coverage_file_is_one_sentence(tmp_path, capsys) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("area,year,unit,expected\nacc,2025,ALL,many\n", encoding="utf-8")
    code, _, err = run_cli(
        [
            "compute",
            ACC,
            "--area",
            "acc",
            "--year",
            "2025",
            "--coverage",
            bad,
            "-o",
            tmp_path / "x.csv",
        ],
        capsys,
    )
    assert code == 2 and len(err.strip().splitlines()) == 1 and "bad.csv, line 2" in err


def test_report_suppress_cells_hides_more_than_the_denominator_rule(tmp_path, capsys) -> None:
    hidden = {}
    for policy in ("denominator", "cells"):
        html = tmp_path / f"{policy}.html"
        code, _, err = run_cli(
            [
                "report",
                ACC,
                "--area",
                "acc",
                "--year",
                "2025",
                "--unit",
                "11001",
                "--suppress",
                policy,
                "-o",
                html,
            ],
            capsys,
        )
        assert code == 0, err
        hidden[policy] = html.read_text(encoding="utf-8").count("otillräckligt underlag")
    assert hidden["cells"] > hidden["denominator"]
    code, _, err = run_cli(
        [
            "report",
            ACC,
            "--area",
            "acc",
            "--year",
            "2025",
            "--suppress",
            "some",
            "-o",
            tmp_path / "x.html",
        ],
        capsys,
    )
    assert code == 2 and "--suppress takes one of denominator, cells" in err


def test_the_batch_sets_parameters_targets_coverage_and_policy(tmp_path, capsys) -> None:
    import io

    import openpyxl

    _coverage(tmp_path)
    cfg = tmp_path / "nhvmetrics.toml"
    cfg.write_text(
        'output_dir = "out"\nyears = [2025]\ncoverage = "expected.csv"\nsuppress = "cells"\n'
        'params = { "acc.visit_within_x" = { x_days = 10 } }\n'
        'targets = { "acc.visit_within_x" = { intermediate = 0.8, high = 0.9 } }\n\n'
        f'[[report]]\narea = "acc"\ncases = "{ACC}"\n',
        encoding="utf-8",
    )
    code, _, err = run_cli(["report", "--config", cfg], capsys)
    assert code == 0, err
    html = (tmp_path / "out" / "acc-2025.html").read_text(encoding="utf-8")
    assert "inom 10 dygn" in html and "inom 14 dygn" not in html
    book = openpyxl.load_workbook(io.BytesIO((tmp_path / "out" / "acc-2025.xlsx").read_bytes()))
    ws = book.worksheets[0]
    head = next(r for r in ws.iter_rows() if r[0].value == "Id")
    names = [c.value for c in head]
    hi = names.index("Målnivå, hög nivå")
    rows = [r for r in ws.iter_rows(min_row=head[0].row + 1) if r[0].value]
    levels = {r[0].value: r[hi].value for r in rows if r[3].value in (None, "all")}
    assert levels["acc.visit_within_x"] == 0.9
    assert all(v is None for k, v in levels.items() if k != "acc.visit_within_x")
    assert "acc.registry_coverage" in html
    cfg.write_text(cfg.read_text("utf-8").replace("high = 0.9", "high = 9"), "utf-8")
    code, _, err = run_cli(["report", "--config", cfg], capsys)
    assert code == 1 and "share between 0 and 1" in (
        tmp_path / "out" / "run-summary.json"
    ).read_text("utf-8")
