"""Mapping profiles (nhvmetrics.schema.mapping): the SPEC §2a format loads, every unusable profile
is one sentence naming the file and the key (exit 2), a profile changes only what it names, and
validation's hint (``rank_candidates``) finds register columns."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from nhvmetrics.errors import EXIT_USAGE
from nhvmetrics.schema.draft import rank_candidates
from nhvmetrics.schema.mapping import (
    CONTRACT_KEYS,
    MappingProfile,
    ProfileError,
    load_profile,
)
from nhvmetrics.schema.model import ColumnSpec, load_schema
from nhvmetrics.schema.validate import validate_frames
from tests.fixtures.cli import run_cli
from tests.fixtures.inca_export import HEADER, PROFILE, write_csv

# the example of SPEC §2a, word for word
SPEC_EXAMPLE = """\
area: acc                                # the area the profile is for
columns:                                 # canonical column: export column, or a priority list
  patient_id: [PERSNR, PNR, PAT_ID]      #   (the first present and non-empty in a row wins)
  case_id: R77T201_ID
  unit: a_inr_sjhkod
  referral_date: a_rem_dat
  resection_margin: op_pad_radikalitet_Varde
values:                                  # per canonical column: export code -> canonical code or null
  resection_margin: {"1": R0, "2": R1, "3": R2, "4": RX, "96": null}
checkboxes: [postop_hypocortisolism]     # exported as True/blank, and a blank means false
unknown_codes: ["96", "98", "99"]        # read as unknown in every coded column (default)
dates:
  formats: ["%Y-%m-%d", "%Y%m%d"]        # accepted forms, tried in order (default: ISO only)
  partial: unknown                       # a date with day or month 00: unknown | first | middle
"""  # noqa: E501 - the SPEC's own lines


def _profile(tmp_path: Path, text: str, name: str = "profile.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_the_spec_example_loads(tmp_path: Path) -> None:
    p = _profile(tmp_path, SPEC_EXAMPLE)
    prof = load_profile(p, load_schema("acc"))
    assert isinstance(prof, MappingProfile)
    assert prof.area == "acc" and prof.name == "profile.yaml" and len(prof.sha256) == 64
    assert prof.columns["patient_id"] == ("PERSNR", "PNR", "PAT_ID")
    assert prof.columns["case_id"] == ("R77T201_ID",)
    assert prof.values["resection_margin"] == {
        "1": "R0",
        "2": "R1",
        "3": "R2",
        "4": "RX",
        "96": None,
    }
    assert prof.checkboxes == ("postop_hypocortisolism",)
    assert prof.unknown_codes == ("96", "98", "99")
    assert prof.date_formats == ("%Y-%m-%d", "%Y%m%d") and prof.partial == "unknown"


def test_the_fixture_profile_loads_and_numbers_stay_text(tmp_path: Path) -> None:
    # YAML would read 05101 as the octal number 2625: a profile keeps what is written
    p = _profile(tmp_path, PROFILE + "units: [05101, 11001, 51001, 64001]\n")
    prof = load_profile(p, load_schema("acc"))
    assert prof.units == ("05101", "11001", "51001", "64001")
    assert prof.values["national_mdk"] == {"1": "true", "0": "false", "2": "false"}


@pytest.mark.parametrize(
    "text, key, fragment",
    [
        ("area: acc\ncolums: {case_id: X}\n", "colums", "not a key of a mapping profile"),
        ("columns: {case_id: X}\n", "area", "missing"),
        ("area: pelvic\n", "area", "the profile is for 'pelvic'"),
        ("area: acc\ncolumns: {caseid: X}\n", "columns.caseid", "not a canonical column"),
        ("area: acc\ncolumns: {case_id: [X, [Y]]}\n", "columns.case_id", "export column name"),
        ("area: acc\ncolumns: {case_id: X, unit: x}\n", "columns.unit", "already given for"),
        ("area: acc\ncolumns: [case_id]\n", "columns", "must map canonical columns"),
        (
            'area: acc\nvalues: {resection_margin: {"1": R5}}\n',
            "values.resection_margin",
            "maps onto 'R5', which is not a code of resection_margin",
        ),
        ('area: acc\nvalues: {sex: {"1": Man}}\n', "values.sex", "not a code of sex"),
        (
            'area: acc\nvalues: {national_mdk: {"2": "nej"}}\n',
            "values.national_mdk",
            "map codes to true, false or null",
        ),
        (
            'area: acc\nvalues: {surgery_date: {"1": x}}\n',
            "values.surgery_date",
            "has no code list",
        ),
        ('area: acc\nvalues: {no_such: {"1": x}}\n', "values.no_such", "not a canonical column"),
        ("area: acc\nvalues: {resection_margin: {yes: R0}}\n", "values.resection_margin", "quotes"),
        ("area: acc\ncheckboxes: [surgery_date]\n", "checkboxes", "not a yes/no column"),
        ("area: acc\ncheckboxes: [kryssruta]\n", "checkboxes", "not a canonical column"),
        ("area: acc\nunknown_codes: 96\n", "unknown_codes", "list of codes"),
        ("area: acc\ndates: {formats: ['%d/%m/%y']}\n", "dates.formats", "uses %y"),
        ("area: acc\ndates: {formats: ['%Y-%m']}\n", "dates.formats", "needs a year, a month"),
        ("area: acc\ndates: {partial: late}\n", "dates.partial", "must be one of unknown"),
        ("area: acc\ndates: {format: ['%Y%m%d']}\n", "dates.format", "not a key of dates"),
        ("area: acc\nunits: []\n", "units", "an empty list"),
        ("area: acc\ntables: {episodes: {columns: {}}}\n", "tables.episodes", "no such table"),
        ("area: acc\ndescription: [x]\n", "description", "must be text"),
    ],
)
def test_an_unusable_profile_is_one_sentence_naming_file_and_key(
    tmp_path: Path, text: str, key: str, fragment: str
) -> None:
    p = _profile(tmp_path, text)
    with pytest.raises(ProfileError) as exc:
        load_profile(p, load_schema("acc"))
    msg = str(exc.value)
    assert exc.value.exit_code == EXIT_USAGE
    assert msg.startswith(f"{p}: key '{key}': ") and fragment in msg, msg
    assert "\n" not in msg and msg.endswith(".")


@pytest.mark.parametrize(
    "content, fragment",
    [
        (None, "does not exist"),
        (b"area: acc\ncolumns: {case_id: [\n", "not valid YAML"),
        (b"- area\n- acc\n", "a mapping profile is a YAML mapping"),
        ("area: acc\n# Malmö\n".encode("cp1252"), "not UTF-8 text"),
    ],
)
def test_an_unreadable_profile_is_one_sentence(tmp_path: Path, content, fragment: str) -> None:
    p = tmp_path / "p.yaml"
    if content is not None:
        p.write_bytes(content)
    with pytest.raises(ProfileError) as exc:
        load_profile(p, load_schema("acc"))
    assert fragment in str(exc.value) and "\n" not in str(exc.value)


def test_a_bad_profile_on_the_command_line_exits_2_in_one_line(tmp_path: Path, capsys) -> None:
    export = write_csv(tmp_path / "acc.csv")
    bad = _profile(tmp_path, "area: acc\ncolumns: {caseid: R77T201_ID}\n")
    for command in ("validate", "convert", "compute", "report"):
        out = {"convert": "o.parquet", "compute": "o.csv", "report": "o.html"}.get(command)
        args = [command, export, "--area", "acc", "--mapping", bad]
        if out:
            args += ["-o", tmp_path / out]
        if command in ("compute", "report"):
            args += ["--year", "2025"]
        code, stdout, err = run_cli(args, capsys)
        lines = err.strip().splitlines()
        assert code == 2 and len(lines) == 1, (command, err)
        assert lines[0].startswith("error: ") and "key 'columns.caseid'" in lines[0]
        assert str(bad) in lines[0]
        assert not (tmp_path / (out or "none")).exists()


def test_a_profile_changes_only_what_it_names(tmp_path: Path) -> None:
    """The export names a profile gives replace the built-in aliases of those columns (a
    built-in alias beside them is an unknown column); columns it does not name keep theirs."""
    p = _profile(tmp_path, "area: acc\ncolumns: {unit: a_inr_sjhkod}\n")
    frame = pl.DataFrame(
        {
            "PAT_ID": ["P1"],
            "REG_ID": ["C1"],
            "a_inr_sjhkod": ["11001"],
            "SjukhusKod": ["99999"],  # the built-in alias of unit: not read any more
            "KON_VALUE": ["2"],
            "remissdatum": ["2025-01-03"],
        }
    )
    r = validate_frames("acc", {"cases": frame}, dt.date(2025, 12, 31), mapping=p)
    t = r.table("cases")
    assert t.accepted["unit"].to_list() == ["11001"]
    assert t.columns["unit"] == "a_inr_sjhkod" and t.columns["case_id"] == "REG_ID"
    assert t.unknown_columns == ["SjukhusKod"]
    assert r.profile is not None and r.profile.name == "profile.yaml"


def test_a_column_the_profile_names_that_the_export_lacks_is_said(tmp_path: Path) -> None:
    p = _profile(tmp_path, "area: acc\ncolumns: {unit: a_inr_sjhkod, surgery_date: op_kir_dat}\n")
    frame = pl.DataFrame(
        {"PAT_ID": ["P1"], "REG_ID": ["C1"], "KON_VALUE": ["2"], "remissdatum": ["2025-01-03"]}
    )
    r = validate_frames("acc", {"cases": frame}, dt.date(2025, 12, 31), mapping=p)
    f = {row["column"]: row for row in r.findings.iter_rows(named=True)}
    assert f["unit"]["check"] == "missing_required_column"
    assert "the mapping profile gives 'a_inr_sjhkod' for it" in f["unit"]["message"]
    assert f["surgery_date"]["check"] == "mapping_note"
    assert f["surgery_date"]["severity"] == "warning"
    assert "'op_kir_dat'" in f["surgery_date"]["message"]


def test_the_contract_keys_are_those_of_the_spec() -> None:
    assert CONTRACT_KEYS == ("area", "columns", "values", "checkboxes", "unknown_codes", "dates")


# --- the likeliest export column (validate's hint, rank_candidates) ---------------------------


def _likeliest(column: str, columns: list[str], spec: ColumnSpec | None = None) -> str | None:
    ranked = rank_candidates(spec if spec is not None else column, columns, limit=1)
    return ranked[0].column if ranked else None


@pytest.mark.parametrize(
    "column, expected",
    [
        ("referral_date", "a_rem_dat"),
        ("first_visit_date", "a_besok"),
        ("diagnosis_date", "a_diadat"),
        ("surgery_date", "op_kir_dat"),
        ("unit", "a_inr_sjhkod"),
        ("case_id", "R77T201_ID"),
        ("resection_margin", "op_pad_radikalitet_Varde"),
        ("national_mdk", "a_multkonf_Varde"),
        ("sex", None),  # KON_VALUE is the built-in name: not among the unmapped columns
    ],
)
def test_the_likeliest_column_finds_the_register_column(column: str, expected: str | None) -> None:
    spec = load_schema("acc").table("cases").columns[column]
    unmapped = [
        c for c in HEADER if c not in ("KON_VALUE", "PAT_ID", "PERSNR", "FODELSEDATUM", "LAN_VALUE")
    ]
    assert _likeliest(column, unmapped, spec) == expected


def test_the_likeliest_column_prefers_a_date_for_a_date_and_gives_none_for_noise() -> None:
    assert _likeliest("surgery_date", ["op_syfte_Varde", "op_kir_dat"]) == "op_kir_dat"
    assert _likeliest("surgery_intent", ["op_kir_dat", "op_syfte_Varde"]) == "op_syfte_Varde"
    assert _likeliest("referral_date", ["favourite_colour", "x", "LOPNR"]) is None
    assert _likeliest("referral_date", []) is None
