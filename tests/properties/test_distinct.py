"""Property test: distinct patients, counted by the engine, are the patients a set would count.

``pelvic.referrals`` shows the number of patients (``measure=patients``) per year, unit (and
``ALL``) and stratum.  The engine adds up at once the patients with one joint row in a year and
counts the others with ``n_unique``; whatever mix of repeat patients, years, units and strata the
rows hold, every figure must be the size of the set of patients with a referral in that cell.
"""

from __future__ import annotations

import datetime as dt
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nhvmetrics.engine.compute import compute_area
from nhvmetrics.engine.definitions import load_definitions
from nhvmetrics.engine.testing import case_frames

# NHV_HYPOTHESIS_SCALE=N runs N× as many examples (the shared settings: conftest.py)
SETTINGS = settings(max_examples=60 * int(os.environ.get("NHV_HYPOTHESIS_SCALE", "1")))
YEAR = 2024
EXTRACT = dt.date(2025, 2, 1)

row = st.fixed_dictionaries(
    {
        "patient_id": st.sampled_from([f"p{i}" for i in range(6)]),
        "unit": st.sampled_from(["01", "02", "03"]),
        "year": st.sampled_from([2022, 2023, 2024]),
        "month": st.integers(1, 12),
        "indication": st.integers(1, 3),
    }
)


@pytest.mark.slow
@SETTINGS
@given(st.lists(row, min_size=1, max_size=40))
def test_distinct_patients_are_the_patients_of_each_cell(rows) -> None:
    d = next(x for x in load_definitions("pelvic") if x.id == "pelvic.referrals")
    cases = [
        {
            "case_id": f"c{i}",
            "patient_id": r["patient_id"],
            "unit": r["unit"],
            "indication": r["indication"],
            # a patient's sex and birth date are the patient's own; everyone is 50-59 years old
            "sex": "K" if r["patient_id"] in ("p0", "p2", "p4") else "M",
            "birth_date": dt.date(1968, 1, 1 + int(r["patient_id"][1:])),
            "referral_date": dt.date(r["year"], r["month"], 15),
        }
        for i, r in enumerate(rows)
    ]
    frames = case_frames(d, {"rows": cases})
    table = compute_area("pelvic", frames, YEAR, EXTRACT, definitions=[d], min_count=1).table

    def patients(period: int, unit: str, stratum: str) -> int:
        want = dict(s.split("=", 1) for s in stratum.split(";")[1:])
        return len(
            {
                c["patient_id"]
                for c in cases
                if c["referral_date"].year == period
                and unit in ("ALL", c["unit"])
                and all(
                    str(c[k]) == v if k != "age_band" else v == "50-59" for k, v in want.items()
                )
            }
        )

    checked = 0
    for r in table.filter(table["stratum"].str.starts_with("measure=patients")).iter_rows(
        named=True
    ):
        assert r["numerator"] == patients(r["period"], r["unit"], r["stratum"]), r
        checked += 1
    assert checked > 0
