"""The register dialect of ``nhvmetrics sample --inca``: an export as an INCA register writes it.

Each area gets a fictional register that names its variables the way INCA registers do (SPEC §2,
"How real INCA exports look"): a form prefix in mixed case (``a_`` anmälan, ``op_`` operation,
``b_`` behandling, ``u_`` uppföljning), Swedish abbreviations (``a_rem_dat``, ``a_diadat``,
``op_pad_radikalitet_Varde``, ``a_inr_sjhkod``), a register id per row (``R77T201_ID``),
``PAT_ID`` beside ``PERSNR``, list variables as ``<var>_Varde`` + ``<var>_Beskrivning`` with the
register's own codes, yes/no lists with a third code, checkboxes exported as ``True`` or blank,
``96``/``98``/``99`` for unknown, ``LAN_VALUE`` without its leading zero, the six RCC regions in
``REGION_NAMN``, INCA's system columns (``SKAPAD_AV``, ``REGDATUM``, ``VITALSTATUS``,
``LKF_VALUE`` …), made-up names in ``FNAMN``/``ENAMN``, and a few register variables that are
not canonical columns at all (age, stage, a comment).

The register's description (:data:`REGISTERS`) gives both the export and its mapping profile
(:func:`profile_text`, the SPEC §2a format), so the two agree by construction; the tests check
it independently.  A canonical column that a register does not name (one added to the schema
later) is written under a generic name (``a_<first alias>``), so new columns and codes just work.

Public API::

    render_register(area, frames, seed, rows) -> dict[str, pl.DataFrame]   # all-text frames
    profile(area) -> dict                                                  # the profile as data
    profile_text(area) -> str                                              # ... as commented YAML
    profile_path(case_path) -> Path                                        # acc_cases.mapping.yaml
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from nhvmetrics.areas import shipped_area_names
from nhvmetrics.schema.model import ColumnSpec, TableSpec, load_schema

VALUE_SUFFIX = "_Varde"  # the ASCII spelling, the most common in exports
TEXT_SUFFIX = "_Beskrivning"
CHECKED = "True"
UNKNOWN_CODES = ("96", "98", "99")
_UNKNOWN_TEXT = {"96": "Kan ej bedömas", "98": "Uppgift saknas", "99": "Okänt"}
THIRD_CODE = ("2", "Ej nödvändigt enligt vårdprogram")  # a yes/no list's third answer
DATE_FORMATS = ("%Y-%m-%d",)
PROFILE_SUFFIX = ".mapping.yaml"

# The six RCC regions, by county code of the patient's registered address.
RCC_REGION = {
    **dict.fromkeys(("01", "09"), "Region Sthlm/Gotland"),
    **dict.fromkeys(("03", "04", "17", "18", "19", "20", "21"), "Region Uppsala/Örebro"),
    **dict.fromkeys(("05", "06", "08"), "Region Sydöst"),
    **dict.fromkeys(("07", "10", "12", "13"), "Region Syd"),
    "14": "Region Väst",
    **dict.fromkeys(("22", "23", "24", "25"), "Region Norr"),
}
DEMO_REGION = "Region Demo"
_TEST_PNR = "19121212-1212"  # Tolvan Tolvansson, the well-known test person of the demo region

# INCA's own names of the patient columns (also the first aliases in schemas/common.yaml).
SYSTEM_NAMES = {
    "sex": "KON_VALUE",
    "birth_date": "FODELSEDATUM",
    "home_region": "LAN_VALUE",
    "death_date": "AVLIDDAT",
    "vital_status_date": "VITALSTATUSDATUM",
}
IDENTITY = ("PERSNR", "PAT_ID")  # patient_id: the personnummer first, INCA's patient id second

# Obviously made-up names (the registers' FNAMN/ENAMN); never read by nhvmetrics.
_FIRST_NAMES = {
    "K": ("Testa", "Provia", "Fiktiva", "Exempla", "Låtsasa", "Påhitta"),
    "M": ("Testo", "Provius", "Fiktivus", "Exempel", "Låtsas", "Påhitt"),
}
_LAST_NAMES = ("Testsson", "Provdotter", "Fiktivsson", "Exempelberg", "Låtsasson", "Påhittsdotter")
_COMMENTS = (
    "Remiss kompletterad",
    "Uppgifter från remitterande klinik",
    "Se journalanteckning",
    "Kontrollerad mot journal",
)


@dataclass(frozen=True)
class Extra:
    """A register variable that is no canonical column (a distractor for ``nhvmetrics map``)."""

    name: str
    kind: str  # age | int | float | date | list | text
    after: str  # canonical column it follows in the export
    low: float = 0
    high: float = 0
    codes: tuple[tuple[str, str], ...] = ()  # list: (code, text)


@dataclass(frozen=True)
class Register:
    """How one fictional register names and codes its variables."""

    area: str
    name: str  # REG_NAME
    ids: dict[str, str]  # table -> INCA table id (its key column is <id>_ID)
    names: dict[str, dict[str, str]]  # table -> canonical column -> variable (without _Varde)
    checkboxes: tuple[str, ...] = ()  # bool columns exported as True/blank
    third_code: tuple[str, ...] = ()  # yes/no lists that also use code 2
    codes: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)
    extras: dict[str, tuple[Extra, ...]] = field(default_factory=dict)

    def variable(self, table: str, spec: ColumnSpec) -> str:
        """The export's variable for a canonical column (list variables without the suffix)."""
        if spec.name in SYSTEM_NAMES and table == "cases":
            return SYSTEM_NAMES[spec.name]
        named = self.names.get(table, {}).get(spec.name)
        if named:
            return named
        base = spec.aliases[0] if spec.aliases else spec.name
        return f"a_{base.lower()}"  # a column the register does not know yet: a generic name

    def is_checkbox(self, spec: ColumnSpec) -> bool:
        return spec.type == "bool" and spec.name in self.checkboxes

    def is_list(self, table: str, spec: ColumnSpec) -> bool:
        if self.is_checkbox(spec) or (spec.name in SYSTEM_NAMES and table == "cases"):
            return False
        return spec.list_variable

    def column_name(self, table: str, spec: ColumnSpec) -> str:
        """The export column a profile names for a canonical column."""
        var = self.variable(table, spec)
        return var + VALUE_SUFFIX if self.is_list(table, spec) else var


_CD = {"V": ("5", "Grad V (död)")}
_REGISTERS: tuple[Register, ...] = (
    Register(
        area="acc",
        name="Nationellt kvalitetsregister för binjurebarkscancer",
        ids={"cases": "R77T201"},
        names={
            "cases": {
                "unit": "a_inr_sjhkod",
                "referring_region": "a_rem_lan",
                "referral_date": "a_rem_dat",
                "first_visit_date": "a_besok_dat",
                "diagnosis_date": "a_diadat",
                "national_mdk": "a_natmdk",
                "mdk_date": "a_natmdk_dat",
                "surgery_date": "op_kir_dat",
                "surgery_intent": "op_kir_syfte",
                "resection_margin": "op_pad_radikalitet",
                "postop_hypocortisolism": "op_postop_hypokortisolism",
                "treatment_start_date": "b_behstart_dat",
                "treatment_type": "b_behtyp",
                "oncology_start_date": "b_onk_startdat",
                "written_care_plan": "u_vardplan",
                "mitotane_level_1y": "u_mitotan_1ar",
                "satisfaction_followed_up": "u_nojdhet",
                "qol_followed_up": "u_livskval",
            }
        },
        checkboxes=("postop_hypocortisolism",),
        third_code=("national_mdk", "written_care_plan"),
        extras={
            "cases": (
                Extra("a_alder", "age", after="referral_date"),
                Extra(
                    "a_ensat",
                    "list",
                    after="diagnosis_date",
                    codes=(
                        ("1", "ENSAT I"),
                        ("2", "ENSAT II"),
                        ("3", "ENSAT III"),
                        ("4", "ENSAT IV"),
                    ),
                ),
                Extra("a_inrappdatum", "date", after="national_mdk", low=1, high=40),
                Extra("a_kommentar", "text", after="national_mdk"),
            )
        },
    ),
    Register(
        area="net",
        name="Svenska NET-registret",
        ids={"cases": "R52T110"},
        names={
            "cases": {
                "unit": "a_inrappsjh",
                "referring_region": "a_remlan",
                "referral_date": "a_remdat",
                "first_visit_date": "a_besok",
                "diagnosis_date": "a_diadat",
                "net_condition": "a_tillstand",
                "national_mdk": "a_mdk",
                "mdk_date": "a_mdkdat",
                "written_care_plan": "a_vardplan",
                "surgery_date": "op_kirdat",
                "complication_30d": "op_kompl30",
                "anastomotic_leak": "op_kompl_anastomos",
                "pancreatic_fistula": "op_kompl_pankreasfistel",
                "clavien_dindo": "op_clavien",
                "valve_surgery": "op_klaff",
                "treatment_start_date": "b_behstart",
                "treatment_type": "b_behtyp",
                "prrt_start_date": "b_prrt_startdat",
            }
        },
        checkboxes=("anastomotic_leak", "pancreatic_fistula"),
        third_code=("national_mdk",),
        codes={
            # the register codes grade IIIa as 31 and so on (its own list)
            "clavien_dindo": {
                "I": ("1", "Grad I"),
                "II": ("2", "Grad II"),
                "IIIa": ("31", "Grad IIIa"),
                "IIIb": ("32", "Grad IIIb"),
                "IVa": ("41", "Grad IVa"),
                "IVb": ("42", "Grad IVb"),
                **_CD,
            }
        },
        extras={
            "cases": (
                Extra("a_ki67", "float", after="diagnosis_date", low=0.5, high=40),
                Extra(
                    "a_who_grad",
                    "list",
                    after="diagnosis_date",
                    codes=(("1", "G1"), ("2", "G2"), ("3", "G3")),
                ),
                Extra("a_rappdatanm", "date", after="written_care_plan", low=1, high=30),
            )
        },
    ),
    Register(
        area="anal",
        name="Nationellt kvalitetsregister för analcancer",
        ids={"cases": "R44T139", "episodes": "R44T140", "prem": "R44T141"},
        names={
            "cases": {
                "unit": "a_anmsjh",
                "referring_region": "a_remlan",
                "referral_date": "a_remissdat",
                "first_visit_date": "a_forstabesok",
                "diagnosis_date": "a_diagnosdat",
                "national_mdk": "a_nat_multkonf",
                "mdk_date": "a_nat_multkonf_dat",
                "written_care_plan": "a_vardplan",
                "treatment_intent": "b_beh_syfte",
                "treatment_start_date": "b_behstart_dat",
                "treatment_type": "b_behtyp",
                "rt_start_date": "b_stralstart",
                "rt_end_date": "b_stralslut",
                "response_6m": "u_respons6m",
            },
            "episodes": {
                "unit": "u_vtf_sjhkod",
                "visit_date": "u_besokdat",
                "written_care_plan": "u_vardplan",
            },
            "prem": {
                "unit": "enk_sjhkod",
                "response_date": "enk_svarsdat",
                "q1": "enk_fraga_1",
                "q2": "enk_fraga_2",
                "q3": "enk_fraga_3",
                "q4": "enk_fraga_4",
            },
        },
        third_code=("written_care_plan",),
        extras={
            "cases": (
                Extra("a_alder", "age", after="referral_date"),
                Extra(
                    "a_tstad",
                    "list",
                    after="diagnosis_date",
                    codes=(("1", "T1"), ("2", "T2"), ("3", "T3"), ("4", "T4")),
                ),
                Extra("a_kommentar", "text", after="written_care_plan"),
            )
        },
    ),
    Register(
        area="pelvic",
        name="Nationellt register för avancerad bäckenkirurgi",
        ids={"cases": "R61T150"},
        names={
            "cases": {
                "unit": "a_sjhkod",
                "referring_region": "a_rem_lan",
                "referral_date": "a_remdat",
                "first_visit_date": "a_besokdat",
                "diagnosis_date": "a_diadat",
                "indication": "a_indikation",
                "assessment_date": "a_bed_dat",
                "national_mdk": "a_natmdk",
                "mdk_date": "a_natmdkdatum",
                "treatment_start_date": "b_behstart",
                "treatment_type": "b_behtyp",
                "treatment_unit": "op_sjhkod",
                "surgery_date": "op_dat",
                "admission_date": "op_inskrdat",
                "discharge_date": "op_utskrdat",
                "resection_margin": "op_pad_radikal",
                "clavien_dindo": "u_clavien",
                "reoperation_30d": "u_reop",
                "written_care_plan": "u_vardplan",
            }
        },
        checkboxes=("reoperation_30d",),
        third_code=("national_mdk",),
        extras={
            "cases": (
                Extra("a_alder", "age", after="referral_date"),
                Extra("op_optid", "int", after="surgery_date", low=90, high=720),
                Extra("op_blodning", "int", after="surgery_date", low=50, high=4000),
                Extra("a_kommentar", "text", after="national_mdk"),
            )
        },
    ),
)
REGISTERS: dict[str, Register] = {r.area: r for r in _REGISTERS}


def register(area: str) -> Register:
    """The fictional register of an area (a generic one for an area without a description)."""
    if area in REGISTERS:
        return REGISTERS[area]
    tables = load_schema(area).tables
    code = 90 + shipped_area_names().index(area) if area in shipped_area_names() else 99
    return Register(
        area=area,
        name=f"Register {area}",
        ids={t: f"R{code}T{100 + i}" for i, t in enumerate(tables)},
        names={},
    )


def key_column(reg: Register, table: str) -> str:
    return f"{reg.ids[table]}_ID"


def _parent_id(reg: Register, spec: TableSpec) -> str | None:
    if spec.parent is None:
        return None
    return key_column(reg, spec.parent[0])


# --------------------------------------------------------------------------------------------
# the export


def _register_id(v: pl.Expr) -> pl.Expr:
    """A canonical id (``ACC000123``) as the register's integer id (``100123``)."""
    digits = v.str.extract(r"(\d+)$", 1).cast(pl.Int64, strict=False)
    return (digits + 100_000).cast(pl.String)


def _codes(reg: Register, spec: ColumnSpec) -> dict[str, tuple[str, str]]:
    """Canonical value (as text; bools ``true``/``false``) -> (register code, text)."""
    own = reg.codes.get(spec.name, {})
    if spec.type == "bool":
        return {"true": ("1", "Ja"), "false": ("0", "Nej")}
    values: list[str] = list(spec.codes or ())
    if spec.type == "int" and spec.range is not None:
        lo, hi = spec.range
        if lo is not None and hi is not None and hi - lo <= 20:
            values = [str(int(x)) for x in range(int(lo), int(hi) + 1)]
    out = {}
    for v in values:
        if v in own:
            out[v] = own[v]
        else:
            out[v] = (spec.inca_code(v) or v, spec.inca_label(v) or v)
    return out


def _unknown(reg: Register, spec: ColumnSpec, u: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """Code and text written for a missing value of a coded column (else blank)."""
    steps = [(0.10, "96"), (0.15, "98"), (0.30, "99")]
    texts = dict(_UNKNOWN_TEXT)
    if spec.name in reg.third_code:
        steps.append((0.50, THIRD_CODE[0]))
        texts[THIRD_CODE[0]] = THIRD_CODE[1]
    code: pl.Expr = pl.lit(None, dtype=pl.String)
    text: pl.Expr = pl.lit(None, dtype=pl.String)
    for limit, c in reversed(steps):  # the first step that holds wins
        code = pl.when(u < limit).then(pl.lit(c)).otherwise(code)
        text = pl.when(u < limit).then(pl.lit(texts[c])).otherwise(text)
    return code, text


def _date_text(v: pl.Expr, u: pl.Expr) -> pl.Expr:
    text = v.cast(pl.String)
    return pl.when(u < 0.05).then(text + " 00:00:00").otherwise(text)


def _override(df: pl.DataFrame, col: str, text: pl.Expr) -> pl.Expr:
    if "_planted_value" not in df.columns:
        return text
    hit = (pl.col("_planted_column") == col) & pl.col("_planted_value").is_not_null()
    return pl.when(hit).then(pl.col("_planted_value")).otherwise(text)


def _variables(reg: Register, table: str, df: pl.DataFrame) -> list[tuple[str, list[pl.Expr]]]:
    """Per canonical column of the frame: (canonical name, the export columns it becomes)."""
    spec = load_schema(reg.area).table(table)
    names = [c for c in df.columns if not c.startswith("_")]
    out: list[tuple[str, list[pl.Expr]]] = []
    parent = _parent_id(reg, spec)
    for c in names:
        col = spec.column(c)
        v = pl.col(c)
        u = pl.col(f"_u_{c}")
        name = reg.column_name(table, col)
        if c == spec.key:
            out.append((c, [_register_id(v).alias(key_column(reg, table))]))
        elif spec.parent is not None and c == spec.parent[1] and parent is not None:
            out.append((c, [_register_id(v).alias(parent)]))
        elif c == "patient_id":
            out.append((c, [v.alias(IDENTITY[0])]))
        elif col.type == "date":
            out.append((c, [_override(df, c, _date_text(v, u)).alias(name)]))
        elif col.type == "float":
            comma = v.round(1).cast(pl.String).str.replace(".", ",", literal=True)
            out.append((c, [comma.alias(name)]))
        elif reg.is_checkbox(col):
            out.append((c, [pl.when(v).then(pl.lit(CHECKED)).otherwise(None).alias(name)]))
        elif col.type == "string" and not (col.codes or col.values or col.labels):
            out.append((c, [v.alias(name)]))  # identifiers and unit codes, as they are
        else:
            codes = _codes(reg, col)
            key = v.cast(pl.String).str.to_lowercase() if col.type == "bool" else v.cast(pl.String)
            code_map = {k: cv for k, (cv, _) in codes.items()}
            text_map = {k: tv for k, (_, tv) in codes.items()}
            # a value outside the code list (a planted error) is written as it is
            code = key.replace_strict(code_map, default=key, return_dtype=pl.String)
            text = key.replace_strict(text_map, default=key, return_dtype=pl.String)
            if c == "home_region":
                code = code.str.strip_chars_start("0")  # INCA's LAN_VALUE is a number: 4, not 04
            if col.is_coded:
                unknown_code, unknown_text = _unknown(reg, col, u)
                code = pl.when(v.is_null()).then(unknown_code).otherwise(code)
                text = pl.when(v.is_null()).then(unknown_text).otherwise(text)
            exprs = [code.alias(name)]
            if reg.is_list(table, col):
                exprs.append(text.alias(reg.variable(table, col) + TEXT_SUFFIX))
            elif c in ("sex", "home_region") and table == "cases":
                exprs.append(text.alias(name.replace("_VALUE", "_BESKRIVNING")))
            out.append((c, exprs))
    return out


def _extra_columns(
    reg: Register, table: str, df: pl.DataFrame, rng: np.random.Generator
) -> dict[str, list[pl.Series]]:
    """The register's other variables, keyed by the canonical column they follow."""
    n = df.height
    out: dict[str, list[pl.Series]] = {}
    for ex in reg.extras.get(table, ()):
        u = rng.random(n)
        if ex.kind == "age":
            age = (df["referral_date"] - df["birth_date"]).dt.total_days() // 365.25
            s = age.cast(pl.Int64).cast(pl.String)
        elif ex.kind == "int":
            vals = pl.Series(rng.integers(int(ex.low), int(ex.high) + 1, n)).cast(pl.String)
            s = vals.set(pl.Series(u < 0.05), None)
        elif ex.kind == "float":
            vals = pl.Series(np.round(rng.uniform(ex.low, ex.high, n), 1)).cast(pl.String)
            s = vals.str.replace(".", ",", literal=True).set(pl.Series(u < 0.1), None)
        elif ex.kind == "date":
            days = rng.integers(int(ex.low), int(ex.high) + 1, n)
            base = df["referral_date"].cast(pl.Int32).fill_null(_extract_days() - 60).to_numpy()
            s = _day_text(np.minimum(base + days, _extract_days()))
        elif ex.kind == "list":
            pick = rng.integers(0, len(ex.codes), n)
            blank = pl.Series(u < 0.08)
            s = _pick(tuple(c for c, _ in ex.codes), pick).set(blank, None)
            t = _pick(tuple(t for _, t in ex.codes), pick).set(blank, None)
            out.setdefault(ex.after, []).append(s.alias(ex.name + VALUE_SUFFIX))
            out[ex.after].append(t.alias(ex.name + TEXT_SUFFIX))
            continue
        else:  # free text, mostly empty
            pick = rng.integers(0, len(_COMMENTS), n)
            s = _pick(_COMMENTS, pick).set(pl.Series(u >= 0.12), None)
        out.setdefault(ex.after, []).append(s.alias(ex.name))
    return out


def _extract_days() -> int:
    from nhvmetrics.sample import EXTRACT_DATE

    return (EXTRACT_DATE - dt.date(1970, 1, 1)).days


def _register_table(
    reg: Register, table: str, df: pl.DataFrame, rng: np.random.Generator
) -> pl.DataFrame:
    names = [c for c in df.columns if not c.startswith("_")]
    df = df.with_columns(pl.Series(f"_u_{c}", rng.random(df.height)) for c in names)
    variables = _variables(reg, table, df)
    extras = _extra_columns(reg, table, df, rng)
    spec = load_schema(reg.area).table(table)
    system = set(SYSTEM_NAMES) | {"patient_id"} if table == "cases" else set()
    ids = [c for c in (spec.key, spec.parent[1] if spec.parent else None) if c]
    named = reg.names.get(table, {})
    by_name = dict(variables)
    # the register's own order of variables, then canonical columns it does not name
    order = [c for c in ids if c in by_name] + [c for c in named if c in by_name]
    order += [c for c in by_name if c not in order and c not in system]
    exprs: list[pl.Expr] = []
    for c in order:
        exprs += by_name[c]
    body = df.select(exprs)
    for after, cols in extras.items():
        pos = _after_position(body, [e.meta.output_name() for e in by_name.get(after, [])])
        for i, s in enumerate(cols):
            body = body.insert_column(pos + i, s)
    if table != "cases":
        return body
    head = df.select([e for c in ("patient_id", *SYSTEM_NAMES) if c in by_name for e in by_name[c]])
    return pl.concat([head, body], how="horizontal")


def _after_position(body: pl.DataFrame, names: list[str]) -> int:
    present = [body.columns.index(n) for n in names if n in body.columns]
    return max(present) + 1 if present else body.width


def _day_text(days: np.ndarray) -> pl.Series:
    """Days since 1970-01-01 as ISO dates (vectorised)."""
    return pl.Series(days.astype(np.int32)).cast(pl.Date).cast(pl.String)


def _pick(options: tuple[str, ...], idx: np.ndarray) -> pl.Series:
    return pl.Series(list(options), dtype=pl.String).gather(pl.Series(idx, dtype=pl.UInt32))


def _system_columns(
    reg: Register, cases: pl.DataFrame, body: pl.DataFrame, rng: np.random.Generator
) -> pl.DataFrame:
    """INCA's system columns around the register's variables, in the order INCA writes them."""
    n = body.height
    male = (cases["sex"] == "M").to_numpy()
    first = pl.select(
        pl.when(pl.Series(male))
        .then(_pick(_FIRST_NAMES["M"], rng.integers(0, 6, n)))
        .otherwise(_pick(_FIRST_NAMES["K"], rng.integers(0, 6, n)))
    ).to_series()
    last = _pick(_LAST_NAMES, rng.integers(0, len(_LAST_NAMES), n))
    pat_id = pl.Series(rng.permutation(3 * max(n, 1))[:n] + 10_000).cast(pl.String)
    county = cases["home_region"].fill_null("01")
    lkf = (
        county.str.strip_chars_start("0")
        + pl.Series(rng.integers(1, 30, n)).cast(pl.String).str.zfill(2)
        + pl.Series(rng.integers(1, 10, n)).cast(pl.String).str.zfill(2)
    )
    extract = _extract_days()
    referral = cases["referral_date"].cast(pl.Int32).fill_null(extract - 60).to_numpy()
    regdays = np.minimum(referral + np.round(rng.gamma(2.0, 6.0, n)).astype(int), extract)
    clock = pl.Series(rng.integers(7 * 3600, 18 * 3600, n))
    stamp = pl.select(
        pl.format(
            "{} {}:{}:{}.000",
            _day_text(regdays),
            (clock // 3600).cast(pl.String).str.zfill(2),
            (clock % 3600 // 60).cast(pl.String).str.zfill(2),
            (clock % 60).cast(pl.String).str.zfill(2),
        )
    ).to_series()
    navet = _day_text(extract - rng.integers(1, 8, n))
    dead = cases["death_date"].is_not_null()
    first_cols = [
        county.replace_strict(RCC_REGION, default=None).alias("REGION_NAMN"),
        body[key_column(reg, "cases")],
        pat_id.alias("PAT_ID"),
        body[IDENTITY[0]],
        first.alias("FNAMN"),
        last.alias("ENAMN"),
    ]
    patient = [c for c in ("KON_VALUE", "KON_BESKRIVNING", "FODELSEDATUM") if c in body.columns]
    lan = [c for c in ("LAN_VALUE", "LAN_BESKRIVNING") if c in body.columns]
    vital = [c for c in ("VITALSTATUSDATUM",) if c in body.columns]
    zero_one = pl.Series(["0", "1"], dtype=pl.String)
    status = [
        lkf.alias("LKF_VALUE"),
        zero_one.gather(dead.cast(pl.UInt32)).alias("VITALSTATUS"),
    ]
    estimate = zero_one.gather(pl.Series(rng.random(n) < 0.02).cast(pl.UInt32))
    tail_head = [
        navet.alias("NAVETDATUM"),
        zero_one.gather(pl.Series(rng.random(n) < 0.005).cast(pl.UInt32)).alias("SEKRETESS_VALUE"),
        pl.Series("LOPNR", np.arange(1, n + 1)).cast(pl.String),
    ]
    used = {s.name for s in first_cols} | set(patient) | set(lan) | set(vital) | {"AVLIDDAT"}
    rest = [c for c in body.columns if c not in used]
    end = [
        pl.repeat(reg.name, n, eager=True, dtype=pl.String).alias("REG_NAME"),
        ("inrapp_" + cases["unit"].fill_null("")).alias("SKAPAD_AV"),
        stamp.alias("REGDATUM"),
        pl.repeat("0", n, eager=True, dtype=pl.String).alias("AVGMARK_VALUE"),
        pl.repeat("0", n, eager=True, dtype=pl.String).alias("MAKULERAD"),
    ]
    death = [body["AVLIDDAT"]] if "AVLIDDAT" in body.columns else []
    return pl.DataFrame(
        [
            *first_cols,
            *[body[c] for c in patient + lan],
            *status,
            *[body[c] for c in vital],
            estimate.alias("VITALSTATUSDATUM_ESTIMAT"),
            *death,
            *tail_head,
            *[body[c] for c in rest],
            *end,
        ]
    )


def _not_data_rows(
    reg: Register, body: pl.DataFrame, rng: np.random.Generator, rows: int
) -> pl.DataFrame:
    """About 0.5 % cancelled registrations (MAKULERAD=1, copies with new ids) and 0.5 % rows of
    the demo region (the test person), in among the data as INCA has them."""
    n = body.height
    n_extra = max(1, round(0.005 * n)) if n else 0
    if not n_extra:
        return body
    key = key_column(reg, "cases")
    src = np.sort(rng.integers(0, n, 2 * n_extra))
    width = max(6, len(str(rows)))
    ids = [str(100_000 + 10**width + rows + 1 + j) for j in range(2 * n_extra)]
    extra = body[src.tolist()].with_columns(pl.Series(key, ids, dtype=pl.String))
    mak = extra.head(n_extra).with_columns(pl.lit("1").alias("MAKULERAD"))
    demo = extra.tail(n_extra).with_columns(
        pl.lit(DEMO_REGION).alias("REGION_NAMN"),
        pl.lit(_TEST_PNR).alias(IDENTITY[0]),
        pl.lit("1212").alias("PAT_ID"),
        pl.lit("Tolvan").alias("FNAMN"),
        pl.lit("Tolvansson").alias("ENAMN"),
        pl.lit("1").alias("KON_VALUE"),
        pl.lit("Man").alias("KON_BESKRIVNING"),
        pl.lit("1912-12-12").alias("FODELSEDATUM"),
    )
    pos = np.concatenate([np.arange(n) * 2.0, src * 2.0 + 1.0])
    order = pl.Series(np.argsort(pos, kind="stable"), dtype=pl.UInt32)
    return pl.concat([body, mak, demo]).select(pl.all().gather(order))


def render_register(
    area: str, frames: dict[str, pl.DataFrame], seed: int, rows: int | None = None
) -> dict[str, pl.DataFrame]:
    """All-text frames of the register export (the files of ``sample --inca``)."""
    reg = register(area)
    rng = np.random.default_rng([seed, shipped_area_names().index(area), 3])
    n_cases = frames["cases"].height if rows is None else rows
    cases = frames["cases"]
    body = _register_table(reg, "cases", cases, rng)
    body = _system_columns(reg, cases, body, rng)
    out = {"cases": _not_data_rows(reg, body, rng, n_cases)}
    for t, df in frames.items():
        if t != "cases":
            out[t] = _register_table(reg, t, df, rng)
    return out


# --------------------------------------------------------------------------------------------
# the matching mapping profile


def profile(area: str) -> dict[str, Any]:
    """The mapping profile of the area's register export, as data (SPEC §2a keys)."""
    reg = register(area)
    schema = load_schema(area)
    columns: dict[str, list[str]] = {}
    values: dict[str, dict[str, Any]] = {}
    for tname, spec in schema.tables.items():
        for col in spec.columns.values():
            if col.name == "patient_id":
                name = list(IDENTITY)
            elif col.name == spec.key:
                name = [key_column(reg, tname)]
            elif spec.parent is not None and col.name == spec.parent[1]:
                name = [key_column(reg, spec.parent[0])]
            else:
                name = [reg.column_name(tname, col)]
            seen = columns.setdefault(col.name, [])
            seen += [n for n in name if n not in seen]
            vmap = _value_map(reg, col)
            if vmap:
                values[col.name] = vmap
    return {
        "area": area,
        "columns": {c: (n[0] if len(n) == 1 else n) for c, n in columns.items()},
        "values": values,
        "checkboxes": [
            c for c in reg.checkboxes if any(c in t.columns for t in schema.tables.values())
        ],
        "unknown_codes": list(UNKNOWN_CODES),
        "dates": {"formats": list(DATE_FORMATS), "partial": "unknown"},
    }


def _value_map(reg: Register, col: ColumnSpec) -> dict[str, Any]:
    """The register's codes -> canonical values, where the built-in reading would not do: a
    code list of its own, or a third code of a yes/no list.  Written whole (every code)."""
    if reg.is_checkbox(col) or not col.is_coded:
        return {}
    own = reg.codes.get(col.name)
    third = col.name in reg.third_code
    if not own and not third:
        return {}
    out: dict[str, Any] = {}
    for canonical, (code, _) in _codes(reg, col).items():
        if col.type == "bool":
            out[code] = canonical == "true"
        elif col.type == "int":
            out[code] = int(canonical)
        else:
            out[code] = canonical
    if third:
        out[THIRD_CODE[0]] = None
    return dict(sorted(out.items(), key=lambda kv: (len(kv[0]), kv[0])))


def profile_text(area: str, paths: Mapping[str, Path] | None = None) -> str:
    """The profile as commented YAML, as ``sample --inca`` writes it beside the export
    (``paths``: the export's files, named in the example command of the first lines)."""
    from nhvmetrics.schema.draft import yaml_key, yaml_scalar

    p = profile(area)
    reg = register(area)
    files = dict(paths or {t: Path(f"{area}_{t}.csv") for t in load_schema(area).tables})
    case = files.pop("cases", Path(f"{area}_cases.csv"))
    tables = "".join(f" --table {t}={f.name}" for t, f in files.items() if f != case)
    lines = [
        f"# Mapping profile of the synthetic export of {reg.name},",
        "# written by `nhvmetrics sample --inca` (the SPEC §2a keys). Pass it with --mapping, e.g.",
        f"#   nhvmetrics validate {case.name} --area {area}{tables} --mapping "
        f"{profile_path(case).name}",
        f"area: {area}",
        "",
        "# canonical column: export column (a list: the first present and non-empty wins)",
        "columns:",
    ]
    for c, name in p["columns"].items():
        lines.append(f"  {yaml_key(c)}: {yaml_scalar(name)}")
    lines += ["", "# export code -> canonical value (null: unknown)", "values:"]
    if not p["values"]:
        lines[-1] = "values: {}"
    for c, vmap in p["values"].items():
        inner = ", ".join(f"{yaml_scalar(k)}: {yaml_scalar(v)}" for k, v in vmap.items())
        lines.append(f"  {yaml_key(c)}: {{{inner}}}")
    lines += [
        "",
        "# exported as True or blank; a blank is read as false",
        f"checkboxes: {yaml_scalar(p['checkboxes'])}",
        f"unknown_codes: {yaml_scalar(p['unknown_codes'])}",
        "dates:",
        f"  formats: {yaml_scalar(p['dates']['formats'])}",
        f"  partial: {p['dates']['partial']}",
    ]
    return "\n".join(lines) + "\n"


def profile_path(case_path: Path | str) -> Path:
    """Where ``sample --inca`` writes the profile: beside the case table, as
    ``<stem>.mapping.yaml``."""
    p = Path(case_path)
    return p.with_name(p.stem + PROFILE_SUFFIX)
