"""``type: duration`` (also ``type: median``) — the median and quartiles of a value.

Fields: ``value`` (required; e.g. ``days(admission_date, discharge_date)``), ``pending``,
``measures``.  A case whose value is known counts in the denominator (the number of values);
one whose value is missing is ``n_pending`` when ``pending`` is true, else ``n_missing``, and
so is one whose population is unknown.  The
``all`` row (kind median) holds the median in ``value`` and the quartiles in ``q1``/``q3``
(type 7, as :func:`nhvmetrics.engine.stats.hist_quantiles`); each measure is a share row.
``duration`` is a number of days; ``median`` the same for any other measure (mg/L ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
from nhvmetrics.engine.kinds._share import (
    Measure,
    MeasureParts,
    measure_catalogue,
    measure_strata,
    measure_titles,
    parse_measures,
    plan_measures,
)
from nhvmetrics.engine.stats import hist_quantiles

_I64 = pl.Int64


@dataclass(frozen=True)
class DurationSpec(KindSpec):
    value: Parsed
    pending: Parsed | None = None
    measures: tuple[Measure, ...] = ()
    in_days: bool = True  # ``type: duration``; ``type: median`` is a median of another measure

    def expressions(self) -> tuple[Parsed, ...]:
        own = tuple(p for p in (self.value, self.pending) if p is not None)
        return own + tuple(p for m in self.measures for p in m.expressions())


@dataclass(frozen=True, kw_only=True)
class DurationPlan(Plan):
    value: str  # the column holding the value (one of the plan's keys)
    measures: MeasureParts

    def rows(self, m: Margin) -> pl.DataFrame:
        keys = m.keys
        res = m.frame
        q = hist_quantiles(res.filter(pl.col(self.value).is_not_null()), keys, self.value, "den")
        res = res.group_by(keys).agg([pl.col(c).sum() for c in self.sums])
        res2 = res.join(q, on=keys, how="left", nulls_equal=True)
        main = res2.select(
            unit_of(res2),
            m.period_expr(),
            m.label().alias("stratum"),
            pl.lit(None, dtype=_I64).alias("numerator"),
            pl.col("den").cast(_I64).alias("denominator"),
            pl.col("med").alias("value"),
            pl.col("q1"),
            pl.col("q3"),
            pl.col("mis").cast(_I64).alias("n_missing"),
            pl.col("pen").cast(_I64).alias("n_pending"),
            pl.lit("median").alias("kind"),
        )
        return pl.concat([row_frame(main), *self.measures.rows(res, m)], how="vertical")


@register
class Duration(Kind[DurationSpec]):
    name = "duration"
    aliases = ("median",)
    fields = frozenset({"value", "pending", "measures"})

    def parse(self, ctx: ParseContext) -> DurationSpec:
        value = ctx.optional_expr("value")
        if value is None:
            ctx.fail(
                f"a {ctx.type_name} needs a 'value' expression "
                "(e.g. days(referral_date, treatment_start_date))."
            )
        return DurationSpec(
            value=value,
            pending=ctx.optional_expr("pending"),
            measures=parse_measures(ctx),
            in_days=ctx.type_name == "duration",
        )

    def plan(self, spec: DurationSpec, ctx: PlanContext) -> Plan:
        measures = plan_measures(spec.measures, ctx)
        vcol, scol = ctx.name("v"), ctx.name("s")
        unknown = ctx.population_unknown
        v = pl.when(~unknown).then(ctx.compile(spec.value))  # unknown population: no value
        st: Any = pl.when(unknown).then(pl.lit(2, dtype=pl.Int8))
        st = st.when(v.is_not_null()).then(pl.lit(0, dtype=pl.Int8))
        if spec.pending is not None:
            st = st.when(ctx.compile(spec.pending).fill_null(False)).then(pl.lit(3, dtype=pl.Int8))
        st = st.otherwise(pl.lit(2, dtype=pl.Int8))
        return DurationPlan(
            periods=(ctx.own_period(unknown=True),),
            exprs=(*measures.exprs, v.alias(vcol), st.alias(scol)),
            aggs=(
                (pl.col(scol) == 0).sum().cast(_I64).alias("den"),
                (pl.col(scol) == 2).sum().cast(_I64).alias("mis"),
                (pl.col(scol) == 3).sum().cast(_I64).alias("pen"),
                *measures.aggs,
            ),
            keys=(vcol,),
            value=vcol,
            measures=measures,
        )

    def row_kind(self, spec: DurationSpec) -> str:
        return "median"

    def value_axis(self, spec: DurationSpec) -> str:
        return "days" if spec.in_days else "median"

    def sub_strata(self, spec: DurationSpec) -> tuple[tuple[str, str], ...]:
        return measure_strata(spec.measures)

    def stratum_titles(self, spec: DurationSpec) -> tuple[tuple[str, str, str], ...]:
        return measure_titles(spec.measures)

    def type_text(self, type_name: str) -> str:
        if type_name == "duration":
            return "median days with quartiles q1, q3 (n = denominator)"
        return "median with quartiles q1, q3 (n = denominator)"

    def catalogue(self, spec: DurationSpec, value_unit: str | None) -> CatalogueRows:
        unit = f" ({value_unit})" if value_unit else ""
        rule = [("Value", f"`{spec.value.text}`{unit}")]
        if spec.pending is not None:
            rule.append(("Pending (n_pending)", f"`{spec.pending.text}`"))
        return CatalogueRows(rule=tuple(rule), parts=measure_catalogue(spec.measures))
