"""``type: coverage`` — registry coverage: cases registered over cases expected.

No fields of its own.  The numerator is the number of cases of the population whose period
date falls in the year (cases registered in Y); the denominator is the expected number of cases
for that area, year and unit from an external source (the national cancer register ...), given
to the run as a frame ``area, year, unit, expected`` (``compute_area(..., coverage=...)``,
:mod:`nhvmetrics.engine.coverage`).  ``value`` = registered / expected (it can exceed 1 when
more cases are registered than expected; the interval is then not defined).  The ``ALL`` row
takes the line with unit ``ALL`` when the file has one, else the sum of the lines of the units
in the export.  A unit or year without a line has no value (the denominator is empty).  Without
expected counts the indicator is not computable.

The row is a share (kind proportion) whose numerator counts patients against a denominator that
does not, so suppression looks at the numerator too (a coverage of 2 of 40 expected would give
the 2 away).  No strata: the expected counts are per unit.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from nhvmetrics.engine.kind import (
    ALL,
    Kind,
    KindSpec,
    Margin,
    ParseContext,
    Plan,
    PlanContext,
    row_frame,
)
from nhvmetrics.engine.kinds import register

_I64 = pl.Int64


@dataclass(frozen=True)
class CoverageSpec(KindSpec):
    pass


@dataclass(frozen=True, kw_only=True)
class CoveragePlan(Plan):
    expected: pl.DataFrame  # unit, period, expected (this area's lines)
    units: tuple[str, ...]  # the units of the export

    def rows(self, m: Margin) -> pl.DataFrame:
        res = m.frame.select(
            *(["unit"] if "unit" in m.frame.columns else []),
            m.period_expr(),
            pl.col("n").cast(_I64),
            pl.col("mis").cast(_I64),
        )
        exp = self.expected
        if "unit" in res.columns:
            lines = exp.filter(pl.col("unit").is_in(list(self.units)))
            grid = lines.select("unit", "period").unique()
            res = (
                pl.concat([res.select("unit", "period"), grid], how="vertical")
                .unique()
                .join(res, on=["unit", "period"], how="left")
                .join(lines, on=["unit", "period"], how="left")
            )
        else:
            national = exp.filter(pl.col("unit") == ALL).select("period", "expected")
            summed = (
                exp.filter(pl.col("unit").is_in(list(self.units)))
                .group_by("period")
                .agg(pl.col("expected").sum())
            )
            best = pl.concat(
                [national, summed.join(national, on="period", how="anti")], how="vertical"
            )
            res = (
                pl.concat([res.select("period"), best.select("period")], how="vertical")
                .unique()
                .join(res, on="period", how="left")
                .join(best, on="period", how="left")
                .with_columns(pl.lit(ALL).alias("unit"))
            )
        num = pl.col("n").fill_null(0)
        den = pl.col("expected")
        return row_frame(
            res.select(
                pl.col("unit"),
                pl.col("period"),
                m.label().alias("stratum"),
                num.alias("numerator"),
                den.alias("denominator"),
                pl.when(den > 0).then(num / den).alias("value"),
                pl.col("mis").fill_null(0).alias("n_missing"),
                pl.lit(0, dtype=_I64).alias("n_pending"),
                pl.lit("proportion").alias("kind"),
            )
        )


@register
class Coverage(Kind[CoverageSpec]):
    name = "coverage"
    share_targets = True
    suppress_on_numerator = True

    def parse(self, ctx: ParseContext) -> CoverageSpec:
        if ctx.raw.get("stratifiers"):
            ctx.fail("a coverage has no stratifiers: the expected counts are given per unit.")
        return CoverageSpec()

    def needs_inputs(self, spec: CoverageSpec) -> tuple[str, ...]:
        return ("coverage",)

    def plan(self, spec: CoverageSpec, ctx: PlanContext) -> Plan:
        d = ctx.definition
        cov = ctx.inputs.get("coverage")
        expected = (
            cov.filter(pl.col("area") == d.area).select(
                pl.col("unit"),
                (pl.col("year") + 0).cast(_I64).alias("period"),
                pl.col("expected").cast(_I64),
            )
            if cov is not None
            else pl.DataFrame(schema={"unit": pl.String, "period": _I64, "expected": _I64})
        )
        n = ctx.population.sum() if ctx.has_population else pl.len()
        return CoveragePlan(
            periods=(ctx.shared_period(),),
            aggs=(n.cast(_I64).alias("n"), ctx.population_unknown.sum().cast(_I64).alias("mis")),
            expected=expected,
            units=tuple(ctx.inputs.get("units", ())),
        )

    def row_kind(self, spec: CoverageSpec) -> str:
        return "proportion"

    def type_text(self, type_name: str) -> str:
        return (
            "registered cases (numerator) over the expected number from an external source "
            "(denominator; a coverage CSV area,year,unit,expected); value may exceed 1"
        )
