"""The HTML report: self-contained, escaped, suppressed where it must be, deterministic."""

from __future__ import annotations

import dataclasses
import re

import pytest

from nhvmetrics.personnummer import find_personnummer
from nhvmetrics.report.html import render_html
from nhvmetrics.report.labels import EN, SV
from nhvmetrics.report.model import IndicatorInfo, IndicatorRow
from nhvmetrics.report.present import fmt_percent, present
from tests.fixtures.report_example import example_report_data


@pytest.fixture(scope="module")
def html_sv() -> str:
    return render_html(example_report_data("SE100"), "sv")


def test_both_languages_have_every_label() -> None:
    assert set(SV) == set(EN)


def test_page_fetches_nothing_and_forbids_fetching(html_sv: str) -> None:
    assert (
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:"
    ) in html_sv
    lowered = html_sv.lower()
    assert "<script" not in lowered
    assert "<link" not in lowered and "@import" not in lowered and "@font-face" not in lowered
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", lowered)
    assert not re.search(r"url\(\s*['\"]?(https?:|//)", lowered)
    # the only absolute URLs are the SVG namespaces, which are names, not requests
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", html_sv))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}, urls


def test_every_indicator_has_a_section_with_charts(html_sv: str) -> None:
    data = example_report_data("SE100")
    for info in data.indicators:
        assert f'id="{info.id.replace(".", "-")}"' in html_sv
    # trend + comparison for each indicator with data (the mitotane one cannot be computed),
    # each drawn wide (screen, print) and narrow (phone)
    assert html_sv.count('<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label') == (
        2 * 2 * (len(data.indicators) - 1)
    )
    assert html_sv.count('class="chart-wide"') == html_sv.count('class="chart-narrow"')
    assert 'role="img"' in html_sv


def test_charts_are_deterministic_and_undated(html_sv: str) -> None:
    assert render_html(example_report_data("SE100"), "sv") == html_sv
    assert "<dc:date>" not in html_sv and "<metadata>" not in html_sv
    ids = re.findall(r'\bid="([^"]+)"', html_sv)
    assert len(ids) == len(set(ids)), "element ids repeat across charts"


def test_suppressed_figures_are_hidden(html_sv: str) -> None:
    data = example_report_data("SE400")  # SE400 is below the threshold in every indicator
    html = render_html(data, "sv")
    summary = html.split('class="summary"', 1)[1].split("</section>", 1)[0]
    assert summary.count("otillräckligt underlag") >= 4
    # SE400's 2025 visits: 2 of 3 (66,7 %) — neither the share nor the counts may show
    assert "66,7" not in html and "2/3" not in html
    assert "insufficient data" in render_html(data, "en")


def test_complementary_suppressed_unit_hidden_too() -> None:
    html = render_html(example_report_data("SE300"), "sv")  # hidden so SE400 can't be derived
    summary = html.split('class="summary"', 1)[1].split("</section>", 1)[0]
    assert "13/16" not in summary and "81,3" not in summary


def test_primary_rule_applies_even_without_the_engine_flag() -> None:
    info = IndicatorInfo("x.share", "1", "Andel", "Share", "proportion")
    row = IndicatorRow(
        "x.share",
        2025,
        "U1",
        numerator=2,
        denominator=3,
        value=2 / 3,
        ci_low=0.2,
        ci_high=0.9,
        kind="proportion",
    )
    shown = present(row, info, "sv", 5)
    assert shown.status == "suppressed" and shown.value == "" and shown.counts == ""


def test_text_is_escaped() -> None:
    data = example_report_data("SE100")
    info = dataclasses.replace(data.indicators[0], title_sv="<script>alert(1)</script> & co")
    data = dataclasses.replace(data, indicators=(info, *data.indicators[1:]))
    html = render_html(data, "sv")
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html


def test_no_personnummer_in_the_report(html_sv: str) -> None:
    assert find_personnummer(html_sv) == []
    assert find_personnummer(render_html(example_report_data(None), "en")) == []


def test_english_report(html_sv: str) -> None:
    html = render_html(example_report_data(None), "en")
    assert '<html lang="en">' in html and "Summary" in html and "Trend over the years" in html
    assert "Sammanfattning" not in html
    assert "Andel (%)" in html_sv and "Share (%)" in html


def test_number_formats() -> None:
    assert fmt_percent(0.8723, "sv") == "87,2\u00a0%"
    assert fmt_percent(0.8723, "en") == "87.2%"


def test_summary_shows_unit_beside_national(html_sv: str) -> None:
    summary = html_sv.split('class="summary"', 1)[1].split("</section>", 1)[0]
    assert "Enhet SE100" in summary and "Riket (alla enheter)" in summary
    assert "41/47" in summary and "81/97" in summary  # unit and national visits in 2025
    assert "Hög nivå" in summary


def test_multi_area_page() -> None:
    a = example_report_data("SE100")
    b = dataclasses.replace(example_report_data("SE100"), area="net")
    html = render_html([a, b], "sv")
    assert 'id="acc-summary"' in html and 'id="net-summary"' in html


def test_heavy_libraries_load_lazily_and_layers_point_down() -> None:
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import sys, nhvmetrics.cli, nhvmetrics.report.html, nhvmetrics.report.charts, "
        "nhvmetrics.report.workbook, nhvmetrics.report.build, nhvmetrics.batch; "
        "print(sorted(m for m in ('matplotlib', 'jinja2', 'openpyxl', 'polars', 'rich') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
    root = Path(__file__).resolve().parents[2] / "nhvmetrics"
    for f in [*(root / "report").glob("*.py"), root / "batch.py"]:
        assert "nhvmetrics.cli" not in f.read_text(encoding="utf-8"), f"{f.name} imports the CLI"


def test_not_computable_reason_for_the_reader() -> None:
    from nhvmetrics.report.present import note_text

    assert note_text("not computable: table 'prem' is not in the export", "sv") == (
        "tabellen prem finns inte i exporten"
    )
    assert note_text("not computable: column x_date not in the export", "en") == (
        "column x_date not in the export"
    )


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_comparison_note_says_what_the_whiskers_are(lang: str) -> None:
    """A median's unit comparison draws the quartiles, so its note must not speak of a
    confidence interval; a share's note names the funnel limits."""
    from markupsafe import escape

    t = SV if lang == "sv" else EN
    data = example_report_data("SE100")
    html = render_html(data, lang)
    kinds = {data.kind(info) for info in data.indicators}
    assert "median" in kinds and "proportion" in kinds
    for info in data.indicators:
        section = html.split(f'id="{info.id.replace(".", "-")}"', 1)[1].split("<section", 1)[0]
        if data.kind(info) == "median" and "<svg " in section:
            assert str(escape(t["forest_note_median"])) in section, info.id
            assert str(escape(t["forest_note"])) not in section, info.id


def test_the_indicator_section_says_which_values_are_local_assumptions() -> None:
    """[v2] The source of each parameter value: a line in the indicator's section."""
    data = example_report_data("SE100")
    info = dataclasses.replace(
        data.indicators[1],
        params=(("x_days", "14"),),
        param_sources=(("x_days", "local", "the seed names no X"),),
    )
    data = dataclasses.replace(data, indicators=(data.indicators[0], info, *data.indicators[2:]))
    section = render_html(data, "sv").split(f'id="{info.id.replace(".", "-")}"', 1)[1]
    section = section.split("</section>", 1)[0]
    assert (
        '<li class="provenance">Källa: x_days = 14: lokalt antagande – ej fastställt av '
        "Socialstyrelsen</li>"
    ) in section
    en = render_html(data, "en").split(f'id="{info.id.replace(".", "-")}"', 1)[1]
    assert "Source: x_days = 14: local assumption – not set by Socialstyrelsen" in en
    # an indicator without parameters has no such line
    first = render_html(data, "sv").split('id="acc-patients"', 1)[1].split("</section>", 1)[0]
    assert 'class="provenance"' not in first
