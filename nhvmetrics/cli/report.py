"""``nhvmetrics report``."""

from __future__ import annotations

from pathlib import Path

import typer

from nhvmetrics.cli import app
from nhvmetrics.io.guard import echo


@app.command()
def report(
    path: Path = typer.Argument(None, help="The case table of the export (CSV, XLSX or Parquet)."),
    area: str = typer.Option(None, "--area", "-a", help="Registry area: acc, net, anal or pelvic."),
    year: int = typer.Option(None, "--year", "-y", help="Reporting year Y."),
    extract_date: str = typer.Option(
        None, "--extract-date", help="Extract date YYYY-MM-DD (default: from the data)."
    ),
    table: list[str] = typer.Option(None, "--table", help="Extra table as NAME=PATH; repeatable."),
    unit: str = typer.Option(
        None, "--unit", help="Report for this unit, beside the national figure."
    ),
    output: Path = typer.Option(None, "-o", "--output", help="HTML file to write."),
    xlsx: Path = typer.Option(None, "--xlsx", help="Also write the submission workbook here."),
    lang: str = typer.Option("sv", "--lang", help="Language of the report: sv or en."),
    min_count: int = typer.Option(
        5, "--min-count", help="Suppress figures resting on fewer cases than this."
    ),
    strict: bool = typer.Option(
        False,
        "--strict",
        help="Exit 1 (after writing the report) if validation quarantined any row.",
    ),
    config: Path = typer.Option(
        None, "--config", help="Batch: a nhvmetrics.toml naming areas, inputs and years."
    ),
) -> None:
    """Write the annual report (HTML, and the submission workbook with --xlsx).

    One self-contained HTML page per area and year: every indicator for Y (the unit beside the
    national figure with --unit), trend and unit-comparison charts, data quality and provenance.
    Figures resting on fewer than --min-count cases read "otillräckligt underlag".

    Batch (a region's scheduled job): --config nhvmetrics.toml runs every report it lists,
    writes a JSON run summary, carries on past a failing area and exits 1 if any failed.
    See docs/batch.md.

    Example: nhvmetrics report sample_data/acc_cases.csv --area acc --year 2025 -o acc.html --xlsx acc.xlsx
    """
    from nhvmetrics.errors import NhvError

    if config is not None:
        given = [
            n
            for n, v in (
                ("PATH", path),
                ("--area", area),
                ("--year", year),
                ("-o", output),
                ("--xlsx", xlsx),
                ("--unit", unit),
                ("--table", table),
                ("--extract-date", extract_date),
            )
            if v
        ]
        if given:
            raise NhvError(
                f"--config takes the inputs from the TOML file; drop {', '.join(given)}."
            )
        from nhvmetrics.batch import main as batch_main

        raise typer.Exit(batch_main(config))

    missing = [
        n
        for n, v in (("PATH", path), ("--area", area), ("--year", year), ("-o", output))
        if v is None
    ]
    if missing:
        raise NhvError(
            f"report needs {', '.join(missing)} (or --config FILE for a batch); "
            "for example: nhvmetrics report cases.csv --area acc --year 2025 -o acc.html."
        )
    from nhvmetrics.report.api import make_report

    written = make_report(
        path,
        area=area,
        year=year,
        extract_date=extract_date,
        tables=table,
        unit=unit,
        output=output,
        xlsx=xlsx,
        lang=lang,
        min_count=min_count,
    )
    for p in written.outputs:
        echo(f"wrote {p}")
    if written.quarantined:
        echo(
            f"note: {written.quarantined} row(s) were quarantined and left out; the report's "
            "data-quality section lists the checks (nhvmetrics validate --errors gives the rows).",
            err=True,
        )
        if strict:
            from nhvmetrics.errors import EXIT_INVALID

            raise typer.Exit(EXIT_INVALID)
