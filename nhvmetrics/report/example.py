"""A hand-made report (no export, no engine): the golden files and the docs are rendered from it.

The figures are invented but consistent (Wilson intervals, national = sum of the units), and
they exercise every path of the renderers: each indicator type, target levels, a suppressed
unit and its complementary suppression, an indicator that cannot be computed, strata, and a
reporting unit beside the national figure.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

from nhvmetrics.report.model import (
    Completeness,
    FindingCount,
    IndicatorInfo,
    IndicatorRow,
    Provenance,
    ReportData,
    TableQuality,
)

UNITS = ("SE100", "SE200", "SE300", "SE400")
YEARS = (2022, 2023, 2024, 2025)


def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return max(0.0, c - h), min(1.0, c + h)


INDICATORS = (
    IndicatorInfo(
        id="acc.patients",
        version="1",
        title_sv="Antal patienter",
        title_en="Number of patients",
        type="count",
        definition="Fall med inkommen remiss (referral_date) under år Y.",
        definition_en="Cases whose referral (referral_date) arrived in year Y.",
        source="Sakkunniggruppens underlag, avsnitt Uppföljning och utvärdering: Antal patienter",
    ),
    IndicatorInfo(
        id="acc.visit_within_x",
        version="2",
        title_sv="Andel som besöker NHVe inom X dygn efter inkommen remiss",
        title_en="Share seen at the NHV unit within X days of referral",
        type="proportion",
        definition="Remiss inkommen under år Y; täljare: första besök högst X dygn efter remissen.",
        definition_en="Referral in year Y; numerator: first visit at most X days after the referral.",
        source="Sakkunniggruppens underlag, Uppföljning och utvärdering: tillgänglighet",
        params=(("X", "14"),),
        target_intermediate=0.7,
        target_high=0.8,
    ),
    IndicatorInfo(
        id="acc.nonradical_curative_surgery",
        version="1",
        title_sv="Kurativ kirurgi som blivit icke-radikal",
        title_en="Curative surgery that was not radical",
        type="proportion",
        definition="Kurativt syftande operationer under år Y med marginal R0/R1/R2; täljare: R1 eller R2.",
        source="Sakkunniggruppens underlag, Uppföljning och utvärdering: kvalitet",
        target_intermediate=0.2,
        target_high=0.1,
        higher_is_better=False,
    ),
    IndicatorInfo(
        id="acc.referral_to_treatment_days",
        version="1",
        title_sv="Tid från remiss till behandling",
        title_en="Days from referral to treatment",
        type="duration",
        definition="Behandlingsstart under år Y: median och kvartiler av dygn.",
        source="Sakkunniggruppens underlag, Uppföljning och utvärdering: ledtider",
    ),
    IndicatorInfo(
        id="acc.survival_1y",
        version="1",
        title_sv="Överlevnad efter 1 år (egenkontroll)",
        title_en="One-year survival (internal)",
        type="survival",
        definition="Diagnos år Y−1; Kaplan–Meier-skattning vid 365 dygn.",
        source="Sakkunniggruppens underlag, Uppföljning och utvärdering: egenkontroll",
    ),
    IndicatorInfo(
        id="acc.referring_region",
        version="1",
        title_sv="Remitterande region",
        title_en="Referring region",
        type="distribution",
        definition="Fördelning av remitterande region, fall under år Y.",
        source="Sakkunniggruppens underlag, Uppföljning och utvärdering: bakgrundsmått",
    ),
    IndicatorInfo(
        id="acc.mitotane_level_1y",
        version="1",
        title_sv="Mitotankoncentration efter 1 år (egenkontroll)",
        title_en="Mitotane level after one year (internal)",
        type="proportion",
        definition="Mitotanbehandling startad år Y−1: andel inom 14–20 mg/L.",
        source="Sakkunniggruppens underlag, Uppföljning och utvärdering: egenkontroll",
        params=(("low", "14 mg/L"), ("high", "20 mg/L")),
    ),
)

# (unit, year) -> (visits within X, referrals)
_VISITS = {
    ("SE100", 2022): (30, 40),
    ("SE100", 2023): (33, 41),
    ("SE100", 2024): (36, 44),
    ("SE100", 2025): (41, 47),
    ("SE200", 2022): (18, 29),
    ("SE200", 2023): (20, 28),
    ("SE200", 2024): (22, 30),
    ("SE200", 2025): (25, 31),
    ("SE300", 2022): (9, 12),
    ("SE300", 2023): (10, 14),
    ("SE300", 2024): (12, 15),
    ("SE300", 2025): (13, 16),
    ("SE400", 2022): (2, 4),
    ("SE400", 2023): (3, 3),
    ("SE400", 2024): (3, 4),
    ("SE400", 2025): (2, 3),
}


def _prop(
    iid: str,
    unit: str,
    year: int,
    k: int,
    n: int,
    *,
    suppressed: bool = False,
    n_missing: int = 0,
    n_pending: int = 0,
) -> IndicatorRow:
    lo, hi = wilson(k, n)
    return IndicatorRow(
        iid,
        year,
        unit,
        "all",
        k,
        n,
        k / n,
        lo,
        hi,
        None,
        None,
        n_missing,
        n_pending,
        suppressed,
        True,
        "",
        "1",
    )


def _rows() -> list[IndicatorRow]:
    rows: list[IndicatorRow] = []
    for year in YEARS:
        # counts: national total shown; SE400 below the threshold, so SE300 is hidden as well
        # (complementary suppression: ALL − the rest would otherwise give SE400 back)
        counts = {u: _VISITS[(u, year)][1] for u in UNITS}
        for u in UNITS:
            rows.append(
                IndicatorRow(
                    "acc.patients",
                    year,
                    u,
                    "all",
                    counts[u],
                    None,
                    float(counts[u]),
                    None,
                    None,
                    suppressed=u in ("SE300", "SE400"),
                    n_missing=0,
                    n_pending=0,
                    definition_version="1",
                )
            )
        rows.append(
            IndicatorRow(
                "acc.patients",
                year,
                "ALL",
                "all",
                sum(counts.values()),
                None,
                float(sum(counts.values())),
                None,
                None,
                n_missing=0,
                n_pending=0,
                definition_version="1",
            )
        )
        # visits within X
        tk = tn = 0
        for u in UNITS:
            k, n = _VISITS[(u, year)]
            tk, tn = tk + k, tn + n
            rows.append(
                _prop(
                    "acc.visit_within_x",
                    u,
                    year,
                    k,
                    n,
                    suppressed=u in ("SE300", "SE400"),
                    n_missing=1 if u == "SE100" else 0,
                )
            )
        rows.append(_prop("acc.visit_within_x", "ALL", year, tk, tn, n_missing=1, n_pending=2))
        # non-radical surgery: lower is better
        ops = {"SE100": (3, 21 + year - 2022), "SE200": (4, 15), "SE300": (1, 6), "SE400": (0, 2)}
        tk = tn = 0
        for u, (k, n) in ops.items():
            tk, tn = tk + k, tn + n
            rows.append(
                _prop(
                    "acc.nonradical_curative_surgery",
                    u,
                    year,
                    k,
                    n,
                    suppressed=u in ("SE300", "SE400"),
                )
            )
        rows.append(_prop("acc.nonradical_curative_surgery", "ALL", year, tk, tn))
        # durations: median days with quartiles
        med = {"SE100": 12.0, "SE200": 18.0, "SE300": 25.5, "SE400": 30.0}
        for u in UNITS:
            n = _VISITS[(u, year)][1]
            m = med[u] - (year - 2022)
            rows.append(
                IndicatorRow(
                    "acc.referral_to_treatment_days",
                    year,
                    u,
                    "all",
                    None,
                    n,
                    m,
                    None,
                    None,
                    m - 5,
                    m + 7,
                    0,
                    0,
                    u == "SE400",
                    True,
                    "",
                    "1",
                )
            )
        rows.append(
            IndicatorRow(
                "acc.referral_to_treatment_days",
                year,
                "ALL",
                "all",
                None,
                sum(counts.values()),
                16.0 - (year - 2022) / 2,
                None,
                None,
                10.0,
                24.0,
                2,
                0,
                False,
                True,
                "",
                "1",
            )
        )
        # survival
        for u, (s, n) in {
            "SE100": (0.86, 38),
            "SE200": (0.81, 24),
            "SE300": (0.78, 11),
            "SE400": (0.5, 3),
        }.items():
            rows.append(
                IndicatorRow(
                    "acc.survival_1y",
                    year,
                    u,
                    "all",
                    None,
                    n,
                    s,
                    s - 0.11,
                    min(1.0, s + 0.08),
                    None,
                    None,
                    0,
                    1,
                    u == "SE400",
                    True,
                    "",
                    "1",
                )
            )
        rows.append(
            IndicatorRow(
                "acc.survival_1y",
                year,
                "ALL",
                "all",
                None,
                76,
                0.83,
                0.74,
                0.9,
                None,
                None,
                0,
                2,
                False,
                True,
                "",
                "1",
            )
        )
        # mitotane: the export has no mitotane_level_1y column
        for u in ("ALL", *UNITS):
            rows.append(
                IndicatorRow(
                    "acc.mitotane_level_1y",
                    year,
                    u,
                    "all",
                    computable=False,
                    note="kolumnen mitotane_level_1y saknas i exporten",
                    definition_version="1",
                )
            )
    # referring region, report year only: national and unit strata
    regions = {"01": (30, 9), "03": (12, 4), "12": (25, 11), "14": (20, 13), "22": (4, 2)}
    total_nat = sum(v[0] for v in regions.values())
    total_unit = sum(v[1] for v in regions.values())
    rows.append(
        IndicatorRow(
            "acc.referring_region",
            2025,
            "ALL",
            "all",
            total_nat,
            total_nat,
            float(total_nat),
            definition_version="1",
        )
    )
    rows.append(
        IndicatorRow(
            "acc.referring_region",
            2025,
            "SE100",
            "all",
            total_unit,
            total_unit,
            float(total_unit),
            definition_version="1",
        )
    )
    for code, (nat, unit) in regions.items():
        rows.append(
            IndicatorRow(
                "acc.referring_region",
                2025,
                "ALL",
                f"referring_region={code}",
                nat,
                total_nat,
                nat / total_nat,
                suppressed=nat < 5,
                definition_version="1",
            )
        )
        rows.append(
            IndicatorRow(
                "acc.referring_region",
                2025,
                "SE100",
                f"referring_region={code}",
                unit,
                total_unit,
                unit / total_unit,
                suppressed=unit < 5 or code == "22",
                definition_version="1",
            )
        )
    return rows


_KINDS = {
    "acc.patients": "count",
    "acc.visit_within_x": "proportion",
    "acc.nonradical_curative_surgery": "proportion",
    "acc.referral_to_treatment_days": "median",
    "acc.survival_1y": "survival",
    "acc.referring_region": "count",
    "acc.mitotane_level_1y": "proportion",
}


def _with_kind(r: IndicatorRow) -> IndicatorRow:
    kind = "distribution" if r.stratum != "all" else _KINDS[r.indicator_id]
    return dataclasses.replace(r, kind=kind)


def example_report_data(unit: str | None = "SE100") -> ReportData:
    """The example report for area ``acc``, year 2025 (``unit`` beside the national figure)."""
    cases = TableQuality(
        name="cases",
        file_name="acc_cases.csv",
        sha256="3f1e0c5a9d8b7e6f5a4c3b2a1908f7e6d5c4b3a29180f7e6d5c4b3a2918a7b6c",
        rows_read=412,
        accepted=396,
        quarantined=9,
        dropped=(("makulerad", 5), ("demo_region", 2)),
        unknown_columns=("Extra=kolumn",),
        completeness=(
            Completeness("patient_id", 396, 396),
            Completeness("case_id", 396, 396),
            Completeness("unit", 396, 396),
            Completeness("referral_date", 396, 396),
            Completeness("first_visit_date", 380, 396),
            Completeness("diagnosis_date", 371, 396),
            Completeness("treatment_start_date", 344, 396),
            Completeness("national_mdk", 250, 396),
        ),
    )
    findings = (
        FindingCount("cases", "personnummer", "error", "patient_id", 3),
        FindingCount("cases", "date_order", "error", "treatment_start_date", 4),
        FindingCount("cases", "code_list", "error", "referring_region", 2),
        FindingCount("cases", "date_future", "warning", "vital_status_date", 6),
    )
    prov = Provenance(
        extract_date=dt.date(2026, 2, 15),
        extract_date_source="option",
        tool_version="0.1.0",
        parameters=(
            ("ci_method", "wilson"),
            ("min_count", "5"),
            ("year", "2025"),
            ("unit", unit or ""),
        ),
    )
    return ReportData(
        area="acc",
        year=2025,
        indicators=INDICATORS,
        rows=tuple(_with_kind(r) for r in _rows()),
        quality=(cases,),
        findings=findings,
        provenance=prov,
        unit=unit,
        min_count=5,
    )
