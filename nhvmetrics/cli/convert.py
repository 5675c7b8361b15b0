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
    output: Path = typer.Option(
        ..., "-o", "--output", help="Parquet file to write (accepted rows)."
    ),
    pseudonymize: bool = typer.Option(
        False,
        "--pseudonymize",
        help="Replace patient_id by keyed pseudonyms (key from NHVMETRICS_PSEUDONYM_KEY or --key-file), "
        "stable across runs and files.",
    ),
    key_file: Path = typer.Option(
        None, "--key-file", help="File holding the pseudonymisation key."
    ),
    extract_date: str = typer.Option(
        None,
        "--extract-date",
        help="Reference date for 'in the future' checks (YYYY-MM-DD; default today).",
    ),
) -> None:
    """Write the accepted rows with canonical column names and types to Parquet.

    The case table goes to OUT.parquet; every other table (--table NAME=PATH) to OUT.NAME.parquet
    beside it (e.g. anal.parquet and anal.episodes.parquet). Quarantined rows are left out and
    counted on stderr (run validate for the details); the exit code is 0 even then, unless nothing
    usable is left: exit 1 when the case table has no accepted row because of error findings (no
    file is written). A personnummer is never written: patient_id values shaped like one become
    'pnr-000001', … numbered by first appearance (or keyed pseudonyms with --pseudonymize).

    Example: nhvmetrics convert sample_data/acc_cases.csv --area acc -o acc.parquet
    """
    from nhvmetrics.cli._common import check_area, parse_tables
    from nhvmetrics.cli.validate import _parse_date
    from nhvmetrics.errors import EXIT_INVALID, NhvError
    from nhvmetrics.io.atomic import ensure_not_input
    from nhvmetrics.io.guard import echo

    a = check_area(area)
    tables = parse_tables(path, table)
    ref = _parse_date(extract_date)
    if output.suffix.lower() != ".parquet":
        raise NhvError(f"-o must name a .parquet file, got '{output.name}'.")
    targets = output_paths(output, list(tables))
    for t in targets.values():
        ensure_not_input(t, tables.values())
    key = None
    if pseudonymize:
        from nhvmetrics.io.keys import load_key

        key = load_key(key_file)
    elif key_file is not None:
        raise NhvError(
            "--key-file is only used with --pseudonymize; add --pseudonymize or drop --key-file."
        )

    from nhvmetrics.io.writers import write_parquet
    from nhvmetrics.schema.validate import validate_export

    result = validate_export(a, tables, extract_date=ref)
    cases = result.table("cases")
    if cases.n_accepted == 0 and result.has_errors:
        echo(
            f"error: no usable rows: all {cases.rows_read - cases.n_dropped} case row(s) were quarantined; "
            f"run nhvmetrics validate {path} --area {a} to see why. Nothing was written.",
            err=True,
        )
        raise typer.Exit(EXIT_INVALID)
    frames = {n: protect_patient_id(t.accepted, key) for n, t in result.tables.items()}
    for name, frame in frames.items():
        write_parquet(frame, targets[name])
    for name, t in result.tables.items():
        extra = ""
        if t.n_quarantined:
            extra = f", {t.n_quarantined} quarantined (see nhvmetrics validate)"
        if t.n_dropped:
            extra += ", " + ", ".join(f"{n} dropped ({r})" for r, n in t.dropped.items())
        echo(
            f"{name}: {t.n_accepted} of {t.rows_read} rows written to {targets[name]}{extra}",
            err=True,
        )


def output_paths(output: Path, tables: list[str]) -> dict[str, Path]:
    """OUT.parquet for the case table, OUT.<table>.parquet beside it for every other table."""
    stem = output.name[: -len(output.suffix)]
    return {
        t: output if t == "cases" else output.with_name(f"{stem}.{t}{output.suffix}")
        for t in tables
    }


def protect_patient_id(frame, key: bytes | None):
    """No personnummer leaves convert: keyed pseudonyms with a key, else first-appearance numbers."""
    import polars as pl

    from nhvmetrics.personnummer import SEPARATORS, is_personnummer_like

    if "patient_id" not in frame.columns:
        return frame
    if key is not None:
        from nhvmetrics.personnummer import pseudonymize_frame

        return pseudonymize_frame(frame, key)
    pid = pl.col("patient_id").cast(pl.String)
    shaped = is_personnummer_like(pid).fill_null(False)
    digits = pid.str.strip_chars().str.replace_all("[" + SEPARATORS + "]", "")
    numbered = (
        frame.select(digits.alias("d"), shaped.alias("s"))
        .filter(pl.col("s"))
        .select(pl.col("d").str.slice(-10).alias("k"))  # one person, several spellings
        .unique(maintain_order=True)
        .with_row_index("n", offset=1)
        .with_columns(pl.format("pnr-{}", pl.col("n").cast(pl.String).str.zfill(6)).alias("ps"))
        .select("k", "ps")
    )
    if not numbered.height:
        return frame
    out = frame.with_columns(pl.when(shaped).then(digits.str.slice(-10)).alias("__k")).join(
        numbered, left_on="__k", right_on="k", how="left", maintain_order="left"
    )
    return out.with_columns(pl.coalesce("ps", "patient_id").alias("patient_id")).drop("__k", "ps")
