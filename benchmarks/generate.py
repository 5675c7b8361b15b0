"""Fast generator of large, wide INCA-style exports for the benchmark.

Not the product's ``nhvmetrics sample`` (small, realistic, every edge case): this one is about
volume. It writes 10^7 rows in well under a minute because every column is built with numpy in
bulk and the ~290 filler columns are zero-copy slices of a handful of pre-built templates.

* the ~25 columns the indicators need carry the INCA export names (the first alias of each column in
  ``schemas/*.yaml`` when those files exist, else the built-in names below) and INCA encodings
  (``KON_VALUE`` 1/2, booleans 1/0, ISO dates, codes with leading zeros as strings);
* ~290 filler columns of realistic types: ``<var>_Värde``/``<var>_Beskrivning`` code pairs, small
  integer codes with 98/99, dates, numbers with a decimal comma, free text (with the odd ``;``),
  codes with leading zeros — mostly empty, as in real exports;
* system columns ``MAKULERAD`` and ``REGION_NAMN`` (a few cancelled rows and "Region Demo" rows);
* 1 % dirty rows (configurable): invalid personnummer, unknown codes, impossible or out-of-order
  dates, duplicated case ids, missing required values, implausible ages;
* CSV with ``;`` and decimal comma (polars ``write_csv``), and Parquet with natural types
  (dates as Date, integer codes as Int64, decimals as Float64, identifiers as String).

The CSV and the Parquet file hold the same rows, so every command must give the same answer on both.

Usage::

    python benchmarks/generate.py --area pelvic --rows 1e6 --out benchmarks/data
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
EPOCH = dt.date(1970, 1, 1)

#: Default extract date of every generated export; the benchmark passes it to ``--extract-date``.
EXTRACT_DATE = dt.date(2026, 2, 15)
FIRST_YEAR = 2015
LAST_YEAR = 2025

#: Units per area (hospital codes, strings with a leading zero where INCA has one).
UNITS = {
    "acc": ["011010", "012001", "051001", "064001"],
    "net": ["011010", "012001", "051001", "064001"],
    "anal": ["011010", "012001", "051001", "064001", "053013"],
    "pelvic": ["011010", "012001", "051001", "064001"],
}
LAN = [
    "01",
    "03",
    "04",
    "05",
    "06",
    "07",
    "08",
    "09",
    "10",
    "12",
    "13",
    "14",
    "17",
    "18",
    "19",
    "20",
    "21",
    "22",
    "23",
    "24",
    "25",
]
REGION_NAMES = [
    "Region Stockholm",
    "Region Uppsala",
    "Region Östergötland",
    "Region Skåne",
    "Västra Götalandsregionen",
    "Region Västerbotten",
]

#: Canonical column -> INCA export name, used when schemas/*.yaml are not there (yet).
FALLBACK_NAMES = {
    "patient_id": "PERSNR",
    "case_id": "REG_ID",
    "unit": "SjukhusKod",
    "referring_region": "REMITTERANDE_LAN_VALUE",
    "home_region": "LAN_VALUE",
    "sex": "KON_VALUE",
    "birth_date": "FODELSEDATUM",
    "referral_date": "REMISSDATUM",
    "first_visit_date": "FORSTA_BESOK_DATUM",
    "diagnosis_date": "DIAGNOSDATUM",
    "treatment_start_date": "BEHANDLINGSSTART_DATUM",
    "treatment_type": "BEHANDLINGSTYP_Värde",
    "death_date": "AVLIDDAT",
    "vital_status_date": "VITALSTATUSDATUM",
    "national_mdk": "NATIONELL_MDK_Värde",
    "written_care_plan": "SKRIFTLIG_VARDPLAN_Värde",
    # pelvic
    "indication": "INDIKATION_Värde",
    "assessment_date": "BEDOMNINGSDATUM",
    "treatment_unit": "OPERERANDE_SJUKHUS",
    "surgery_date": "OPERATIONSDATUM",
    "admission_date": "INSKRIVNINGSDATUM",
    "discharge_date": "UTSKRIVNINGSDATUM",
    "resection_margin": "RADIKALITET_Värde",
    "clavien_dindo": "CLAVIEN_DINDO_Värde",
    "reoperation_30d": "REOPERATION_30D_Värde",
    # acc
    "surgery_intent": "OP_SYFTE_Värde",
    "postop_hypocortisolism": "POSTOP_HYPOKORTISOLISM_Värde",
    "oncology_start_date": "ONKOLOGISK_START_DATUM",
    "mitotane_level_1y": "MITOTAN_KONC_1AR",
    "satisfaction_followed_up": "PATIENTNOJDHET_Värde",
    "qol_followed_up": "LIVSKVALITET_Värde",
    # net
    "net_condition": "NET_TILLSTAND_Värde",
    "complication_30d": "KOMPLIKATION_30D_Värde",
    "anastomotic_leak": "ANASTOMOSLACKAGE_Värde",
    "pancreatic_fistula": "PANKREASFISTEL_Värde",
    "prrt_start_date": "PRRT_START_DATUM",
    "valve_surgery": "KLAFFKIRURGI_Värde",
    # anal
    "treatment_intent": "BEHANDLINGSSYFTE_Värde",
    "rt_start_date": "RT_START_DATUM",
    "rt_end_date": "RT_SLUT_DATUM",
    "response_6m": "RESPONS_6M_Värde",
    "episode_id": "VARDTILLFALLE_ID",
    "visit_date": "BESOKSDATUM",
    "response_id": "SVAR_ID",
    "response_date": "SVARSDATUM",
    "q1": "FRAGA1",
    "q2": "FRAGA2",
    "q3": "FRAGA3",
    "q4": "FRAGA4",
    "cancelled": "MAKULERAD",
    "region_name": "REGION_NAMN",
}

#: Canonical code -> INCA code for enumerations, when the schema does not say otherwise.
FALLBACK_CODES: dict[str, dict[str, str]] = {
    "sex": {"M": "1", "K": "2"},
}

BOOLS = {
    "national_mdk",
    "written_care_plan",
    "reoperation_30d",
    "postop_hypocortisolism",
    "satisfaction_followed_up",
    "qol_followed_up",
    "complication_30d",
    "anastomotic_leak",
    "pancreatic_fistula",
    "valve_surgery",
}


# ----------------------------------------------------------------------------------------------
# names and encodings from the schema files
# ----------------------------------------------------------------------------------------------
@dataclass
class ColumnEncoding:
    """How one canonical column is written in an INCA export."""

    name: str  # INCA column name (``<var>_Värde`` for list variables)
    description_name: str | None = None  # ``<var>_Beskrivning`` for list variables
    code: dict[str, str] = field(default_factory=dict)  # canonical value -> INCA code
    label: dict[str, str] = field(default_factory=dict)  # canonical value -> Beskrivning text


@dataclass
class Naming:
    """INCA names and value encodings of the canonical columns (from the product's schema)."""

    columns: dict[str, ColumnEncoding] = field(default_factory=dict)
    source: str = "built-in names"

    def enc(self, canon: str) -> ColumnEncoding:
        if canon in self.columns:
            return self.columns[canon]
        e = ColumnEncoding(
            FALLBACK_NAMES.get(canon, canon.upper()), code=FALLBACK_CODES.get(canon, {})
        )
        self.columns[canon] = e
        return e


#: Canonical values the generator produces for each coded column (to pre-compute their encodings).
CANONICAL_VALUES = {
    "sex": ["M", "K"],
    "treatment_type": ["surgery", "medical", "radiotherapy", "prrt", "other"],
    "resection_margin": ["R0", "R1", "R2", "RX"],
    "clavien_dindo": ["I", "II", "IIIa", "IIIb", "IVa", "IVb", "V"],
    "surgery_intent": ["curative", "palliative"],
    "treatment_intent": ["curative", "palliative"],
    "response_6m": ["complete", "not_complete", "not_assessed"],
    "indication": [str(i) for i in range(1, 8)],
    "net_condition": [str(i) for i in range(1, 5)],
    "referring_region": LAN,
}


def load_naming(area: str, table: str = "cases") -> Naming:
    """INCA names and codes of every canonical column, from ``nhvmetrics.schema.model`` when it can
    be imported (the first alias is the INCA name; list variables get
    ``_Värde``/``_Beskrivning``)."""
    naming = Naming()
    try:
        from nhvmetrics.schema.model import load_schema

        spec = load_schema(area).table(table)
    except Exception:  # noqa: BLE001 - the schema may not exist yet: fall back to built-in names
        return naming
    for canon, col in spec.columns.items():
        e = ColumnEncoding(col.inca_name, col.inca_description_name)
        if col.type == "bool":
            e.code = {"True": col.inca_code(True), "False": col.inca_code(False)}
            e.label = {"True": col.inca_label(True), "False": col.inca_label(False)}
        else:
            for v in CANONICAL_VALUES.get(canon, []):
                e.code[v] = col.inca_code(v)
                e.label[v] = col.inca_label(v)
        naming.columns[canon] = e
    naming.source = f"nhvmetrics.schema.model.load_schema({area!r})"
    return naming


# ----------------------------------------------------------------------------------------------
# canonical values, vectorised
# ----------------------------------------------------------------------------------------------
def _days(d: dt.date) -> int:
    return (d - EPOCH).days


def _gamma_days(rng: np.random.Generator, n: int, mean: float, shape: float = 2.0) -> np.ndarray:
    return np.rint(rng.gamma(shape, mean / shape, n)).astype(np.int32)


def _pick(rng, n, values, p=None):
    return np.asarray(values, dtype=object)[rng.choice(len(values), n, p=p)]


def canonical_cases(
    area: str,
    n: int,
    rng: np.random.Generator,
    start_index: int = 0,
    first_year: int = FIRST_YEAR,
    last_year: int = LAST_YEAR,
) -> dict[str, tuple]:
    """Canonical values of the case table: ``{column: (kind, values, null_mask)}``.

    kinds: ``date`` (int32 days), ``str`` (object / str array), ``int``, ``float``, ``bool``.
    """
    lo = _days(dt.date(first_year, 1, 1))
    hi = _days(dt.date(last_year, 12, 31))
    ext = _days(EXTRACT_DATE)
    c: dict[str, tuple] = {}
    units = UNITS[area]
    referral = rng.integers(lo, hi + 1, n, dtype=np.int32)
    age_days = np.rint(np.clip(rng.normal(64, 12, n), 18, 94) * 365.25).astype(np.int32)
    birth = referral - age_days - rng.integers(0, 365, n, dtype=np.int32)
    male = rng.random(n) < 0.5
    unit_idx = rng.choice(len(units), n, p=_unit_weights(len(units)))
    c["case_id"] = ("caseid", np.arange(start_index, start_index + n, dtype=np.int64), None)
    c["patient_id"] = ("pnr", (birth, male, rng.integers(0, 100, n)), None)
    c["unit"] = ("cat", (units, unit_idx), None)
    c["referring_region"] = ("cat", (LAN, rng.integers(0, len(LAN), n)), rng.random(n) < 0.02)
    c["home_region"] = ("cat", (LAN, rng.integers(0, len(LAN), n)), rng.random(n) < 0.01)
    c["sex"] = ("cat", (["M", "K"], np.where(male, 0, 1)), None)
    c["birth_date"] = ("date", birth, None)
    c["referral_date"] = ("date", referral, None)
    first_visit = referral + _gamma_days(rng, n, 12)
    c["first_visit_date"] = ("date", first_visit, rng.random(n) < 0.03)
    diagnosis = referral - _gamma_days(rng, n, 20)
    c["diagnosis_date"] = ("date", diagnosis, rng.random(n) < 0.03)
    treated = rng.random(n) < 0.8
    treat_start = first_visit + _gamma_days(rng, n, 25)
    ttypes = ["surgery", "medical", "radiotherapy", "prrt", "other"]
    ttype_idx = rng.choice(5, n, p=[0.6, 0.2, 0.1, 0.05, 0.05])
    death_u = rng.random(n)
    death = np.where(
        death_u < 0.03,
        treat_start + rng.integers(0, 90, n, dtype=np.int32),
        treat_start + rng.integers(90, 3000, n, dtype=np.int32),
    )
    dead = (death_u < 0.15) & (death <= ext)
    c["death_date"] = ("date", death, ~dead)
    c["vital_status_date"] = (
        "date",
        np.where(dead, death, ext - rng.integers(0, 30, n, dtype=np.int32)),
        None,
    )
    c["national_mdk"] = ("bool", rng.random(n) < 0.7, rng.random(n) < 0.05)
    c["written_care_plan"] = ("bool", rng.random(n) < 0.85, rng.random(n) < 0.05)
    c["treatment_start_date"] = ("date", treat_start, ~treated)
    c["treatment_type"] = ("cat", (ttypes, ttype_idx), ~treated)
    surg = treated & (ttype_idx == 0)

    if area == "pelvic":
        c["indication"] = (
            "cat",
            (
                CANONICAL_VALUES["indication"],
                rng.choice(7, n, p=[0.3, 0.2, 0.15, 0.1, 0.1, 0.1, 0.05]),
            ),
            rng.random(n) < 0.01,
        )
        assessment = referral + _gamma_days(rng, n, 18)
        c["assessment_date"] = ("date", assessment, rng.random(n) < 0.03)
        surgery = assessment + _gamma_days(rng, n, 30)
        c["treatment_start_date"] = ("date", np.where(surg, surgery, treat_start), ~treated)
        c["surgery_date"] = ("date", surgery, ~surg)
        other = rng.random(n) < 0.08
        c["treatment_unit"] = (
            "cat",
            (units, np.where(other, (unit_idx + 1) % len(units), unit_idx)),
            ~surg,
        )
        adm = surgery - rng.integers(0, 3, n, dtype=np.int32)
        c["admission_date"] = ("date", adm, ~surg)
        c["discharge_date"] = (
            "date",
            surgery + _gamma_days(rng, n, 11, 1.5),
            ~surg | (rng.random(n) < 0.01),
        )
        c["resection_margin"] = (
            "cat",
            (["R0", "R1", "R2", "RX"], rng.choice(4, n, p=[0.75, 0.15, 0.05, 0.05])),
            ~surg,
        )
        c["clavien_dindo"] = (
            "cat",
            (
                CANONICAL_VALUES["clavien_dindo"],
                rng.choice(7, n, p=[0.45, 0.22, 0.13, 0.09, 0.05, 0.04, 0.02]),
            ),
            ~surg | (rng.random(n) < 0.02),
        )
        c["reoperation_30d"] = ("bool", rng.random(n) < 0.12, ~surg | (rng.random(n) < 0.02))
        # deaths within 90 days of surgery for a few
        d90 = surg & (death_u < 0.03)
        death2 = np.where(d90, surgery + rng.integers(0, 90, n, dtype=np.int32), death)
        dead2 = (dead | d90) & (death2 <= ext)
        c["death_date"] = ("date", death2, ~dead2)
        c["vital_status_date"] = (
            "date",
            np.where(dead2, death2, ext - rng.integers(0, 30, n, dtype=np.int32)),
            None,
        )
    elif area == "acc":
        surgery = treat_start
        c["surgery_date"] = ("date", surgery, ~surg)
        c["surgery_intent"] = (
            "cat",
            (["curative", "palliative"], rng.choice(2, n, p=[0.8, 0.2])),
            ~surg,
        )
        c["resection_margin"] = (
            "cat",
            (["R0", "R1", "R2", "RX"], rng.choice(4, n, p=[0.7, 0.18, 0.07, 0.05])),
            ~surg,
        )
        c["postop_hypocortisolism"] = ("bool", rng.random(n) < 0.2, ~surg | (rng.random(n) < 0.03))
        onc = rng.random(n) < 0.4
        c["oncology_start_date"] = ("date", treat_start + _gamma_days(rng, n, 40), ~onc)
        c["mitotane_level_1y"] = (
            "float",
            np.round(np.clip(rng.normal(15, 5, n), 0.5, 60), 1),
            ~onc | (rng.random(n) < 0.3),
        )
        c["satisfaction_followed_up"] = ("bool", rng.random(n) < 0.6, rng.random(n) < 0.05)
        c["qol_followed_up"] = ("bool", rng.random(n) < 0.5, rng.random(n) < 0.05)
    elif area == "net":
        c["net_condition"] = (
            "cat",
            (CANONICAL_VALUES["net_condition"], rng.integers(0, 4, n)),
            rng.random(n) < 0.01,
        )
        c["surgery_date"] = ("date", treat_start, ~surg)
        c["complication_30d"] = ("bool", rng.random(n) < 0.25, ~surg | (rng.random(n) < 0.02))
        c["anastomotic_leak"] = ("bool", rng.random(n) < 0.05, ~surg | (rng.random(n) < 0.02))
        c["pancreatic_fistula"] = ("bool", rng.random(n) < 0.08, ~surg | (rng.random(n) < 0.02))
        c["clavien_dindo"] = (
            "cat",
            (
                CANONICAL_VALUES["clavien_dindo"],
                rng.choice(7, n, p=[0.45, 0.22, 0.13, 0.09, 0.05, 0.04, 0.02]),
            ),
            ~surg,
        )
        prrt = treated & (ttype_idx == 3)
        c["prrt_start_date"] = ("date", treat_start, ~prrt)
        c["valve_surgery"] = ("bool", rng.random(n) < 0.02, rng.random(n) < 0.05)
    elif area == "anal":
        curative = rng.random(n) < 0.85
        c["treatment_intent"] = (
            "cat",
            (["curative", "palliative"], np.where(curative, 0, 1)),
            ~treated,
        )
        rt = treated & (ttype_idx != 0)
        c["rt_start_date"] = ("date", treat_start, ~rt)
        c["rt_end_date"] = (
            "date",
            treat_start + 30 + rng.integers(0, 25, n, dtype=np.int32),
            ~rt | (rng.random(n) < 0.02),
        )
        c["response_6m"] = (
            "cat",
            (["complete", "not_complete", "not_assessed"], rng.choice(3, n, p=[0.75, 0.15, 0.1])),
            ~treated | (rng.random(n) < 0.05),
        )
    _consistent_deaths(c, ext)
    # system columns
    c["cancelled"] = ("bool", rng.random(n) < 0.002, None)
    c["region_name"] = (
        "cat",
        (
            REGION_NAMES + ["Region Demo"],
            np.where(
                rng.random(n) < 0.001, len(REGION_NAMES), rng.integers(0, len(REGION_NAMES), n)
            ),
        ),
        None,
    )
    return c


def _consistent_deaths(c: dict[str, tuple], ext: int) -> None:
    """Clean rows: nobody dies before the last event of the case (discharge may be the death
    day)."""
    for name, (k, v, null) in list(
        c.items()
    ):  # events after the extract date have not happened yet
        if k == "date" and name not in ("birth_date", "death_date", "vital_status_date"):
            later = v > ext
            c[name] = (k, v, later if null is None else (null | later))
    kind, death, dnull = c["death_date"]
    dead = ~dnull
    if "discharge_date" in c:
        k, dis, dn = c["discharge_date"]
        c["discharge_date"] = (k, np.where(dead & (dis > death), death, dis), dn)
    last = np.full(death.shape, np.iinfo(np.int32).min, dtype=np.int64)
    for name, (k, v, null) in c.items():
        if k == "date" and name not in ("birth_date", "death_date", "vital_status_date"):
            vv = v.astype(np.int64)
            last = np.maximum(last, vv if null is None else np.where(null, last, vv))
    death = np.where(dead & (death < last), last, death).astype(np.int32)
    c["death_date"] = (kind, death, dnull | (death > ext))
    k, vs, vn = c["vital_status_date"]
    c["vital_status_date"] = (
        k,
        np.where(dead & (death <= ext), death, np.maximum(vs, np.minimum(last, ext))).astype(
            np.int32
        ),
        vn,
    )


def _unit_weights(k: int) -> np.ndarray:
    w = np.linspace(1.6, 0.6, k)
    return w / w.sum()


# ----------------------------------------------------------------------------------------------
# dirty rows (in the canonical domain, so CSV and Parquet carry the same defects)
# ----------------------------------------------------------------------------------------------
GENERATOR_VERSION = 2  # bump when the generated data change: run.py then generates again

DIRTY_KINDS = [
    "bad_pnr",
    "bad_code",
    "future_date",
    "order",
    "dup_case",
    "missing_required",
    "old_age",
    "death_before_surgery",
]


def make_dirty(
    c: dict[str, tuple],
    area: str,
    rng: np.random.Generator,
    fraction: float,
    fail_all: bool = False,
) -> np.ndarray:
    """Corrupt ``fraction`` of the rows in place (one defect per row); returns the dirty mask."""
    n = len(c["case_id"][1])
    dirty = np.ones(n, dtype=bool) if fail_all else rng.random(n) < fraction
    idx = np.flatnonzero(dirty)
    if idx.size == 0:
        return dirty
    kinds = rng.integers(0, len(DIRTY_KINDS), idx.size)
    if fail_all:  # every row fails the personnummer check, plus one other defect
        c["_bad_pnr"] = np.ones(n, dtype=bool)
    for k, name in enumerate(DIRTY_KINDS):
        rows = idx[kinds == k]
        if rows.size == 0:
            continue
        if name == "bad_pnr":
            m = c.get("_bad_pnr", np.zeros(n, dtype=bool))
            m[rows] = True
            c["_bad_pnr"] = m
        elif name == "bad_code":
            c["_bad_code"] = rows  # sex/indication code outside the list
        elif name == "future_date":
            kind, v, null = c["referral_date"]
            v = v.copy()
            v[rows] = _days(EXTRACT_DATE) + 400
            c["referral_date"] = (kind, v, null)
        elif name == "order":
            col = "discharge_date" if "discharge_date" in c else "first_visit_date"
            ref = "admission_date" if col == "discharge_date" else "referral_date"
            kind, v, null = c[col]
            v = v.copy()
            v[rows] = c[ref][1][rows] - 5
            null = None if null is None else null.copy()
            if null is not None:
                null[rows] = False
            c[col] = (kind, v, null)
            if ref == "admission_date":
                kind2, v2, null2 = c[ref]
                null2 = null2.copy()
                null2[rows] = False
                c[ref] = (kind2, v2, null2)
        elif name == "dup_case":
            kind, v, null = c["case_id"]
            v = v.copy()
            v[rows] = np.maximum(v[rows] - 1, v[0])
            c["case_id"] = (kind, v, null)
        elif name == "missing_required":
            kind, v, null = c["unit"]
            null = np.zeros(n, dtype=bool) if null is None else null.copy()
            null[rows] = True
            c["unit"] = (kind, v, null)
        elif name == "old_age":
            kind, v, null = c["birth_date"]
            v = v.copy()
            v[rows] = v[rows] - 60 * 365
            c["birth_date"] = (kind, v, null)
            pk, (b, male, serial), _ = c["patient_id"]
            b = b.copy()
            b[rows] = v[rows]
            c["patient_id"] = (pk, (b, male, serial), None)
        elif name == "death_before_surgery":
            col = "surgery_date" if "surgery_date" in c else "treatment_start_date"
            kind, v, null = c["death_date"]
            v = v.copy()
            null = null.copy()
            v[rows] = c["referral_date"][1][rows] - 10
            null[rows] = False
            c["death_date"] = (kind, v, null)
    return dirty


# ----------------------------------------------------------------------------------------------
# encoding to INCA columns
# ----------------------------------------------------------------------------------------------
def _pnr_series(
    birth: np.ndarray, male: np.ndarray, serial2: np.ndarray, bad: np.ndarray | None
) -> pl.Series:
    """Personnummer ``YYYYMMDD-NNNC`` with a valid Luhn digit (invalid where ``bad``)."""
    d = pl.Series("d", birth, dtype=pl.Int32).cast(pl.Date)
    ymd = (
        d.dt.year().cast(pl.Int64) * 10000
        + d.dt.month().cast(pl.Int64) * 100
        + d.dt.day().cast(pl.Int64)
    ).to_numpy()
    # 3-digit serial: two random digits + sex digit (odd = man)
    sex_digit = np.where(male, 1 + 2 * (serial2 % 5), 2 * (serial2 % 5))
    serial = (serial2 // 10 % 10) * 100 + (serial2 % 10) * 10 + sex_digit
    serial = np.where(
        serial == 0, 10, serial
    )  # birth number 000 is never issued (still a woman's: 010)
    nine = (ymd % 1000000) * 1000 + serial  # YYMMDDNNN
    total = np.zeros(nine.shape, dtype=np.int64)
    x = nine.copy()
    for pos in range(9):  # from the right: weights 1,2,1,2,... (leftmost weight 2)
        digit = x % 10
        x //= 10
        w = 2 if pos % 2 == 0 else 1  # rightmost of the 9 digits has weight 2
        p = digit * w
        total += p // 10 + p % 10
    check = (10 - total % 10) % 10
    if bad is not None:
        check = np.where(bad, (check + 1) % 10, check)
    full = ymd * 10000 + serial * 10 + check
    s = pl.Series("p", full, dtype=pl.Int64).cast(pl.String)
    return s.str.slice(0, 8) + "-" + s.str.slice(8, 4)


def _coded(name: str, codes: list[str], idx: np.ndarray, natural: bool) -> pl.Series:
    """Codes by index; all-digit codes become Int64 in the typed (Parquet) flavour."""
    s = pl.Series(name, codes, dtype=pl.String).gather(pl.Series(idx, dtype=pl.UInt32))
    if natural and all(c.isdigit() and not (len(c) > 1 and c.startswith("0")) for c in codes):
        s = s.cast(pl.Int64)
    return s


SYSTEM_NAMES = {"cancelled": "MAKULERAD", "region_name": "REGION_NAMN"}


def encode_cases(c: dict[str, tuple], naming: Naming, natural: bool = True) -> pl.DataFrame:
    """INCA-named columns (list variables as ``_Värde`` + ``_Beskrivning`` pairs).

    ``natural`` types the columns as a Parquet made from the export would have them: dates as Date,
    all-digit codes as Int64, decimals as Float64; ``write_csv`` formats the same frame as text."""
    cols: list[pl.Series] = []
    for canon, spec in c.items():
        if canon.startswith("_"):
            continue
        kind, v, null = spec
        e = (
            naming.enc(canon)
            if canon not in SYSTEM_NAMES
            else ColumnEncoding(SYSTEM_NAMES[canon], code={"True": "1", "False": "0"})
        )
        name = e.name
        desc: pl.Series | None = None
        if kind == "caseid":
            s = ("K" + pl.Series(name, v, dtype=pl.Int64).cast(pl.String).str.zfill(9)).alias(name)
        elif kind == "pnr":
            birth, male, serial2 = v
            s = _pnr_series(birth, male, serial2, c.get("_bad_pnr")).alias(name)
        elif kind in ("cat", "bool"):
            if kind == "bool":
                values, idx = ["True", "False"], np.where(v, 0, 1)
            else:
                values, idx = [str(x) for x in v[0]], v[1]
            codes = [e.code.get(x, x) for x in values]
            labels = [e.label.get(x, x) for x in values]
            bad = c.get("_bad_code")
            if bad is not None and canon in ("sex", "indication", "net_condition"):
                idx = idx.copy()
                codes, labels = codes + ["9"], labels + ["Okänd kod"]
                idx[bad] = len(codes) - 1
            s = _coded(name, codes, idx, natural)
            if e.description_name:
                desc = pl.Series(e.description_name, labels, dtype=pl.String).gather(
                    pl.Series(idx, dtype=pl.UInt32)
                )
        elif kind == "date":
            s = pl.Series(name, v, dtype=pl.Int32).cast(pl.Date)
        elif kind == "float":
            s = pl.Series(name, v, dtype=pl.Float64)
        else:  # pragma: no cover
            raise ValueError(kind)
        if null is not None:
            ns = pl.Series(null)
            s = s.set(ns, None)
            if desc is not None:
                desc = desc.set(ns, None)
        cols.append(s)
        if desc is not None:
            cols.append(desc)
    return pl.DataFrame(cols)


# ----------------------------------------------------------------------------------------------
# filler: ~290 columns that the indicators never read
# ----------------------------------------------------------------------------------------------
FILLER_WORDS = [
    "uppf",
    "kontroll",
    "lab",
    "ct",
    "mr",
    "pet",
    "biopsi",
    "histo",
    "stadium",
    "tnm",
    "ecog",
    "who",
    "vikt",
    "langd",
    "bmi",
    "rokning",
    "alkohol",
    "komorb",
    "asa",
    "lakemedel",
    "kemo",
    "cykel",
    "dos",
    "stral",
    "fraktion",
    "bild",
    "patologi",
    "kir",
    "anest",
    "iva",
    "vardplan",
    "kontakt",
    "sjukskoterska",
    "mdk",
    "remiss",
    "svar",
    "prov",
    "status",
]
DESCRIPTIONS = [
    "Ja",
    "Nej",
    "Uppgift saknas",
    "Ej utfört",
    "Normal",
    "Avvikande",
    "Planerad",
    "Genomförd",
    "Avbruten",
    "Okänt",
    "Annat sjukhus",
    "Egen enhet",
    "Ej aktuellt",
]
FREE_TEXT = [
    "",
    "se journal",
    "kontroll om 3 mån",
    "ingen åtgärd",
    "pat. önskar avvakta",
    "remiss skickad till onkologen; svar väntas",
    "återbud, ny tid bokad",
    "tumören växer in i sakrum, bedöms resektabel",
    "MR visar misstänkt recidiv",
    "överflyttad från annan region",
    "uppföljning i primärvården",
    "Övrigt: se anteckning",
]

FILLER_KINDS = ["pair", "code", "date", "decimal", "text", "flag", "zcode"]
FILLER_SHARE = [0.30, 0.20, 0.15, 0.12, 0.08, 0.10, 0.05]


def filler_names(n_cols: int, rng: np.random.Generator) -> list[tuple[str, str]]:
    """(name, kind) of the filler columns; a ``pair`` yields two columns."""
    out: list[tuple[str, str]] = []
    prefixes = ["a", "b", "u", "op", "onk", "pat", "uppf"]
    i = 0
    while len(out) < n_cols:
        kind = FILLER_KINDS[rng.choice(len(FILLER_KINDS), p=FILLER_SHARE)]
        base = f"{prefixes[i % len(prefixes)]}_{FILLER_WORDS[i % len(FILLER_WORDS)]}{i}"
        i += 1
        if kind == "pair":
            out.append((f"{base}_Värde", "pair_code"))
            out.append((f"{base}_Beskrivning", "pair_text"))
        elif kind == "date":
            out.append((f"{base}_datum", kind))
        else:
            out.append((base, kind))
    return out[:n_cols]


class FillerTemplates:
    """A few long template columns per kind; each filler column is a zero-copy slice of one."""

    K = 4

    def __init__(self, length: int, rng: np.random.Generator):
        self.length = length
        self.t: dict[str, list[pl.Series]] = {}
        L = 2 * length
        lo, hi = _days(dt.date(FIRST_YEAR, 1, 1)), _days(EXTRACT_DATE)

        def nulls(p):
            return pl.Series(rng.random(L) < p)

        for kind in ["pair_code", "pair_text", "code", "date", "decimal", "text", "flag", "zcode"]:
            lst = []
            for _ in range(self.K):
                if kind == "pair_code":
                    s = pl.Series(rng.integers(1, len(DESCRIPTIONS) + 1, L), dtype=pl.Int64)
                    s = s.set(nulls(0.7), None)
                elif kind == "pair_text":
                    s = pl.Series(
                        np.asarray(DESCRIPTIONS, dtype=object)[
                            rng.integers(0, len(DESCRIPTIONS), L)
                        ],
                        dtype=pl.String,
                    )
                    s = s.set(nulls(0.7), None)
                elif kind == "code":
                    vals = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 98, 99])
                    s = pl.Series(vals[rng.integers(0, len(vals), L)], dtype=pl.Int64).set(
                        nulls(0.6), None
                    )
                elif kind == "date":
                    s = (
                        pl.Series(rng.integers(lo, hi, L, dtype=np.int32))
                        .cast(pl.Date)
                        .set(nulls(0.8), None)
                    )
                elif kind == "decimal":
                    s = pl.Series(np.round(rng.gamma(2.0, 20.0, L), 1)).set(nulls(0.7), None)
                elif kind == "text":
                    s = pl.Series(
                        np.asarray(FREE_TEXT, dtype=object)[rng.integers(0, len(FREE_TEXT), L)],
                        dtype=pl.String,
                    )
                    s = s.set(nulls(0.9), None)
                elif kind == "flag":
                    s = pl.Series(rng.integers(0, 2, L), dtype=pl.Int64).set(nulls(0.5), None)
                else:  # zcode: codes with leading zeros
                    s = (
                        pl.Series(rng.integers(0, 2000, L), dtype=pl.Int64)
                        .cast(pl.String)
                        .str.zfill(4)
                    )
                    s = s.set(nulls(0.8), None)
                lst.append(s)
            self.t[kind] = lst

    def frame(self, names: list[tuple[str, str]], n: int, rng: np.random.Generator) -> pl.DataFrame:
        offs = rng.integers(0, self.length, len(names))
        ks = rng.integers(0, self.K, len(names))
        cols = []
        for (name, kind), off, k in zip(names, offs, ks, strict=True):
            cols.append(self.t[kind][k].slice(int(off), n).alias(name))
        return pl.DataFrame(cols)


# ----------------------------------------------------------------------------------------------
# writing
# ----------------------------------------------------------------------------------------------
def _interleave(core: pl.DataFrame, filler: pl.DataFrame, rng_seed: int) -> list[str]:
    """Column order: system columns first, then core columns scattered among the filler."""
    rng = np.random.default_rng(rng_seed)
    core_cols = list(core.columns)
    fill_cols = list(filler.columns)
    pos = np.sort(rng.choice(len(fill_cols) + len(core_cols), len(core_cols), replace=False))
    order: list[str] = []
    ci = fi = 0
    for i in range(len(fill_cols) + len(core_cols)):
        if ci < len(core_cols) and pos[ci] == i:
            order.append(core_cols[ci])
            ci += 1
        else:
            order.append(fill_cols[fi])
            fi += 1
    return order


def generate(
    area: str,
    rows: int,
    out_dir: Path,
    *,
    seed: int = 42,
    dirty: float = 0.01,
    filler_cols: int = 290,
    formats: tuple[str, ...] = ("csv", "parquet"),
    chunk_rows: int = 1_000_000,
    fail_all: bool = False,
    stem: str | None = None,
    first_year: int = FIRST_YEAR,
    last_year: int = LAST_YEAR,
    quiet: bool = False,
) -> dict:
    """Write ``<stem>.csv`` and/or ``<stem>.parquet``; return a manifest (also written as JSON)."""
    t0 = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = stem or f"{area}_{_size_label(rows)}" + ("_allfail" if fail_all else "")
    naming = load_naming(area)
    rng = np.random.default_rng(seed)
    fnames = filler_names(filler_cols, np.random.default_rng(seed + 1))
    chunk_rows = min(chunk_rows, rows)
    templates = FillerTemplates(chunk_rows, np.random.default_rng(seed + 2))
    paths = {fmt: out_dir / f"{stem}.{fmt}" for fmt in formats}
    order: list[str] | None = None
    n_dirty = 0
    done = 0
    frames: list[pl.DataFrame] = []
    while done < rows:  # chunks share the filler templates (zero-copy), so memory stays ~core size
        n = min(chunk_rows, rows - done)
        c = canonical_cases(
            area, n, rng, start_index=done + 1, first_year=first_year, last_year=last_year
        )
        n_dirty += int(make_dirty(c, area, rng, dirty, fail_all=fail_all).sum())
        core = encode_cases(c, naming)
        filler = templates.frame(fnames, n, rng)
        if order is None:
            order = _interleave(core, filler, seed)
        frames.append(pl.concat([core, filler], how="horizontal").select(order))
        done += n
    df = pl.concat(frames, rechunk=False)
    del frames
    t_gen = time.perf_counter() - t0
    timings = {"generate": round(t_gen, 2)}
    if not quiet:
        print(
            f"  {stem}: {rows:,} rows x {df.width} columns built in {t_gen:.1f}s", file=sys.stderr
        )
    if "csv" in paths:
        t = time.perf_counter()
        df.write_csv(paths["csv"], separator=";", decimal_comma=True, date_format="%Y-%m-%d")
        timings["csv"] = round(time.perf_counter() - t, 2)
    if "parquet" in paths:
        t = time.perf_counter()
        df.write_parquet(paths["parquet"], compression="zstd", compression_level=1)
        timings["parquet"] = round(time.perf_counter() - t, 2)
    if not quiet:
        print(f"  {stem}: written {timings}", file=sys.stderr)
    manifest = {
        "area": area,
        "rows": rows,
        "columns": len(order or []),
        "dirty_rows": n_dirty,
        "dirty_fraction": dirty,
        "fail_all": fail_all,
        "seed": seed,
        "generator": GENERATOR_VERSION,
        "extract_date": EXTRACT_DATE.isoformat(),
        "years": [first_year, last_year],
        "naming": naming.source,
        "inca_names": {
            k: naming.enc(k).name for k in c if not k.startswith("_") and k not in SYSTEM_NAMES
        },
        "files": {fmt: str(p) for fmt, p in paths.items()},
        "bytes": {fmt: p.stat().st_size for fmt, p in paths.items()},
        "seconds": round(time.perf_counter() - t0, 2),
        "timings": timings,
    }
    (out_dir / f"{stem}.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    return manifest


def _size_label(rows: int) -> str:
    e = int(round(np.log10(rows))) if rows > 0 else 0
    return f"1e{e}" if 10**e == rows else str(rows)


def parse_rows(s: str) -> int:
    return int(float(s))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--area", default="pelvic", choices=sorted(UNITS))
    ap.add_argument("--rows", type=parse_rows, default=100_000)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "data")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--dirty", type=float, default=0.01)
    ap.add_argument("--filler", type=int, default=290, help="number of filler columns")
    ap.add_argument("--formats", default="csv,parquet")
    ap.add_argument("--fail-all", action="store_true", help="every row fails validation")
    ap.add_argument("--stem")
    a = ap.parse_args(argv)
    m = generate(
        a.area,
        a.rows,
        a.out,
        seed=a.seed,
        dirty=a.dirty,
        filler_cols=a.filler,
        formats=tuple(a.formats.split(",")),
        fail_all=a.fail_all,
        stem=a.stem,
    )
    print(
        json.dumps(
            {k: m[k] for k in ("rows", "columns", "dirty_rows", "bytes", "seconds", "timings")}
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
