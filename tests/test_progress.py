"""Long work shows progress (nhvmetrics.progress.working); quick work prints nothing."""

from __future__ import annotations

import time

from nhvmetrics.progress import working


def test_a_quick_step_prints_nothing(capsys) -> None:
    with working("reading acc_cases.csv", delay=5, interactive=False):
        pass
    assert capsys.readouterr().err == ""


def test_a_long_step_off_a_terminal_prints_two_plain_lines(capsys) -> None:
    with working("reading acc_cases.csv", delay=0.05, interactive=False):
        time.sleep(0.3)
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "nhvmetrics: reading acc_cases.csv …"
    assert err[1].startswith("nhvmetrics: reading acc_cases.csv: done in ")


def test_a_long_step_on_a_terminal_shows_a_spinner_and_then_one_line(capsys) -> None:
    with working("computing x.csv", delay=0.05, interactive=True):
        time.sleep(0.3)
    err = capsys.readouterr().err
    assert "computing x.csv: done in" in err


def test_the_label_passes_the_output_guard(capsys) -> None:
    with working("reading 19121212-1212.csv", delay=0.01, interactive=False):
        time.sleep(0.1)
    err = capsys.readouterr().err
    assert "19121212" not in err and "<personnummer>" in err


def test_an_error_in_the_step_is_not_swallowed(capsys) -> None:
    try:
        with working("x", delay=5, interactive=False):
            raise ValueError("boom")
    except ValueError as exc:
        assert str(exc) == "boom"
    else:  # pragma: no cover
        raise AssertionError("the error was swallowed")


def test_the_delay_comes_from_the_environment(monkeypatch, capsys) -> None:
    monkeypatch.setenv("NHVMETRICS_PROGRESS_DELAY", "0.01")
    with working("x", interactive=False):
        time.sleep(0.2)
    assert "nhvmetrics: x: done in" in capsys.readouterr().err
    monkeypatch.setenv("NHVMETRICS_PROGRESS_DELAY", "not a number")
    with working("y", interactive=False):
        pass
    assert capsys.readouterr().err == ""
