"""The [v2] rules of SPEC §3 hold on the committed samples of all four areas (``sample_data/``,
canonical and INCA dialect): each rule recomputed directly from the accepted rows, beside the
engine's figure."""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

import polars as pl
import pytest

from nhvmetrics.engine.compute import compute_area
from nhvmetrics.engine.stats import kaplan_meier
from nhvmetrics.schema.validate import validate_export

DATA = Path(__file__).resolve().parents[2] / "sample_data"
EXTRACT = dt.date(2026, 2, 15)
YEAR = 2025
DIALECTS = ("canonical", "inca")


@cache
def _run(area: str, dialect: str) -> tuple[pl.DataFrame, pl.DataFrame, dict]:
    folder = DATA if dialect == "canonical" else DATA / "inca"
    files = {p.stem.split("_", 1)[1]: p for p in sorted(folder.glob(f"{area}_*.csv"))}
    r = validate_export(area, files, EXTRACT)
    res = compute_area(area, r.accepted, YEAR, EXTRACT)
    return res.table, r.accepted["cases"], r.accepted


def _row(t: pl.DataFrame, iid: str, unit: str = "ALL", stratum: str = "all", period: int = YEAR):
    r = t.filter(
        (pl.col("indicator_id") == iid)
        & (pl.col("unit") == unit)
        & (pl.col("stratum") == stratum)
        & (pl.col("period") == period)
    )
    assert r.height == 1, (iid, unit, stratum, period)
    return r.row(0, named=True)


def _year(col: str | pl.Expr) -> pl.Expr:
    e = pl.col(col) if isinstance(col, str) else col
    return e.dt.year() == YEAR


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    ("iid", "date"),
    [
        ("acc.patients", "referral_date"),
        ("net.patients", "referral_date"),
        ("pelvic.referrals", "referral_date"),
    ],
)
@pytest.mark.slow
def test_patients_are_distinct_people(iid, date, dialect):
    t, cases, _ = _run(iid.split(".")[0], dialect)
    y = cases.filter(_year(date))
    assert cases.height > cases["patient_id"].n_unique()  # some patients have two cases
    patients = (
        _row(t, iid) if iid != "pelvic.referrals" else _row(t, iid, stratum="measure=patients")
    )
    cases_row = _row(t, iid, stratum="measure=cases") if iid != "pelvic.referrals" else _row(t, iid)
    assert patients["numerator"] == y["patient_id"].n_unique()
    assert cases_row["numerator"] == y.height
    for unit, g in y.group_by("unit"):
        u = unit[0]
        got = _row(t, iid, u) if iid != "pelvic.referrals" else _row(t, iid, u, "measure=patients")
        assert got["numerator"] == g["patient_id"].n_unique(), u


@pytest.mark.parametrize("dialect", DIALECTS)
def test_anal_indicators_count_the_defined_care_and_the_palliative_cases_once(dialect):
    t, cases, tables = _run("anal", dialect)
    started = cases.filter(_year("treatment_start_date"))
    curative = started.filter(pl.col("treatment_intent") == "curative")
    palliative = started.filter(pl.col("treatment_intent") == "palliative")
    unknown = started.filter(pl.col("treatment_intent").is_null())
    assert palliative.height > 0
    p = _row(t, "anal.patients")
    assert p["numerator"] == curative["patient_id"].n_unique()
    assert p["n_missing"] == unknown.height
    assert _row(t, "anal.outside_definition")["numerator"] == palliative.height
    # RT duration: curative courses only (a palliative 5-20 day course would pull q1 down)
    rt = cases.filter(_year("rt_start_date") & (pl.col("treatment_intent") == "curative")).select(
        ((pl.col("rt_end_date") - pl.col("rt_start_date")).dt.total_days() + 1).alias("d")
    )
    d = rt["d"].drop_nulls().sort().to_list()
    r = _row(t, "anal.rt_duration_days")
    assert r["denominator"] == len(d)
    assert r["q1"] == pytest.approx(pl.Series(d).quantile(0.25, "linear"))
    assert r["q1"] > 35
    # episodes: only those of curative cases
    ep = tables["episodes"].join(
        cases.select("case_id", "treatment_intent"), on="case_id", how="left"
    )
    ep = ep.filter(_year("visit_date"))
    cur = ep.filter(pl.col("treatment_intent") == "curative")
    w = _row(t, "anal.written_care_plan")
    assert w["numerator"] == cur["written_care_plan"].sum()
    assert w["denominator"] == cur["written_care_plan"].drop_nulls().len()


@pytest.mark.parametrize("dialect", DIALECTS)
def test_pelvic_time_to_the_first_treatment_and_every_treatment_counted(dialect):
    t, cases, _ = _run("pelvic", dialect)
    first = pl.coalesce("treatment_start_date", "surgery_date")
    y = cases.filter(_year(first))
    days = y.select((first - pl.col("referral_date")).dt.total_days().alias("d"))["d"].drop_nulls()
    r = _row(t, "pelvic.referral_to_treatment_days")
    assert r["denominator"] == days.len() and r["value"] == pytest.approx(days.median())
    neo = y.filter(pl.col("treatment_type").is_in(["radiotherapy", "medical"]))
    assert neo.filter(pl.col("surgery_date").is_not_null()).height > 0  # neoadjuvant first
    ops = cases.filter(_year("surgery_date")).height
    other = cases.filter(
        _year("treatment_start_date")
        & (
            (pl.col("treatment_type") != "surgery")
            | (
                pl.col("treatment_type").is_null()
                & (
                    pl.col("surgery_date").is_null()
                    | (pl.col("treatment_start_date") != pl.col("surgery_date"))
                )
            )
        )
    ).height
    assert _row(t, "pelvic.treatments")["numerator"] == ops + other


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("area", ["net", "pelvic"])
def test_a_missing_clavien_dindo_grade_is_unknown(area, dialect):
    t, cases, _ = _run(area, dialect)
    ops = cases.filter(
        _year("surgery_date") & (pl.col("surgery_date") <= EXTRACT - dt.timedelta(30))
    )
    iid = "pelvic.complications" if area == "pelvic" else "net.complications_30d"
    m = _row(t, iid, stratum="measure=clavien_3a_plus")
    severe = pl.col("clavien_dindo").is_in(["IIIa", "IIIb", "IVa", "IVb", "V"])
    assert m["numerator"] == ops.filter(severe).height
    assert m["n_missing"] == ops.filter(pl.col("clavien_dindo").is_null()).height
    assert m["denominator"] == ops.filter(pl.col("clavien_dindo").is_not_null()).height
    assert "0" in set(ops["clavien_dindo"].drop_nulls())


@pytest.mark.parametrize("dialect", DIALECTS)
def test_nothing_silently_dropped_in_pelvic_stays_and_assessments(dialect):
    """Every case of the year is in the denominator, n_pending or n_missing."""
    t, cases, _ = _run("pelvic", dialect)
    for period in (YEAR - 1, YEAR, YEAR + 1):
        if period > YEAR:
            continue
        stay = cases.filter(pl.coalesce("discharge_date", "surgery_date").dt.year() == period)
        r = _row(t, "pelvic.length_of_stay", period=period)
        assert r["denominator"] + r["n_pending"] + r["n_missing"] == stay.height
        ass = cases.filter(pl.coalesce("assessment_date", "referral_date").dt.year() == period)
        r = _row(t, "pelvic.referral_to_assessment_days", period=period)
        assert r["denominator"] + r["n_pending"] + r["n_missing"] == ass.height


@pytest.mark.parametrize("dialect", DIALECTS)
def test_net_treatments_without_an_svf_limit_are_missing(dialect):
    t, cases, _ = _run("net", dialect)
    y = cases.filter(_year("treatment_start_date"))
    r = _row(t, "net.treated_within_svf")
    assert r["denominator"] + r["n_missing"] + r["n_pending"] == y.height
    no_limit = y.filter(~pl.col("treatment_type").is_in(["surgery", "medical", "prrt"]))
    assert r["n_missing"] >= no_limit.height > 0


@pytest.mark.parametrize("dialect", DIALECTS)
def test_one_year_survival_enters_at_the_referral(dialect):
    t, cases, _ = _run("acc", dialect)
    c = cases.filter(pl.col("diagnosis_date").dt.year() == YEAR - 1)
    end = (
        pl.when(pl.col("death_date").is_not_null() & (pl.col("death_date") <= EXTRACT))
        .then(pl.col("death_date"))
        .otherwise(
            pl.min_horizontal(pl.coalesce("vital_status_date", pl.lit(EXTRACT)), pl.lit(EXTRACT))
        )
    )
    c = c.select(
        (end - pl.col("diagnosis_date")).dt.total_days().alias("t"),
        (pl.col("referral_date") - pl.col("diagnosis_date")).dt.total_days().alias("e"),
        (pl.col("death_date").is_not_null() & (pl.col("death_date") <= EXTRACT)).alias("d"),
    ).with_columns(pl.when(pl.col("e") > 0).then(pl.col("e")).otherwise(-1).alias("e"))
    c = c.filter(pl.col("t").is_not_null() & (pl.col("t") >= 0) & (pl.col("t") > pl.col("e")))
    km = kaplan_meier(c["t"].to_list(), c["d"].to_list(), 365, entry=c["e"].to_list())
    r = _row(t, "acc.survival_1y")
    assert r["value"] == pytest.approx(km.survival) and r["denominator"] == c.height
    assert r["parameter_sources"] == "horizon_days=seed"
