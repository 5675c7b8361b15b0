"""Run the command line in-process from a test (faster than a subprocess, same exit codes)."""

from __future__ import annotations

from nhvmetrics.cli import main


def run_cli(args, capsys) -> tuple[int, str, str]:
    """Run ``nhvmetrics ARGS`` and return (exit code, stdout, stderr); never a traceback."""
    capsys.readouterr()
    try:
        main([str(a) for a in args])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err
