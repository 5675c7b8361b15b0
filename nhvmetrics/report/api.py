"""One call from inputs to written report files, shared by the CLI and the batch runner."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from nhvmetrics.errors import InputError, NhvError


@dataclass
class Written:
    """What :func:`make_report` wrote, and a few counts for logs and run summaries."""

    outputs: list[Path] = field(default_factory=list)
    rows_read: int = 0
    quarantined: int = 0
    dropped: int = 0
    indicators: int = 0
    suppressed_cells: int = 0
    extract_date: str = ""
    inputs: dict[str, str] = field(default_factory=dict)  # file name -> sha256


def check_area(area: str) -> str:
    """The area in lower case, or a usage error naming the valid ones."""
    from nhvmetrics import AREAS

    a = str(area).strip().lower()
    if a not in AREAS:
        raise NhvError(f"unknown area '{area}'; use one of: {', '.join(AREAS)}.")
    return a


def parse_tables(path: Path, extra: list[str] | None) -> dict[str, Path]:
    """PATH plus ``NAME=PATH`` items -> ``{"cases": PATH, NAME: PATH, ...}``."""
    tables: dict[str, Path] = {"cases": Path(path)}
    for item in extra or []:
        name, sep, p = item.partition("=")
        if not sep or not name.strip() or not p.strip():
            raise NhvError(
                f"--table takes NAME=PATH, got '{item}'; for example --table episodes=ep.csv."
            )
        tables[name.strip().lower()] = Path(p.strip())
    return tables


def parse_date(text: str | dt.date | None, what: str = "--extract-date") -> dt.date | None:
    if text is None or isinstance(text, dt.date):
        return text
    try:
        return dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise NhvError(f"{what} must be a date YYYY-MM-DD, got '{text}'.") from None


def make_report(
    path: Path | str,
    *,
    area: str,
    year: int,
    output: Path | str,
    extract_date: str | dt.date | None = None,
    tables: list[str] | dict[str, Path | str] | None = None,
    unit: str | None = None,
    xlsx: Path | str | None = None,
    lang: str = "sv",
    min_count: int = 5,
    ci_method: str = "wilson",
    validation=None,
) -> Written:
    """Validate, compute and write the HTML report (and the workbook). Returns what it wrote.

    ``tables`` are the extra tables, as ``["episodes=ep.csv", ...]`` or ``{"episodes": path}``.
    Raises :class:`NhvError` (one sentence for the user) on bad arguments or inputs.
    """
    from nhvmetrics.io.atomic import ensure_not_input, write_bytes, write_text
    from nhvmetrics.report.labels import labels

    area = check_area(area)
    labels(lang)  # checks the language
    if min_count < 1:
        raise NhvError("--min-count must be at least 1.")
    if year < 1900 or year > 2200:
        raise NhvError(f"--year must be a calendar year such as 2025, got {year}.")
    ex = parse_date(extract_date)
    if isinstance(tables, dict):
        files = {"cases": Path(path), **{str(k).lower(): Path(v) for k, v in tables.items()}}
    else:
        files = parse_tables(Path(path), tables)
    for name, p in files.items():
        if not p.is_file():
            raise InputError(f"the {name} table {p} does not exist; check the path.")
    output = Path(output)
    if output.suffix.lower() not in (".html", ".htm"):
        raise NhvError(f"-o names the HTML report and must end in .html, got {output.name}.")
    ensure_not_input(output, files.values())
    if xlsx is not None:
        xlsx = Path(xlsx)
        if xlsx.suffix.lower() != ".xlsx":
            raise NhvError(f"--xlsx must name an .xlsx file, got {xlsx.name}.")
        ensure_not_input(xlsx, files.values())
    for target in (output, xlsx):
        if target is not None and not (target.parent if str(target.parent) else Path(".")).is_dir():
            raise NhvError(f"the output folder {target.parent} does not exist; create it first.")

    from nhvmetrics.report.build import build_report_data
    from nhvmetrics.report.html import render_html

    if validation is None:
        from nhvmetrics.schema.validate import validate_export

        validation = validate_export(area, files, ex, contract=False)
    if unit is not None:
        units: set[str] = set()
        for t in validation.tables.values():
            if "unit" in t.accepted.columns:
                units |= {str(u) for u in t.accepted["unit"].drop_nulls().unique().to_list()}
        if unit not in units:
            raise NhvError(
                f"unit '{unit}' has no cases in the export; use one of: "
                f"{', '.join(sorted(units)) or 'none'}."
            )
    data = build_report_data(
        area,
        files,
        year,
        extract_date=ex,
        unit=unit,
        min_count=min_count,
        ci_method=ci_method,
        validation=validation,
    )
    html = render_html(data, lang)
    workbook = None
    if xlsx is not None:
        from nhvmetrics.report.workbook import workbook_bytes

        workbook = workbook_bytes(data, lang)
    write_text(output, html)
    out = [output]
    if workbook is not None:
        write_bytes(xlsx, workbook)
        out.append(xlsx)
    from nhvmetrics.report.present import is_suppressed

    infos = {i.id: i for i in data.indicators}
    return Written(
        outputs=out,
        rows_read=sum(q.rows_read for q in data.quality),
        quarantined=sum(q.quarantined for q in data.quality),
        dropped=sum(q.dropped_total for q in data.quality),
        indicators=len(data.indicators),
        suppressed_cells=sum(
            1
            for r in data.rows
            if r.period == data.year
            and r.indicator_id in infos
            and is_suppressed(r, infos[r.indicator_id], data.min_count)
        ),
        extract_date=data.provenance.extract_date.isoformat(),
        inputs={q.file_name: q.sha256 for q in data.quality},
    )
