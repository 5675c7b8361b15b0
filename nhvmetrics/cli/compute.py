"""``nhvmetrics compute``."""

from __future__ import annotations

from pathlib import Path

import typer

from nhvmetrics.cli import app
from nhvmetrics.cli._common import AREA_OPT, TABLE_OPT


@app.command()
def compute(
    path: Path = typer.Argument(..., help="The case table of the export (CSV, XLSX or Parquet)."),
    area: str = AREA_OPT,
    year: int = typer.Option(..., "--year", "-y", help="Reporting year Y."),
    extract_date: str = typer.Option(None, "--extract-date", help="Extract date YYYY-MM-DD (default: from the data)."),
    table: list[str] = TABLE_OPT,
    output: Path = typer.Option(..., "-o", "--output", help="Indicator table: .csv, .parquet, .xlsx or .json."),
) -> None:
    """Compute every indicator of the area for year Y (and earlier years in the data).

    Example: nhvmetrics compute sample_data/acc_cases.csv --area acc --year 2025 -o acc.csv
    """
    raise NotImplementedError
