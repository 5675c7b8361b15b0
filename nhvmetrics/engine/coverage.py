"""Expected case counts from an external source, for ``<area>.registry_coverage``.

Registry coverage (*täckningsgrad*, SKL 2013: "antal patienter uppföljda i register") is the
number of cases registered in year Y divided by the number expected from a source outside the
register, usually the national cancer register (Cancerregistret) or the unit's own patient
administration.  nhvmetrics cannot know that number, so the region gives it as a small CSV::

    area,year,unit,expected
    acc,2025,11001,14
    acc,2025,ALL,47

One line per area, year and unit (the hospital code as in the export, leading zeros kept; ``ALL``
for all units together).  :func:`read_coverage` reads and checks such a file and
:func:`check_coverage` a frame of that shape; ``compute_area(..., coverage=frame)`` takes the
result.  Without it the indicator is *not computable*.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from nhvmetrics.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    import polars as pl

#: the columns of a coverage file, in order
COVERAGE_COLUMNS = ("area", "year", "unit", "expected")
_WHOLE = re.compile(r"^\+?\d+$")
_YEARS = (1900, 2200)


def read_coverage(path: Path | str) -> pl.DataFrame:
    """Read a coverage CSV (``area,year,unit,expected``; comma or semicolon, UTF-8 or
    Windows-1252) into a frame with ``area`` and ``unit`` as text, ``year`` and ``expected``
    as whole numbers.  Raises :class:`~nhvmetrics.errors.InputError` (exit 2) with one sentence
    naming the file, the line and what to fix, at the first problem."""
    import polars as pl

    from nhvmetrics.io.readers import read_csv

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such coverage file; give the CSV with the expected counts.")
    try:
        raw = read_csv(path).frame
    except OSError as exc:
        raise InputError(f"{path}: cannot read the coverage file ({exc.strerror}).") from None
    cols = {c.strip().lower(): c for c in raw.columns if c != "_row"}
    header = ",".join(COVERAGE_COLUMNS)
    for c in COVERAGE_COLUMNS:
        if c not in cols:
            raise InputError(
                f"{path.name}: column '{c}' is missing; a coverage file has the header {header}."
            )
    extra = sorted(set(cols) - set(COVERAGE_COLUMNS))
    if extra:
        raise InputError(
            f"{path.name}: unknown column '{extra[0]}'; a coverage file has the header {header}."
        )
    if raw.height == 0:
        raise InputError(
            f"{path.name}: no lines after the header; add one line per area, year "
            "and unit with the expected number of cases."
        )
    area, year, unit, expected = ([], [], [], [])
    for r in raw.iter_rows(named=True):
        line = r["_row"]
        vals = {c: (r[cols[c]] or "").strip() for c in COVERAGE_COLUMNS}
        where = f"{path.name}, line {line}"
        for c in COVERAGE_COLUMNS:
            if not vals[c]:
                raise InputError(f"{where}: '{c}' is empty; fill it in or delete the line.")
        if not _WHOLE.match(vals["year"]) or not _YEARS[0] <= int(vals["year"]) <= _YEARS[1]:
            raise InputError(f"{where}: year '{vals['year']}' is not a year such as 2025.")
        if not _WHOLE.match(vals["expected"]):
            raise InputError(
                f"{where}: expected '{vals['expected']}' is not a whole number of cases "
                "(0 or more)."
            )
        area.append(vals["area"].lower())
        year.append(int(vals["year"]))
        unit.append("ALL" if vals["unit"].upper() == "ALL" else vals["unit"])
        expected.append(int(vals["expected"]))
    frame = pl.DataFrame(
        {"area": area, "year": year, "unit": unit, "expected": expected},
        schema={"area": pl.String, "year": pl.Int64, "unit": pl.String, "expected": pl.Int64},
    )
    dup = _first_duplicate(frame)
    if dup is not None:
        a, y, u = dup
        raise InputError(
            f"{path.name}: area {a}, year {y}, unit {u} is given twice; keep one line for it."
        )
    return frame


def check_coverage(frame: pl.DataFrame) -> pl.DataFrame:
    """A coverage frame checked and typed (``area``, ``unit`` text; ``year``, ``expected``
    whole numbers, at least 0; one line per area, year and unit).  Raises
    :class:`~nhvmetrics.errors.InputError` with one sentence."""
    import polars as pl

    missing = [c for c in COVERAGE_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(
            f"the coverage table has no column '{missing[0]}'; it needs "
            f"{', '.join(COVERAGE_COLUMNS)} (nhvmetrics.engine.coverage.read_coverage reads it)."
        )
    try:
        out = frame.select(
            pl.col("area").cast(pl.String).str.to_lowercase(),
            pl.col("year").cast(pl.Int64, strict=True),
            pl.col("unit").cast(pl.String),
            pl.col("expected").cast(pl.Int64, strict=True),
        )
    except (pl.exceptions.InvalidOperationError, pl.exceptions.ComputeError):
        raise InputError(
            "the coverage table's year and expected columns must hold whole numbers."
        ) from None
    for c in COVERAGE_COLUMNS:
        if out[c].null_count():
            raise InputError(f"the coverage table has an empty '{c}'; every line needs all four.")
    if (out["expected"] < 0).any():
        raise InputError("the coverage table has a negative expected count; give 0 or more.")
    dup = _first_duplicate(out)
    if dup is not None:
        raise InputError(
            f"the coverage table gives area {dup[0]}, year {dup[1]}, unit {dup[2]} twice; "
            "keep one line for it."
        )
    return out


def _first_duplicate(frame: pl.DataFrame) -> tuple[str, int, str] | None:
    import polars as pl

    d = frame.filter(pl.struct("area", "year", "unit").is_duplicated())
    if d.height == 0:
        return None
    r = d.row(0, named=True)
    return r["area"], r["year"], r["unit"]
