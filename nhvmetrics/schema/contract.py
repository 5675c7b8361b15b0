"""Compile an area schema into a pandera (polars backend) ``DataFrameSchema``.

The row findings come from the vectorised checks in :mod:`nhvmetrics.schema.checks` (memory stays
bounded when every row fails).  The pandera schema is the *contract* of the accepted frame that the
engine receives: canonical dtypes, code lists and ranges.  :func:`check_contract` runs it on every
accepted frame; a failure there is a bug in nhvmetrics, not a data error.
"""

from __future__ import annotations

from functools import cache

import polars as pl

from nhvmetrics.schema.model import TableSpec, load_schema
from nhvmetrics.schema.normalize import POLARS_TYPES


@cache
def to_pandera(area: str, table: str = "cases"):
    """The pandera ``DataFrameSchema`` of a table's canonical (accepted) frame.

    Columns are optional (an export may lack them) and nullable; ``_row`` is Int64; other
    columns are not allowed.
    """
    return _compile(area, load_schema(area).table(table))


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

    schema = to_pandera(area, spec.name)
    try:
        schema.validate(frame, lazy=True)
    except (pe.SchemaErrors, pe.SchemaError) as exc:  # pragma: no cover - a bug, not a data error
        raise RuntimeError(
            f"internal error: accepted {area}.{spec.name} rows break the schema contract: {exc}"
        ) from None
