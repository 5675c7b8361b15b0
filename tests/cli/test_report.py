"""``nhvmetrics report`` end to end on a synthetic export: validate -> compute -> HTML +
workbook."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl
import pytest

from nhvmetrics.cli import main
from nhvmetrics.personnummer import find_personnummer


def run(argv: list[str]) -> int:
    try:
        main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    from nhvmetrics.sample import write_sample

    folder = tmp_path_factory.mktemp("export")
    write_sample("acc", 300, 7, folder / "acc_cases.csv", dirty=0.03, dialect="aliases")
    return folder / "acc_cases.csv"


@pytest.fixture(scope="module")
def reports(export: Path, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("out")
    paths = {}
    for tag in ("a", "b"):
        html, xlsx = out / f"{tag}.html", out / f"{tag}.xlsx"
        code = run(
            [
                "report",
                str(export),
                "--area",
                "acc",
                "--year",
                "2025",
                "--unit",
                _unit(export),
                "-o",
                str(html),
                "--xlsx",
                str(xlsx),
            ]
        )
        assert code == 0
        paths[f"{tag}.html"], paths[f"{tag}.xlsx"] = html, xlsx
    return paths


def _unit(export: Path) -> str:
    from nhvmetrics.schema.validate import validate_export

    units = validate_export("acc", {"cases": export}).tables["cases"].accepted["unit"]
    return sorted(units.drop_nulls().unique().to_list())[0]


@pytest.mark.slow
def test_same_inputs_give_identical_bytes(reports) -> None:
    assert reports["a.html"].read_bytes() == reports["b.html"].read_bytes()
    assert reports["a.xlsx"].read_bytes() == reports["b.xlsx"].read_bytes()


def test_report_content(reports, export) -> None:
    html = reports["a.html"].read_text(encoding="utf-8")
    assert "Binjurebarkscancer 2025" in html
    assert "Datakvalitet" in html and "Proveniens" in html
    import hashlib

    assert hashlib.sha256(export.read_bytes()).hexdigest() in html
    assert "2026-02-15" in html  # the sample's extract date, taken from the data
    assert html.count("<svg ") >= 10


def test_no_personnummer_anywhere(reports, export) -> None:
    assert find_personnummer(export.read_text(encoding="cp1252")), "the export should hold some"
    assert find_personnummer(reports["a.html"].read_text(encoding="utf-8")) == []
    with zipfile.ZipFile(reports["a.xlsx"]) as z:
        for name in z.namelist():
            assert find_personnummer(z.read(name).decode("utf-8", "replace")) == [], name


def test_workbook_opens(reports) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(reports["a.xlsx"].read_bytes()))
    assert wb.sheetnames[0] == "acc 2025" and "Proveniens" in wb.sheetnames


def test_english(export, tmp_path) -> None:
    out = tmp_path / "en.html"
    assert (
        run(
            [
                "report",
                str(export),
                "--area",
                "acc",
                "--year",
                "2025",
                "--lang",
                "en",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    assert "Data quality" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--area", "acc", "-o", "x.html"], "needs --year"),
        (["--area", "xyz", "--year", "2025", "-o", "x.html"], "unknown area"),
        (["--area", "acc", "--year", "2025", "-o", "x.pdf"], "must end in .html"),
        (["--area", "acc", "--year", "2025", "-o", "x.html", "--lang", "de"], "unknown language"),
        (
            ["--area", "acc", "--year", "2025", "-o", "x.html", "--extract-date", "15/2"],
            "YYYY-MM-DD",
        ),
        (["--area", "acc", "--year", "2025", "-o", "x.html", "--unit", "NOPE"], "no cases"),
        (["--area", "acc", "--year", "2025", "-o", "nowhere/x.html"], "does not exist"),
    ],
)
def test_usage_errors_exit_2_with_one_sentence(
    export, tmp_path, monkeypatch, capsys, args, message
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run(["report", str(export), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "x.html").exists()


def test_refuses_to_overwrite_its_input(export, capsys) -> None:
    copy = export.with_name("input.html")
    copy.write_bytes(export.read_bytes())
    assert run(["report", str(copy), "--area", "acc", "--year", "2025", "-o", str(copy)]) == 2
    assert "refusing to overwrite" in capsys.readouterr().err


def test_missing_input_file(tmp_path, capsys) -> None:
    assert (
        run(
            [
                "report",
                str(tmp_path / "nope.csv"),
                "--area",
                "acc",
                "--year",
                "2025",
                "-o",
                str(tmp_path / "x.html"),
            ]
        )
        == 2
    )
    assert "does not exist" in capsys.readouterr().err


def test_strict_exits_1_when_rows_were_quarantined(export, tmp_path, capsys) -> None:
    out = tmp_path / "strict.html"
    args = ["report", str(export), "--area", "acc", "--year", "2025", "-o", str(out)]
    assert run([*args, "--strict"]) == 1  # the export has planted errors
    assert out.exists()  # the report is still written
    assert "quarantined" in capsys.readouterr().err


@pytest.mark.slow
def test_identical_bytes_across_processes(reports, export, tmp_path) -> None:
    """Another process with another hash seed (set ordering) writes the very same files."""
    import os
    import subprocess
    import sys

    html, xlsx = tmp_path / "c.html", tmp_path / "c.xlsx"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    cmd = [
        sys.executable,
        "-m",
        "nhvmetrics",
        "report",
        str(export),
        "--area",
        "acc",
        "--year",
        "2025",
        "--unit",
        _unit(export),
        "-o",
        str(html),
        "--xlsx",
        str(xlsx),
    ]
    subprocess.run(cmd, check=True, env=env, capture_output=True, timeout=300)
    assert html.read_bytes() == reports["a.html"].read_bytes()
    assert xlsx.read_bytes() == reports["a.xlsx"].read_bytes()
