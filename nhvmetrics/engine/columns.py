"""Canonical columns the indicator definitions may refer to (SPEC §2, docs/architecture.md).

This is the engine's own copy of the contract so that definitions can be checked without
reading an export: a condition naming a column that is not listed here for its area and
table is rejected by the loader.  Types are the polars types of the canonical frames.
"""

from __future__ import annotations

S, D, B, I, F = "String", "Date", "Boolean", "Int64", "Float64"

COMMON_CASES: dict[str, str] = {
    "patient_id": S,
    "case_id": S,
    "unit": S,
    "referring_region": S,
    "home_region": S,
    "sex": S,
    "birth_date": D,
    "referral_date": D,
    "first_visit_date": D,
    "diagnosis_date": D,
    "treatment_start_date": D,
    "treatment_type": S,
    "death_date": D,
    "vital_status_date": D,
    "national_mdk": B,
    "written_care_plan": B,
}

AREA_CASES: dict[str, dict[str, str]] = {
    "acc": {
        "surgery_date": D,
        "surgery_intent": S,
        "resection_margin": S,
        "postop_hypocortisolism": B,
        "oncology_start_date": D,
        "mitotane_level_1y": F,
        "satisfaction_followed_up": B,
        "qol_followed_up": B,
    },
    "net": {
        "net_condition": I,
        "surgery_date": D,
        "complication_30d": B,
        "anastomotic_leak": B,
        "pancreatic_fistula": B,
        "clavien_dindo": S,
        "prrt_start_date": D,
        "valve_surgery": B,
    },
    "anal": {
        "treatment_intent": S,
        "rt_start_date": D,
        "rt_end_date": D,
        "response_6m": S,
    },
    "pelvic": {
        "indication": I,
        "assessment_date": D,
        "treatment_unit": S,
        "surgery_date": D,
        "admission_date": D,
        "discharge_date": D,
        "resection_margin": S,
        "clavien_dindo": S,
        "reoperation_30d": B,
    },
}

OTHER_TABLES: dict[str, dict[str, dict[str, str]]] = {
    "anal": {
        "episodes": {
            "episode_id": S,
            "case_id": S,
            "unit": S,
            "visit_date": D,
            "written_care_plan": B,
        },
        "prem": {
            "response_id": S,
            "unit": S,
            "response_date": D,
            "q1": I,
            "q2": I,
            "q3": I,
            "q4": I,
        },
    },
}

# Columns the engine derives itself; usable as stratifiers.
DERIVED_STRATIFIERS = ("age_band",)

# Age bands (lower bounds, years at the indicator's period date): 0-39, 40-49, ..., 80+.
AGE_BAND_LOWER = (0, 40, 50, 60, 70, 80)


def age_band_labels() -> list[str]:
    out = []
    for i, lo in enumerate(AGE_BAND_LOWER):
        hi = AGE_BAND_LOWER[i + 1] - 1 if i + 1 < len(AGE_BAND_LOWER) else None
        out.append(f"{lo}-{hi}" if hi is not None else f"{lo}+")
    return out


def table_columns(area: str, table: str = "cases") -> dict[str, str]:
    """Canonical column -> polars type name for one table of one area ({} if unknown)."""
    if table == "cases":
        if area not in AREA_CASES:
            return {}
        return {**COMMON_CASES, **AREA_CASES[area]}
    return dict(OTHER_TABLES.get(area, {}).get(table, {}))


def polars_schema(area: str, table: str = "cases"):
    import polars as pl

    return {name: getattr(pl, t) for name, t in table_columns(area, table).items()}
