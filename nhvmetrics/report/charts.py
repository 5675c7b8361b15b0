"""Charts as inline SVG strings, written directly (no plotting library).

The three charts of the report — the trend over the years, the funnel plot and the unit
comparison (value with CI per unit, or bars for counts) — are lines, dots, bands and a few
labels, so they are built here as SVG text: a viewBox in user units (``WIDTH`` wide), axes with
"nice" ticks, grid lines, a legend at the right, text kept as text in the page's font.

Every chart is an ``<svg role="img">`` with an ``aria-label``, a ``<title>`` (what it shows) and
a ``<desc>`` (the plotted figures in words), in the report's language. Only figures that are
shown in the report are drawn or described: suppressed units and years never reach a chart, nor
a unit without cases where a hidden unit is beside it.

Deterministic by construction: plain string formatting of rounded coordinates, no ids, no
dates, no randomness, so the same figures give the same bytes on every run and platform.
Colours are the Okabe–Ito palette (colour-blind safe); series also differ by marker and line
style so they read in black and white and when printed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from nhvmetrics.report.labels import labels
from nhvmetrics.report.model import IndicatorInfo, ReportData
from nhvmetrics.report.present import (
    fmt_number,
    fmt_value,
    is_empty,
    is_suppressed,
    reads_as_hidden,
)

# Okabe & Ito (2008), "Color Universal Design"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
GREEN = "#009E73"
ORANGE = "#E69F00"
SKY = "#56B4E9"
PURPLE = "#CC79A7"
GREY = "#5f5f5f"
INK = "#222222"
GRID = "#dcdcdc"

WIDTH = 640  # user units; the page scales the chart to its column (CSS width: 100%)
HEIGHT = 290
FONT = "'Segoe UI','Helvetica Neue',Arial,'Liberation Sans','DejaVu Sans',sans-serif"
FS = 12  # axis labels
FS_TICK = 11  # tick labels and legend
FS_POINT = 10  # unit labels beside the funnel's points
CHAR_W = 0.6  # average width of a character, in ems (generous for a sans-serif)

TOP = 14
BOTTOM = 50
LEGEND_GAP = 16
LEGEND_ROW = 19
LEGEND_SAMPLE = 26
LEGEND_MIN = 190  # the room at the right of every chart (its legend), so plots line up

# line styles (SVG stroke-dasharray)
DASHED = "7 4"
DOTTED = "2 3"


# ---------------------------------------------------------------- small helpers


def _n(v: float) -> str:
    """A coordinate: one decimal, no trailing ``.0``, never ``-0``."""
    s = f"{v:.1f}"
    if s.endswith(".0"):
        s = s[:-2]
    return "0" if s == "-0" else s


def _text_width(text: str, size: float) -> float:
    return len(text) * size * CHAR_W


def _short(label: str, most: int = 24) -> str:
    """A unit code as drawn (the ``<desc>`` keeps it whole): long ones end in an ellipsis."""
    return label if len(label) <= most else label[: most - 1] + "…"


def _finite(v: float | None) -> bool:
    return v is not None and math.isfinite(v)


def _scale(kind: str) -> float:
    return 100.0 if kind in ("proportion", "survival", "distribution") else 1.0


def _axis_label(kind: str, info: IndicatorInfo, lang: str) -> str:
    t = labels(lang)
    if kind == "median" and info.unit_text(lang):
        return f"{t['median_axis']} ({info.unit_text(lang)})"
    if kind == "median" and info.value_axis != "days":
        return t["median_axis"]
    return {
        "proportion": t["share_axis"],
        "distribution": t["share_axis"],
        "survival": t["survival_axis"],
        "median": t["days_axis"],
    }.get(kind, t["count_axis"])


def nice_ticks(lo: float, hi: float, most: int = 6) -> tuple[float, list[float]]:
    """Tick step and ticks from ``lo`` to at least ``hi`` (steps of 1, 2, 2.5 or 5 × 10^k)."""
    span = hi - lo
    if not span > 0:
        span = abs(hi) or 1.0
    raw = span / most
    mag = 10.0 ** math.floor(math.log10(raw))
    step = mag * 10
    for m in (1, 2, 2.5, 5, 10):
        if span / (m * mag) <= most:
            step = m * mag
            break
    first = math.floor(lo / step + 1e-9)
    last = math.ceil(hi / step - 1e-9)
    if last <= first:
        last = first + 1
    return step, [round(i * step, 10) for i in range(first, last + 1)]


def _decimals(step: float) -> int:
    """Decimals that show every multiple of ``step`` (0.25 -> 2, 0.5 -> 1, 5 -> 0)."""
    for d in range(7):
        if abs(round(step, d) - step) <= 1e-9 * step:
            return d
    return 6


class _Axis:
    """A linear map from data to user units, with its ticks."""

    def __init__(self, lo: float, hi: float, a: float, b: float, ticks: list[float], decimals: int):
        self.lo, self.hi, self.a, self.b = lo, hi, a, b
        self.ticks = [v for v in ticks if lo - 1e-9 <= v <= hi + 1e-9]
        self.decimals = decimals

    def __call__(self, v: float) -> float:
        return self.a + (v - self.lo) / (self.hi - self.lo) * (self.b - self.a)

    def label(self, v: float, lang: str) -> str:
        return fmt_number(v, self.decimals, lang)


def _value_axis(values: Sequence[float], percent: bool) -> tuple[float, float, list[float], int]:
    """Range, ticks and decimals of a value axis: 0–100 for shares, else from 0 (or below)."""
    if percent:
        return 0.0, 100.0, [0, 20, 40, 60, 80, 100], 0
    finite = [v for v in values if math.isfinite(v)]
    top = max(finite, default=1.0)
    bottom = min(0.0, min(finite, default=0.0))
    if top <= bottom:
        top = bottom + 1.0
    step, ticks = nice_ticks(bottom, bottom + (top - bottom) * 1.05, most=8)
    return ticks[0], ticks[-1], ticks, _decimals(step)


class _Svg:
    """Accumulates the elements of one chart."""

    def __init__(self, width: float, height: float) -> None:
        self.width, self.height = width, height
        self.parts: list[str] = []

    def add(self, s: str) -> None:
        self.parts.append(s)

    def line(self, x1, y1, x2, y2, stroke, width=1.0, dash: str | None = None) -> None:
        d = f' stroke-dasharray="{dash}"' if dash else ""
        self.add(
            f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" '
            f'stroke="{stroke}" stroke-width="{_n(width)}"{d}/>'
        )

    def polyline(self, pts, stroke, width=1.6, dash: str | None = None) -> None:
        if len(pts) < 2:
            return
        d = f' stroke-dasharray="{dash}"' if dash else ""
        xy = " ".join(f"{_n(x)},{_n(y)}" for x, y in pts)
        self.add(
            f'<polyline points="{xy}" fill="none" stroke="{stroke}" stroke-width="{_n(width)}"'
            f' stroke-linejoin="round"{d}/>'
        )

    def polygon(self, pts, fill, opacity: float) -> None:
        xy = " ".join(f"{_n(x)},{_n(y)}" for x, y in pts)
        self.add(f'<polygon points="{xy}" fill="{fill}" fill-opacity="{opacity:g}"/>')

    def rect(self, x, y, w, h, fill, stroke=None, width=1.0) -> None:
        s = f' stroke="{stroke}" stroke-width="{_n(width)}"' if stroke else ""
        self.add(
            f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" fill="{fill}"{s}/>'
        )

    def marker(self, shape: str, x, y, fill, stroke=None, size: float = 7.0) -> None:
        s = f' stroke="{stroke}" stroke-width="1.1"' if stroke else ""
        if shape == "s":
            h = size / 2
            self.add(
                f'<rect x="{_n(x - h)}" y="{_n(y - h)}" width="{_n(size)}" height="{_n(size)}"'
                f' fill="{fill}"{s}/>'
            )
        else:
            self.add(f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(size / 2)}" fill="{fill}"{s}/>')

    def text(
        self, x, y, text: str, *, anchor="start", size=FS_TICK, fill=INK, rotate=False
    ) -> None:
        a = "" if anchor == "start" else f' text-anchor="{anchor}"'
        r = f' transform="rotate(-90 {_n(x)} {_n(y)})"' if rotate else ""
        self.add(
            f'<text x="{_n(x)}" y="{_n(y)}" font-size="{size}" fill="{fill}"{a}{r}>'
            f"{escape(text, quote=False)}</text>"
        )

    def render(self, title: str, desc: str) -> str:
        label = escape(title, quote=True)
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{label}" '
            f'width="{_n(self.width)}" height="{_n(self.height)}" '
            f'viewBox="0 0 {_n(self.width)} {_n(self.height)}" font-family="{FONT}">'
        )
        return (
            "\n".join(
                [
                    head,
                    f"<title>{escape(title, quote=False)}</title>",
                    f"<desc>{escape(desc, quote=False)}</desc>",
                    f'<rect width="{_n(self.width)}" height="{_n(self.height)}" fill="#ffffff"/>',
                    *self.parts,
                    "</svg>",
                ]
            )
            + "\n"
        )


class _Legend:
    """Entries of a legend drawn to the right of the plot: (label, line, marker)."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, dict]] = []

    def add(self, label: str, **style) -> None:
        self.entries.append((label, style))

    def width(self) -> float:
        if not self.entries:
            return 0.0
        widest = max(_text_width(label, FS_TICK) for label, _ in self.entries)
        return LEGEND_GAP + LEGEND_SAMPLE + 8 + widest + 6

    def draw(self, svg: _Svg, x0: float, y0: float) -> None:
        for i, (label, st) in enumerate(self.entries):
            y = y0 + 8 + i * LEGEND_ROW
            x = x0 + LEGEND_GAP
            if st.get("band"):
                svg.rect(x, y - 6, LEGEND_SAMPLE, 12, st["band"])
            if st.get("stroke"):
                svg.line(
                    x, y, x + LEGEND_SAMPLE, y, st["stroke"], st.get("width", 1.6), st.get("dash")
                )
            if st.get("marker"):
                svg.marker(
                    st["marker"],
                    x + LEGEND_SAMPLE / 2,
                    y,
                    st.get("fill", INK),
                    st.get("edge"),
                    st.get("size", 7.0),
                )
            svg.text(x + LEGEND_SAMPLE + 8, y + 0.36 * FS_TICK, label)


def _frame(
    svg: _Svg,
    xa: _Axis,
    ya: _Axis,
    lang: str,
    *,
    xlabel: str,
    ylabel: str,
    xgrid: bool = True,
    ygrid: bool = True,
    xtick_text=None,
    ytick_text=None,
) -> None:
    """Grid lines, axis lines, ticks and axis labels (drawn first: under the data)."""
    left, right, bottom, top = xa.a, xa.b, ya.a, ya.b
    for v in xa.ticks if xgrid else ():
        svg.line(xa(v), top, xa(v), bottom, GRID, 0.8)
    for v in ya.ticks if ygrid else ():
        svg.line(left, ya(v), right, ya(v), GRID, 0.8)
    for v in xa.ticks:
        x = xa(v)
        svg.line(x, bottom, x, bottom + 4, INK, 0.9)
        svg.text(x, bottom + 17, (xtick_text or xa.label)(v, lang), anchor="middle")
    for v in ya.ticks:
        y = ya(v)
        svg.line(left - 4, y, left, y, INK, 0.9)
        svg.text(left - 7, y + 0.36 * FS_TICK, (ytick_text or ya.label)(v, lang), anchor="end")
    svg.line(left, bottom, right, bottom, INK, 1.0)
    svg.line(left, bottom, left, top, INK, 1.0)
    svg.text((left + right) / 2, bottom + 38, xlabel, anchor="middle", size=FS)
    svg.text(16, (top + bottom) / 2, ylabel, anchor="middle", size=FS, rotate=True)


def _left_margin(tick_labels: Sequence[str]) -> float:
    widest = max((_text_width(s, FS_TICK) for s in tick_labels), default=0.0)
    return max(58.0, 16 + FS / 2 + 10 + widest + 9)


def _runs(points: Sequence[tuple[float, float] | None]) -> list[list[tuple[float, float]]]:
    """Consecutive non-missing points (a missing year breaks a line, as it should)."""
    out: list[list[tuple[float, float]]] = [[]]
    for p in points:
        if p is None:
            if out[-1]:
                out.append([])
        else:
            out[-1].append(p)
    return [r for r in out if r]


def _target_lines(
    info: IndicatorInfo, lang: str, kind: str
) -> list[tuple[float, str, str, str, float]]:
    """(value, label, colour, dash, width) of the target levels drawn on a share axis."""
    if kind not in ("proportion", "survival"):
        return []  # target levels are shares; a median or count has none of its own
    t = labels(lang)
    s = _scale(kind)
    out = []
    if info.target_high is not None:
        out.append((info.target_high * s, t["legend_target_high"], GREEN, DASHED, 1.4))
    if info.target_intermediate is not None:
        out.append(
            (info.target_intermediate * s, t["legend_target_intermediate"], ORANGE, DOTTED, 1.7)
        )
    return out


def _shown(r, info: IndicatorInfo, data: ReportData) -> bool:
    """Drawn: a computable value that is not hidden and does not read as hidden (a unit without
    cases beside a hidden unit is not drawn either: present.py, "Hidden and zero look alike")."""
    return (
        r is not None
        and r.computable
        and r.has_value
        and _finite(r.value)
        and not is_suppressed(r, info, data.min_count)
        and not (is_empty(r, info) and reads_as_hidden(data, info, r.unit, r.stratum, r.period))
    )


# ---------------------------------------------------------------- trend


def trend_svg(data: ReportData, info: IndicatorInfo, lang: str = "sv") -> str | None:
    """Value per year for the nation (and the unit), with the CI (or quartile) band."""
    t = labels(lang)
    periods = data.periods(info.id)
    if not periods:
        return None
    kind = data.kind(info)
    s = _scale(kind)
    series = [(data.national, t["national_short"], BLUE, "o", None)]
    if data.unit:
        series.append((data.unit, f"{t['unit']} {data.unit}", VERMILLION, "s", DASHED))

    drawn = []
    for unit, name, colour, marker, dash in series:
        pts: list[tuple[int, float, float | None, float | None, float] | None] = []
        for p in periods:
            r = data.row(info.id, unit, p)
            if not _shown(r, info, data):
                pts.append(None)
                continue
            lo = hi = None
            if kind == "median" and _finite(r.q1) and _finite(r.q3):
                lo, hi = r.q1 * s, r.q3 * s
            elif _finite(r.ci_low) and _finite(r.ci_high):
                lo, hi = r.ci_low * s, r.ci_high * s
            pts.append((p, r.value * s, lo, hi, r.value))
        drawn.append((name, colour, marker, dash, pts))
    if all(all(p is None for p in pts) for *_, pts in drawn):
        return None

    targets = _target_lines(info, lang, kind)
    values = [
        v
        for *_, pts in drawn
        for p in pts
        if p is not None
        for v in (p[1], p[2], p[3])
        if v is not None
    ]
    lo, hi, yticks, dec = _value_axis(values, s == 100.0)
    legend = _Legend()
    for name, colour, marker, dash, _pts in drawn:
        legend.add(
            _short(name, 30), stroke=colour, dash=dash, width=2.0, marker=marker, fill=colour
        )
    for _v, label, colour, dash, width in targets:
        legend.add(label, stroke=colour, dash=dash, width=width)

    probe = _Axis(lo, hi, 0, 1, yticks, dec)
    left = _left_margin([probe.label(v, lang) for v in yticks])
    right = WIDTH - max(LEGEND_MIN, legend.width())
    svg = _Svg(WIDTH, HEIGHT)
    pad = 1.0 if len(periods) == 1 else 0.45
    xa = _Axis(periods[0] - pad, periods[-1] + pad, left, right, list(periods), 0)
    ya = _Axis(lo, hi, HEIGHT - BOTTOM, TOP, yticks, dec)
    _frame(
        svg,
        xa,
        ya,
        lang,
        xlabel=t["year_axis"],
        ylabel=_axis_label(kind, info, lang),
        xtick_text=lambda v, _lang: str(int(v)),
    )
    for _name, colour, _marker, _dash, pts in drawn:
        for run in _runs([p if p is None or p[2] is not None else None for p in pts]):
            upper = [(xa(p[0]), ya(p[3])) for p in run]
            lower = [(xa(p[0]), ya(p[2])) for p in reversed(run)]
            if len(run) == 1:  # a single year: a narrow band around its point
                (x, y_hi), (_, y_lo) = upper[0], lower[0]
                upper, lower = [(x - 4, y_hi), (x + 4, y_hi)], [(x + 4, y_lo), (x - 4, y_lo)]
            svg.polygon(upper + lower, colour, 0.15)
    for v, _label, colour, dash, width in targets:
        svg.line(left, ya(v), right, ya(v), colour, width, dash)
    for _name, colour, marker, dash, pts in drawn:
        for run in _runs([None if p is None else (xa(p[0]), ya(p[1])) for p in pts]):
            svg.polyline(run, colour, 2.0, dash)
        for p in pts:
            if p is not None:
                svg.marker(marker, xa(p[0]), ya(p[1]), colour)
    legend.draw(svg, right, TOP)

    desc = "; ".join(
        f"{name}: "
        + ", ".join(f"{p[0]} {fmt_value(kind, p[4], lang)}" for p in pts if p is not None)
        for name, _c, _m, _d, pts in drawn
        if any(p is not None for p in pts)
    )
    title = f"{t['trend']}: {info.title(lang)}"
    return svg.render(title, f"{_axis_label(kind, info, lang)}. {desc}.")


# ---------------------------------------------------------------- funnel limits


def _binom_limits(ns, p0: float, probs: Sequence[float]) -> list:
    """Control limits (shares, 0–1) around ``p0`` for every denominator in ``ns``, per prob.

    For each n: the exact binomial quantile ``r`` (the smallest with P(X ≤ r) ≥ prob,
    X ~ Bin(n, p0)) with Spiegelhalter's interpolation ``(r − α) / n``,
    α = (P(X ≤ r) − prob) / P(X = r). The probability mass outside n·p0 ± 15 standard
    deviations is below 1e-40, so the CDF is summed over that window only: one matrix of
    len(ns) × (window) for all n and all probs, numpy only.
    """
    import numpy as np

    ns = np.asarray(ns, dtype=np.int64)
    if p0 <= 0.0 or p0 >= 1.0:
        return [np.full(ns.shape, p0) for _ in probs]
    n = ns.astype(float)
    sd = np.sqrt(n * p0 * (1 - p0))
    k0 = np.maximum(0, np.floor(n * p0 - 15 * sd - 1)).astype(np.int64)
    k1 = np.minimum(ns, np.ceil(n * p0 + 15 * sd + 1).astype(np.int64))
    width = int((k1 - k0).max()) + 1
    k = k0[:, None] + np.arange(width)[None, :]
    inside = k <= k1[:, None]
    kc = np.minimum(k, ns[:, None])
    top = int(ns.max())
    logfact = np.zeros(top + 1)
    np.cumsum(np.log(np.arange(1, top + 1, dtype=float)), out=logfact[1:])
    kf = kc.astype(float)
    logpmf = (
        logfact[ns][:, None]
        - logfact[kc]
        - logfact[ns[:, None] - kc]
        + kf * math.log(p0)
        + (n[:, None] - kf) * math.log1p(-p0)
    )
    cdf = np.cumsum(np.where(inside, np.exp(logpmf), 0.0), axis=1)
    rows = np.arange(len(ns))
    last = k1 - k0
    out = []
    for prob in probs:
        reached = (cdf >= prob) & inside
        i = np.where(reached.any(axis=1), reached.argmax(axis=1), last)
        at = cdf[rows, i]
        below = np.where(i > 0, cdf[rows, np.maximum(i - 1, 0)], 0.0)
        gap = at - below
        alpha = np.where(gap > 0, (at - prob) / np.where(gap > 0, gap, 1.0), 0.0)
        out.append(np.clip((k0 + i - alpha) / n, 0.0, 1.0))
    return out


def funnel_limits(
    p0: float, n_max: float, z: float, ns: Sequence[int] | None = None
) -> tuple[list[int], list[float], list[float]]:
    """Control limits around ``p0`` (a share, 0–1) at z, in percent, for denominators ``ns``.

    Exact binomial limits with Spiegelhalter's interpolation between the integer quantiles
    (Spiegelhalter, "Funnel plots for comparing institutional performance", Stat Med 2005), so
    they stay right for small units and shares near 0 or 1 where the normal approximation
    fails. ``ns`` defaults to every denominator 1 … n_max up to 60 and about 160 evenly spaced
    ones beyond (enough for a smooth line at the chart's resolution).
    """
    from statistics import NormalDist

    q = NormalDist().cdf(z)
    top = max(1, int(math.ceil(n_max)))
    if ns is None:
        picked = set(range(1, min(top, 60) + 1))
        picked |= {max(1, round(1 + (top - 1) * i / 160)) for i in range(161)}
        ns = sorted(picked)
    lo, hi = _binom_limits(ns, p0, (1 - q, q))
    return list(ns), (100 * lo).tolist(), (100 * hi).tolist()


# ---------------------------------------------------------------- unit comparison


def comparison_svg(data: ReportData, info: IndicatorInfo, lang: str = "sv") -> str | None:
    """Units compared for the report year: a funnel plot for proportions, else value with CI."""
    units = [r for r in data.units(info.id) if _shown(r, info, data)]
    if not units:
        return None
    national = data.row(info.id, data.national)
    nat_ok = _shown(national, info, data)
    kind = data.kind(info)
    if kind == "proportion" and nat_ok and all(r.denominator for r in units):
        return _funnel(data, info, units, national.value, lang)
    return _forest(data, info, units, national.value if nat_ok else None, lang, kind)


def _funnel(data: ReportData, info: IndicatorInfo, units, p0: float, lang: str) -> str | None:
    t = labels(lang)
    step, xticks = nice_ticks(0, max(r.denominator for r in units) * 1.15 + 5)
    n_max = xticks[-1]
    limits = [
        (t["limit95"], DASHED, 1.3, funnel_limits(p0, n_max, 1.959964)),
        (t["limit998"], DOTTED, 1.5, funnel_limits(p0, n_max, 3.090232)),
    ]
    targets = _target_lines(info, lang, "proportion")
    others = [r for r in units if r.unit != data.unit]
    mine = [r for r in units if r.unit == data.unit]

    legend = _Legend()
    for name, dash, width, _ in limits:
        legend.add(name, stroke=GREY, dash=dash, width=width)
    legend.add(t["national_short"], stroke=BLUE, width=1.6)
    if others:
        legend.add(t["units_label"], marker="o", fill=SKY, edge=BLUE)
    if mine:
        legend.add(f"{t['unit']} {_short(data.unit)}", marker="s", fill=VERMILLION, size=8.0)
    for _v, label, colour, dash, width in targets:
        legend.add(label, stroke=colour, dash=dash, width=width)

    left = _left_margin([fmt_number(v, 0, lang) for v in (0, 100)])
    right = WIDTH - max(LEGEND_MIN, legend.width())
    svg = _Svg(WIDTH, HEIGHT)
    xa = _Axis(0, n_max, left, right, xticks, _decimals(step))
    ya = _Axis(0, 100, HEIGHT - BOTTOM, TOP, [0, 20, 40, 60, 80, 100], 0)
    _frame(svg, xa, ya, lang, xlabel=t["denominator_axis"], ylabel=t["share_axis"])
    for _name, dash, width, (ns, lo, hi) in limits:
        svg.polyline([(xa(n), ya(v)) for n, v in zip(ns, lo, strict=True)], GREY, width, dash)
        svg.polyline([(xa(n), ya(v)) for n, v in zip(ns, hi, strict=True)], GREY, width, dash)
    svg.line(left, ya(p0 * 100), right, ya(p0 * 100), BLUE, 1.6)
    for v, _label, colour, dash, width in targets:
        svg.line(left, ya(v), right, ya(v), colour, width, dash)
    for r in others:
        svg.marker("o", xa(r.denominator), ya(r.value * 100), SKY, BLUE)
    for r in mine:
        svg.marker("s", xa(r.denominator), ya(r.value * 100), VERMILLION, size=8.0)
    # labels alternate above and below the points, so neighbours do not overprint
    for i, r in enumerate(sorted(units, key=lambda r: (r.denominator, r.value, r.unit))):
        x, y = xa(r.denominator) + 5, ya(r.value * 100)
        svg.text(
            x,
            y - 5 if i % 2 == 0 else y + 5 + FS_POINT * 0.75,
            _short(r.unit, 16),
            size=FS_POINT,
            fill="#333333",
        )
    legend.draw(svg, right, TOP)

    desc = (
        f"{t['share_axis']}, {t['denominator_axis']} (N). "
        f"{t['national_short']} {fmt_value('proportion', p0, lang)}; "
        f"{t['limit95']}, {t['limit998']}. "
        + "; ".join(
            f"{r.unit}: {fmt_value('proportion', r.value, lang)}, N = {r.denominator}"
            for r in units
        )
        + "."
    )
    return svg.render(f"{t['comparison']}: {info.title(lang)}", desc)


def _forest(
    data: ReportData, info: IndicatorInfo, units, national: float | None, lang: str, kind: str
) -> str:
    t = labels(lang)
    s = _scale(kind)
    height = max(160.0, 90.0 + 28.0 * len(units))
    bars = kind == "count"
    show_nat = national is not None and not bars

    rows = []
    for r in units:
        lo, hi = (r.q1, r.q3) if kind == "median" else (r.ci_low, r.ci_high)
        ci = (lo * s, hi * s) if not bars and _finite(lo) and _finite(hi) else None
        rows.append((r, r.value * s, ci))
    values = [v for _r, v, ci in rows for v in (v, *(ci or ()))]
    if show_nat:
        values.append(national * s)
    lo, hi, xticks, dec = _value_axis(values, s == 100.0)

    legend = _Legend()
    if show_nat:
        legend.add(t["national_short"], stroke=GREY, dash=DASHED, width=1.3)
    left = _left_margin([_short(r.unit) for r in units])
    right = WIDTH - max(LEGEND_MIN, legend.width())
    svg = _Svg(WIDTH, height)
    xa = _Axis(lo, hi, left, right, xticks, dec)
    n = len(units)
    ya = _Axis(-0.6, n - 0.4, height - BOTTOM, TOP, [], 0)
    ypos = {i: float(n - 1 - i) for i in range(n)}  # the first unit at the top
    _frame(svg, xa, ya, lang, xlabel=_axis_label(kind, info, lang), ylabel=t["unit"], ygrid=False)
    for i, (r, _v, _ci) in enumerate(rows):
        y = ya(ypos[i])
        svg.line(left - 4, y, left, y, INK, 0.9)
        svg.text(left - 7, y + 0.36 * FS_TICK, _short(r.unit), anchor="end")
    row_h = abs(ya(1) - ya(0))
    if show_nat:
        svg.line(xa(national * s), TOP, xa(national * s), height - BOTTOM, GREY, 1.3, DASHED)
    for i, (r, v, ci) in enumerate(rows):
        mine = r.unit == data.unit
        colour = VERMILLION if mine else BLUE
        y = ya(ypos[i])
        if bars:
            x0 = xa(max(lo, 0.0))
            bar_h = min(0.55 * row_h, 18.0)
            svg.rect(
                min(x0, xa(v)),
                y - bar_h / 2,
                abs(xa(v) - x0),
                bar_h,
                VERMILLION if mine else SKY,
                colour,
                1.0,
            )
            continue
        if ci is not None:
            svg.line(xa(ci[0]), y, xa(ci[1]), y, colour, 2.0)
        svg.marker("s" if mine else "o", xa(v), y, colour, size=8.0)
    if legend.entries:
        legend.draw(svg, right, TOP)

    def one(r, v, ci) -> str:
        text = f"{r.unit}: {fmt_value(kind, r.value, lang)}"
        if ci is not None:
            text += f" ({fmt_value(kind, ci[0] / s, lang)}–{fmt_value(kind, ci[1] / s, lang)})"
        return text

    desc = _axis_label(kind, info, lang) + ". "
    if show_nat:
        desc += f"{t['national_short']} {fmt_value(kind, national, lang)}. "
    desc += "; ".join(one(*row) for row in rows) + "."
    return svg.render(f"{t['comparison']}: {info.title(lang)}", desc)


def all_charts(data: ReportData, lang: str) -> dict[str, dict[str, str | None]]:
    """``{indicator_id: {"trend": svg, "comparison": svg}}`` for every indicator."""
    return {
        info.id: {
            "trend": trend_svg(data, info, lang),
            "comparison": comparison_svg(data, info, lang),
        }
        for info in data.indicators
    }


__all__: Sequence[str] = ("trend_svg", "comparison_svg", "all_charts", "funnel_limits")
