"""``nhvmetrics convert``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nhvmetrics.cli import app
from nhvmetrics.cli._common import AreaOpt, DefinitionsOpt, MappingOpt, PathArg, TableOpt
from nhvmetrics.io.guard import echo


@app.command()
def convert(
    path: PathArg,
    area: AreaOpt,
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Parquet file to write (accepted rows).")
    ],
    table: TableOpt = None,
    definitions: DefinitionsOpt = None,
    pseudonymize: Annotated[
        bool,
        typer.Option(
            "--pseudonymize",
            help="Replace patient_id by keyed pseudonyms (key from NHVMETRICS_PSEUDONYM_KEY or "
            "--key-file), stable across runs and files.",
        ),
    ] = False,
    key_file: Annotated[
        Path | None, typer.Option("--key-file", help="File holding the pseudonymisation key.")
    ] = None,
    extract_date: Annotated[
        str | None,
        typer.Option(
            "--extract-date",
            help="Reference date for 'in the future' checks (YYYY-MM-DD; default today).",
        ),
    ] = None,
    mapping: MappingOpt = None,
) -> None:
    """Write the accepted rows with canonical column names and types to Parquet.

    The case table goes to OUT.parquet; every other table (--table NAME=PATH) to OUT.NAME.parquet
    beside it (e.g. anal.parquet and anal.episodes.parquet). Quarantined rows are left out and
    counted on stderr (run validate for the details); the exit code is 0 even then, unless nothing
    usable is left: exit 1 when the case table has no accepted row because of error findings (no
    file is written). A personnummer is never written: patient_id values shaped like one become
    'pnr-000001', … numbered by first appearance (or keyed pseudonyms with --pseudonymize).
    Each file carries a validation stamp in its metadata, so compute and report read it without
    validating again (see docs/validation.md).

    Example: nhvmetrics convert sample_data/acc_cases.csv --area acc -o acc.parquet
    """
    from nhvmetrics import pipeline
    from nhvmetrics.cli._common import validate_command
    from nhvmetrics.errors import EXIT_INVALID, NhvError

    options = pipeline.RunOptions(
        tables=pipeline.parse_tables(path, table),
        definitions=tuple(definitions or ()),
        extract_date=pipeline.parse_date(extract_date),
        mapping=mapping,
        area=pipeline.known_area(area),  # after the options above, which are checked first
    )
    key = None
    if pseudonymize:
        from nhvmetrics.io.keys import load_key

        key = load_key(key_file)
    elif key_file is not None:
        raise NhvError(
            "--key-file is only used with --pseudonymize; add --pseudonymize or drop --key-file."
        )
    from nhvmetrics.progress import working

    with working(f"reading, checking and converting {path.name}"):
        validated, targets = pipeline.convert(options, output, key)
    if not targets:
        cases = validated.result.tables["cases"]
        echo(
            f"error: no usable rows: all {cases.rows_read - cases.n_dropped} case row(s) were "
            f"quarantined; run {validate_command(options)} to see why. "
            "Nothing was written.",
            err=True,
        )
        raise typer.Exit(EXIT_INVALID)
    for name, t in validated.result.tables.items():
        extra = ""
        if t.n_quarantined:
            extra = f", {t.n_quarantined} quarantined (see nhvmetrics validate)"
        if t.n_dropped:
            extra += ", " + ", ".join(f"{n} dropped ({r})" for r, n in t.dropped.items())
        echo(
            f"{name}: {t.n_accepted} of {t.rows_read} rows written to {targets[name]}{extra}",
            err=True,
        )
