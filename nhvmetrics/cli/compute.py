"""``nhvmetrics compute``."""

from __future__ import annotations

from pathlib import Path

import typer

from nhvmetrics.cli import app
from nhvmetrics.cli._common import AREA_OPT, TABLE_OPT
from nhvmetrics.io.guard import echo


@app.command()
def compute(
    path: Path = typer.Argument(..., help="The case table of the export (CSV, XLSX or Parquet)."),
    area: str = AREA_OPT,
    year: int = typer.Option(..., "--year", "-y", help="Reporting year Y."),
    extract_date: str = typer.Option(
        None,
        "--extract-date",
        help="Extract date YYYY-MM-DD (default: the latest date in the data that is not in the future).",
    ),
    table: list[str] = TABLE_OPT,
    output: Path = typer.Option(
        ..., "-o", "--output", help="Indicator table: .csv, .parquet, .xlsx or .json."
    ),
    ci: str = typer.Option(
        "wilson", "--ci", help="Confidence interval for proportions: wilson or clopper-pearson."
    ),
    min_count: int = typer.Option(
        5, "--min-count", help="Counts below this are flagged suppressed (default 5)."
    ),
    strict: bool = typer.Option(
        False,
        "--strict",
        help="Exit 1 (after writing the table) if validation quarantined any row.",
    ),
) -> None:
    """Compute every indicator of the area for year Y (and earlier years in the data).

    Rows that fail validation are left out with a warning (run `nhvmetrics validate` to see
    them); with --strict the command then exits 1 after writing the table. The table has one row per indicator x period x unit (and ALL) x stratum; see
    docs/indicators.md.

    Example: nhvmetrics compute sample_data/acc_cases.csv --area acc --year 2025 -o acc.csv
    """
    import datetime as dt

    from nhvmetrics.cli._common import check_area, parse_tables
    from nhvmetrics.errors import NhvError
    from nhvmetrics.io.atomic import ensure_not_input

    a = check_area(area)
    tables = parse_tables(path, table)
    ensure_not_input(output, tables.values())
    from nhvmetrics.engine.output import check_output_path, write_table
    from nhvmetrics.engine.stats import CI_METHODS

    check_output_path(output)
    ci = ci.strip().lower()
    if ci not in CI_METHODS:
        raise NhvError(f"--ci takes one of {', '.join(CI_METHODS)}, got '{ci}'.")
    if min_count < 1:
        raise NhvError("--min-count must be 1 or more.")
    if not 1900 <= year <= 2200:
        raise NhvError(f"--year must be a calendar year such as 2025, got {year}.")
    ed = None
    if extract_date is not None:
        try:
            ed = dt.date.fromisoformat(extract_date.strip())
        except ValueError:
            raise NhvError(
                f"--extract-date takes a date YYYY-MM-DD, got '{extract_date}'."
            ) from None

    from nhvmetrics.engine.compute import columns_needed, compute_area
    from nhvmetrics.engine.definitions import load_definitions
    from nhvmetrics.schema.validate import validate_export

    definitions = load_definitions(
        a
    )  # parsed once: for the columns to keep and for the computation

    # only the columns the indicators read are kept, and only the count of quarantined rows (the
    # findings that say why are `validate`'s business)
    result = validate_export(
        a,
        tables,
        extract_date=ed,
        contract=False,
        quarantined_rows=False,
        accepted_columns=columns_needed(a, definitions),
        row_findings=False,
    )
    bad = sum(t.n_quarantined for t in result.tables.values())
    if bad:
        per = ", ".join(
            f"{n}: {t.n_quarantined}" for n, t in result.tables.items() if t.n_quarantined
        )
        echo(
            f"warning: {bad} invalid row{'s' if bad != 1 else ''} ({per}) left out of the computation; "
            f"run `nhvmetrics validate {path} --area {a}` to see and fix them.",
            err=True,
        )

    res = compute_area(
        a, result.accepted, year, ed, ci_method=ci, min_count=min_count, definitions=definitions
    )
    meta = {
        "area": a,
        "year": year,
        "extract_date": res.extract_date,
        "extract_date_source": res.extract_date_source,
        "ci_method": ci,
        "min_count": min_count,
    }
    write_table(res.table, output, meta=meta)

    t = res.table
    periods = sorted(set(t["period"].to_list()))
    how = (
        "given"
        if res.extract_date_source == "argument"
        else "latest date in the data not in the future"
    )
    echo(f"extract date: {res.extract_date.isoformat()} ({how})")
    skipped = t.filter(~t["computable"]).unique(["indicator_id"], keep="first", maintain_order=True)
    for row in skipped.iter_rows(named=True):
        echo(f"warning: {row['indicator_id']} {row['note']}.", err=True)
    echo(
        f"{a}: {len(res.definitions)} indicators for {', '.join(map(str, periods))}; "
        f"wrote {t.height} rows to {output}"
    )
    if bad and strict:
        from nhvmetrics.errors import EXIT_INVALID

        raise typer.Exit(EXIT_INVALID)
