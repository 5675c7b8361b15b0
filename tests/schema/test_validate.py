"""validate_export / validate_frames: INCA conventions, every row check (failing and passing),
personnummer, masking and the accounting invariant."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from nhvmetrics.errors import NhvError
from nhvmetrics.personnummer import find_personnummer, valid
from nhvmetrics.personnummer import luhn_digit as luhn
from nhvmetrics.schema.checks import CHARACTER_NAMES
from nhvmetrics.schema.validate import FINDINGS_SCHEMA, validate_export, validate_frames

EXTRACT = dt.date(2025, 12, 31)


def pnr(yymmdd: str, serial: str = "238", century: str = "19", sep: str = "-") -> str:
    return f"{century}{yymmdd}{sep}{serial}{luhn(yymmdd + serial)}"


PNR_A = pnr("500101")  # 19500101-2383
PNR_B = pnr("620315", "129")


def case(**over) -> dict[str, str | None]:
    """One valid acc case in INCA dialect (values as strings, as read from a CSV)."""
    row = {
        "PAT_ID": PNR_A,
        "REG_ID": "C1",
        "SjukhusKod": "11001",
        "KON_VALUE": "1",
        "FODELSEDATUM": "1950-01-01",
        "remissdatum": "2025-01-03",
        "forsta_besoksdatum": "2025-01-10",
        "behandlingsstart": "2025-01-25",
        "AVLIDDAT": None,
        "VITALSTATUSDATUM": "2025-06-01",
    }
    row.update(over)
    return row


def run(rows, area="acc", table="cases", extra=None):
    frames = {table: pl.DataFrame(rows, schema={k: pl.String for k in rows[0]})}
    if extra:
        frames.update(extra)
    return validate_frames(area, frames, extract_date=EXTRACT)


def checks_of(result, check=None):
    f = result.findings
    if check:
        f = f.filter(pl.col("check") == check)
    return [(r["check"], r["column"], r["row"]) for r in f.iter_rows(named=True)]


# --- conventions ---------------------------------------------------------------------------


def test_clean_case_is_accepted_with_canonical_names_and_types():
    r = run([case()])
    assert not r.has_errors, r.findings
    acc = r.table("cases").accepted
    assert acc.row(0, named=True) == {
        "_row": 2,
        "patient_id": PNR_A,
        "case_id": "C1",
        "unit": "11001",
        "sex": "M",
        "birth_date": dt.date(1950, 1, 1),
        "referral_date": dt.date(2025, 1, 3),
        "first_visit_date": dt.date(2025, 1, 10),
        "treatment_start_date": dt.date(2025, 1, 25),
        "death_date": None,
        "vital_status_date": dt.date(2025, 6, 1),
    }
    assert acc.schema["birth_date"] == pl.Date


def test_list_variable_pairs_any_case_and_value_maps():
    rows = [
        case(
            **{
                "radikalitet_Värde": "2",
                "radikalitet_Beskrivning": "R1",
                "OP_SYFTE_VARDE": "1",
                "behandlingstyp_värde": "3",
                "KON_VALUE": "2",
                "nationell_mdk_Värde": "1",
            }
        ),
    ]
    r = run(rows)
    assert not r.has_errors, r.findings
    t = r.table("cases")
    row = t.accepted.row(0, named=True)
    assert (
        row["resection_margin"],
        row["surgery_intent"],
        row["treatment_type"],
        row["sex"],
        row["national_mdk"],
    ) == ("R1", "curative", "radiotherapy", "K", True)
    assert t.unknown_columns == []  # _Beskrivning is known, not an unknown column
    assert "radikalitet_Beskrivning" not in t.accepted.columns


@pytest.mark.parametrize(
    "value, expected",
    [
        ("1", True),
        ("0", False),
        ("True", True),
        ("false", False),
        ("Ja", True),
        ("NEJ", False),
        ("98", None),
        ("99", None),
        ("Uppgift saknas", None),
        ("", None),
        (None, None),
    ],
)
def test_booleans(value, expected):
    r = run([case(skriftlig_vardplan=value)])
    assert not r.has_errors
    assert r.table("cases").accepted["written_care_plan"].to_list() == [expected]


def test_bad_boolean_is_wrong_type():
    r = run([case(skriftlig_vardplan="kanske")])
    assert checks_of(r) == [("wrong_type", "written_care_plan", 2)]


@pytest.mark.parametrize(
    "value", ["2025-01-03", "2025-01-03 00:00:00", "2025-01-03T10:15", " 2025-01-03 "]
)
def test_dates_with_or_without_time(value):
    r = run([case(remissdatum=value)])
    assert not r.has_errors, r.findings
    assert r.table("cases").accepted["referral_date"].to_list() == [dt.date(2025, 1, 3)]


@pytest.mark.parametrize("value", ["03/01/2025", "20250103", "2025-02-30", "45660"])
def test_bad_dates_are_wrong_type(value):
    r = run([case(remissdatum=value)])
    assert checks_of(r) == [("wrong_type", "referral_date", 2)]
    assert r.findings["value"].to_list() == [value]


def test_decimal_comma_and_point_and_range():
    r = run(
        [
            case(mitotan_1ar="14,5"),
            case(REG_ID="C2", mitotan_1ar="100"),
            case(REG_ID="C3", mitotan_1ar="100,5"),
            case(REG_ID="C4", mitotan_1ar="0.0"),
        ]
    )
    # out of range is a finding on that one cell: the case stays, its level is unknown
    assert r.table("cases").accepted["mitotane_level_1y"].to_list() == [14.5, 100.0, None, 0.0]
    assert checks_of(r) == [("out_of_range", "mitotane_level_1y", 4)]
    assert r.findings["severity"].to_list() == ["warning"]
    assert r.table("cases").unknown_cells == {"mitotane_level_1y": 1}


def test_codes_keep_leading_zeros_and_county_codes_are_padded():
    r = run([case(SjukhusKod="011001", LAN_VALUE="1", remitterande_region_Värde="03")])
    row = r.table("cases").accepted.row(0, named=True)
    assert (row["unit"], row["home_region"], row["referring_region"]) == ("011001", "01", "03")


def test_county_code_outside_list_is_invalid_code():
    r = run([case(LAN_VALUE="02")])  # 02 is not a county code
    assert checks_of(r) == [("invalid_code", "home_region", 2)]


def test_cancelled_and_demo_rows_are_dropped_and_counted():
    rows = [
        case(REG_ID="C1", MAKULERAD="0", REGION_NAMN="Region Skåne"),
        case(REG_ID="C2", MAKULERAD="1", REGION_NAMN="Region Skåne"),
        case(REG_ID="C3", MAKULERAD="True", REGION_NAMN="Region Demo"),
        case(REG_ID="C4", MAKULERAD="0", REGION_NAMN="Region Demo"),
        case(REG_ID="C5", MAKULERAD=None, REGION_NAMN="region demo"),
    ]
    t = run(rows).table("cases")
    assert t.dropped == {"demo_region": 2, "makulerad": 2}
    assert t.accepted["case_id"].to_list() == ["C1"]
    assert t.rows_read == 5 and t.n_accepted + t.n_quarantined + t.n_dropped == 5
    assert "MAKULERAD" not in t.accepted.columns and t.unknown_columns == []


def test_birth_date_is_derived_from_a_personnummer():
    row = case()
    del row["FODELSEDATUM"]
    r = run([row, case(REG_ID="C2", PAT_ID="PAT000123")])
    t = r.table("cases")
    assert t.derived == ["birth_date"]
    assert t.accepted["birth_date"].to_list() == [dt.date(1950, 1, 1), None]


# --- row checks: failing and passing --------------------------------------------------------


def test_missing_required_column_quarantines_every_row():
    row = case()
    del row["remissdatum"]
    r = run([row, case(REG_ID="C2")])
    t = r.table("cases")
    assert checks_of(r) == [("missing_required_column", "referral_date", None)]
    assert (t.n_accepted, t.n_quarantined) == (0, 2)
    assert r.has_errors


def test_missing_required_value():
    r = run([case(KON_VALUE=""), case(REG_ID="C2")])
    assert checks_of(r) == [("missing_value", "sex", 2)]
    assert r.table("cases").accepted["case_id"].to_list() == ["C2"]


def test_unknown_column_is_a_warning_and_left_out():
    r = run([case(favourite_colour="blå")])
    assert not r.has_errors
    assert [(c, s) for c, s in zip(r.findings["check"], r.findings["severity"], strict=True)] == [
        ("unknown_column", "warning")
    ]
    assert "favourite_colour" not in r.table("cases").accepted.columns
    assert r.table("cases").unknown_columns == ["favourite_colour"]


@pytest.mark.parametrize(
    "over, expected",
    [
        (
            {"remissdatum": "2026-01-01"},
            [
                ("date_order", "first_visit_date", 2),
                ("date_order", "treatment_start_date", 2),
                ("future_date", "referral_date", 2),
            ],
        ),
        ({"forsta_besoksdatum": "2025-01-02"}, [("date_order", "first_visit_date", 2)]),
        ({"forsta_besoksdatum": "2025-01-03"}, []),  # same day is in order
        ({"behandlingsstart": "2025-01-02"}, [("date_order", "treatment_start_date", 2)]),
        (
            {"FODELSEDATUM": "2025-01-05"},
            [("before_birth", "referral_date", 2), ("implausible_age", "birth_date", 2)],
        ),
        ({"AVLIDDAT": "2025-01-20"}, [("after_death", "treatment_start_date", 2)]),
        (
            {"AVLIDDAT": "2025-01-25"},
            [],
        ),  # treated on the day of death; vital status date after death is fine
    ],
)
def test_date_rules(over, expected):
    r = run([case(**over)])
    assert sorted(checks_of(r)) == sorted(expected)


def test_age_bounds():
    ok = run([case(FODELSEDATUM="1914-01-04")])  # 110 on 2025-01-03 (111th birthday the day after)
    assert not ok.has_errors
    bad = run([case(FODELSEDATUM="1914-01-03")])  # 111 on the referral date
    # the birth date is what is implausible: it is read as unknown, the case stays
    assert checks_of(bad) == [("implausible_age", "birth_date", 2)]
    assert bad.findings["value"].to_list() == ["age 111"]
    assert bad.table("cases").n_accepted == 1
    assert bad.table("cases").accepted["birth_date"].to_list() == [None]


def test_age_with_birthdays_late_in_the_year():
    # month * 100 + day of a birthday in September or December: no integer wraps around
    ok = run([case(FODELSEDATUM="1914-09-10")])  # 110 on 2025-01-03, 111 on 2025-09-10
    assert not checks_of(ok, "implausible_age")
    assert ok.table("cases").accepted["birth_date"].to_list() == [dt.date(1914, 9, 10)]
    bad = run([case(FODELSEDATUM="1913-12-31")])  # 111 since 2024-12-31
    assert checks_of(bad, "implausible_age") == [("implausible_age", "birth_date", 2)]
    assert bad.findings.filter(pl.col("check") == "implausible_age")["value"].to_list() == [
        "age 111"
    ]


def test_pelvic_discharge_before_admission():
    base = {
        "indikation_Värde": "3",
        "inskrivningsdatum": "2025-02-01",
        "operationsdatum": "2025-02-02",
        "utskrivningsdatum": "2025-02-10",
        "behandlingsstart": "2025-02-02",
    }
    assert not run([case(**base)], area="pelvic").has_errors
    r = run([case(**{**base, "utskrivningsdatum": "2025-01-31"})], area="pelvic")
    # the discharge date is read as unknown (the row stays); the surgery-after-discharge rule
    # is a warning of its own
    found = r.findings.filter(pl.col("column") == "discharge_date")
    assert found.select("check", "severity").rows() == [
        ("date_order", "warning"),
        ("date_order", "warning"),
    ]
    assert "admission_date=2025-02-01, discharge_date=2025-01-31" in found["value"].to_list()
    assert not r.has_errors
    assert r.table("cases").accepted["discharge_date"].to_list() == [None]


def test_pelvic_indication_range():
    r = run([case(indikation_Värde="8"), case(REG_ID="C2", indikation_Värde="7")], area="pelvic")
    assert checks_of(r) == [("out_of_range", "indication", 2)]


def test_anal_rt_end_before_start_and_orphan_episodes():
    cases = [
        case(stralbeh_startdatum="2025-02-01", stralbeh_slutdatum="2025-03-01"),
        case(
            REG_ID="C2",
            PAT_ID=PNR_B,
            stralbeh_startdatum="2025-02-01",
            stralbeh_slutdatum="2025-01-31",
        ),
    ]
    episodes = pl.DataFrame(
        {
            "vardtillfalle_id": ["E1", "E2", "E3"],
            "REG_ID": ["C1", "C9", "C2"],
            "besoksdatum": ["2025-02-01", "2025-02-02", "2025-02-03"],
        }
    )
    r = run(cases, area="anal", extra={"episodes": episodes})
    assert checks_of(r) == [("date_order", "rt_end_date", 3), ("orphan_row", "case_id", 3)]
    assert r.findings["table"].to_list() == ["cases", "episodes"]
    assert r.table("episodes").accepted["episode_id"].to_list() == ["E1", "E3"]


def test_anal_prem_has_no_patient_and_answers_1_to_5():
    prem = [
        {
            "svar_id": "R1",
            "SjukhusKod": "11001",
            "svarsdatum": "2025-03-01",
            "fraga1": "5",
            "fraga2": "99",
        },
        {
            "svar_id": "R2",
            "SjukhusKod": "11001",
            "svarsdatum": "2025-03-01",
            "fraga1": "6",
            "fraga2": "1",
        },
    ]
    r = run(prem, area="anal", table="prem")
    assert checks_of(r) == [("out_of_range", "q1", 3)]
    acc = r.table("prem").accepted
    assert acc["q2"].to_list() == [None, 1]  # 99 = unknown
    assert acc["q1"].to_list() == [5, None]  # 6 is no answer: unknown, the response stays
    assert r.findings["case_id"].to_list() == [None]


def test_duplicate_case_id_quarantines_every_copy():
    r = run([case(REG_ID="C1"), case(REG_ID="C2"), case(REG_ID="C1")])
    assert checks_of(r) == [("duplicate_id", "case_id", 2), ("duplicate_id", "case_id", 4)]
    assert r.table("cases").accepted["case_id"].to_list() == ["C2"]


def test_invalid_code():
    r = run([case(**{"radikalitet_Värde": "R5"}), case(REG_ID="C2", **{"radikalitet_Värde": "rx"})])
    assert checks_of(r) == [("invalid_code", "resection_margin", 2)]
    # a code outside the list: that cell is unknown, the case stays
    assert r.table("cases").accepted["resection_margin"].to_list() == [None, "RX"]
    assert r.findings["message"][0].endswith("read as unknown")

    sex = run([case(KON_VALUE="3")])  # a required column: the row cannot be used
    assert checks_of(sex) == [("invalid_code", "sex", 2)]
    assert sex.findings["severity"].to_list() == ["error"] and sex.table("cases").n_accepted == 0


# --- personnummer ---------------------------------------------------------------------------


def test_personnummer_forms():
    today = dt.date(2025, 6, 1)
    good = [
        "19121212-1212",
        "121212-1212",
        "191212121212",
        "1212121212",
        "121212+1212",
        "701063-2391",
        "19701063-2391",
        pnr("000229", "123", "20"),
    ]
    assert valid(good, today) == [True] * len(good)
    bad = [
        "19121212-1213",  # Luhn
        "19121232-1212",  # 32nd December (and Luhn irrelevant)
        pnr("010229", "123", "20"),  # 2001-02-29 does not exist, Luhn correct
        pnr("991231", "123", "21"),  # century 21
        pnr("300101", "123", "20"),
    ]  # born in 2030
    assert valid(bad, today) == [False] * len(bad)
    assert valid(["PAT000123", "12345", "1234567890123", None], today) == [None, None, None, None]


def test_invalid_personnummer_is_an_error_and_masked():
    bad = PNR_A[:-1] + str((int(PNR_A[-1]) + 1) % 10)
    r = run(
        [case(PAT_ID=bad), case(REG_ID="C2", PAT_ID="PAT000123"), case(REG_ID="C3", PAT_ID=PNR_B)]
    )
    assert checks_of(r) == [("invalid_personnummer", "patient_id", 2)]
    assert r.findings["value"].to_list() == ["<personnummer>"]
    assert "check digit" in r.findings["message"][0]
    q = r.table("cases").quarantined
    assert q["patient_id"].to_list() == ["<personnummer>"]


def test_no_personnummer_in_any_finding_or_quarantined_value():
    # personnummer hidden in other columns too: case_id, a date column, a code column
    rows = [
        case(REG_ID=PNR_B, remissdatum=f"x{PNR_A}", KON_VALUE=PNR_B),
        case(REG_ID=PNR_B, PAT_ID=PNR_B.replace("-", "")),
    ]
    r = run(rows)
    assert r.has_errors
    text = r.findings.write_csv() + r.table("cases").quarantined.write_csv()
    assert find_personnummer(text) == []
    assert "<personnummer>" in text


@pytest.mark.parametrize(
    "written",
    [
        "19500101 2383",  # a space
        "500101 2383",
        "19500101\u20132383",  # an en dash
        "19500101\u00a02383",  # a no-break space
        "19500101238X",  # a letter check digit
        "P19500101-2383",  # inside other text
    ],
)
def test_personnummer_in_another_form_is_an_invalid_format_and_masked(written: str) -> None:
    assert PNR_A == "19500101-2383"
    r = run([case(PAT_ID=written), case(REG_ID="C2", PAT_ID="PAT000123")])
    assert checks_of(r) == [("invalid_personnummer", "patient_id", 2)]
    f = r.findings.row(0, named=True)
    assert "invalid format" in f["message"] and written not in str(f)
    assert f["value"] == "<personnummer>" if written[0] != "P" else f["value"] == "P<personnummer>"
    q = r.table("cases").quarantined
    assert q.height == 1 and written not in q.write_csv()
    assert r.table("cases").accepted["patient_id"].to_list() == ["PAT000123"]


@pytest.mark.parametrize(
    ("column", "value", "canonical"),
    [
        ("SjukhusKod", PNR_A, "unit"),
        ("REG_ID", "500101 2383", "case_id"),
        ("REG_ID", f"remiss {PNR_B.replace('-', '')}", "case_id"),
        ("behandlingstyp_Värde", PNR_A, "treatment_type"),  # a code column
    ],
)
def test_personnummer_in_a_column_that_must_not_hold_one_is_a_finding(
    column: str, value: str, canonical: str
) -> None:
    r = run([case(**{column: value}), case(REG_ID="C2")])
    wrong = r.findings.filter(pl.col("check") == "personnummer_in_wrong_column")
    assert not find_personnummer(r.findings.write_csv())
    assert "<personnummer>" in wrong["value"][0]
    t = r.table("cases")
    if canonical in ("unit", "case_id"):  # required: the row cannot be used
        assert wrong["row"].to_list() == [2] and wrong["severity"].to_list() == ["error"]
        assert t.n_quarantined == 1 and t.n_accepted == 1
    else:  # any other column: that cell is unknown, and the number never reaches a frame
        assert wrong["row"].to_list() == [2] and wrong["severity"].to_list() == ["warning"]
        assert t.n_quarantined == 0 and t.accepted[canonical].to_list() == [None, None]
        assert t.unknown_cells == {canonical: 1}


def test_no_false_personnummer_finding_on_codes_dates_and_ids() -> None:
    rows = [
        case(REG_ID="ACC000001", SjukhusKod="11001"),
        case(REG_ID="2025-01-31 12:34", SjukhusKod="SE100"),
        case(REG_ID="ps_" + "19121212121212" + "a" * 18, SjukhusKod="0.1912121212"),
    ]
    r = run(rows)
    assert not checks_of(r, "personnummer_in_wrong_column")


def test_identifying_columns_are_never_read() -> None:
    names = {"FNAMN": "Anna", "ENAMN": "Andersson", "Gatuadress": "Storgatan 1", "POSTNR": "11122"}
    r = run([case(**names), case(REG_ID="C1", **names)])  # a duplicate: both quarantined
    t = r.table("cases")
    assert t.identifying_columns == list(names) and t.unknown_columns == []
    assert sorted(checks_of(r, "identifying_column")) == sorted(
        ("identifying_column", c, None) for c in names
    )
    from nhvmetrics.schema.validate import quarantine_frame

    q = quarantine_frame(r)
    assert q.height == 2 and not set(names) & set(q.columns)
    written = q.write_csv() + r.findings.write_csv() + t.accepted.write_csv()
    assert not [v for v in names.values() if v in written]


# --- shape of the result --------------------------------------------------------------------


def test_findings_frame_columns_and_types():
    r = run([case(KON_VALUE="3")])
    assert r.findings.schema == pl.Schema(FINDINGS_SCHEMA)
    assert list(r.findings.columns) == [
        "table",
        "check",
        "severity",
        "column",
        "row",
        "case_id",
        "value",
        "message",
        "source_column",
    ]
    assert r.findings.row(0, named=True) | {"message": ""} == {
        "table": "cases",
        "check": "invalid_code",
        "severity": "error",
        "column": "sex",
        "row": 2,
        "case_id": "C1",
        "value": "3",
        "message": "",
        "source_column": "KON_VALUE",
    }


def test_accounting_holds_for_every_table():
    rows = [
        case(
            REG_ID=f"C{i}",
            KON_VALUE="3" if i % 3 == 0 else "2",
            MAKULERAD="1" if i % 5 == 0 else "0",
        )
        for i in range(1, 31)
    ]
    t = run(rows).table("cases")
    assert t.dropped == {"makulerad": 6}
    assert t.n_quarantined == 8  # i = 3,6,9,12,18,21,24,27 (15 and 30 are dropped first)
    assert t.n_accepted + t.n_quarantined + t.n_dropped == t.rows_read == 30


def test_validate_export_reads_files_and_hashes_them(tmp_path):
    import hashlib

    p = tmp_path / "acc.csv"
    rows = [case(), case(REG_ID="C2", KON_VALUE="9")]
    header = list(rows[0])
    p.write_text(
        "\n".join(
            ";".join(r[h] or "" for h in header)
            for r in [dict(zip(header, header, strict=True)), *rows]
        )
        + "\n",
        encoding="cp1252",
    )
    r = validate_export("acc", {"cases": p}, extract_date=EXTRACT)
    t = r.table("cases")
    assert t.sha256 == hashlib.sha256(p.read_bytes()).hexdigest()
    assert (t.rows_read, t.n_accepted, t.n_quarantined) == (2, 1, 1)
    assert checks_of(r) == [("invalid_code", "sex", 3)]


def test_unknown_table_is_a_usage_error(tmp_path):
    with pytest.raises(NhvError) as exc:
        validate_frames("acc", {"episodes": pl.DataFrame({"a": ["1"]})})
    assert exc.value.exit_code == 2 and "no table 'episodes'" in str(exc.value)


def test_dropped_rows_are_not_checked_and_do_not_count_as_duplicates_or_parents():
    rows = [
        case(
            REG_ID="C1", MAKULERAD="1", KON_VALUE="bad", REGION_NAMN="Region Skåne"
        ),  # dropped: not checked
        case(
            REG_ID="C1", MAKULERAD="0", REGION_NAMN="Region Skåne"
        ),  # same id as the cancelled row
        case(REG_ID="C2", MAKULERAD="0", REGION_NAMN="Region Demo"),
    ]
    episodes = pl.DataFrame(
        {
            "vardtillfalle_id": ["E1", "E2"],
            "REG_ID": ["C1", "C2"],
            "besoksdatum": ["2025-02-01", "2025-02-02"],
        }
    )
    r = run(rows, area="anal", extra={"episodes": episodes})
    assert checks_of(r) == [("orphan_row", "case_id", 3)]  # C2 exists only as a demo row
    t = r.table("cases")
    assert (t.n_accepted, t.n_quarantined, t.dropped) == (1, 0, {"demo_region": 1, "makulerad": 1})
    assert t.accepted["_row"].to_list() == [3]


def test_unparsable_birth_date_falls_back_to_the_personnummer_with_a_warning():
    r = run(
        [
            case(FODELSEDATUM="1950-13-45"),
            case(REG_ID="C2", PAT_ID="PAT9", FODELSEDATUM="1950-13-45"),
        ]
    )
    f = r.findings
    assert [(c, s, row) for c, s, row in zip(f["check"], f["severity"], f["row"], strict=True)] == [
        ("wrong_type", "warning", 2),
        ("wrong_type", "warning", 3),
    ]  # a pseudonym has no birth date to fall back on: the birth date is unknown
    assert "personnummer" in f["message"][0]
    assert f["message"][1].endswith("read as unknown")
    acc = r.table("cases").accepted
    assert acc["birth_date"].to_list() == [dt.date(1950, 1, 1), None]


# --- values that are findings: control, zero-width and bidi characters -----------------------


@pytest.mark.parametrize(
    "column, value, named",
    [
        ("REG_ID", "C1\u200b", "U+200B ZERO WIDTH SPACE"),
        ("REG_ID", "\ufeffC1", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
        ("REG_ID", "C\u20601", "U+2060 WORD JOINER"),
        ("SjukhusKod", "\u202e10011", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("SjukhusKod", "11001\u2066", "U+2066 LEFT-TO-RIGHT ISOLATE"),
        ("SjukhusKod", "11\x1b[2J001", "U+001B ESC"),
        ("PAT_ID", "P\x00 1", "U+0000 NUL"),
        ("PAT_ID", "P\x9b1", "U+009B CSI"),
    ],
)
def test_an_id_with_a_control_or_invisible_character_is_quarantined(column, value, named):
    r = run([case(**{column: value}), case(REG_ID="C2", PAT_ID=PNR_B)])
    canonical = {"REG_ID": "case_id", "SjukhusKod": "unit", "PAT_ID": "patient_id"}[column]
    assert checks_of(r) == [("control_character", canonical, 2)]
    f = r.findings.row(0, named=True)
    assert f["severity"] == "error" and f"({named})" in f["message"]
    assert "cannot be trusted as an id" in f["message"]
    # written out, the finding shows the character as text (U+202E, \x1b), never the character
    from nhvmetrics.io.guard import clean_value

    shown = clean_value(f["value"])
    assert not any(ch in CHARACTER_NAMES for ch in shown)
    assert "U+" in shown or "\\x" in shown
    assert r.table("cases").n_quarantined == 1 and r.table("cases").n_accepted == 1


@pytest.mark.parametrize(
    "column, value, canonical",
    [("KON_VALUE", "2\u200b", "sex"), ("LAN_VALUE", "0\u202e4", "home_region")],
)
def test_a_code_with_an_invisible_character_says_why_it_is_not_read(column, value, canonical):
    r = run([case(**{column: value}), case(REG_ID="C2", **{column: value.replace(value[1], "")})])
    assert checks_of(r) == [("control_character", canonical, 2)]  # not also invalid_code
    assert "the code cannot be read" in r.findings["message"][0]
    good = run([case(KON_VALUE="X")])
    assert checks_of(good) == [("invalid_code", "sex", 2)]  # a plain wrong code stays that


def test_invisible_characters_in_ids_make_two_look_alike_ids_no_duplicate():
    """C1 and C1 + U+200B look the same: the second is quarantined for its character, so the
    first is not taken for a duplicate of it, and the look-alike never reaches the engine."""
    r = run([case(), case(REG_ID="C1\u200b", PAT_ID=PNR_B)])
    assert checks_of(r) == [("control_character", "case_id", 3)]
    assert r.table("cases").accepted["case_id"].to_list() == ["C1"]


# --- dates: only the forms the docs name ------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "2025-1-3",
        "2025-01-3",
        "+2025-01-01",
        "-2025-01-01",
        "2024-02-29T25:61",
        "2025-01-03T24:00",
        "2025-01-03 10:60",
        "2025-01-03 garbage",
        "0025-01-03",
        "2025-01-03T",
        "2025-01-03 10:15:00 +25:00",
    ],
)
def test_loose_date_forms_are_wrong_types(value):
    r = run([case(remissdatum=value)])
    assert checks_of(r, "wrong_type") == [("wrong_type", "referral_date", 2)], r.findings
    assert r.findings.filter(pl.col("check") == "wrong_type")["value"][0] == value


@pytest.mark.parametrize(
    "value",
    [
        "2025-01-03",
        "2025-01-03 10:15",
        "2025-01-03T10:15:00",
        "2025-01-03 10:15:00.000",
        "2025-01-03T10:15:00.123456Z",
        "2025-01-03T00:30+01:00",
        "2025-01-03 00:30:00 +0100",
        "2025-01-03 10:15:00 CET",
        "2025-01-03 10:15:00 Europe/Stockholm",
    ],
)
def test_iso_dates_with_a_valid_time_and_zone_keep_their_own_date(value):
    r = run([case(remissdatum=value)])
    assert not r.has_errors, r.findings
    assert r.table("cases").accepted["referral_date"].to_list() == [dt.date(2025, 1, 3)]


# --- Excel habits and number types -------------------------------------------------------------


def test_excel_text_formula_is_read_as_its_text():
    r = run(
        [
            case(SjukhusKod='="05101"', LAN_VALUE='="4"', KON_VALUE='= "2"'),
            case(REG_ID='="C""2"', PAT_ID=PNR_B, SjukhusKod='="05101"', LAN_VALUE='=""'),
        ]
    )
    # ="4" is padded like 4; ="" is empty; = "2" is not Excel's form and stays a wrong code
    assert checks_of(r) == [("invalid_code", "sex", 2)]
    acc = r.table("cases").accepted
    assert acc.select("case_id", "unit", "home_region").rows() == [('C"2', "05101", None)]
    q = r.table("cases").quarantined
    assert q.select("unit", "home_region").rows() == [("05101", "04")]


def test_timestamps_with_a_time_zone_keep_their_local_calendar_date():
    import zoneinfo

    stockholm = zoneinfo.ZoneInfo("Europe/Stockholm")
    at = [dt.datetime(2019, 1, 11, 0, 30, tzinfo=stockholm), dt.datetime(2019, 7, 1, 1, 0)]
    frame = pl.DataFrame(
        {
            "PAT_ID": [PNR_A, PNR_B],
            "REG_ID": ["C1", "C2"],
            "SjukhusKod": ["11001", "11001"],
            "KON_VALUE": ["1", "2"],
            "remissdatum": pl.Series([at[0], at[0]]).dt.convert_time_zone("Europe/Stockholm"),
            "forsta_besoksdatum": pl.Series([at[0], at[0]]).dt.convert_time_zone("+01:00"),
            "VITALSTATUSDATUM": pl.Series([at[0], at[0]]).dt.convert_time_zone("UTC"),
            "behandlingsstart": pl.Series([at[1], at[1]]),  # no zone: the wall-clock date
        }
    )
    r = validate_frames("acc", {"cases": frame}, extract_date=EXTRACT)
    assert not r.has_errors, r.findings
    acc = r.table("cases").accepted
    assert acc["referral_date"].to_list() == [dt.date(2019, 1, 11)] * 2  # 00:30 in Stockholm
    assert acc["first_visit_date"].to_list() == [dt.date(2019, 1, 11)] * 2  # 00:30 at +01:00
    assert acc["vital_status_date"].to_list() == [dt.date(2019, 1, 10)] * 2  # 23:30 in UTC
    assert acc["treatment_start_date"].to_list() == [dt.date(2019, 7, 1)] * 2


def test_ids_and_padded_codes_stored_as_numbers_are_warnings_naming_the_column():
    frame = pl.DataFrame(
        {
            "PAT_ID": [PNR_A, PNR_B],
            "REG_ID": [101, 102],
            "SjukhusKod": [11001, 51001],
            "KON_VALUE": [1, 2],  # a code list: numbers are how INCA writes it, no warning
            "LAN_VALUE": [4.0, 12.0],
            "remissdatum": [dt.date(2025, 1, 3)] * 2,
        }
    )
    r = validate_frames("acc", {"cases": frame}, extract_date=EXTRACT)
    found = r.findings.select("check", "severity", "column", "row").rows()
    assert found == [
        ("code_as_number", "warning", "case_id", None),
        ("code_as_number", "warning", "home_region", None),
        ("code_as_number", "warning", "unit", None),
    ]
    messages = dict(zip(r.findings["column"], r.findings["message"], strict=True))
    assert "unit (column 'SjukhusKod') is stored as numbers" in messages["unit"]
    assert "05101 becomes 5101" in messages["unit"]
    assert "padded to 2 digits (4 → 04)" in messages["home_region"]
    acc = r.table("cases").accepted
    assert acc["home_region"].to_list() == ["04", "12"]
    assert acc["unit"].to_list() == ["11001", "51001"]

    # a unit that lost its leading zero is no hospital code any more: kept as read (no guess),
    # so the row cannot be placed and is quarantined
    lost = validate_frames("acc", {"cases": frame.with_columns(SjukhusKod=pl.lit(5101))})
    unit = lost.findings.filter(pl.col("column") == "unit")
    assert set(unit["check"]) == {"code_as_number", "invalid_code"}
    assert lost.table("cases").n_quarantined == 2
    assert set(lost.table("cases").quarantined["unit"]) == {"5101"}
