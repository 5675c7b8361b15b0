"""The submission workbook: layout, suppression, no formulas from data, byte-identical output."""

from __future__ import annotations

import dataclasses
import io
import zipfile

import openpyxl
import pytest

from nhvmetrics.personnummer import find_personnummer
from nhvmetrics.report.model import FindingCount, TableQuality
from nhvmetrics.report.workbook import workbook_bytes, write_workbook
from tests.fixtures.report_example import example_report_data

NASTY = ['=HYPERLINK("http://x","y")', "+SUM(A1)", "-1+2", "@cmd", "=1+1"]


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


@pytest.fixture(scope="module")
def book() -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(workbook_bytes(example_report_data("SE100"))))


def test_sheets(book) -> None:
    assert book.sheetnames == ["acc 2025", "Datakvalitet", "Proveniens"]


def test_one_row_per_indicator_with_formats(book) -> None:
    ws = book["acc 2025"]
    header = [c.value for c in ws[6]]
    assert header[:9] == [
        "Id",
        "Uppföljningsmått",
        "Delmått",
        "Definitionsversion",
        "Period",
        "Enhet",
        "Täljare",
        "Nämnare",
        "Värde",
    ]
    ids = [ws.cell(row=r, column=1).value for r in range(7, ws.max_row + 1)]
    assert ids == [i.id for i in example_report_data().indicators]
    visits = ids.index("acc.visit_within_x") + 7
    value = ws.cell(row=visits, column=9)
    assert value.value == pytest.approx(41 / 47) and value.number_format == "0.0%"
    assert ws.cell(row=visits, column=7).value == 41 and ws.cell(row=visits, column=8).value == 47
    assert ws.cell(row=visits, column=16).value == "Hög nivå"


def test_suppressed_rows_hide_value_ci_and_counts() -> None:
    ws = openpyxl.load_workbook(io.BytesIO(workbook_bytes(example_report_data("SE400"))))[
        "acc 2025"
    ]
    for r in range(7, ws.max_row + 1):
        if ws.cell(row=r, column=1).value == "acc.visit_within_x":
            row = [ws.cell(row=r, column=c).value for c in range(1, 14)]
            assert row[8] == "otillräckligt underlag"
            assert row[6] is None and row[7] is None and row[9] is None and row[10] is None
            break
    else:
        pytest.fail("no visit_within_x row")


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
    header = [c.value for c in ws[6]]
    col = header.index("Källa för parametrar och målnivåer")
    rows = {r[0].value: r[col].value for r in ws.iter_rows(min_row=7) if r[0].value}
    assert (
        rows[info.id] == "Källa: x_days = 14: lokalt antagande – ej fastställt av Socialstyrelsen"
    )
    assert rows["acc.patients"] is None
