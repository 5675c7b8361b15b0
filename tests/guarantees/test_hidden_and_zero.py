"""Hidden and zero look alike in real reports: INCA-dialect exports of acc, net and pelvic.

An attacker reading a report's breakdowns must not learn which categories had 1–4 cases: in
every breakdown (one stratification variable, one column) that shows a hidden cell, no cell
reads as a zero ("0", "0,0 %", "inga data"), and every category of the code list is listed
whether it had cases or not. Checked on the rendered HTML (the text a reader sees) and on the
workbook's cells, for the unit's column and the national one.
"""

from __future__ import annotations

import dataclasses
import html as htmllib
import io
import re

import openpyxl
import pytest

from nhvmetrics import pipeline
from nhvmetrics.report.html import render_html
from nhvmetrics.report.labels import labels
from nhvmetrics.report.present import breakdown_keys, is_empty, present_cell, reads_as_hidden
from nhvmetrics.report.workbook import workbook_bytes
from nhvmetrics.sample import write_sample
from tests.fixtures.workbook import rows as workbook_rows

HIDDEN = "otillräckligt underlag"


@pytest.fixture(scope="module", params=["acc", "net", "pelvic"])
def report(request, tmp_path_factory):
    area = request.param
    folder = tmp_path_factory.mktemp(area)
    write_sample(area, 220, 11, folder / f"{area}_cases.csv", dialect="aliases")
    options = pipeline.RunOptions(
        area=area, tables={"cases": folder / f"{area}_cases.csv"}, year=2025
    )
    data = pipeline.render(options).data
    units = sorted({r.unit for r in data.rows if r.unit != "ALL"})
    # the smallest unit: the one with most small cells
    small = min(units, key=lambda u: sum(r.numerator or 0 for r in data.rows if r.unit == u))
    return dataclasses.replace(data, unit=small)


def _breakdown_rows(html: str) -> list[tuple[str, str, list[str]]]:
    """(indicator anchor, label, cell texts) of every single-variable row of every breakdown."""
    out = []
    for anchor, body in re.findall(
        r'<section class="indicator" id="([^"]+)">(.*?)</section>', html, re.S
    ):
        if "<h3>" not in body:
            continue
        table = body.split("<h3>", 1)[1].split("</table>", 1)[0]
        for tr in re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)[1:]:
            tds = re.findall(r"<t([hd])([^>]*)>(.*?)</t[hd]>", tr, flags=re.S)
            label = htmllib.unescape(re.sub(r"<[^>]+>", "", tds[0][2])).strip()
            # one text per column: a status cell spans three, a figure's first cell is its value
            cells, i = [], 1
            while i < len(tds):
                text = htmllib.unescape(re.sub(r"<[^>]+>", "", tds[i][2])).strip()
                cells.append(text)
                i += 1 if 'colspan="3"' in tds[i][1] else 3
            out.append((anchor, label, cells))
    return out


HEADS = {v: k[len("strat_") :] for k, v in labels("sv").items() if k.startswith("strat_")}


def _zero_texts(report, anchor: str, head: str) -> re.Pattern:
    """What a category without cases reads like in one breakdown: "inga data" for shares and
    medians (no value over no cases), also "0" for counts and "0,0 %" for distributions."""
    var = HEADS[head]
    iid = next(i.id for i in report.indicators if i.id.replace(".", "-") == anchor)
    kinds = {r.kind for r in report.rows_of(iid) if re.fullmatch(rf"{var}=[^;]*", r.stratum)}
    zero = ["inga data"]
    if "count" in kinds:
        zero.append("0")
    if "distribution" in kinds:
        zero.append("0,0\u00a0%")
    return re.compile("^(" + "|".join(zero) + ")$")


def test_no_zero_beside_a_hidden_cell_in_any_breakdown(report) -> None:
    rows = _breakdown_rows(render_html(report, "sv"))
    assert rows
    groups: dict[tuple[str, str, int], list[str]] = {}
    for anchor, label, cells in rows:
        head = label.split(":", 1)[0]
        if label.count(":") != 1 or head not in HEADS:  # one variable: "Remitterande region: 05"
            continue
        for col, text in enumerate(cells):
            groups.setdefault((anchor, head, col), []).append(text)
    checked = 0
    for (anchor, head, col), texts in groups.items():
        if HIDDEN in texts:
            checked += 1
            zero = _zero_texts(report, anchor, head)
            assert not [x for x in texts if zero.match(x)], (anchor, head, col, texts)
    assert checked > 0, "no breakdown with a hidden cell: the test would prove nothing"


def test_every_region_and_band_is_listed(report) -> None:
    html = render_html(report, "sv")
    rows = _breakdown_rows(html)
    regions = {
        (a, lab) for a, lab, _ in rows if re.fullmatch(r"Remitterande region: \d\d( .+)?", lab)
    }
    by_indicator: dict[str, int] = {}
    for a, _ in regions:
        by_indicator[a] = by_indicator.get(a, 0) + 1
    assert all(n == 21 for n in by_indicator.values()), by_indicator
    bands = {(a, lab) for a, lab, _ in rows if lab.startswith("Ålder: ") and lab.count(":") == 1}
    assert all(sum(1 for a2, _ in bands if a2 == a) == 6 for a, _ in bands), (
        "every age band is listed"
    )


def test_the_workbook_shows_no_zero_where_a_unit_is_hidden(report) -> None:
    """The workbook's rows for the unit: "inga data" only where no unit is hidden beside it,
    and a unit without cases beside a hidden unit reads as hidden (its cells empty)."""
    ws = openpyxl.load_workbook(io.BytesIO(workbook_bytes(report)))[f"{report.area} 2025"]
    infos = {i.id: i for i in report.indicators}
    seen = 0
    for row in workbook_rows(ws):
        info = infos.get(row["Id"])
        if info is None or row["Stratum"] != "all":  # the indicator's own row
            continue
        seen += 1
        reason = row["Enhet: ej visat, orsak"]
        masked = reads_as_hidden(report, info, report.unit)
        if reason == "inga data":
            assert not masked, info.id
        if is_empty(report.row(info.id, report.unit), info) and masked:
            assert reason == HIDDEN and row["Enhet: värde"] is None, info.id
    assert seen == len(report.indicators)


def test_no_workbook_row_shows_a_zero_beside_a_hidden_cell(report) -> None:
    """Every breakdown row of the workbook (strata as rows) follows the rule, for the unit and
    the nation: where the rule hides a cell without cases, its number cells are empty."""
    ws = openpyxl.load_workbook(io.BytesIO(workbook_bytes(report)))[f"{report.area} 2025"]
    infos = {i.id: i for i in report.indicators}
    checked = 0
    for row in workbook_rows(ws):
        info = infos[row["Id"]]
        for prefix, who in (("Enhet", report.unit), ("Riket", report.national)):
            shown = present_cell(report, info, who, row["Stratum"])
            if shown.status == "suppressed":
                checked += 1
                assert row[f"{prefix}: värde"] is None, (info.id, who, row["Stratum"])
                assert row[f"{prefix}: täljare"] is None and row[f"{prefix}: nämnare"] is None
                assert row[f"{prefix}: ej visat, orsak"] == HIDDEN
    assert checked > 0


def test_cells_read_as_hidden_only_where_the_rule_says(report) -> None:
    """The rule hides zeros, never figures: a cell with cases is shown unless the engine hid it."""
    for info in report.indicators:
        for who in (report.national, report.unit):
            for k in breakdown_keys(report, info):
                row = report.row(info.id, who, stratum=k)
                shown = present_cell(report, info, who, k)
                if row is not None and not is_empty(row, info) and not row.suppressed:
                    if row.computable and (row.denominator or row.numerator or 0) >= 5:
                        assert shown.status == "ok", (info.id, who, k)
