"""``nhvmetrics report``."""

from __future__ import annotations

from pathlib import Path

import typer

from nhvmetrics.cli import app


@app.command()
def report(
    path: Path = typer.Argument(None, help="The case table of the export (CSV, XLSX or Parquet)."),
    area: str = typer.Option(None, "--area", "-a", help="Registry area: acc, net, anal or pelvic."),
    year: int = typer.Option(None, "--year", "-y", help="Reporting year Y."),
    extract_date: str = typer.Option(None, "--extract-date", help="Extract date YYYY-MM-DD (default: from the data)."),
    table: list[str] = typer.Option(None, "--table", help="Extra table as NAME=PATH; repeatable."),
    unit: str = typer.Option(None, "--unit", help="Report for this unit, beside the national figure."),
    output: Path = typer.Option(None, "-o", "--output", help="HTML file to write."),
    xlsx: Path = typer.Option(None, "--xlsx", help="Also write the submission workbook here."),
    lang: str = typer.Option("sv", "--lang", help="Language of the report: sv or en."),
    config: Path = typer.Option(None, "--config", help="Batch: a nhvmetrics.toml naming areas, inputs and years."),
) -> None:
    """Write the annual report (HTML, and the submission workbook with --xlsx).

    Example: nhvmetrics report sample_data/acc_cases.csv --area acc --year 2025 -o acc.html --xlsx acc.xlsx
    """
    raise NotImplementedError
