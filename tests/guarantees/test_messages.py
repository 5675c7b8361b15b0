"""No personnummer in error messages and logs either: a number in a file name, a header cell or
an internal error is masked before it is printed or written to the batch run summary."""

from __future__ import annotations

import json
from pathlib import Path

from nhvmetrics.personnummer import find_personnummer
from nhvmetrics.personnummer import luhn_digit as _luhn
from tests.fixtures.cli import run_cli

PNR = "19500101-238" + _luhn("500101238")


def run(args, capsys) -> tuple[int, str]:
    code, out, err = run_cli(args, capsys)
    return code, out + err


def test_a_file_named_after_a_patient_is_not_echoed(tmp_path: Path, capsys) -> None:
    missing = tmp_path / f"{PNR}.csv"
    code, printed = run(["validate", missing, "--area", "acc"], capsys)
    assert code == 2 and "does not exist" in printed
    assert not find_personnummer(printed), printed
    pdf = tmp_path / f"remiss {PNR}.csv"
    pdf.write_bytes(b"%PDF-1.4")
    code, printed = run(
        ["report", pdf, "--area", "acc", "--year", "2025", "-o", tmp_path / "r.html"], capsys
    )
    assert code == 2 and "PDF" in printed and not find_personnummer(printed), printed


def test_batch_summary_and_log_hold_no_personnummer(tmp_path: Path, capsys) -> None:
    cfg = tmp_path / "nhvmetrics.toml"
    cfg.write_text(
        f'output_dir = "out"\nyears = 2025\n\n[[report]]\narea = "acc"\ncases = "{PNR}.csv"\n',
        encoding="utf-8",
    )
    code, printed = run(["report", "--config", cfg], capsys)
    assert code == 1
    summary = (tmp_path / "out" / "run-summary.json").read_text(encoding="utf-8")
    assert json.loads(summary)["failed"] == 1
    assert not find_personnummer(printed), printed
    assert not find_personnummer(summary), summary


def test_batch_outputs_hold_no_personnummer(tmp_path: Path, capsys) -> None:
    """The batch run (report --config) on INCA exports full of personnummer: every file it writes
    (HTML, workbooks, run summary) and its log are scanned."""
    import shutil
    import zipfile

    inca = Path(__file__).resolve().parents[2] / "sample_data" / "inca"
    shutil.copy(inca / "pelvic_cases.csv", tmp_path / "pelvic_cases.csv")
    assert find_personnummer((tmp_path / "pelvic_cases.csv").read_bytes().decode("cp1252"))
    cfg = tmp_path / "nhvmetrics.toml"
    cfg.write_text(
        'output_dir = "out"\nyears = 2025\nxlsx = true\nextract_date = "2026-02-15"\n\n'
        '[[report]]\narea = "pelvic"\ncases = "pelvic_cases.csv"\n',
        encoding="utf-8",
    )
    code, printed = run(["report", "--config", cfg], capsys)
    assert code == 0, printed
    assert not find_personnummer(printed)
    files = list((tmp_path / "out").iterdir())
    assert {p.suffix for p in files} == {".html", ".xlsx", ".json"}
    for p in files:
        if p.suffix == ".xlsx":
            with zipfile.ZipFile(p) as z:
                text = "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
        else:
            text = p.read_text(encoding="utf-8")
        assert not find_personnummer(text), p.name
