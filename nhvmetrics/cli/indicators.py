"""``nhvmetrics indicators list | show ID | check [PATH ...]``."""

from __future__ import annotations

from pathlib import Path

import typer

from nhvmetrics.cli import app

indicators_app = typer.Typer(
    help="List, show and check indicator definitions.", no_args_is_help=True, rich_markup_mode=None
)
app.add_typer(indicators_app, name="indicators")


@indicators_app.command("list")
def list_() -> None:
    """List every indicator: id, area, type and title.

    Example: nhvmetrics indicators list
    """
    raise NotImplementedError


@indicators_app.command()
def show(indicator_id: str = typer.Argument(..., help="Indicator id, e.g. acc.visit_within_x.")) -> None:
    """Show one definition in full.

    Example: nhvmetrics indicators show anal.complete_remission_6m
    """
    raise NotImplementedError


@indicators_app.command()
def check(paths: list[Path] = typer.Argument(None, help="Definition files or folders (default: the shipped ones).")) -> None:
    """Load definitions and run their test cases; exit 1 with findings if any fails.

    Example: nhvmetrics indicators check indicators/acc/
    """
    raise NotImplementedError
