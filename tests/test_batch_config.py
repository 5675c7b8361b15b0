"""The batch config file is strictly typed and every path it names is confined.

Each case below is a config a region could write by mistake; before the typed model each of them
either ran with a silently different meaning (``min_count = true`` became 1 and switched
suppression off, ``xlsx = "false"`` was read as true) or crashed with a traceback.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from nhvmetrics.batch_config import (
    REPORT_KEYS,
    SETTING_KEYS,
    TOP_KEYS,
    ReportEntry,
    Settings,
    TopLevel,
    load_config,
)
from nhvmetrics.errors import NhvError
from tests.fixtures.cli import run_cli

ROOT = Path(__file__).resolve().parents[1]
ONE = "[[report]]\narea = 'acc'\ncases = 'acc_cases.csv'\n"


def _write(folder: Path, text: str, name: str = "nhvmetrics.toml") -> Path:
    p = folder / name
    p.write_text(text, encoding="utf-8")
    return p


# (top-level lines, lines of the [[report]], the key the message must name, where it must say)
WRONG = [
    ("min_count = true", "", "min_count", "top-level"),
    ("min_count = 4.9", "", "min_count", "top-level"),
    ('min_count = "five"', "", "min_count", "top-level"),
    ("min_count = 0", "", "min_count", "top-level"),
    ("min_count = -5", "", "min_count", "top-level"),
    ('xlsx = "false"', "", "xlsx", "top-level"),
    ("xlsx = 0", "", "xlsx", "top-level"),
    ('strict = "no"', "", "strict", "top-level"),
    ('lang = "de"', "", "lang", "top-level"),
    ("lang = 1", "", "lang", "top-level"),
    ('ci_method = "exact"', "", "ci_method", "top-level"),
    ('years = ["2025"]', "", "years", "top-level"),
    ("years = true", "", "years", "top-level"),
    ("years = []", "", "years", "top-level"),
    ("years = 25", "", "years", "top-level"),
    ("years = 2025.0", "", "years", "top-level"),
    ('extract_date = "15/02/2026"', "", "extract_date", "top-level"),
    ('extract_date = "2026-02-30"', "", "extract_date", "top-level"),
    ("extract_date = 2026-02-15T10:00:00", "", "extract_date", "top-level"),
    ("extract_date = 20260215", "", "extract_date", "top-level"),
    ("unit = 11001", "", "unit", "top-level"),
    ("output_dir = 5", "", "output_dir", "top-level"),
    ("output_dir = ''", "", "output_dir", "top-level"),
    ("summary = true", "", "summary", "top-level"),
    ("", "min_count = true", "min_count", "[[report]] number 1 (area acc)"),
    ("", 'xlsx = "false"', "xlsx", "[[report]] number 1 (area acc)"),
    ("", 'strict = "yes"', "strict", "[[report]] number 1 (area acc)"),
    ("", 'lang = "EN "', "lang", "[[report]] number 1 (area acc)"),
    ("", "years = [2025, 2025.5]", "years", "[[report]] number 1 (area acc)"),
    ("", "unit = 11001", "unit", "[[report]] number 1 (area acc)"),
    ("", "tables = { episodes = 5 }", "tables", "[[report]] number 1 (area acc)"),
    ("", 'tables = "episodes.csv"', "tables", "[[report]] number 1 (area acc)"),
    ("", "name = 7", "name", "[[report]] number 1 (area acc)"),
    ("", "cases = 5", "cases", "[[report]] number 1 (area acc)"),
]


@pytest.mark.parametrize("top, entry, key, where", WRONG, ids=[f"{t}|{e}" for t, e, *_ in WRONG])
def test_a_wrong_type_or_range_is_a_config_error_naming_the_key(
    tmp_path: Path, top: str, entry: str, key: str, where: str
) -> None:
    one = ONE.replace("cases = 'acc_cases.csv'\n", "") if entry.startswith("cases") else ONE
    text = f"years = [2025]\n{top}\n{one}{entry}\n"
    if top.startswith("years"):
        text = f"{top}\n{one}{entry}\n"
    with pytest.raises(NhvError) as info:
        load_config(_write(tmp_path, text))
    msg = str(info.value)
    assert info.value.exit_code == 2
    assert msg.startswith(f"{tmp_path / 'nhvmetrics.toml'}: {where}"), msg
    assert re.search(rf"\b{key} must be\b", msg), msg
    assert msg.endswith(".") and "\n" not in msg and "pydantic" not in msg.lower(), msg


def test_the_second_entry_is_named(tmp_path: Path) -> None:
    text = "years = 2025\n" + ONE + "[[report]]\narea = 'net'\ncases = 'n.csv'\nxlsx = 'no'\n"
    with pytest.raises(NhvError, match=r"\[\[report\]\] number 2 \(area net\): xlsx must be"):
        load_config(_write(tmp_path, text))


def test_every_problem_is_mentioned_in_the_one_sentence(tmp_path: Path) -> None:
    text = "years = 2025\nmin_count = true\ncolour = 1\n" + ONE + "xlxs = true\n"
    with pytest.raises(NhvError) as info:
        load_config(_write(tmp_path, text))
    msg = str(info.value)
    assert "min_count must be" in msg
    assert "unknown key xlxs in [[report]] number 1" in msg
    assert "unknown key colour at the top level" in msg


def test_settings_are_kept_with_their_types(tmp_path: Path) -> None:
    text = (
        "years = 2025\nmin_count = 10\nxlsx = false\nstrict = true\nlang = 'en'\n"
        "extract_date = 2026-02-15\nci_method = 'clopper-pearson'\nunit = '11001'\n"
        + ONE
        + "[[report]]\narea = 'NET'\ncases = 'n.csv'\nunit = ''\nmin_count = 7\n"
        'extract_date = "2026-03-01"\nyears = [2025, 2024, 2025]\n'
    )
    cfg = load_config(_write(tmp_path, text))
    acc, *net = cfg.jobs
    assert acc.settings == Settings(
        years=[2025],
        min_count=10,
        xlsx=False,
        strict=True,
        lang="en",
        extract_date=dt.date(2026, 2, 15),
        ci_method="clopper-pearson",
        unit="11001",
    )
    assert acc.name == "acc-2025-11001"
    # a report's own value wins; "" clears the top-level unit; years are sorted and unique
    assert [j.name for j in net] == ["net-2024", "net-2025"]
    assert net[0].unit is None and net[0].settings.min_count == 7
    assert net[0].settings.extract_date == dt.date(2026, 3, 1) and not net[0].settings.xlsx


def test_defaults(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, "years = 2025\n" + ONE))
    s = cfg.jobs[0].settings
    assert (s.lang, s.min_count, s.xlsx, s.strict, s.ci_method, s.unit, s.extract_date) == (
        "sv",
        5,
        True,
        False,
        "wilson",
        None,
        None,
    )
    assert cfg.output_dir == tmp_path / "reports"
    assert cfg.summary == tmp_path / "reports" / "run-summary.json"


def test_adding_a_key_is_one_field() -> None:
    """Every key is a field of the models; the shared settings reach every job as they are."""
    assert set(SETTING_KEYS) <= set(TOP_KEYS) and set(SETTING_KEYS) <= set(REPORT_KEYS)
    for model in (Settings, TopLevel, ReportEntry):
        for name, f in model.model_fields.items():
            assert f.description, f"{model.__name__}.{name} says nothing about what it takes"
    assert TopLevel.model_config["extra"] == "forbid" and TopLevel.model_config["strict"]


def test_docs_document_every_key_with_its_type() -> None:
    text = (ROOT / "docs" / "batch.md").read_text(encoding="utf-8")
    table = {
        m.group(1): m.group(0)
        for m in re.finditer(r"^\| `([a-z_]+)` \|.*$", text, flags=re.M)
        if m.group(1) in set(TOP_KEYS) | set(REPORT_KEYS)
    }
    for key in sorted(set(TOP_KEYS) | set(REPORT_KEYS)):
        assert key in table, f"docs/batch.md has no row for `{key}`"
        assert table[key].count("|") >= 6, f"the row of `{key}` lacks its type or range"


# --------------------------------------------------------------------------- confined paths


@pytest.mark.parametrize(
    "entry",
    [
        "name = '../../x'",
        "name = '/tmp/x'",
        "name = 'sub/x'",
        "name = '..'",
        "name = '.hidden'",
        "name = 'a\\\\b'",
        "unit = '../../x'",
        "unit = '/etc/x'",
    ],
)
def test_a_report_cannot_write_outside_output_dir(tmp_path: Path, entry: str, capsys) -> None:
    cfg = _write(tmp_path, f"years = 2025\n{ONE}{entry}\n")
    (tmp_path / "acc_cases.csv").write_text("x")
    code, _out, err = run_cli(["report", "--config", cfg], capsys)
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1, err
    key = entry.split()[0]
    assert f"{key} must be" in err
    assert sorted(p.name for p in tmp_path.rglob("*.html")) == []


@pytest.mark.parametrize(
    "top, entry, message",
    [
        # the export would be replaced by JSON
        ("output_dir = '.'\nsummary = 'acc_cases.csv'", "", "summary must end in .json"),
        ("output_dir = '.'\nsummary = 'acc_cases.json'", "cases = 'acc_cases.json'", "overwrite"),
        ("output_dir = '.'\nsummary = 'nhvmetrics.json'", "", "overwrite the config file"),
        ("summary = '../acc_cases.json'", "", "summary must be a file inside output_dir"),
        ("summary = '/tmp/x.json'", "", "summary must be a file inside output_dir"),
        ("summary = '.'", "", "summary must be a file inside output_dir"),
        # a report output that is an input of the same or another report
        ("output_dir = '.'", "cases = 'acc-2025.html'", "would overwrite the cases table"),
        ("output_dir = 'in'", "cases = 'in/acc-2025.xlsx'", "would overwrite the cases table"),
        (
            "output_dir = '.'",
            "tables = { episodes = 'acc-2025.html' }",
            "would overwrite the episodes table",
        ),
    ],
)
def test_nothing_the_run_writes_is_an_input_or_the_config(
    tmp_path: Path, top: str, entry: str, message: str
) -> None:
    (tmp_path / "in").mkdir()
    entry_lines = ONE if "cases" not in entry else ONE.replace("cases = 'acc_cases.csv'\n", "")
    name = "nhvmetrics.json" if "nhvmetrics.json" in top else "nhvmetrics.toml"
    cfg = _write(tmp_path, f"years = 2025\n{top}\n{entry_lines}{entry}\n", name)
    with pytest.raises(NhvError, match=re.escape(message)):
        load_config(cfg)


def test_a_hard_link_to_an_input_is_the_input(tmp_path: Path) -> None:
    (tmp_path / "acc_cases.csv").write_text("export")
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "acc-2025.html").hardlink_to(tmp_path / "acc_cases.csv")
    with pytest.raises(NhvError, match="would overwrite the cases table"):
        load_config(_write(tmp_path, "years = 2025\n" + ONE))


def test_output_dir_that_is_a_file_is_a_config_error(tmp_path: Path, capsys) -> None:
    (tmp_path / "reports").write_text("not a folder")
    cfg = _write(tmp_path, "years = 2025\n" + ONE)
    code, _out, err = run_cli(["report", "--config", cfg], capsys)
    assert code == 2 and err.count("\n") == 1
    assert "output_dir" in err and "is a file, not a folder" in err
    assert (tmp_path / "reports").read_text() == "not a folder"


def test_two_reports_writing_one_file(tmp_path: Path) -> None:
    text = (
        "years = 2025\n"
        + ONE
        + "name = 'x'\n[[report]]\narea = 'net'\ncases = 'n.csv'\nname = 'x'\n"
    )
    with pytest.raises(NhvError, match=r"number 2 \(area net\): two reports would both write x"):
        load_config(_write(tmp_path, text))


def test_the_documented_example_is_valid() -> None:
    cfg = load_config(ROOT / "docs" / "nhvmetrics.example.toml")
    assert cfg.jobs and all(j.settings.min_count == 5 for j in cfg.jobs)


def test_a_link_in_output_dir_to_an_input_is_refused(tmp_path: Path) -> None:
    (tmp_path / "acc_cases.csv").write_text("export")
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "acc-2025.xlsx").symlink_to(tmp_path / "acc_cases.csv")
    with pytest.raises(NhvError, match="acc-2025.xlsx of .* would overwrite the cases table"):
        load_config(_write(tmp_path, "years = 2025\n" + ONE))
    (tmp_path / "reports" / "acc-2025.xlsx").unlink()
    (tmp_path / "reports" / "run-summary.json").symlink_to(tmp_path / "acc_cases.csv")
    with pytest.raises(NhvError, match="is a link to .*acc_cases.csv, outside output_dir"):
        load_config(_write(tmp_path, "years = 2025\n" + ONE))


def test_mapping_is_a_path_from_the_config_folder_and_an_input(tmp_path: Path) -> None:
    (tmp_path / "profiles").mkdir()
    cfg = _write(tmp_path, "years = 2025\nmapping = 'profiles/acc.yaml'\n" + ONE)
    job = load_config(cfg).jobs[0]
    assert job.mapping == tmp_path / "profiles" / "acc.yaml"
    # per report, over the top level's
    own = _write(tmp_path, "years = 2025\nmapping = 'a.yaml'\n" + ONE + "mapping = 'b.yaml'\n")
    assert load_config(own).jobs[0].mapping == tmp_path / "b.yaml"
    assert load_config(_write(tmp_path, "years = 2025\n" + ONE)).jobs[0].mapping is None
    # a report that would overwrite the profile
    clash = _write(
        tmp_path, "years = 2025\nxlsx = false\n" + ONE + "mapping = 'reports/acc-2025.html'\n"
    )
    with pytest.raises(NhvError, match="would overwrite the mapping profile of"):
        load_config(clash)
    with pytest.raises(NhvError, match="mapping must be the path of a mapping profile"):
        load_config(_write(tmp_path, "years = 2025\nmapping = true\n" + ONE))
