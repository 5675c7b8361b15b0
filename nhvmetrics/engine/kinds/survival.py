"""``type: survival`` — Kaplan–Meier survival at a horizon.

Fields: ``time_origin`` (a date column; default the period date), ``event`` (required: the
date column of the event, e.g. ``death_date``), ``censor`` (an expression; default the extract
date), ``entry`` (optional: a date column; delayed entry, see below) and a parameter
``horizon_days``.  Time runs from the origin to the event, or to censoring at ``censor`` (never
after the extract date); a case with no usable time (unknown origin, a time before the origin,
a follow-up that ends on or before the day of entry, an unknown population) is ``n_missing``.

**Delayed entry** (left truncation): with ``entry: referral_date`` a case is at risk only from
the day it entered the register (days from the origin; 0 when the entry comes first).  A
patient who died between diagnosis and referral never reaches the register, so the patients who
are in it survived until their referral: counting them at risk from the diagnosis would bias
the estimate upwards.  At ties a case is at risk only **after** its entry day, over
``(entry, time]`` in days, as R's counting-process form ``Surv(start, stop, event)`` and
lifelines' ``KaplanMeierFitter(entry=...)`` count it: an event on another patient's day of
entry does not count that patient at risk.  An entry on or before the origin (referred before
the diagnosis) is no truncation: the case is at risk from day 0, day 0 included.  A follow-up
that ends on its own entry day (a death on the day of referral) has no time at risk and is
``n_missing``, as R drops such zero-length intervals.  The row (kind survival) holds the
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
    entry: str | None = None  # delayed entry (left truncation): at risk from this date on

    def expressions(self) -> tuple[Parsed, ...]:
        return () if self.censor is None else (self.censor,)

    def columns(self) -> frozenset[str]:
        cols = {self.time_origin, self.event} | ({self.entry} if self.entry else set())
        return super().columns() | cols


@dataclass(frozen=True, kw_only=True)
class SurvivalPlan(Plan):
    time: str  # the column holding the time (days, clipped at horizon + 1)
    horizon: int
    entry: str | None = None  # the column holding the entry time (days, clipped likewise)

    def rows(self, m: Margin) -> pl.DataFrame:
        keys = m.keys
        res = m.frame
        mis = res.group_by(keys).agg(
            pl.col("c").filter(pl.col(self.time).is_null()).sum().alias("mis")
        )
        km = kaplan_meier_at(
            res.filter(pl.col(self.time).is_not_null()),
            keys,
            self.time,
            self.horizon,
            entry=self.entry,
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
    fields = frozenset({"time_origin", "event", "censor", "entry"})

    def parse(self, ctx: ParseContext) -> SurvivalSpec:
        time_origin = ctx.raw.get("time_origin") or ctx.period_date
        event = ctx.raw.get("event")
        entry = ctx.raw.get("entry")
        checks = [("time_origin", time_origin), ("event", event)]
        if entry not in (None, ""):
            checks.append(("entry", entry))
        else:
            entry = None
        for key, val in checks:
            if not ctx.is_date(val):
                ctx.fail(f"survival: '{key}' must be a date column of table '{ctx.table}'.")
        censor = ctx.optional_expr("censor")
        if "horizon_days" not in ctx.params:
            ctx.fail("survival needs a parameter 'horizon_days' (e.g. 365).")
        return SurvivalSpec(str(time_origin), str(event), censor, entry)

    def plan(self, spec: SurvivalSpec, ctx: PlanContext) -> Plan:
        tcol, ecol, ncol = ctx.name("t"), ctx.name("e"), ctx.name("n")
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
        # delayed entry: at risk over (entry, time], in days from the origin; an entry on or
        # before the origin is -1 (at risk from the origin, day 0 included); a follow-up that
        # ends on or before its entry day (a death before the referral) has no time at risk
        if spec.entry is not None:
            days_in = (pl.col(spec.entry) - origin).dt.total_days()
            e = pl.when(days_in > 0).then(days_in).otherwise(pl.lit(-1))
        else:
            e = pl.lit(-1)
        t_ok = t.is_not_null() & (t >= 0) & e.is_not_null() & (t > e) & ~ctx.population_unknown
        clip = pl.lit(horizon + 1)
        # times after the horizon only matter as "still at risk at the horizon": clip them
        exprs = [
            pl.when(t_ok).then(pl.min_horizontal(t, clip).cast(pl.Int32)).alias(tcol),
            pl.when(t_ok).then((died & (t <= horizon)).cast(pl.Int8)).alias(ecol),
        ]
        keys: tuple[str, ...] = (tcol,)
        if spec.entry is not None:
            exprs.append(pl.when(t_ok).then(pl.min_horizontal(e, clip).cast(pl.Int32)).alias(ncol))
            keys = (tcol, ncol)
        return SurvivalPlan(
            periods=(ctx.own_period(unknown=True),),
            exprs=tuple(exprs),
            aggs=(pl.col(ecol).sum().cast(_I64).alias("d"), pl.len().cast(_I64).alias("c")),
            keys=keys,
            time=tcol,
            horizon=horizon,
            entry=ncol if spec.entry is not None else None,
        )

    def row_kind(self, spec: SurvivalSpec) -> str:
        return "survival"

    def type_text(self, type_name: str) -> str:
        return "Kaplan-Meier survival at the horizon with a log-log 95 % interval"

    def catalogue(self, spec: SurvivalSpec, value_unit: str | None) -> CatalogueRows:
        censor = spec.censor.text if spec.censor else "extract_date"
        rule = [
            (
                "Time",
                f"from `{spec.time_origin}` to `{spec.event}` (event) or censoring at "
                f"`{censor}` (at most the extract date)",
            )
        ]
        if spec.entry:
            rule.append(
                (
                    "Delayed entry",
                    f"at risk after `{spec.entry}` (left truncation): over (entry, time] in "
                    "days, as R's Surv(start, stop, event) and lifelines' entry=; from day 0 "
                    f"when `{spec.entry}` is on or before `{spec.time_origin}`; a follow-up that "
                    "ends on or before the entry day is `n_missing`",
                )
            )
        return CatalogueRows(rule=tuple(rule))
