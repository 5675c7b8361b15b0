"""An indicator whose definition came from outside the package (a region's own file) is
marked as such in the report's indicator info, the HTML and the submission workbook; a shipped
one is not."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest

from nhvmetrics import pipeline
from nhvmetrics.areas import resolve_area
from nhvmetrics.report.build import indicator_info
from nhvmetrics.report.html import render_html
from nhvmetrics.report.labels import labels
from nhvmetrics.report.model import OWN_DEFINITION_NOTE
from nhvmetrics.report.workbook import workbook_bytes
from tests.fixtures.areas import ROOT, write_own_definition, write_replacement

OWN = ("acc.treated_within_7d", "acc.visit_within_x")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("vgr")
    write_own_definition(folder)
    write_replacement(folder)
    options = pipeline.RunOptions(
        area="acc",
        tables={"cases": ROOT / "sample_data" / "inca" / "acc_cases.csv"},
        year=2025,
        definitions=(folder,),
    )
    return pipeline.render(options).data


def test_the_indicator_info_says_own(report):
    marked = {i.id for i in report.indicators if i.own}
    assert marked == set(OWN)
    info = next(i for i in report.indicators if i.id == "acc.visit_within_x")
    assert info.origin_note("sv") == "egen definition – ej del av nhvmetrics"
    assert info.origin_note("en") == "own definition, not shipped with nhvmetrics"
    shipped = indicator_info(next(d for d in resolve_area("acc").definitions()))
    assert not shipped.own and shipped.origin_note("sv") == ""


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_html_marks_own_definitions_only(report, lang):
    html = render_html(report, lang)
    found = re.findall(r'<section class="indicator" id="([^"]+)">(.*?)</section>', html, re.S)
    sections = dict(found)
    note = OWN_DEFINITION_NOTE[lang]
    assert {k.replace("-", ".", 1) for k, v in sections.items() if note in v} == set(OWN)
    assert len(sections) == len(report.indicators)


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_workbook_marks_own_definitions_only(report, lang):
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(report, lang)))
    ws = book[labels(lang)["provenance"]]  # the definitions listed with version and source
    listed = {
        row[0].value: row[4].value
        for row in ws.iter_rows(min_col=1, max_col=5)
        if isinstance(row[0].value, str) and row[0].value.startswith("acc.")
    }
    assert len(listed) == len(report.indicators)
    assert {k: v for k, v in listed.items() if v} == dict.fromkeys(OWN, OWN_DEFINITION_NOTE[lang])
