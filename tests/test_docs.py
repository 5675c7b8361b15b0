"""Docs that tests keep true: README's commands, .ci/run, and help text for every command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nhvmetrics.cli import app

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```(?:bash|sh|console)?\n(.*?)```", text, flags=re.S)
    return [b.strip() for b in blocks[:2]]


def test_readme_opens_with_two_commands() -> None:
    main_cmd, test_cmd = _readme_commands()
    assert "pip install" in main_cmd and "nhvmetrics " in main_cmd
    assert "pip install" in test_cmd and "pytest" in test_cmd


def test_ci_runs_the_readme_test_command() -> None:
    test_cmd = _readme_commands()[1]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_cmd in ci.splitlines(), "'.ci/run' must call the test command written in README.md"


def _commands() -> list[list[str]]:
    import typer.main

    group = typer.main.get_command(app)
    out: list[list[str]] = []
    for name, cmd in group.commands.items():  # type: ignore[attr-defined]
        sub = getattr(cmd, "commands", None)
        if sub:
            out.extend([name, s] for s in sub)
        else:
            out.append([name])
    return out


@pytest.mark.parametrize("cmd", _commands(), ids=lambda c: " ".join(c))
def test_every_command_has_help_with_an_example(cmd: list[str]) -> None:
    result = CliRunner().invoke(app, [*cmd, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "Example:" in result.output, f"'nhvmetrics {' '.join(cmd)} --help' lacks an example"


def test_every_command_is_in_the_readme() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for cmd in _commands():
        assert f"nhvmetrics {' '.join(cmd)}" in text, (
            f"README does not show 'nhvmetrics {' '.join(cmd)}'"
        )
