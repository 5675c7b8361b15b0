"""``--mapping PROFILE.yaml`` on validate, convert, compute and report: a register-style export
(real INCA variable names, PAT_ID beside PERSNR, True/blank checkboxes, Windows-1252 with
Excel's ``sep=;`` line) is read whole with its profile and not at all without it; what the
profile did is shown; the report names the profile and its SHA-256; no output may be the
profile."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from nhvmetrics.personnummer import find_personnummer
from tests.fixtures.cli import run_cli
from tests.fixtures.inca_export import rows, write_csv, write_profile

COMMON = ["--area", "acc", "--extract-date", "2025-12-31"]


@pytest.fixture()
def export(tmp_path: Path) -> tuple[Path, Path]:
    return write_csv(tmp_path / "acc_export.csv"), write_profile(tmp_path / "acc_profile.yaml")


def test_validate_shows_what_the_profile_did(export, tmp_path: Path, capsys) -> None:
    data, profile = export
    findings = tmp_path / "findings.json"
    code, out, err = run_cli(
        ["validate", data, *COMMON, "--mapping", profile, "--errors", findings], capsys
    )
    assert code == 0, out + err
    flat = " ".join(out.split())
    assert "mapping profile acc_profile.yaml" in flat
    for export_column, canonical in [
        ("R77T201_ID", "case_id"),
        ("a_rem_dat", "referral_date"),
        ("PERSNR > PAT_ID", "patient_id"),
        ("op_pad_radikalitet_Varde", "resection_margin"),
    ]:
        assert f"{export_column} │ {canonical}" in flat, export_column
    assert "no errors" in flat
    import json

    doc = json.loads(findings.read_text(encoding="utf-8"))
    digest = hashlib.sha256(profile.read_bytes()).hexdigest()
    assert doc["mapping"] == {"file": "acc_profile.yaml", "sha256": digest}
    assert doc["tables"]["cases"]["columns"]["patient_id"] == ["PERSNR", "PAT_ID"]
    assert not find_personnummer(out + err + findings.read_text(encoding="utf-8"))


def test_validate_counts_the_cells_read_as_unknown(tmp_path: Path, capsys) -> None:
    records = rows(6)
    records[0]["op_pad_radikalitet_Varde"] = "7"
    records[1]["a_besok"] = "2024-01-01"  # before the referral
    data = write_csv(tmp_path / "acc.csv", records)
    profile = write_profile(tmp_path / "p.yaml")
    code, out, _ = run_cli(["validate", data, *COMMON, "--mapping", profile], capsys)
    flat = " ".join(out.split())
    assert code == 0  # warnings only: the rows stay
    assert "2 cells read as unknown" in flat
    assert "resection_margin 1" in flat and "first_visit_date 1" in flat


def test_without_the_profile_validate_names_the_likeliest_columns(export, capsys) -> None:
    data, _ = export
    code, out, _ = run_cli(["validate", data, *COMMON], capsys)
    flat = " ".join(out.split())
    assert code == 1 and "missing_required_column" in flat
    assert "24 rows quarantined" in flat


def test_convert_writes_the_canonical_rows(export, tmp_path: Path, capsys) -> None:
    data, profile = export
    out = tmp_path / "acc.parquet"
    code, _, err = run_cli(["convert", data, *COMMON, "--mapping", profile, "-o", out], capsys)
    assert code == 0, err
    frame = pl.read_parquet(out)
    assert frame.height == 24 and "referral_date" in frame.columns
    assert frame["patient_id"].str.starts_with("pnr-").all()  # never a personnummer
    assert frame.schema["postop_hypocortisolism"] == pl.Boolean
    assert frame["postop_hypocortisolism"].null_count() == 0  # a blank checkbox is false


def test_compute_with_and_without_the_profile(export, tmp_path: Path, capsys) -> None:
    data, profile = export
    out = tmp_path / "acc.csv"
    code, _, err = run_cli(
        ["compute", data, *COMMON, "--year", "2025", "--mapping", profile, "-o", out], capsys
    )
    assert code == 0, err
    table = pl.read_csv(out, infer_schema=False)
    patients = table.filter(
        (pl.col("indicator_id") == "acc.patients")
        & (pl.col("unit") == "ALL")
        & (pl.col("stratum") == "all")
        & (pl.col("period") == "2025")
    )
    assert patients["numerator"].to_list() == ["24"]
    # without it: the missing columns are the error, not "no dates for the extract date"
    code, _, err = run_cli(["compute", data, "--area", "acc", "--year", "2025", "-o", out], capsys)
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: the case table lacks the required")
    assert "referral_date (likeliest export column: 'a_rem_dat')" in lines[0]
    assert "--mapping" in lines[0] and "nhvmetrics map" in lines[0]
    assert "extract date" not in lines[0]


def test_report_names_the_profile_and_its_digest(export, tmp_path: Path, capsys) -> None:
    data, profile = export
    html, xlsx = tmp_path / "r.html", tmp_path / "r.xlsx"
    args = ["report", data, *COMMON, "--year", "2025", "--mapping", profile]
    code, _, err = run_cli([*args, "-o", html, "--xlsx", xlsx], capsys)
    assert code == 0, err
    digest = hashlib.sha256(profile.read_bytes()).hexdigest()
    page = html.read_text(encoding="utf-8")
    assert f"acc_profile.yaml ({digest})" in page
    book = openpyxl.load_workbook(io.BytesIO(xlsx.read_bytes()), read_only=True)
    cells = {
        str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row
    }
    assert f"acc_profile.yaml ({digest})" in cells
    with zipfile.ZipFile(xlsx) as z:
        assert not find_personnummer(" ".join(z.read(n).decode("utf-8", "replace")
                                              for n in z.namelist()))  # fmt: skip
    assert not find_personnummer(page)


def test_report_shows_the_cells_read_as_unknown(tmp_path: Path, capsys) -> None:
    records = rows(12)
    records[0]["op_pad_radikalitet_Varde"] = "7"
    data = write_csv(tmp_path / "acc.csv", records)
    profile = write_profile(tmp_path / "p.yaml")
    html = tmp_path / "r.html"
    args = ["report", data, *COMMON, "--year", "2025", "--mapping", profile, "--lang", "en"]
    code, _, err = run_cli([*args, "-o", html], capsys)
    assert code == 0, err
    assert "Values read as unknown (invalid, the row was kept): resection_margin 1" in (
        html.read_text(encoding="utf-8")
    )


def test_report_without_the_profile_says_which_columns_are_missing(export, tmp_path, capsys):
    data, _ = export
    code, _, err = run_cli(
        ["report", data, "--area", "acc", "--year", "2025", "-o", tmp_path / "r.html"], capsys
    )
    assert code == 1
    assert "the case table lacks the required column(s) case_id" in err
    assert "the data hold no dates" not in err


@pytest.mark.parametrize(
    "command, option",
    [
        ("validate", "--errors"),
        ("validate", "--quarantine"),
        ("compute", "-o"),
        ("report", "-o"),
        ("convert", "-o"),
    ],
)
def test_no_output_may_be_the_profile(tmp_path: Path, capsys, command: str, option: str) -> None:
    data = write_csv(tmp_path / "acc.csv")
    suffix = {"--errors": ".json", "--quarantine": ".csv", "-o": ".csv"}[option]
    suffix = {"report": ".html", "convert": ".parquet"}.get(command, suffix)
    profile = write_profile(tmp_path / f"profile{suffix}")  # a profile may have any name
    before = profile.read_bytes()
    args = [command, data, *COMMON, "--mapping", profile, option, profile]
    if command in ("compute", "report"):
        args += ["--year", "2025"]
    code, _, err = run_cli(args, capsys)
    assert code == 2 and err.startswith("error: ") and len(err.strip().splitlines()) == 1
    assert profile.read_bytes() == before


def test_an_export_of_another_area_is_said_on_compute(tmp_path: Path, capsys) -> None:
    from nhvmetrics.sample import write_sample

    write_sample("pelvic", 60, 3, tmp_path / "pelvic_cases.csv", dialect="aliases")
    code, _, err = run_cli(
        ["compute", tmp_path / "pelvic_cases.csv", "--area", "acc", "--year", "2025",
         "-o", tmp_path / "o.csv"], capsys,
    )  # fmt: skip
    assert "warning: this export looks like a pelvic export (" in err
    assert "check --area" in err
    del code


def test_report_config_takes_the_profile_from_the_config(tmp_path: Path, capsys) -> None:
    cfg = tmp_path / "nhvmetrics.toml"
    cfg.write_text("[[report]]\narea = 'acc'\ncases = 'x.csv'\nyears = 2025\n", encoding="utf-8")
    code, _, err = run_cli(["report", "--config", cfg, "--mapping", tmp_path / "p.yaml"], capsys)
    assert code == 2 and "drop --mapping" in err


def test_the_validate_line_a_run_points_to_reads_the_export_as_the_run_did(
    tmp_path: Path, capsys
) -> None:
    """A compute that quarantined rows names the validate command that shows them: with the
    same profile (without it, a register export has no usable row at all)."""
    import shlex

    records = rows(8)
    records[0]["a_rem_dat"] = "not a date"  # a required column: the row is quarantined
    data = write_csv(tmp_path / "acc.csv", records)
    profile = write_profile(tmp_path / "acc_profile.yaml")
    out = tmp_path / "o.csv"
    args = ["compute", data, *COMMON, "--mapping", profile, "--year", "2025", "-o", out]
    code, _, err = run_cli(args, capsys)
    assert code == 0, err
    line = next(x for x in err.splitlines() if "quarantined by validation" in x)
    command = shlex.split(line.split("`")[1])
    assert command == [
        "nhvmetrics",
        "validate",
        str(data),
        "--area",
        "acc",
        "--mapping",
        str(profile),
    ]
    code, shown, _ = run_cli(command[1:], capsys)
    assert code == 1 and "1 row quarantined" in " ".join(shown.split())
