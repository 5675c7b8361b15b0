"""`--area FOLDER` and `--definitions DIR` on the commands that run the pipeline, and in the
batch: an area folder and a region's own definitions are used by every command."""

from __future__ import annotations

import polars as pl

from tests.fixtures.areas import (
    ROOT,
    copy_shipped_area,
    write_lung_area,
    write_lung_export,
    write_own_definition,
)
from tests.fixtures.cli import run_cli

ACC = ROOT / "sample_data" / "acc_cases.csv"


def test_compute_with_a_copy_of_a_shipped_area_gives_the_same_table(tmp_path, capsys) -> None:
    folder = copy_shipped_area("acc", tmp_path / "acc-copy")
    args = ["compute", ACC, "--year", "2025", "--extract-date", "2026-02-15"]
    assert run_cli([*args, "--area", "acc", "-o", tmp_path / "a.csv"], capsys)[0] == 0
    assert run_cli([*args, "--area", folder, "-o", tmp_path / "b.csv"], capsys)[0] == 0
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


def test_a_new_area_made_of_files_validates_computes_and_reports(tmp_path, capsys) -> None:
    folder = write_lung_area(tmp_path / "lung")
    export = write_lung_export(tmp_path / "lung_cases.csv")
    code, out, err = run_cli(["validate", export, "--area", folder], capsys)
    assert code in (0, 1), err
    code, out, err = run_cli(
        ["compute", export, "--area", folder, "--year", "2024", "-o", tmp_path / "l.csv"], capsys
    )
    assert code == 0, err
    table = pl.read_csv(tmp_path / "l.csv")
    assert set(table["area"]) == {"lung"} and table["computable"].all()
    code, _, err = run_cli(
        ["report", export, "--area", folder, "--year", "2024", "-o", tmp_path / "l.html"], capsys
    )
    assert code == 0, err
    assert (tmp_path / "l.html").exists()


def test_definitions_join_the_area_on_compute_and_report(tmp_path, capsys) -> None:
    own = tmp_path / "region"
    own.mkdir()
    write_own_definition(own)
    args = ["--area", "acc", "--year", "2025", "--definitions", own]
    code, _, err = run_cli(["compute", ACC, *args, "-o", tmp_path / "x.csv"], capsys)
    assert code == 0, err
    ids = set(pl.read_csv(tmp_path / "x.csv")["indicator_id"])
    assert "acc.treated_within_7d" in ids and "acc.visit_within_x" in ids
    code, _, err = run_cli(["report", ACC, *args, "-o", tmp_path / "x.html"], capsys)
    assert code == 0, err
    html = (tmp_path / "x.html").read_text(encoding="utf-8")
    assert "egen definition" in html


def test_a_duplicate_definition_is_refused_in_one_sentence(tmp_path, capsys) -> None:
    own = tmp_path / "region"
    own.mkdir()
    shipped = ROOT / "indicators" / "acc" / "patients.yaml"
    (own / "patients.yaml").write_text(shipped.read_text(encoding="utf-8"), encoding="utf-8")
    code, _, err = run_cli(
        [
            "compute",
            ACC,
            "--area",
            "acc",
            "--year",
            "2025",
            "--definitions",
            own,
            "-o",
            tmp_path / "x.csv",
        ],
        capsys,
    )
    assert code == 1 and "acc.patients" in err and "replaces" in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "x.csv").exists()


def test_the_batch_takes_an_area_folder_and_definitions(tmp_path, capsys) -> None:
    folder = copy_shipped_area("acc", tmp_path / "areas" / "acc")
    own = tmp_path / "region"
    own.mkdir()
    write_own_definition(own)
    cfg = tmp_path / "nhvmetrics.toml"
    cfg.write_text(
        'output_dir = "out"\nyears = [2025]\nxlsx = false\ndefinitions = ["region"]\n\n'
        f'[[report]]\narea = "./areas/acc"\ncases = "{ACC}"\n',
        encoding="utf-8",
    )
    code, _, err = run_cli(["report", "--config", cfg], capsys)
    assert code == 0, err
    assert "egen definition" in (tmp_path / "out" / "acc-2025.html").read_text(encoding="utf-8")
    assert folder.is_dir()
