"""``nhvmetrics indicators list | show ID | check [PATH ...]``."""

from __future__ import annotations

from pathlib import Path

import typer

from nhvmetrics.cli import app
from nhvmetrics.io.guard import echo

indicators_app = typer.Typer(
    help="List, show and check indicator definitions.", no_args_is_help=True, rich_markup_mode=None
)
app.add_typer(indicators_app, name="indicators")


@indicators_app.command("list")
def list_(
    area: str = typer.Option(None, "--area", "-a", help="Only this area (acc, net, anal, pelvic)."),
) -> None:
    """List every indicator: id, area, type and title.

    Example: nhvmetrics indicators list
    """
    from nhvmetrics.cli._common import check_area
    from nhvmetrics.engine.definitions import load_definitions

    defs = load_definitions(check_area(area) if area else None)
    rows = [(d.id, d.area, d.type, d.title_en) for d in defs]
    w = [max(len(r[i]) for r in rows + [("id", "area", "type", "title")]) for i in range(3)]
    echo(f"{'id':<{w[0]}}  {'area':<{w[1]}}  {'type':<{w[2]}}  title")
    for r in rows:
        echo(f"{r[0]:<{w[0]}}  {r[1]:<{w[1]}}  {r[2]:<{w[2]}}  {r[3]}")


@indicators_app.command()
def show(
    indicator_id: str = typer.Argument(..., help="Indicator id, e.g. acc.visit_within_x."),
) -> None:
    """Show one definition in full.

    Example: nhvmetrics indicators show anal.complete_remission_6m
    """
    from nhvmetrics.engine.catalogue import definition_text
    from nhvmetrics.engine.definitions import load_definitions
    from nhvmetrics.errors import NhvError

    defs = {d.id: d for d in load_definitions()}
    d = defs.get(indicator_id.strip())
    if d is None:
        near = [i for i in defs if indicator_id.strip().lower() in i]
        hint = (
            f" Did you mean: {', '.join(near[:5])}?"
            if near
            else " Run `nhvmetrics indicators list` for the ids."
        )
        raise NhvError(f"no indicator '{indicator_id}'.{hint}")
    echo(definition_text(d))


@indicators_app.command()
def check(
    paths: list[Path] = typer.Argument(
        None, help="Definition files or folders (default: the shipped ones)."
    ),
) -> None:
    """Load definitions and run their test cases; exit 1 with findings if any fails.

    Checks each file (required fields, known columns, valid conditions, unique ids) and runs
    the test cases written in it. Exit 0: all good; 1: findings (one line each).

    Example: nhvmetrics indicators check indicators/acc/
    """
    from nhvmetrics.engine.definitions import check_files
    from nhvmetrics.engine.testing import run_case
    from nhvmetrics.errors import EXIT_INVALID

    defs, findings = check_files(paths or None)
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
