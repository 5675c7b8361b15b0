"""What both peers share: the INCA column names they read, the codes, the output columns.

An analyst hard-codes these after looking at the export once; so do the peers (they do not use
nhvmetrics).  The names are the INCA export names of ``schemas/common.yaml`` +
``schemas/pelvic.yaml``.
"""

from __future__ import annotations

# INCA column -> short name used in the peer code
COLUMNS = {
    "PAT_ID": "patient",
    "SjukhusKod": "unit",
    "KON_VALUE": "sex",
    "FODELSEDATUM": "birth",
    "LAN_VALUE": "home_region",
    "remissdatum": "referral",
    "bedomningsdatum": "assessment",
    "operationsdatum": "surgery",
    "behandlingsstart": "treatment_start",
    "behandlingstyp_Värde": "ttype",
    "opererande_sjukhuskod": "treatment_unit",
    "inskrivningsdatum": "admission",
    "utskrivningsdatum": "discharge",
    "radikalitet_Värde": "margin",
    "clavien_dindo_Värde": "clavien",
    "reoperation_30d_Värde": "reop",
    "nationell_mdk_Värde": "mdk",
    "AVLIDDAT": "death",
    "VITALSTATUSDATUM": "vital",
    "MAKULERAD": "makulerad",
    "REGION_NAMN": "region_namn",
}
STRING_COLUMNS = ["PAT_ID", "SjukhusKod", "opererande_sjukhuskod", "LAN_VALUE", "REGION_NAMN"]
DATE_COLUMNS = [
    "FODELSEDATUM",
    "remissdatum",
    "bedomningsdatum",
    "operationsdatum",
    "behandlingsstart",
    "inskrivningsdatum",
    "utskrivningsdatum",
    "AVLIDDAT",
    "VITALSTATUSDATUM",
]
CODE_COLUMNS = [
    "KON_VALUE",
    "radikalitet_Värde",
    "clavien_dindo_Värde",
    "behandlingstyp_Värde",
    "reoperation_30d_Värde",
    "nationell_mdk_Värde",
    "MAKULERAD",
]

SEX = {1: "M", 2: "K"}
MARGIN = {1: "R0", 2: "R1", 3: "R2", 4: "RX"}
CLAVIEN = {0: "0", 1: "I", 2: "II", 3: "IIIa", 4: "IIIb", 5: "IVa", 6: "IVb", 7: "V"}
TTYPE = {1: "surgery", 2: "medical", 3: "radiotherapy", 4: "prrt", 5: "other"}
# bool list variables: 1 yes, 0 no, anything else (98/99, empty) unknown

PARAMS = {"x_days": 42, "window_days": 30, "admitted_days": 60, "pending_days": 90}
AGE_BANDS = [(0, "0-39"), (40, "40-49"), (50, "50-59"), (60, "60-69"), (70, "70-79"), (80, "80+")]

OUTPUT = [
    "indicator_id",
    "period",
    "unit",
    "stratum",
    "numerator",
    "denominator",
    "value",
    "q1",
    "q3",
    "n_missing",
    "n_pending",
]

INDICATORS = [
    "pelvic.referrals",
    "pelvic.treatments",
    "pelvic.length_of_stay",
    "pelvic.referral_to_assessment_days",
    "pelvic.referral_to_treatment_days",
    "pelvic.treated_at_other_unit",
    "pelvic.mortality_30d",
    "pelvic.mortality_90d",
    "pelvic.r0",
    "pelvic.complications",
    "pelvic.national_mdk",
    "pelvic.sex",
    "pelvic.home_region",
    "pelvic.age",
]


def args(argv=None):
    import argparse
    from pathlib import Path

    ap = argparse.ArgumentParser()
    ap.add_argument("file", type=Path)
    ap.add_argument("--year", type=int, required=True)
    ap.add_argument("--extract-date", required=True)
    ap.add_argument("-o", "--output", type=Path, required=True)
    return ap.parse_args(argv)
