"""A share of cases, as proportions and the named ``measures:`` of a kind count it.

Each case in the population gets a status, in this order: 1 numerator (the numerator is
true), 3 pending (the pending condition is true), 2 missing (the numerator is unknown or the
missing condition is true), 0 denominator only.  Pending and missing cases never enter the
denominator; a case whose population (the definition's, or the measure's own) is unknown is
missing too.  Used by :mod:`~nhvmetrics.engine.kinds.proportion` and by every kind that takes
``measures:`` (extra share rows ``measure=<name>`` over the same cases).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from nhvmetrics.engine.expr import Parsed, is_identifier
from nhvmetrics.engine.kind import Margin, ParseContext, PlanContext, row_frame, unit_of

_I64 = pl.Int64

MEASURE_KEYS = {"name", "title", "numerator", "missing", "pending", "population"}


def status(
    ctx: PlanContext, numerator: Parsed, missing: Parsed | None, pending: Parsed | None
) -> pl.Expr:
    """The status of a case (Int8): 1 numerator, 3 pending, 2 missing, 0 denominator only."""
    n = ctx.compile(numerator)
    e: Any = pl.when(n.fill_null(False)).then(pl.lit(1, dtype=pl.Int8))
    if pending is not None:
        e = e.when(ctx.compile(pending).fill_null(False)).then(pl.lit(3, dtype=pl.Int8))
    miss = n.is_null()
    if missing is not None:
        miss = miss | ctx.compile(missing).fill_null(False)
    return e.when(miss).then(pl.lit(2, dtype=pl.Int8)).otherwise(pl.lit(0, dtype=pl.Int8))


def share_aggs(col: str, prefix: str) -> list[pl.Expr]:
    """Numerator, denominator, missing and pending counts of a status column."""
    s = pl.col(col)
    return [
        (s == 1).sum().cast(_I64).alias(f"{prefix}num"),
        (s <= 1).sum().cast(_I64).alias(f"{prefix}den"),
        (s == 2).sum().cast(_I64).alias(f"{prefix}mis"),
        (s == 3).sum().cast(_I64).alias(f"{prefix}pen"),
    ]


def share_rows(
    frame: pl.DataFrame, m: Margin, prefix: str, extra: str | None = None
) -> pl.DataFrame:
    """Proportion rows from the sums of :func:`share_aggs` (value null over no cases)."""
    num, den = pl.col(f"{prefix}num").cast(_I64), pl.col(f"{prefix}den").cast(_I64)
    return row_frame(
        frame.select(
            unit_of(frame),
            m.period_expr(),
            m.label(extra).alias("stratum"),
            num.alias("numerator"),
            den.alias("denominator"),
            pl.when(den > 0).then(num / den).alias("value"),
            pl.col(f"{prefix}mis").cast(_I64).alias("n_missing"),
            pl.col(f"{prefix}pen").cast(_I64).alias("n_pending"),
            pl.lit("proportion").alias("kind"),
        )
    )


# ---------------------------------------------------------------- measures


@dataclass(frozen=True)
class Measure:
    """An extra row of an indicator (stratum ``measure=<name>``), e.g. a named complication."""

    name: str
    title_sv: str
    title_en: str
    numerator: Parsed
    missing: Parsed | None = None
    pending: Parsed | None = None
    population: Parsed | None = None

    def expressions(self) -> tuple[Parsed, ...]:
        parts = (self.numerator, self.missing, self.pending, self.population)
        return tuple(p for p in parts if p is not None)


def parse_measures(ctx: ParseContext) -> tuple[Measure, ...]:
    """The ``measures:`` of a definition (each a share over the same cases)."""
    measures: list[Measure] = []
    raw: Any = ctx.raw.get("measures") or []
    if not isinstance(raw, list):
        ctx.fail("measures must be a list of mappings with name, title and numerator.")
    for i, m in enumerate(raw):
        where = f"measures[{i + 1}]"
        if not isinstance(m, dict):
            ctx.fail(f"{where} must be a mapping with name, title and numerator.")
        bad = set(m) - MEASURE_KEYS
        if bad:
            ctx.fail(f"{where}: unknown field '{sorted(bad)[0]}'.")
        if not m.get("name") or not is_identifier(str(m["name"])):
            ctx.fail(f"{where}: needs a lower-case 'name'.")
        if not m.get("numerator"):
            ctx.fail(f"{where} ({m['name']}): needs a 'numerator'.")
        t = m.get("title")
        if not isinstance(t, dict) or not t.get("sv") or not t.get("en"):
            ctx.fail(f"{where}.title needs both 'sv' (Swedish) and 'en' (English) text.")
        measures.append(
            Measure(
                name=m["name"],
                title_sv=str(t["sv"]).strip(),
                title_en=str(t["en"]).strip(),
                numerator=ctx.expr(f"{where}.numerator", m["numerator"]),
                missing=ctx.optional_expr("missing", m),
                pending=ctx.optional_expr("pending", m),
                population=ctx.optional_expr("population", m),
            )
        )
    if len({m.name for m in measures}) != len(measures):
        ctx.fail("measures: two measures have the same name.")
    return tuple(measures)


@dataclass(frozen=True)
class MeasureParts:
    """The columns, aggregations and rows of a definition's measures."""

    names: tuple[str, ...] = ()
    exprs: tuple[pl.Expr, ...] = ()
    aggs: tuple[pl.Expr, ...] = ()

    def rows(self, frame: pl.DataFrame, m: Margin) -> list[pl.DataFrame]:
        return [share_rows(frame, m, f"m_{n}_", f"measure={n}") for n in self.names]


def plan_measures(measures: tuple[Measure, ...], ctx: PlanContext) -> MeasureParts:
    """One status column per measure (null outside its population), and its counts."""
    exprs: list[pl.Expr] = []
    aggs: list[pl.Expr] = []
    pop, unknown = ctx.population, ctx.population_unknown
    for m in measures:
        col = f"{ctx.name('s')}_{m.name}"
        st = status(ctx, m.numerator, m.missing, m.pending)
        if m.population is None:
            mpop, munknown = pop, unknown
        else:
            cond = ctx.compile(m.population)
            mpop, munknown = pop & cond.fill_null(False), unknown | (pop & cond.is_null())
        missing = pl.lit(2, dtype=pl.Int8)
        exprs.append(pl.when(mpop).then(st).when(munknown).then(missing).alias(col))
        aggs += share_aggs(col, f"m_{m.name}_")
    return MeasureParts(tuple(m.name for m in measures), tuple(exprs), tuple(aggs))


def measure_strata(measures: tuple[Measure, ...]) -> tuple[tuple[str, str], ...]:
    return tuple((f"measure={m.name}", "proportion") for m in measures)


def measure_titles(measures: tuple[Measure, ...]) -> tuple[tuple[str, str, str], ...]:
    return tuple((f"measure={m.name}", m.title_sv, m.title_en) for m in measures)


def measure_catalogue(measures: tuple[Measure, ...]) -> tuple[tuple[str, str], ...]:
    rows = []
    for m in measures:
        txt = f"{m.title_en} / {m.title_sv}: numerator `{m.numerator.text}`"
        if m.pending is not None:
            txt += f"; pending `{m.pending.text}`"
        if m.missing is not None:
            txt += f"; missing `{m.missing.text}`"
        rows.append((f"Measure `measure={m.name}`", txt))
    return tuple(rows)
