"""``type: distribution`` — how the cases spread over the values of a category.

Fields: ``category`` (required: a column of the table, or ``age_band``), ``value`` (optional),
``distinct`` (optional: a column such as ``patient_id`` whose values count once each per row,
with the smallest value: for an age, the patient's first case).
One row per category value (``referring_region=12``, kind distribution) with its count and its
share of the cases whose category is known; the ``all`` row holds the total (kind count, the
cases with no category in ``n_missing``), or, with a ``value``, the median and quartiles of the
value (kind median, as for age).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from nhvmetrics.engine.expr import Parsed
from nhvmetrics.engine.kind import (
    CatalogueRows,
    Kind,
    KindSpec,
    Margin,
    ParseContext,
    Plan,
    PlanContext,
    row_frame,
    unit_of,
)
from nhvmetrics.engine.kinds import register
from nhvmetrics.engine.stats import hist_quantiles
from nhvmetrics.engine.strata import DERIVED_STRATIFIERS, band_label

_I64 = pl.Int64


@dataclass(frozen=True)
class DistributionSpec(KindSpec):
    category: str
    value: Parsed | None = None
    distinct: str | None = None  # each value of this column (patient_id) counts once

    def expressions(self) -> tuple[Parsed, ...]:
        return () if self.value is None else (self.value,)

    def columns(self) -> frozenset[str]:
        source = DERIVED_STRATIFIERS.get(self.category, self.category)
        return super().columns() | {source} | ({self.distinct} if self.distinct else set())

    def distinct_columns(self) -> frozenset[str]:
        return frozenset({self.distinct} if self.distinct else ())

    def derived(self) -> frozenset[str]:
        return frozenset({self.category} & set(DERIVED_STRATIFIERS))


@dataclass(frozen=True, kw_only=True)
class DistributionPlan(Plan):
    name: str  # the category's name, as the stratum says it
    category: str  # the column holding the category
    value: str | None  # the column holding the value, if any
    is_band: bool  # the category is an age band index
    distinct: str | None = None  # the column of distinct ids (each counts once per margin)

    def rows(self, m: Margin) -> pl.DataFrame:
        keys = m.keys
        res = m.frame
        ccol, vcol = self.category, self.value
        if self.distinct is not None:
            # one row per patient: the one with the smallest value (for age: the first case)
            order = [*keys, self.distinct, *([vcol] if vcol else []), ccol]
            res = (
                res.sort(order, nulls_last=True)
                .group_by([*keys, self.distinct], maintain_order=True)
                .first()
                .with_columns(pl.lit(1, dtype=_I64).alias("n"))
                .drop(self.distinct)
            )
        med = None
        if vcol is not None:
            vals = res.group_by([*keys, vcol]).agg(pl.col("n").sum())
            med = hist_quantiles(vals.filter(pl.col(vcol).is_not_null()), keys, vcol, "n").join(
                vals.group_by(keys).agg(
                    pl.col("n").filter(pl.col(vcol).is_null()).sum().alias("vmis")
                ),
                on=keys,
                how="right",
                nulls_equal=True,
            )
            res = res.group_by([*keys, ccol]).agg(pl.col("n").sum())
        if self.is_band:
            res = res.with_columns(band_label(pl.col(ccol)))
        tot = res.group_by(keys).agg(
            pl.col("n").filter(pl.col(ccol).is_not_null()).sum().cast(_I64).alias("den"),
            pl.col("n").filter(pl.col(ccol).is_null()).sum().cast(_I64).alias("mis"),
        )
        cats = res.filter(pl.col(ccol).is_not_null()).join(
            tot, on=keys, how="left", nulls_equal=True
        )
        if med is not None:
            t2 = tot.join(med, on=keys, how="left", nulls_equal=True)
            main = t2.select(
                unit_of(t2),
                m.period_expr(),
                m.label().alias("stratum"),
                pl.col("vn").fill_null(0).cast(_I64).alias("denominator"),
                pl.col("med").alias("value"),
                pl.col("q1"),
                pl.col("q3"),
                pl.col("vmis").cast(_I64).alias("n_missing"),
                pl.lit(0, dtype=_I64).alias("n_pending"),
                pl.lit("median").alias("kind"),
            )
        else:
            main = tot.select(
                unit_of(tot),
                m.period_expr(),
                m.label().alias("stratum"),
                pl.col("den").cast(_I64).alias("numerator"),
                pl.col("den").cast(pl.Float64).alias("value"),
                pl.col("mis").cast(_I64).alias("n_missing"),
                pl.lit(0, dtype=_I64).alias("n_pending"),
                pl.lit("count").alias("kind"),
            )
        catlabel = pl.format("{}={}", pl.lit(self.name), pl.col(ccol).cast(pl.String))
        lab = (
            catlabel
            if m.stratifier is None
            else pl.concat_str([m.label(), catlabel], separator=";")
        )
        cr = cats.select(
            unit_of(cats),
            m.period_expr(),
            lab.alias("stratum"),
            pl.col("n").cast(_I64).alias("numerator"),
            pl.col("den").cast(_I64).alias("denominator"),
            (pl.col("n") / pl.col("den")).alias("value"),
            pl.lit(0, dtype=_I64).alias("n_missing"),
            pl.lit(0, dtype=_I64).alias("n_pending"),
            pl.lit("distribution").alias("kind"),
        )
        return pl.concat([row_frame(main), row_frame(cr)], how="vertical")


@register
class Distribution(Kind[DistributionSpec]):
    name = "distribution"
    fields = frozenset({"category", "value", "distinct"})

    def parse(self, ctx: ParseContext) -> DistributionSpec:
        category = ctx.raw.get("category")
        if not category or category not in ctx.stratifier_columns:
            ctx.fail(
                f"a distribution needs 'category': a column of table '{ctx.table}' or age_band."
            )
        value = ctx.optional_expr("value")
        distinct = ctx.raw.get("distinct")
        if distinct not in (None, ""):
            if not isinstance(distinct, str) or distinct not in ctx.columns:
                ctx.fail(f"distinct: '{distinct}' is not a column of table '{ctx.table}'.")
            if value is None:
                ctx.fail("distinct: each patient counts with the smallest 'value', so give one.")
        else:
            distinct = None
        return DistributionSpec(category=str(category), value=value, distinct=distinct)

    def plan(self, spec: DistributionSpec, ctx: PlanContext) -> Plan:
        ccol, vcol = ctx.name("c"), ctx.name("v")
        known = ~ctx.population_unknown  # unknown population: no category, no value (missing)
        if spec.category in DERIVED_STRATIFIERS:
            exprs = [pl.when(known).then(pl.col(ctx.age_band_column)).alias(ccol)]
        else:
            exprs = [pl.when(known).then(pl.col(spec.category).cast(pl.String)).alias(ccol)]
        has_value = spec.value is not None
        if spec.value is not None:
            exprs.append(pl.when(known).then(ctx.compile(spec.value)).alias(vcol))
        keys = (ccol, vcol) if has_value else (ccol,)
        dcol = None
        if spec.distinct is not None:
            dcol = ctx.name("k")
            exprs.append(pl.col(spec.distinct).alias(dcol))
            keys = (*keys, dcol)
        return DistributionPlan(
            periods=(ctx.own_period(unknown=True),),
            exprs=tuple(exprs),
            aggs=(pl.len().cast(_I64).alias("n"),),
            keys=keys,
            name=spec.category,
            category=ccol,
            value=vcol if has_value else None,
            is_band=spec.category in DERIVED_STRATIFIERS,
            distinct=dcol,
        )

    def row_kind(self, spec: DistributionSpec) -> str:
        return "median" if spec.value is not None else "count"

    def type_text(self, type_name: str) -> str:
        return (
            "one row per category (share of the total); the all row holds the total "
            "(or the median and quartiles of the value)"
        )

    def catalogue(self, spec: DistributionSpec, value_unit: str | None) -> CatalogueRows:
        rule = []
        if spec.value is not None:
            unit = f" ({value_unit})" if value_unit else ""
            rule.append(("Value", f"`{spec.value.text}`{unit}"))
        rule.append(("Category", f"`{spec.category}`"))
        if spec.distinct:
            rule.append(
                (
                    "Counts",
                    f"each `{spec.distinct}` once, with its smallest value (for an age: the "
                    "first case)",
                )
            )
        return CatalogueRows(rule=tuple(rule))
