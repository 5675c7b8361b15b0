"""Parameter values in titles and notes: ``{param}`` placeholders and a legacy bare ``X`` are
filled from the indicator's parameters wherever the report prints a definition's words."""

from __future__ import annotations

import re

import pytest

from nhvmetrics.engine.definitions import load_definitions
from nhvmetrics.report.build import indicator_info
from nhvmetrics.report.html import render_html
from nhvmetrics.report.placeholders import BARE_X_RE, fill_params, unfilled, x_param
from nhvmetrics.report.present import stratum_label
from nhvmetrics.report.workbook import workbook_bytes
from tests.fixtures.workbook import load

DEFS = load_definitions()


def test_a_placeholder_is_filled_with_its_parameter() -> None:
    params = (("x_days", "14"), ("limit", "0.5"))
    assert fill_params("inom {x_days} dygn", params) == "inom 14 dygn"
    assert fill_params("andel över {limit}", params, "sv") == "andel över 0,5"
    assert fill_params("share above {limit}", params, "en") == "share above 0.5"
    assert fill_params("{unknown} stays", params) == "{unknown} stays"  # not a parameter


def test_a_bare_x_is_the_x_parameter() -> None:
    params = (("x_days", "28"), ("window_days", "30"))
    assert x_param(params) == "x_days"
    assert fill_params("inom X dygn efter remiss", params) == "inom 28 dygn efter remiss"
    assert fill_params("Som för ACC; X = 14 dygn.", params) == "Som för ACC; 28 dygn."
    # the X of a resection margin, a word or a placeholder is left alone
    for text in ("R0, R1, R2 eller RX", "X-ray", "XL", "{X}"):
        assert fill_params(text, params) == text
    assert x_param((("only_days", "7"),)) == "only_days"  # the only parameter
    assert x_param((("a", "1"), ("b", "2"))) is None
    assert fill_params("inom X dygn", (("a", "1"), ("b", "2"))) == "inom X dygn"
    assert unfilled("inom X dygn, {y}") == ["{y}", "X"]


LANGS = ("sv", "en")


@pytest.mark.parametrize("d", DEFS, ids=lambda d: d.id)
def test_no_shipped_definition_shows_a_bare_x_or_a_placeholder(d) -> None:
    """Every text the report prints of a shipped definition: title, description, source,
    sub-measure titles, breakdown labels."""
    info = indicator_info(d, d.area)
    for lang in LANGS:
        texts = [info.title(lang), info.definition_text(lang), info.source_text(lang)]
        texts += [info.stratum_title(k, lang) or "" for k, _sv, _en in info.stratum_titles]
        texts += [stratum_label(k, lang, info) for k, _sv, _en in info.stratum_titles]
        for text in texts:
            assert unfilled(text) == [], (d.id, lang, text)


def _visible(html: str) -> str:
    body = html.split("<body>", 1)[1]
    body = re.sub(r"<(title|desc)>.*?</\1>", " ", body, flags=re.S)  # checked below as well
    return re.sub(r"<[^>]+>", " ", body)


@pytest.mark.slow
def test_no_report_or_workbook_of_the_samples_shows_a_bare_x() -> None:
    from tests.fixtures.sample_reports import every_sample_report

    for name, data in every_sample_report():
        if "inca" in name:
            continue  # the canonical samples carry every indicator; one dialect is enough
        for lang in LANGS:
            html = render_html(data, lang)
            for text in (_visible(html), " ".join(re.findall(r"<title>(.*?)</title>", html))):
                found = [m.group(0) for m in BARE_X_RE.finditer(text)]
                assert found == [], (name, lang, found)
            wb = load(workbook_bytes(data, lang))
            for ws in wb.worksheets:
                for row in ws.iter_rows():
                    for c in row:
                        if isinstance(c.value, str):
                            assert unfilled(c.value) == [], (name, ws.title, c.coordinate)
