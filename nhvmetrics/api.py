"""The Python API: the commands as functions, for analysts in notebooks and for scripts.

    >>> import nhvmetrics
    >>> computed = nhvmetrics.compute("acc_cases.csv", area="acc", year=2025)
    >>> computed.table.filter(computed.table["unit"] == "ALL")

Each function takes the same settings as the command of the same name (as keyword arguments,
checked the same way: a wrong value is an :class:`nhvmetrics.errors.NhvError` with the
command's sentence) and returns the pipeline's typed stage result
(:class:`~nhvmetrics.pipeline.Validated`, :class:`~nhvmetrics.pipeline.Computed`,
:class:`~nhvmetrics.pipeline.Rendered`). Nothing is written unless a function is asked to write.
``problems`` on a result lists what the command would exit 1 for. See docs/python-api.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nhvmetrics import pipeline
from nhvmetrics.pipeline import Computed, Rendered, RunOptions, Validated

__all__ = ["compute", "options", "report", "run", "validate"]


def options(
    path: Path | str,
    *,
    area: str,
    tables: Mapping[str, Path | str] | None = None,
    year: int | None = None,
    extract_date: str | dt.date | None = None,
    **settings: Any,
) -> RunOptions:
    """The :class:`RunOptions` of a run: the case table ``path``, the other ``tables``
    (``{"episodes": path, ...}``) and any setting of RunOptions (``unit``, ``ci_method``,
    ``min_count``, ``lang``, ``max_quarantined`` …)."""
    return RunOptions(
        tables=pipeline.parse_tables(path, tables or {}),
        year=year,
        extract_date=pipeline.parse_date(extract_date),
        area=pipeline.known_area(area),  # after the options above, which are checked first
        **settings,
    )


def validate(
    path: Path | str,
    *,
    area: str,
    tables: Mapping[str, Path | str] | None = None,
    extract_date: str | dt.date | None = None,
    mapping: Path | str | None = None,
) -> Validated:
    """Read and check an export, as ``nhvmetrics validate``: ``.result`` holds the counts per
    table, the accepted frames and the findings (personnummer masked when written out);
    ``mapping`` is the register's mapping profile (docs/mapping.md)."""
    opts = options(path, area=area, tables=tables, extract_date=extract_date, mapping=mapping)
    return pipeline.validate(opts, pipeline.Purpose.CHECK)


def compute(
    path: Path | str,
    *,
    area: str,
    year: int,
    tables: Mapping[str, Path | str] | None = None,
    extract_date: str | dt.date | None = None,
    **settings: Any,
) -> Computed:
    """Every indicator of the area for ``year`` (and earlier years), as ``nhvmetrics compute``:
    ``.table`` is the indicator table (a polars DataFrame)."""
    opts = options(path, area=area, tables=tables, year=year, extract_date=extract_date, **settings)
    return pipeline.compute(opts)


def report(
    path: Path | str,
    *,
    area: str,
    year: int,
    tables: Mapping[str, Path | str] | None = None,
    extract_date: str | dt.date | None = None,
    html: Path | str | None = None,
    xlsx: Path | str | None = None,
    **settings: Any,
) -> Rendered:
    """The annual report, as ``nhvmetrics report``: ``.data`` (what the report shows), ``.html``
    and, with ``xlsx``, ``.workbook``; written to ``html`` / ``xlsx`` when they are given."""
    opts = options(path, area=area, tables=tables, year=year, extract_date=extract_date, **settings)
    outputs = {
        "html": (Path(html) if html is not None else None, (".html", ".htm")),
        "xlsx": (Path(xlsx) if xlsx is not None else None, (".xlsx",)),
    }
    pipeline.check_outputs(opts, outputs)
    rendered = pipeline.render(opts, workbook=xlsx is not None)
    if html is not None:
        pipeline.write_report(rendered, Path(html), Path(xlsx) if xlsx is not None else None)
    elif xlsx is not None and rendered.workbook is not None:
        from nhvmetrics.io.atomic import write_bytes

        write_bytes(Path(xlsx), rendered.workbook)
    return rendered


#: the whole pipeline, read → render (``nhvmetrics.run``): :func:`report` under a name that does
#: not clash with the ``nhvmetrics.report`` package
run = report
