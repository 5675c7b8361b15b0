"""``nhvmetrics report --config``: the scheduled batch over several areas and years."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nhvmetrics.batch import load_config, run_batch
from nhvmetrics.cli import main
from nhvmetrics.errors import NhvError
from tests.fixtures.cli import run_cli

ROOT = Path(__file__).resolve().parents[1]


def run(argv: list[str]) -> int:
    try:
        main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> Path:
    from nhvmetrics.sample import write_sample

    folder = tmp_path_factory.mktemp("batch")
    write_sample("acc", 200, 3, folder / "acc_cases.csv")
    write_sample("anal", 150, 4, folder / "anal_cases.csv")
    return folder


def _write(folder: Path, text: str) -> Path:
    p = folder / "nhvmetrics.toml"
    p.write_text(text, encoding="utf-8")
    return p


GOOD_AND_BAD = """
output_dir = "reports"
years = [2024, 2025]
extract_date = "2026-02-15"

[[report]]
area = "acc"
cases = "acc_cases.csv"

[[report]]
area = "pelvic"
cases = "no_such_file.csv"
years = [2025]

[[report]]
area = "anal"
cases = "anal_cases.csv"
tables = { episodes = "anal_episodes.csv", prem = "anal_prem.csv" }
years = 2025
xlsx = false
"""


@pytest.mark.slow
def test_batch_continues_past_a_failure_and_exits_1(exports: Path, capsys) -> None:
    cfg = _write(exports, GOOD_AND_BAD)
    assert run(["report", "--config", str(cfg)]) == 1
    out = exports / "reports"
    for name in (
        "acc-2024.html",
        "acc-2024.xlsx",
        "acc-2025.html",
        "acc-2025.xlsx",
        "anal-2025.html",
    ):
        assert (out / name).stat().st_size > 1000, name
    assert not (out / "anal-2025.xlsx").exists()
    assert not (out / "pelvic-2025.html").exists()
    summary = json.loads((out / "run-summary.json").read_text(encoding="utf-8"))
    assert (summary["reports"], summary["ok"], summary["failed"], summary["exit_code"]) == (
        4,
        3,
        1,
        1,
    )
    runs = {r["name"]: r for r in summary["runs"]}
    assert (
        runs["pelvic-2025"]["status"] == "failed"
        and "does not exist" in runs["pelvic-2025"]["error"]
    )
    assert runs["acc-2025"]["status"] == "ok" and runs["acc-2025"]["outputs"] == [
        "acc-2025.html",
        "acc-2025.xlsx",
    ]
    assert runs["acc-2025"]["extract_date"] == "2026-02-15"
    assert len(runs["acc-2025"]["inputs"]["acc_cases.csv"]) == 64
    err = capsys.readouterr().err
    # not a terminal: plain log lines, one per report
    assert "nhvmetrics batch: [4/4] anal-2025: ok" in err
    assert "pelvic-2025: FAILED" in err


def test_batch_all_ok_exits_0(exports: Path) -> None:
    cfg = _write(
        exports,
        'output_dir = "ok"\nyears = [2025]\n[[report]]\narea = "acc"\ncases = "acc_cases.csv"\n'
        f'unit = "{_first_unit(exports / "acc_cases.csv")}"\n',
    )
    summary = run_batch(load_config(cfg), interactive=False)
    assert summary["exit_code"] == 0 and summary["ok"] == 1
    assert (exports / "ok" / f"acc-2025-{_first_unit(exports / 'acc_cases.csv')}.html").exists()


def _first_unit(path: Path) -> str:
    import polars as pl

    return sorted(pl.read_csv(path, infer_schema=False)["unit"].drop_nulls().unique().to_list())[0]


@pytest.mark.parametrize(
    "text, message",
    [
        ("years = [2025]\n", "at least one [[report]]"),
        ("colour = 1\n[[report]]\narea='acc'\ncases='a.csv'\nyears=[2025]\n", "unknown setting"),
        ("[[report]]\narea='lung'\ncases='a.csv'\nyears=[2025]\n", "area must be one of"),
        ("[[report]]\narea='acc'\nyears=[2025]\n", "needs cases"),
        ("[[report]]\narea='acc'\ncases='a.csv'\n", "no years"),
        ("[[report]]\narea='acc'\ncases='a.csv'\nyears=['x']\n", "years must be"),
        ("[[report]]\narea='acc'\ncases='a.csv'\nyears=[2025]\nfoo=1\n", "unknown key"),
        (
            "[[report]]\narea='acc'\ncases='a.csv'\nyears=[2025]\n[[report]]\narea='acc'\ncases='b.csv'\nyears=[2025]\n",
            "both write",
        ),
        ("this is = not toml [", "not valid TOML"),
    ],
)
def test_bad_config_is_a_usage_error(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(NhvError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_config(_write(tmp_path, text))


def test_bad_config_exit_code_2(tmp_path: Path, capsys) -> None:
    assert run(["report", "--config", str(_write(tmp_path, "years = 1\n"))]) == 2
    assert run(["report", "--config", str(tmp_path / "missing.toml")]) == 2
    assert run(["report", "x.csv", "--config", str(tmp_path / "missing.toml")]) == 2
    assert "drop PATH" in capsys.readouterr().err


def test_documented_example_config_loads() -> None:
    cfg = load_config(ROOT / "docs" / "nhvmetrics.example.toml")
    assert {j.area for j in cfg.jobs} == {"acc", "net", "anal", "pelvic"}
    assert all(j.cases.is_file() for j in cfg.jobs), "the example names files sample_data/ lacks"
    assert all(j.cases.name.endswith(".csv") for j in cfg.jobs)


def test_progress_bar_on_a_terminal(tmp_path: Path, capsys) -> None:
    cfg = _write(tmp_path, "years = 2025\n[[report]]\narea = 'acc'\ncases = 'missing.csv'\n")
    summary = run_batch(load_config(cfg), interactive=True)
    assert summary["failed"] == 1 and summary["exit_code"] == 1
    assert "acc-2025: FAILED" in capsys.readouterr().err
    assert json.loads((tmp_path / "reports" / "run-summary.json").read_text())["failed"] == 1


def test_strict_counts_quarantined_rows_as_failure(tmp_path: Path) -> None:
    from nhvmetrics.sample import write_sample

    write_sample("acc", 120, 9, tmp_path / "acc_cases.csv", dirty=0.05)
    cfg = _write(
        tmp_path,
        "years = 2025\nstrict = true\n[[report]]\narea = 'acc'\ncases = 'acc_cases.csv'\n"
        "xlsx = false\n",
    )
    summary = run_batch(load_config(cfg), interactive=False)
    run0 = summary["runs"][0]
    assert summary["exit_code"] == 1 and run0["status"] == "failed" and run0["quarantined"] > 0
    assert "strict" in run0["error"] and (tmp_path / "reports" / "acc-2025.html").exists()


# --------------------------------------------------------------------------- strict settings


@pytest.mark.parametrize(
    "setting", ["min_count = true", "min_count = 4.9", 'min_count = "five"', 'xlsx = "false"']
)
def test_a_setting_of_the_wrong_type_stops_the_run_before_anything_is_written(
    exports: Path, tmp_path: Path, setting: str, capsys
) -> None:
    """``min_count = true`` used to become 1 (no suppression at all) and ``xlsx = "false"``
    true; ``min_count = "five"`` was a traceback."""
    cfg = _write(
        tmp_path,
        f"output_dir = 'out'\nyears = 2025\n{setting}\n[[report]]\narea = 'acc'\n"
        f"cases = '{exports / 'acc_cases.csv'}'\n",
    )
    assert run(["report", "--config", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert f"top-level {setting.split()[0]} must be" in err
    out = tmp_path / "out"
    assert not list(out.glob("*.html")) and not list(out.glob("*.xlsx"))


# ------------------------------------------------------------------- summary of a failed config


def _summary(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_a_config_that_fails_still_writes_the_summary_where_the_run_would(
    tmp_path: Path, capsys
) -> None:
    (tmp_path / "reports").mkdir()
    last_night = tmp_path / "reports" / "run-summary.json"
    last_night.write_text('{"exit_code": 0, "failed": 0}')
    cfg = _write(
        tmp_path, "years = 2025\nmin_count = true\n[[report]]\narea='acc'\ncases='a.csv'\n"
    )
    assert run(["report", "--config", str(cfg)]) == 2
    err = capsys.readouterr().err.strip()
    s = _summary(last_night)
    assert s["exit_code"] == 2 and s["reports"] == 0 and s["runs"] == []
    assert s["error"] == err.removeprefix("error: ") and "min_count must be" in s["error"]
    assert s["output_dir"] == str(tmp_path / "reports")
    assert not (tmp_path / "nhvmetrics.run-summary.json").exists()


@pytest.mark.parametrize(
    "text, why",
    [
        ("this is = not toml [", "not valid TOML"),
        ("years = 2025\noutput_dir = 5\n[[report]]\narea='acc'\ncases='a.csv'\n", "output_dir"),
        ("years = 2025\nsummary = 'a.csv'\n[[report]]\narea='acc'\ncases='a.csv'\n", "summary"),
        (
            "years = 2025\noutput_dir = '.'\nsummary = 'a.json'\n[[report]]\narea='acc'\n"
            "cases='a.json'\n",
            "would overwrite the cases table",
        ),
    ],
)
def test_without_a_safe_output_dir_the_summary_goes_beside_the_config(
    tmp_path: Path, text: str, why: str
) -> None:
    (tmp_path / "a.json").write_text('{"export": true}')
    cfg = _write(tmp_path, text)
    assert run(["report", "--config", str(cfg)]) == 2
    s = _summary(tmp_path / "nhvmetrics.run-summary.json")
    assert s["exit_code"] == 2 and why in s["error"] and s["output_dir"] is None
    assert (tmp_path / "a.json").read_text() == '{"export": true}'
    assert cfg.read_text() == text


def test_a_missing_config_gets_its_summary_beside_where_it_should_be(tmp_path: Path) -> None:
    assert run(["report", "--config", str(tmp_path / "nightly.toml")]) == 2
    assert "does not exist" in _summary(tmp_path / "nightly.run-summary.json")["error"]
    assert run(["report", "--config", str(tmp_path / "no" / "such" / "nightly.toml")]) == 2
    assert not (tmp_path / "no").exists()


def test_output_dir_that_cannot_be_created(tmp_path: Path, capsys) -> None:
    (tmp_path / "file").write_text("x")
    cfg = _write(
        tmp_path, "years = 2025\noutput_dir = 'file/sub'\n[[report]]\narea='acc'\ncases='a'\n"
    )
    assert run(["report", "--config", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot create the output folder" in err
    assert "cannot create" in _summary(tmp_path / "nhvmetrics.run-summary.json")["error"]


# --------------------------------------------------------------------------- a stopped run


def test_a_stopped_run_says_so_in_its_summary(exports: Path, tmp_path: Path, monkeypatch) -> None:
    from nhvmetrics import pipeline
    from nhvmetrics.signals import Terminated

    real = pipeline.write_report
    calls = []

    def stop_on_the_second(rendered, html, xlsx=None):
        calls.append(html)
        if len(calls) == 2:
            raise Terminated(15)
        return real(rendered, html, xlsx)

    monkeypatch.setattr(pipeline, "write_report", stop_on_the_second)
    cfg = _write(
        tmp_path,
        f"years = [2024, 2025]\nxlsx = false\n[[report]]\narea = 'acc'\n"
        f"cases = '{exports / 'acc_cases.csv'}'\n",
    )
    with pytest.raises(Terminated):
        run_batch(load_config(cfg), interactive=False)
    s = _summary(tmp_path / "reports" / "run-summary.json")
    assert s["exit_code"] == 143 and s["reports"] == 2 and s["ok"] == 1
    assert s["error"].startswith("terminated by SIGTERM after 1 of 2 report(s)")
    second = s["runs"][1]
    assert second["name"] == "acc-2025" and second["status"] == "failed"
    assert second["exit_code"] == 143 and "terminated by SIGTERM" in second["error"]
    assert not (tmp_path / "reports" / "acc-2025.html").exists()


# --------------------------------------------------------------------------- the log and summary


def test_json_log_lines_and_a_summary_with_run_id_times_and_what_was_not_computable(
    exports: Path, tmp_path: Path, capsys
) -> None:
    import datetime as dt

    cfg = _write(
        tmp_path,
        f"years = [2025]\nxlsx = false\nlog_format = 'json'\n[[report]]\narea = 'anal'\n"
        f"cases = '{exports / 'anal_cases.csv'}'\n",  # without its episodes and prem tables
    )
    code, _, err = run_cli(["report", "--config", cfg], capsys)
    assert code == 0
    lines = [json.loads(x) for x in err.strip().splitlines()]
    assert all(set(x) == {"time", "level", "report", "message"} for x in lines)
    for x in lines:
        dt.datetime.strptime(x["time"], "%Y-%m-%dT%H:%M:%SZ")
    warned = [x["message"] for x in lines if x["level"] == "warning"]
    assert any("anal.prem" in w and "not computable" in w for w in warned)
    assert lines[-1]["report"] is None and "1 of 1 report(s)" in lines[-1]["message"]
    s = _summary(tmp_path / "reports" / "run-summary.json")
    assert len(s["run_id"]) == 32 and s["started"] <= s["finished"] and s["version"]
    run = s["runs"][0]
    assert run["status"] == "ok"
    assert (
        "anal.prem" in run["not_computable"] and "anal.written_care_plan" in run["not_computable"]
    )
    assert "prem" in run["not_computable"]["anal.prem"]
    # a second run gets another id
    run_cli(["report", "--config", cfg], capsys)
    assert _summary(tmp_path / "reports" / "run-summary.json")["run_id"] != s["run_id"]


def test_log_format_on_the_command_line_wins_and_is_checked(
    exports: Path, tmp_path: Path, capsys
) -> None:
    cfg = _write(
        tmp_path,
        f"years = [2025]\nxlsx = false\n[[report]]\narea = 'acc'\n"
        f"cases = '{exports / 'acc_cases.csv'}'\n",
    )
    code, _, err = run_cli(["report", "--config", cfg, "--log-format", "json"], capsys)
    assert code == 0 and all(x.startswith("{") for x in err.strip().splitlines())
    code, _, err = run_cli(["report", "--config", cfg, "--log-format", "xml"], capsys)
    assert code == 2 and "--log-format takes text or json" in err
    code, _, err = run_cli(
        [
            "report",
            exports / "acc_cases.csv",
            "--area",
            "acc",
            "--year",
            "2025",
            "-o",
            tmp_path / "x.html",
            "--log-format",
            "json",
        ],
        capsys,
    )
    assert code == 2 and "--log-format is for a batch" in err
    code, _, err = run_cli(
        ["report", "--config", _write(tmp_path, "log_format = 'yaml'\n")], capsys
    )
    assert code == 2 and "log_format" in err


def test_a_report_reads_its_export_with_the_mapping_profile(tmp_path: Path) -> None:
    import hashlib

    from tests.fixtures.inca_export import write_csv, write_profile

    write_csv(tmp_path / "acc_export.csv")
    profile = write_profile(tmp_path / "acc_profile.yaml")
    cfg = _write(
        tmp_path,
        'years = 2025\nextract_date = "2025-12-31"\nxlsx = false\n'
        '[[report]]\narea = "acc"\ncases = "acc_export.csv"\nmapping = "acc_profile.yaml"\n'
        '[[report]]\narea = "acc"\ncases = "acc_export.csv"\nname = "bare"\n',
    )
    assert run(["report", "--config", str(cfg)]) == 1  # the report without the profile fails
    summary = json.loads((tmp_path / "reports" / "run-summary.json").read_text(encoding="utf-8"))
    ok, bare = summary["runs"]
    assert ok["status"] == "ok" and ok["quarantined"] == 0
    assert bare["status"] == "failed" and "lacks the required column(s)" in bare["error"]
    html = (tmp_path / "reports" / "acc-2025.html").read_text(encoding="utf-8")
    assert hashlib.sha256(profile.read_bytes()).hexdigest() in html
