"""Hidden and zero look alike: a reader cannot tell which categories had 1–4 cases.

A hand-made report of two units (U1, U2, and a third, U3, in one indicator) whose figures add
up: within a breakdown that holds a hidden cell, a category without cases must read exactly as a
hidden one, in the HTML (strata and summary), in the workbook and in the charts; every category
of the code list is listed, with cases or not; in a breakdown with nothing hidden a zero is 0.
Before the rule, U1's empty region 05 read "inga data" beside "otillräckligt underlag" for the
regions where it had 1–4 patients, and the national region 25 was not listed at all.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html as htmllib
import io
import re

import openpyxl

from nhvmetrics.report.charts import comparison_svg
from nhvmetrics.report.html import render_html
from nhvmetrics.report.model import IndicatorInfo, IndicatorRow, Provenance, ReportData
from nhvmetrics.report.present import breakdown_keys, present_cell, reads_as_hidden
from nhvmetrics.report.workbook import workbook_bytes
from tests.fixtures.workbook import rows as workbook_rows

Y = 2025
PATIENTS = IndicatorInfo(
    "x.patients",
    "1",
    "Antal patienter",
    "Patients",
    "count",
    categories=(("sex", ("K", "M")), ("referring_region", ("01", "03", "05", "25"))),
)
RARE = IndicatorInfo("x.rare", "1", "Sällsynt åtgärd", "Rare", "proportion")
TREATED = IndicatorInfo("x.treated", "1", "Antal behandlade", "Treated", "count")


def count(iid: str, unit: str, stratum: str, n: int, hidden: bool = False) -> IndicatorRow:
    return IndicatorRow(
        iid, Y, unit, stratum, numerator=n, value=float(n), suppressed=hidden, kind="count"
    )


def share(iid: str, unit: str, k: int, n: int, hidden: bool = False) -> IndicatorRow:
    return IndicatorRow(
        iid,
        Y,
        unit,
        "all",
        numerator=k,
        denominator=n,
        value=k / n if n else None,
        ci_low=0.1 if n else None,
        ci_high=0.9 if n else None,
        suppressed=hidden,
        kind="proportion",
    )


ROWS = (
    # patients: national 20 = U1 12 + U2 8; sexes: U1 only women, U2 only men (nothing hidden)
    count("x.patients", "ALL", "all", 20),
    count("x.patients", "ALL", "sex=K", 12),
    count("x.patients", "ALL", "sex=M", 8),
    count("x.patients", "ALL", "referring_region=01", 14, hidden=True),  # complementary
    count("x.patients", "ALL", "referring_region=03", 4, hidden=True),
    count("x.patients", "ALL", "referring_region=05", 2, hidden=True),
    count("x.patients", "U1", "all", 12),
    count("x.patients", "U1", "sex=K", 12),
    count("x.patients", "U1", "referring_region=01", 9, hidden=True),  # complementary
    count("x.patients", "U1", "referring_region=03", 3, hidden=True),
    count("x.patients", "U2", "all", 8),
    count("x.patients", "U2", "sex=M", 8),
    count("x.patients", "U2", "referring_region=01", 5),
    count("x.patients", "U2", "referring_region=03", 1, hidden=True),
    count("x.patients", "U2", "referring_region=05", 2, hidden=True),
    # a rare operation: U1 had none (0 of 0), U2 three (hidden), so the nation is hidden too
    share("x.rare", "ALL", 1, 3, hidden=True),
    share("x.rare", "U1", 0, 0),
    share("x.rare", "U2", 1, 3, hidden=True),
    # treated: national 9 = U1 3 (hidden) + U2 6 (complementary) + U3 0
    count("x.treated", "ALL", "all", 9),
    count("x.treated", "U1", "all", 3, hidden=True),
    count("x.treated", "U2", "all", 6, hidden=True),
    count("x.treated", "U3", "all", 0),
)


def report(unit: str | None = "U1") -> ReportData:
    return ReportData(
        area="acc",
        year=Y,
        indicators=(PATIENTS, RARE, TREATED),
        rows=ROWS,
        quality=(),
        findings=(),
        provenance=Provenance(dt.date(2026, 2, 15), "option", "0.1.0"),
        unit=unit,
    )


def strata_table(html: str, anchor: str) -> dict[str, list[str]]:
    """The breakdown table of one indicator section: label -> the texts of its cells."""
    section = html.split(f'id="{anchor}"', 1)[1].split("</section>", 1)[0]
    table = section.split("<h3>", 1)[1].split("</table>", 1)[0]
    out = {}
    for tr in re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)[1:]:
        cells = [
            htmllib.unescape(re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, flags=re.S)
        ]
        out[cells[0]] = [c for c in cells[1:] if c]
    return out


HIDDEN = "otillräckligt underlag"


def test_a_category_without_cases_reads_as_hidden_beside_hidden_ones() -> None:
    table = strata_table(render_html(report("U1"), "sv"), "x-patients")
    # U1 had patients from 01 and 03 (hidden) and none from 05 or 25: all four read alike
    for region in ("01", "03", "05", "25"):
        unit_cell, national_cell = table[f"Remitterande region: {region}"]
        assert unit_cell == HIDDEN, (region, table)
        assert national_cell == HIDDEN, (region, table)
    assert "inga data" not in str(table)


def test_every_category_of_the_code_list_is_listed() -> None:
    data = report(None)
    keys = breakdown_keys(data, PATIENTS)
    assert [k for k in keys if k.startswith("referring_region=")] == [
        "referring_region=01",
        "referring_region=03",
        "referring_region=05",
        "referring_region=25",  # no case anywhere: listed all the same
    ]
    table = strata_table(render_html(data, "sv"), "x-patients")
    assert table["Remitterande region: 25"] == [HIDDEN]


def test_a_zero_in_a_breakdown_with_nothing_hidden_is_a_zero() -> None:
    """U1 had no men and nothing is hidden in the sexes: 0 is shown, as the analyst needs."""
    table = strata_table(render_html(report("U1"), "sv"), "x-patients")
    assert table["Kön: män"] == ["0", "8"]
    assert table["Kön: kvinnor"] == ["12", "12"]
    assert present_cell(report("U2"), PATIENTS, "U2", "sex=K").value == "0"


def test_a_unit_without_cases_reads_as_hidden_beside_a_hidden_unit() -> None:
    data = report("U1")
    shown = present_cell(data, RARE, "U1")
    assert shown.status == "suppressed" and shown.value == "" and shown.counts == ""
    summary = render_html(data, "sv").split('class="summary"', 1)[1].split("</section>", 1)[0]
    row = summary.split("x.rare", 1)[1].split("</tr>", 1)[0]
    assert row.count(HIDDEN) == 2 and "inga data" not in row  # the unit's and the nation's


def test_the_workbook_follows_the_same_rule() -> None:
    ws = openpyxl.load_workbook(io.BytesIO(workbook_bytes(report("U1"))))["acc 2025"]
    rows = {
        r["Id"]: [r["Enhet: täljare"], r["Enhet: nämnare"], r["Enhet: värde"]]
        + [r["Enhet: ej visat, orsak"]]
        for r in workbook_rows(ws)
        if r["Stratum"] == "all"
    }
    # U1: 0 of 0, beside U2's hidden 1 of 3: empty cells, the reason beside them
    assert rows["x.rare"] == [None, None, None, HIDDEN]
    assert rows["x.patients"] == [None, None, 12, None]  # a count: the value is the count


def test_a_unit_without_cases_is_not_drawn_beside_a_hidden_unit() -> None:
    data = report(None)
    assert reads_as_hidden(data, TREATED, "U3")
    svg = comparison_svg(data, TREATED, "sv") or ""
    assert "U3" not in svg and "U1" not in svg and "U2" not in svg


def test_the_rule_on_every_cell_of_the_report() -> None:
    """No cell reads as a zero (0, "inga data") in a breakdown where another cell is hidden."""
    for unit in ("U1", "U2"):
        data = report(unit)
        for info in data.indicators:
            for who in (data.national, unit):
                for k in ["all", *breakdown_keys(data, info)]:
                    shown = present_cell(data, info, who, k)
                    if reads_as_hidden(data, info, who, k) and shown.status != "suppressed":
                        assert shown.value not in ("", "0"), (info.id, who, k, shown)


def test_a_units_empty_category_reads_as_hidden_beside_one_hidden_by_the_units_rule() -> None:
    """U1's age bands: 60-69 holds all its 5 cases; 50-59 is empty for U1 but reads as hidden
    because U2's 50-59 is hidden (the units of 50-59 hold a hidden cell). Then U1's other
    empty bands must read as hidden too, or the column shows which bands are not 1-4."""
    mort = IndicatorInfo(
        "x.mort",
        "1",
        "Mortalitet",
        "Mortality",
        "proportion",
        categories=(("age_band", ("0-39", "50-59", "60-69")),),
    )

    def band(unit: str, b: str, k: int, n: int, hidden: bool = False) -> IndicatorRow:
        return dataclasses.replace(share("x.mort", unit, k, n, hidden), stratum=f"age_band={b}")

    rows = (
        share("x.mort", "ALL", 1, 12),
        share("x.mort", "U1", 0, 5),
        share("x.mort", "U2", 1, 7),
        band("ALL", "50-59", 1, 2, hidden=True),
        band("ALL", "60-69", 0, 10, hidden=True),
        band("U1", "60-69", 0, 5),
        band("U2", "50-59", 1, 2, hidden=True),
        band("U2", "60-69", 0, 5),
    )
    data = dataclasses.replace(report("U1"), indicators=(mort,), rows=rows)
    assert reads_as_hidden(data, mort, "U1", "age_band=50-59")
    assert present_cell(data, mort, "U1", "age_band=50-59").status == "suppressed"
    assert present_cell(data, mort, "U1", "age_band=0-39").status == "suppressed"
    assert present_cell(data, mort, "U1", "age_band=60-69").status == "ok"
