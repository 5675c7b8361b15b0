"""The charts: SVG written by nhvmetrics itself — accessible, suppression-safe, right limits."""

from __future__ import annotations

import math
import re
import subprocess
import sys

import pytest

from nhvmetrics.report.charts import all_charts, comparison_svg, funnel_limits, nice_ticks
from tests.fixtures.report_example import example_report_data


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
