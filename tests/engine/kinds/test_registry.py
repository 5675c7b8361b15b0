"""The registry of kinds (nhvmetrics/engine/kinds/__init__.py), and that a new kind is one class:
the loader, the runner, the catalogue and the report take it without a change anywhere else."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
import pytest

from nhvmetrics.engine import kinds
from nhvmetrics.engine.catalogue import definition_text
from nhvmetrics.engine.expr import Parsed
from nhvmetrics.engine.kind import Kind, KindSpec, Margin, ParseContext, Plan, PlanContext, unit_of
from nhvmetrics.engine.kinds import get_kind, kind_fields, type_names
from tests.fixtures.kinds import D, compute, definition, load_error, row

SHIPPED = (
    "count",
    "coverage",
    "distribution",
    "duration",
    "median",
    "prem",
    "proportion",
    "survival",
)


def test_every_shipped_type_has_its_kind():
    assert type_names() == SHIPPED
    assert get_kind("median") is get_kind("duration")
    assert get_kind("ratio") is None and get_kind(None) is None
    assert len(kinds.kinds()) == 7
    for kind in kinds.kinds():
        # one module per kind, named after it
        assert type(kind).__module__ == f"nhvmetrics.engine.kinds.{kind.name}"


def test_every_shipped_definition_says_what_its_rows_are():
    from nhvmetrics.engine.definitions import load_definitions
    from nhvmetrics.engine.kind import ROW_KINDS

    for d in load_definitions():
        assert d.row_kind in ROW_KINDS, d.id
        assert d.kind.value_axis(d.spec) in ("share", "survival", "days", "median", "count")
        for stratum, kind in d.kind.sub_strata(d.spec):
            assert stratum.startswith(("measure=", "question=")) and kind in ROW_KINDS, d.id
        assert d.kind.type_text(d.type)


def test_kind_fields_do_not_clash_with_the_common_ones():
    from nhvmetrics.engine.definitions import COMMON_KEYS

    fields = kind_fields()
    assert not set(fields) & COMMON_KEYS
    assert fields["value"] == ("distribution", "duration", "median")
    assert fields["numerator"] == ("proportion",)


def test_a_name_cannot_be_registered_twice():
    class Twice(Kind):
        name = "proportion"

    with pytest.raises(RuntimeError, match="registered twice"):
        kinds.register(Twice)
    assert type(get_kind("proportion")).__name__ == "Proportion"


def test_an_unknown_type_lists_the_kinds():
    assert (
        "type 'ratio' is not one of: count, coverage, distribution, duration, median, prem, "
        "proportion, survival." in load_error(type="ratio")
    )


# ---------------------------------------------------------------- a kind of our own


@dataclass(frozen=True)
class LargestSpec(KindSpec):
    value: Parsed

    def expressions(self) -> tuple[Parsed, ...]:
        return (self.value,)


@dataclass(frozen=True, kw_only=True)
class LargestPlan(Plan):
    value: str

    def rows(self, m: Margin) -> pl.DataFrame:
        # a maximum does not add up: the value is one of the plan's keys, taken per margin
        res = (
            m.frame.filter(pl.col(self.value).is_not_null())
            .group_by(m.keys)
            .agg(pl.col(self.value).max().alias("top"), pl.col("n").sum())
        )
        return res.select(
            unit_of(res),
            m.period_expr(),
            m.label().alias("stratum"),
            pl.col("top").cast(pl.Float64).alias("value"),
            pl.col("n").alias("denominator"),
            pl.lit("median").alias("kind"),
        )


class Largest(Kind[LargestSpec]):
    name = "largest"
    fields = frozenset({"value"})

    def parse(self, ctx: ParseContext) -> LargestSpec:
        value = ctx.optional_expr("value")
        if value is None:
            ctx.fail("a largest needs a 'value'.")
        return LargestSpec(value)

    def plan(self, spec: LargestSpec, ctx: PlanContext) -> Plan:
        col = ctx.name("v")
        return LargestPlan(
            periods=(ctx.own_period(),),
            exprs=(ctx.compile(spec.value).alias(col),),
            aggs=(pl.len().cast(pl.Int64).alias("n"),),
            keys=(col,),
            value=col,
        )

    def row_kind(self, spec: LargestSpec) -> str:
        return "median"

    def type_text(self, type_name: str) -> str:
        return "the largest value"


@pytest.fixture
def largest(monkeypatch):
    monkeypatch.setitem(kinds._REGISTRY, "largest", Largest())
    yield


def test_a_new_kind_is_one_class(largest):
    d = definition(
        type="largest", value="days(referral_date, first_visit_date)", stratifiers=["sex"]
    )
    rows = [
        {
            "case_id": "a",
            "unit": "01",
            "sex": "K",
            "referral_date": D(2024, 1, 1),
            "first_visit_date": D(2024, 1, 9),
        },
        {
            "case_id": "b",
            "unit": "01",
            "sex": "M",
            "referral_date": D(2024, 1, 1),
            "first_visit_date": D(2024, 1, 4),
        },
        {
            "case_id": "c",
            "unit": "02",
            "sex": "K",
            "referral_date": D(2024, 1, 1),
            "first_visit_date": D(2024, 2, 1),
        },
    ]
    t = compute(d, rows)
    assert (row(t)["value"], row(t)["denominator"]) == (31.0, 3)
    assert row(t, "01")["value"] == 8.0 and row(t, stratum="sex=M")["value"] == 3.0
    assert "largest - the largest value" in definition_text(d)
    assert "a largest needs a 'value'." in load_error(type="largest")

    from nhvmetrics.report.build import indicator_info

    info = indicator_info(d)
    assert (info.main_kind, info.value_axis) == ("median", "median")
