"""Synthetic registry exports for every area (``nhvmetrics sample``).

Everything here is made up: the personnummer are synthetic (birth numbers 900-999, valid Luhn
check digit, some samordningsnummer), the units are four fictional hospital codes, and the
volumes and distributions follow the figures of the NHV documents in ``seeds/`` (ACC about
40-50 patients a year, GEP-NET 200-250, anal cancer about 200, advanced pelvic surgery about
250 operations out of 400-700 assessments), spread over the referral years 2019-2025 so that a
reporting year 2025 has a trend behind it.  The extract date is fixed (:data:`EXTRACT_DATE`):
no clean date lies after it, and events that would fall after it have simply not happened yet
(pending follow-up).

Public API::

    generate(area, rows, seed, dirty=0.0) -> dict[str, pl.DataFrame]   # canonical typed frames
    render(area, frames, inca=False, seed=0) -> dict[str, pl.DataFrame] # all-text frames to write
    write_sample(area, rows, seed, output, dirty=0.0, inca=False) -> list[Path]
    output_paths(area, output) -> dict[str, Path]                       # where each table goes

Every function is deterministic: the same arguments give the same frames and byte-identical files.

With ``dirty > 0`` the frames carry three internal columns: ``_planted`` (the kind of error planted
in that row, else null), ``_planted_column`` (the column it was planted in) and ``_planted_value``
(the raw text written instead of the value, for ``unparsable_date``; the typed frame holds null
there).  The writers apply ``_planted_value`` and drop every ``_`` column.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from nhvmetrics.errors import NhvError
from nhvmetrics.personnummer import luhn_digit, luhn_digit_expr

# --------------------------------------------------------------------------------------------
# constants

FIRST_YEAR = 2019
LAST_YEAR = 2025
EXTRACT_DATE = dt.date(2026, 2, 15)
_EPOCH = dt.date(1970, 1, 1)
_EXTRACT = (EXTRACT_DATE - _EPOCH).days

TABLES: dict[str, tuple[str, ...]] = {
    "acc": ("cases",),
    "net": ("cases",),
    "anal": ("cases", "episodes", "prem"),
    "pelvic": ("cases",),
}

# Four fictional NHV units (hospital codes are strings; one has a leading zero).
UNITS = ("11001", "51001", "41001", "05101")
UNIT_REGION_NAME = {  # INCA REGION_NAMN (the RCC region of the registering unit)
    "11001": "Region Stockholm - Gotland",
    "51001": "Region Väst",
    "41001": "Region Syd",
    "05101": "Region Sydöst",
}
DEMO_REGION = "Region Demo"

# County codes (länskod) with population in millions (for referral weights) and nearest unit.
_COUNTIES = {
    "01": (2.45, "11001"),
    "03": (0.40, "05101"),
    "04": (0.30, "05101"),
    "05": (0.47, "05101"),
    "06": (0.37, "05101"),
    "07": (0.20, "41001"),
    "08": (0.25, "05101"),
    "09": (0.06, "11001"),
    "10": (0.16, "41001"),
    "12": (1.42, "41001"),
    "13": (0.34, "41001"),
    "14": (1.75, "51001"),
    "17": (0.28, "51001"),
    "18": (0.31, "51001"),
    "19": (0.28, "51001"),
    "20": (0.29, "11001"),
    "21": (0.29, "11001"),
    "22": (0.24, "11001"),
    "23": (0.13, "11001"),
    "24": (0.27, "11001"),
    "25": (0.25, "11001"),
}
COUNTY_CODES = tuple(_COUNTIES)
# Referral volume by year (a dip in 2020, then growth).
_YEAR_WEIGHTS = {2019: 0.90, 2020: 0.82, 2021: 0.94, 2022: 1.00, 2023: 1.05, 2024: 1.10, 2025: 1.16}

_POLARS_TYPES = {
    "string": pl.String,
    "int": pl.Int64,
    "float": pl.Float64,
    "date": pl.Date,
    "bool": pl.Boolean,
}

PLANTED = ("_planted", "_planted_column", "_planted_value")
# "missing" in an object column for np.where (what a bare None becomes; numpy's stubs want an array)
_NONE = np.array(None, dtype=object)


# --------------------------------------------------------------------------------------------
# small vectorised helpers (dates are float days since 1970-01-01, NaN = missing)


def _gamma(rng: np.random.Generator, shape: float, scale: float, n: int) -> np.ndarray:
    return np.round(rng.gamma(shape, scale, n))


def _choice(rng: np.random.Generator, options, probs, n: int) -> np.ndarray:
    p = np.asarray(probs, dtype=float)
    return rng.choice(np.asarray(options, dtype=object), size=n, p=p / p.sum())


def _year_of(days: np.ndarray) -> np.ndarray:
    d = np.where(np.isnan(days), 0, days).astype("int64").astype("datetime64[D]")
    return d.astype("datetime64[Y]").astype(int) + 1970


def _mask(x: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """``x`` where ``keep``, else NaN (floats) / None (objects)."""
    if x.dtype == object:
        return np.where(keep, x, _NONE)
    return np.where(keep, x, np.nan)


def _bern(rng: np.random.Generator, p, n: int) -> np.ndarray:
    return rng.random(n) < p


def _bool_col(rng: np.random.Generator, p, n: int, missing: float = 0.0) -> np.ndarray:
    """Float array 1.0/0.0 with NaN for missing."""
    out = _bern(rng, p, n).astype(float)
    out[rng.random(n) < missing] = np.nan
    return out


def _not_after(x: np.ndarray, limit: np.ndarray | float) -> np.ndarray:
    """Drop dates after ``limit`` (events that have not happened yet)."""
    with np.errstate(invalid="ignore"):
        return np.where(x > limit, np.nan, x)


def _max(*arrs: np.ndarray) -> np.ndarray:
    return np.fmax.reduce(np.vstack(arrs), axis=0)


def personnummer(
    birth_days: np.ndarray, male: np.ndarray, samordning: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """12-digit ``YYYYMMDD-NNNC`` numbers: birth number 900-999 whose last digit is odd for men,
    samordningsnummer with day + 60, Luhn check digit over the 10-digit form."""
    n = len(birth_days)
    d = birth_days.astype("int64").astype("datetime64[D]")
    y = d.astype("datetime64[Y]").astype(int) + 1970
    m = d.astype("datetime64[M]").astype(int) % 12 + 1
    day = (d - d.astype("datetime64[M]")).astype(int) + 1 + np.where(samordning, 60, 0)
    serial2 = 90 + rng.integers(0, 10, n)  # first two digits of the birth number: 90-99
    g = rng.integers(0, 5, n) * 2 + np.where(male, 1, 0)  # odd = man
    yy = y % 100
    digits = np.stack(
        [yy // 10, yy % 10, m // 10, m % 10, day // 10, day % 10, serial2 // 10, serial2 % 10, g],
        axis=1,
    )
    nine = (digits * (10 ** np.arange(8, -1, -1))).sum(axis=1)
    check = (
        pl.select(luhn_digit_expr(pl.lit(pl.Series(nine, dtype=pl.Int64)))).to_series().to_numpy()
    )
    head = y * 10000 + m * 100 + day
    tail = serial2 * 100 + g * 10 + check
    s = pl.DataFrame({"h": head, "t": tail}).select(
        pl.format("{}-{}", pl.col("h").cast(pl.String), pl.col("t").cast(pl.String).str.zfill(4))
    )
    return s.to_series().to_numpy()


def luhn_valid(pnr: str) -> bool:
    """True if a 10/12-digit personnummer (with or without ``-``/``+``) has a valid check digit."""
    digits = "".join(ch for ch in pnr if ch.isdigit())
    if len(digits) == 12:
        digits = digits[2:]
    if len(digits) != 10:
        return False
    return luhn_digit(digits[:9]) == digits[9]


# --------------------------------------------------------------------------------------------
# the common part of every case table


@dataclass
class _Base:
    n: int
    unit: np.ndarray  # object
    referring_region: np.ndarray
    home_region: np.ndarray
    male: np.ndarray  # bool
    referral: np.ndarray  # float days
    birth: np.ndarray
    year: np.ndarray  # referral year


def _referral_days(rng: np.random.Generator, n: int) -> np.ndarray:
    years = np.array(list(_YEAR_WEIGHTS))
    w = np.array(list(_YEAR_WEIGHTS.values()))
    y = rng.choice(years, size=n, p=w / w.sum())
    jan1 = [f"{v}-01-01" for v in range(FIRST_YEAR, LAST_YEAR + 2)]
    start = np.array(jan1, dtype="datetime64[D]").astype("int64")
    first = start[y - FIRST_YEAR]
    length = start[y - FIRST_YEAR + 1] - first
    days = first + np.floor(rng.random(n) * length).astype("int64")
    # referrals arrive on weekdays: move Saturday/Sunday to Monday (1970-01-01 was a Thursday)
    wd = (days + 3) % 7  # 0 = Monday
    days = days + np.where(wd == 5, 2, np.where(wd == 6, 1, 0))
    return days.astype(float)


def _base(rng: np.random.Generator, n: int, women: float | np.ndarray, age: np.ndarray) -> _Base:
    codes = np.array(COUNTY_CODES, dtype=object)
    pop = np.array([_COUNTIES[c][0] for c in COUNTY_CODES])
    ri = rng.choice(len(codes), size=n, p=pop / pop.sum())
    referring = codes[ri]
    home = referring.copy()
    moved = rng.random(n) < 0.04
    home[moved] = codes[rng.choice(len(codes), size=int(moved.sum()), p=pop / pop.sum())]
    nearest = np.array([_COUNTIES[c][1] for c in COUNTY_CODES], dtype=object)[ri]
    units = np.array(UNITS, dtype=object)
    other = units[rng.integers(0, len(UNITS), n)]
    unit = np.where(rng.random(n) < 0.85, nearest, other)
    male = rng.random(n) >= women
    referral = _referral_days(rng, n)
    birth = referral - np.floor(age * 365.25) - rng.integers(0, 365, n)
    return _Base(n, unit, referring, home, male, referral, birth, _year_of(referral))


def _age(
    rng: np.random.Generator, n: int, mean: float, sd: float, lo: float, hi: float
) -> np.ndarray:
    return np.clip(rng.normal(mean, sd, n), lo, hi)


def _death(rng: np.random.Generator, anchor: np.ndarray, frac_dying, median_years) -> np.ndarray:
    """Death date after ``anchor`` (the last known event) for a share of patients, before the
    extract."""
    n = len(anchor)
    dies = rng.random(n) < frac_dying
    t = rng.exponential(median_years * 365.25 / np.log(2), n) + 1
    death = np.where(dies, anchor + np.round(t), np.nan)
    return _not_after(death, _EXTRACT)


def _vital_status(
    rng: np.random.Generator, death: np.ndarray, last_event: np.ndarray
) -> np.ndarray:
    alive = _EXTRACT - rng.integers(0, 46, len(death))
    alive = np.fmax(alive, last_event)
    out = np.where(np.isnan(death), alive, death)
    out[rng.random(len(death)) < 0.01] = np.nan
    return out


def _trend(year: np.ndarray, start: float, per_year: float, cap: float = 0.95) -> np.ndarray:
    return np.clip(start + per_year * (year - FIRST_YEAR), 0.0, cap)


def _common_tail(rng: np.random.Generator, b: _Base, cols: dict, mdk_share: float) -> None:
    n = b.n
    cols["national_mdk"] = _bool_col(rng, _trend(b.year, mdk_share - 0.1, 0.03), n, missing=0.02)
    cols["written_care_plan"] = _bool_col(rng, _trend(b.year, 0.6, 0.05, 0.92), n, missing=0.03)


# --------------------------------------------------------------------------------------------
# areas: each returns {column: numpy array}; dates as float days, bools as float 1/0/NaN,
# codes as object arrays with None, ints as float with NaN


def _acc(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    child = rng.random(n) < 0.06
    age = np.where(child, rng.uniform(1, 17, n), _age(rng, n, 52, 14, 18, 90))
    b = _base(rng, n, 0.6, age)
    onc_unit = np.isin(b.unit, UNITS[:2])  # oncology at two of the four units
    first_visit = b.referral + _gamma(rng, 2.2, 5.0, n)
    diagnosis = first_visit + _gamma(rng, 1.2, 3.0, n)
    ttype = _choice(rng, ["surgery", "medical", "other", None], [0.72, 0.20, 0.03, 0.05], n)
    ttype = np.where((ttype == "medical") & ~onc_unit, _NONE, ttype)
    start = np.where(ttype == None, np.nan, diagnosis + _gamma(rng, 1.5, 6.0, n))  # noqa: E711
    is_surg = ttype == "surgery"
    surgery = np.where(is_surg, start, np.nan)
    intent = np.where(is_surg, _choice(rng, ["curative", "palliative"], [0.85, 0.15], n), _NONE)
    m_cur = _choice(rng, ["R0", "R1", "R2", "RX"], [0.72, 0.14, 0.06, 0.08], n)
    m_pal = _choice(rng, ["R0", "R1", "R2", "RX"], [0.15, 0.20, 0.55, 0.10], n)
    margin = np.where(is_surg, np.where(intent == "curative", m_cur, m_pal), _NONE)
    margin = np.where(rng.random(n) < 0.04, _NONE, margin)
    hypo = np.where(is_surg, _bool_col(rng, 0.22, n, missing=0.05), np.nan)
    adjuvant = is_surg & onc_unit & (rng.random(n) < 0.55)
    adjuvant_start = np.where(adjuvant, surgery + 14 + _gamma(rng, 3, 10, n), np.nan)
    onc = np.where(ttype == "medical", start, adjuvant_start)

    # clean the timeline at the extract date
    first_visit = _not_after(first_visit, _EXTRACT)
    diagnosis = _not_after(diagnosis, _EXTRACT)
    pending = start > _EXTRACT
    start = np.where(pending, np.nan, start)
    ttype = np.where(pending, _NONE, ttype)
    surgery = _not_after(surgery, _EXTRACT)
    intent = np.where(np.isnan(surgery), _NONE, intent)
    margin = np.where(np.isnan(surgery), _NONE, margin)
    hypo = np.where(np.isnan(surgery), np.nan, hypo)
    onc = _not_after(onc, _EXTRACT)

    last = _max(b.referral, first_visit, diagnosis, start, onc)
    death = _death(rng, np.fmax(last, diagnosis), 0.62, 1.6)
    mito = np.clip(rng.normal(15.5, 5.0, n), 1.0, 45.0).round(1)
    one_year = onc + 365
    mito_ok = ~np.isnan(onc) & (one_year <= _EXTRACT) & ~(death < one_year) & (rng.random(n) > 0.15)
    mito = np.where(mito_ok, mito, np.nan)
    vital = _vital_status(rng, death, last)
    cols = _case_dict(b, first_visit, diagnosis, start, ttype, death, vital)
    _common_tail(rng, b, cols, 0.75)
    cols.update(
        surgery_date=surgery,
        surgery_intent=intent,
        resection_margin=margin,
        postop_hypocortisolism=hypo,
        oncology_start_date=onc,
        mitotane_level_1y=mito,
        satisfaction_followed_up=_bool_col(rng, _trend(b.year, 0.35, 0.08), n, missing=0.03),
        qol_followed_up=_bool_col(rng, _trend(b.year, 0.30, 0.08), n, missing=0.03),
    )
    return cols


def _net(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    cond = rng.choice([1, 2, 3, 4], size=n, p=[0.45, 0.05, 0.40, 0.10])
    age = np.where(cond == 4, _age(rng, n, 40, 15, 12, 80), _age(rng, n, 62, 12, 18, 92))
    b = _base(rng, n, 0.5, age)
    first_visit = b.referral + _gamma(rng, 2.0, 12.0, n)
    before = rng.random(n) < 0.4  # often diagnosed at the referring hospital
    diagnosis = np.where(
        before, b.referral - rng.integers(0, 41, n), first_visit + _gamma(rng, 1.0, 7.0, n)
    )
    opts = ["surgery", "medical", "prrt", "other", None]
    probs = {
        1: [0.35, 0.45, 0.12, 0.03, 0.05],
        2: [0.10, 0.50, 0.15, 0.15, 0.10],
        3: [0.50, 0.30, 0.10, 0.05, 0.05],
        4: [0.25, 0.05, 0.0, 0.0, 0.70],
    }
    ttype = np.empty(n, dtype=object)
    for c, p in probs.items():
        sel = cond == c
        ttype[sel] = _choice(rng, opts, p, int(sel.sum()))
    scale = np.select([ttype == "surgery", ttype == "prrt"], [19.0, 17.0], 14.0)
    start = np.fmax(first_visit, diagnosis) + np.round(rng.gamma(2.0, 1.0, n) * scale)
    start = np.where(ttype == None, np.nan, start)  # noqa: E711
    pending = start > _EXTRACT
    start = np.where(pending, np.nan, start)
    ttype = np.where(pending, _NONE, ttype)
    first_visit = _not_after(first_visit, _EXTRACT)
    diagnosis = _not_after(diagnosis, _EXTRACT)
    surgery = np.where(ttype == "surgery", start, np.nan)
    later_prrt = (ttype == "medical") & (rng.random(n) < 0.15)
    later = np.where(later_prrt, start + 60 + _gamma(rng, 2, 60, n), np.nan)
    prrt = np.where(ttype == "prrt", start, later)
    prrt = _not_after(prrt, _EXTRACT)

    is_surg = ~np.isnan(surgery)
    closed = is_surg & (surgery + 30 <= _EXTRACT)
    periop = closed & (rng.random(n) < 0.012)
    leak = closed & (rng.random(n) < 0.05)
    fistula = closed & (cond == 3) & (rng.random(n) < 0.15)
    other = closed & (rng.random(n) < 0.15)
    comp = leak | fistula | other | periop
    grade = _choice(
        rng, ["I", "II", "IIIa", "IIIb", "IVa", "IVb"], [0.22, 0.38, 0.20, 0.11, 0.06, 0.03], n
    )
    severe = _choice(rng, ["II", "IIIa", "IIIb", "IVa"], [0.30, 0.35, 0.25, 0.10], n)
    grade = np.where(leak | fistula, severe, grade)
    # highest grade within 30 days; 0 = no complication, unknown while the window is open
    clavien = np.where(periop, "V", np.where(comp, grade, np.where(closed, "0", _NONE)))

    last = _max(b.referral, first_visit, diagnosis, start, prrt)
    death = _death(rng, np.fmax(last, diagnosis), 0.45, 4.5)
    death = np.where(periop, surgery + rng.integers(2, 31, n), death)
    vital = _vital_status(rng, death, last)
    cols = _case_dict(b, first_visit, diagnosis, start, ttype, death, vital)
    _common_tail(rng, b, cols, 0.35)
    unknown = rng.random(n) < 0.03
    valve = np.where(cond == 1, (b.unit == UNITS[0]) & (rng.random(n) < 0.06), False).astype(float)
    cols.update(
        net_condition=cond.astype(float),
        surgery_date=surgery,
        complication_30d=np.where(closed & ~unknown, comp, np.nan),
        anastomotic_leak=np.where(closed & ~unknown, leak, np.nan),
        pancreatic_fistula=np.where(closed & ~unknown & (cond == 3), fistula, np.nan),
        clavien_dindo=np.where(unknown & ~periop, _NONE, clavien),
        prrt_start_date=prrt,
        valve_surgery=np.where(rng.random(n) < 0.02, np.nan, valve),
    )
    return cols


def _anal(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    age = _age(rng, n, 66, 11, 25, 95)
    b = _base(rng, n, 0.7, age)
    first_visit = b.referral + _gamma(rng, 2.0, 3.5, n)
    before = rng.random(n) < 0.7
    diagnosis = np.where(
        before, b.referral - rng.integers(0, 22, n), first_visit + rng.integers(0, 8, n)
    )
    intent = _choice(rng, ["curative", "palliative"], [0.88, 0.12], n)
    cur = intent == "curative"
    ttype = np.where(
        cur,
        _choice(rng, ["radiotherapy", "surgery", None], [0.95, 0.03, 0.02], n),
        _choice(rng, ["radiotherapy", "medical", "other", None], [0.45, 0.40, 0.10, 0.05], n),
    )
    start = b.referral + _gamma(rng, 4.0, 5.0, n)
    start = np.fmax(start, np.fmax(first_visit, diagnosis) + 1)
    start = np.where(ttype == None, np.nan, start)  # noqa: E711
    pending = start > _EXTRACT
    start = np.where(pending, np.nan, start)
    ttype = np.where(pending, _NONE, ttype)
    intent = np.where(pending & (rng.random(n) < 0.5), _NONE, intent)
    first_visit = _not_after(first_visit, _EXTRACT)
    diagnosis = _not_after(diagnosis, _EXTRACT)
    rt = ttype == "radiotherapy"
    rt_start = np.where(rt, start, np.nan)
    length = np.where(intent == "curative", 38 + _gamma(rng, 2.0, 2.0, n), rng.integers(5, 21, n))
    rt_end = _not_after(rt_start + length - 1, _EXTRACT)
    rt_end[rng.random(n) < 0.02] = np.nan

    last = _max(b.referral, first_visit, diagnosis, start, rt_end)
    death = _death(rng, np.fmax(last, diagnosis), np.where(cur, 0.22, 0.8), np.where(cur, 2.5, 0.8))
    assess = rt_start + 183
    resp = _choice(
        rng, ["complete", "not_complete", "not_assessed", None], [0.80, 0.11, 0.05, 0.04], n
    )
    resp = np.where(death < assess, "not_assessed", resp)
    resp = np.where(rt & (intent == "curative") & (assess <= _EXTRACT), resp, _NONE)
    vital = _vital_status(rng, death, last)
    cols = _case_dict(b, first_visit, diagnosis, start, ttype, death, vital)
    _common_tail(rng, b, cols, 0.30)
    cols.update(
        treatment_intent=intent, rt_start_date=rt_start, rt_end_date=rt_end, response_6m=resp
    )
    return cols


_PELVIC_INDICATION = [0.30, 0.14, 0.12, 0.11, 0.10, 0.11, 0.12]  # assessments per indication 1-7
_PELVIC_WOMEN = {1: 0.45, 2: 0.25, 3: 0.45, 4: 0.70, 5: 1.0, 6: 0.08, 7: 0.50}
_PELVIC_OPERATED = {1: 0.62, 2: 0.55, 3: 0.45, 4: 0.50, 5: 0.45, 6: 0.45, 7: 0.35}
_PELVIC_NEOADJUVANT = 0.35  # share of the operated who get neoadjuvant treatment first


def _pelvic(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    weights = np.array(_PELVIC_INDICATION) / sum(_PELVIC_INDICATION)
    ind = rng.choice(np.arange(1, 8), size=n, p=weights)
    women = np.array([_PELVIC_WOMEN[i] for i in range(1, 8)])[ind - 1]
    b = _base(rng, n, women, _age(rng, n, 64, 12, 18, 92))
    assessment = b.referral + _gamma(rng, 2.0, 9.0, n)
    first_visit = np.where(rng.random(n) < 0.7, assessment + _gamma(rng, 1.0, 5.0, n), np.nan)
    diagnosis = np.where(rng.random(n) < 0.8, b.referral - rng.integers(5, 121, n), np.nan)
    operated = rng.random(n) < np.array([_PELVIC_OPERATED[i] for i in range(1, 8)])[ind - 1]
    surgery = np.where(operated, _max(assessment, first_visit) + _gamma(rng, 3.0, 9.0, n), np.nan)
    # neoadjuvant radiotherapy or chemotherapy first for some of the operated (a stream of its
    # own): the first treatment weeks after the assessment, the operation 8-14 weeks after that
    nrng = rng.spawn(1)[0]
    neo = operated & (nrng.random(n) < _PELVIC_NEOADJUVANT)
    neo_type = np.where(nrng.random(n) < 0.7, "radiotherapy", "medical")
    neo_start = np.where(
        neo, _max(assessment, first_visit) + np.round(nrng.gamma(2.0, 6.0, n)), np.nan
    )
    surgery = np.where(neo, neo_start + 56 + np.round(nrng.gamma(2.0, 10.0, n)), surgery)
    assessment = _not_after(assessment, _EXTRACT)
    first_visit = _not_after(first_visit, _EXTRACT)
    surgery = _not_after(surgery, _EXTRACT)
    neo_start = _not_after(neo_start, _EXTRACT)
    other_rx = ~operated & (rng.random(n) < 0.10)
    other_start = _not_after(assessment + _gamma(rng, 2.0, 10.0, n), _EXTRACT)
    start = np.where(other_rx, other_start, np.where(neo, neo_start, surgery))
    ttype = np.where(
        neo & ~np.isnan(neo_start),
        neo_type,
        np.where(~np.isnan(surgery), "surgery", np.where(~np.isnan(start), "other", _NONE)),
    )
    is_surg = ~np.isnan(surgery)
    units = np.array(UNITS, dtype=object)
    elsewhere = is_surg & (rng.random(n) < 0.15)
    shift = rng.integers(1, len(UNITS), n)
    idx = np.array([UNITS.index(u) for u in b.unit], dtype=int)
    tunit = np.where(elsewhere, units[(idx + shift) % len(UNITS)], np.where(is_surg, b.unit, _NONE))
    admission = surgery - (rng.random(n) < 0.3)
    los = np.maximum(3, np.round(rng.lognormal(np.log(9), 0.5, n)))
    discharge = surgery + los
    margin = _choice(rng, ["R0", "R1", "R2", "RX", None], [0.78, 0.12, 0.04, 0.04, 0.02], n)
    margin = np.where(is_surg, margin, _NONE)

    # 30- and 90-day mortality after surgery, the rest from the disease
    periop30 = is_surg & (rng.random(n) < 0.012)
    periop90 = is_surg & ~periop30 & (rng.random(n) < 0.015)
    last = _max(b.referral, assessment, first_visit, start)
    death = _death(rng, _max(last, discharge), 0.35, 2.5)
    death = np.where(periop30, surgery + rng.integers(2, 31, n), death)
    death = np.where(periop90, surgery + rng.integers(31, 91, n), death)
    death = _not_after(death, _EXTRACT)
    death_or_inf = np.where(np.isnan(death), np.inf, death)
    discharge = np.where(is_surg, np.fmin(discharge, death_or_inf), np.nan)
    discharge = _not_after(discharge, _EXTRACT)  # still admitted at the extract

    closed = is_surg & ((surgery + 30 <= _EXTRACT) | (death <= surgery + 30))
    grade = _choice(  # highest grade within 30 days, "0" = no complication
        rng,
        ["0", "I", "II", "IIIa", "IIIb", "IVa", "IVb"],
        [0.40, 0.10, 0.22, 0.12, 0.10, 0.04, 0.02],
        n,
    )
    grade = np.where(periop30, "V", grade)
    grade = np.where(closed, grade, _NONE)
    grade = np.where(closed & (rng.random(n) < 0.03), _NONE, grade)  # not registered
    severe = np.isin(grade, ["IIIb", "IVa", "IVb"])
    reop = np.where(severe, rng.random(n) < 0.6, rng.random(n) < 0.02)
    reop = np.where(closed, reop.astype(float), np.nan)
    reop[rng.random(n) < 0.02] = np.nan
    cols = _case_dict(
        b,
        first_visit,
        diagnosis,
        start,
        ttype,
        death,
        _vital_status(rng, death, _max(last, discharge)),
    )
    _common_tail(rng, b, cols, 0.55)
    cols.update(
        indication=ind.astype(float),
        assessment_date=assessment,
        treatment_unit=tunit,
        surgery_date=surgery,
        admission_date=_not_after(np.where(is_surg, admission, np.nan), _EXTRACT),
        discharge_date=discharge,
        resection_margin=margin,
        clavien_dindo=grade,
        reoperation_30d=reop,
    )
    return cols


def _case_dict(
    b: _Base, first_visit, diagnosis, start, ttype, death, vital
) -> dict[str, np.ndarray]:
    # nothing recorded after death except the vital status date
    def alive(x):
        with np.errstate(invalid="ignore"):
            return np.where(x > death, np.nan, x)

    first_visit, diagnosis, start = alive(first_visit), alive(diagnosis), alive(start)
    male = b.male
    return {
        "_male": male,
        "unit": b.unit,
        "referring_region": b.referring_region,
        "home_region": b.home_region,
        "sex": np.where(male, "M", "K").astype(object),
        "birth_date": b.birth,
        "referral_date": b.referral,
        "first_visit_date": first_visit,
        "diagnosis_date": diagnosis,
        "treatment_start_date": start,
        "treatment_type": np.where(np.isnan(start), _NONE, ttype),
        "death_date": death,
        "vital_status_date": vital,
    }


_AREA_FUNCS: dict[str, Callable[[np.random.Generator, int], dict[str, np.ndarray]]] = {
    "acc": _acc,
    "net": _net,
    "anal": _anal,
    "pelvic": _pelvic,
}

_CASE_PREFIX = {"acc": "ACC", "net": "NET", "anal": "ANAL", "pelvic": "BK"}


# --------------------------------------------------------------------------------------------
# secondary tables of anal cancer


def _episodes(rng: np.random.Generator, cases: dict[str, np.ndarray], case_ids: np.ndarray):
    n = len(case_ids)
    start0 = cases["first_visit_date"]
    start0 = np.where(np.isnan(start0), cases["treatment_start_date"], start0)
    has = ~np.isnan(start0)
    k = np.where(has, 1 + rng.poisson(3.0, n), 0)
    total = int(k.sum())
    owner = np.repeat(np.arange(n), k)
    first_of = np.repeat(np.cumsum(k) - k, k)
    pos = np.arange(total) - first_of
    gaps = np.where(pos == 0, 0.0, np.round(rng.gamma(2.0, 35.0, total)) + 7)
    cum = np.cumsum(gaps)
    cum = cum - cum[first_of] if total else cum
    visit = start0[owner] + cum
    death = cases["death_date"]
    end = np.fmin(np.where(np.isnan(death), _EXTRACT, death), _EXTRACT)[owner]
    keep = visit <= end
    owner, visit = owner[keep], visit[keep]
    m = len(owner)
    year = _year_of(visit)
    wcp = _bool_col(rng, _trend(year, 0.55, 0.05, 0.9), m, missing=0.03)
    width = max(6, len(str(m)))
    ids = pl.Series("i", np.arange(1, m + 1)).cast(pl.String).str.zfill(width)
    return {
        "episode_id": ("EP" + ids).to_numpy().astype(object) if m else np.array([], dtype=object),
        "case_id": case_ids[owner],
        "unit": cases["unit"][owner],
        "visit_date": visit,
        "written_care_plan": wcp,
    }


def _prem(rng: np.random.Generator, episodes: dict[str, np.ndarray], n_cases: int):
    m_ep = len(episodes["visit_date"])
    n = int(round(0.7 * n_cases)) if m_ep else 0
    pick = np.sort(rng.integers(0, m_ep, n)) if n else np.array([], dtype=int)
    date = episodes["visit_date"][pick] + rng.integers(1, 31, n)
    date = np.fmin(date, _EXTRACT)
    unit = episodes["unit"][pick]
    order = np.lexsort((unit.astype(str), date)) if n else pick
    date, unit = date[order], unit[order]
    base = {u: 0.25 * i for i, u in enumerate(UNITS)}
    shift = np.array([base[u] for u in unit]) if n else np.array([])
    out = {"response_id": None, "unit": unit, "response_date": date}
    for q in ("q1", "q2", "q3", "q4"):
        raw = np.round(rng.normal(4.1 - shift, 1.0, n))
        v = np.clip(raw, 1, 5)
        v[rng.random(n) < 0.03] = np.nan
        out[q] = v
    width = max(6, len(str(n)))
    ids = pl.Series("i", np.arange(1, n + 1)).cast(pl.String).str.zfill(width)
    out["response_id"] = ("P" + ids).to_numpy().astype(object) if n else np.array([], dtype=object)
    return out


# --------------------------------------------------------------------------------------------
# frames


def _schema_columns(area: str, table: str) -> list[tuple[str, str]]:
    from nhvmetrics.schema.model import load_schema

    t = load_schema(area).table(table)
    return [(c.name, c.type) for c in t.columns.values()]


def _series(name: str, values: np.ndarray, ctype: str) -> pl.Series:
    if ctype == "string":
        return pl.Series(name, values.tolist(), dtype=pl.String)
    valid = ~np.isnan(values.astype(float))
    if ctype == "date":
        raw = np.where(valid, values, 0).astype(np.int32)
        return pl.Series(name, np.ma.masked_array(raw, mask=~valid)).cast(pl.Date)
    if ctype == "int":
        raw = np.where(valid, values, 0).astype(np.int64)
        return pl.Series(name, np.ma.masked_array(raw, mask=~valid))
    if ctype == "bool":
        raw = np.where(valid, values, 0).astype(bool)
        return pl.Series(name, np.ma.masked_array(raw, mask=~valid))
    return pl.Series(name, values.astype(float), nan_to_null=True)


# Column order of the secondary tables (the schema lists their shared columns first).
_ORDER = {
    "episodes": ["episode_id", "case_id", "unit", "visit_date", "written_care_plan"],
    "prem": ["response_id", "unit", "response_date", "q1", "q2", "q3", "q4"],
}


def _frame(area: str, table: str, cols: dict[str, np.ndarray]) -> pl.DataFrame:
    """The table in the schema's column order; a schema column the generator does not make
    (one added to the schema since) is there, empty, so new columns just work."""
    spec = dict(_schema_columns(area, table))
    names = _ORDER.get(table, list(spec))
    names += [c for c in spec if c not in names]
    n = len(next(iter(cols.values()))) if cols else 0

    def values(name: str) -> np.ndarray:
        if name in cols:
            return cols[name]
        return np.full(n, None, dtype=object) if spec[name] == "string" else np.full(n, np.nan)

    return pl.DataFrame([_series(name, values(name), spec[name]) for name in names])


def _area_index(area: str) -> int:
    """The area's part of every seed (fixed: the same seed gives the same files)."""
    return list(_AREA_FUNCS).index(area)


def _check_args(area: str, rows: int, seed: int, dirty: float) -> None:
    if area not in _AREA_FUNCS:
        raise NhvError(
            f"no sample data for area '{area}'; nhvmetrics makes it for {', '.join(_AREA_FUNCS)}."
        )
    if rows < 0:
        raise NhvError(f"--rows must be 0 or more, got {rows}.")
    if seed < 0:
        raise NhvError(f"--seed must be 0 or more, got {seed}.")
    if not 0.0 <= dirty <= 1.0:
        raise NhvError(f"--dirty is a fraction between 0 and 1, got {dirty}.")


def generate(area: str, rows: int, seed: int, dirty: float = 0.0) -> dict[str, pl.DataFrame]:
    """Canonical typed frames of a synthetic export: ``{"cases": ..., ["episodes", "prem"]}``.

    ``rows`` is the number of case rows; anal cancer's episodes (about 4 per case) and PREM
    answers (about 0.7 per case) scale with it.  Rows are sorted by referral date and
    ``case_id`` follows that order.  With ``dirty > 0`` about that fraction of the rows of every
    table carries one planted error, described by the internal ``_planted*`` columns.
    """
    _check_args(area, rows, seed, dirty)
    rng = np.random.default_rng([seed, _area_index(area)])
    cols = _AREA_FUNCS[area](rng, rows)
    # the date of the national MDK decision, from a stream of its own (the rest is unchanged)
    cols["mdk_date"] = _mdk_dates(np.random.default_rng([seed, _area_index(area), 2]), cols)
    order = np.lexsort((cols["unit"].astype(str), cols["referral_date"])) if rows else np.arange(0)
    cols = {k: v[order] for k, v in cols.items()}
    samord = rng.random(rows) < 0.015
    male = cols.pop("_male")
    empty = np.array([], dtype=object)
    cols["patient_id"] = personnummer(cols["birth_date"], male, samord, rng) if rows else empty
    if rows:
        _repeat_patients(np.random.default_rng([seed, _area_index(area), 3]), cols, male)
    width = max(6, len(str(rows)))
    ids = pl.Series("i", np.arange(1, rows + 1)).cast(pl.String).str.zfill(width)
    cols["case_id"] = (_CASE_PREFIX[area] + ids).to_numpy().astype(object) if rows else empty
    frames = {"cases": _frame(area, "cases", cols)}
    if area == "anal":
        ep = _episodes(rng, cols, cols["case_id"])
        frames["episodes"] = _frame(area, "episodes", ep)
        frames["prem"] = _frame(area, "prem", _prem(rng, ep, rows))
    if dirty > 0:
        # a separate stream: the dirty export is the clean one plus the planted errors
        drng = np.random.default_rng([seed, _area_index(area), 1])
        frames["cases"], moved = _plant(area, "cases", frames["cases"], drng, dirty, rows)
        if "episodes" in frames:
            ep = frames["episodes"]
            if moved:
                ep = ep.with_columns(pl.col("case_id").replace(moved))
            frames["episodes"], _ = _plant(area, "episodes", ep, drng, dirty, rows)
            frames["prem"], _ = _plant(area, "prem", frames["prem"], drng, dirty, rows)
    return frames


def _mdk_dates(rng: np.random.Generator, cols: dict[str, np.ndarray]) -> np.ndarray:
    """The decision date of the national MDK for cases discussed there (``national_mdk``): one
    to four weeks after the referral, a few not registered; never after death or the extract."""
    n = len(cols["referral_date"])
    days = cols["referral_date"] + 3 + np.round(rng.gamma(2.0, 5.0, n))
    mdk = np.where(cols["national_mdk"] == 1, days, np.nan)
    mdk[rng.random(n) < 0.03] = np.nan
    with np.errstate(invalid="ignore"):
        mdk = np.where(mdk > cols["death_date"], np.nan, mdk)
    return _not_after(mdk, _EXTRACT)


#: share of the cases that are a second case of a patient who is in the export already
REPEAT_PATIENTS = 0.05


def _repeat_patients(
    rng: np.random.Generator, cols: dict[str, np.ndarray], male: np.ndarray
) -> None:
    """Make about :data:`REPEAT_PATIENTS` of the cases (rows sorted by referral) a later case of
    an earlier patient of the same sex: the personnummer and birth date are copied (as a real
    register holds a patient's second referral, a recurrence ...), so "patients" and "cases"
    differ.  In place."""
    n = len(cols["patient_id"])
    if n < 2:
        return
    pick = np.flatnonzero(rng.random(n) < REPEAT_PATIENTS)
    pick = pick[pick > 0]
    donor = np.floor(rng.random(len(pick)) * pick).astype(int)  # an earlier row
    birth = cols["birth_date"]
    ok = (male[donor] == male[pick]) & (cols["referral_date"][pick] - birth[donor] < 100 * 365.25)
    pick, donor = pick[ok], donor[ok]
    cols["patient_id"][pick] = cols["patient_id"][donor]
    cols["birth_date"][pick] = birth[donor]


# --------------------------------------------------------------------------------------------
# planted errors (--dirty)

_DAYS_30Y = 10957
_UNKNOWN_CODES: dict[str, list[tuple[str, object]]] = {
    # county 11 (Kristianstad), 15/16 (Älvsborg, Skaraborg) and 02 no longer exist
    "acc": [
        ("referring_region", "11"),
        ("resection_margin", "R3"),
        ("treatment_type", "kemoterapi"),
        ("surgery_intent", "adjuvant"),
    ],
    "net": [
        ("referring_region", "15"),
        ("clavien_dindo", "VI"),
        ("net_condition", 5),
        ("treatment_type", "ssa"),
    ],
    "anal": [
        ("referring_region", "16"),
        ("response_6m", "partial"),
        ("treatment_intent", "adjuvant"),
        ("treatment_type", "kemoterapi"),
    ],
    "pelvic": [
        ("referring_region", "02"),
        ("indication", 8),
        ("resection_margin", "R3"),
        ("clavien_dindo", "VI"),
    ],
}
_AREA_KINDS = {
    "acc": ("mitotane_250",),
    "net": (),
    "anal": ("rt_end_before_start",),
    "pelvic": ("discharge_before_admission",),
}
_CASE_KINDS = (
    "bad_luhn",
    "referral_after_treatment",
    "unknown_code",
    "future_date",
    "age_over_110",
    "duplicate_case_id",
    "unparsable_date",
)
_FUTURE_COLUMN = {"cases": "vital_status_date", "episodes": "visit_date", "prem": "response_date"}
_TABLE_KINDS = {
    "episodes": ("orphan_episode", "unparsable_date", "future_date"),
    "prem": ("answer_out_of_range", "unparsable_date", "future_date"),
}


def planted_kinds(area: str, table: str = "cases") -> tuple[str, ...]:
    """The kinds of error ``--dirty`` plants in a table of an area."""
    if table == "cases":
        return _CASE_KINDS + _AREA_KINDS[area]
    return _TABLE_KINDS[table]


def _bad_date_text(day: int, pick: int) -> str:
    d = _EPOCH + dt.timedelta(days=int(day))
    forms = (
        f"{d.day:02d}/{d.month:02d}/{d.year}",
        f"{d.year}-{d.month:02d}-32",
        f"{d.year}-02-30",
        f"{d.year}-13-{d.day:02d}",
        f"{d.year}{d.month:02d}",
        "?",
    )
    return forms[pick % len(forms)]


def _days(s: pl.Series) -> np.ndarray:
    """Date series → float days (NaN for null)."""
    return s.cast(pl.Int32).cast(pl.Float64).fill_null(np.nan).to_numpy().copy()


def _plant(
    area: str, table: str, df: pl.DataFrame, rng: np.random.Generator, dirty: float, n_cases: int
) -> tuple[pl.DataFrame, dict[str, str]]:
    """Plant errors in about ``dirty`` of the rows; returns the frame and a map of changed
    case ids (old → new, for duplicate_case_id) so the episodes can follow their case."""
    n = df.height
    kind = np.full(n, None, dtype=object)
    pcol = np.full(n, None, dtype=object)
    pval = np.full(n, None, dtype=object)
    n_dirty = int(round(dirty * n))
    moved: dict[str, str] = {}
    if n_dirty == 0:
        return _with_planted(df, kind, pcol, pval), moved
    kinds = planted_kinds(area, table)
    counts = np.full(len(kinds), n_dirty // len(kinds))
    counts[rng.permutation(len(kinds))[: n_dirty % len(kinds)]] += 1
    date_cols = [c for c, t in df.schema.items() if t == pl.Date]
    data = _Columns(df)
    used = np.zeros(n, dtype=bool)
    ok = np.ones(n, dtype=bool)

    def nn(c):
        return df[c].is_not_null().to_numpy()

    elig = {
        "bad_luhn": ok,
        "unknown_code": ok,
        "duplicate_case_id": np.arange(n) >= 1,
        "unparsable_date": ok,
        "orphan_episode": ok,
        "answer_out_of_range": ok,
    }
    if table == "cases":
        with np.errstate(invalid="ignore"):
            age = (data["referral_date"] - data["birth_date"]) / 365.25
            birth = data["birth_date"].astype("int64").astype("datetime64[D]").astype(str)
            elig["referral_after_treatment"] = (data["treatment_start_date"] <= _EXTRACT - 31) & ~(
                data["death_date"] <= data["treatment_start_date"] + 31
            )
            elig["future_date"] = nn("vital_status_date") & ~nn("death_date")
            elig["age_over_110"] = (age >= 15) & ~np.char.endswith(birth.astype(str), "-02-29")
            if area == "acc":
                elig["mitotane_250"] = nn("oncology_start_date")
            if area == "anal":
                elig["rt_end_before_start"] = nn("rt_start_date") & nn("rt_end_date")
            if area == "pelvic":
                elig["discharge_before_admission"] = nn("admission_date") & nn("discharge_date")
    elif table == "episodes":
        elig["future_date"] = nn("visit_date")
    else:
        elig["future_date"] = nn("response_date")

    fallback = kinds[0]
    left = 0
    for k, cnt in zip(kinds, counts, strict=True):
        pool = np.flatnonzero(elig[k] & ~used)
        take = np.sort(rng.permutation(pool)[:cnt]) if len(pool) else pool
        left += cnt - len(take)
        used[take] = True
        kind[take] = k
    if left:
        pool = np.flatnonzero(~used)
        take = np.sort(rng.permutation(pool)[:left])
        used[take] = True
        kind[take] = fallback

    for i in np.flatnonzero(used):
        k = kind[i]
        if k == "bad_luhn":
            pid = data["patient_id"][i]
            data["patient_id"][i] = pid[:-1] + str((int(pid[-1]) + int(rng.integers(1, 10))) % 10)
            pcol[i] = "patient_id"
        elif k == "referral_after_treatment":
            data["referral_date"][i] = data["treatment_start_date"][i] + rng.integers(1, 31)
            pcol[i] = "referral_date"
        elif k == "unknown_code":
            options = [o for o in _UNKNOWN_CODES[area] if o[0] in data]
            c, v = options[int(rng.integers(0, len(options)))]
            data[c][i] = v
            pcol[i] = c
        elif k == "future_date":
            c = _FUTURE_COLUMN[table]
            data[c][i] += _DAYS_30Y
            pcol[i] = c
        elif k == "age_over_110":
            b = _EPOCH + dt.timedelta(days=int(data["birth_date"][i]))
            data["birth_date"][i] = (b.replace(year=b.year - 100) - _EPOCH).days
            pid = data["patient_id"][i]
            data["patient_id"][i] = str(int(pid[:2]) - 1) + pid[2:]
            pcol[i] = "birth_date"
        elif k == "duplicate_case_id":
            old = data["case_id"][i]
            data["case_id"][i] = data["case_id"][i - 1]
            moved[old] = data["case_id"][i]
            pcol[i] = "case_id"
        elif k == "unparsable_date":
            cands = [c for c in date_cols if not np.isnan(data[c][i])]
            c = cands[int(rng.integers(0, len(cands)))]
            pval[i] = _bad_date_text(data[c][i], int(rng.integers(0, 6)))
            data[c][i] = np.nan
            pcol[i] = c
        elif k == "mitotane_250":
            data["mitotane_level_1y"][i] = 250.0
            pcol[i] = "mitotane_level_1y"
        elif k == "rt_end_before_start":
            data["rt_end_date"][i] = data["rt_start_date"][i] - rng.integers(1, 21)
            pcol[i] = "rt_end_date"
        elif k == "discharge_before_admission":
            data["discharge_date"][i] = data["admission_date"][i] - rng.integers(1, 6)
            pcol[i] = "discharge_date"
        elif k == "orphan_episode":
            width = max(6, len(str(n_cases)))
            # beyond every real id (< 10**width) and the INCA dialect's extra rows (< 2 * 10**width)
            data["case_id"][i] = f"{_CASE_PREFIX[area]}{2 * 10**width + i}"
            pcol[i] = "case_id"
        elif k == "answer_out_of_range":
            c = f"q{int(rng.integers(1, 5))}"
            data[c][i] = 6 if rng.random() < 0.5 else 0
            pcol[i] = c
    out = df.with_columns(data.changed())
    return _with_planted(out, kind, pcol, pval), moved


class _Columns:
    """Columns of a frame as mutable numpy arrays, converted on first use (dates as float days,
    text as objects, numbers as floats with NaN); ``changed()`` gives back the touched ones."""

    _TYPES = {
        pl.Date: "date",
        pl.Int64: "int",
        pl.Boolean: "bool",
        pl.Float64: "float",
        pl.String: "string",
    }

    def __init__(self, df: pl.DataFrame) -> None:
        self.df = df
        self.cache: dict[str, np.ndarray] = {}

    def __contains__(self, c: str) -> bool:
        return c in self.df.columns

    def __getitem__(self, c: str) -> np.ndarray:
        if c not in self.cache:
            s = self.df[c]
            if s.dtype == pl.Date:
                self.cache[c] = _days(s)
            elif s.dtype == pl.String:
                self.cache[c] = np.array(s.to_list(), dtype=object)
            else:
                self.cache[c] = s.cast(pl.Float64).fill_null(np.nan).to_numpy().copy()
        return self.cache[c]

    def changed(self) -> list[pl.Series]:
        out = []
        for c, v in self.cache.items():
            t = self.df.schema[c]
            if t == pl.String:
                out.append(pl.Series(c, v.tolist(), dtype=pl.String))
            else:
                out.append(_series(c, v, self._TYPES[t.base_type()]))
        return out


def _with_planted(df: pl.DataFrame, kind, pcol, pval) -> pl.DataFrame:
    return df.with_columns(
        pl.Series("_planted", kind.tolist(), dtype=pl.String),
        pl.Series("_planted_column", pcol.tolist(), dtype=pl.String),
        pl.Series("_planted_value", pval.tolist(), dtype=pl.String),
    )


# --------------------------------------------------------------------------------------------
# rendering: canonical text and the INCA dialect

INCA_ENCODING = "cp1252"  # Windows-1252, as Excel on a Swedish Windows saves a CSV
INCA_SEPARATOR = ";"
INCA_LINE_END = "\r\n"
_UNKNOWN_LABEL = {"98": "Okänt", "99": "Uppgift saknas"}
_TEST_PNR = "19121212-1212"  # Tolvan Tolvansson, the well-known test person of the demo region


def _internal(df: pl.DataFrame) -> list[str]:
    return [c for c in df.columns if c.startswith("_")]


def _raw_override(df: pl.DataFrame, col: str, text: pl.Expr) -> pl.Expr:
    if "_planted_value" not in df.columns:
        return text
    hit = (pl.col("_planted_column") == col) & pl.col("_planted_value").is_not_null()
    return pl.when(hit).then(pl.col("_planted_value")).otherwise(text)


def _canonical_text(df: pl.DataFrame) -> pl.DataFrame:
    exprs = []
    for c, t in df.schema.items():
        if c.startswith("_"):
            continue
        if t == pl.Float64:
            e = pl.col(c).round(1).cast(pl.String)
        else:
            e = pl.col(c).cast(pl.String)  # dates ISO, booleans true/false
        exprs.append(_raw_override(df, c, e).alias(c))
    return df.select(exprs)


def _planted_text_columns(df: pl.DataFrame) -> set[str]:
    if "_planted_value" not in df.columns:
        return set()
    hit = df.filter(pl.col("_planted_value").is_not_null())
    return set(hit["_planted_column"].unique().to_list())


def canonical_typed(df: pl.DataFrame) -> pl.DataFrame:
    """The frame as written to Parquet/xlsx: internal columns dropped; a date column that holds a
    planted unparsable date becomes text."""
    text_cols = _planted_text_columns(df)
    if text_cols:
        df = df.with_columns(
            _raw_override(df, c, pl.col(c).cast(pl.String)).alias(c) for c in sorted(text_cols)
        )
    return df.drop(_internal(df))


def _inca_table(area: str, table: str, df: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    from nhvmetrics.schema.model import load_schema

    spec = load_schema(area).table(table)
    n = df.height
    exprs: list[pl.Expr] = []
    names = [c for c in df.columns if not c.startswith("_")]
    df = df.with_columns(pl.Series(f"_u_{c}", rng.random(n)) for c in names)
    for c in names:
        col = spec.column(c)
        u = pl.col(f"_u_{c}")
        v = pl.col(c)
        if col.type == "date":
            text = v.cast(pl.String)
            hh = (u * 1e4).cast(pl.Int64) % 24
            mm = (u * 1e6).cast(pl.Int64) % 60
            text = (
                pl.when(u < 0.06)
                .then(text + " 00:00:00")
                .when(u < 0.08)
                .then(
                    pl.format(
                        "{} {}:{}:00",
                        text,
                        hh.cast(pl.String).str.zfill(2),
                        mm.cast(pl.String).str.zfill(2),
                    )
                )
                .otherwise(text)
            )
            exprs.append(_raw_override(df, c, text).alias(col.inca_name))
            continue
        if col.type == "float":
            comma = v.round(1).cast(pl.String).str.replace(".", ",", literal=True)
            exprs.append(comma.alias(col.inca_name))
            continue
        if col.type == "string" and not (col.values or col.labels or col.list_variable):
            exprs.append(v.alias(col.inca_name))  # identifiers and unit codes: as they are
            continue
        uniques = [x for x in df[c].unique().to_list() if x is not None]
        key = v.cast(pl.String)
        keys = [str(x).lower() if col.type == "bool" else str(x) for x in uniques]
        codes = {k: col.inca_code(x) for k, x in zip(keys, uniques, strict=True)}
        labels = {k: col.inca_label(x) for k, x in zip(keys, uniques, strict=True)}
        code = key.replace_strict(codes, default=None, return_dtype=pl.String)
        label = key.replace_strict(labels, default=None, return_dtype=pl.String)
        if col.type == "bool":
            janej = pl.when(v).then(pl.lit("Ja")).otherwise(pl.lit("Nej"))
            code = pl.when(u > 0.95).then(janej).otherwise(code)
        if col.is_coded:
            unknown = pl.when(u < 0.3).then(pl.lit("99")).when(u < 0.4).then(pl.lit("98"))
            code = pl.when(v.is_null()).then(unknown).otherwise(code)
            unknown_label = (
                pl.when(u < 0.3)
                .then(pl.lit(_UNKNOWN_LABEL["99"]))
                .when(u < 0.4)
                .then(pl.lit(_UNKNOWN_LABEL["98"]))
            )
            label = pl.when(v.is_null()).then(unknown_label).otherwise(label)
        exprs.append(code.alias(col.inca_name))
        if (description := col.inca_description_name) is not None:  # a list variable
            exprs.append(label.alias(description))
        if c == "sex":
            exprs.append(label.alias("KON_BESKRIVNING"))
        if c == "home_region":
            county = v.replace_strict(col.labels, default=None, return_dtype=pl.String)
            exprs.append(county.alias("LAN_BESKRIVNING"))
    return df.select(exprs)


def _inca_cases(area: str, df: pl.DataFrame, rng: np.random.Generator, rows: int) -> pl.DataFrame:
    """INCA case table: REGION_NAMN first, MAKULERAD last, plus a few cancelled (MAKULERAD=1)
    registrations and demo-region rows that a reader must drop."""
    body = _inca_table(area, "cases", df, rng)
    from nhvmetrics.schema.model import load_schema

    spec = load_schema(area).table("cases")
    unit_col = spec.column("unit").inca_name
    case_col = spec.column("case_id").inca_name
    pid_col = spec.column("patient_id").inca_name
    region = body[unit_col].replace_strict(UNIT_REGION_NAME, default="Region Stockholm - Gotland")
    body = body.with_columns(region.alias("REGION_NAMN"), pl.lit("0").alias("MAKULERAD"))
    n = body.height
    n_extra = max(1, round(0.005 * n)) if n else 0
    if n_extra:
        width = max(6, len(str(rows)))
        src = np.sort(rng.integers(0, n, 2 * n_extra))
        ids = [f"{_CASE_PREFIX[area]}{rows + 1 + j:0{width}d}" for j in range(2 * n_extra)]
        extra = body[src.tolist()].with_columns(pl.Series(case_col, ids, dtype=pl.String))
        mak = extra.head(n_extra).with_columns(pl.lit("1").alias("MAKULERAD"))
        demo = extra.tail(n_extra).with_columns(
            pl.lit(DEMO_REGION).alias("REGION_NAMN"),
            pl.lit(_TEST_PNR).alias(pid_col),
            pl.lit("1").alias(spec.column("sex").inca_name),
            pl.lit("Man").alias("KON_BESKRIVNING"),
            pl.lit("1912-12-12").alias(spec.column("birth_date").inca_name),
        )
        pos = np.concatenate([np.arange(n) * 2.0, src * 2.0 + 1.0])
        body = (
            pl.concat([body, mak, demo])
            .with_columns(pl.Series("_pos", pos))
            .sort("_pos", maintain_order=True)
            .drop("_pos")
        )
    first = ["REGION_NAMN"]
    return body.select(first + [c for c in body.columns if c not in first])


DIALECTS = ("canonical", "aliases", "inca")


def dialect_of(inca: bool = False, dialect: str | None = None) -> str:
    """The dialect asked for: ``dialect`` by name, or ``inca=True`` for ``inca``."""
    if dialect is None:
        return "inca" if inca else "canonical"
    name = str(dialect).strip().lower()
    if name not in DIALECTS:
        raise NhvError(f"unknown dialect '{dialect}'; use one of: {', '.join(DIALECTS)}.")
    if inca and name != "inca":
        raise NhvError(
            f"--inca is the same as --dialect inca; leave out --inca or --dialect {name}."
        )
    return name


def render(
    area: str,
    frames: dict[str, pl.DataFrame],
    inca: bool = False,
    seed: int = 0,
    rows: int | None = None,
    *,
    dialect: str | None = None,
) -> dict[str, pl.DataFrame]:
    """All-text frames exactly as they are written to CSV.

    ``dialect`` (or ``inca=True`` for ``"inca"``):

    * ``canonical``: canonical names, ISO dates, ``true``/``false``, decimal point, empty = missing;
    * ``inca``: the export as a register writes it (:mod:`nhvmetrics.sample_register`): the
      register's own variable names, ``PAT_ID`` beside ``PERSNR``, ``_Varde``/``_Beskrivning``
      pairs with the register's codes, ``True``/blank checkboxes, 96/98/99, system and name
      columns, and rows a reader must drop; read it with the profile of
      :func:`nhvmetrics.sample_register.profile_text`;
    * ``aliases``: an INCA export whose variables carry the built-in names (the first alias of
      each column, ``<var>_Värde`` + ``<var>_Beskrivning`` for list variables), INCA codes
      (KON_VALUE 1/2, 1/0 booleans with a few Ja/Nej, some 98/99 unknowns), decimal comma, some
      dates with a time part, REGION_NAMN and MAKULERAD, and a few rows a reader must drop
      (MAKULERAD=1, REGION_NAMN='Region Demo'); it needs no mapping profile.
    """
    name = dialect_of(inca, dialect)
    if name == "canonical":
        return {t: _canonical_text(df) for t, df in frames.items()}
    if name == "inca":
        from nhvmetrics.sample_register import render_register

        return render_register(area, frames, seed, rows)
    rng = np.random.default_rng([seed, _area_index(area), 2])
    n_cases = frames["cases"].height if rows is None else rows
    out = {"cases": _inca_cases(area, frames["cases"], rng, n_cases)}
    for t, df in frames.items():
        if t != "cases":
            out[t] = _inca_table(area, t, df, rng)
    return out


# --------------------------------------------------------------------------------------------
# writing

FORMATS = (".csv", ".parquet", ".xlsx")
_FIXED_ZIP_TIME = (2026, 1, 1, 0, 0, 0)
_XLSX_MAX_ROWS = 1_048_576  # rows of an Excel sheet, header included


def output_paths(area: str, output: Path | str) -> dict[str, Path]:
    """Where each table of ``area`` is written for ``-o OUTPUT``.

    The case table goes to OUTPUT.  For CSV and Parquet the other tables (anal: episodes, prem) go
    beside it: ``anal_cases.csv`` → ``anal_episodes.csv``, ``anal_prem.csv`` (a trailing
    ``_cases`` of the stem is replaced), any other name ``x.csv`` → ``x_episodes.csv``,
    ``x_prem.csv``.  An ``.xlsx`` holds every table as a sheet named after it.  If OUTPUT is an
    existing folder the files are ``<area>_cases.csv`` etc. inside it.
    """
    output = Path(output)
    if output.is_dir():
        output = output / f"{area}_cases.csv"
    suffix = output.suffix.lower()
    if suffix not in FORMATS:
        raise NhvError(
            f"cannot tell the format of {output}; end the name with .csv, .parquet or .xlsx."
        )
    paths = {"cases": output}
    stem = output.stem[: -len("_cases")] if output.stem.lower().endswith("_cases") else output.stem
    for t in TABLES[area][1:]:
        paths[t] = output if suffix == ".xlsx" else output.with_name(f"{stem}_{t}{output.suffix}")
    return paths


def _csv_bytes(df: pl.DataFrame, inca: bool) -> bytes:
    text = df.write_csv(
        separator=INCA_SEPARATOR if inca else ",",
        line_terminator=INCA_LINE_END if inca else "\n",
        null_value="",
    )
    if not inca:
        return text.encode("utf-8")
    try:
        # fast path: Swedish letters are the same bytes in Latin-1 and Windows-1252
        data = text.encode("latin-1")
        if re.search(rb"[\x80-\x9f]", data) is None:
            return data
    except UnicodeEncodeError:
        pass
    return text.encode(INCA_ENCODING)


def _parquet_bytes(df: pl.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.write_parquet(buf, compression="zstd", statistics=True)
    return buf.getvalue()


def _xlsx_bytes(sheets: dict[str, pl.DataFrame]) -> bytes:
    """A workbook with one sheet per table; typed cells for typed columns.  The zip entries get a
    fixed timestamp and the document fixed dates, so the bytes depend only on the data."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    fixed = dt.datetime(*_FIXED_ZIP_TIME)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.properties.creator = "nhvmetrics sample"
    for name, df in sheets.items():
        ws = wb.create_sheet(title=name[:31])
        ws.append(df.columns)
        for row in df.iter_rows():
            ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    # rewrite the zip with fixed timestamps (openpyxl stamps the current time)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = _fix_core_dates(data)
            zi = zipfile.ZipInfo(info.filename, date_time=_FIXED_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            dst.writestr(zi, data)
    return out.getvalue()


def _fix_core_dates(xml: bytes) -> bytes:
    stamp = dt.datetime(*_FIXED_ZIP_TIME).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    pattern = rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)"
    return re.sub(pattern, rb"\g<1>" + stamp + rb"\g<2>", xml)


Progress = Callable[[str, Path, int], None]


def write_frames(
    area: str,
    frames: dict[str, pl.DataFrame],
    output: Path | str,
    *,
    inca: bool = False,
    seed: int = 0,
    rows: int | None = None,
    dialect: str | None = None,
    progress: Progress | None = None,
) -> dict[str, tuple[Path, int]]:
    """Write the frames of :func:`generate` to ``output`` (and beside it); return
    ``{table: (path, rows written)}``.  Files are written atomically, and ``progress(table, path,
    rows)`` is called as each one is done.  The register dialect (``inca``) also gets its mapping
    profile beside the case table (:func:`nhvmetrics.sample_register.profile_path`), reported to
    ``progress`` as the table ``profile``."""
    from nhvmetrics.io.atomic import write_bytes, write_text

    name = dialect_of(inca, dialect)
    paths = output_paths(area, output)
    suffix = paths["cases"].suffix.lower()
    if name != "canonical" or suffix == ".csv":
        tables = render(area, frames, seed=seed, rows=rows, dialect=name)
    else:
        tables = {t: canonical_typed(df) for t, df in frames.items()}
    written: dict[str, tuple[Path, int]] = {}
    if suffix == ".xlsx":
        biggest = max(tables, key=lambda t: tables[t].height)
        if tables[biggest].height >= _XLSX_MAX_ROWS:
            raise NhvError(
                f"the {biggest} table has {tables[biggest].height} rows, more than an Excel "
                "sheet holds; write .csv or .parquet instead."
            )
        write_bytes(paths["cases"], _xlsx_bytes(tables), synthetic_export=True)
        written = {t: (paths["cases"], df.height) for t, df in tables.items()}
        for t, (path, n) in written.items():
            if progress is not None:
                progress(t, path, n)
    else:
        for t, df in tables.items():
            text_dialect = name != "canonical"
            data = _csv_bytes(df, text_dialect) if suffix == ".csv" else _parquet_bytes(df)
            write_bytes(paths[t], data, synthetic_export=True)  # made-up personnummer by design
            written[t] = (paths[t], df.height)
            if progress is not None:
                progress(t, paths[t], df.height)
    if name == "inca":
        from nhvmetrics.sample_register import profile_path, profile_text

        target = profile_path(paths["cases"])
        write_text(target, profile_text(area, paths))
        if progress is not None:
            progress("profile", target, 0)
    return written


def write_sample(
    area: str,
    rows: int,
    seed: int,
    output: Path | str,
    dirty: float = 0.0,
    inca: bool = False,
    *,
    dialect: str | None = None,
    progress: Progress | None = None,
) -> dict[str, tuple[Path, int]]:
    """``nhvmetrics sample``: generate and write; returns ``{table: (path, rows written)}``.

    ``dialect`` is ``canonical`` (the default), ``inca`` (the register export and its mapping
    profile; ``inca=True`` says the same) or ``aliases`` (an INCA export under the built-in names).
    """
    _check_args(area, rows, seed, dirty)
    name = dialect_of(inca, dialect)
    output_paths(area, output)  # fail on a bad suffix before doing the work
    frames = generate(area, rows, seed, dirty)
    return write_frames(area, frames, output, seed=seed, rows=rows, dialect=name, progress=progress)
