"""``nhvmetrics convert``: accepted rows in canonical names and types, one Parquet per table,
no personnummer written, exit 1 only when nothing usable is left."""

from __future__ import annotations

import subprocess
import sys

import polars as pl
import pytest

from nhvmetrics.personnummer import find_personnummer
from nhvmetrics.personnummer import luhn_digit as _luhn

PNR_A = "19500101-238" + _luhn("500101238")
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
GOOD = [
    [PNR_A, "C1", "11001", "1", "2025-01-03", "2025-01-20", "0"],
    [PNR_B, "C2", "11001", "2", "2025-02-03", "2025-02-20", "0"],
    ["PAT77", "C3", "11002", "2", "2025-03-03", "2025-03-20", "1"],  # cancelled: dropped
]
BAD = GOOD + [
    [
        PNR_A[:-1] + str((int(PNR_A[-1]) + 1) % 10),
        "C4",
        "11001",
        "1",
        "2025-01-03",
        "2025-01-20",
        "0",
    ],
    [PNR_B, "C5", "11001", "X", "2025-01-03", "2025-01-02", "0"],
]


def _write(path, rows, header=HEADER, sep=";"):
    path.write_text("\n".join(sep.join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
    return path


def nhv(*args):
    return subprocess.run(
        [sys.executable, "-m", "nhvmetrics", *map(str, args)], capture_output=True, text=True
    )


@pytest.mark.slow
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


@pytest.mark.slow
def test_convert_with_keyed_pseudonyms(tmp_path, monkeypatch):
    p = _write(tmp_path / "acc.csv", GOOD)
    key = tmp_path / "key"
    key.write_text("0123456789abcdef-test-key")
    out = tmp_path / "acc.parquet"
    r = nhv("convert", p, "--area", "acc", "-o", out, "--pseudonymize", "--key-file", key)
    assert r.returncode == 0, r.stderr
    ids = pl.read_parquet(out)["patient_id"].to_list()
    assert all(i.startswith("ps_") for i in ids) and len(set(ids)) == 2


@pytest.mark.slow
def test_convert_several_tables_and_nothing_usable(tmp_path):
    cases = _write(tmp_path / "cases.csv", GOOD)
    ep = _write(
        tmp_path / "ep.csv",
        [["E1", "C1", "2025-02-01"], ["E2", "C9", "2025-02-01"]],
        header=["vardtillfalle_id", "REG_ID", "besoksdatum"],
    )
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


def test_a_workbook_with_one_sheet_per_table_is_converted_whole(tmp_path, capsys):
    import openpyxl

    from tests.fixtures.cli import run_cli

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "cases"
    for r in [HEADER, *GOOD]:
        ws.append(r)
    ep = wb.create_sheet("vardtillfallen")
    for r in [["vardtillfalle_id", "REG_ID", "besoksdatum"], ["E1", "C1", "2025-02-01"]]:
        ep.append(r)
    book = tmp_path / "anal.xlsx"
    wb.save(book)
    out = tmp_path / "anal.parquet"
    # no --table: the sheets are the tables
    code, _, err = run_cli(["convert", book, "--area", "anal", "-o", out], capsys)
    assert code == 0, err
    assert pl.read_parquet(tmp_path / "anal.episodes.parquet")["episode_id"].to_list() == ["E1"]
    assert "episodes: 1 of 1 rows written" in err
