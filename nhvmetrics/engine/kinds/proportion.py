"""``type: proportion`` — the share of cases that meet the numerator.

Fields: ``numerator`` (required), ``pending``, ``missing``, ``measures``.  Each case of the
population is counted once, as :mod:`~nhvmetrics.engine.kinds._share` says: numerator,
pending, missing or denominator only.  One row ``all`` (kind proportion) and one per measure.
The population is folded into the status column, so every proportion over the same period date
shares one pass over the table.
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
)
from nhvmetrics.engine.kinds import register
from nhvmetrics.engine.kinds._share import (
    Measure,
    MeasureParts,
    measure_catalogue,
    measure_strata,
    measure_titles,
    parse_measures,
    plan_measures,
    share_aggs,
    share_rows,
    status,
)


@dataclass(frozen=True)
class ProportionSpec(KindSpec):
    numerator: Parsed
    missing: Parsed | None = None
    pending: Parsed | None = None
    measures: tuple[Measure, ...] = ()

    def expressions(self) -> tuple[Parsed, ...]:
        own = tuple(p for p in (self.numerator, self.missing, self.pending) if p is not None)
        return own + tuple(p for m in self.measures for p in m.expressions())


@dataclass(frozen=True, kw_only=True)
class ProportionPlan(Plan):
    measures: MeasureParts

    def rows(self, m: Margin) -> pl.DataFrame:
        return pl.concat(
            [share_rows(m.frame, m, "a_"), *self.measures.rows(m.frame, m)], how="vertical"
        )


@register
class Proportion(Kind[ProportionSpec]):
    name = "proportion"
    fields = frozenset({"numerator", "missing", "pending", "measures"})
    share_targets = True

    def parse(self, ctx: ParseContext) -> ProportionSpec:
        numerator = ctx.optional_expr("numerator")
        if numerator is None:
            ctx.fail("a proportion needs a 'numerator' condition.")
        missing = ctx.optional_expr("missing")
        pending = ctx.optional_expr("pending")
        return ProportionSpec(numerator, missing, pending, parse_measures(ctx))

    def plan(self, spec: ProportionSpec, ctx: PlanContext) -> Plan:
        measures = plan_measures(spec.measures, ctx)
        col = ctx.name("s")
        own = (
            pl.when(ctx.population)
            .then(status(ctx, spec.numerator, spec.missing, spec.pending))
            .when(ctx.population_unknown)
            .then(pl.lit(2, dtype=pl.Int8))
        )
        return ProportionPlan(
            periods=(ctx.shared_period(),),
            exprs=(*measures.exprs, own.alias(col)),
            aggs=(*share_aggs(col, "a_"), *measures.aggs),
            measures=measures,
        )

    def row_kind(self, spec: ProportionSpec) -> str:
        return "proportion"

    def sub_strata(self, spec: ProportionSpec) -> tuple[tuple[str, str], ...]:
        return measure_strata(spec.measures)

    def stratum_titles(self, spec: ProportionSpec) -> tuple[tuple[str, str, str], ...]:
        return measure_titles(spec.measures)

    def type_text(self, type_name: str) -> str:
        return "share in 0-1 with a 95 % confidence interval"

    def catalogue(self, spec: ProportionSpec, value_unit: str | None) -> CatalogueRows:
        rule = [("Numerator", f"`{spec.numerator.text}`")]
        if spec.pending is not None:
            rule.append(("Pending (n_pending)", f"`{spec.pending.text}`"))
        if spec.missing is not None:
            rule.append(("Missing (n_missing)", f"`{spec.missing.text}`"))
        return CatalogueRows(rule=tuple(rule), parts=measure_catalogue(spec.measures))
