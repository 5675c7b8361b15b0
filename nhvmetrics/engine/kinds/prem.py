"""``type: prem`` — a patient survey (PREM): respondents and positive answers per question.

Fields: ``questions`` (required: answer columns of the table, e.g. ``[q1, q2, q3, q4]``) and a
parameter ``positive_min`` (the lowest answer that counts as positive).  The ``all`` row (kind
count) holds the respondents; one row per question ``question=q1`` (kind proportion) holds the
share answering at least ``positive_min`` among those who answered it (an unanswered question
is ``n_missing``).  The population is folded into the counts, so the survey shares its pass with
the other indicators over the same period date.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

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


@dataclass(frozen=True)
class PremSpec(KindSpec):
    questions: tuple[str, ...]

    def columns(self) -> frozenset[str]:
        return frozenset(self.questions)


@dataclass(frozen=True, kw_only=True)
class PremPlan(Plan):
    questions: tuple[str, ...]

    def rows(self, m: Margin) -> pl.DataFrame:
        res = m.frame
        out = [
            row_frame(
                res.select(
                    unit_of(res),
                    m.period_expr(),
                    m.label().alias("stratum"),
                    pl.col("resp").cast(_I64).alias("numerator"),
                    pl.col("resp").cast(pl.Float64).alias("value"),
                    pl.lit(0, dtype=_I64).alias("n_missing"),
                    pl.lit(0, dtype=_I64).alias("n_pending"),
                    pl.lit("count").alias("kind"),
                )
            )
        ]
        for q in self.questions:
            num, den = pl.col(f"{q}_num").cast(_I64), pl.col(f"{q}_den").cast(_I64)
            out.append(
                row_frame(
                    res.select(
                        unit_of(res),
                        m.period_expr(),
                        m.label(f"question={q}").alias("stratum"),
                        num.alias("numerator"),
                        den.alias("denominator"),
                        pl.when(den > 0).then(num / den).alias("value"),
                        pl.col(f"{q}_mis").cast(_I64).alias("n_missing"),
                        pl.lit(0, dtype=_I64).alias("n_pending"),
                        pl.lit("proportion").alias("kind"),
                    )
                )
            )
        return pl.concat(out, how="vertical")


@register
class Prem(Kind[PremSpec]):
    name = "prem"
    fields = frozenset({"questions"})

    def parse(self, ctx: ParseContext) -> PremSpec:
        questions = ctx.raw.get("questions") or []
        if not isinstance(questions, list) or not questions:
            ctx.fail("a prem indicator needs 'questions', e.g. [q1, q2, q3, q4].")
        for q in questions:
            if q not in ctx.columns:
                ctx.fail(f"questions: unknown column '{q}' in table '{ctx.table}'.")
        if "positive_min" not in ctx.params:
            ctx.fail("a prem indicator needs a parameter 'positive_min' (e.g. 4).")
        return PremSpec(tuple(str(q) for q in questions))

    def plan(self, spec: PremSpec, ctx: PlanContext) -> Plan:
        pos = ctx.params["positive_min"]
        pop = ctx.population
        aggs = [(pop.sum() if ctx.has_population else pl.len()).cast(_I64).alias("resp")]
        for q in spec.questions:
            aggs += [
                ((pl.col(q) >= pos).fill_null(False) & pop).sum().cast(_I64).alias(f"{q}_num"),
                (pl.col(q).is_not_null() & pop).sum().cast(_I64).alias(f"{q}_den"),
                (pl.col(q).is_null() & pop).sum().cast(_I64).alias(f"{q}_mis"),
            ]
        return PremPlan(periods=(ctx.shared_period(),), aggs=tuple(aggs), questions=spec.questions)

    def row_kind(self, spec: PremSpec) -> str:
        return "count"

    def sub_strata(self, spec: PremSpec) -> tuple[tuple[str, str], ...]:
        return tuple((f"question={q}", "proportion") for q in spec.questions)

    def type_text(self, type_name: str) -> str:
        return "respondents (all row) and share of positive answers per question"

    def catalogue(self, spec: PremSpec, value_unit: str | None) -> CatalogueRows:
        return CatalogueRows(rule=(("Questions", ", ".join(spec.questions)),))
