"""``nhvmetrics validate`` and ``nhvmetrics convert`` on the command line: exit codes, output files,
no tracebacks, no personnummer in anything written."""

from __future__ import annotations

import json
import subprocess
import sys

import polars as pl
import pytest

from nhvmetrics.privacy import find_personnummer

def _luhn(nine: str) -> str:
    total = 0
    for i, ch in enumerate(nine):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


PNR_A = "19500101-238" + _luhn("500101238")
PNR_A_BAD = PNR_A[:-1] + str((int(PNR_A[-1]) + 1) % 10)
PNR_B = "19620315-129" + _luhn("620315129")
HEADER = ["PAT_ID", "REG_ID", "SjukhusKod", "KON_VALUE", "remissdatum", "behandlingsstart", "MAKULERAD"]


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
    [PNR_B, "=HYPERLINK(\"x\")", "11001", "X", "2025-01-03", "2025-01-02", "0"],  # code + order
]


def nhv(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "nhvmetrics", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd)


def test_clean_export_exits_0_and_prints_counts(tmp_path):
    p = _write(tmp_path / "acc.csv", GOOD)
    r = nhv("validate", p, "--area", "acc", "--extract-date", "2025-12-31")
    assert r.returncode == 0, r.stderr
    assert "no errors" in r.stdout
    assert "makulerad 1" in r.stdout  # the dropped row is counted with its reason


def test_error_findings_exit_1_and_files_hold_no_personnummer(tmp_path):
    p = _write(tmp_path / "acc.csv", BAD)
    errors, quarantine = tmp_path / "findings.csv", tmp_path / "quarantine.csv"
    r = nhv("validate", p, "--area", "acc", "--errors", errors, "--quarantine", quarantine,
            "--extract-date", "2025-12-31")
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr
    f = pl.read_csv(errors, infer_schema=False)
    assert f.columns == ["table", "check", "severity", "column", "row", "case_id", "value", "message"]
    assert sorted(zip(f["check"], f["row"])) == [("date_order", "6"), ("invalid_code", "6"),
                                                ("invalid_personnummer", "5")]
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
    assert len(data["findings"]) == 3 and data["errors"] == 3


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["validate", "{missing}", "--area", "acc"], "does not exist"),
        (["validate", "{good}", "--area", "lung"], "unknown area"),
        (["validate", "{good}", "--area", "acc", "--errors", "{good}"], "refusing to overwrite"),
        (["validate", "{good}", "--area", "acc", "--errors", "x.txt"], ".csv or .json"),
        (["validate", "{good}", "--area", "acc", "--table", "prem"], "NAME=PATH"),
        (["validate", "{good}", "--area", "acc", "--table", "episodes={good}"], "no table 'episodes'"),
        (["validate", "{empty}", "--area", "acc"], "is empty"),
        (["convert", "{good}", "--area", "acc", "-o", "{good}"], "must name a .parquet"),
    ],
)
def test_usage_and_unreadable_input_exit_2_without_traceback(tmp_path, args, fragment):
    good = _write(tmp_path / "acc.csv", GOOD)
    (tmp_path / "empty.csv").write_bytes(b"")
    subst = {"{good}": str(good), "{missing}": str(tmp_path / "nope.csv"), "{empty}": str(tmp_path / "empty.csv")}
    r = nhv(*[subst.get(a, a) for a in args], cwd=tmp_path)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert fragment in r.stderr
    assert "Traceback" not in r.stderr
    assert r.stderr.startswith("error: ") and r.stderr.count("\n") == 1


def test_convert_writes_accepted_rows_canonically_without_personnummer(tmp_path):
    p = _write(tmp_path / "acc.csv", BAD)
    out = tmp_path / "acc.parquet"
    r = nhv("convert", p, "--area", "acc", "-o", out, "--extract-date", "2025-12-31")
    assert r.returncode == 0, r.stderr
    assert "2 quarantined" in r.stderr and "1 dropped (makulerad)" in r.stderr
    df = pl.read_parquet(out)
    assert df["case_id"].to_list() == ["C1", "C2"]
    assert df.schema["referral_date"] == pl.Date and df.schema["_row"] == pl.Int64
    assert df["patient_id"].to_list() == ["pnr-000001", "pnr-000002"]
    assert df["sex"].to_list() == ["M", "K"]
    assert find_personnummer(out.read_bytes().decode("latin-1")) == []
    # the Parquet is itself a valid export: validating it again is clean and keeps the row numbers
    r2 = nhv("validate", out, "--area", "acc", "--extract-date", "2025-12-31")
    assert r2.returncode == 0, r2.stdout


def test_convert_with_keyed_pseudonyms(tmp_path, monkeypatch):
    p = _write(tmp_path / "acc.csv", GOOD)
    key = tmp_path / "key"
    key.write_text("0123456789abcdef-test-key")
    out = tmp_path / "acc.parquet"
    r = nhv("convert", p, "--area", "acc", "-o", out, "--pseudonymize", "--key-file", key)
    assert r.returncode == 0, r.stderr
    ids = pl.read_parquet(out)["patient_id"].to_list()
    assert all(i.startswith("ps_") for i in ids) and len(set(ids)) == 2


def test_convert_several_tables_and_nothing_usable(tmp_path):
    cases = _write(tmp_path / "cases.csv", GOOD)
    ep = _write(tmp_path / "ep.csv", [["E1", "C1", "2025-02-01"], ["E2", "C9", "2025-02-01"]],
                header=["vardtillfalle_id", "REG_ID", "besoksdatum"])
    out = tmp_path / "anal.parquet"
    r = nhv("convert", cases, "--area", "anal", "--table", f"episodes={ep}", "-o", out)
    assert r.returncode == 0, r.stderr
    assert pl.read_parquet(tmp_path / "anal.episodes.parquet")["episode_id"].to_list() == ["E1"]
    assert pl.read_parquet(out).height == 2

    broken = _write(tmp_path / "broken.csv", [r[1:] for r in GOOD], header=HEADER[1:])  # no PAT_ID
    out2 = tmp_path / "none.parquet"
    r = nhv("convert", broken, "--area", "acc", "-o", out2)
    assert r.returncode == 1
    assert "no usable rows" in r.stderr and not out2.exists()


def test_cli_runner_in_process(tmp_path):
    """The typer app itself (as other commands' tests use it) returns the same exit codes."""
    from typer.testing import CliRunner

    from nhvmetrics.cli import app

    p = _write(tmp_path / "acc.csv", BAD)
    res = CliRunner().invoke(app, ["validate", str(p), "--area", "acc"])
    assert res.exit_code == 1
    res = CliRunner().invoke(app, ["validate", str(_write(tmp_path / "ok.csv", GOOD)), "--area", "acc"])
    assert res.exit_code == 0
