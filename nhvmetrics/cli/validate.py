"""``nhvmetrics validate``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nhvmetrics.cli import app
from nhvmetrics.cli._common import AreaOpt, DefinitionsOpt, MappingOpt, PathArg, TableOpt

EXAMPLES_PER_CHECK = 3


@app.command()
def validate(
    path: PathArg,
    area: AreaOpt,
    table: TableOpt = None,
    definitions: DefinitionsOpt = None,
    errors: Annotated[
        Path | None,
        typer.Option("--errors", help="Write every finding to this .csv or .json file."),
    ] = None,
    quarantine: Annotated[
        Path | None,
        typer.Option(
            "--quarantine",
            help="Write the quarantined rows (personnummer masked) to this .csv file.",
        ),
    ] = None,
    extract_date: Annotated[
        str | None,
        typer.Option(
            "--extract-date",
            help="Extract date YYYY-MM-DD: the reference for 'in the future' checks (default "
            "today) and the date the summary names (default the latest date in the data that "
            "is not in the future, as compute and report take it).",
        ),
    ] = None,
    mapping: MappingOpt = None,
) -> None:
    """Check an export against the area's schema.

    Prints rows read / accepted / quarantined / dropped per table and the findings grouped by
    check. Exit code 0: no errors (warnings allowed); 1: error findings (rows quarantined);
    2: unreadable input or usage error. See docs/validation.md.

    Example: nhvmetrics validate sample_data/acc_cases.csv --area acc --errors findings.csv
    """
    from nhvmetrics import pipeline
    from nhvmetrics.cli._common import say_extract_date
    from nhvmetrics.errors import EXIT_INVALID, EXIT_OK
    from nhvmetrics.schema.validate import write_findings, write_quarantine

    options = pipeline.RunOptions(
        tables=pipeline.parse_tables(path, table),
        definitions=tuple(definitions or ()),
        extract_date=pipeline.parse_date(extract_date),
        mapping=mapping,
        area=pipeline.known_area(area),  # after the options above, which are checked first
    )
    pipeline.check_outputs(
        options, {"--errors": (errors, (".csv", ".json")), "--quarantine": (quarantine, (".csv",))}
    )
    from nhvmetrics.progress import working

    with working(f"reading and checking {path.name}"):
        validated = pipeline.validate(options, pipeline.Purpose.CHECK)
    result = validated.result
    if errors is not None:
        write_findings(result, errors)
    if quarantine is not None:
        write_quarantine(result, quarantine)
    print_summary(result, errors=errors, quarantine=quarantine)
    say_extract_date(validated)
    raise typer.Exit(EXIT_INVALID if result.has_errors else EXIT_OK)


def print_summary(result, errors: Path | None = None, quarantine: Path | None = None) -> None:
    """A readable summary on the terminal (rich): counts per table, findings grouped by check."""
    import sys

    import polars as pl
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False, width=None if sys.stdout.isatty() else 120)
    counts = Table(title=f"nhvmetrics validate — area {result.area}", title_justify="left")
    for col in ("table", "file", "read", "accepted", "quarantined", "dropped"):
        counts.add_column(col, justify="right" if col not in ("table", "file") else "left")
    for name, t in result.tables.items():
        dropped = str(t.n_dropped)
        if t.dropped:
            dropped += " (" + ", ".join(f"{r} {n}" for r, n in t.dropped.items()) + ")"
        counts.add_row(
            name,
            _short(t.path.name) if t.path else "",
            str(t.rows_read),
            str(t.n_accepted),
            str(t.n_quarantined),
            dropped,
        )
    console.print(counts)
    if result.profile is not None:
        console.print(_mapping_table(result))
    f = result.findings
    if f.height:
        # column-level warnings (unknown_column …) are one line each, listing the column names
        per_column = ["unknown_column", "identifying_column", "duplicate_column", "input_note"]
        f = f.with_columns(
            pl.when(pl.col("check").is_in(per_column))
            .then(None)
            .otherwise(pl.col("column"))
            .alias("_g")
        )
        groups = (
            f.group_by(["table", "check", "severity", "_g"], maintain_order=True)
            .agg(pl.len().alias("n"))
            .sort(["severity", "table", "n"], descending=[False, False, True])
        )
        ft = Table(title="findings", title_justify="left")
        for col in ("severity", "table", "check", "column", "count", "examples (row: value)"):
            ft.add_column(col, justify="right" if col == "count" else "left")
        for g in groups.iter_rows(named=True):
            sub = f.filter(
                (pl.col("table") == g["table"])
                & (pl.col("check") == g["check"])
                & (pl.col("_g").eq_missing(g["_g"]))
            )
            ex = []
            if g["check"] in ("unknown_column", "identifying_column"):
                names = sub["column"].head(6).to_list()
                ex.append(_short(", ".join(names[:5]) + (", …" if len(names) > 5 else ""), 90))
            else:
                for r in sub.head(EXAMPLES_PER_CHECK).iter_rows(named=True):
                    if r["row"] is None:
                        ex.append(_short(r["message"], 90))
                    else:
                        v = "" if r["value"] is None else _short(r["value"], 60)
                        ex.append(
                            f"row {r['row']}"
                            + (f" (case {_short(r['case_id'])})" if r["case_id"] else "")
                            + (f": {v}" if v else "")
                        )
            ft.add_row(
                g["severity"],
                g["table"],
                g["check"],
                _short(g["_g"] or ""),
                str(g["n"]),
                "; ".join(ex),
            )
        console.print(ft)
    quarantined = sum(t.n_quarantined for t in result.tables.values())
    if result.has_errors:
        verdict = (
            f"[bold red]{_count(result.error_count, 'error finding')}[/]: "
            f"{_count(quarantined, 'row')} quarantined and left out of the indicators."
        )
    else:
        verdict = "[bold green]no errors[/]" + (
            f" ({_count(result.warning_count, 'warning')})." if result.warning_count else "."
        )
    console.print(verdict)
    cells = result.unknown_cells
    if cells:
        per = ", ".join(
            f"{c} {k}" for t in result.tables.values() for c, k in t.unknown_cells.items()
        )
        console.print(
            f"{_count(cells, 'cell')} read as unknown (the rows stay; indicators that need "
            f"them count the cases as missing): {_short(per, 300)}"
        )
    if errors is not None:
        console.print(f"findings written to {_short(str(errors), 10_000)}")
    if quarantine is not None:
        console.print(f"quarantined rows written to {_short(str(quarantine), 10_000)}")


def _mapping_table(result):
    """What the mapping profile did: which export column became which canonical column."""
    from rich.table import Table

    profile = result.profile
    table = Table(
        title=f"mapping profile {_short(profile.name, 80)} (sha256 {profile.sha256[:12]}…)",
        title_justify="left",
    )
    for col in ("table", "export column", "canonical column"):
        table.add_column(col)
    for name, t in result.tables.items():
        for canonical, src in t.columns.items():
            if not profile.names_for(name, canonical):
                continue
            read = t.alternates.get(canonical, [src])
            table.add_row(name, _short(" > ".join(read), 60), canonical)
    for canonical in profile.checkboxes:
        table.add_row("", "blank means false (checkboxes)", canonical)
    for canonical in profile.values:
        table.add_row("", "codes from the profile's values", canonical)
    return table


def _count(n: int, noun: str) -> str:
    """``1 row``, ``2 rows``."""
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _short(text: str, n: int = 40) -> str:
    from rich.markup import escape

    from nhvmetrics.io.guard import clean_value

    text = clean_value(text.replace("\n", " "))  # masked and controls shown before the cut
    return escape(text if len(text) <= n else text[: n - 1] + "…")
