"""``nhvmetrics sample``: determinism, shape, realism, planted errors and the INCA-style
dialect under the built-in names (``--dialect aliases``); the register dialect (``--inca``) is
tested in ``tests/test_sample_register.py``."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from nhvmetrics import AREAS
from nhvmetrics.cli import app
from nhvmetrics.errors import NhvError
from nhvmetrics.sample import (
    EXTRACT_DATE,
    FIRST_YEAR,
    INCA_ENCODING,
    LAST_YEAR,
    PLANTED,
    TABLES,
    UNITS,
    generate,
    luhn_valid,
    output_paths,
    planted_kinds,
    render,
    write_sample,
)
from nhvmetrics.schema.model import load_schema
from tests.fixtures.cli import run_cli

POLARS = {
    "string": pl.String,
    "int": pl.Int64,
    "float": pl.Float64,
    "date": pl.Date,
    "bool": pl.Boolean,
}
SIZES = {"acc": 600, "net": 1500, "anal": 1400, "pelvic": 3000}


@pytest.fixture(scope="module")
def clean() -> dict[str, dict[str, pl.DataFrame]]:
    return {a: generate(a, SIZES[a], 11) for a in AREAS}


@pytest.fixture(scope="module")
def dirty() -> dict[str, dict[str, pl.DataFrame]]:
    return {a: generate(a, SIZES[a], 11, dirty=0.03) for a in AREAS}


# --------------------------------------------------------------------------------------------
# an independent checker of the schema's cross-field rules, code lists and ranges


def rule_violations(
    area: str, table: str, df: pl.DataFrame, extract: dt.date = EXTRACT_DATE
) -> dict[str, int]:
    t = load_schema(area).table(table)
    out: dict[str, int] = {}
    dates = [c.name for c in t.columns.values() if c.type == "date" and c.name in df.columns]
    for r in t.rules:
        p = r.params
        if r.check == "date_order":
            out[f"date_order:{p['before']}>{p['after']}"] = df.filter(
                pl.col(p["before"]) > pl.col(p["after"])
            ).height
        elif r.check == "not_before_birth":
            for c in dates:
                if c != p["birth"]:
                    out[f"before_birth:{c}"] = df.filter(pl.col(c) < pl.col(p["birth"])).height
        elif r.check == "not_after_death":
            for c in dates:
                if c not in (p["death"], *p.get("except", [])):
                    out[f"after_death:{c}"] = df.filter(pl.col(c) > pl.col(p["death"])).height
        elif r.check == "age_range":
            age = (pl.col(p["at"]) - pl.col(p["birth"])).dt.total_days() / 365.25
            out["age_range"] = df.filter((age < p["min"]) | (age >= p["max"] + 1)).height
    for c in dates:
        out[f"future:{c}"] = df.filter(pl.col(c) > extract).height
    for col in t.columns.values():
        if col.name not in df.columns:
            continue
        s = df[col.name].drop_nulls()
        if col.codes is not None:
            out[f"code:{col.name}"] = int((~s.is_in(list(col.codes))).sum())
        if col.range is not None:
            lo, hi = col.range
            out[f"range:{col.name}"] = int(((s < lo) | (s > hi)).sum())
    if t.key and t.key in df.columns:
        out[f"duplicate:{t.key}"] = df.height - df[t.key].n_unique()
    return {k: v for k, v in out.items() if v}


def days(a: str, b: str) -> pl.Expr:
    return (pl.col(b) - pl.col(a)).dt.total_days()


# --------------------------------------------------------------------------------------------
# shape and types


@pytest.mark.parametrize("area", AREAS)
def test_every_canonical_column_is_present_with_its_type(area, clean) -> None:
    frames = clean[area]
    assert tuple(frames) == TABLES[area]
    schema = load_schema(area)
    for name, df in frames.items():
        spec = schema.table(name)
        assert set(df.columns) == set(spec.columns), name
        for col in spec.columns.values():
            assert df.schema[col.name] == POLARS[col.type], (name, col.name)
        for req in spec.required:
            assert df[req].null_count() == 0, (name, req)


@pytest.mark.parametrize("area", AREAS)
def test_row_counts(area) -> None:
    for n in (0, 1, 37):
        frames = generate(area, n, 5)
        assert frames["cases"].height == n
    f = generate(area, 1400, 5)
    if area == "anal":
        per_case = f["episodes"].height / 1400
        assert 2.5 < per_case < 5.5
        assert 0.6 < f["prem"].height / 1400 < 0.8


@pytest.mark.parametrize("area", AREAS)
def test_clean_data_breaks_no_rule(area, clean) -> None:
    for name, df in clean[area].items():
        assert rule_violations(area, name, df) == {}, name
        if name == "cases":
            assert df["case_id"].is_unique().all()


@pytest.mark.slow
@pytest.mark.parametrize("area", AREAS)
def test_personnummer_are_valid_and_agree_with_sex_and_birth_date(area, clean) -> None:
    df = clean[area]["cases"]
    ids = df["patient_id"].to_list()
    assert all(luhn_valid(p) for p in ids)
    assert all(len(p) == 13 and p[8] == "-" for p in ids)
    digits = df.select(
        pl.col("patient_id").str.slice(0, 4).cast(pl.Int32).alias("y"),
        pl.col("patient_id").str.slice(4, 2).cast(pl.Int32).alias("m"),
        pl.col("patient_id").str.slice(6, 2).cast(pl.Int32).alias("d"),
        pl.col("patient_id").str.slice(11, 1).cast(pl.Int32).alias("g"),
        "birth_date",
        "sex",
    )
    samord = digits.filter(pl.col("d") > 60)
    assert samord.height > 0  # some samordningsnummer (day + 60)
    check = digits.with_columns(
        pl.when(pl.col("d") > 60).then(pl.col("d") - 60).otherwise(pl.col("d")).alias("d")
    )
    assert (
        check.filter(pl.date(pl.col("y"), pl.col("m"), pl.col("d")) != pl.col("birth_date")).height
        == 0
    )
    assert check.filter((pl.col("g") % 2 == 1) != (pl.col("sex") == "M")).height == 0


def test_luhn_helper() -> None:
    assert luhn_valid("19121212-1212") and luhn_valid("121212-1212") and luhn_valid("701063-2391")
    assert not luhn_valid("19121212-1213") and not luhn_valid("12345")


# --------------------------------------------------------------------------------------------
# realism: what the indicators need to see


@pytest.mark.parametrize("area", AREAS)
def test_units_years_deaths_and_missing_values(area, clean) -> None:
    df = clean[area]["cases"]
    assert set(df["unit"].unique()) == set(UNITS)
    assert any(u.startswith("0") for u in UNITS)
    years = set(df["referral_date"].dt.year().unique())
    assert years == set(range(FIRST_YEAR, LAST_YEAR + 1))
    assert df["death_date"].null_count() < df.height  # some died
    assert df["death_date"].drop_nulls().max() <= EXTRACT_DATE
    assert df["vital_status_date"].drop_nulls().max() <= EXTRACT_DATE
    assert df["first_visit_date"].null_count() > 0 or df["treatment_start_date"].null_count() > 0
    assert df["national_mdk"].null_count() > 0 and df["national_mdk"].sum() > 0
    assert set(df["referring_region"].unique()) <= set(
        load_schema(area).table("cases").column("referring_region").codes
    )
    assert df["sex"].n_unique() == 2
    by_year = df.group_by(pl.col("referral_date").dt.year()).len()
    per_year = by_year["len"].mean()
    assert per_year == pytest.approx(SIZES[area] / 7, rel=0.1)


def test_acc_distributions(clean) -> None:
    df = clean["acc"]["cases"]
    visit14 = df.select((days("referral_date", "first_visit_date") <= 14).mean()).item()
    svf7 = df.select((days("diagnosis_date", "treatment_start_date") <= 7).mean()).item()
    assert 0.5 < visit14 < 0.95 and 0.35 < svf7 < 0.85
    assert set(df["surgery_intent"].drop_nulls()) == {"curative", "palliative"}
    assert set(df["resection_margin"].drop_nulls()) == {"R0", "R1", "R2", "RX"}
    mito = df["mitotane_level_1y"].drop_nulls()
    assert mito.len() > 20 and 0 < mito.min() and mito.max() <= 100
    assert 0.2 < mito.is_between(14, 20).mean() < 0.8
    # oncology only at two of the four units
    assert set(df.filter(pl.col("oncology_start_date").is_not_null())["unit"].unique()) == set(
        UNITS[:2]
    )
    # the 1-year level is only there once a year has passed
    late = df.filter(pl.col("oncology_start_date") > EXTRACT_DATE - dt.timedelta(days=365))
    assert late["mitotane_level_1y"].null_count() == late.height


def test_net_distributions(clean) -> None:
    df = clean["net"]["cases"]
    assert set(df["net_condition"].unique()) == {1, 2, 3, 4}
    assert set(df["treatment_type"].drop_nulls()) == {"surgery", "medical", "prrt", "other"}
    grades = {"0", "I", "II", "IIIa", "IIIb", "IVa", "IVb", "V"}
    assert set(df["clavien_dindo"].drop_nulls()) <= grades
    assert df["clavien_dindo"].drop_nulls().n_unique() >= 5
    surg = df.filter(pl.col("surgery_date").is_not_null())
    # grade 0 = no complication, once the 30-day window has closed; never "0" with a complication
    closed = surg.filter(pl.col("complication_30d").is_not_null())
    assert (closed.filter(~pl.col("complication_30d"))["clavien_dindo"] == "0").all()
    assert (closed.filter(pl.col("complication_30d"))["clavien_dindo"] != "0").all()
    assert 0.1 < surg["complication_30d"].mean() < 0.5
    leak = surg.filter(pl.col("anastomotic_leak") | pl.col("pancreatic_fistula"))
    assert leak.height > 0 and leak["complication_30d"].all()
    assert df.filter(pl.col("pancreatic_fistula").is_not_null())[
        "net_condition"
    ].unique().to_list() == [3]
    # pending: surgery less than 30 days before the extract has no complication outcome yet
    pending = surg.filter(pl.col("surgery_date") > EXTRACT_DATE - dt.timedelta(days=30))
    assert pending.height > 0 and pending["complication_30d"].null_count() == pending.height
    assert df["valve_surgery"].sum() > 0
    assert df.filter(pl.col("valve_surgery"))["unit"].unique().to_list() == [UNITS[0]]
    within = df.select((days("referral_date", "first_visit_date") <= 28).mean()).item()
    assert 0.4 < within < 0.95


def test_anal_tables(clean) -> None:
    f = clean["anal"]
    cases, ep, prem = f["cases"], f["episodes"], f["prem"]
    assert set(ep["case_id"].unique()) <= set(cases["case_id"])
    assert ep["episode_id"].is_unique().all() and prem["response_id"].is_unique().all()
    assert ep.group_by("case_id").len()["len"].max() > 3
    assert (
        ep["written_care_plan"].mean() is not None and 0.4 < ep["written_care_plan"].mean() < 0.95
    )
    joined = ep.join(
        cases.select("case_id", pl.col("unit").alias("cu"), "death_date"), on="case_id"
    )
    assert (joined["unit"] == joined["cu"]).all()
    assert joined.filter(pl.col("visit_date") > pl.col("death_date")).height == 0
    assert "patient_id" not in prem.columns and "case_id" not in prem.columns
    for q in ("q1", "q2", "q3", "q4"):
        assert set(prem[q].drop_nulls().unique()) == {1, 2, 3, 4, 5}
    rt = cases.filter(pl.col("rt_start_date").is_not_null() & pl.col("rt_end_date").is_not_null())
    dur = rt.filter(pl.col("treatment_intent") == "curative").select(
        days("rt_start_date", "rt_end_date") + 1
    )
    assert 35 < dur.to_series().median() < 50
    within17 = cases.select((days("referral_date", "treatment_start_date") <= 17).mean()).item()
    assert 0.2 < within17 < 0.8
    assert set(cases["response_6m"].drop_nulls()) == {"complete", "not_complete", "not_assessed"}
    assert set(cases["treatment_intent"].drop_nulls()) == {"curative", "palliative"}
    # 6-month response pending for treatment started less than 183 days before the extract
    recent = cases.filter(pl.col("rt_start_date") > EXTRACT_DATE - dt.timedelta(days=183))
    assert recent.height > 0 and recent["response_6m"].null_count() == recent.height


def test_pelvic_assessments_and_operations(clean) -> None:
    df = clean["pelvic"]["cases"]
    assert set(df["indication"].unique()) == set(range(1, 8))
    ops = df.filter(pl.col("surgery_date").is_not_null())
    assert 0.35 < ops.height / df.height < 0.65  # more assessments than operations
    assert df["assessment_date"].null_count() == 0
    other = ops.filter(pl.col("treatment_unit") != pl.col("unit")).height / ops.height
    assert 0.05 < other < 0.3
    assert (
        df.filter(pl.col("surgery_date").is_null())["treatment_unit"].null_count()
        == df.height - ops.height
    )
    los = ops.select(days("admission_date", "discharge_date")).to_series().drop_nulls()
    assert 5 <= los.median() <= 15
    assert ops["admission_date"].null_count() == 0
    assert ops["discharge_date"].null_count() > 0  # still admitted at the extract
    assert set(ops["resection_margin"].drop_nulls()) == {"R0", "R1", "R2", "RX"}
    assert {"0", "IIIa", "IIIb", "V"} <= set(ops["clavien_dindo"].drop_nulls())
    # a grade not registered although the 30-day window has closed: unknown, not "0"
    closed = ops.filter(pl.col("surgery_date") <= EXTRACT_DATE - dt.timedelta(days=30))
    assert 0 < closed["clavien_dindo"].null_count() < 0.1 * closed.height
    dead30 = ops.filter(days("surgery_date", "death_date") <= 30)
    dead90 = ops.filter(days("surgery_date", "death_date") <= 90)
    assert 0 < dead30.height < dead90.height
    women = (
        df.group_by("indication").agg((pl.col("sex") == "K").mean().alias("k")).sort("indication")
    )
    assert women.filter(pl.col("indication") == 5)["k"].item() == 1.0


@pytest.mark.parametrize("area", AREAS)
def test_some_patients_have_two_cases(area, clean) -> None:
    """A few patients come back (a second referral, a recurrence): patients and cases differ,
    and the second case carries the same personnummer, sex and birth date."""
    df = clean[area]["cases"]
    repeats = df.filter(pl.col("patient_id").is_duplicated())
    assert 0 < df.height - df["patient_id"].n_unique() < 0.05 * df.height
    same = repeats.group_by("patient_id").agg(
        pl.col("sex").n_unique().alias("sexes"), pl.col("birth_date").n_unique().alias("births")
    )
    assert (same["sexes"] == 1).all() and (same["births"] == 1).all()


@pytest.mark.parametrize("area", AREAS)
def test_mdk_date_only_for_cases_discussed_at_the_national_mdk(area, clean) -> None:
    df = clean[area]["cases"]
    dated = df.filter(pl.col("mdk_date").is_not_null())
    assert dated.height > 0.5 * df["national_mdk"].sum()
    assert dated["national_mdk"].all()
    gap = dated.select(days("referral_date", "mdk_date")).to_series()
    assert gap.min() >= 3 and 7 <= gap.median() <= 21
    assert dated["mdk_date"].max() <= EXTRACT_DATE


# --------------------------------------------------------------------------------------------
# determinism


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx"])
@pytest.mark.parametrize("dialect", ["canonical", "aliases", "inca"])
@pytest.mark.slow
def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path, suffix, dialect) -> None:
    def make(seed: int, tag: str) -> list[bytes]:
        written = write_sample(
            "anal", 120, seed, tmp_path / f"{tag}_cases{suffix}", dirty=0.05, dialect=dialect
        )
        files = list(dict.fromkeys(p for p, _ in written.values()))
        files += sorted(tmp_path.glob(f"{tag}_cases.mapping.yaml"))  # the register's profile
        assert len(files) == (3 if suffix != ".xlsx" else 1) + (dialect == "inca")
        # the profile names the export's files in its comment; the rest must not differ
        return [
            _unnamed(p.read_bytes(), tag) if p.suffix == ".yaml" else p.read_bytes() for p in files
        ]

    a, b, c = make(3, "a"), make(3, "b"), make(4, "c")
    assert a == b
    assert a != c


def _unnamed(profile: bytes, tag: str) -> bytes:
    lines = profile.decode("utf-8").splitlines(keepends=True)
    return "".join(
        ln.replace(f"{tag}_", "X_") if ln.startswith("#") else ln for ln in lines
    ).encode("utf-8")


def test_frames_are_deterministic_and_dirty_adds_to_clean(clean, dirty) -> None:
    again = generate("pelvic", SIZES["pelvic"], 11)
    assert again["cases"].equals(clean["pelvic"]["cases"])
    for area in AREAS:
        d = dirty[area]["cases"]
        untouched = d.with_row_index("_i").filter(pl.col("_planted").is_null())
        base = clean[area]["cases"].with_row_index("_i").join(untouched.select("_i"), on="_i")
        assert untouched.drop("_i", *PLANTED).equals(base.drop("_i"))


# --------------------------------------------------------------------------------------------
# planted errors


@pytest.mark.parametrize("area", AREAS)
def test_dirty_plants_every_kind_at_the_requested_fraction(area, dirty) -> None:
    for name, df in dirty[area].items():
        planted = df.filter(pl.col("_planted").is_not_null())
        assert abs(planted.height / df.height - 0.03) < 0.002, name
        assert set(planted["_planted"]) == set(planted_kinds(area, name)), name
        assert planted["_planted_column"].null_count() == 0
        unparsable = planted.filter(pl.col("_planted") == "unparsable_date")
        assert unparsable["_planted_value"].null_count() == 0


@pytest.mark.parametrize("area", AREAS)
def test_planted_errors_are_real_errors(area, dirty) -> None:
    cases = dirty[area]["cases"]
    found = rule_violations(area, "cases", cases.drop(PLANTED))
    kinds = cases["_planted"].value_counts()
    n = dict(zip(kinds["_planted"], kinds["count"], strict=True))
    assert found["date_order:referral_date>treatment_start_date"] >= n["referral_after_treatment"]
    assert found["age_range"] == n["age_over_110"]
    assert found["future:vital_status_date"] == n["future_date"]
    assert found["duplicate:case_id"] == n["duplicate_case_id"]
    bad = cases.filter(pl.col("_planted") == "bad_luhn")["patient_id"].to_list()
    assert bad and not any(luhn_valid(p) for p in bad)
    ok = cases.filter(pl.col("_planted") != "bad_luhn")["patient_id"].to_list()
    assert all(luhn_valid(p) for p in ok)
    unknown = sum(v for k, v in found.items() if k.startswith(("code:", "range:")))
    assert unknown >= n["unknown_code"]
    if area == "acc":
        assert found["range:mitotane_level_1y"] == n["mitotane_250"]
        assert (
            cases.filter(pl.col("_planted") == "mitotane_250")["mitotane_level_1y"] == 250
        ).all()
    if area == "anal":
        assert found["date_order:rt_start_date>rt_end_date"] == n["rt_end_before_start"]
        ep = dirty[area]["episodes"]
        orphans = ep.filter(~pl.col("case_id").is_in(cases["case_id"].implode()))
        assert orphans.height == ep.filter(pl.col("_planted") == "orphan_episode").height > 0
        prem = rule_violations(area, "prem", dirty[area]["prem"].drop(PLANTED))
        assert sum(v for k, v in prem.items() if k.startswith("range:")) > 0
    if area == "pelvic":
        assert found["date_order:admission_date>discharge_date"] == n["discharge_before_admission"]


def test_unparsable_dates_reach_the_file(tmp_path) -> None:
    frames = generate("net", 2000, 1, dirty=0.05)
    bad = frames["cases"].filter(pl.col("_planted") == "unparsable_date")
    text = render("net", frames)["cases"]
    for col, raw in zip(bad["_planted_column"], bad["_planted_value"], strict=True):
        assert raw in text[col].to_list()
    out = write_sample("net", 2000, 1, tmp_path / "n.parquet", dirty=0.05)["cases"][0]
    typed = pl.read_parquet(out)
    assert not any(c.startswith("_") for c in typed.columns)
    assert typed.schema["referral_date"] in (pl.Date, pl.String)


# --------------------------------------------------------------------------------------------
# the INCA-style dialect under the built-in names (--dialect aliases)


def _inca_header(area: str, table: str) -> list[str]:
    spec = load_schema(area).table(table)
    names: list[str] = []
    for c in spec.columns.values():
        names.append(c.inca_name)
        if c.list_variable:
            names.append(c.inca_description_name)
    return names


@pytest.mark.parametrize("area", AREAS)
def test_aliases_csv_dialect(tmp_path, area) -> None:
    written = write_sample(
        area, 400, 8, tmp_path / f"{area}_cases.csv", dirty=0.02, dialect="aliases"
    )
    for table, (path, n) in written.items():
        raw = path.read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf")
        if table != "prem":  # the PREM table is plain ASCII
            with pytest.raises(UnicodeDecodeError):
                raw.decode("utf-8")  # Windows-1252, not UTF-8 ("_Värde")
        text = raw.decode(INCA_ENCODING)
        lines = text.split("\r\n")
        assert lines[-1] == "" and all("\n" not in ln for ln in lines)
        header = lines[0].split(";")
        assert set(_inca_header(area, table)) <= set(header)
        df = pl.read_csv(io.BytesIO(text.encode()), separator=";", infer_schema=False)
        assert df.height == n
        dates = [
            c
            for c in df.columns
            if c
            in {
                s.inca_name
                for s in load_schema(area).table(table).columns.values()
                if s.type == "date"
            }
        ]
        assert any(df[c].str.contains(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$").any() for c in dates)
        if table == "cases":
            assert header[0] == "REGION_NAMN" and "MAKULERAD" in header
            assert {
                "PAT_ID",
                "KON_VALUE",
                "LAN_VALUE",
                "FODELSEDATUM",
                "AVLIDDAT",
                "VITALSTATUSDATUM",
                "SjukhusKod",
                "KON_BESKRIVNING",
                "LAN_BESKRIVNING",
            } <= set(header)
            assert set(df["KON_VALUE"].unique()) == {"1", "2"}
            assert (df["MAKULERAD"] == "1").sum() >= 2
            assert (df["REGION_NAMN"] == "Region Demo").sum() >= 2
            assert (
                n
                == 400 + (df["MAKULERAD"] == "1").sum() + (df["REGION_NAMN"] == "Region Demo").sum()
            )
            assert df["SjukhusKod"].is_in(list(UNITS)).all()
            assert df["LAN_VALUE"].str.len_chars().eq(2).all()
            bools = [c for c in header if c.endswith("_Värde") and "mdk" in c]
            assert set(df[bools[0]].drop_nulls()) >= {"1", "0", "Ja", "Nej", "99"}
            assert df["remitterande_region_Beskrivning"].str.contains("ö|Ö|ä|å").any()
    if area == "acc":
        df = pl.read_csv(
            written["cases"][0], separator=";", encoding="windows-1252", infer_schema=False
        )
        mito = df["mitotan_1ar"].drop_nulls()
        assert mito.str.contains(r"^\d+,\d$").all() and mito.len() > 0


def test_aliases_codes_follow_the_schema(tmp_path) -> None:
    frames = generate("net", 500, 2)
    inca = render("net", frames, dialect="aliases", seed=2)["cases"]
    real = inca.filter((pl.col("MAKULERAD") == "0") & (pl.col("REGION_NAMN") != "Region Demo"))
    assert real.height == 500
    cd = real["clavien_dindo_Värde"].drop_nulls()
    assert set(cd) <= {"0", "1", "2", "3", "4", "5", "6", "7", "98", "99"}
    assert "0" in set(cd)
    none = real.filter(pl.col("clavien_dindo_Värde") == "0")["clavien_dindo_Beskrivning"]
    assert set(none) == {"Ingen komplikation"}
    assert set(real["behandlingstyp_Värde"].drop_nulls()) <= {"1", "2", "4", "5", "98", "99"}
    pairs = real.select("net_tillstand_Värde", "net_tillstand_Beskrivning").unique().drop_nulls()
    assert all(b == f"Tillstånd {v}" for v, b in pairs.iter_rows() if v not in ("98", "99"))


def test_aliases_xlsx_and_parquet_hold_every_table(tmp_path) -> None:
    xlsx = write_sample("anal", 80, 1, tmp_path / "a.xlsx", dialect="aliases")
    assert {p for p, _ in xlsx.values()} == {tmp_path / "a.xlsx"}
    with zipfile.ZipFile(tmp_path / "a.xlsx") as z:
        names = z.namelist()
        assert all(i.date_time == (2026, 1, 1, 0, 0, 0) for i in z.infolist())
    assert sum(n.startswith("xl/worksheets/sheet") for n in names) == 3
    from openpyxl import load_workbook

    wb = load_workbook(tmp_path / "a.xlsx", read_only=True)
    assert wb.sheetnames == ["cases", "episodes", "prem"]
    pq = write_sample("anal", 80, 1, tmp_path / "b.parquet", dialect="aliases")
    assert pl.read_parquet(pq["episodes"][0]).columns[0] == "vardtillfalle_id"


# --------------------------------------------------------------------------------------------
# file naming and the command line


def test_output_paths(tmp_path) -> None:
    p = output_paths("anal", tmp_path / "anal_cases.csv")
    assert p == {
        "cases": tmp_path / "anal_cases.csv",
        "episodes": tmp_path / "anal_episodes.csv",
        "prem": tmp_path / "anal_prem.csv",
    }
    p = output_paths("anal", tmp_path / "export.parquet")
    assert (
        p["episodes"] == tmp_path / "export_episodes.parquet"
        and p["prem"] == tmp_path / "export_prem.parquet"
    )
    assert set(output_paths("anal", tmp_path / "x.xlsx").values()) == {tmp_path / "x.xlsx"}
    assert output_paths("acc", tmp_path) == {"cases": tmp_path / "acc_cases.csv"}
    with pytest.raises(NhvError, match=r"\.csv, \.parquet or \.xlsx"):
        output_paths("acc", tmp_path / "x.txt")


def test_cli_writes_and_prints_every_table(tmp_path) -> None:
    out = tmp_path / "anal_cases.csv"
    res = CliRunner().invoke(
        app, ["sample", "--area", "ANAL", "--rows", "50", "--seed", "1", "-o", str(out)]
    )
    assert res.exit_code == 0, res.output
    for t in ("cases", "episodes", "prem"):
        assert f"wrote {t}: " in res.output
        assert (tmp_path / f"anal_{t}.csv").is_file()
    assert "wrote cases: " in res.output and "(50 rows)" in res.output
    assert not list(tmp_path.glob("*.part"))
    # a line before the work starts, then one per file as it is written
    lines = res.output.splitlines()
    assert lines[0] == "generating anal: 50 case rows, seed 1, canonical dialect"
    assert [ln.split(":")[0] for ln in lines[1:]] == [
        "wrote cases",
        "wrote episodes",
        "wrote prem",
    ]


def test_cli_inca_writes_the_profile_and_says_so(tmp_path) -> None:
    out = tmp_path / "acc_cases.csv"
    res = CliRunner().invoke(
        app, ["sample", "--area", "acc", "--rows", "40", "--seed", "2", "--inca", "-o", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert res.output.splitlines()[0].endswith("inca dialect")
    assert f"wrote mapping profile: {tmp_path / 'acc_cases.mapping.yaml'}" in res.output
    assert (tmp_path / "acc_cases.mapping.yaml").is_file()
    same = CliRunner().invoke(
        app,
        ["sample", "--area", "acc", "--rows", "40", "--seed", "2", "--dialect", "inca"]
        + ["-o", str(tmp_path / "b_cases.csv")],
    )
    assert same.exit_code == 0
    assert (tmp_path / "b_cases.csv").read_bytes() == out.read_bytes()


@pytest.mark.parametrize(
    "args,message",
    [
        (["--dialect", "sas"], "unknown dialect 'sas'; use one of: canonical, aliases, inca."),
        (["--inca", "--dialect", "aliases"], "--inca is the same as --dialect inca"),
    ],
)
def test_cli_dialect_errors(tmp_path, capsys, args, message) -> None:
    code, _, err = run_cli(
        ["sample", "--area", "acc", "--rows", "5", "--seed", "1", *args, "-o", tmp_path / "x.csv"],
        capsys,
    )
    assert code == 2 and message in err and err.startswith("error: ")
    assert not (tmp_path / "x.csv").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["--area", "lung", "--rows", "5", "--seed", "1"],
        ["--area", "acc", "--rows", "-5", "--seed", "1"],
        ["--area", "acc", "--rows", "5", "--seed", "-1"],
        ["--area", "acc", "--rows", "5", "--seed", "1", "--dirty", "1.5"],
    ],
)
def test_cli_usage_errors(tmp_path, args) -> None:
    from nhvmetrics.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["sample", *args, "-o", str(tmp_path / "x.csv")])
    assert exc.value.code == 2
    assert not (tmp_path / "x.csv").exists()


def test_cli_unknown_suffix(tmp_path, capsys) -> None:
    from nhvmetrics.cli import main

    with pytest.raises(SystemExit) as exc:
        main(
            [
                "sample",
                "--area",
                "acc",
                "--rows",
                "5",
                "--seed",
                "1",
                "-o",
                str(tmp_path / "x.json"),
            ]
        )
    assert exc.value.code == 2
    assert ".csv, .parquet or .xlsx" in capsys.readouterr().err


def test_large_volumes_are_fast() -> None:
    import time

    t = time.perf_counter()
    f = generate("anal", 100_000, 1, dirty=0.01)
    assert f["cases"].height == 100_000 and f["episodes"].height > 250_000
    assert time.perf_counter() - t < 30


def test_written_csv_matches_rendered_frames(tmp_path) -> None:
    frames = generate("acc", 50, 9)
    path = write_sample("acc", 50, 9, tmp_path / "acc.csv")["cases"][0]
    assert path.read_bytes() == render("acc", frames)["cases"].write_csv().encode("utf-8")
    assert Path(path).read_text(encoding="utf-8").splitlines()[0].split(",")[:3] == [
        "patient_id",
        "case_id",
        "unit",
    ]


def test_too_many_rows_for_excel(tmp_path, monkeypatch) -> None:
    import nhvmetrics.sample as sample

    monkeypatch.setattr(sample, "_XLSX_MAX_ROWS", 100)
    with pytest.raises(NhvError, match="more than an Excel sheet holds"):
        write_sample("anal", 30, 1, tmp_path / "a.xlsx")
    assert not (tmp_path / "a.xlsx").exists()
    write_sample("acc", 30, 1, tmp_path / "b.xlsx")
