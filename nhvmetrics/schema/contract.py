"""Compile an area schema into a pandera (polars backend) ``DataFrameSchema``.

The row findings come from the vectorised checks in :mod:`nhvmetrics.schema.checks` (memory stays
bounded when every row fails).  The pandera schema is the *contract* of the accepted frame that the
engine receives: canonical dtypes, code lists and ranges.  :func:`check_contract` runs it once
per table on all its accepted rows (a file read in batches included: pandera's cost is mostly per
call); a failure there is a bug in nhvmetrics, not a data error.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from nhvmetrics.schema.model import TableSpec, load_schema
from nhvmetrics.schema.normalize import POLARS_TYPES

# compiled schemas per table spec (the spec is kept, so its id is never reused)
_COMPILED: dict[int, tuple[TableSpec, Any]] = {}


def to_pandera(area: str, table: str = "cases"):
    """The pandera ``DataFrameSchema`` of a table's canonical (accepted) frame.

    ``area`` is a shipped area's name or an area folder.  Columns are optional (an export may
    lack them) and nullable; ``_row`` is Int64; other columns are not allowed.
    """
    schema = load_schema(area)
    return _compiled(schema.area, schema.table(table))


def _compiled(area: str, spec: TableSpec):
    hit = _COMPILED.get(id(spec))
    if hit is None or hit[0] is not spec:
        hit = (spec, _compile(area, spec))
        _COMPILED[id(spec)] = hit
    return hit[1]


def _compile(area: str, spec: TableSpec):
    import pandera.polars as pa

    columns = {"_row": pa.Column(pl.Int64, nullable=False, required=False)}
    for c in spec.columns.values():
        checks = []
        if c.codes is not None:
            checks.append(pa.Check.isin(list(c.codes)))
        if c.range is not None:
            lo, hi = c.range
            if lo is not None and hi is not None:
                checks.append(pa.Check.in_range(lo, hi))
            elif lo is not None:
                checks.append(pa.Check.ge(lo))
            elif hi is not None:
                checks.append(pa.Check.le(hi))
        columns[c.name] = pa.Column(
            POLARS_TYPES[c.type], checks=checks, nullable=True, required=False
        )
    return pa.DataFrameSchema(columns, strict=True, name=f"{area}.{spec.name}")


def check_contract(area: str, spec: TableSpec, frame: pl.DataFrame) -> None:
    """Validate an accepted frame against its pandera contract; raise RuntimeError on a breach."""
    import pandera.errors as pe

    schema = _compiled(area, spec)
    try:
        schema.validate(frame, lazy=True)
    except (pe.SchemaErrors, pe.SchemaError) as exc:  # pragma: no cover - a bug, not a data error
        raise RuntimeError(
            f"internal error: accepted {area}.{spec.name} rows break the schema contract: {exc}"
        ) from None
