"""``nhvmetrics indicators list | show | check`` with an area folder and a region's own
definitions (``--area FOLDER``, ``--definitions DIR``), as a region's CI runs them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.areas import (
    ROOT,
    copy_shipped_area,
    write_lung_area,
    write_own_definition,
    write_replacement,
)
from tests.fixtures.cli import run_cli


def _rows(out: str) -> dict[str, list[str]]:
    """``indicators list`` as {id: [area, type, origin]}."""
    lines = out.splitlines()
    assert lines[0].split()[:5] == ["id", "area", "type", "origin", "title"]
    return {line.split()[0]: line.split()[1:4] for line in lines[1:]}


def test_list_an_area_folder(tmp_path, capsys):
    lung = write_lung_area(tmp_path / "lung")
    code, out, err = run_cli(["indicators", "list", "--area", lung], capsys)
    assert code == 0, err
    assert _rows(out) == {
        "lung.r0": ["lung", "proportion", "own"],
        "lung.treated_within_x": ["lung", "proportion", "own"],
    }


def test_list_with_a_regions_definitions_marks_them_own(tmp_path, capsys):
    write_own_definition(tmp_path / "vgr")
    write_replacement(tmp_path / "vgr")
    code, out, err = run_cli(
        ["indicators", "list", "--area", "ACC", "--definitions", tmp_path / "vgr"], capsys
    )
    assert code == 0, err
    rows = _rows(out)
    assert rows["acc.treated_within_7d"][2] == "own" and rows["acc.visit_within_x"][2] == "own"
    from nhvmetrics.areas import resolve_area

    shipped = len(resolve_area("acc").definitions())
    assert rows["acc.age"][2] == "shipped" and len(rows) == shipped + 1  # one new, one replaced
    # without --area each file joins the shipped area its id names
    code, out, _ = run_cli(["indicators", "list", "--definitions", tmp_path / "vgr"], capsys)
    rows = _rows(out)
    assert code == 0 and rows["acc.treated_within_7d"][2] == "own"
    every = sum(len(resolve_area(a).definitions()) for a in ("acc", "net", "anal", "pelvic"))
    assert rows["pelvic.r0"] == ["pelvic", "proportion", "shipped"] and len(rows) == every + 1


def test_show_says_where_a_definition_comes_from(tmp_path, capsys):
    own = write_replacement(tmp_path / "vgr")
    args = ["indicators", "show", "acc.visit_within_x", "--definitions", tmp_path / "vgr"]
    code, out, err = run_cli(args, capsys)
    assert code == 0, err
    assert f"file: {own}" in out and "origin: own definition, not shipped" in out
    assert "x_days = 10" in out
    code, out, _ = run_cli(["indicators", "show", "acc.visit_within_x"], capsys)
    assert "origin: shipped with nhvmetrics" in out and "x_days = 14" in out
    lung = write_lung_area(tmp_path / "lung")
    code, out, _ = run_cli(["indicators", "show", "lung.r0", "--area", lung], capsys)
    assert code == 0 and "lung.r0  (lung, proportion" in out
    code, _, err = run_cli(["indicators", "show", "lung.r0"], capsys)
    assert code == 2 and "--area FOLDER" in err


def test_check_an_area_folder_runs_its_schema_definitions_and_cases(tmp_path, capsys):
    lung = write_lung_area(tmp_path / "lung")
    code, out, err = run_cli(["indicators", "check", lung], capsys)
    assert code == 0, out + err
    assert out.strip().splitlines()[-1] == "2 definitions, 2 test cases: ok"
    # a copy of a shipped area is checked whole, as the area is
    acc = copy_shipped_area("acc", tmp_path / "acc")
    code, out, _ = run_cli(["indicators", "check", acc], capsys)
    _, shipped, _ = run_cli(["indicators", "check", "--area", "acc"], capsys)
    assert code == 0 and out.strip().splitlines()[-1] == shipped.strip().splitlines()[-1]


def test_check_a_broken_area_folder_names_the_file(tmp_path, capsys):
    lung = write_lung_area(tmp_path / "lung")
    schema = lung / "schema.yaml"
    schema.write_text(schema.read_text("utf-8").replace("type: date", "type: datum"), "utf-8")
    code, out, _ = run_cli(["indicators", "check", lung], capsys)
    assert code == 1
    assert f"{schema}: column 'surgery_date' has type 'datum'" in out
    schema.write_text(schema.read_text("utf-8").replace("type: datum", "type: date"), "utf-8")
    case = lung / "indicators" / "r0.yaml"
    case.write_text(case.read_text("utf-8").replace("numerator: 1,", "numerator: 2,"), "utf-8")
    code, out, _ = run_cli(["indicators", "check", lung], capsys)
    assert code == 1 and f"{case}: lung.r0 tests[1]" in out and "expected 2" in out


def test_check_a_regions_folder_of_definitions(tmp_path, capsys):
    """A region's CI: its own files are checked against the area they belong to, and only
    their test cases run."""
    write_own_definition(tmp_path / "vgr")
    write_replacement(tmp_path / "vgr")
    code, out, err = run_cli(["indicators", "check", tmp_path / "vgr"], capsys)
    assert code == 0, out + err
    assert out.strip() == "2 definitions, 2 test cases: ok"
    code, out, _ = run_cli(["indicators", "check", tmp_path / "vgr", "--area", "acc"], capsys)
    assert code == 0 and out.strip() == "2 definitions, 2 test cases: ok"
    # the area with the region's definitions joined: acc's own, one more definition with one
    # case, and visit_within_x's cases replaced by the region's one
    import re

    from nhvmetrics.areas import resolve_area

    acc = resolve_area("acc").definitions()
    cases = sum(len(d.tests) for d in acc)
    replaced = len(next(d for d in acc if d.id == "acc.visit_within_x").tests)
    code, out, _ = run_cli(["indicators", "check", "--area", "acc", "-d", tmp_path / "vgr"], capsys)
    counts = re.match(r"(\d+) definitions, (\d+) test cases: ok", out.strip())
    assert code == 0 and counts is not None
    assert (int(counts[1]), int(counts[2])) == (len(acc) + 1, cases - replaced + 2)


def test_check_refuses_a_duplicate_id_without_replaces(tmp_path, capsys):
    own = write_replacement(tmp_path / "vgr", replaces=None)
    code, out, _ = run_cli(["indicators", "check", tmp_path / "vgr"], capsys)
    assert code == 1
    shipped = ROOT / "indicators" / "acc" / "visit_within_x.yaml"
    (line,) = [x for x in out.splitlines() if "already defined" in x]
    assert line.startswith(f"{own}: indicator id 'acc.visit_within_x' is already defined in ")
    assert str(shipped) in line and "replaces: acc.visit_within_x" in line


def test_check_definitions_of_an_own_area(tmp_path, capsys):
    lung = write_lung_area(tmp_path / "lung")
    extra = tmp_path / "lung-local"
    extra.mkdir()
    r0 = (lung / "indicators" / "r0.yaml").read_text("utf-8")
    text = r0.replace("id: lung.r0", "id: lung.r0_or_r1").replace(
        "numerator: resection_margin == 'R0'", "numerator: resection_margin in ['R0', 'R1']"
    )
    text = text.replace("{numerator: 1, denominator: 2", "{numerator: 2, denominator: 2")
    (extra / "r0_or_r1.yaml").write_text(text.replace("value: 0.5", "value: 1"), "utf-8")
    code, out, err = run_cli(["indicators", "check", "--area", lung, extra], capsys)
    assert code == 0, out + err
    assert out.strip() == "1 definitions, 1 test cases: ok"
    # without --area the id names no shipped area: one finding that says what to give
    code, out, _ = run_cli(["indicators", "check", extra], capsys)
    assert code == 1 and "unknown area 'lung'" in out and "--area" in out


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["list", "--area", "lung"], "unknown area 'lung'; use one of acc, net, anal, pelvic"),
        (["check", "--area", "nowhere/lung"], "unknown area 'nowhere/lung'"),
        (["show", "acc.age", "--area", "README.md"], "is a file, not an area folder"),
    ],
)
def test_a_wrong_area_is_a_usage_error(args, fragment, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    code, out, err = run_cli(["indicators", *args], capsys)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and fragment in err and err.count("\n") == 1


def test_a_missing_definitions_folder(tmp_path: Path, capsys):
    """An input that is not there: exit 2 for list and show; for check, one finding (exit 1)."""
    nowhere = tmp_path / "nowhere"
    for args in (["list"], ["list", "--area", "net"], ["show", "acc.age"]):
        code, _, err = run_cli(["indicators", *args, "--definitions", nowhere], capsys)
        expected = f"error: {nowhere}: no such folder or file of definitions; check the "
        assert code == 2 and err == expected + "--definitions path.\n"
    code, out, _ = run_cli(["indicators", "check", nowhere], capsys)
    assert code == 1 and "no such definition file or folder" in out
    code, out, _ = run_cli(["indicators", "check", "--area", "acc", "-d", nowhere], capsys)
    assert code == 1 and "no such definition file or folder" in out
