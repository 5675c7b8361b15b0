"""Options and helpers shared by several commands."""

from __future__ import annotations

from pathlib import Path

import typer

from nhvmetrics import AREAS
from nhvmetrics.errors import NhvError


def check_area(area: str) -> str:
    """Return the area in lower case, or fail with a usage error naming the valid ones."""
    a = area.strip().lower()
    if a not in AREAS:
        raise NhvError(f"unknown area '{area}'; use one of: {', '.join(AREAS)}.")
    return a


def parse_tables(path: Path, extra: list[str] | None) -> dict[str, Path]:
    """Turn PATH plus ``--table NAME=PATH`` options into ``{"cases": PATH, NAME: PATH, ...}``."""
    tables: dict[str, Path] = {"cases": path}
    for item in extra or []:
        name, sep, p = item.partition("=")
        if not sep or not name.strip() or not p.strip():
            raise NhvError(
                f"--table takes NAME=PATH, got '{item}'; for example --table episodes=ep.csv."
            )
        tables[name.strip().lower()] = Path(p.strip())
    return tables


AREA_OPT = typer.Option(..., "--area", "-a", help="Registry area: acc, net, anal or pelvic.")
TABLE_OPT = typer.Option(
    None,
    "--table",
    help="Extra table of the export as NAME=PATH (e.g. episodes=ep.csv); repeatable.",
)
