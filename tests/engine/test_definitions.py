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
    # [v2] SKL 2013 measures for every area
    *(
        f"{a}.{m}"
        for a in ("acc", "net", "anal", "pelvic")
        for m in ("referral_to_mdk_days", "registry_coverage")
    ),
}

runner = CliRunner()

GOOD = """\
id: acc.example_share
version: 1
title: {sv: Exempel, en: Example}
source: {document: 000_322ab7d43b14cd0e.txt, section: Uppföljning och utvärdering}
type: proportion
period: {date: referral_date}
params:
  x_days: {default: 14, source: {local: the seed names no number}}
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
            "coverage",
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
            "x_days: {default: 14,",
            "x_days: {default: [1, 2],",
            "parameter 'x_days' must default to a number",
        ),
        # [v2] every parameter and target level says where it comes from
        (
            "x_days: {default: 14, source: {local: the seed names no number}}",
            "x_days: 14",
            "parameter 'x_days' needs a default and a source: write x_days: {default: 14, "
            "source: {local: <why this value>}}",
        ),
        (
            "x_days: {default: 14, source: {local: the seed names no number}}",
            "x_days: {default: 14}",
            "parameter 'x_days' needs a 'source' mapping with one of seed:",
        ),
        (
            "source: {local: the seed names no number}",
            "source: {guess: 'why not'}",
            "parameter 'x_days' source: unknown key 'guess'; write one of seed: '<quote>', "
            "register: '<target>', local: '<why>' or region: '<who decided>'.",
        ),
        (
            "source: {local: the seed names no number}",
            "source: {seed: '', local: x}",
            "parameter 'x_days' source: exactly one kind of source",
        ),
        (
            "source: {local: the seed names no number}",
            "source: {local: x, quote: y}",
            "'quote' goes with 'register'",
        ),
        (
            "stratifiers: [sex]",
            "stratifiers: [sex]\ntargets: {intermediate: 0.8, high: 0.9}",
            "targets needs a 'source' mapping",
        ),
        (
            "stratifiers: [sex]",
            "stratifiers: [sex]\ntargets: {direction: lower, source: {local: x}}",
            "targets.source goes with target levels",
        ),
        (
            "title: {sv: Exempel, en: Example}",
            "title: {sv: Inom X dygn, en: Within X days}",
            "title.sv says a bare 'X': write the parameter as a placeholder such as {x_days}",
        ),
        (
            "title: {sv: Exempel, en: Example}",
            "title: {sv: 'Inom {y_days} dygn', en: 'Within {x_days} days'}",
            "title.sv: '{y_days}' is not a parameter of this indicator.",
        ),
        ("version: 1\n", "version: 2\n", "version 2: say what changed under 'changes:'"),
        (
            "version: 1\n",
            "version: 2\nchanges: [{version: 2}]\n",
            "changes[1] must be a mapping with 'version' and 'text'",
        ),
        (
            "period: {date: referral_date}",
            "period: {date: 'coalesce(referral_date, sex)'}",
            "period.date 'coalesce(referral_date, sex)' is not a date column of table 'cases' "
            "(or coalesce, least or greatest of date columns)",
        ),
        (
            "period: {date: referral_date}",
            "period: {date: 'add_days(referral_date, 3)'}",
            "is not a date column of table 'cases' (or coalesce",
        ),
        ("stratifiers: [sex]", "stratifiers: [sex]\nrole: quality", "role must be one of"),
        (
            "stratifiers: [sex]",
            "stratifiers: [sex]\ncase_columns: [sex]",
            "case_columns: only a definition of another table",
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


@pytest.mark.slow
def test_cli_check_shipped_ok():
    r = runner.invoke(app, ["indicators", "check"])
    assert r.exit_code == 0, r.output
    assert "53 definitions" in r.output and ": ok" in r.output


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


def test_cli_show_gives_the_values_their_sources_and_the_changes():
    r = runner.invoke(app, ["indicators", "show", "acc.visit_within_x"])
    assert r.exit_code == 0, r.output
    assert (
        "inom 14 dygn efter inkommen remiss" in r.output
        and "inom X dygn efter inkommen remiss" not in r.output.split("Source")[0]
    )
    assert "x_days = 14" in r.output and "local assumption, not set by Socialstyrelsen" in r.output
    assert "not shown unless the region sets them" in r.output
    assert "Changes              version 2:" in r.output
    r = runner.invoke(app, ["indicators", "show", "acc.survival_1y"])
    assert 'source: seed: "Överlevnad efter 1 år"' in r.output and "Delayed entry" in r.output


def test_no_shipped_title_says_a_bare_x_and_every_value_has_a_source():
    from nhvmetrics.engine.provenance import has_bare_x

    for d in load_definitions():
        for text in (d.title_sv, d.title_en, *(t for _, *ts in d.stratum_titles for t in ts)):
            assert not has_bare_x(text) and "{" not in text, (d.id, text)
        assert set(d.param_sources) == set(d.params), d.id
        if d.targets is not None and d.targets.has_levels:
            assert d.targets.source is not None, d.id
        if d.version != "1":
            assert d.version in {c.version for c in d.changes}, d.id
