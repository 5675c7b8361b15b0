"""``nhvmetrics convert``."""

from __future__ import annotations

from pathlib import Path

import typer

from nhvmetrics.cli import app
from nhvmetrics.cli._common import AREA_OPT, TABLE_OPT


@app.command()
def convert(
    path: Path = typer.Argument(..., help="The case table of the export (CSV, XLSX or Parquet)."),
    area: str = AREA_OPT,
    table: list[str] = TABLE_OPT,
    output: Path = typer.Option(..., "-o", "--output", help="Parquet file to write (accepted rows)."),
) -> None:
    """Write the accepted rows with canonical column names and types to Parquet.

    Example: nhvmetrics convert sample_data/acc_cases.csv --area acc -o acc.parquet
    """
    raise NotImplementedError
