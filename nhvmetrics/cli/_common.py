"""Options shared by several commands, declared once (typer's ``Annotated`` form), and the few
lines every command prints the same way. Argument checks live in the library
(:class:`nhvmetrics.pipeline.RunOptions`), not here."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from nhvmetrics.io.guard import echo

if TYPE_CHECKING:
    from nhvmetrics.areas import Area
    from nhvmetrics.pipeline import Problem, RunOptions, Validated

PathArg = Annotated[
    Path, typer.Argument(help="The case table of the export (CSV, XLSX or Parquet).")
]
AreaOpt = Annotated[
    str,
    typer.Option(
        "--area",
        "-a",
        help="Registry area: acc, net, anal or pelvic, or the path of an area folder "
        "(schema.yaml + indicators/; see docs/areas.md).",
    ),
]
DefinitionsOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--definitions",
        help="A folder (or file) of the region's own indicator definitions, joined to the "
        "area's; repeatable. An id that exists already needs 'replaces: ID'.",
    ),
]
TableOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--table",
        help="Extra table of the export as NAME=PATH (e.g. episodes=ep.csv); repeatable.",
    ),
]
YearOpt = Annotated[int, typer.Option("--year", "-y", help="Reporting year Y.")]
ExtractDateOpt = Annotated[
    str | None,
    typer.Option(
        "--extract-date",
        help="Extract date YYYY-MM-DD (default: the latest date in the data that is not in "
        "the future).",
    ),
]
CiOpt = Annotated[
    str,
    typer.Option("--ci", help="Confidence interval for proportions: wilson or clopper-pearson."),
]
MinCountOpt = Annotated[
    int,
    typer.Option("--min-count", help="Figures resting on fewer cases are suppressed (default 5)."),
]
MaxQuarantinedOpt = Annotated[
    float,
    typer.Option(
        "--max-quarantined",
        help="Exit 1 (after writing) when more than this share of the case rows is quarantined "
        "(default 0.2).",
    ),
]
CoverageOpt = Annotated[
    Path | None,
    typer.Option(
        "--coverage",
        help="CSV of expected case counts (area,year,unit,expected) from an external source, "
        "for <area>.registry_coverage.",
    ),
]
MappingOpt = Annotated[
    Path | None,
    typer.Option(
        "--mapping",
        help="Mapping profile (YAML) saying how the register's export columns and codes map "
        "onto the canonical ones; nhvmetrics map drafts one. See docs/mapping.md.",
    ),
]
StrictOpt = Annotated[
    bool,
    typer.Option("--strict", help="Exit 1 (after writing) if validation quarantined any row."),
]


def area_arg(area: Area) -> str:
    """How to name ``area`` again on the command line: its name, or the folder it came from."""
    return area.name if area.shipped or area.folder is None else str(area.folder)


def validate_command(options: RunOptions) -> str:
    """The ``nhvmetrics validate`` line that shows the findings of a run with these options:
    the same tables, area and mapping profile."""
    import shlex

    parts = [
        "nhvmetrics",
        "validate",
        str(options.tables["cases"]),
        "--area",
        area_arg(options.area),
    ]
    for name, p in options.tables.items():
        if name != "cases":
            parts += ["--table", f"{name}={p}"]
    if options.mapping is not None:
        parts += ["--mapping", str(options.mapping)]
    return shlex.join(parts)


def say_extract_date(validated: Validated) -> None:
    """The extract date every command prints, and where it came from."""
    if validated.extract_date is None:
        echo("extract date: none (the data hold no dates); give --extract-date YYYY-MM-DD")
        return
    how = "given" if validated.extract_date_given else "latest date in the data not in the future"
    echo(f"extract date: {validated.extract_date.isoformat()} ({how})")


def say_quarantined(validated: Validated, path: Path) -> None:
    """One warning line when rows were left out, pointing to ``validate``."""
    tables = validated.result.tables
    bad = sum(t.n_quarantined for t in tables.values())
    if not bad:
        return
    per = ", ".join(f"{n}: {t.n_quarantined}" for n, t in tables.items() if t.n_quarantined)
    if validated.result.stamped:  # the file holds the accepted rows only: see the original
        echo(
            f"warning: {bad} row{'s' if bad != 1 else ''} quarantined when the export was "
            f"converted ({per}; the file's validation stamp) and left out of the figures; run "
            "`nhvmetrics validate` on the original export to see and fix them.",
            err=True,
        )
        return
    echo(
        f"warning: {bad} row{'s' if bad != 1 else ''} quarantined by validation ({per}) and "
        f"left out of the figures; run `{validate_command(validated.options)}` "
        "to see and fix them.",
        err=True,
    )


def say_notes(validated: Validated) -> None:
    """Warnings about the export as a whole that a run that does not print the findings must
    still say: an export that fits another area better."""
    for note in validated.notes:  # e.g. a validation stamp that does not hold
        echo(note, err=True)
    f = validated.result.findings
    for message in f.filter(f["check"] == "other_area")["message"].to_list():
        echo(f"warning: {message}.", err=True)


def say_problems(problems: list[Problem]) -> None:
    for p in problems:
        echo(f"error: {p.message}.", err=True)
