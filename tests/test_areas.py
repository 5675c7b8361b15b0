"""nhvmetrics.areas: the shipped areas and a region's own area folders, asked in one place.

A copy of a shipped area given by path computes what the shipped name computes; a new area made
only of files loads, checks and computes; a region's own definitions join an area's, and an id
that exists already is refused unless the file says ``replaces:``; the wheel holds the
assembled area folders and runs from them.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import polars as pl
import pytest

from nhvmetrics.areas import (
    Area,
    resolve_area,
    shipped_area_names,
    shipped_areas,
    shipped_common_path,
)
from nhvmetrics.engine.compute import columns_needed, compute_area
from nhvmetrics.engine.testing import run_case
from nhvmetrics.errors import DefinitionError, NhvError
from nhvmetrics.schema.validate import validate_export
from tests.fixtures.areas import (
    ROOT,
    copy_shipped_area,
    write_lung_area,
    write_lung_export,
    write_own_definition,
    write_replacement,
)

INCA = ROOT / "sample_data" / "inca"
EXTRACT = dt.date(2026, 2, 15)  # the sample exports' extract date


# ---------------------------------------------------------------- the shipped areas


def test_the_shipped_areas_keep_their_order():
    assert shipped_area_names() == ("acc", "net", "anal", "pelvic")
    assert [a.name for a in shipped_areas()] == list(shipped_area_names())
    assert all(a.shipped for a in shipped_areas())


@pytest.mark.parametrize("spelling", ["acc", "ACC", " Acc "])
def test_a_shipped_name_in_any_case_is_the_shipped_area(spelling):
    area = resolve_area(spelling)
    assert area == resolve_area("acc") and area.shipped and area.name == "acc"
    assert resolve_area(area) is area
    assert area.schema() is area.schema()  # read once
    assert area.contract().dtypes("cases")["referral_date"] == pl.Date


def test_in_a_source_checkout_the_shipped_areas_are_the_top_level_folders():
    area = resolve_area("net")
    assert area.folder is None
    assert area.schema_path == ROOT / "schemas" / "net.yaml"
    assert area.indicators_dir == ROOT / "indicators" / "net"
    assert shipped_common_path() == ROOT / "schemas" / "common.yaml"
    assert {d.path.parent for d in area.definitions()} == {ROOT / "indicators" / "net"}
    assert {d.origin for d in area.definitions()} == {"shipped"}


@pytest.mark.parametrize("value", ["lung", "", "acc net", Path("no/such/folder")])
def test_an_unknown_area_is_one_sentence_naming_the_shipped_ones(value, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(NhvError) as err:
        resolve_area(value)
    message = str(err.value)
    assert err.value.exit_code == 2 and "\n" not in message
    assert message.startswith("unknown area") and "acc, net, anal, pelvic" in message
    assert "schema.yaml and indicators/" in message


def test_a_folder_that_is_not_an_area_folder_says_what_it_lacks(tmp_path):
    def refused(value) -> str:
        with pytest.raises(NhvError) as err:
            resolve_area(value)
        message = str(err.value)
        assert err.value.exit_code == 2 and "\n" not in message
        assert "use one of acc, net, anal, pelvic, or the path of an area folder" in message
        assert "holds schema.yaml and indicators/*.yaml" in message
        return message

    assert refused(tmp_path).startswith(f"{tmp_path} is not an area folder: it has no schema.yaml")
    (tmp_path / "schema.yaml").write_text("area: lung\ntables: {cases: {}}\n", encoding="utf-8")
    assert "it has no indicators/ folder" in refused(str(tmp_path))
    assert "is a file, not an area folder" in refused(tmp_path / "schema.yaml")


@pytest.mark.parametrize(
    ("head", "fragment"),
    [
        ("tables: {}\n", "missing 'area: <name>'"),
        ("area: Lung Cancer\n", "must be lower case letters, digits and '_'"),
        ("area: [lung]\n", "missing 'area: <name>'"),
    ],
)
def test_a_schema_without_a_usable_name_is_a_definition_error(tmp_path, head, fragment):
    (tmp_path / "indicators").mkdir()
    (tmp_path / "schema.yaml").write_text(head, encoding="utf-8")
    with pytest.raises(DefinitionError, match=fragment) as err:
        resolve_area(tmp_path)
    assert err.value.exit_code == 1 and "schema.yaml" in str(err.value)


def test_every_shipped_area_is_assembled_by_the_build():
    """pyproject.toml's force-include puts each area of the checkout into an area folder."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    include = config["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    expected = {"schemas/common.yaml": "nhvmetrics/_data/areas/common.yaml"}
    for name in shipped_area_names():
        expected[f"schemas/{name}.yaml"] = f"nhvmetrics/_data/areas/{name}/schema.yaml"
        expected[f"indicators/{name}"] = f"nhvmetrics/_data/areas/{name}/indicators"
    assert include == expected


# ---------------------------------------------------------------- a copy of a shipped area


def _indicator_table(area, files: dict[str, Path], year: int = 2025) -> pl.DataFrame:
    validation = validate_export(area, files, extract_date=EXTRACT)
    assert validation.table("cases").n_accepted > 0
    return compute_area(area, validation.accepted, year, EXTRACT).table


ANAL_TABLES = {"cases": "anal_cases.csv", "episodes": "anal_episodes.csv", "prem": "anal_prem.csv"}


@pytest.mark.parametrize(
    ("name", "tables"),
    [("acc", {"cases": "acc_cases.csv"}), ("anal", ANAL_TABLES)],
    ids=["acc", "anal"],
)
@pytest.mark.slow
def test_a_copy_of_a_shipped_area_computes_the_same_indicator_table(tmp_path, name, tables):
    folder = copy_shipped_area(name, tmp_path / f"{name}-copy")
    area = resolve_area(folder)
    assert (area.name, area.shipped, area.folder) == (name, False, folder.resolve())
    assert area != resolve_area(name)
    assert area.schema().tables == resolve_area(name).schema().tables
    assert {d.origin for d in area.definitions()} == {"own"}
    files = {t: INCA / f for t, f in tables.items()}
    mine = _indicator_table(area, files)
    shipped = _indicator_table(name, files)
    assert mine.height > 100 and mine.equals(shipped)
    assert columns_needed(area) == columns_needed(name)


def test_an_area_folder_may_bring_its_own_common_schema(tmp_path):
    folder = copy_shipped_area("acc", tmp_path / "acc-own-common")
    common = shipped_common_path().read_text(encoding="utf-8")
    (folder / "common.yaml").write_text(
        common.replace('["96", "98", "99"]', '["97", "98", "99"]'), "utf-8"
    )
    schema_file = folder / "schema.yaml"
    text = schema_file.read_text(encoding="utf-8")
    schema_file.write_text(text.replace("extends: common", "extends: common.yaml"), "utf-8")
    schema = resolve_area(folder).schema()
    assert schema.unknown_codes == ("97", "98", "99")
    assert schema.tables == resolve_area("acc").schema().tables
    schema_file.write_text(text.replace("extends: common", "extends: nowhere.yaml"), "utf-8")
    with pytest.raises(DefinitionError, match="extends 'nowhere.yaml', which is not a file"):
        Area("acc", False, folder.resolve()).schema()


# ---------------------------------------------------------------- a new area of files only


def test_a_new_area_made_of_files_loads_checks_and_computes(tmp_path):
    area = resolve_area(write_lung_area(tmp_path / "lung"))
    assert (area.name, area.shipped) == ("lung", False)
    schema = area.schema()
    assert schema.title_sv == "Lungcancer"
    cases = schema.table("cases")
    assert {"patient_id", "surgery_date", "resection_margin"} <= set(cases.columns)
    # the common rules apply where the area has their columns: no death_date, no rule on it
    assert {r.check for r in cases.rules} == {"not_before_birth", "age_range", "date_order"}
    defs, findings = area.check()
    assert findings == [] and [d.id for d in defs] == ["lung.r0", "lung.treated_within_x"]
    for d in defs:
        assert d.origin == "own" and d.contract.area == "lung"
        for case in d.tests:
            assert run_case(d, case) == []

    export = write_lung_export(tmp_path / "lung_cases.csv")
    validation = validate_export(area, {"cases": export}, extract_date=dt.date(2024, 12, 10))
    t = validation.table("cases")
    assert (t.rows_read, t.n_accepted, t.n_quarantined) == (6, 4, 0)
    assert dict(t.dropped) == {"makulerad": 1, "demo_region": 1}
    assert validation.schema is schema
    table = compute_area(area, validation.accepted, 2024, dt.date(2024, 12, 10)).table
    got = {
        r["indicator_id"]: (r["numerator"], r["denominator"], r["n_missing"], r["n_pending"])
        for r in table.filter((pl.col("unit") == "ALL") & (pl.col("stratum") == "all"))
        .filter(pl.col("period") == 2024)
        .iter_rows(named=True)
    }
    assert got == {"lung.treated_within_x": (2, 3, 0, 1), "lung.r0": (1, 2, 1, 0)}
    assert set(table["area"]) == {"lung"}


def test_an_own_area_may_not_use_replaces_in_its_own_files(tmp_path):
    folder = write_lung_area(tmp_path / "lung")
    r0 = folder / "indicators" / "r0.yaml"
    r0.write_text("replaces: lung.r0\n" + r0.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(DefinitionError, match="'replaces' is for a region's own definitions"):
        resolve_area(folder).definitions()


# ---------------------------------------------------------------- a region's own definitions


def test_a_regions_definition_joins_with_extra(tmp_path):
    own = write_own_definition(tmp_path / "vgr")
    acc = resolve_area("acc")
    defs = {d.id: d for d in acc.definitions(extra=[tmp_path / "vgr"])}
    assert set(defs) == {d.id for d in acc.definitions()} | {"acc.treated_within_7d"}
    mine = defs["acc.treated_within_7d"]
    assert (mine.origin, mine.path, mine.replaces) == ("own", own, None)
    assert defs["acc.visit_within_x"].origin == "shipped"
    assert list(defs) == sorted(defs)  # sorted by id, the same order as the area's alone
    assert [d.id for d in acc.definitions(extra=[own])] == list(defs)  # a file, or its folder


def test_a_duplicate_id_without_replaces_is_one_sentence_naming_both_files(tmp_path):
    own = write_replacement(tmp_path / "vgr", replaces=None)
    with pytest.raises(DefinitionError) as err:
        resolve_area("acc").definitions(extra=[tmp_path / "vgr"])
    message = str(err.value)
    assert err.value.exit_code == 1 and "\n" not in message
    assert str(own) in message
    assert str(ROOT / "indicators" / "acc" / "visit_within_x.yaml") in message
    assert "add 'replaces: acc.visit_within_x'" in message


def test_with_replaces_the_regions_definition_takes_the_place(tmp_path):
    own = write_replacement(tmp_path / "vgr")
    acc = resolve_area("acc")
    defs = acc.definitions(extra=[tmp_path / "vgr"])
    assert [d.id for d in defs] == [d.id for d in acc.definitions()]
    d = next(d for d in defs if d.id == "acc.visit_within_x")
    assert (d.origin, d.path, d.replaces) == ("own", own, "acc.visit_within_x")
    assert d.params == {"x_days": 10}

    validation = validate_export(acc, {"cases": INCA / "acc_cases.csv"}, extract_date=EXTRACT)
    table = compute_area(acc, validation.accepted, 2025, EXTRACT, definitions=defs).table
    mine = table.filter(pl.col("indicator_id") == "acc.visit_within_x")
    assert set(mine["parameters"]) == {"x_days=10"} and set(mine["definition_version"]) == {"1-vgr"}
    shipped = compute_area(acc, validation.accepted, 2025, EXTRACT).table
    theirs = shipped.filter(pl.col("indicator_id") == "acc.visit_within_x")
    assert set(theirs["parameters"]) == {"x_days=14"}
    assert mine.height == theirs.height
    assert mine["numerator"].sum() < theirs["numerator"].sum()  # 10 days is stricter than 14
    rest = pl.col("indicator_id") != "acc.visit_within_x"
    assert table.filter(rest).equals(shipped.filter(rest))


def test_replaces_must_be_the_files_own_id_and_name_an_existing_one(tmp_path):
    write_replacement(tmp_path / "a", replaces="acc.visit_within_y")
    with pytest.raises(DefinitionError, match="must be the file's own id 'acc.visit_within_x'"):
        resolve_area("acc").definitions(extra=[tmp_path / "a"])
    own = write_own_definition(tmp_path / "b")
    own.write_text("replaces: acc.treated_within_7d\n" + own.read_text("utf-8"), "utf-8")
    with pytest.raises(DefinitionError, match="replaces 'acc.treated_within_7d', which area acc"):
        resolve_area("acc").definitions(extra=[own])


def test_a_definition_of_another_area_does_not_join(tmp_path):
    write_own_definition(tmp_path / "vgr", area="net")
    with pytest.raises(DefinitionError, match="is not an indicator of area 'acc'"):
        resolve_area("acc").definitions(extra=[tmp_path / "vgr"])


def test_the_areas_own_files_given_again_count_once():
    acc = resolve_area("acc")
    again = acc.definitions(extra=[acc.indicators_dir])
    assert [(d.id, d.origin) for d in again] == [(d.id, d.origin) for d in acc.definitions()]


def test_check_collects_every_problem_instead_of_stopping(tmp_path):
    write_replacement(tmp_path / "vgr", replaces=None)
    bad = write_own_definition(tmp_path / "vgr")
    bad.write_text(bad.read_text("utf-8").replace("<= 7", "<= seven_days"), "utf-8")
    defs, findings = resolve_area("acc").check(extra=[tmp_path / "vgr"])
    assert len(findings) == 2
    assert any("already defined in" in f for f in findings)
    assert any("unknown column or parameter 'seven_days'" in f for f in findings)
    assert {d.id for d in defs} == {d.id for d in resolve_area("acc").definitions()}


# ---------------------------------------------------------------- the wheel


@pytest.mark.slow
def test_the_wheel_holds_the_area_folders_and_runs_from_them(tmp_path):
    wheels = tmp_path / "whl"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-w", str(wheels), "-q"],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("nhvmetrics-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "nhvmetrics/_data/areas/common.yaml" in names
    for area in shipped_areas():
        assert f"nhvmetrics/_data/areas/{area.name}/schema.yaml" in names
        for f in area.definition_files():
            assert f"nhvmetrics/_data/areas/{area.name}/indicators/{f.name}" in names
    assert not any(n.startswith(("schemas/", "indicators/")) for n in names)

    # a throwaway environment: the wheel alone, the dependencies borrowed from this one
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    py = bindir / "python"
    site = subprocess.run(
        [py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # the wheel first: with the borrowed paths in place, pip would see an nhvmetrics installed
    # in this environment (as CI installs it) and leave the wheel out
    pip = [sys.executable, "-m", "pip", "--python", str(py)]
    subprocess.run(
        [*pip, "install", "--no-deps", "-q", str(wheel)], check=True, capture_output=True
    )
    deps = [p for p in sys.path if p.endswith("site-packages")]
    Path(site, "borrowed_dependencies.pth").write_text("\n".join(deps) + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [bindir / "nhvmetrics", *args], cwd=tmp_path, env=env, capture_output=True, text=True
        )

    where = subprocess.run(
        [py, "-c", "from nhvmetrics.areas import resolve_area; print(resolve_area('acc').folder)"],
        cwd=tmp_path, env=env, check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    assert where == str(Path(site, "nhvmetrics", "_data", "areas", "acc"))
    listed = run("indicators", "list")
    assert listed.returncode == 0, listed.stderr
    ids = [line.split()[0] for line in listed.stdout.splitlines()[1:]]
    assert ids == [d.id for a in shipped_areas() for d in a.definitions()]
    checked = run("indicators", "check")
    assert checked.returncode == 0 and ": ok" in checked.stdout, checked.stdout
    shown = run("indicators", "show", "pelvic.r0")
    assert str(Path(site, "nhvmetrics", "_data", "areas", "pelvic", "indicators", "r0.yaml")) in (
        shown.stdout
    )
    assert "origin: shipped with nhvmetrics" in shown.stdout
    # the installed package's own area folder is the shipped area, not a region's
    installed = run("indicators", "list", "--area", str(Path(site, "nhvmetrics/_data/areas/net")))
    assert installed.returncode == 0 and " own " not in installed.stdout
