"""``nhvmetrics sample``."""

from __future__ import annotations

from pathlib import Path

import typer

from nhvmetrics.cli import app
from nhvmetrics.cli._common import AREA_OPT


@app.command()
def sample(
    area: str = AREA_OPT,
    rows: int = typer.Option(..., "--rows", "-n", help="Number of case rows."),
    seed: int = typer.Option(..., "--seed", help="Random seed; the same seed gives the same files."),
    output: Path = typer.Option(..., "-o", "--output", help="File (or folder for several tables) to write."),
    dirty: float = typer.Option(0.0, "--dirty", help="Fraction of rows with planted errors (0-1)."),
    inca: bool = typer.Option(False, "--inca", help="Write the INCA export dialect (Swedish names, codes)."),
) -> None:
    """Make a synthetic export for an area.

    Example: nhvmetrics sample --area acc --rows 300 --seed 1 -o acc_cases.csv
    """
    raise NotImplementedError
