"""``type: count`` — the number of cases (or of distinct patients, or of events) in the period.

Fields:

* ``distinct`` (optional): a column (``patient_id``) whose distinct values are counted instead
  of cases.  "Antal patienter" counts people: a patient with two cases in the year counts once;
  a patient with cases at two units counts once at each and once in ``ALL`` (so the units can
  add up to more than ``ALL``), and once in each stratum the cases fall in.
* ``measures`` (optional): named extra counts over the same population, each a row
  ``measure=<name>``: ``{name, title, distinct?, when?}`` — e.g. the cases beside the
  patients (``{name: cases}``), or the patients beside the referrals
  (``{name: patients, distinct: patient_id}``).
* ``events`` (optional): a list of ``{date: <date column>, when: <condition>, set: {column:
  value}}``; each case is then counted once per event whose date falls in the period
  (surgeries and oncology starts of one year, say) instead of once by its period date.
  ``set`` gives a stratifier the event's own value (an operation counts under
  ``treatment_type=surgery`` even when the case's first treatment was another).

The row (kind count) holds the count in ``numerator`` and ``value``; ``n_missing`` counts the
cases whose population is unknown (a value the condition needs is missing).  A plain count of
cases folds its population into the count, so it shares its pass with the proportions over the
same period date; a count of distinct values or of events needs a pass of its own.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from nhvmetrics.engine.expr import Parsed, is_identifier
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

_I64 = pl.Int64

MEASURE_KEYS = {"name", "title", "distinct", "when"}


@dataclass(frozen=True)
class Event:
    """One kind of event counted (e.g. surgeries, oncology starts): its date and condition."""

    date: str
    when: Parsed | None = None
    sets: tuple[tuple[str, Any], ...] = ()  # stratifier columns given the event's own value


@dataclass(frozen=True)
class CountMeasure:
    """A named extra count (stratum ``measure=<name>``)."""

    name: str
    title_sv: str
    title_en: str
    distinct: str | None = None
    when: Parsed | None = None


@dataclass(frozen=True)
class CountSpec(KindSpec):
    events: tuple[Event, ...] = ()
    distinct: str | None = None
    measures: tuple[CountMeasure, ...] = field(default=())

    def expressions(self) -> tuple[Parsed, ...]:
        whens = [e.when for e in self.events] + [m.when for m in self.measures]
        return tuple(w for w in whens if w is not None)

    def columns(self) -> frozenset[str]:
        cols = set(super().columns()) | {e.date for e in self.events}
        cols |= {c for e in self.events for c, _ in e.sets}
        cols |= self.distinct_columns()
        return frozenset(cols)

    def distinct_columns(self) -> frozenset[str]:
        return frozenset(c for c in [self.distinct, *(m.distinct for m in self.measures)] if c)


@dataclass(frozen=True, kw_only=True)
class CountPlan(Plan):
    #: (stratum label extra, aggregated column, column of distinct values or None)
    counters: tuple[tuple[str | None, str, str | None], ...] = ()

    def rows(self, m: Margin) -> pl.DataFrame:
        res = m.frame  # the margin holds each counter's count (distinct ones: margin_aggs)
        out = []
        for extra, col, _ in self.counters:
            out.append(
                row_frame(
                    res.select(
                        unit_of(res),
                        m.period_expr(),
                        m.label(extra).alias("stratum"),
                        pl.col(col).cast(_I64).alias("numerator"),
                        pl.col(col).cast(pl.Float64).alias("value"),
                        pl.col(f"{col}_mis").cast(_I64).alias("n_missing"),
                        pl.lit(0, dtype=_I64).alias("n_pending"),
                        pl.lit("count").alias("kind"),
                    )
                )
            )
        return pl.concat(out, how="vertical")


@register
class Count(Kind[CountSpec]):
    name = "count"
    fields = frozenset({"events", "distinct", "measures"})

    def parse(self, ctx: ParseContext) -> CountSpec:
        events: list[Event] = []
        raw = ctx.raw.get("events") or []
        if not isinstance(raw, list):
            ctx.fail("events must be a list of {date: <date column>, when: <condition>}.")
        for i, ev in enumerate(raw):
            where = f"events[{i + 1}]"
            if not isinstance(ev, dict) or not ctx.is_date(ev.get("date")):
                ctx.fail(f"{where}: needs 'date', a date column of table '{ctx.table}'.")
            bad = sorted(set(ev) - {"date", "when", "set"})
            if bad:
                ctx.fail(f"{where}: unknown field '{bad[0]}'; use date, when and set.")
            when = ev.get("when")
            sets = ev.get("set") or {}
            if not isinstance(sets, dict):
                ctx.fail(f"{where}.set must map a stratifier column to the event's value.")
            for col, value in sets.items():
                if col not in (ctx.raw.get("stratifiers") or []):
                    ctx.fail(f"{where}.set: '{col}' is not one of the indicator's stratifiers.")
                if not isinstance(value, (str, int)) or isinstance(value, bool):
                    ctx.fail(f"{where}.set: the value of '{col}' must be a code or a number.")
            events.append(
                Event(
                    ev["date"],
                    ctx.expr(f"{where}.when", when) if when else None,
                    tuple(sets.items()),
                )
            )
        distinct = self._distinct(ctx, ctx.raw.get("distinct"), "distinct")
        measures = self._measures(ctx)
        if events and (distinct or measures):
            ctx.fail("a count of events counts events: it takes no 'distinct' or 'measures'.")
        return CountSpec(tuple(events), distinct, measures)

    @staticmethod
    def _distinct(ctx: ParseContext, value: Any, key: str) -> str | None:
        if value in (None, ""):
            return None
        if not isinstance(value, str) or value not in ctx.columns:
            ctx.fail(f"{key}: '{value}' is not a column of table '{ctx.table}'.")
        return value

    def _measures(self, ctx: ParseContext) -> tuple[CountMeasure, ...]:
        raw = ctx.raw.get("measures") or []
        if not isinstance(raw, list):
            ctx.fail("measures must be a list of mappings with name and title.")
        out: list[CountMeasure] = []
        for i, m in enumerate(raw):
            where = f"measures[{i + 1}]"
            if not isinstance(m, dict):
                ctx.fail(f"{where} must be a mapping with name and title.")
            bad = sorted(set(m) - MEASURE_KEYS)
            if bad:
                ctx.fail(
                    f"{where}: unknown field '{bad[0]}'; a count's measure has name, title, "
                    "distinct and when."
                )
            if not m.get("name") or not is_identifier(str(m["name"])):
                ctx.fail(f"{where}: needs a lower-case 'name'.")
            t = m.get("title")
            if not isinstance(t, dict) or not t.get("sv") or not t.get("en"):
                ctx.fail(f"{where}.title needs both 'sv' (Swedish) and 'en' (English) text.")
            out.append(
                CountMeasure(
                    name=str(m["name"]),
                    title_sv=str(t["sv"]).strip(),
                    title_en=str(t["en"]).strip(),
                    distinct=self._distinct(ctx, m.get("distinct"), f"{where}.distinct"),
                    when=ctx.optional_expr("when", m),
                )
            )
        if len({m.name for m in out}) != len(out):
            ctx.fail("measures: two measures have the same name.")
        return tuple(out)

    def plan(self, spec: CountSpec, ctx: PlanContext) -> Plan:
        unknown = ctx.population_unknown
        if spec.events:
            periods = []
            for k, ev in enumerate(spec.events):
                when = None if ev.when is None else ctx.compile(ev.when).fill_null(False)
                p = ctx.own_period(ev.date, when=when, suffix=f"_{k}", unknown=True)
                sets = tuple(_set_column(c, v) for c, v in ev.sets)
                periods.append(dataclasses.replace(p, columns=sets) if sets else p)
            unk = ctx.name("u")
            return CountPlan(
                periods=tuple(periods),
                exprs=(unknown.alias(unk),),
                aggs=(
                    (~pl.col(unk)).sum().cast(_I64).alias("n"),
                    pl.col(unk).sum().cast(_I64).alias("n_mis"),
                ),
                counters=((None, "n", None),),
            )
        counters: list[tuple[str | None, str, str | None]] = [(None, "n", spec.distinct)]
        whens: list[pl.Expr | None] = [None]
        for j, m in enumerate(spec.measures):
            counters.append((f"measure={m.name}", f"m{j}", m.distinct))
            whens.append(None if m.when is None else ctx.compile(m.when))
        distinct_cols = sorted({c for _, _, c in counters if c})
        pop = ctx.population
        aggs: list[pl.Expr] = []
        # a joint row per distinct value holds counts of a few cases: 4 bytes each is plenty
        # (millions of rows), the margins are Int64
        count_type = pl.UInt32 if distinct_cols else _I64
        row_values: list[pl.Expr] = []  # what each aggregation gives over one case
        for (_, col, _), when in zip(counters, whens, strict=True):
            if when is None and not ctx.has_population:
                one_in, inside = pl.lit(True), pl.len()  # every case of the period counts
                one_mis = unknown
            else:
                one_in = pop if when is None else pop & when.fill_null(False)
                inside = one_in.sum()
                one_mis = unknown if when is None else unknown | (pop & when.is_null())
            aggs += [
                inside.cast(count_type).alias(col),
                one_mis.sum().cast(count_type).alias(f"{col}_mis"),
            ]
            row_values += [
                one_in.cast(count_type).alias(col),
                one_mis.cast(count_type).alias(f"{col}_mis"),
            ]
        if not distinct_cols:
            return CountPlan(
                periods=(ctx.shared_period(),), aggs=tuple(aggs), counters=tuple(counters)
            )
        if len(distinct_cols) > 1:  # pragma: no cover - one id column per area (patient_id)
            raise ValueError("a count may take distinct values of one column only")
        # one row per distinct value (the runner's exact integer code: cheap to group by) in
        # the joint result; each margin counts the values that have cases
        key = ctx.name("k")
        margin_aggs: list[pl.Expr] = []
        single_sums: list[pl.Expr] = []  # over the cases of keys alone in their period
        for (_, col, distinct), when in zip(counters, whens, strict=True):
            if not distinct:
                n = one = pl.col(col).sum()
            elif when is None and not ctx.has_population:
                n = pl.col(key).n_unique()  # every case of the period counts
                one = pl.len()
            else:
                n = pl.col(key).filter(pl.col(col) > 0).n_unique()
                one = (pl.col(col) > 0).sum()
            mis = pl.col(f"{col}_mis").sum().cast(_I64).alias(f"{col}_mis")
            margin_aggs += [n.cast(_I64).alias(col), mis]
            single_sums += [one.cast(_I64).alias(col), mis]
        code = pl.col(distinct_cols[0])
        return CountPlan(
            periods=(ctx.own_period(unknown=True),),
            exprs=(code.alias(key),),
            aggs=tuple(aggs),
            keys=(key,),
            margin_aggs=tuple(margin_aggs),
            single_sums=tuple(single_sums),
            row_values=tuple(row_values),
            counters=tuple(counters),
        )

    def row_kind(self, spec: CountSpec) -> str:
        return "count"

    def sub_strata(self, spec: CountSpec) -> tuple[tuple[str, str], ...]:
        return tuple((f"measure={m.name}", "count") for m in spec.measures)

    def stratum_titles(self, spec: CountSpec) -> tuple[tuple[str, str, str], ...]:
        return tuple((f"measure={m.name}", m.title_sv, m.title_en) for m in spec.measures)

    def type_text(self, type_name: str) -> str:
        return "count of cases (value = numerator = the count)"

    def catalogue(self, spec: CountSpec, value_unit: str | None) -> CatalogueRows:
        counted = []
        if spec.distinct:
            counted.append(("Counts", f"distinct `{spec.distinct}` (each counted once per row)"))
        for e in spec.events:
            txt = f"`{e.date}` in the year" + (f" where `{e.when.text}`" if e.when else "")
            if e.sets:
                txt += ", counted as " + ", ".join(f"`{c}={v}`" for c, v in e.sets)
            counted.append(("Counts", txt))
        parts = []
        for m in spec.measures:
            what = f"distinct `{m.distinct}`" if m.distinct else "cases"
            if m.when is not None:
                what += f" where `{m.when.text}`"
            parts.append((f"Measure `measure={m.name}`", f"{m.title_en} / {m.title_sv}: {what}"))
        return CatalogueRows(counted=tuple(counted), parts=tuple(parts))


def _set_column(column: str, value: Any) -> pl.Expr:
    """A stratifier set to an event's own value (typed as the column: codes are text)."""
    lit = pl.lit(value, dtype=pl.Int64) if isinstance(value, int) else pl.lit(str(value))
    return lit.alias(column)
