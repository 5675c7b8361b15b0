"""``type: survival`` — Kaplan–Meier survival at a horizon.

Fields: ``time_origin`` (a date column; default the period date), ``event`` (required: the
date column of the event, e.g. ``death_date``), ``censor`` (an expression; default the extract
date), and a parameter ``horizon_days``.  Time runs from the origin to the event, or to
censoring at ``censor`` (never after the extract date); a case with no usable time (unknown
origin, or a time before the origin) is ``n_missing``.  The row (kind survival) holds the
estimate at the horizon with its log-log interval; ``numerator`` = events up to the horizon,
``denominator`` = cases, ``n_pending`` = censored before the horizon (see
:func:`nhvmetrics.engine.stats.kaplan_meier_at`).
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
    unit_of,
)
from nhvmetrics.engine.kinds import register
from nhvmetrics.engine.stats import kaplan_meier_at

_I64 = pl.Int64


@dataclass(frozen=True)
class SurvivalSpec(KindSpec):
    time_origin: str
    event: str
    censor: Parsed | None = None

    def expressions(self) -> tuple[Parsed, ...]:
        return () if self.censor is None else (self.censor,)

    def columns(self) -> frozenset[str]:
        return super().columns() | {self.time_origin, self.event}


@dataclass(frozen=True, kw_only=True)
class SurvivalPlan(Plan):
    time: str  # the column holding the time (days, clipped at horizon + 1)
    horizon: int

    def rows(self, m: Margin) -> pl.DataFrame:
        keys = m.keys
        res = m.frame
        mis = res.group_by(keys).agg(
            pl.col("c").filter(pl.col(self.time).is_null()).sum().alias("mis")
        )
        km = kaplan_meier_at(
            res.filter(pl.col(self.time).is_not_null()), keys, self.time, self.horizon
        )
        res = mis.join(km, on=keys, how="left", nulls_equal=True)
        return res.select(
            unit_of(res),
            m.period_expr(),
            m.label().alias("stratum"),
            pl.col("events").fill_null(0).cast(_I64).alias("numerator"),
            pl.col("n").fill_null(0).cast(_I64).alias("denominator"),
            pl.col("survival").alias("value"),
            pl.col("ci_low"),
            pl.col("ci_high"),
            pl.col("mis").cast(_I64).alias("n_missing"),
            pl.col("censored").fill_null(0).cast(_I64).alias("n_pending"),
            pl.lit("survival").alias("kind"),
        )


@register
class Survival(Kind[SurvivalSpec]):
    name = "survival"
    fields = frozenset({"time_origin", "event", "censor"})

    def parse(self, ctx: ParseContext) -> SurvivalSpec:
        time_origin = ctx.raw.get("time_origin") or ctx.period_date
        event = ctx.raw.get("event")
        for key, val in (("time_origin", time_origin), ("event", event)):
            if not ctx.is_date(val):
                ctx.fail(f"survival: '{key}' must be a date column of table '{ctx.table}'.")
        censor = ctx.optional_expr("censor")
        if "horizon_days" not in ctx.params:
            ctx.fail("survival needs a parameter 'horizon_days' (e.g. 365).")
        return SurvivalSpec(str(time_origin), str(event), censor)

    def plan(self, spec: SurvivalSpec, ctx: PlanContext) -> Plan:
        tcol, ecol = ctx.name("t"), ctx.name("e")
        horizon = int(ctx.params["horizon_days"])
        origin = pl.col(spec.time_origin)
        ev_date = pl.col(spec.event)
        ed = pl.lit(ctx.extract_date, dtype=pl.Date)
        died = ev_date.is_not_null() & (ev_date <= ed)
        censor = ctx.compile(spec.censor) if spec.censor is not None else ed
        censor = pl.min_horizontal(censor, ed)
        t = (
            pl.when(died)
            .then((ev_date - origin).dt.total_days())
            .otherwise((censor - origin).dt.total_days())
        )
        t_ok = t.is_not_null() & (t >= 0)
        # times after the horizon only matter as "still at risk at the horizon": clip them
        exprs = (
            pl.when(t_ok)
            .then(pl.min_horizontal(t, pl.lit(horizon + 1)).cast(pl.Int32))
            .alias(tcol),
            pl.when(t_ok).then((died & (t <= horizon)).cast(pl.Int8)).alias(ecol),
        )
        return SurvivalPlan(
            periods=(ctx.own_period(),),
            exprs=exprs,
            aggs=(pl.col(ecol).sum().cast(_I64).alias("d"), pl.len().cast(_I64).alias("c")),
            keys=(tcol,),
            time=tcol,
            horizon=horizon,
        )

    def row_kind(self, spec: SurvivalSpec) -> str:
        return "survival"

    def type_text(self, type_name: str) -> str:
        return "Kaplan-Meier survival at the horizon with a log-log 95 % interval"

    def catalogue(self, spec: SurvivalSpec, value_unit: str | None) -> CatalogueRows:
        censor = spec.censor.text if spec.censor else "extract_date"
        return CatalogueRows(
            rule=(
                (
                    "Time",
                    f"from `{spec.time_origin}` to `{spec.event}` (event) or censoring at "
                    f"`{censor}` (at most the extract date)",
                ),
            )
        )
