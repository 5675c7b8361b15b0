"""The definition files: SPEC ids, loader checks with clear messages, list/show/check commands."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nhvmetrics.cli import app
from nhvmetrics.engine.definitions import check_files, load_definitions, load_file, parse_definition
from nhvmetrics.errors import DefinitionError, NhvError

SPEC_IDS = {
    "acc.patients",
    "acc.treatments",
    "acc.age",
    "acc.referring_region",
    "acc.visit_within_x",
    "acc.treated_within_svf",
    "acc.postop_hypocortisolism",
    "acc.nonradical_curative_surgery",
    "acc.satisfaction_followed_up",
    "acc.qol_followed_up",
    "acc.mitotane_level_1y",
    "acc.survival_1y",
    "acc.national_mdk",
    "net.patients",
    "net.treatments",
    "net.age",
    "net.sex",
    "net.referring_region",
    "net.visit_within_x",
    "net.treated_within_svf",
    "net.complications_30d",
    "net.national_mdk",
    "anal.patients",
    "anal.age",
    "anal.referral_to_treatment_days",
    "anal.complete_remission_6m",
    "anal.rt_duration_days",
    "anal.prem",
    "anal.written_care_plan",
    "anal.national_mdk",
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
    "pelvic.age",
    "pelvic.sex",
    "pelvic.home_region",
    "pelvic.national_mdk",
}

runner = CliRunner()

GOOD = """\
id: acc.example_share
version: 1
title: {sv: Exempel, en: Example}
source: {document: 000_322ab7d43b14cd0e.txt, section: Uppföljning och utvärdering}
type: proportion
period: {date: referral_date}
params: {x_days: 14}
numerator: days(referral_date, first_visit_date) <= x_days
stratifiers: [sex]
tests:
  - name: one in time
    year: 2024
    extract_date: 2025-01-31
    rows:
      - {case_id: a, unit: "01", referral_date: 2024-01-01, first_visit_date: 2024-01-02}
    expect: {numerator: 1, denominator: 1, value: 1}
"""


def _write(tmp_path: Path, text: str, name: str = "example_share.yaml", area: str = "acc") -> Path:
    folder = tmp_path / area
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def test_every_spec_id_is_defined_once():
    defs = load_definitions()
    ids = [d.id for d in defs]
    assert len(ids) == len(set(ids))
    assert SPEC_IDS <= set(ids), SPEC_IDS - set(ids)
    for area in ("acc", "net", "anal", "pelvic"):
        assert f"{area}.national_mdk" in ids


def test_definitions_carry_the_required_metadata():
    for d in load_definitions():
        assert d.version and d.title_sv and d.title_en
        assert d.source_document.startswith(("000_", "001_", "002_", "003_", "004_")), d.id
        assert d.source_section
        assert d.type in (
            "count",
            "proportion",
            "duration",
            "median",
            "distribution",
            "survival",
            "prem",
        )
        assert d.path is not None and d.path.stem == d.name


def test_offsets_from_the_seeds():
    defs = {d.id: d for d in load_definitions()}
    assert defs["anal.complete_remission_6m"].period_offset_years == 2
    assert defs["acc.mitotane_level_1y"].period_offset_years == 1
    assert defs["acc.survival_1y"].period_offset_years == 1
    assert defs["acc.visit_within_x"].params["x_days"] == 14
    assert defs["net.visit_within_x"].params["x_days"] == 28
    assert defs["anal.referral_to_treatment_days"].params["x_days"] == 17
    assert defs["pelvic.referral_to_treatment_days"].params["x_days"] == 42


def test_load_by_area():
    assert {d.area for d in load_definitions("net")} == {"net"}
    with pytest.raises(NhvError, match="unknown area 'lung'") as err:
        load_definitions("lung")
    assert err.value.exit_code == 2  # a usage error: no such area, nothing to validate


def test_good_file_loads(tmp_path):
    d = load_file(_write(tmp_path, GOOD))
    assert d.id == "acc.example_share" and d.params == {"x_days": 14}
    assert d.required_columns == {"unit", "referral_date", "first_visit_date"}


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "numerator: days(referral_date, first_visit_date) <= x_days",
            "numerator: days(referal_date, first_visit_date) <= 3",
            "numerator: unknown column or parameter 'referal_date'",
        ),
        (
            "numerator: days(referral_date, first_visit_date) <= x_days",
            "numerator: days(referral_date) <= 3",
            "numerator: wrong number of arguments",
        ),
        (
            "numerator: days(referral_date, first_visit_date) <= x_days",
            'numerator: "import os"',
            "numerator: cannot parse",
        ),
        (
            "numerator: days(referral_date, first_visit_date) <= x_days",
            "numerator: __import__('os')",
            "unknown function",
        ),
        (
            "numerator: days(referral_date, first_visit_date) <= x_days",
            "numerator: first_visit_date.year",
            "not allowed",
        ),
        ("type: proportion", "type: ratio", "type 'ratio' is not one of"),
        ("version: 1\n", "", "missing required field 'version'"),
        ("title: {sv: Exempel, en: Example}", "title: {sv: Exempel}", "title needs both 'sv'"),
        ("stratifiers: [sex]", "stratifiers: [gender]", "stratifiers: unknown column 'gender'"),
        (
            "period: {date: referral_date}",
            "period: {date: sex}",
            "period.date 'sex' is not a date column",
        ),
        ("stratifiers: [sex]", "stratifiers: [sex]\nnumeratr: x", "unknown field 'numeratr'"),
        (
            "stratifiers: [sex]",
            "stratifiers: [sex]\nvalue: days(referral_date, first_visit_date)",
            "'value' is only used by type distribution, duration or median.",
        ),
        ("id: acc.example_share", "id: lung.example_share", "unknown area 'lung'"),
        ("id: acc.example_share", "id: acc.other_name", "the file name must be the indicator name"),
        (
            "rows:\n      - {case_id: a,",
            "rows:\n      - {cse_id: a,",
            "row 1: unknown column 'cse_id'",
        ),
        (
            "source: {document: 000_322ab7d43b14cd0e.txt, section: Uppföljning och utvärdering}",
            "source: {document: x.txt}",
            "source needs 'document'",
        ),
        (
            "params: {x_days: 14}",
            "params: {x_days: [1, 2]}",
            "parameter 'x_days' must default to a number",
        ),
    ],
)
def test_loader_names_the_file_and_the_problem(tmp_path, old, new, message):
    text = textwrap.dedent(GOOD)
    assert old in text
    p = _write(tmp_path, text.replace(old, new))
    with pytest.raises(DefinitionError) as err:
        load_file(p)
    assert str(p) in str(err.value)
    assert message in str(err.value)


def test_bad_yaml_and_duplicate_ids(tmp_path):
    p = _write(tmp_path, "id: [unclosed\n", name="broken.yaml")
    with pytest.raises(DefinitionError, match="not valid YAML"):
        load_file(p)
    p.unlink()
    _write(tmp_path, GOOD)
    _write(tmp_path / "copy", GOOD)
    with pytest.raises(DefinitionError, match="duplicate indicator id 'acc.example_share'"):
        load_definitions(paths=[tmp_path])
    defs, findings = check_files([tmp_path])
    assert len(defs) == 1 and any("duplicate" in f for f in findings)


def test_sql_spellings_are_accepted(tmp_path):
    text = textwrap.dedent(GOOD).replace(
        "numerator: days(referral_date, first_visit_date) <= x_days",
        "numerator: first_visit_date IS NOT NULL AND days(referral_date, first_visit_date)"
        " <= x_days OR sex = 'K'",
    )
    d = load_file(_write(tmp_path, text))
    assert d.spec.numerator.columns == {"first_visit_date", "referral_date", "sex"}


def test_cli_list_and_show():
    r = runner.invoke(app, ["indicators", "list"])
    assert r.exit_code == 0, r.output
    assert "acc.visit_within_x" in r.output and "proportion" in r.output and "pelvic.r0" in r.output
    r = runner.invoke(app, ["indicators", "list", "--area", "anal"])
    assert "anal.prem" in r.output and "acc." not in r.output
    r = runner.invoke(app, ["indicators", "show", "anal.complete_remission_6m"])
    assert r.exit_code == 0, r.output
    for text in (
        "Y-2",
        "response_6m == 'complete'",
        "002_141c9ddd427b4d0d.txt",
        "komplett remission",
    ):
        assert text in r.output
    r = runner.invoke(app, ["indicators", "show", "acc.nothing"])
    assert r.exit_code != 0


def test_cli_check_shipped_ok():
    r = runner.invoke(app, ["indicators", "check"])
    assert r.exit_code == 0, r.output
    assert "44 definitions" in r.output and ": ok" in r.output


def test_cli_check_reports_findings(tmp_path):
    good = _write(tmp_path, GOOD)
    r = runner.invoke(app, ["indicators", "check", str(good)])
    assert r.exit_code == 0, r.output
    wrong = textwrap.dedent(GOOD).replace(
        "expect: {numerator: 1, denominator: 1, value: 1}",
        "expect: {numerator: 0, denominator: 1, value: 1}",
    )
    _write(
        tmp_path,
        wrong.replace("id: acc.example_share", "id: acc.wrong_case"),
        name="wrong_case.yaml",
    )
    bad_expr = (
        textwrap.dedent(GOOD)
        .replace("id: acc.example_share", "id: acc.bad_expr")
        .replace("<= x_days", "<= y_days")
    )
    _write(tmp_path, bad_expr, name="bad_expr.yaml")
    r = runner.invoke(app, ["indicators", "check", str(tmp_path)])
    assert r.exit_code == 1
    assert "numerator is 1, expected 0" in r.output
    assert "bad_expr.yaml: numerator: unknown column or parameter 'y_days'" in r.output
    r = runner.invoke(app, ["indicators", "check", str(tmp_path / "nowhere")])
    assert r.exit_code == 1 and "no such definition file" in r.output


@pytest.mark.parametrize(
    "encoding, line", [("cp1252", 3), ("utf-16", 1)], ids=["windows-1252", "utf-16"]
)
def test_a_definition_file_that_is_not_utf8_is_one_finding(tmp_path, encoding, line):
    """Saved by Notepad or Word as Windows-1252 or UTF-16: one sentence naming the line (it was
    a UnicodeDecodeError traceback)."""
    text = "# a region's own indicator\n# written in Notepad\n# Ålder och väntetid\n"
    p = tmp_path / "latin.yaml"
    p.write_bytes((text + textwrap.dedent(GOOD)).encode(encoding))
    with pytest.raises(DefinitionError) as err:
        load_file(p)
    message = str(err.value)
    assert f"{p}: not UTF-8 text" in message and f"on line {line}" in message
    assert "save the file as UTF-8" in message
    r = runner.invoke(app, ["indicators", "check", str(p)])
    assert r.exit_code == 1 and "not UTF-8 text" in r.output
    assert "Traceback" not in r.output and isinstance(r.exception, SystemExit)


def test_every_definition_records_its_origin_and_path(tmp_path):
    shipped = load_definitions()
    assert {d.origin for d in shipped} == {"shipped"} and not any(d.is_own for d in shipped)
    assert all(d.path is not None and d.path.is_file() for d in shipped)
    own = load_file(_write(tmp_path, GOOD))
    assert (own.origin, own.is_own, own.replaces) == ("own", True, None)
    assert own.path == tmp_path / "acc" / "example_share.yaml"
    import yaml

    assert parse_definition(yaml.safe_load(textwrap.dedent(GOOD))).origin == "own"


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("replaces: acc.other_share", "replaces 'acc.other_share' must be the file's own id"),
        ("replaces: [acc.example_share]", "must be the file's own id 'acc.example_share'"),
        ("replace: acc.example_share", "unknown field 'replace'"),
    ],
)
def test_replaces_is_the_files_own_id(tmp_path, line, fragment):
    p = _write(tmp_path, f"{line}\n{textwrap.dedent(GOOD)}")
    with pytest.raises(DefinitionError) as err:
        load_file(p)
    assert str(err.value).startswith(f"{p}: ") and fragment in str(err.value)
    ok = load_file(_write(tmp_path, f"replaces: acc.example_share\n{textwrap.dedent(GOOD)}"))
    assert ok.replaces == "acc.example_share"


def test_load_definitions_takes_an_area_folder(tmp_path):
    from tests.fixtures.areas import write_lung_area

    folder = write_lung_area(tmp_path / "lung")
    assert [d.id for d in load_definitions(folder)] == ["lung.r0", "lung.treated_within_x"]
    assert [d.id for d in load_definitions(str(folder), paths=[folder / "indicators"])] == [
        "lung.r0",
        "lung.treated_within_x",
    ]
