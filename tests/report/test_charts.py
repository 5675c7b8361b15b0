"""The charts: SVG written by nhvmetrics itself — accessible, suppression-safe, right limits."""

from __future__ import annotations

import datetime as dt
import math
import re
import subprocess
import sys

import pytest

from nhvmetrics.report.charts import (
    LAYOUTS,
    NARROW,
    all_charts,
    comparison_svg,
    funnel_limits,
    nice_ticks,
    share_axis,
    text_box,
    trend_svg,
)
from nhvmetrics.report.model import IndicatorInfo, IndicatorRow, Provenance, ReportData
from tests.fixtures.report_example import example_report_data, wilson
from tests.fixtures.svg import (
    overlapping_texts,
    plot_area,
    target_lines,
    texts,
    view_box,
    y_tick_values,
)


def _svgs(unit: str | None, lang: str) -> dict[tuple[str, str], str]:
    charts = all_charts(example_report_data(unit), lang)
    return {(iid, k): svg for iid, c in charts.items() for k, svg in c.items() if svg}


@pytest.mark.parametrize(("unit", "lang"), [("SE100", "sv"), (None, "en")])
def test_every_chart_is_labelled_for_screen_readers(unit: str | None, lang: str) -> None:
    for key, svg in _svgs(unit, lang).items():
        head = svg.split(">", 1)[0]
        assert 'role="img"' in head and 'aria-label="' in head, key
        assert 'viewBox="0 0 ' in head, key
        title = re.search(r"<title>(.+?)</title>", svg)
        desc = re.search(r"<desc>(.+?)</desc>", svg)
        assert title and desc, key
        # the title names the chart and the indicator; it is also the aria-label
        assert f'aria-label="{title.group(1)}"' in head
        assert svg.count("<svg") == 1 and svg.rstrip().endswith("</svg>")


def test_charts_carry_axis_labels_and_legend_in_the_language() -> None:
    sv = _svgs("SE100", "sv")
    en = _svgs(None, "en")
    funnel_sv = sv[("acc.visit_within_x", "comparison")]
    for word in ("Andel (%)", "Antal i nämnaren", "95 % gräns", "99,8 % gräns", "Riket"):
        assert f">{word}</text>" in funnel_sv, word
    assert ">Enhet SE100</text>" in funnel_sv and ">Mål: hög nivå</text>" in funnel_sv
    funnel_en = en[("acc.visit_within_x", "comparison")]
    for word in ("Share (%)", "Cases in the denominator", "95% limit", "National", "Units"):
        assert f">{word}</text>" in funnel_en, word
    assert ">År</text>" in sv[("acc.visit_within_x", "trend")]
    assert ">Year</text>" in en[("acc.visit_within_x", "trend")]


def test_suppressed_units_are_never_drawn() -> None:
    # SE400 is below the threshold everywhere; SE300's count is hidden by complementary
    # suppression (the national total minus the rest would give SE400 back)
    svgs = _svgs("SE100", "sv")
    for key, svg in svgs.items():
        assert "SE400" not in svg, key
    assert "SE300" not in svgs[("acc.patients", "comparison")]
    # and a chart of a suppressed unit's own trend is not drawn at all
    data = example_report_data("SE400")
    for info in data.indicators:
        svg = comparison_svg(data, info, "sv")
        assert svg is None or "SE400" not in svg


def test_charts_are_the_same_bytes_every_time() -> None:
    assert _svgs("SE100", "sv") == _svgs("SE100", "sv")


def _exact_limit(n: int, p0: float, prob: float) -> float:
    """Spiegelhalter's interpolated binomial quantile, by brute force with math.comb."""
    cdf, below, r = 0.0, 0.0, 0
    for r in range(n + 1):
        below = cdf
        cdf += math.comb(n, r) * p0**r * (1 - p0) ** (n - r)
        if cdf >= prob:
            break
    alpha = (cdf - prob) / (cdf - below)
    return (r - alpha) / n


@pytest.mark.parametrize("p0", [0.03, 0.35, 0.8, 0.97])
@pytest.mark.parametrize("z", [1.959964, 3.090232])
def test_funnel_limits_are_exact_binomial_with_interpolation(p0: float, z: float) -> None:
    from statistics import NormalDist

    q = NormalDist().cdf(z)
    ns = [1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144]
    got_ns, lo, hi = funnel_limits(p0, 150, z, ns=ns)
    assert got_ns == ns
    for n, a, b in zip(ns, lo, hi, strict=True):
        assert a == pytest.approx(100 * max(0.0, _exact_limit(n, p0, 1 - q)), abs=1e-7)
        assert b == pytest.approx(100 * min(1.0, _exact_limit(n, p0, q)), abs=1e-7)
        assert 0 <= a <= 100 * p0 <= b <= 100


def test_funnel_limits_narrow_with_n_and_stay_cheap_for_large_units() -> None:
    ns, lo, hi = funnel_limits(0.3, 50_000, 1.959964)
    assert ns[0] == 1 and ns[-1] == 50_000 and len(ns) < 300
    assert hi[-1] - lo[-1] < 1.0 and hi[10] - lo[10] > 40
    # normal approximation is right for large n
    half = 100 * 1.959964 * math.sqrt(0.3 * 0.7 / 50_000)
    assert hi[-1] - 30 == pytest.approx(half, abs=0.01)
    assert 30 - lo[-1] == pytest.approx(half, abs=0.01)


def test_nice_ticks() -> None:
    assert nice_ticks(0, 57) == (10.0, [0, 10, 20, 30, 40, 50, 60])
    assert nice_ticks(0, 322, most=8)[1][-1] == 350
    step, ticks = nice_ticks(0, 0.9)
    assert step == pytest.approx(0.2) and ticks[-1] == pytest.approx(1.0)


def test_rendering_needs_no_plotting_or_scipy() -> None:
    code = (
        "import sys\n"
        "from tests.fixtures.report_example import example_report_data\n"
        "from nhvmetrics.report.html import render_html\n"
        "render_html(example_report_data('SE100'), 'sv')\n"
        "print(sorted(m for m in ('matplotlib', 'scipy') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


# ---------------------------------------------------------------- axes, labels, phones


def _low_rate_report(unit: str | None = "U1", target: float | None = None) -> ReportData:
    """30-day mortality at 2–7 %: four units over four years (a hand-made table)."""
    info = IndicatorInfo(
        id="x.mortality_30d",
        version="1",
        title_sv="30-dagarsmortalitet",
        title_en="30-day mortality",
        type="proportion",
        higher_is_better=False,
        target_intermediate=target,
        target_high=None if target is None else target / 2,
    )
    rows = []
    for year in (2022, 2023, 2024, 2025):
        total_k = total_n = 0
        for i, u in enumerate(("U1", "U2", "U3", "U4")):
            n = 60 + 30 * i + (year - 2022) * 5
            k = 2 + (i + year) % 4
            total_k, total_n = total_k + k, total_n + n
            lo, hi = wilson(k, n)
            rows.append(
                IndicatorRow(info.id, year, u, "all", k, n, k / n, lo, hi, kind="proportion")
            )
        lo, hi = wilson(total_k, total_n)
        rows.append(
            IndicatorRow(
                info.id,
                year,
                "ALL",
                "all",
                total_k,
                total_n,
                total_k / total_n,
                lo,
                hi,
                kind="proportion",
            )
        )
    return ReportData(
        area="pelvic",
        year=2025,
        indicators=(info,),
        rows=tuple(rows),
        quality=(),
        findings=(),
        provenance=Provenance(dt.date(2026, 2, 15), "data", "0.1.0"),
        unit=unit,
    )


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda lay: lay.name)
@pytest.mark.parametrize("chart", [trend_svg, comparison_svg], ids=["trend", "comparison"])
def test_a_low_rate_axis_fits_the_data(chart, layout) -> None:
    data = _low_rate_report()
    info = data.indicators[0]
    svg = chart(data, info, "sv", layout)
    ticks = y_tick_values(svg)
    assert ticks[0] == 0 and ticks[-1] <= 30, ticks  # not 0–100 %
    values = [100 * r.value for r in data.rows]
    assert max(values) < 8 and ticks[-1] >= max(values)
    # the data use more than a quarter of the plot's height
    left, top, right, bottom = plot_area(svg)
    assert max(values) / ticks[-1] > 0.25


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda lay: lay.name)
@pytest.mark.parametrize("chart", [trend_svg, comparison_svg], ids=["trend", "comparison"])
def test_target_lines_are_inside_the_plot(chart, layout) -> None:
    data = _low_rate_report(target=0.3)  # far above the data: the axis reaches up to them
    info = data.indicators[0]
    svg = chart(data, info, "sv", layout)
    left, top, right, bottom = plot_area(svg)
    lines = target_lines(svg)
    assert len(lines) == 2
    for x1, y1, x2, y2 in lines:
        assert top <= y1 == y2 <= bottom and left <= x1 < x2 <= right
    assert y_tick_values(svg)[-1] >= 30


def test_the_share_axis() -> None:
    assert share_axis([2.0, 7.0]) == (0.0, 8.0, [0, 2, 4, 6, 8], 0)  # fitted, from zero
    lo, hi, ticks, _ = share_axis([85.0, 92.0, 88.0, 80.0, 90.0])  # high shares: zoomed in
    assert 70 <= lo < 80 and hi >= 92 and hi <= 100
    assert share_axis([0.0, 0.0])[1] <= 2  # all zero: a small axis, not 0–100
    assert share_axis([40.0, 100.0])[:2] == (0.0, 100.0)  # never beyond 100 %
    assert share_axis([])[:2] == (0.0, 100.0)


def _crowded_report() -> ReportData:
    """Twelve units with nearly the same share and denominator: too close to label them all."""
    info = IndicatorInfo(
        id="x.share", version="1", title_sv="Andel", title_en="Share", type="proportion"
    )
    rows = []
    for i in range(12):
        n, k = 50 + i, 30 + i % 3
        lo, hi = wilson(k, n)
        rows.append(
            IndicatorRow(
                info.id, 2025, f"UNIT{i:02d}", "all", k, n, k / n, lo, hi, kind="proportion"
            )
        )
    lo, hi = wilson(378, 666)
    rows.append(
        IndicatorRow(info.id, 2025, "ALL", "all", 378, 666, 378 / 666, lo, hi, kind="proportion")
    )
    return ReportData(
        area="acc",
        year=2025,
        indicators=(info,),
        rows=tuple(rows),
        quality=(),
        findings=(),
        provenance=Provenance(dt.date(2026, 2, 15), "data", "0.1.0"),
        unit="UNIT05",
    )


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda lay: lay.name)
def test_crowded_funnel_labels_never_overlap_and_none_is_lost(layout) -> None:
    data = _crowded_report()
    svg = comparison_svg(data, data.indicators[0], "sv", layout)
    assert overlapping_texts(svg) == []
    items = texts(svg)
    labelled = {text for text, _box, cls in items if cls == "point-label"}
    below = " ".join(text for text, _box, cls in items if not cls)
    assert "UNIT05" in labelled  # the reporting unit is labelled first
    for i in range(12):
        unit = f"UNIT{i:02d}"
        assert unit in labelled or f"{unit} (" in below, unit
    # labels stay inside the plot
    left, top, right, bottom = plot_area(svg)
    for _text, (x0, y0, x1, y1), cls in items:
        if cls == "point-label":
            assert left <= x0 and x1 <= right and top <= y0 and y1 <= bottom


@pytest.mark.parametrize(("unit", "lang"), [("SE100", "sv"), (None, "en")])
def test_no_two_texts_overlap_in_the_example(unit: str | None, lang: str) -> None:
    for key, svg in _svgs(unit, lang).items():
        assert overlapping_texts(svg) == [], key


def test_the_text_box_estimate() -> None:
    assert text_box(10, 20, "abcd", 10) == pytest.approx((10, 12, 34, 22))
    assert text_box(10, 20, "abcd", 10, "end") == pytest.approx((-14, 12, 10, 22))
    assert text_box(10, 20, "abcd", 10, "middle", rotate=True) == pytest.approx((2, 8, 12, 32))
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">'
        '<text x="10" y="20" font-size="10">abcd</text>'
        '<text x="30" y="24" font-size="10">efgh</text></svg>'
    )
    assert overlapping_texts(svg) == [("abcd", "efgh")]  # the checker sees an overlap


def test_the_narrow_layout_is_for_a_phone() -> None:
    charts = all_charts(example_report_data("SE100"), "sv")
    with_legend = 0
    for iid, c in charts.items():
        assert (c["trend"] is None) == (c["trend_narrow"] is None), iid
        assert (c["comparison"] is None) == (c["comparison_narrow"] is None), iid
        for key in ("trend_narrow", "comparison_narrow"):
            svg = c[key]
            if svg is None:
                continue
            assert 'class="chart-narrow"' in svg and view_box(svg)[0] == NARROW.width
            sizes = [float(s) for s in re.findall(r'font-size="([\d.]+)"', svg)]
            # drawn about 360 px wide on a phone: no text below 11 px
            assert min(sizes) >= 11, (iid, key)
            # the legend sits below the plot, not beside it
            left, top, right, bottom = plot_area(svg)
            legend = [box for _t, box, cls in texts(svg) if cls == "legend"]
            assert all(box[1] > bottom for box in legend), (iid, key)
            with_legend += bool(legend)
            assert right > 0.9 * NARROW.width - 20
    assert with_legend >= 6


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["sv", "en"])
def test_charts_of_every_sample_report_have_no_overlapping_text_and_fitted_axes(lang) -> None:
    """All four areas, canonical and INCA exports, national and for a unit: no two texts of
    any chart overlap, target lines lie inside their plots, and a share chart whose values all
    lie below 30 % has an axis that stops well below 100 %."""
    from tests.fixtures.sample_reports import every_sample_report

    n = 0
    for name, data in every_sample_report():
        for info in data.indicators:
            for layout in LAYOUTS:
                for chart in (trend_svg, comparison_svg):
                    svg = chart(data, info, lang, layout)
                    if svg is None:
                        continue
                    n += 1
                    where = (name, info.id, chart.__name__, layout.name)
                    assert overlapping_texts(svg) == [], where
                    left, top, right, bottom = plot_area(svg)
                    for _x1, y1, _x2, _y2 in target_lines(svg):
                        assert top - 0.05 <= y1 <= bottom + 0.05, where
    assert n > 500
