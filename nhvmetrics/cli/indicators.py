"""``nhvmetrics indicators list | show ID | check [PATH ...]``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nhvmetrics.cli import app
from nhvmetrics.io.guard import echo

indicators_app = typer.Typer(
    help="List, show and check indicator definitions.", no_args_is_help=True, rich_markup_mode=None
)
app.add_typer(indicators_app, name="indicators")

AREA_HELP = (
    "A shipped area (acc, net, anal, pelvic) or the path of an area folder "
    "(schema.yaml + indicators/)."
)
DefinitionsOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--definitions",
        "-d",
        help="A folder (or file) of a region's own definitions, joined to the area's; an id that "
        "exists already must say 'replaces: <id>'. Repeatable.",
    ),
]


@indicators_app.command("list")
def list_(
    area: Annotated[
        str | None, typer.Option("--area", "-a", help=f"Only this area. {AREA_HELP}")
    ] = None,
    definitions: DefinitionsOpt = None,
) -> None:
    """List every indicator: id, area, type, origin (shipped or own) and title.

    Without --area: the shipped areas, each with the --definitions files whose ids name it.

    Example: nhvmetrics indicators list --area acc --definitions region/indicators
    """
    from nhvmetrics.engine.definitions import definitions_for

    defs = definitions_for(area, definitions or ())
    rows = [(d.id, d.area, d.type, d.origin, d.title_en) for d in defs]
    head = ("id", "area", "type", "origin", "title")
    w = [max(len(r[i]) for r in [*rows, head]) for i in range(4)]
    for r in [head, *rows]:
        echo("  ".join(f"{r[i]:<{w[i]}}" for i in range(4)) + f"  {r[4]}")


@indicators_app.command()
def show(
    indicator_id: Annotated[str, typer.Argument(help="Indicator id, e.g. acc.visit_within_x.")],
    area: Annotated[str | None, typer.Option("--area", "-a", help=AREA_HELP)] = None,
    definitions: DefinitionsOpt = None,
) -> None:
    """Show one definition in full, with the file it comes from and its origin.

    Example: nhvmetrics indicators show anal.complete_remission_6m
    """
    from nhvmetrics.engine.catalogue import definition_text
    from nhvmetrics.engine.definitions import definitions_for
    from nhvmetrics.errors import NhvError

    defs = {d.id: d for d in definitions_for(area, definitions or ())}
    d = defs.get(indicator_id.strip())
    if d is None:
        near = [i for i in defs if indicator_id.strip().lower() in i]
        hint = (
            f" Did you mean: {', '.join(near[:5])}?"
            if near
            else " Run `nhvmetrics indicators list` for the ids (add --area FOLDER for a "
            "region's own area)."
        )
        raise NhvError(f"no indicator '{indicator_id}'.{hint}")
    echo(definition_text(d))


@indicators_app.command()
def check(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Area folders, or definition files and folders (default: the shipped areas, or "
            "--area).",
        ),
    ] = None,
    area: Annotated[
        str | None,
        typer.Option("--area", "-a", help=f"The area the definition files belong to. {AREA_HELP}"),
    ] = None,
    definitions: DefinitionsOpt = None,
) -> None:
    """Load definitions and run their test cases; exit 1 with findings if any fails.

    Checks each file (required fields, known columns, valid conditions, unique ids; an id that
    exists already in the area needs 'replaces: <id>') and runs the test cases written in it.
    A PATH holding schema.yaml is an area folder: its schema and all its definitions are
    checked. Other PATHs are a region's own definitions, checked against --area, or else
    against the shipped area their ids name. Exit 0: all good; 1: findings (one line each).

    Example: nhvmetrics indicators check indicators/acc/
    """
    from nhvmetrics.engine.definitions import check_definitions
    from nhvmetrics.engine.testing import run_case
    from nhvmetrics.errors import EXIT_INVALID

    defs, findings = check_definitions(paths or (), area=area, extra=definitions or ())
    n_cases = 0
    for d in defs:
        if not d.tests:
            findings.append(f"{d.path}: {d.id} has no test cases; add at least one under 'tests:'.")
        for i, case in enumerate(d.tests):
            n_cases += 1
            for problem in run_case(d, case):
                findings.append(f"{d.path}: {d.id} tests[{i + 1}] ({case.get('name')}): {problem}")
    for f in findings:
        echo(f)
    status = "ok" if not findings else f"{len(findings)} finding{'s' if len(findings) != 1 else ''}"
    echo(f"{len(defs)} definitions, {n_cases} test cases: {status}")
    if findings:
        raise typer.Exit(EXIT_INVALID)
