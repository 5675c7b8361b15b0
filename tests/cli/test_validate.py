"""``nhvmetrics validate`` and ``nhvmetrics convert`` on the command line: exit codes, output files,
no tracebacks, no personnummer in anything written."""

from __future__ import annotations

import json
import subprocess
import sys

import polars as pl
import pytest

from nhvmetrics.personnummer import find_personnummer
from nhvmetrics.personnummer import luhn_digit as _luhn

PNR_A = "19500101-238" + _luhn("500101238")
PNR_A_BAD = PNR_A[:-1] + str((int(PNR_A[-1]) + 1) % 10)
PNR_B = "19620315-129" + _luhn("620315129")
HEADER = [
    "PAT_ID",
    "REG_ID",
    "SjukhusKod",
    "KON_VALUE",
    "remissdatum",
    "behandlingsstart",
    "MAKULERAD",
]


def _write(path, rows, header=HEADER, sep=";"):
    path.write_text("\n".join(sep.join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
    return path


GOOD = [
    [PNR_A, "C1", "11001", "1", "2025-01-03", "2025-01-20", "0"],
    [PNR_B, "C2", "11001", "2", "2025-02-03", "2025-02-20", "0"],
    ["PAT77", "C3", "11002", "2", "2025-03-03", "2025-03-20", "1"],  # cancelled: dropped
]
BAD = GOOD + [
    [PNR_A_BAD, "C4", "11001", "1", "2025-01-03", "2025-01-20", "0"],  # bad check digit
    [PNR_B, '=HYPERLINK("x")', "11001", "X", "2025-01-03", "2025-01-02", "0"],  # code + order
]


def nhv(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "nhvmetrics", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
    )


def test_clean_export_exits_0_and_prints_counts(tmp_path):
    p = _write(tmp_path / "acc.csv", GOOD)
    r = nhv("validate", p, "--area", "acc", "--extract-date", "2025-12-31")
    assert r.returncode == 0, r.stderr
    assert "no errors" in r.stdout
    assert "makulerad 1" in r.stdout  # the dropped row is counted with its reason


def test_error_findings_exit_1_and_files_hold_no_personnummer(tmp_path):
    p = _write(tmp_path / "acc.csv", BAD)
    errors, quarantine = tmp_path / "findings.csv", tmp_path / "quarantine.csv"
    r = nhv(
        "validate",
        p,
        "--area",
        "acc",
        "--errors",
        errors,
        "--quarantine",
        quarantine,
        "--extract-date",
        "2025-12-31",
    )
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr
    f = pl.read_csv(errors, infer_schema=False)
    assert f.columns == [
        "table",
        "check",
        "severity",
        "column",
        "row",
        "case_id",
        "value",
        "message",
        "source_column",
    ]
    assert sorted(zip(f["check"], f["severity"], f["row"], f["source_column"], strict=True)) == [
        ("date_order", "warning", "6", "behandlingsstart"),  # the date is unknown, row kept
        ("invalid_code", "error", "6", "KON_VALUE"),  # sex is required: the row cannot be used
        ("invalid_personnummer", "error", "5", "PAT_ID"),
    ]
    q = pl.read_csv(quarantine, infer_schema=False)
    assert q["_row"].to_list() == ["5", "6"]
    assert q["patient_id"].to_list() == ["<personnummer>", "<personnummer>"]
    assert q["case_id"].to_list()[1].startswith("'=")  # a formula is never live in a spreadsheet
    for out in (errors, quarantine):
        assert find_personnummer(out.read_text(encoding="utf-8")) == []
    assert find_personnummer(r.stdout + r.stderr) == []


def test_json_findings(tmp_path):
    p = _write(tmp_path / "acc.csv", BAD)
    out = tmp_path / "f.json"
    r = nhv("validate", p, "--area", "acc", "--errors", out, "--extract-date", "2025-12-31")
    assert r.returncode == 1
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["tables"]["cases"]["rows_read"] == 5
    assert data["tables"]["cases"]["dropped"] == {"makulerad": 1}
    assert data["tables"]["cases"]["accepted"] + data["tables"]["cases"]["quarantined"] == 4
    assert len(data["findings"]) == 3 and data["errors"] == 2 and data["warnings"] == 1
    assert data["tables"]["cases"]["unknown_cells"] == {}  # the row of the unknown date is out
    assert data["tables"]["cases"]["columns"]["unit"] == ["SjukhusKod"]
    assert data["mapping"] is None


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["validate", "{missing}", "--area", "acc"], "does not exist"),
        (["validate", "{good}", "--area", "lung"], "unknown area"),
        (["validate", "{good}", "--area", "acc", "--errors", "{good}"], "refusing to overwrite"),
        (["validate", "{good}", "--area", "acc", "--errors", "x.txt"], ".csv or .json"),
        (["validate", "{good}", "--area", "acc", "--table", "prem"], "NAME=PATH"),
        (
            ["validate", "{good}", "--area", "acc", "--table", "episodes={good}"],
            "no table 'episodes'",
        ),
        (["validate", "{empty}", "--area", "acc"], "is empty"),
        (["convert", "{good}", "--area", "acc", "-o", "{good}"], "-o must end in .parquet"),
    ],
)
@pytest.mark.slow
def test_usage_and_unreadable_input_exit_2_without_traceback(tmp_path, args, fragment):
    good = _write(tmp_path / "acc.csv", GOOD)
    (tmp_path / "empty.csv").write_bytes(b"")
    subst = {
        "{good}": str(good),
        "{missing}": str(tmp_path / "nope.csv"),
        "{empty}": str(tmp_path / "empty.csv"),
    }
    r = nhv(*[subst.get(a, a) for a in args], cwd=tmp_path)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert fragment in r.stderr
    assert "Traceback" not in r.stderr
    assert r.stderr.startswith("error: ") and r.stderr.count("\n") == 1


def test_cli_runner_in_process(tmp_path):
    """The typer app itself (as other commands' tests use it) returns the same exit codes."""
    from typer.testing import CliRunner

    from nhvmetrics.cli import app

    p = _write(tmp_path / "acc.csv", BAD)
    res = CliRunner().invoke(app, ["validate", str(p), "--area", "acc"])
    assert res.exit_code == 1
    res = CliRunner().invoke(
        app, ["validate", str(_write(tmp_path / "ok.csv", GOOD)), "--area", "acc"]
    )
    assert res.exit_code == 0
