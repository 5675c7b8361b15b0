"""Strata the engine derives itself (not columns of any export): age bands.

A definition may name ``age_band`` as a stratifier, or as the category of a distribution; it is
the completed age at the indicator's period date, from ``birth_date``, in the bands below.  Every
other stratifier is a canonical column of the definition's table (see :mod:`nhvmetrics.contract`).
"""

from __future__ import annotations

import polars as pl

#: stratifiers the engine derives, and the column each is derived from
DERIVED_STRATIFIERS: dict[str, str] = {"age_band": "birth_date"}

#: lower bounds of the age bands (completed years at the period date): 0-39, 40-49, ..., 80+
AGE_BAND_LOWER = (0, 40, 50, 60, 70, 80)


def age_band_labels() -> list[str]:
    out = []
    for i, lo in enumerate(AGE_BAND_LOWER):
        hi = AGE_BAND_LOWER[i + 1] - 1 if i + 1 < len(AGE_BAND_LOWER) else None
        out.append(f"{lo}-{hi}" if hi is not None else f"{lo}+")
    return out


def age_band_column(period_date: str) -> str:
    """The engine's column holding the age band at ``period_date`` (an Int8 band index)."""
    return f"__ab_{period_date}"


def is_age_band_column(name: str | None) -> bool:
    return bool(name) and str(name).startswith("__ab_")


def band_index(ymd_birth: pl.Expr, ymd_at: pl.Expr) -> pl.Expr:
    """Index into AGE_BAND_LOWER of the completed age (null if unknown or negative), from
    dates as YYYYMMDD integers."""
    age = (ymd_at - ymd_birth) // 10000
    idx = pl.lit(0, dtype=pl.Int8)
    for lo in AGE_BAND_LOWER[1:]:
        idx = idx + (age >= lo).cast(pl.Int8)
    return pl.when(age >= 0).then(idx)


def band_label(e: pl.Expr) -> pl.Expr:
    """A band index as its label (``60-69``), keeping the column's name."""
    labels = dict(enumerate(age_band_labels()))
    name = e.meta.output_name()
    return e.replace_strict(labels, default=None, return_dtype=pl.String).alias(name)
