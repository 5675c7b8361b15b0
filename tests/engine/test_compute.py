"""compute_area on small canonical frames: numbers worked out by hand, structure, options."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from nhvmetrics import AREAS
from nhvmetrics.engine.compute import (
    OUTPUT_COLUMNS,
    OUTPUT_SCHEMA,
    compute_area,
    infer_extract_date,
)
from nhvmetrics.engine.definitions import load_definitions
from nhvmetrics.engine.stats import kaplan_meier
from nhvmetrics.errors import NhvError

D = dt.date
SPEC4 = [
    "area",
    "indicator_id",
    "period",
    "unit",
    "stratum",
    "numerator",
    "denominator",
    "value",
    "ci_low",
    "ci_high",
    "n_missing",
    "n_pending",
    "suppressed",
    "definition_version",
]


def acc_cases() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "_row": [2, 3, 4, 5, 6, 7],
            "patient_id": ["p1", "p2", "p3", "p4", "p5", "p6"],
            "case_id": ["c1", "c2", "c3", "c4", "c5", "c6"],
            "unit": ["A", "A", "B", "B", "B", "A"],
            "sex": ["K", "M", "K", "K", "M", "K"],
            "referral_date": [
                D(2024, 1, 1),
                D(2024, 2, 1),
                D(2024, 3, 1),
                D(2024, 4, 1),
                D(2023, 5, 1),
                D(2024, 12, 25),
            ],
            "first_visit_date": [
                D(2024, 1, 10),
                D(2024, 3, 1),
                None,
                D(2024, 4, 5),
                D(2023, 5, 3),
                None,
            ],
            "birth_date": [D(1960, 1, 1)] * 6,
            "referring_region": ["01", "01", "12", "12", "25", None],
            "national_mdk": [True, False, None, True, True, True],
        }
    )


def row(t: pl.DataFrame, ind: str, unit="ALL", stratum="all", period=2024) -> dict:
    r = t.filter(
        (pl.col("indicator_id") == ind)
        & (pl.col("unit") == unit)
        & (pl.col("stratum") == stratum)
        & (pl.col("period") == period)
    )
    assert r.height == 1, (ind, unit, stratum, period, r)
    return r.row(0, named=True)


@pytest.fixture(scope="module")
def acc_result():
    return compute_area("acc", {"cases": acc_cases()}, 2024, D(2025, 1, 5))


def test_output_columns_and_types(acc_result):
    t = acc_result.table
    assert t.columns[: len(SPEC4)] == SPEC4
    assert t.columns == OUTPUT_COLUMNS
    assert dict(t.schema) == OUTPUT_SCHEMA
    assert acc_result.extract_date == D(2025, 1, 5)
    assert set(t["extract_date"].to_list()) == {D(2025, 1, 5)}
    assert {d.id for d in acc_result.definitions} == {d.id for d in load_definitions("acc")}
    # one row per indicator x period x unit x stratum
    assert t.select(["indicator_id", "period", "unit", "stratum"]).is_duplicated().sum() == 0


def test_visit_within_x_by_hand(acc_result):
    t = acc_result.table
    # 2024: c1 day 9 (yes), c2 day 29 (no), c3 no visit & closed (missing), c4 day 4 (yes),
    # c6 referred 2024-12-25, no visit, 11 days before the extract date (pending)
    r = row(t, "acc.visit_within_x")
    assert (r["numerator"], r["denominator"], r["n_missing"], r["n_pending"]) == (2, 3, 1, 1)
    assert r["value"] == pytest.approx(2 / 3)
    assert r["ci_low"] == pytest.approx(0.207660, abs=1e-6) and r["ci_high"] == pytest.approx(
        0.938508, abs=1e-6
    )
    assert r["parameters"] == "x_days=14" and r["kind"] == "proportion"
    a = row(t, "acc.visit_within_x", unit="A")
    assert (a["numerator"], a["denominator"], a["n_pending"]) == (1, 2, 1)
    k = row(t, "acc.visit_within_x", stratum="sex=K")
    assert (k["numerator"], k["denominator"], k["n_missing"], k["n_pending"]) == (2, 2, 1, 1)
    assert row(t, "acc.visit_within_x", stratum="age_band=60-69")["denominator"] == 3
    old = row(t, "acc.visit_within_x", period=2023)
    assert (old["numerator"], old["denominator"]) == (1, 1)


def test_counts_distribution_and_not_computable(acc_result):
    t = acc_result.table
    assert row(t, "acc.patients")["numerator"] == 5 and row(t, "acc.patients")["value"] == 5
    assert row(t, "acc.patients", unit="A")["numerator"] == 3
    assert row(t, "acc.patients", unit="B", period=2023)["numerator"] == 1
    assert row(t, "acc.patients", unit="A", period=2023)["numerator"] == 0  # filled, not absent
    reg = row(t, "acc.referring_region", stratum="referring_region=12")
    assert (reg["numerator"], reg["denominator"], reg["kind"]) == (2, 4, "distribution")
    assert row(t, "acc.referring_region")["n_missing"] == 1
    age = row(t, "acc.age")
    assert age["value"] == 64.0 and age["kind"] == "median"
    nc = row(t, "acc.survival_1y")
    assert nc["computable"] is False and "death_date" in nc["note"] and nc["value"] is None
    assert nc["numerator"] is None


def test_units_add_up_to_all_for_counts(acc_result):
    t = acc_result.table.filter(
        pl.col("indicator_id") == "acc.patients", pl.col("stratum") == "all"
    )
    for p in t["period"].unique():
        tp = t.filter(pl.col("period") == p)
        assert (
            tp.filter(pl.col("unit") != "ALL")["numerator"].sum()
            == tp.filter(pl.col("unit") == "ALL")["numerator"][0]
        )


def test_strata_add_up_to_all():
    t = compute_area("acc", {"cases": acc_cases()}, 2024, D(2025, 1, 5)).table
    p = t.filter(
        pl.col("indicator_id") == "acc.patients", pl.col("period") == 2024, pl.col("unit") == "ALL"
    )
    sex = p.filter(pl.col("stratum").str.starts_with("sex="))["numerator"].sum()
    assert sex == p.filter(pl.col("stratum") == "all")["numerator"][0]


def test_periods_are_years_in_the_data_up_to_y():
    t = compute_area("acc", {"cases": acc_cases()}, 2023, D(2025, 1, 5)).table
    assert set(t["period"].to_list()) == {2023}
    t = compute_area("acc", {"cases": acc_cases()}, 2026, D(2025, 1, 5)).table
    assert set(t["period"].to_list()) == {2023, 2024, 2026}


def test_params_override_ci_option_and_min_count():
    f = {"cases": acc_cases()}
    base = compute_area("acc", f, 2024, D(2025, 1, 5))
    r = compute_area("acc", f, 2024, D(2025, 1, 5), params={"acc.visit_within_x": {"x_days": 30}})
    v = row(r.table, "acc.visit_within_x")
    # x = 30: c2 (day 29) now in time; c6 (11 days) still pending
    assert (v["numerator"], v["denominator"], v["n_pending"]) == (3, 3, 1)
    assert v["parameters"] == "x_days=30"
    g = compute_area("acc", f, 2024, D(2025, 1, 5), params={"x_days": 30})
    assert row(g.table, "acc.visit_within_x")["numerator"] == 3
    cp = compute_area("acc", f, 2024, D(2025, 1, 5), ci_method="clopper-pearson")
    assert row(cp.table, "acc.visit_within_x")["ci_low"] == pytest.approx(0.094299, abs=1e-5)
    assert (
        row(cp.table, "acc.visit_within_x")["ci_low"]
        != row(base.table, "acc.visit_within_x")["ci_low"]
    )
    assert row(base.table, "acc.visit_within_x")["suppressed"] is True
    low = compute_area("acc", f, 2024, D(2025, 1, 5), min_count=1)
    assert not low.table["suppressed"].any()
    with pytest.raises(NhvError):
        compute_area("acc", f, 2024, D(2025, 1, 5), ci_method="agresti")


def test_extract_date_from_the_data_ignores_future_dates():
    f = acc_cases().with_columns(
        first_visit_date=pl.when(pl.col("case_id") == "c1")
        .then(pl.lit(D(2999, 1, 1)))
        .otherwise(pl.col("first_visit_date"))
    )
    assert infer_extract_date({"cases": f}, today=D(2025, 6, 1)) == D(2024, 12, 25)
    res = compute_area("acc", {"cases": acc_cases()}, 2024)
    assert res.extract_date == D(2024, 12, 25) and res.extract_date_source == "data"
    with pytest.raises(NhvError, match="--extract-date"):
        infer_extract_date({"cases": pl.DataFrame({"unit": ["A"]})})


def test_deterministic():
    a = compute_area("acc", {"cases": acc_cases()}, 2024, D(2025, 1, 5)).table
    b = compute_area(
        "acc",
        {"cases": acc_cases().sample(fraction=1.0, shuffle=True, seed=3)},
        2024,
        D(2025, 1, 5),
    ).table
    assert a.equals(b)
    assert a.write_csv() == b.write_csv()


def test_survival_engine_matches_stats_per_unit():
    rng = np.random.default_rng(7)
    n = 400
    diag = [D(2023, 1, 1) + dt.timedelta(days=int(x)) for x in rng.integers(0, 365, n)]
    life = rng.integers(1, 900, n)
    follow = rng.integers(30, 900, n)
    extract = D(2025, 3, 1)
    death, vital = [], []
    for d0, lt, fu in zip(diag, life, follow, strict=True):
        dd = d0 + dt.timedelta(days=int(lt))
        vs = d0 + dt.timedelta(days=int(fu))
        if dd <= vs and dd <= extract:
            death.append(dd)
            vital.append(dd)
        else:
            death.append(None)
            vital.append(min(vs, extract))
    units = rng.choice(["A", "B", "C"], n).tolist()
    f = pl.DataFrame(
        {
            "case_id": [str(i) for i in range(n)],
            "unit": units,
            "diagnosis_date": diag,
            "death_date": death,
            "vital_status_date": vital,
            "referral_date": diag,
        }
    )
    t = compute_area("acc", {"cases": f}, 2024, extract).table
    for u in ["ALL", "A", "B", "C"]:
        idx = [i for i in range(n) if u == "ALL" or units[i] == u]
        time = [((death[i] or vital[i]) - diag[i]).days for i in idx]
        ev = [death[i] is not None for i in idx]
        km = kaplan_meier(time, ev, at=365)
        r = row(t, "acc.survival_1y", unit=u)
        assert r["value"] == pytest.approx(km.survival, rel=1e-9)
        assert r["ci_low"] == pytest.approx(km.ci_low, rel=1e-9)
        assert r["ci_high"] == pytest.approx(km.ci_high, rel=1e-9)
        assert (r["numerator"], r["denominator"], r["n_pending"]) == (
            km.events,
            km.n,
            km.censored_before,
        )


def test_survival_censors_at_the_extract_date():
    f = pl.DataFrame(
        {
            "case_id": ["a", "b"],
            "unit": ["A", "A"],
            "diagnosis_date": [D(2023, 6, 1), D(2023, 6, 1)],
            "death_date": [None, D(2024, 3, 1)],
            "referral_date": [D(2023, 6, 1)] * 2,
        }
    )
    # extract date 2024-04-01: a is alive, followed 305 days (< 365): pending; S = 1/2
    r = row(compute_area("acc", {"cases": f}, 2024, D(2024, 4, 1)).table, "acc.survival_1y")
    assert (r["value"], r["numerator"], r["denominator"], r["n_pending"]) == (0.5, 1, 2, 1)


def test_duration_median_quartiles_and_measure():
    f = pl.DataFrame(
        {
            "case_id": list("abcdef"),
            "unit": ["A", "A", "A", "B", "B", "B"],
            "treatment_intent": ["curative"] * 6,
            "referral_date": [D(2024, 1, 1)] * 6,
            "treatment_start_date": [
                D(2024, 1, 2),
                D(2024, 1, 5),
                D(2024, 1, 11),
                D(2024, 1, 18),
                D(2024, 1, 31),
                D(2024, 3, 1),
            ],
        }
    )
    t = compute_area("anal", {"cases": f}, 2024, D(2025, 1, 1)).table
    r = row(t, "anal.referral_to_treatment_days")
    days = [1, 4, 10, 17, 30, 60]
    assert r["value"] == pytest.approx(np.median(days))
    assert (r["q1"], r["q3"]) == (
        pytest.approx(np.quantile(days, 0.25)),
        pytest.approx(np.quantile(days, 0.75)),
    )
    w = row(t, "anal.referral_to_treatment_days", stratum="measure=within_x")
    assert (w["numerator"], w["denominator"]) == (4, 6)


def test_prem_and_episodes_tables():
    prem = pl.DataFrame(
        {
            "response_id": ["1", "2", "3"],
            "unit": ["A", "A", "B"],
            "response_date": [D(2024, 5, 1)] * 3,
            "q1": [5, 3, None],
            "q2": [4, 4, 4],
            "q3": [1, 2, 3],
            "q4": [None, None, 5],
        }
    )
    cases = pl.DataFrame(
        {
            "case_id": ["x"],
            "unit": ["A"],
            "referral_date": [D(2024, 1, 1)],
            "treatment_start_date": [D(2024, 2, 1)],
        }
    )
    t = compute_area("anal", {"cases": cases, "prem": prem}, 2024, D(2025, 1, 1)).table
    assert row(t, "anal.prem")["numerator"] == 3
    q1 = row(t, "anal.prem", stratum="question=q1")
    assert (q1["numerator"], q1["denominator"], q1["n_missing"]) == (1, 2, 1)
    ep = row(t, "anal.written_care_plan")
    assert ep["computable"] is False and "episodes" in ep["note"]


def test_underscore_columns_are_ignored_and_frames_not_modified():
    f = acc_cases()
    before = f.clone()
    compute_area("acc", {"cases": f.with_columns(_junk=pl.lit("x"))}, 2024, D(2025, 1, 5))
    assert f.equals(before)


def _synthetic_pelvic(n: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    start = D(2021, 1, 1)
    ref = rng.integers(0, 4 * 365, n)

    def dates(offsets, p_null=0.1):
        return [
            None if (o is None or rng.random() < p_null) else start + dt.timedelta(days=int(o))
            for o in offsets
        ]

    surg = [int(r + rng.integers(5, 90)) if rng.random() < 0.6 else None for r in ref]
    return pl.DataFrame(
        {
            "case_id": [str(i) for i in range(n)],
            "unit": rng.choice(["SE01", "SE02", "SE03"], n).tolist(),
            "sex": rng.choice(["K", "M", None], n).tolist(),
            "birth_date": dates(rng.integers(-80 * 365, -20 * 365, n).tolist()),
            "home_region": rng.choice(["01", "12", "25"], n).tolist(),
            "referral_date": dates(ref.tolist(), 0.0),
            "assessment_date": dates((ref + rng.integers(0, 30, n)).tolist()),
            "surgery_date": dates(surg, 0.0),
            "admission_date": dates([None if s is None else s - 1 for s in surg]),
            "discharge_date": dates(
                [None if s is None else s + int(rng.integers(2, 20)) for s in surg], 0.0
            ),
            "treatment_unit": rng.choice(["SE01", "SE02", "SE03", None], n).tolist(),
            "resection_margin": rng.choice(["R0", "R1", "R2", "RX", None], n).tolist(),
            "clavien_dindo": rng.choice(["I", "II", "IIIa", "IVb", None], n).tolist(),
            "reoperation_30d": rng.choice([True, False, None], n).tolist(),
            "death_date": dates(
                [None if rng.random() < 0.8 else int(r + rng.integers(10, 400)) for r in ref], 0.0
            ),
            "indication": rng.integers(1, 8, n).tolist(),
            "national_mdk": rng.choice([True, False, None], n).tolist(),
            "patient_id": [f"p{i}" for i in rng.integers(0, int(n * 0.9), n)],  # some twice
            "treatment_start_date": dates(
                [None if s is None else s - int(rng.integers(0, 40)) for s in surg], 0.3
            ),
            "treatment_type": rng.choice(["surgery", "radiotherapy", "medical", None], n).tolist(),
            "mdk_date": dates((ref + rng.integers(3, 40, n)).tolist(), 0.5),
        }
    )


def _coverage(area: str = "pelvic") -> pl.DataFrame:
    return pl.DataFrame(
        {
            "area": [area] * 8,
            "year": [2023, 2023, 2023, 2023, 2024, 2024, 2024, 2024],
            "unit": ["SE01", "SE02", "SE03", "ALL"] * 2,
            "expected": [40, 50, 45, 150, 42, 48, 47, 140],
        }
    )


def test_all_definitions_together_equal_each_alone():
    """Fusing indicators into shared passes never changes a number."""
    f = {"cases": _synthetic_pelvic(600, 11)}
    defs = load_definitions("pelvic")
    cov = _coverage()
    together = compute_area("pelvic", f, 2024, D(2025, 2, 1), definitions=defs, coverage=cov).table
    assert together["computable"].all()
    for d in defs:
        alone = compute_area("pelvic", f, 2024, D(2025, 2, 1), definitions=[d], coverage=cov).table
        # every indicator gets rows for every period any indicator has cases in (a first
        # treatment can come before the earliest referral): compare the periods it has alone
        mine = together.filter(
            (pl.col("indicator_id") == d.id)
            & pl.col("period").is_in(alone["period"].unique().to_list())
        ).drop("suppressed")
        assert mine.equals(alone.drop("suppressed")), d.id


def test_medians_from_value_counts_match_numpy():
    f = _synthetic_pelvic(500, 5)
    t = compute_area("pelvic", {"cases": f}, 2024, D(2025, 2, 1)).table
    for unit in ["ALL", "SE01", "SE02"]:
        sub = f if unit == "ALL" else f.filter(pl.col("unit") == unit)
        sub = sub.filter(pl.col("discharge_date").dt.year() == 2024)
        los = (
            sub.select((pl.col("discharge_date") - pl.col("admission_date")).dt.total_days())
            .to_series()
            .drop_nulls()
        )
        r = row(t, "pelvic.length_of_stay", unit=unit)
        assert r["denominator"] == los.len()
        q1, med, q3 = np.quantile(los.to_numpy(), [0.25, 0.5, 0.75])
        assert (r["q1"], r["value"], r["q3"]) == (
            pytest.approx(q1),
            pytest.approx(med),
            pytest.approx(q3),
        )


def test_types_are_checked_and_widened():
    f = acc_cases().with_columns(pl.col("referral_date").cast(pl.Datetime("us")))
    a = compute_area("acc", {"cases": f}, 2024, D(2025, 1, 5)).table
    b = compute_area("acc", {"cases": acc_cases()}, 2024, D(2025, 1, 5)).table
    assert a.equals(b)
    bad = acc_cases().with_columns(pl.col("referral_date").cast(pl.String))
    with pytest.raises(
        NhvError, match="column referral_date of the cases table is String, expected Date"
    ):
        compute_area("acc", {"cases": bad}, 2024, D(2025, 1, 5))
    r = compute_area("acc", {"cases": acc_cases()}, 2024, D(2025, 1, 5), params={"x_days": "30"})
    assert row(r.table, "acc.visit_within_x")["parameters"] == "x_days=30"
    with pytest.raises(NhvError, match="must be a number"):
        compute_area("acc", {"cases": acc_cases()}, 2024, D(2025, 1, 5), params={"x_days": "soon"})


# ---------------------------------------------------------------- the columns compute reads


@pytest.mark.slow
@pytest.mark.parametrize("area", AREAS)
def test_computing_from_only_the_needed_columns_gives_the_same_table(area):
    """``compute`` keeps only ``columns_needed`` of a large export; the result must not change
    (with the extract date given and inferred from the data)."""
    import datetime as dt
    from pathlib import Path

    import polars as pl
    from polars.testing import assert_frame_equal

    from nhvmetrics.engine.compute import columns_needed, compute_area
    from nhvmetrics.schema.validate import Needs, validate_export

    root = Path(__file__).resolve().parents[2] / "sample_data"
    files = {p.stem.split("_", 1)[1]: p for p in sorted(root.glob(f"{area}_*.csv"))}
    needed = columns_needed(area)
    full = validate_export(area, files, dt.date(2026, 3, 31), needs=Needs(contract=False))
    lean = validate_export(
        area, files, dt.date(2026, 3, 31), needs=Needs(contract=False, columns=needed)
    )
    for name, t in lean.tables.items():
        assert set(t.accepted.columns) == {"_row"} | (
            needed.get(name, set()) & set(full.table(name).accepted.columns)
        )
    # patient_id: distinct patients are counted; case_id only where another table joins the
    # case table (anal's episodes read the treatment intent of their case)
    cases_cols = set(lean.table("cases").accepted.columns)
    assert "patient_id" in cases_cols
    assert ("case_id" in cases_cols) == (area == "anal")
    assert lean.table("cases").accepted.schema["unit"] == pl.Categorical
    for extract in (dt.date(2026, 3, 31), None):
        a = compute_area(area, full.accepted, 2025, extract)
        b = compute_area(area, lean.accepted, 2025, extract)
        assert a.extract_date == b.extract_date
        assert_frame_equal(a.table, b.table)


@pytest.mark.slow
def test_every_indicator_case_gives_the_same_table_from_categorical_text():
    """``compute`` hands the engine coded text as Categorical (4 bytes a row instead of 16): every
    definition's own cases must give the same table as from String columns."""
    import polars as pl
    from polars.testing import assert_frame_equal

    from nhvmetrics.engine.compute import compute_area
    from nhvmetrics.engine.definitions import load_definitions
    from nhvmetrics.engine.testing import case_frames, iter_cases

    checked = 0
    for area in AREAS:
        for d, _i, case in iter_cases(load_definitions(area)):
            frames = case_frames(d, case)
            cats = {
                n: f.with_columns(pl.col(pl.String).cast(pl.Categorical)) for n, f in frames.items()
            }
            ed = case.get("extract_date")
            ed = dt.date.fromisoformat(ed) if isinstance(ed, str) else ed
            kw = dict(
                definitions=[d],
                params={d.id: dict(case.get("params") or {})},
                ci_method=case.get("ci", "wilson"),
            )
            a = compute_area(area, frames, int(case["year"]), ed, **kw)
            b = compute_area(area, cats, int(case["year"]), ed, **kw)
            assert_frame_equal(a.table, b.table)
            checked += 1
    assert checked >= 50


def test_id_codes_are_exact_even_when_the_hash_is_not(monkeypatch):
    """Two ids share a code exactly when they are equal, null stays null, whatever the hash:
    with a hash that collides (the length of the text) the codes are still exact."""
    from nhvmetrics.engine import compute as engine

    ids = pl.Series(
        "patient_id", ["19121212-1212", "p2", None, "p1", "19121212-1212", "p2", "px", None]
    )

    def same_iff_equal(codes: pl.Series) -> None:
        assert codes.len() == ids.len() and codes.dtype.is_integer()
        for i, a in enumerate(ids):
            assert (codes[i] is None) == (a is None)
            for j, b in enumerate(ids):
                if a is not None and b is not None:
                    assert (codes[i] == codes[j]) == (a == b), (a, b)

    same_iff_equal(engine.id_codes(ids))
    same_iff_equal(engine.id_codes(ids.cast(pl.Categorical)))
    monkeypatch.setattr(engine, "_id_hash", lambda e: e.str.len_bytes().cast(pl.UInt64))
    same_iff_equal(engine.id_codes(ids))


def test_distinct_patients_are_counted_exactly_when_ids_share_a_hash(monkeypatch):
    """Every definition's own cases give the same table when the id hash collides for every
    pair of ids of the same length (the codes then come from the Categorical dictionary)."""
    from polars.testing import assert_frame_equal

    from nhvmetrics.engine import compute as engine
    from nhvmetrics.engine.testing import case_frames, iter_cases

    checked = 0
    for area in AREAS:
        for d, _i, case in iter_cases(load_definitions(area)):
            if not d.spec.distinct_columns():
                continue
            frames = case_frames(d, case)
            ed = case.get("extract_date")
            ed = dt.date.fromisoformat(ed) if isinstance(ed, str) else ed
            kw = dict(definitions=[d], params={d.id: dict(case.get("params") or {})})
            a = compute_area(area, frames, int(case["year"]), ed, **kw)
            with monkeypatch.context() as m:
                m.setattr(engine, "_id_hash", lambda e: e.str.len_bytes().cast(pl.UInt64))
                b = compute_area(area, frames, int(case["year"]), ed, **kw)
            assert_frame_equal(a.table, b.table)
            checked += 1
    assert checked >= 5


def test_the_cases_of_a_key_alone_in_its_period_are_told_apart():
    """The cases of a distinct count whose key (patient code) has another case in the same
    period, up to the reporting year, get joint rows; the others are added up at once. A
    plan without the one key and period of that form gets no split."""
    import dataclasses

    from nhvmetrics.engine import compute as engine
    from nhvmetrics.engine.kind import Period
    from nhvmetrics.engine.kinds.count import CountPlan

    plan = CountPlan(
        periods=(Period("p", pl.col("p")),),
        aggs=(pl.len().cast(pl.UInt32).alias("n"),),
        keys=("k",),
        margin_aggs=(pl.col("k").n_unique().alias("n"),),
        single_sums=(pl.len().alias("n"),),
        row_values=(pl.lit(1, dtype=pl.UInt32).alias("n"),),
    )
    cases = pl.LazyFrame(
        {
            "p": pl.Series([2023, 2024, 2024, 2024, 2023, None, 2025, 2025], dtype=pl.Int16),
            "k": pl.Series([1, 1, 1, 2, 3, 3, 4, 4], dtype=pl.UInt32),
        }
    )
    # patient 1 twice in 2024; 3 once in 2023 (and once with no period); 4 twice after 2024
    assert engine._repeated(cases, plan, 2024).to_list() == [
        False,
        True,
        True,
        False,
        False,
        False,
        False,
        False,
    ]
    assert engine._repeated(cases.with_columns(pl.col("k").cast(pl.Int64)), plan, 2024) is None
    assert engine._repeated(cases, dataclasses.replace(plan, row_values=()), 2024) is None


# ---------------------------------------------------------------- provenance of a run [v2]


def test_every_row_names_where_its_parameter_values_come_from():
    r = compute_area("acc", {"cases": acc_cases()}, 2024, D(2025, 1, 5))
    visit = row(r.table, "acc.visit_within_x")
    assert (visit["parameters"], visit["parameter_sources"]) == ("x_days=14", "x_days=local")
    assert row(r.table, "acc.patients")["parameter_sources"] == ""
    # a value set for the run is said to be set for the run, and the titles show it
    r = compute_area(
        "acc",
        {"cases": acc_cases()},
        2024,
        D(2025, 1, 5),
        params={"acc.visit_within_x": {"x_days": 10}},
    )
    assert row(r.table, "acc.visit_within_x")["parameter_sources"] == "x_days=override"
    d = next(d for d in r.definitions if d.id == "acc.visit_within_x")
    assert d.params == {"x_days": 10} and "inom 10 dygn" in d.title_sv


def test_targets_set_for_a_run_are_checked_and_shown():
    r = compute_area(
        "acc",
        {"cases": acc_cases()},
        2024,
        D(2025, 1, 5),
        targets={"acc.visit_within_x": {"intermediate": 0.7, "high": 0.85}},
    )
    d = next(d for d in r.definitions if d.id == "acc.visit_within_x")
    assert d.targets.shown and (d.targets.intermediate, d.targets.high) == (0.7, 0.85)
    assert d.targets.source.type == "override"
    shipped = next(d for d in r.definitions if d.id == "acc.qol_followed_up")
    assert not shipped.targets.shown  # a local assumption of the shipped file
    for bad, message in [
        ({"intermediate": 80}, "must be a share between 0 and 1"),
        ({"high": "high"}, "must be a number"),
        ({"goal": 0.5}, "may set intermediate, high and direction"),
    ]:
        with pytest.raises(NhvError, match=message):
            compute_area(
                "acc",
                {"cases": acc_cases()},
                2024,
                D(2025, 1, 5),
                targets={"acc.visit_within_x": bad},
            )


def test_a_parameter_with_choices_takes_one_of_them():
    f = {"cases": _synthetic_pelvic(200, 3)}
    with pytest.raises(
        NhvError, match="parameter origin of pelvic.referral_to_treatment_days must"
    ):
        compute_area("pelvic", f, 2024, D(2025, 2, 1), params={"origin": "diagnosis"})
    a = compute_area("pelvic", f, 2024, D(2025, 2, 1), params={"origin": "assessment"}).table
    b = compute_area("pelvic", f, 2024, D(2025, 2, 1)).table
    ra, rb = (
        row(a, "pelvic.referral_to_treatment_days"),
        row(b, "pelvic.referral_to_treatment_days"),
    )
    assert ra["parameters"] == "origin=assessment;x_days=42" and ra["value"] < rb["value"]


def test_the_suppression_policy_is_a_parameter_of_compute():
    f = {"cases": acc_cases()}
    with pytest.raises(NhvError, match="unknown suppression policy 'all'"):
        compute_area("acc", f, 2024, D(2025, 1, 5), suppress="all")
    default = compute_area("acc", f, 2024, D(2025, 1, 5), min_count=2).table
    cells = compute_area("acc", f, 2024, D(2025, 1, 5), min_count=2, suppress="cells").table
    assert cells["suppressed"].sum() >= default["suppressed"].sum()
    shares = cells.filter(
        pl.col("kind").is_in(["proportion", "survival"])
        & pl.col("computable")
        & (pl.col("numerator") == 1)
    )
    assert shares.height > 0 and shares["suppressed"].all()
