"""The submission workbook: layout, suppression, no formulas from data, byte-identical output.

What a unit submits and what an analyst at Socialstyrelsen reads with a script: per indicator
the unit's figure and the national one (each with CI and n), breakdowns as rows, numbers that
stay numbers (a hidden figure is an empty cell and a reason beside it), an autofilter and a
frozen header, percent and day formats, target levels on the rows they apply to, the reporting
year once. Checked on the hand-made example and on a real INCA-dialect export.
"""

from __future__ import annotations

import dataclasses
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest

from nhvmetrics.personnummer import find_personnummer
from nhvmetrics.report.model import FindingCount, TableQuality
from nhvmetrics.report.present import breakdown_keys, present_cell
from nhvmetrics.report.workbook import workbook_bytes, write_workbook
from tests.fixtures.report_example import example_report_data
from tests.fixtures.workbook import cells, header_row, headers, main_rows, rows

NASTY = ['=HYPERLINK("http://x","y")', "+SUM(A1)", "-1+2", "@cmd", "=1+1"]
HIDDEN = "otillräckligt underlag"
SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "inca"
FIGURES = (
    "värde",
    "95 % KI nedre",
    "95 % KI övre",
    "kvartil 1",
    "kvartil 3",
    "täljare",
    "nämnare",
    "ej med, uppgift saknas",
    "ej med, uppföljning pågår",
)


def _hostile():
    data = example_report_data("SE100")
    q = dataclasses.replace(
        data.quality[0], file_name="=cmd|' /C calc'!A0.csv", unknown_columns=tuple(NASTY)
    )
    findings = (*data.findings, *(FindingCount("cases", v, "error", v, 1) for v in NASTY))
    info = dataclasses.replace(data.indicators[0], title_sv="=2+5", source="@SUM(1)")
    return dataclasses.replace(
        data, quality=(q,), findings=findings, indicators=(info, *data.indicators[1:])
    )


def _sheet(data, lang: str = "sv"):
    return openpyxl.load_workbook(io.BytesIO(workbook_bytes(data, lang)))[f"{data.area} 2025"]


@pytest.fixture(scope="module")
def book() -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(workbook_bytes(example_report_data("SE100"))))


@pytest.fixture(scope="module")
def real():
    """A real report: the INCA-dialect anal export (PREM, episodes, a duration with a share
    within X days), for its largest unit."""
    from nhvmetrics import pipeline

    files = {t: SAMPLE / f"anal_{t}.csv" for t in ("cases", "episodes", "prem")}
    # the region sets target levels (the shipped ones are local assumptions, not shown)
    targets = {
        "anal.referral_to_treatment_days": {"intermediate": 0.7, "high": 0.8},
        "anal.written_care_plan": {"intermediate": 0.8, "high": 0.9},
    }
    options = pipeline.RunOptions(area="anal", tables=files, year=2025, targets=targets)
    data = pipeline.render(options).data
    units = sorted({r.unit for r in data.rows if r.unit != "ALL"})
    big = max(units, key=lambda u: sum(r.denominator or 0 for r in data.rows if r.unit == u))
    return dataclasses.replace(data, unit=big)


def test_sheets(book) -> None:
    assert book.sheetnames == ["acc 2025", "Datakvalitet", "Proveniens"]


@pytest.mark.parametrize("which", ["example", "real"])
def test_the_unit_and_the_nation_side_by_side_each_with_ci_and_n(which, real) -> None:
    data = example_report_data("SE100") if which == "example" else real
    ws = _sheet(data)
    heads = headers(ws)
    for prefix in ("Enhet", "Riket"):
        for name in (*FIGURES, "måluppfyllelse", "ej visat, orsak"):
            assert f"{prefix}: {name}" in heads
    checked = 0
    for row in rows(ws):
        info = next(i for i in data.indicators if i.id == row["Id"])
        for prefix, who in (("Enhet", data.unit), ("Riket", data.national)):
            shown = present_cell(data, info, who, row["Stratum"])
            if shown.status != "ok" or shown.kind != "proportion":
                continue
            checked += 1
            assert row[f"{prefix}: värde"] == pytest.approx(shown.raw_value)
            assert row[f"{prefix}: 95 % KI nedre"] == pytest.approx(shown.raw_ci_low)
            assert row[f"{prefix}: 95 % KI övre"] == pytest.approx(shown.raw_ci_high)
            assert row[f"{prefix}: täljare"] == shown.raw_numerator
            assert row[f"{prefix}: nämnare"] == shown.raw_denominator
    assert checked > (3 if which == "example" else 10)


def test_a_national_workbook_has_only_the_national_figures() -> None:
    heads = headers(_sheet(example_report_data(None)))
    assert "Riket: värde" in heads and not any(h.startswith("Enhet:") for h in heads)


@pytest.mark.parametrize("which", ["example", "real"])
def test_strata_and_distributions_are_rows(which, real) -> None:
    data = example_report_data("SE100") if which == "example" else real
    listed = {(r["Id"], r["Stratum"]) for r in rows(_sheet(data))}
    for info in data.indicators:
        assert (info.id, "all") in listed
        for k in breakdown_keys(data, info):
            assert (info.id, k) in listed, (info.id, k)
    if which == "real":
        groups = {r["Grupp"] for r in rows(_sheet(data))}
        assert {"Kön: kvinnor", "Kön: män", "Ålder: 60–69"} <= groups
        assert any(g.startswith("Fråga 1: ") for g in groups)  # PREM questions in words


@pytest.mark.parametrize("which", ["example", "real", "suppressed"])
def test_number_columns_hold_only_numbers_and_a_hidden_figure_says_why(which, real) -> None:
    data = {
        "example": example_report_data("SE100"),
        "real": real,
        "suppressed": example_report_data("SE400"),  # below the threshold everywhere
    }[which]
    ws = _sheet(data)
    hidden = 0
    for row in cells(ws):
        for prefix in ("Enhet", "Riket"):
            reason = row[f"{prefix}: ej visat, orsak"].value
            numbers = [row[f"{prefix}: {name}"] for name in FIGURES]
            for c in numbers:
                assert c.value is None or (
                    isinstance(c.value, int | float) and c.data_type == "n"
                ), (row["Id"].value, c.coordinate, c.value)
            if reason is not None and not reason.startswith("ej med i nämnaren"):
                hidden += 1  # suppressed, not computable or no data: every number empty
                assert all(c.value is None for c in numbers), row["Id"].value
    assert hidden > 0
    if which == "suppressed":
        visits = main_rows(ws)["acc.visit_within_x"]
        assert visits["Enhet: ej visat, orsak"] == HIDDEN
        assert visits["Enhet: värde"] is None and visits["Enhet: nämnare"] is None
        assert visits["Riket: värde"] is not None  # the nation is shown beside it


def test_a_small_left_out_count_is_an_empty_cell_and_a_reason(book) -> None:
    visits = main_rows(book["acc 2025"])["acc.visit_within_x"]
    assert visits["Enhet: ej med, uppgift saknas"] is None  # 1–4 cases: not published
    assert visits["Enhet: ej visat, orsak"] == "ej med i nämnaren: uppgift saknas <5"


@pytest.mark.parametrize("which", ["example", "real"])
def test_autofilter_and_frozen_header(which, real) -> None:
    data = example_report_data("SE100") if which == "example" else real
    ws = _sheet(data)
    head = header_row(ws)
    ref = ws.auto_filter.ref
    assert ref is not None
    first, last = ref.split(":")
    assert first == f"A{head}"
    assert int("".join(ch for ch in last if ch.isdigit())) == ws.max_row
    assert openpyxl.utils.column_index_from_string(last.rstrip("0123456789")) == len(headers(ws))
    assert ws.freeze_panes == f"C{head + 1}"  # header rows and the id and title stay in view


@pytest.mark.parametrize("which", ["example", "real"])
def test_number_formats_percent_days_counts(which, real) -> None:
    data = example_report_data("SE100") if which == "example" else real
    seen = set()
    for row in cells(_sheet(data)):
        measure = row["Mått"].value
        for prefix in ("Enhet", "Riket"):
            value = row[f"{prefix}: värde"]
            if value.value is None:
                continue
            if measure == "andel":
                assert value.number_format == "0.0%"
                low = row[f"{prefix}: 95 % KI nedre"]
                assert low.value is None or low.number_format == "0.0%"
                seen.add("percent")
            elif measure == "median (dygn)":
                assert value.number_format == '0.0" dygn"'
                q1 = row[f"{prefix}: kvartil 1"]
                assert q1.value is not None and q1.number_format == '0.0" dygn"'
                seen.add("days")
            elif measure == "antal":
                assert value.number_format == "#,##0" and isinstance(value.value, int)
                seen.add("count")
            n = row[f"{prefix}: nämnare"]
            assert n.value is None or n.number_format == "#,##0"
    assert seen == {"percent", "days", "count"}


def test_english_days_format() -> None:
    ws = _sheet(example_report_data("SE100"), "en")
    days = main_rows(ws)["acc.referral_to_treatment_days"]
    assert days["Measure"] == "median (days)"
    row = next(r for r in cells(ws) if r["Id"].value == "acc.referral_to_treatment_days")
    assert row["Unit: value"].number_format == '0.0" days"'


@pytest.mark.parametrize("which", ["example", "real"])
def test_target_levels_only_on_the_rows_they_apply_to(which, real) -> None:
    data = example_report_data("SE100") if which == "example" else real
    ws = _sheet(data)
    with_targets = {(r["Id"], r["Stratum"]) for r in rows(ws) if r["Målnivå, hög nivå"]}
    infos = {i.id: i for i in data.indicators}
    for row in rows(ws):
        info, stratum = infos[row["Id"]], row["Stratum"]
        if not info.has_targets:
            expected = False
        elif data.kind(info) in ("proportion", "survival"):
            expected = stratum == "all"  # a share: its own row, not its breakdowns
        else:  # a median or count: its shares (within X days, PREM questions)
            expected = stratum.startswith(("measure=", "question=")) and ";" not in stratum
        assert ((row["Id"], stratum) in with_targets) == expected, (row["Id"], stratum)
        has_intermediate = row["Målnivå, mellannivå"] is not None
        assert has_intermediate == (expected and info.target_intermediate is not None)
    if which == "real":
        # a duration's target is on its share within X days, not on its median
        assert ("anal.referral_to_treatment_days", "all") not in with_targets
        assert ("anal.referral_to_treatment_days", "measure=within_x") in with_targets


@pytest.mark.parametrize("which", ["example", "real"])
def test_the_reporting_year_is_written_once(which, real) -> None:
    ws = _sheet(example_report_data("SE100") if which == "example" else real)
    every = [c.value for row in ws.iter_rows() for c in row if c.value is not None]
    assert every.count("Rapportår") == 1
    assert every.count(2025) == 1  # as a number, beside its label
    assert "Period" not in headers(ws)


def test_no_formula_from_data() -> None:
    raw = workbook_bytes(_hostile())
    wb = openpyxl.load_workbook(io.BytesIO(raw))
    seen = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", f"{ws.title}!{c.coordinate} is a formula: {c.value!r}"
                if isinstance(c.value, str) and c.value[:1] in "=+-@":
                    assert c.data_type == "s" and c.quotePrefix, c.coordinate
                    seen += 1
    assert seen >= len(NASTY)
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name)


def test_byte_identical_and_fixed_times(tmp_path) -> None:
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_workbook(example_report_data("SE100"), a)
    write_workbook(example_report_data("SE100"), b)
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(a) as z:
        assert {i.date_time for i in z.infolist()} == {(2026, 2, 15, 0, 0, 0)}
        core = z.read("docProps/core.xml").decode()
    assert "2026-02-15T00:00:00Z" in core and core.count("2026-02-15T00:00:00Z") == 2


def test_quality_and_provenance_sheets(book) -> None:
    q = [[c.value for c in row] for row in book["Datakvalitet"].iter_rows()]
    assert ["acc", "cases", "acc_cases.csv", 412, 396, 9, 7, "makulerade: 5, demoregion: 2"] in q
    p = [[c.value for c in row] for row in book["Proveniens"].iter_rows()]
    flat = [v for row in p for v in row if v is not None]
    assert example_report_data().quality[0].sha256 in flat
    assert "nhvmetrics 0.1.0" in flat or any(str(v).startswith("nhvmetrics ") for v in flat)
    assert flat.count("Rapportår") == 1


def test_findings_are_named_in_words_beside_their_code(book) -> None:
    q = [[c.value for c in row] for row in book["Datakvalitet"].iter_rows()]
    head = next(row for row in q if row[:4] == ["Område", "Tabell", "Kontroll", "Kod"])
    assert head[4:7] == ["Kolumn", "Allvarlighet", "Rader"]
    found = [row for row in q if row[3] == "date_order"]
    assert found and found[0][2] == "datum i fel ordning"
    unknown = [row for row in q if row[3] == "code_list"]  # a check without a name: its code
    assert unknown and unknown[0][2] == "code_list"


def test_no_personnummer_in_workbook(book) -> None:
    text = " ".join(
        str(c.value)
        for ws in book.worksheets
        for row in ws.iter_rows()
        for c in row
        if c.value is not None
    )
    assert find_personnummer(text) == []


def test_sheet_per_area() -> None:
    a = example_report_data("SE100")
    b = dataclasses.replace(
        a, area="net", quality=(TableQuality("cases", "net.csv", "ab", 1, 1, 0),)
    )
    wb = openpyxl.load_workbook(io.BytesIO(workbook_bytes([a, b])))
    assert wb.sheetnames == ["acc 2025", "net 2025", "Datakvalitet", "Proveniens"]


def test_a_column_says_where_parameters_and_targets_come_from() -> None:
    """[v2] The submission workbook shows, per indicator row, the source of its parameters."""
    data = example_report_data("SE100")
    info = dataclasses.replace(
        data.indicators[1],
        params=(("x_days", "14"),),
        param_sources=(("x_days", "local", "the seed names no X"),),
    )
    data = dataclasses.replace(data, indicators=(data.indicators[0], info, *data.indicators[2:]))
    ws = openpyxl.load_workbook(io.BytesIO(workbook_bytes(data)))["acc 2025"]
    head = next(r for r in ws.iter_rows() if r[0].value == "Id")
    header = [c.value for c in head]
    col = header.index("Källa för parametrar och målnivåer")
    first = head[0].row + 1
    rows = {
        r[0].value: r[col].value
        for r in ws.iter_rows(min_row=first)
        if r[0].value and (r[3].value in (None, "all"))
    }
    assert (
        rows[info.id] == "Källa: x_days = 14: lokalt antagande – ej fastställt av Socialstyrelsen"
    )
    assert rows["acc.patients"] is None
