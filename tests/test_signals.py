"""Clean stops: SIGTERM and SIGHUP, sent to a real ``nhvmetrics`` process while it writes.

The process is the real command line (``nhvmetrics.cli.main``) in a child Python; the only
change is a hook that holds the finished temporary file for a moment before it is renamed into
place, so the signal arrives while a ``.part`` file exists. Before the signals were handled, the
process died there and left the ``.part`` file behind.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from nhvmetrics.signals import Terminated, stop_cleanly

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"

# the command line, with the rename of a temporary output held back until the test signals
HOOK = """
import os, sys, time
real = os.replace
def held(src, dst, *a, **k):
    if str(src).endswith(".part"):
        sys.stderr.write("HOLDING " + os.path.basename(str(dst)) + "\\n")
        sys.stderr.flush()
        time.sleep(60)
    return real(src, dst, *a, **k)
os.replace = held
from nhvmetrics.cli import main
main(sys.argv[1:])
"""


def _start(args: list[str], cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", HOOK, *args],
        cwd=cwd,
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )


def _stop_while_writing(proc: subprocess.Popen, sig: int) -> tuple[str, list[str]]:
    """Wait until the child holds a finished temporary file, send ``sig``; return what it was
    writing and the rest of its stderr."""
    line = proc.stderr.readline()
    assert line.startswith("HOLDING "), line + proc.stderr.read()
    proc.send_signal(sig)
    try:
        rest = proc.stderr.read()
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    return line.split()[1], [x for x in rest.splitlines() if x.strip()]


def _parts(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*.part"))


@pytest.mark.slow
@pytest.mark.parametrize(
    "sig, code, name", [(signal.SIGTERM, 143, "SIGTERM"), (signal.SIGHUP, 129, "SIGHUP")]
)
def test_a_report_stopped_while_writing_leaves_the_previous_file(
    tmp_path: Path, sig: int, code: int, name: str
) -> None:
    from nhvmetrics.sample import write_sample

    write_sample("acc", 80, 5, tmp_path / "acc_cases.csv")
    (tmp_path / "acc.html").write_text("last night's complete report")
    proc = _start(
        ["report", "acc_cases.csv", "--area", "acc", "--year", "2025", "-o", "acc.html"], tmp_path
    )
    writing, err = _stop_while_writing(proc, sig)
    assert writing == "acc.html"
    assert proc.returncode == code
    assert err == [f"error: terminated by {name}; no output was left half-written."]
    assert (tmp_path / "acc.html").read_text() == "last night's complete report"
    assert _parts(tmp_path) == []


@pytest.mark.slow
def test_a_batch_stopped_by_sigterm_keeps_finished_reports_and_says_so(tmp_path: Path) -> None:
    for n in ("acc_cases.csv", "net_cases.csv"):
        shutil.copy(SAMPLE / n, tmp_path / n)
    (tmp_path / "nhvmetrics.toml").write_text(
        "years = 2025\nxlsx = false\nextract_date = '2026-02-15'\n"
        "[[report]]\narea = 'acc'\ncases = 'acc_cases.csv'\n"
        "[[report]]\narea = 'net'\ncases = 'net_cases.csv'\n",
        encoding="utf-8",
    )
    out = tmp_path / "reports"
    out.mkdir()
    (out / "net-2025.html").write_text("last night's net report")
    # let the first report through, stop the run while the second one is written
    hook = HOOK.replace("if str(src).endswith", 'if "net-2025" in str(dst) and str(src).endswith')
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", hook, "report", "--config", "nhvmetrics.toml"],
        cwd=tmp_path,
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    lines = []
    while True:  # the log lines of the batch come first
        line = proc.stderr.readline()
        assert line, "".join(lines)
        if line.startswith("HOLDING "):
            break
        lines.append(line)
    proc.send_signal(signal.SIGTERM)
    rest = proc.stderr.read()
    proc.wait(timeout=30)
    assert proc.returncode == 143, rest
    assert rest.strip().splitlines()[-1] == (
        "error: terminated by SIGTERM; no output was left half-written."
    )
    assert (out / "acc-2025.html").stat().st_size > 1000
    assert (out / "net-2025.html").read_text() == "last night's net report"
    assert _parts(tmp_path) == []
    summary = json.loads((out / "run-summary.json").read_text(encoding="utf-8"))
    assert summary["exit_code"] == 143 and summary["ok"] == 1
    assert summary["error"].startswith("terminated by SIGTERM after 1 of 2 report(s)")
    assert [r["status"] for r in summary["runs"]] == ["ok", "failed"]


def test_stop_cleanly_turns_the_signals_into_terminated_and_restores_the_handlers() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Terminated) as info:
        with stop_cleanly():
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(1000):  # the handler runs between bytecodes
                pass
    assert info.value.exit_code == 143 and info.value.name == "SIGTERM"
    assert signal.getsignal(signal.SIGTERM) == before


def test_an_ignored_sighup_stays_ignored() -> None:
    """``nohup nhvmetrics …`` ignores SIGHUP on purpose."""
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        with stop_cleanly():
            assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGHUP, previous)
