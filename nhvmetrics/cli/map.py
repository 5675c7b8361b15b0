"""``nhvmetrics map``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nhvmetrics.cli import app
from nhvmetrics.cli._common import AreaOpt, PathArg, TableOpt


@app.command("map")
def map_(
    path: PathArg,
    area: AreaOpt,
    output: Annotated[
        Path,
        typer.Option("-o", "--output", help="The profile to write (.yaml or .yml)."),
    ],
    table: TableOpt = None,
) -> None:
    """Draft a mapping profile from an export, for the registrar to check and edit.

    Reads the header and a sample of the values of each table and proposes, for every
    canonical column, the export column that holds it, with the reason (a built-in alias,
    the name read as register abbreviations, the shape of the values) and a confidence. The
    required columns it could not place are TODO lines; the coded values of each placed
    column are listed against its code list as a draft value map; checkbox columns, unknown
    codes and the date forms seen are filled in. The file holds column names and codes only,
    never a value from the data. Edit it, then pass it with --mapping. See docs/mapping.md.

    Example: nhvmetrics map sample_data/register/acc_cases.csv --area acc -o acc.mapping.yaml
    """
    from nhvmetrics import pipeline
    from nhvmetrics.errors import NhvError
    from nhvmetrics.io.atomic import ensure_not_input
    from nhvmetrics.io.guard import echo
    from nhvmetrics.io.names import check_name
    from nhvmetrics.schema.draft import HIGH, draft_profile, write_profile

    resolved = pipeline.known_area(area)
    tables = pipeline.parse_tables(path, table)
    check_name(output, "output file")
    if output.suffix.lower() not in (".yaml", ".yml"):
        raise NhvError(f"-o takes a .yaml or .yml file, got '{output.name}'.")
    ensure_not_input(output, tables.values())
    draft = draft_profile(resolved, tables)
    extra = "".join(f" --table {t}={p}" for t, p in tables.items() if t != "cases")
    command = f"nhvmetrics validate {path} --area {resolved}{extra} --mapping {output}"
    write_profile(draft, output, command=command)
    placed = len(draft.placements)
    unsure = [p.canonical for p in draft.placements.values() if p.score < HIGH]
    for t in draft.tables.values():
        echo(f"read {t.name}: {t.path} ({len(t.columns)} columns, {t.rows} rows looked at)")
    echo(f"placed {placed} of the {draft.canonical_total} canonical columns of {resolved}")
    missing = draft.missing_required
    if missing:
        echo(f"required columns not placed: {', '.join(missing)} (TODO lines in the draft)")
    else:
        echo("every required column placed")
    if unsure:
        echo(f"check these first (medium or low confidence): {', '.join(unsure)}")
    echo(f"wrote {output}: edit it, then pass it with --mapping, e.g.")
    echo(f"  {command}")
