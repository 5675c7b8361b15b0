"""The pelvic indicators the way an analyst writes them in pandas.

    python benchmarks/peers/pandas_peer.py FILE --year 2025 --extract-date 2026-02-15 -o out.csv

Reads only the columns it needs (``usecols``), drops cancelled and demo rows, maps the INCA codes,
then one filter + group-by per indicator, per unit and for all units (``ALL``), for every year up
to the reporting year, stratum ``all`` (plus the measures and the categories of the distributions).
No validation: on a clean export its numbers equal ``nhvmetrics compute``'s.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    AGE_BANDS,
    CLAVIEN,
    CODE_COLUMNS,
    COLUMNS,
    DATE_COLUMNS,
    MARGIN,
    OUTPUT,
    PARAMS,
    SEX,
    STRING_COLUMNS,
    TTYPE,
    args,
)


def load(path: Path) -> pd.DataFrame:
    if path.suffix.lower() == ".csv":
        df = pd.read_csv(
            path,
            sep=";",
            decimal=",",
            usecols=list(COLUMNS),
            dtype={c: str for c in STRING_COLUMNS},
            encoding="utf-8",
        )
    else:
        df = pd.read_parquet(path, columns=list(COLUMNS))
        for c in STRING_COLUMNS:
            df[c] = df[c].astype("string")
    df = df.rename(columns=COLUMNS)
    for c in DATE_COLUMNS:
        df[COLUMNS[c]] = pd.to_datetime(df[COLUMNS[c]], format="%Y-%m-%d", errors="coerce")
    for c in CODE_COLUMNS:
        df[COLUMNS[c]] = pd.to_numeric(df[COLUMNS[c]], errors="coerce")
    df = df[(df["makulerad"] != 1) & (df["region_namn"] != "Region Demo")]
    df["sex"] = df["sex"].map(SEX)
    df["margin"] = df["margin"].map(MARGIN)
    df["clavien"] = df["clavien"].map(CLAVIEN)
    df["ttype"] = df["ttype"].map(TTYPE)
    for c in ("reop", "mdk"):
        df[c] = df[c].map({1: True, 0: False}).astype("boolean")
    return df


def days(a: pd.Series, b: pd.Series) -> pd.Series:
    return (b - a).dt.days


def status(
    num: pd.Series, pending: pd.Series | None = None, missing: pd.Series | None = None
) -> np.ndarray:
    """1 numerator, 3 pending, 2 missing, 0 denominator only (in that order)."""
    num = num.astype("boolean")
    miss = num.isna()
    if missing is not None:
        miss = miss | missing.fillna(False).astype(bool)
    pend = pending.fillna(False).astype(bool) if pending is not None else False
    return np.select([num.fillna(False).astype(bool), pend, miss], [1, 3, 2], 0)


def per_unit(d: pd.DataFrame, f) -> list[pd.DataFrame]:
    """Apply an aggregation per (unit, period) and per period (unit ALL)."""
    a = d.groupby(["unit", "period"], dropna=True).apply(f, include_groups=False).reset_index()
    b = d.groupby(["period"]).apply(f, include_groups=False).reset_index().assign(unit="ALL")
    return [a, b]


def proportion(d: pd.DataFrame, st: np.ndarray) -> list[pd.DataFrame]:
    d = d.assign(_s=st)

    def f(g):
        s = g["_s"]
        num, den = int((s == 1).sum()), int((s <= 1).sum())
        return pd.Series(
            {
                "numerator": num,
                "denominator": den,
                "value": num / den if den else np.nan,
                "n_missing": int((s == 2).sum()),
                "n_pending": int((s == 3).sum()),
            }
        )

    return per_unit(d, f)


def duration(d: pd.DataFrame, v: pd.Series, pending: pd.Series | None = None) -> list[pd.DataFrame]:
    pend = pending.fillna(False).astype(bool) if pending is not None else False
    d = d.assign(_v=v, _p=v.isna() & pend)

    def f(g):
        x = g["_v"].dropna()
        return pd.Series(
            {
                "denominator": len(x),
                "value": x.median() if len(x) else np.nan,
                "q1": x.quantile(0.25) if len(x) else np.nan,
                "q3": x.quantile(0.75) if len(x) else np.nan,
                "n_missing": int((g["_v"].isna() & ~g["_p"]).sum()),
                "n_pending": int(g["_p"].sum()),
            }
        )

    return per_unit(d, f)


def distinct(d: pd.DataFrame, col: str) -> list[pd.DataFrame]:
    def f(g):
        n = g[col].nunique()
        return pd.Series({"numerator": n, "value": float(n), "n_missing": 0, "n_pending": 0})

    return per_unit(d, f)


def count(d: pd.DataFrame) -> list[pd.DataFrame]:
    def f(g):
        return pd.Series(
            {"numerator": len(g), "value": float(len(g)), "n_missing": 0, "n_pending": 0}
        )

    return per_unit(d, f)


def categories(d: pd.DataFrame, cat: pd.Series, name: str) -> list[pd.DataFrame]:
    d = d.assign(_c=cat)
    out = []
    for keys, unit in ((["unit", "period"], None), (["period"], "ALL")):
        den = d[d["_c"].notna()].groupby(keys).size().rename("denominator")
        n = d[d["_c"].notna()].groupby(keys + ["_c"]).size().rename("numerator").reset_index()
        n = n.merge(den.reset_index(), on=keys)
        n["value"] = n["numerator"] / n["denominator"]
        n["stratum"] = name + "=" + n["_c"].astype(str)
        n["n_missing"] = 0
        n["n_pending"] = 0
        out.append(n.drop(columns="_c").assign(**({"unit": unit} if unit else {})))
    return out


def compute(df: pd.DataFrame, year: int, extract: pd.Timestamp) -> pd.DataFrame:
    parts: list[tuple[str, str, list[pd.DataFrame]]] = []

    def in_years(col, date=None):
        date = df[col] if date is None else date
        d = df[date.notna()].copy()
        d["period"] = date[date.notna()].dt.year
        return d[d["period"] <= year]

    ref = in_years("referral")
    surg = in_years("surgery")
    parts.append(("pelvic.referrals", "all", count(ref)))
    parts.append(("pelvic.referrals", "measure=patients", distinct(ref, "patient")))
    # operations by their date, and other first treatments by theirs (a first treatment of an
    # unknown type on another day than the operation is another treatment)
    other = df["ttype"].ne("surgery") & df["ttype"].notna()
    other |= df["ttype"].isna() & (df["surgery"].isna() | (df["treatment_start"] != df["surgery"]))
    starts = df[other & df["treatment_start"].notna()].copy()
    starts["period"] = starts["treatment_start"].dt.year
    starts = starts[starts["period"] <= year]
    parts.append(("pelvic.treatments", "all", count(pd.concat([surg, starts]))))
    # discharge in Y; a surgery without a discharge in its own year: pending while recent
    dis = in_years("discharge", df["discharge"].fillna(df["surgery"]))
    admitted = dis["discharge"].isna() & (
        (extract - dis["surgery"]).dt.days <= PARAMS["admitted_days"]
    )
    parts.append(
        (
            "pelvic.length_of_stay",
            "all",
            duration(dis, days(dis["admission"], dis["discharge"]), admitted),
        )
    )
    ass = in_years("assessment", df["assessment"].fillna(df["referral"]))
    waiting = ass["assessment"].isna() & (
        (extract - ass["referral"]).dt.days <= PARAMS["pending_days"]
    )
    parts.append(
        (
            "pelvic.referral_to_assessment_days",
            "all",
            duration(ass, days(ass["referral"], ass["assessment"]), waiting),
        )
    )
    # to the first treatment or procedure: the treatment start, else the operation
    first = in_years("treatment_start", df["treatment_start"].fillna(df["surgery"]))
    first_day = first["treatment_start"].fillna(first["surgery"])
    rtt = days(first["referral"], first_day)
    parts.append(("pelvic.referral_to_treatment_days", "all", duration(first, rtt)))
    within = (rtt <= PARAMS["x_days"]).astype("boolean").mask(rtt.isna())
    parts.append(
        ("pelvic.referral_to_treatment_days", "measure=within_x", proportion(first, status(within)))
    )
    other = (
        (surg["treatment_unit"] != surg["unit"])
        .astype("boolean")
        .mask(surg["treatment_unit"].isna())
    )
    parts.append(("pelvic.treated_at_other_unit", "all", proportion(surg, status(other))))
    since = (extract - surg["surgery"]).dt.days
    for n in (30, 90):
        died = surg["death"].notna() & (days(surg["surgery"], surg["death"]) <= n)
        missing = surg["death"].isna() & (days(surg["surgery"], surg["vital"]) < n)
        parts.append(
            (f"pelvic.mortality_{n}d", "all", proportion(surg, status(died, since < n, missing)))
        )
    r0 = (surg["margin"] == "R0").astype("boolean").mask(surg["margin"].isna())
    parts.append(
        (
            "pelvic.r0",
            "all",
            proportion(surg, status(r0, None, ~surg["margin"].isin(["R0", "R1", "R2"]))),
        )
    )
    # a Clavien-Dindo grade not recorded is unknown (definition v2); grade 0: no complication
    cd3 = (
        surg["clavien"]
        .isin(["IIIa", "IIIb", "IVa", "IVb", "V"])
        .astype("boolean")
        .mask(surg["clavien"].isna())
    )
    reop = surg["reop"]
    pend = since < PARAMS["window_days"]
    parts.append(("pelvic.complications", "all", proportion(surg, status(cd3 | reop, pend))))
    parts.append(
        ("pelvic.complications", "measure=clavien_3a_plus", proportion(surg, status(cd3, pend)))
    )
    parts.append(
        ("pelvic.complications", "measure=reoperation_30d", proportion(surg, status(reop, pend)))
    )
    parts.append(("pelvic.national_mdk", "all", proportion(ref, status(ref["mdk"]))))
    # distributions: the main row counts the known categories, then one row per category
    for name, col in (("pelvic.sex", "sex"), ("pelvic.home_region", "home_region")):

        def f(g, col=col):
            return pd.Series(
                {
                    "numerator": int(g[col].notna().sum()),
                    "value": float(g[col].notna().sum()),
                    "n_missing": int(g[col].isna().sum()),
                    "n_pending": 0,
                }
            )

        parts.append((name, "all", per_unit(ref, f)))
        parts.append((name, None, categories(ref, ref[col], col)))
    b, r = ref["birth"], ref["referral"]
    age = (
        r.dt.year
        - b.dt.year
        - ((r.dt.month * 100 + r.dt.day) < (b.dt.month * 100 + b.dt.day)).astype(int)
    )
    parts.append(("pelvic.age", "all", duration(ref, age.astype(float))))
    band = pd.Series(pd.NA, index=ref.index, dtype="string")
    for lo, label in AGE_BANDS:
        band = band.mask(age >= lo, label)
    parts.append(("pelvic.age", None, categories(ref, band, "age_band")))

    frames = []
    for ind, stratum, dfs in parts:
        for x in dfs:
            x = x.assign(indicator_id=ind)
            if stratum is not None:
                x = x.assign(stratum=stratum)
            frames.append(x)
    out = pd.concat(frames, ignore_index=True)
    for c in OUTPUT:
        if c not in out.columns:
            out[c] = np.nan
    return out[OUTPUT].sort_values(["indicator_id", "period", "unit", "stratum"])


def main(argv=None) -> int:
    a = args(argv)
    df = load(a.file)
    out = compute(df, a.year, pd.Timestamp(a.extract_date))
    out.to_csv(a.output, index=False)
    print(f"pandas peer: {len(df)} rows, {len(out)} indicator rows -> {a.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
