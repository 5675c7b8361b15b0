"""``type: count`` — the number of cases in the period.

Fields: ``events`` (optional): a list of ``{date: <date column>, when: <condition>}``; each
case is then counted once per event whose date falls in the period (surgeries and oncology
starts of one year, say) instead of once by its period date.  The row (kind count) holds the
count in ``numerator`` and ``value``.  A plain count folds its population into the count, so
it shares its pass with the proportions over the same period date; a count of events needs
one pass per event date.
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

_I64 = pl.Int64


@dataclass(frozen=True)
class Event:
    """One kind of event counted (e.g. surgeries, oncology starts): its date and condition."""

    date: str
    when: Parsed | None = None


@dataclass(frozen=True)
class CountSpec(KindSpec):
    events: tuple[Event, ...] = ()

    def expressions(self) -> tuple[Parsed, ...]:
        return tuple(e.when for e in self.events if e.when is not None)

    def columns(self) -> frozenset[str]:
        return super().columns() | {e.date for e in self.events}


@dataclass(frozen=True, kw_only=True)
class CountPlan(Plan):
    def rows(self, m: Margin) -> pl.DataFrame:
        res = m.frame
        return res.select(
            unit_of(res),
            m.period_expr(),
            m.label().alias("stratum"),
            pl.col("n").cast(_I64).alias("numerator"),
            pl.col("n").cast(pl.Float64).alias("value"),
            pl.lit(0, dtype=_I64).alias("n_missing"),
            pl.lit(0, dtype=_I64).alias("n_pending"),
            pl.lit("count").alias("kind"),
        )


@register
class Count(Kind[CountSpec]):
    name = "count"
    fields = frozenset({"events"})

    def parse(self, ctx: ParseContext) -> CountSpec:
        events: list[Event] = []
        raw = ctx.raw.get("events") or []
        if not isinstance(raw, list):
            ctx.fail("events must be a list of {date: <date column>, when: <condition>}.")
        for i, ev in enumerate(raw):
            if not isinstance(ev, dict) or not ctx.is_date(ev.get("date")):
                ctx.fail(f"events[{i + 1}]: needs 'date', a date column of table '{ctx.table}'.")
            when = ev.get("when")
            events.append(
                Event(ev["date"], ctx.expr(f"events[{i + 1}].when", when) if when else None)
            )
        return CountSpec(tuple(events))

    def plan(self, spec: CountSpec, ctx: PlanContext) -> Plan:
        if spec.events:
            periods = tuple(
                ctx.own_period(
                    ev.date,
                    when=None if ev.when is None else ctx.compile(ev.when).fill_null(False),
                    suffix=f"_{k}",
                )
                for k, ev in enumerate(spec.events)
            )
            return CountPlan(periods=periods, aggs=(pl.len().cast(_I64).alias("n"),))
        n = ctx.population.sum() if ctx.has_population else pl.len()
        return CountPlan(periods=(ctx.shared_period(),), aggs=(n.cast(_I64).alias("n"),))

    def row_kind(self, spec: CountSpec) -> str:
        return "count"

    def type_text(self, type_name: str) -> str:
        return "count of cases (value = numerator = the count)"

    def catalogue(self, spec: CountSpec, value_unit: str | None) -> CatalogueRows:
        return CatalogueRows(
            counted=tuple(
                (
                    "Counts",
                    f"`{e.date}` in the year" + (f" where `{e.when.text}`" if e.when else ""),
                )
                for e in spec.events
            )
        )
