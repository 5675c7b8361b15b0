"""Cell-level validation (SPEC §2 [v2]): only a row that cannot be trusted as a case is
quarantined — a required column unusable, its identity in doubt, its period date impossible —;
any other bad value is a warning, that one cell is unknown, the row stays, and the indicators
that need the cell count the case in ``n_missing``. Each rule and column check says which it
does (``on_fail`` in the schema files)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import polars as pl
import pytest

from nhvmetrics.areas import resolve_area, shipped_common_path
from nhvmetrics.errors import DefinitionError
from nhvmetrics.personnummer import luhn_digit
from nhvmetrics.schema.model import load_schema, load_schema_files
from nhvmetrics.schema.validate import validate_frames

EXTRACT = dt.date(2025, 12, 31)
PNR = "19500101-238" + luhn_digit("500101238")


def case(**over: str | None) -> dict[str, str | None]:
    row: dict[str, str | None] = {
        "PAT_ID": PNR,
        "REG_ID": "C1",
        "SjukhusKod": "11001",
        "KON_VALUE": "2",
        "FODELSEDATUM": "1950-01-01",
        "remissdatum": "2025-01-03",
        "forsta_besoksdatum": "2025-01-10",
        "behandlingsstart": "2025-01-25",
        "operationsdatum": "2025-02-01",
        "AVLIDDAT": None,
        "VITALSTATUSDATUM": "2025-06-01",
    }
    row.update(over)
    return row


def run(over: dict[str, str | None], area: str = "acc"):
    rows = [case(**over), case(REG_ID="C2")]
    frame = pl.DataFrame(rows, schema={k: pl.String for k in rows[0]})
    return validate_frames(area, {"cases": frame}, EXTRACT)


# (what is wrong, the finding, the column it names, quarantined?) — one line per rule and
# column check; "unknown" means the row is kept with that one cell read as unknown
CASES = [
    # required columns: the row cannot be used
    ({"KON_VALUE": "3"}, "invalid_code", "sex", "quarantine"),
    ({"remissdatum": "2025-02-30"}, "wrong_type", "referral_date", "quarantine"),
    ({"remissdatum": "2026-03-01"}, "future_date", "referral_date", "quarantine"),
    ({"remissdatum": "1949-12-01"}, "before_birth", "referral_date", "quarantine"),
    ({"SjukhusKod": "11 001"}, "invalid_code", "unit", "quarantine"),
    ({"REG_ID": None}, "missing_value", "case_id", "quarantine"),
    ({"REG_ID": "C1\u200b"}, "control_character", "case_id", "quarantine"),
    # the identity in doubt
    (
        {"PAT_ID": PNR[:-1] + str((int(PNR[-1]) + 1) % 10)},
        "invalid_personnummer",
        "patient_id",
        "quarantine",
    ),  # fmt: skip
    ({"REG_ID": "C2"}, "duplicate_id", "case_id", "quarantine"),
    # any other column: that cell is unknown, the row stays
    ({"operationsdatum": "2025-02-30"}, "wrong_type", "surgery_date", "unknown"),
    ({"operationsdatum": "2026-02-01"}, "future_date", "surgery_date", "unknown"),
    ({"VITALSTATUSDATUM": "2026-01-15"}, "future_date", "vital_status_date", "unknown"),
    ({"operationsdatum": "1949-06-01"}, "before_birth", "surgery_date", "unknown"),
    ({"AVLIDDAT": "2025-01-20"}, "after_death", "operationsdatum", "unknown"),
    ({"forsta_besoksdatum": "2025-01-02"}, "date_order", "first_visit_date", "unknown"),
    ({"behandlingsstart": "2025-01-01"}, "date_order", "treatment_start_date", "unknown"),
    ({"FODELSEDATUM": "1900-01-01"}, "implausible_age", "birth_date", "unknown"),
    ({"radikalitet_Varde": "R9"}, "invalid_code", "resection_margin", "unknown"),
    ({"nationell_mdk_Varde": "2"}, "invalid_code", "national_mdk", "unknown"),
    ({"nationell_mdk_Varde": "kanske"}, "wrong_type", "national_mdk", "unknown"),
    ({"mitotan_1ar": "250"}, "out_of_range", "mitotane_level_1y", "unknown"),
    ({"mitotan_1ar": "hög"}, "wrong_type", "mitotane_level_1y", "unknown"),
    ({"behandlingstyp_Varde": PNR}, "personnummer_in_wrong_column", "treatment_type", "unknown"),
    ({"behandlingstyp_Varde": "K\u200b"}, "control_character", "treatment_type", "unknown"),
    ({"LAN_VALUE": "02"}, "invalid_code", "home_region", "unknown"),
    ({"diagnosdatum": "2025-01-00"}, "partial_date", "diagnosis_date", "unknown"),
]


@pytest.mark.parametrize("over, check, column, outcome", CASES, ids=lambda v: str(v)[:40])
def test_each_check_quarantines_or_reads_the_cell_as_unknown(
    over: dict[str, str | None], check: str, column: str, outcome: str
) -> None:
    if column == "operationsdatum":  # after_death names the date after death: surgery_date
        column = "surgery_date"
    r = run(over)
    t = r.table("cases")
    f = r.findings.filter((pl.col("check") == check) & (pl.col("column") == column))
    assert f.height >= 1, r.findings
    if outcome == "quarantine":
        assert set(f["severity"]) == {"error"}
        assert 2 in t.quarantined["_row"].cast(pl.Int64).to_list()
    else:
        assert set(f["severity"]) == {"warning"}
        assert f["message"].str.ends_with("read as unknown").all()
        assert t.n_quarantined == 0 and t.n_accepted == 2
        first = t.accepted.filter(pl.col("_row") == 2)
        assert first[column].to_list() == [None]  # that one cell is unknown
        assert t.unknown_cells.get(column) == 1
        assert not r.has_errors


def test_the_other_cells_of_the_row_stay() -> None:
    r = run({"radikalitet_Varde": "R9", "mitotan_1ar": "250"})
    row = r.table("cases").accepted.row(0, named=True)
    assert row["resection_margin"] is None and row["mitotane_level_1y"] is None
    assert row["surgery_date"] == dt.date(2025, 2, 1) and row["sex"] == "K"
    assert r.table("cases").unknown_cells == {"resection_margin": 1, "mitotane_level_1y": 1}


def test_an_orphan_episode_is_quarantined() -> None:
    cases = pl.DataFrame([case()], schema={k: pl.String for k in case()})
    ep = pl.DataFrame({"vtf_id": ["E1"], "REG_ID": ["C9"], "besoksdatum": ["2025-01-10"]})
    r = validate_frames("anal", {"cases": cases, "episodes": ep}, EXTRACT)
    assert r.findings.filter(pl.col("check") == "orphan_row")["severity"].to_list() == ["error"]
    assert r.table("episodes").n_quarantined == 1


def test_a_cell_read_as_unknown_counts_the_case_missing_in_the_indicator(tmp_path: Path) -> None:
    import nhvmetrics

    header = (
        "PAT_ID;REG_ID;SjukhusKod;KON_VALUE;remissdatum;operationsdatum;op_syfte_Varde;"
        "radikalitet_Varde"
    )
    lines = [header]
    for i, margin in enumerate(["1", "2", "R9", "1", "3", "1"]):
        lines.append(f"P{i};C{i};11001;{1 + i % 2};2025-01-03;2025-02-0{i + 1};1;{margin}")
    export = tmp_path / "acc.csv"
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    computed = nhvmetrics.compute(export, area="acc", year=2025, extract_date="2025-12-31")
    row = computed.table.filter(
        (pl.col("indicator_id") == "acc.nonradical_curative_surgery")
        & (pl.col("unit") == "ALL")
        & (pl.col("stratum") == "all")
        & (pl.col("period") == 2025)
    ).row(0, named=True)
    # R9 is no margin: that case is in n_missing, not left out and not a wrong count
    assert (row["numerator"], row["denominator"], row["n_missing"]) == (2, 5, 1)
    assert computed.validated.quarantined == 0


# --- the schema says which: on_fail -----------------------------------------------------------


def _schema(tmp_path: Path, old: str, new: str, file: str = "acc.yaml"):
    shutil.copy(shipped_common_path(), tmp_path / "common.yaml")
    shutil.copy(resolve_area("acc").schema_path, tmp_path / "acc.yaml")
    target = tmp_path / file
    text = target.read_text(encoding="utf-8")
    assert old in text
    target.write_text(text.replace(old, new), encoding="utf-8")
    return load_schema_files(tmp_path / "common.yaml", tmp_path / "acc.yaml")


def _validate_with(schema, over):
    rows = [case(**over), case(REG_ID="C2")]
    frame = pl.DataFrame(rows, schema={k: pl.String for k in rows[0]})
    return validate_frames(schema, {"cases": frame}, EXTRACT)  # a region's own schema


def test_every_shipped_rule_and_required_column_says_what_it_does() -> None:
    for area in ("acc", "net", "anal", "pelvic"):
        for table in load_schema(area).tables.values():
            for rule in table.rules:
                assert rule.on_fail in ("unknown", "quarantine")
            for col in table.columns.values():
                assert col.quarantines == col.required or col.on_fail == "quarantine"
    text = shipped_common_path().read_text(encoding="utf-8")
    assert text.count("on_fail: unknown}") == 5  # every common rule says it


def test_a_column_on_fail_quarantine_quarantines(tmp_path: Path) -> None:
    schema = _schema(
        tmp_path,
        "        range: [0, 100]\n",
        "        range: [0, 100]\n        on_fail: quarantine\n",
    )
    r = _validate_with(schema, {"mitotan_1ar": "250"})
    assert r.findings["severity"].to_list() == ["error"] and r.table("cases").n_quarantined == 1


def test_a_rule_on_fail_quarantine_quarantines(tmp_path: Path) -> None:
    schema = _schema(
        tmp_path,
        "after: first_visit_date, on_fail: unknown}",
        "after: first_visit_date, on_fail: quarantine}",
        file="common.yaml",
    )
    r = _validate_with(schema, {"forsta_besoksdatum": "2025-01-02"})
    assert r.findings.select("check", "severity").rows() == [("date_order", "error")]
    assert r.table("cases").n_quarantined == 1


@pytest.mark.parametrize(
    "old, new, file, fragment",
    [
        ("    type: date\n    aliases: [remissdatum", "    type: date\n    on_fail: unknown\n"
         "    aliases: [remissdatum", "common.yaml", "is required, so a value that fails"),
        ("        range: [0, 100]\n", "        range: [0, 100]\n        on_fail: later\n",
         "acc.yaml", "has on_fail 'later'"),
        ("oncology_start_date, severity: warning}",
         "oncology_start_date, severity: warning, on_fail: unknown}", "acc.yaml",
         "is a warning, which keeps the row"),
        ("after: first_visit_date, on_fail: unknown}", "after: first_visit_date, on_fail: drop}",
         "common.yaml", "has on_fail 'drop'"),
        ("    priority: [persnr,", "    priority: [ssn, persnr,", "common.yaml",
         "priority names 'ssn', which is not one of its aliases"),
        ('    pattern: "^[0-9]{5,6}$"', '    pattern: "^[0-9{5,6}$"', "common.yaml",
         "pattern is not a regular expression"),
    ],
)  # fmt: skip
def test_a_wrong_on_fail_pattern_or_priority_is_a_schema_error(
    tmp_path: Path, old: str, new: str, file: str, fragment: str
) -> None:
    with pytest.raises(DefinitionError) as exc:
        _schema(tmp_path, old, new, file=file)
    assert file in str(exc.value) and fragment in str(exc.value), str(exc.value)
