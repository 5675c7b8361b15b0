"""INCA as it really exports (SPEC §2 [v2]), without and with a mapping profile: the identity in
two columns, the system columns, RCC regions, county codes without their zero, hospital codes,
96 = "Kan ej bedömas", yes/no lists with a third code, compact and partial dates, timestamps,
Excel's ``sep=;`` line, a workbook with one sheet per table, True/blank checkboxes, missing
required columns with their likeliest export column, and an export of another area.

The exports are shaped after RCC's public example data and registers' report scripts
(tests/fixtures/inca_export.py), not after what our own generator writes.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from nhvmetrics.personnummer import find_personnummer
from nhvmetrics.schema.validate import validate_export, validate_frames
from tests.fixtures.inca_export import (
    HEADER,
    PROFILE,
    REGIONS,
    pnr,
    rows,
    write_csv,
    write_profile,
)

EXTRACT = dt.date(2025, 12, 31)
PNR_A = pnr("500101", "238", dash=True)
PNR_B = pnr("620315", "129")


def case(**over: str | None) -> dict[str, str | None]:
    """One acc case with INCA's system names and the built-in aliases."""
    row: dict[str, str | None] = {
        "PAT_ID": "7001",
        "PERSNR": PNR_A,
        "REG_ID": "C1",
        "SjukhusKod": "11001",
        "KON_VALUE": "1",
        "remissdatum": "2025-01-03",
    }
    row.update(over)
    return row


def run(records, area: str = "acc", mapping: Path | None = None):
    frame = pl.DataFrame(records, schema={k: pl.String for k in records[0]})
    return validate_frames(area, {"cases": frame}, EXTRACT, mapping=mapping)


def checks(result) -> list[tuple[str, str, str | None]]:
    return [(r["check"], r["severity"], r["column"]) for r in result.findings.iter_rows(named=True)]


# --- identity ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "present, read",
    [
        (["PAT_ID", "PERSNR"], "PERSNR"),
        (["PERSNR", "PAT_ID"], "PERSNR"),
        (["PAT_ID", "PNR"], "PNR"),
        (["PAT_ID", "PNR", "PERSNR"], "PERSNR"),
        (["pat_id", "persnr"], "persnr"),  # RCC's scripts lower-case every name
    ],
)
def test_pat_id_beside_persnr_is_the_normal_case(present: list[str], read: str) -> None:
    values = {"PAT_ID": "7001", "PERSNR": PNR_A, "PNR": PNR_B}
    row = {name: values[name.upper()] for name in present}
    r = run([{**row, "REG_ID": "C1", "SjukhusKod": "11001", "KON_VALUE": "1",
              "remissdatum": "2025-01-03"}])  # fmt: skip
    assert not r.has_errors and checks(r) == [], r.findings
    t = r.table("cases")
    assert t.columns["patient_id"] == read
    assert t.accepted["patient_id"].to_list() == [values[read.upper()]]
    assert t.unknown_columns == []


def test_two_columns_of_one_name_that_is_not_a_priority_are_still_ambiguous() -> None:
    r = run([case(patient_id="P9")])  # the canonical name beside PAT_ID/PERSNR: which one?
    assert ("duplicate_column", "error", "patient_id") in checks(r)


def test_a_profile_priority_list_takes_the_first_non_empty_value_in_each_row(
    tmp_path: Path,
) -> None:
    p = write_profile(tmp_path / "p.yaml", "area: acc\ncolumns: {patient_id: [PERSNR, PAT_ID]}\n")
    r = run([case(), case(REG_ID="C2", PERSNR=None, PAT_ID="7002")], mapping=p)
    t = r.table("cases")
    assert t.accepted["patient_id"].to_list() == [PNR_A, "7002"]
    assert t.alternates == {"patient_id": ["PERSNR", "PAT_ID"]}
    bad = run([case(PERSNR=PNR_A[:-1] + "0")], mapping=p)  # the finding names its own column
    f = bad.findings.filter(pl.col("check") == "invalid_personnummer")
    assert f["source_column"].to_list() == ["PERSNR"]
    bad2 = run([case(PERSNR=None, PAT_ID="19500101-2384")], mapping=p)
    f2 = bad2.findings.filter(pl.col("check") == "invalid_personnummer")
    assert f2["source_column"].to_list() == ["PAT_ID"]
    assert not find_personnummer(bad2.findings.write_csv())


# --- system columns, regions, county codes ---------------------------------------------------


SYSTEM = [
    "SKAPAD_AV",
    "SKAPAD_DATUM",
    "REGDATUM",
    "VITALSTATUS",
    "VITALSTATUSDATUM_ESTIMAT",
    "LKF_VALUE",
    "LOPNR",
    "NAVETDATUM",
    "SEKRETESS_VALUE",
    "REG_NAME",
    "REGTYPE_NAME",
    "AVGMARK_VALUE",
    "IS_VERSION",
    "REGION_ID",
    "userunitcode",
    "userparentunitcode",
    "klinikbehorighet",
    "regionbehorighet",
    "R44T139_ID",
    "KON_BESKRIVNING",
    "LAN_BESKRIVNING",
]


def test_the_inca_system_columns_are_known_not_unknown() -> None:
    r = run([case(**{name: "1" for name in SYSTEM})])
    assert checks(r) == [] and r.table("cases").unknown_columns == []
    assert not set(SYSTEM) & set(r.table("cases").accepted.columns)


def test_names_and_addresses_are_identifying_and_never_read() -> None:
    r = run([case(FNAMN="Åsa", ENAMN="Öberg", ADRESS="Storgatan 1", POSTORT="Malmö")])
    found = r.findings.filter(pl.col("check") == "identifying_column")["column"].to_list()
    assert sorted(found) == ["ADRESS", "ENAMN", "FNAMN", "POSTORT"]
    text = r.findings.write_csv() + str(r.table("cases").accepted.rows())
    assert "Öberg" not in text and "Storgatan" not in text


def test_the_six_rcc_regions_are_data_and_the_demo_region_is_dropped() -> None:
    records = [case(REG_ID=f"C{i}", REGION_NAMN=name) for i, name in enumerate(REGIONS)]
    records.append(case(REG_ID="C9", REGION_NAMN="Region Demo"))
    r = run(records)
    t = r.table("cases")
    assert checks(r) == [] and t.n_accepted == 6 and t.dropped == {"demo_region": 1}


def test_lan_value_without_its_leading_zero_is_padded() -> None:
    r = run([case(LAN_VALUE="4"), case(REG_ID="C2", LAN_VALUE="12")])
    assert checks(r) == []
    assert r.table("cases").accepted["home_region"].to_list() == ["04", "12"]


# --- hospital codes ----------------------------------------------------------------------------


@pytest.mark.parametrize("unit", ["11001", "511001"])
def test_a_hospital_code_has_5_or_6_digits(unit: str) -> None:
    assert checks(run([case(SjukhusKod=unit)])) == []


@pytest.mark.parametrize("unit", ["Karolinska", "SU", "1100", "1100123", "x" * 2_000_000])
def test_a_unit_that_cannot_be_a_hospital_code_is_a_finding(unit: str) -> None:
    r = run([case(SjukhusKod=unit), case(REG_ID="C2")])
    f = r.findings
    assert f.select("check", "severity", "column", "row").rows() == [
        ("invalid_code", "error", "unit", 2)
    ]
    assert "hospital code of 5–6 digits" in f["message"][0]
    assert len(f["value"][0]) <= 200  # a 2 MB cell is cut
    assert r.table("cases").n_quarantined == 1  # a required column: the case cannot be placed


def test_the_profile_gives_the_units_code_list(tmp_path: Path) -> None:
    p = write_profile(tmp_path / "p.yaml", 'area: acc\nunits: ["11001", "SU"]\n')
    r = run([case(SjukhusKod="SU"), case(REG_ID="C2"), case(REG_ID="C3", SjukhusKod="51001")],
            mapping=p)  # fmt: skip
    assert r.findings.select("check", "column", "row").rows() == [("invalid_code", "unit", 4)]
    assert "units of the mapping profile (11001, SU)" in r.findings["message"][0]
    assert r.table("cases").accepted["unit"].to_list() == ["SU", "11001"]


# --- codes -----------------------------------------------------------------------------------


def test_96_kan_ej_bedomas_is_unknown_by_default() -> None:
    r = run([case(radikalitet_Varde="96", KON_VALUE="1", OP_SYFTE_VARDE="96")])
    assert checks(r) == []
    row = r.table("cases").accepted.row(0, named=True)
    assert row["resection_margin"] is None and row["surgery_intent"] is None


def test_a_yes_no_list_with_a_third_code_is_a_finding_on_that_cell() -> None:
    r = run([case(nationell_mdk_Varde="2"), case(REG_ID="C2", nationell_mdk_Varde="1")])
    f = r.findings
    assert f.select("check", "severity", "column", "row", "value").rows() == [
        ("invalid_code", "warning", "national_mdk", 2, "2")
    ]
    assert "neither" in f["message"][0] and f["message"][0].endswith("read as unknown")
    t = r.table("cases")
    assert t.n_accepted == 2 and t.accepted["national_mdk"].to_list() == [None, True]
    assert t.unknown_cells == {"national_mdk": 1}


def test_a_profile_says_what_the_third_code_means(tmp_path: Path) -> None:
    p = write_profile(tmp_path / "p.yaml", 'area: acc\nvalues: {national_mdk: {"2": false}}\n')
    r = run([case(nationell_mdk_Varde="2"), case(REG_ID="C2", nationell_mdk_Varde="1")], mapping=p)
    assert checks(r) == []
    assert r.table("cases").accepted["national_mdk"].to_list() == [False, True]


def test_a_profile_value_map_replaces_the_built_in_codes(tmp_path: Path) -> None:
    # a register whose margin codes are 0–2: "3" is no code of it, whatever the built-in map says
    p = write_profile(
        tmp_path / "p.yaml",
        'area: acc\nvalues: {resection_margin: {"0": R0, "1": R1, "2": R2, "96": null}}\n',
    )
    r = run([case(REG_ID=f"C{i}", radikalitet_Varde=v) for i, v in enumerate("0123")], mapping=p)
    assert r.table("cases").accepted["resection_margin"].to_list() == ["R0", "R1", "R2", None]
    assert r.findings.select("check", "value").rows() == [("invalid_code", "3")]


# --- dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["2024-03-01 00:00:00.000", "2024-03-01 00:00:00.000 CET", "2024-03-01 00:00 CET"]
)
def test_timestamps_with_milliseconds_or_a_zone_name_keep_their_date(value: str) -> None:
    r = run([case(operationsdatum=value)])
    assert checks(r) == []
    assert r.table("cases").accepted["surgery_date"].to_list() == [dt.date(2024, 3, 1)]


def test_compact_dates_without_a_profile_are_wrong_types() -> None:
    r = run([case(operationsdatum="20250110"), case(REG_ID="C2", remissdatum="20250103")])
    assert checks(r) == [
        ("wrong_type", "warning", "surgery_date"),  # the cell is unknown, the case stays
        ("wrong_type", "error", "referral_date"),  # the period date: the case cannot be used
    ]


def test_compact_dates_as_the_profile_says(tmp_path: Path) -> None:
    p = write_profile(tmp_path / "p.yaml", "area: acc\ndates: {formats: ['%Y-%m-%d', '%Y%m%d']}\n")
    r = run([case(operationsdatum="20250110", remissdatum="20250103")], mapping=p)
    assert checks(r) == []
    row = r.table("cases").accepted.row(0, named=True)
    assert (row["referral_date"], row["surgery_date"]) == (
        dt.date(2025, 1, 3),
        dt.date(2025, 1, 10),
    )
    only = write_profile(tmp_path / "q.yaml", "area: acc\ndates: {formats: ['%Y%m%d']}\n")
    r2 = run([case(remissdatum="20250103", operationsdatum="2025-01-10")], mapping=only)
    assert checks(r2) == [("wrong_type", "warning", "surgery_date")]  # only the forms listed
    assert "must be a date YYYYMMDD" in r2.findings["message"][0]


@pytest.mark.parametrize(
    "policy, expected",
    [
        ("unknown", [None, None, None]),
        ("first", [dt.date(1985, 5, 1), dt.date(1985, 1, 1), dt.date(1985, 5, 1)]),
        ("middle", [dt.date(1985, 5, 15), dt.date(1985, 7, 1), dt.date(1985, 5, 15)]),
    ],
)
def test_partial_dates_as_the_profile_says(tmp_path: Path, policy: str, expected) -> None:
    p = write_profile(
        tmp_path / "p.yaml",
        f"area: acc\ndates: {{formats: ['%Y-%m-%d', '%Y%m%d'], partial: {policy}}}\n",
    )
    values = ["19850500", "19850000", "1985-05-00"]
    r = run([case(REG_ID=f"C{i}", diagnosdatum=v) for i, v in enumerate(values)], mapping=p)
    assert r.table("cases").accepted["diagnosis_date"].to_list() == expected
    f = r.findings
    assert set(f["check"]) == {"partial_date"} and f.height == 3  # a finding either way
    assert set(f["severity"]) == {"warning"}
    assert r.table("cases").unknown_cells == ({"diagnosis_date": 3} if policy == "unknown" else {})


def test_a_partial_referral_date_unknown_quarantines_the_case() -> None:
    r = run([case(remissdatum="2025-01-00"), case(REG_ID="C2")])
    assert checks(r) == [("partial_date", "error", "referral_date")]
    assert r.table("cases").n_quarantined == 1


# --- files as Excel writes them --------------------------------------------------------------


@pytest.mark.parametrize("sep_line", ["sep=;", '"sep=;"'])
def test_excels_sep_line_plain_or_quoted(tmp_path: Path, sep_line: str) -> None:
    p = write_csv(tmp_path / "acc.csv", sep_line=sep_line)
    r = validate_export("acc", {"cases": p}, EXTRACT, mapping=write_profile(tmp_path / "p.yaml"))
    t = r.table("cases")
    assert t.delimiter == ";" and t.encoding == "cp1252"
    assert t.n_quarantined == 0 and t.n_accepted == 24 and t.rows_read == 26
    # the rows are numbered as a spreadsheet shows them (which hides the sep= line)
    assert t.accepted["_row"].to_list()[:2] == [2, 3]
    assert not r.has_errors


def test_a_register_export_with_its_profile_is_read_whole(tmp_path: Path) -> None:
    """The register-style export: without a profile its register names are unknown and the
    case table lacks its required columns; with it every case is accepted."""
    export = write_csv(tmp_path / "acc.csv")
    bare = validate_export("acc", {"cases": export}, EXTRACT).table("cases")
    assert bare.n_accepted == 0 and set(bare.missing_required) == {
        "case_id",
        "unit",
        "referral_date",
    }
    assert bare.suggestions == {
        "case_id": "R77T201_ID",
        "unit": "a_inr_sjhkod",
        "referral_date": "a_rem_dat",
    }
    r = validate_export("acc", {"cases": export}, EXTRACT, mapping=write_profile(tmp_path / "p"))
    t = r.table("cases")
    assert (t.rows_read, t.n_accepted, t.n_quarantined) == (26, 24, 0)
    assert t.dropped == {"demo_region": 1, "makulerad": 1}
    assert t.unknown_columns == [] and set(r.findings["check"]) == {"identifying_column"}
    acc = t.accepted
    assert acc["patient_id"].to_list()[0] == rows()[0]["PERSNR"]
    assert acc["home_region"].to_list()[:3] == ["01", "03", "04"]
    assert acc["surgery_date"].to_list()[0] == dt.date(2025, 1, 20)  # a .000 timestamp
    assert acc["diagnosis_date"].to_list()[0] == dt.date(2025, 1, 1)  # compact 20250101
    # "96" is unknown, "2" (Ej nödvändigt) false, a blank checkbox false
    assert acc["resection_margin"].to_list()[:4] == ["R0", "R1", None, None]
    assert acc["national_mdk"].to_list()[:6] == [True, False, True, True, False, False]
    assert acc["postop_hypocortisolism"].to_list()[:2] == [False, True]
    cols = t.columns
    assert (cols["case_id"], cols["referral_date"]) == ("R77T201_ID", "a_rem_dat")


def _workbook(path: Path, sheets: dict[str, list[list[str]]], hidden: tuple[str, ...] = ()):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, body in sheets.items():
        ws = wb.create_sheet(name)
        for r in body:
            ws.append(r)
        if name in hidden:
            ws.sheet_state = "hidden"
    wb.save(path)
    return path


ANAL_CASES = [
    ["PAT_ID", "REG_ID", "SjukhusKod", "KON_VALUE", "remissdatum"],
    ["P1", "C1", "11001", "1", "2025-01-03"],
    ["P2", "C2", "11001", "2", "2025-02-03"],
]
EPISODES = [
    ["vtf_id", "REG_ID", "besoksdatum"],
    ["E1", "C1", "2025-01-10"],
    ["E2", "C9", "2025-01-11"],
]
PREM = [["svar_id", "SjukhusKod", "svarsdatum", "fraga1"], ["R1", "11001", "2025-03-01", "5"]]


def test_a_workbook_with_one_sheet_per_table_is_the_whole_export(tmp_path: Path) -> None:
    book = _workbook(tmp_path / "anal.xlsx", {"cases": ANAL_CASES, "episodes": EPISODES,
                                               "prem": PREM})  # fmt: skip
    r = validate_export("anal", {"cases": book}, EXTRACT)
    assert list(r.tables) == ["cases", "episodes", "prem"]
    assert [r.table(n).sheet for n in r.tables] == ["cases", "episodes", "prem"]
    assert r.table("episodes").n_quarantined == 1  # E2's case C9 is not in the cases sheet
    assert r.table("prem").n_accepted == 1
    assert "input_note" not in set(r.findings["check"])


def test_an_extra_sheet_is_named_not_ignored_in_silence(tmp_path: Path) -> None:
    book = _workbook(
        tmp_path / "anal.xlsx",
        {"cases": ANAL_CASES, "Blad2": [["x"], ["1"]], "episodes": EPISODES, "old": [["y"]]},
        hidden=("old",),
    )
    r = validate_export("anal", {"cases": book}, EXTRACT)
    assert list(r.tables) == ["cases", "episodes"]
    notes = r.findings.filter(pl.col("check") == "input_note")["message"].to_list()
    assert len(notes) == 1 and "'Blad2'" in notes[0] and "'old'" not in notes[0]
    # a table given with --table wins over the workbook's sheet, which is then an extra sheet
    ep = tmp_path / "ep.csv"
    ep.write_text("vtf_id;REG_ID;besoksdatum\nE7;C2;2025-02-10\n", encoding="utf-8")
    r2 = validate_export("anal", {"cases": book, "episodes": ep}, EXTRACT)
    assert r2.table("episodes").path == ep and r2.table("episodes").n_accepted == 1
    notes2 = r2.findings.filter(pl.col("check") == "input_note")["message"].to_list()
    assert "'episodes'" in notes2[0] and "'Blad2'" in notes2[0]


# --- checkboxes ------------------------------------------------------------------------------


def test_true_blank_checkbox_blanks_are_unknown_and_warned_without_a_profile() -> None:
    records = [case(REG_ID=f"C{i}", hypokortisolism="True" if i < 2 else "") for i in range(5)]
    r = run(records)
    f = r.findings
    assert f.select("check", "severity", "column").rows() == [
        ("checkbox_blank", "warning", "postop_hypocortisolism")
    ]
    assert f["message"][0].startswith("3 of 5 cells blank in a True/blank column")
    assert "checkboxes:" in f["message"][0] and f["source_column"][0] == "hypokortisolism"
    assert (
        r.table("cases").accepted["postop_hypocortisolism"].to_list() == [True, True] + [None] * 3
    )


def test_a_profile_checkbox_reads_a_blank_as_false(tmp_path: Path) -> None:
    p = write_profile(tmp_path / "p.yaml", "area: acc\ncheckboxes: [postop_hypocortisolism]\n")
    records = [case(REG_ID=f"C{i}", hypokortisolism="True" if i < 2 else None) for i in range(5)]
    r = run(records, mapping=p)
    assert checks(r) == []
    assert (
        r.table("cases").accepted["postop_hypocortisolism"].to_list() == [True, True] + [False] * 3
    )


def test_a_yes_no_column_with_both_answers_is_no_checkbox() -> None:
    records = [case(REG_ID=f"C{i}", hypokortisolism=v) for i, v in enumerate(["1", "0", ""])]
    assert checks(run(records)) == []


# --- the export as a whole --------------------------------------------------------------------


def test_missing_required_columns_name_the_likeliest_export_column() -> None:
    records = [{"PERSNR": PNR_A, "R44T139_ID": "1", "a_inr_sjhkod": "11001", "KON_VALUE": "1",
                "a_rem_dat": "2025-01-03"}]  # fmt: skip
    r = run(records)
    f = r.findings.filter(pl.col("check") == "missing_required_column")
    messages = dict(zip(f["column"], f["message"], strict=True))
    assert set(messages) == {"case_id", "unit", "referral_date"}
    assert "the likeliest export column is 'a_rem_dat'" in messages["referral_date"]
    assert "'R44T139_ID'" in messages["case_id"] and "'a_inr_sjhkod'" in messages["unit"]
    assert all("`nhvmetrics map` drafts one" in m for m in messages.values())


def test_an_export_of_another_area_is_reported_as_such() -> None:
    pelvic = case(
        indikation_Varde="3",
        bedomningsdatum="2025-01-10",
        opererande_sjukhuskod="11001",
        operationsdatum="2025-02-01",
        inskrivningsdatum="2025-01-31",
        utskrivningsdatum="2025-02-10",
        reop_30d_Varde="0",
    )
    r = run([pelvic], area="acc")
    f = r.findings.filter(pl.col("check") == "other_area")
    assert f["message"].to_list() == [
        "this export looks like a pelvic export (7 of its columns are pelvic columns, 1 is an "
        "acc column); check --area"
    ]
    assert f["severity"].to_list() == ["warning"]
    assert run([pelvic], area="pelvic").findings.filter(pl.col("check") == "other_area").height == 0


def test_findings_name_the_export_column_beside_the_canonical_one(tmp_path: Path) -> None:
    export = write_csv(
        tmp_path / "acc.csv",
        [dict(rows(3)[0], op_pad_radikalitet_Varde="7", a_besok="2024-12-01")],
    )
    r = validate_export("acc", {"cases": export}, EXTRACT, mapping=write_profile(tmp_path / "p"))
    f = r.findings.filter(pl.col("row").is_not_null())
    got = sorted(zip(f["column"], f["source_column"], strict=True))
    assert got == [
        ("first_visit_date", "a_besok"),
        ("resection_margin", "op_pad_radikalitet_Varde"),
    ]


def test_the_fixture_is_shaped_like_a_register_export() -> None:
    """The shape the tests above rely on (the register's names, not our generator's)."""
    names = set(HEADER)
    assert {"PAT_ID", "PERSNR", "R77T201_ID", "op_pad_radikalitet_Varde", "u_hypokort"} <= names
    assert "patient_id" not in names and "SjukhusKod" not in names
    assert "partial: middle" in PROFILE
