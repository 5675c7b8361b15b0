"""The ``nhvmetrics`` command line: a thin layer over the library.

Each command lives in its own module (``validate.py``, ``compute.py`` …) that imports only
typer at module level; polars, pandera, jinja2 and plotting are imported inside the command
so that ``nhvmetrics --help`` starts fast.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from nhvmetrics import __version__
from nhvmetrics.errors import NhvError
from nhvmetrics.io.guard import echo, guarded_terminal

app = typer.Typer(
    name="nhvmetrics",
    help=(
        "Validate INCA-style registry exports and compute the NHV follow-up indicators "
        "(areas: acc, net, anal, pelvic).\n\n"
        "Example: nhvmetrics validate sample_data/acc_cases.csv --area acc"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        echo(f"nhvmetrics {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Validate INCA-style registry exports and compute the NHV follow-up indicators."""


# Command modules register themselves on ``app`` when imported.
from nhvmetrics.cli import (  # noqa: E402,F401
    compute,
    convert,
    indicators,
    map,
    report,
    sample,
    validate,
)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script: user errors become one line on stderr.

    Usage errors (unknown option, missing argument) are reported by typer itself with exit 2.
    Everything printed passes through the output guard (:mod:`nhvmetrics.io.guard`).
    Ctrl-C, SIGTERM and SIGHUP stop the run cleanly (no temporary file left, previous outputs
    intact) with one line and the shell's exit code: 130, 143, 129.
    """
    from nhvmetrics.signals import Terminated, stop_cleanly

    with guarded_terminal():
        try:
            with stop_cleanly():
                app(args=argv, prog_name="nhvmetrics")
        except NhvError as exc:
            echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            echo("error: interrupted.", err=True)
            sys.exit(130)
        except Terminated as exc:
            echo(f"error: {exc}; no output was left half-written.", err=True)
            sys.exit(exc.exit_code)
