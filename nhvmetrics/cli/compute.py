"""``nhvmetrics compute``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nhvmetrics.cli import app
from nhvmetrics.cli._common import (
    AreaOpt,
    CiOpt,
    CoverageOpt,
    DefinitionsOpt,
    ExtractDateOpt,
    MappingOpt,
    MaxQuarantinedOpt,
    MinCountOpt,
    PathArg,
    StrictOpt,
    TableOpt,
    YearOpt,
)
from nhvmetrics.io.guard import echo


@app.command()
def compute(
    path: PathArg,
    area: AreaOpt,
    year: YearOpt,
    output: Annotated[
        Path,
        typer.Option("-o", "--output", help="Indicator table: .csv, .parquet, .xlsx or .json."),
    ],
    extract_date: ExtractDateOpt = None,
    table: TableOpt = None,
    definitions: DefinitionsOpt = None,
    coverage: CoverageOpt = None,
    ci: CiOpt = "wilson",
    min_count: MinCountOpt = 5,
    max_quarantined: MaxQuarantinedOpt = 0.2,
    strict: StrictOpt = False,
    mapping: MappingOpt = None,
) -> None:
    """Compute every indicator of the area for year Y (and earlier years in the data).

    Rows that fail validation are left out with a warning (run `nhvmetrics validate` to see
    them). The command exits 1 after writing the table, whose rows are then marked not
    computable where they rest on no usable case, when the case table has no accepted row, when
    more than --max-quarantined of it is quarantined or when year Y has no case; with --strict
    also when any row is quarantined. One row per indicator x period x unit (and ALL) x
    stratum; see docs/indicators.md.

    Example: nhvmetrics compute sample_data/acc_cases.csv --area acc --year 2025 -o acc.csv
    """
    from nhvmetrics import pipeline
    from nhvmetrics.cli._common import (
        say_extract_date,
        say_notes,
        say_problems,
        say_quarantined,
    )
    from nhvmetrics.engine.output import FORMATS, write_table
    from nhvmetrics.progress import working

    options = pipeline.RunOptions(
        tables=pipeline.parse_tables(path, table),
        definitions=tuple(definitions or ()),
        coverage=coverage,
        year=year,
        extract_date=pipeline.parse_date(extract_date),
        ci_method=ci,
        min_count=min_count,
        max_quarantined=max_quarantined,
        strict=strict,
        mapping=mapping,
        area=pipeline.known_area(area),  # after the options above, which are checked first
    )
    pipeline.check_outputs(options, {"-o": (output, FORMATS)})
    with working(f"reading and checking {path.name}"):
        validated = pipeline.validate(options, pipeline.Purpose.COMPUTE)
    say_notes(validated)  # before a failure too: an export of another area is the likely cause
    with working(f"computing {path.name}"):
        computed = pipeline.compute(options, validated)
    res = computed.result
    meta = {
        "area": options.area.name,
        "year": year,
        "extract_date": res.extract_date,
        "extract_date_source": res.extract_date_source,
        "ci_method": options.ci_method,
        "min_count": options.min_count,
    }
    write_table(res.table, output, meta=meta)

    say_quarantined(computed.validated, path)
    say_extract_date(computed.validated)
    t = res.table
    skipped = t.filter(~t["computable"]).unique(["indicator_id"], keep="first", maintain_order=True)
    for row in skipped.iter_rows(named=True):
        echo(f"warning: {row['indicator_id']} {row['note']}.", err=True)
    periods = sorted(set(t["period"].to_list()))
    echo(
        f"{options.area.name}: {len(res.definitions)} indicators for "
        f"{', '.join(map(str, periods))}; "
        f"wrote {t.height} rows to {output}"
    )
    say_problems(computed.problems)
    code = pipeline.exit_code(
        computed.problems, strict_quarantine=strict and computed.validated.quarantined > 0
    )
    if code:
        raise typer.Exit(code)
