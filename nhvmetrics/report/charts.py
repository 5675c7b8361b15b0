"""Charts as inline SVG strings, drawn with matplotlib (Agg/SVG canvas, no pyplot state).

Deterministic: every chart is drawn inside an ``rc_context`` with its own ``svg.hashsalt``
(so element ids are stable and unique per chart), text kept as text (``svg.fonttype: none``)
and no date in the metadata, so the same figures give the same bytes on every run.
Colours are the Okabe–Ito palette (colour-blind safe); series also differ by marker and line
style so they read in black and white and when printed.

matplotlib is imported inside the functions: importing this module is cheap.
"""

from __future__ import annotations

import html
import io
import math
import re
from collections.abc import Sequence

from nhvmetrics.report.labels import labels
from nhvmetrics.report.model import IndicatorInfo, ReportData
from nhvmetrics.report.present import fmt_number, is_suppressed

# Okabe & Ito (2008), "Color Universal Design"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
GREEN = "#009E73"
ORANGE = "#E69F00"
SKY = "#56B4E9"
PURPLE = "#CC79A7"
GREY = "#5f5f5f"

WIDTH_IN = 6.4
HEIGHT_IN = 2.9

_RC = {
    "svg.fonttype": "none",
    "svg.image_inline": True,
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
    "font.size": 9,
    "axes.titlesize": 9,
    "axes.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#d9d9d9",
    "grid.linewidth": 0.6,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "lines.linewidth": 1.6,
    "path.simplify": False,
}


def _new_figure(height: float = HEIGHT_IN):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH_IN, height), dpi=72)
    # fixed margins (no constrained layout: one draw instead of two); the legend sits at the right
    fig.subplots_adjust(
        left=0.75 / WIDTH_IN, right=1 - 1.95 / WIDTH_IN, bottom=0.55 / height, top=1 - 0.12 / height
    )
    return fig, fig.add_subplot(1, 1, 1)


def _to_svg(fig, aria_label: str, prefix: str = "c") -> str:
    """Serialise ``fig`` to an SVG element (no XML prolog, no doctype, no date)."""
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    FigureCanvasSVG(fig)
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": "nhvmetrics"})
    text = buf.getvalue()
    start = text.find("<svg")
    text = text[start:]
    label = html.escape(aria_label, quote=True)
    text = text.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)
    # drop the metadata block: nothing in it is needed to view the chart
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, count=1, flags=re.S)
    # several charts share one HTML page: give every id (and reference to it) a chart prefix
    text = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}-{m.group(1)}"', text)
    text = re.sub(r'(url\(#|href="#)([^)"]+)', lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", text)
    return text.strip() + "\n"


def _draw(salt: str, draw, aria_label: str, height: float = HEIGHT_IN) -> str | None:
    import matplotlib

    with matplotlib.rc_context({**_RC, "svg.hashsalt": f"nhvmetrics-{salt}"}):
        fig, ax = _new_figure(height)
        if draw(fig, ax) is False:
            return None
        import hashlib

        digest = hashlib.sha256(salt.encode("utf-8")).hexdigest()[:10]
        prefix = "c" + digest.translate(str.maketrans("0123456789", "ghijklmnop"))  # no digit runs
        return _to_svg(fig, aria_label, prefix)


def _scale(kind: str) -> float:
    return 100.0 if kind in ("proportion", "survival", "distribution") else 1.0


def _axis_label(kind: str, info: IndicatorInfo, lang: str) -> str:
    t = labels(lang)
    if kind == "median" and info.unit_text(lang):
        return f"{t['median_axis']} ({info.unit_text(lang)})"
    if kind == "median" and info.type != "duration":
        return t["median_axis"]
    return {
        "proportion": t["share_axis"],
        "distribution": t["share_axis"],
        "survival": t["survival_axis"],
        "median": t["days_axis"],
    }.get(kind, t["count_axis"])


def _percent_formatter(lang: str):
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _pos: fmt_number(v, 0, lang))


def _targets(ax, info: IndicatorInfo, lang: str, kind: str) -> None:
    if kind not in ("proportion", "survival"):
        return  # target levels are shares; a median or count has none of its own
    t = labels(lang)
    s = _scale(kind)
    if info.target_high is not None:
        ax.axhline(
            info.target_high * s,
            color=GREEN,
            linestyle=(0, (6, 3)),
            linewidth=1.1,
            label=t["legend_target_high"],
        )
    if info.target_intermediate is not None:
        ax.axhline(
            info.target_intermediate * s,
            color=ORANGE,
            linestyle=(0, (1.5, 2)),
            linewidth=1.3,
            label=t["legend_target_intermediate"],
        )


def trend_svg(data: ReportData, info: IndicatorInfo, lang: str = "sv") -> str | None:
    """Value per year for the nation (and the unit), with the CI (or quartile) band."""
    t = labels(lang)
    periods = data.periods(info.id)
    if not periods:
        return None
    kind = data.kind(info)
    s = _scale(kind)
    series = [(data.national, t["national_short"], BLUE, "o", "-")]
    if data.unit:
        series.append((data.unit, f"{t['unit']} {data.unit}", VERMILLION, "s", "--"))

    def points(unit: str):
        xs, ys, lo, hi = [], [], [], []
        for p in periods:
            r = data.row(info.id, unit, p)
            ok = (
                r is not None
                and r.computable
                and r.has_value
                and not is_suppressed(r, info, data.min_count)
            )
            xs.append(p)
            ys.append(r.value * s if ok else math.nan)
            if ok and kind == "median" and r.q1 is not None and r.q3 is not None:
                lo.append(r.q1 * s)
                hi.append(r.q3 * s)
            elif ok and r.ci_low is not None and r.ci_high is not None:
                lo.append(r.ci_low * s)
                hi.append(r.ci_high * s)
            else:
                lo.append(math.nan)
                hi.append(math.nan)
        return xs, ys, lo, hi

    drawn = [
        (unit, name, colour, marker, ls, *points(unit)) for unit, name, colour, marker, ls in series
    ]
    if all(all(math.isnan(y) for y in d[6]) for d in drawn):
        return None

    def draw(fig, ax):
        for _unit, name, colour, marker, ls, xs, ys, lo, hi in drawn:
            if any(not math.isnan(v) for v in lo):
                ax.fill_between(xs, lo, hi, color=colour, alpha=0.15, linewidth=0)
            ax.plot(xs, ys, color=colour, marker=marker, linestyle=ls, markersize=5, label=name)
        _targets(ax, info, lang, kind)
        ax.set_xlabel(t["year_axis"])
        ax.set_ylabel(_axis_label(kind, info, lang))
        ax.set_xticks(periods)
        ax.set_xticklabels([str(p) for p in periods])
        if len(periods) == 1:
            ax.set_xlim(periods[0] - 1, periods[0] + 1)
        if s == 100.0:
            ax.set_ylim(0, 102)
            ax.yaxis.set_major_formatter(_percent_formatter(lang))
        else:
            ax.set_ylim(bottom=0)
            ax.yaxis.set_major_formatter(_percent_formatter(lang))
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))

    return _draw(
        f"trend-{data.area}-{info.id}-{data.unit}-{lang}", draw, f"{t['trend']}: {info.title(lang)}"
    )


def _funnel_limits(
    p0: float, n_max: float, z: float
) -> tuple[list[float], list[float], list[float]]:
    """Control limits around ``p0`` for denominators 1 … n_max, in percent.

    Exact binomial limits with Spiegelhalter's interpolation between the integer quantiles
    (Spiegelhalter, "Funnel plots for comparing institutional performance", Stat Med 2005), so
    they stay right for small units and shares near 0 or 1 where the normal approximation fails.
    Computed for every denominator at once (vectorised over n).
    """
    from statistics import NormalDist

    import numpy as np

    q = NormalDist().cdf(z)
    ns = np.arange(1, int(math.ceil(n_max)) + 1, dtype=float)
    lo = 100 * _binom_limits(ns, p0, 1 - q)
    hi = 100 * _binom_limits(ns, p0, q)
    return ns.tolist(), lo.tolist(), hi.tolist()


def _binom_cdf(k, ns, p0: float):
    """Binomial CDF P(X <= k) for X ~ Bin(n, p0), vectorised; 0 below k = 0 (scipy.special.bdtr)."""
    import numpy as np
    from scipy.special import bdtr  # far lighter to import than scipy.stats

    kk = np.clip(k, 0, ns).astype(np.int64)
    return np.where(k < 0, 0.0, bdtr(kk, ns.astype(np.int64), p0))


def _binom_ppf(prob: float, ns, p0: float):
    """Smallest integer r with P(X <= r) >= prob, for every n at once (as scipy.stats.binom.ppf)."""
    import numpy as np

    r = np.zeros_like(ns)
    hi = ns.copy()
    # binary search over 0 … n, all n together: ~log2(n_max) rounds of one vectorised CDF each
    while np.any(r < hi):
        mid = np.floor((r + hi) / 2)
        ok = _binom_cdf(mid, ns, p0) >= prob
        hi = np.where(ok, mid, hi)
        r = np.where(ok, r, mid + 1)
    return r


def _binom_limits(ns, p0: float, prob: float):
    import numpy as np

    if p0 <= 0.0 or p0 >= 1.0:
        return np.full(ns.shape, p0)
    r = _binom_ppf(prob, ns, p0)
    below = _binom_cdf(r - 1, ns, p0)
    at = _binom_cdf(r, ns, p0)
    gap = at - below
    alpha = np.where(gap > 0, (at - prob) / np.where(gap > 0, gap, 1.0), 0.0)
    return np.clip((r - alpha) / ns, 0.0, 1.0)


def comparison_svg(data: ReportData, info: IndicatorInfo, lang: str = "sv") -> str | None:
    """Units compared for the report year: a funnel plot for proportions, else value with CI."""
    units = [
        r
        for r in data.units(info.id)
        if r.computable and r.has_value and not is_suppressed(r, info, data.min_count)
    ]
    if not units:
        return None
    national = data.row(info.id, data.national)
    nat_ok = (
        national is not None
        and national.has_value
        and not is_suppressed(national, info, data.min_count)
    )
    kind = data.kind(info)
    if kind == "proportion" and nat_ok and all(r.denominator for r in units):
        return _funnel(data, info, units, national.value, lang)
    return _forest(data, info, units, national.value if nat_ok else None, lang, kind)


def _funnel(data: ReportData, info: IndicatorInfo, units, p0: float, lang: str) -> str | None:
    t = labels(lang)
    n_max = max(r.denominator for r in units) * 1.15 + 5

    def draw(fig, ax):
        for z, ls, name in (
            (1.959964, (0, (5, 3)), t["limit95"]),
            (3.090232, (0, (1.5, 2)), t["limit998"]),
        ):
            ns, lo, hi = _funnel_limits(p0, n_max, z)
            ax.plot(ns, lo, color=GREY, linestyle=ls, linewidth=1.0, label=name)
            ax.plot(ns, hi, color=GREY, linestyle=ls, linewidth=1.0)
        ax.axhline(p0 * 100, color=BLUE, linewidth=1.2, label=t["national_short"])
        others = [r for r in units if r.unit != data.unit]
        mine = [r for r in units if r.unit == data.unit]
        ax.scatter(
            [r.denominator for r in others],
            [r.value * 100 for r in others],
            s=26,
            color=SKY,
            edgecolors=BLUE,
            linewidths=0.8,
            zorder=3,
            label=t["units_label"],
        )
        if mine:
            ax.scatter(
                [r.denominator for r in mine],
                [r.value * 100 for r in mine],
                s=46,
                marker="s",
                color=VERMILLION,
                zorder=4,
                label=f"{t['unit']} {data.unit}",
            )
        # labels alternate above and below the points, so neighbours do not overprint
        for i, r in enumerate(sorted(units, key=lambda r: (r.denominator, r.value, r.unit))):
            ax.annotate(
                r.unit,
                (r.denominator, r.value * 100),
                textcoords="offset points",
                xytext=(4, 3) if i % 2 == 0 else (4, -10),
                fontsize=7,
                color="#333333",
            )
        _targets(ax, info, lang, "proportion")
        ax.set_xlim(0, n_max)
        ax.set_ylim(0, 102)
        ax.set_xlabel(t["denominator_axis"])
        ax.set_ylabel(t["share_axis"])
        ax.yaxis.set_major_formatter(_percent_formatter(lang))
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))

    return _draw(
        f"funnel-{data.area}-{info.id}-{data.unit}-{lang}",
        draw,
        f"{t['comparison']}: {info.title(lang)}",
    )


def _forest(
    data: ReportData, info: IndicatorInfo, units, national: float | None, lang: str, kind: str
):
    t = labels(lang)
    s = _scale(kind)
    height = max(1.6, 0.9 + 0.28 * len(units))

    def draw(fig, ax):
        ys = list(range(len(units)))[::-1]
        for y, r in zip(ys, units, strict=True):
            mine = r.unit == data.unit
            colour = VERMILLION if mine else BLUE
            lo, hi = (r.q1, r.q3) if kind == "median" else (r.ci_low, r.ci_high)
            if kind == "count" or (lo is None or hi is None):
                if kind == "count":
                    ax.barh(
                        y,
                        r.value * s,
                        height=0.55,
                        color=SKY if not mine else VERMILLION,
                        edgecolor=colour,
                        linewidth=0.8,
                    )
                    continue
            else:
                ax.plot([lo * s, hi * s], [y, y], color=colour, linewidth=1.6)
            ax.plot(
                [r.value * s],
                [y],
                marker="s" if mine else "o",
                color=colour,
                markersize=6,
                linestyle="none",
            )
        if national is not None and kind != "count":
            ax.axvline(
                national * s,
                color=GREY,
                linestyle=(0, (5, 3)),
                linewidth=1.0,
                label=t["national_short"],
            )
        if s == 100.0:
            ax.set_xlim(0, 102)
        else:
            ax.set_xlim(left=0)
        ax.xaxis.set_major_formatter(_percent_formatter(lang))
        ax.set_ylim(-0.6, len(units) - 0.4)
        ax.set_yticks(ys)
        ax.set_yticklabels([r.unit for r in units])
        ax.set_ylabel(t["unit"])
        ax.set_xlabel(_axis_label(kind, info, lang))
        ax.grid(axis="y", visible=False)
        if national is not None and kind != "count":
            ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))

    return _draw(
        f"forest-{data.area}-{info.id}-{data.unit}-{lang}",
        draw,
        f"{t['comparison']}: {info.title(lang)}",
        height=height,
    )


def all_charts(data: ReportData, lang: str) -> dict[str, dict[str, str | None]]:
    """``{indicator_id: {"trend": svg, "comparison": svg}}`` for every indicator."""
    return {
        info.id: {
            "trend": trend_svg(data, info, lang),
            "comparison": comparison_svg(data, info, lang),
        }
        for info in data.indicators
    }


__all__: Sequence[str] = ("trend_svg", "comparison_svg", "all_charts")
