"""The canonical contract of an area: its tables, their columns and the columns' types.

Read once from the area schema (``schemas/common.yaml`` + ``schemas/<area>.yaml``, parsed by
:func:`nhvmetrics.schema.model.load_schema`), never kept by hand a second time.  The indicator
engine takes column names and types from here: the definition loader checks that a condition
names a column of its table, ``compute`` checks and widens the types of the frames it is given,
and a definition's test rows are typed with it.

    >>> load_contract("acc").dtypes("cases")["referral_date"]
    Date
    >>> polars_types("anal")["prem"]["q1"]
    Int64

An area given as a folder (a region's own) has its contract too:
``resolve_area("regions/lung").contract()`` (:mod:`nhvmetrics.areas`), or
:func:`contract_from_schema` over a schema loaded by hand; the engine takes either an
:class:`~nhvmetrics.areas.Area` or that contract as an input.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nhvmetrics.areas import Area
    from nhvmetrics.schema.model import AreaSchema

#: schema type name (``schemas/*.yaml``) -> name of the polars type of the canonical frame
POLARS_TYPE_NAMES: Mapping[str, str] = {
    "string": "String",
    "int": "Int64",
    "float": "Float64",
    "date": "Date",
    "bool": "Boolean",
}


@dataclass(frozen=True)
class Contract:
    """The canonical columns of one area, table by table, in the schema's order.

    ``tables`` maps a table name to ``{column: schema type}`` (``string``, ``int``, ``float``,
    ``date``, ``bool``).
    """

    area: str
    tables: Mapping[str, Mapping[str, str]]

    def columns(self, table: str = "cases") -> Mapping[str, str]:
        """Column -> schema type of one table (empty for a table the area does not have)."""
        return self.tables.get(table, {})

    def has_table(self, table: str) -> bool:
        return table in self.tables

    def is_date(self, table: str, column: str) -> bool:
        return self.columns(table).get(column) == "date"

    def dtypes(self, table: str = "cases") -> dict[str, Any]:
        """Column -> polars type of one table's canonical frame (empty for an unknown table)."""
        import polars as pl

        return {c: getattr(pl, POLARS_TYPE_NAMES[t]) for c, t in self.columns(table).items()}

    def polars(self) -> dict[str, dict[str, Any]]:
        """``{table: {column: polars type}}`` for every table of the area."""
        return {table: self.dtypes(table) for table in self.tables}


def contract_from_schema(schema: AreaSchema) -> Contract:
    """The contract of a loaded area schema."""
    return Contract(
        area=schema.area,
        tables={
            name: {c.name: c.type for c in spec.columns.values()}
            for name, spec in schema.tables.items()
        },
    )


def load_contract(area: str | Path | Area) -> Contract:
    """The contract of an area: a shipped name, an area folder or an Area (read once per
    process; :class:`~nhvmetrics.errors.NhvError` for an unknown area,
    :class:`~nhvmetrics.errors.DefinitionError` for a broken schema file)."""
    from nhvmetrics.areas import resolve_area

    return resolve_area(area).contract()


def polars_types(area: str | Path | Area) -> dict[str, dict[str, Any]]:
    """``{table: {column: polars type}}`` of an area."""
    return load_contract(area).polars()
