"""``nhvmetrics validate``."""

from __future__ import annotations

from pathlib import Path

import typer

from nhvmetrics.cli import app
from nhvmetrics.cli._common import AREA_OPT, TABLE_OPT


@app.command()
def validate(
    path: Path = typer.Argument(..., help="The case table of the export (CSV, XLSX or Parquet)."),
    area: str = AREA_OPT,
    table: list[str] = TABLE_OPT,
    errors: Path = typer.Option(None, "--errors", help="Write every finding to this .csv or .json file."),
    quarantine: Path = typer.Option(None, "--quarantine", help="Write the quarantined rows to this .csv file."),
) -> None:
    """Check an export against the area's schema.

    Example: nhvmetrics validate sample_data/acc_cases.csv --area acc --errors findings.csv
    """
    raise NotImplementedError
