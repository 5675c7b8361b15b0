"""``nhvmetrics report``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nhvmetrics.cli import app
from nhvmetrics.cli._common import (
    CiOpt,
    CoverageOpt,
    DefinitionsOpt,
    ExtractDateOpt,
    MappingOpt,
    MaxQuarantinedOpt,
    MinCountOpt,
    StrictOpt,
    TableOpt,
)
from nhvmetrics.io.guard import echo


@app.command()
def report(
    path: Annotated[
        Path | None,
        typer.Argument(help="The case table of the export (CSV, XLSX or Parquet)."),
    ] = None,
    area: Annotated[
        str | None,
        typer.Option(
            "--area", "-a", help="Registry area: acc, net, anal or pelvic, or an area folder."
        ),
    ] = None,
    year: Annotated[int | None, typer.Option("--year", "-y", help="Reporting year Y.")] = None,
    extract_date: ExtractDateOpt = None,
    table: TableOpt = None,
    definitions: DefinitionsOpt = None,
    coverage: CoverageOpt = None,
    unit: Annotated[
        str | None,
        typer.Option("--unit", help="Report for this unit, beside the national figure."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="HTML file to write.")
    ] = None,
    xlsx: Annotated[
        Path | None, typer.Option("--xlsx", help="Also write the submission workbook here.")
    ] = None,
    lang: Annotated[str, typer.Option("--lang", help="Language of the report: sv or en.")] = "sv",
    ci: CiOpt = "wilson",
    suppress: Annotated[
        str,
        typer.Option(
            "--suppress",
            help="Disclosure policy: denominator (hide a figure over fewer than --min-count "
            "cases; the default) or cells (also hide a share whose numerator or complement is "
            "1-4, for publication). See docs/report.md.",
        ),
    ] = "denominator",
    min_count: MinCountOpt = 5,
    max_quarantined: MaxQuarantinedOpt = 0.2,
    strict: StrictOpt = False,
    mapping: MappingOpt = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", help="Batch: a nhvmetrics.toml naming areas, inputs and years."),
    ] = None,
    log_format: Annotated[
        str | None,
        typer.Option(
            "--log-format",
            help="Batch log on stderr: text (default) or json (one object a line: time, level, "
            "report, message); overrides the config's log_format.",
        ),
    ] = None,
) -> None:
    """Write the annual report (HTML, and the submission workbook with --xlsx).

    One self-contained HTML page per area and year: every indicator for Y (the unit beside the
    national figure with --unit), trend and unit-comparison charts, data quality and provenance.
    Figures resting on fewer than --min-count cases read "otillräckligt underlag". The report is
    written, marked as such, and the command exits 1 when the case table has no accepted row,
    when more than --max-quarantined of it is quarantined or when year Y has no case.

    Batch (a region's scheduled job): --config nhvmetrics.toml runs every report it lists,
    writes a JSON run summary, carries on past a failing area and exits 1 if any failed.
    See docs/batch.md.

    Example: nhvmetrics report sample_data/acc_cases.csv --area acc --year 2025 -o acc.html
    --xlsx acc.xlsx
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
                ("--definitions", definitions),
                ("--coverage", coverage),
                ("--mapping", mapping),
            )
            if v
        ]
        if given:
            raise NhvError(
                f"--config takes the inputs from the TOML file; drop {', '.join(given)}."
            )
        if log_format is not None and log_format not in ("text", "json"):
            raise NhvError(f"--log-format takes text or json, got '{log_format}'.")
        from nhvmetrics.batch import main as batch_main

        raise typer.Exit(batch_main(config, log_format=log_format))

    if log_format is not None:
        raise NhvError("--log-format is for a batch (--config FILE); drop it for one report.")
    if path is None or area is None or year is None or output is None:
        missing = [
            n
            for n, v in (("PATH", path), ("--area", area), ("--year", year), ("-o", output))
            if v is None
        ]
        raise NhvError(
            f"report needs {', '.join(missing)} (or --config FILE for a batch); "
            "for example: nhvmetrics report cases.csv --area acc --year 2025 -o acc.html."
        )
    from nhvmetrics import pipeline
    from nhvmetrics.cli._common import (
        say_extract_date,
        say_notes,
        say_problems,
        say_quarantined,
    )

    options = pipeline.RunOptions(
        tables=pipeline.parse_tables(path, table),
        definitions=tuple(definitions or ()),
        coverage=coverage,
        year=year,
        extract_date=pipeline.parse_date(extract_date),
        unit=unit,
        lang=lang,
        ci_method=ci,
        suppress=suppress,
        min_count=min_count,
        max_quarantined=max_quarantined,
        strict=strict,
        mapping=mapping,
        area=pipeline.known_area(area),  # after the options above, which are checked first
    )
    pipeline.check_outputs(
        options, {"-o": (output, (".html", ".htm")), "--xlsx": (xlsx, (".xlsx",))}
    )
    from nhvmetrics.progress import working

    with working(f"reading and checking {path.name}"):
        validated = pipeline.validate(options, pipeline.Purpose.REPORT)
    say_notes(validated)  # before a failure too: an export of another area is the likely cause
    with working(f"computing and reporting {path.name}"):
        pipeline.check_unit(validated, options.unit)
        computed = pipeline.compute(options, validated)
        rendered = pipeline.render(options, computed, workbook=xlsx is not None)
    written = pipeline.write_report(rendered, output, xlsx)
    for p in written.outputs:
        echo(f"wrote {p}")
    say_quarantined(rendered.computed.validated, path)
    say_extract_date(rendered.computed.validated)
    say_problems(rendered.problems)
    code = pipeline.exit_code(
        rendered.problems, strict_quarantine=strict and written.quarantined > 0
    )
    if code:
        raise typer.Exit(code)
