"""Charts as inline SVG strings, written directly (no plotting library).

The three charts of the report — the trend over the years, the funnel plot and the unit
comparison (value with CI per unit, or bars for counts) — are lines, dots, bands and a few
labels, so they are built here as SVG text: a viewBox in user units, axes with "nice" ticks,
grid lines, a legend, text kept as text in the page's font.

**Two layouts.** Every chart is drawn twice: :data:`WIDE` (640 units, legend at the right) for a
screen or a printed page, and :data:`NARROW` (360 units, larger type, legend below the plot)
for a phone; the page shows one of them by CSS media query, so on a 400 px phone a tick label
is drawn at about 12 px instead of the 7 px the wide chart would shrink to.

**Axes fit the data.** A share axis runs over the plotted values, their intervals and the
target levels (with a margin), from 0 unless the data sit far above it, and never beyond
0–100 %: 30-day mortality at 2–7 % fills the plot instead of lying on its floor, and the
target lines are always inside it. Lines that leave the plot (a funnel's limits at small
denominators) are clipped at its edge.

**No text on text.** Every text's box is estimated from its position, font size and length
(:func:`text_box`, ``CHAR_W`` ems a character); tick labels that would touch are thinned, and
the funnel's unit labels are placed one by one at the first free spot around their point
(right, left, above, below, the diagonals, then further out with a leader line), never over
another text, a point, or outside the plot. A label with no free spot is left out of the plot
and named, with its figure, in a line below the chart.

Every chart is an ``<svg role="img">`` with an ``aria-label``, a ``<title>`` (what it shows) and
a ``<desc>`` (the plotted figures in words), in the report's language. Only figures that are
shown in the report are drawn or described: suppressed units and years never reach a chart, nor
a unit without cases where a hidden unit is beside it. Elements carry a few classes that say
what they are (``axis-x``, ``axis-y``, ``tick-x``, ``tick-y``, ``target``, ``point-label``).

Deterministic by construction: plain string formatting of rounded coordinates, no ids, no
dates, no randomness, so the same figures give the same bytes on every run and platform.
Colours are the Okabe–Ito palette (colour-blind safe); series also differ by marker and line
style so they read in black and white and when printed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from typing import TypeVar

from nhvmetrics.report.labels import labels
from nhvmetrics.report.model import IndicatorInfo, IndicatorRow, ReportData
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

FONT = "'Segoe UI','Helvetica Neue',Arial,'Liberation Sans','DejaVu Sans',sans-serif"
CHAR_W = 0.6  # average width of a character, in ems (generous for a sans-serif)
ASCENT = 0.8  # of a text's box: the part above the baseline, in ems …
DESCENT = 0.2  # … and below it

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in user units
_P = TypeVar("_P")


@dataclass(frozen=True)
class Layout:
    """The geometry of one variant of every chart, in user units."""

    name: str
    width: float
    plot_height: float  # of the trend and the funnel
    fs: float  # axis titles
    fs_tick: float  # tick labels and the legend
    fs_point: float  # the funnel's unit labels
    legend_below: bool  # else at the right of the plot
    legend_min: float  # the room kept at the right for the legend, so plots line up
    x_ticks: int  # at most this many ticks on a value axis
    y_ticks: int
    row: float  # height of a legend row, and of a unit's row in the comparison


#: a screen or a printed page: 640 units, shown up to 46rem wide
WIDE = Layout("wide", 640, 226, 12, 11, 10, False, 190, 8, 6, 19)
#: a phone: 360 units shown about 360 px wide, so the text is drawn at its own size
NARROW = Layout("narrow", 360, 200, 13, 12, 11.5, True, 0, 5, 5, 21)
LAYOUTS = (WIDE, NARROW)

TOP = 14
LEGEND_GAP = 16
LEGEND_SAMPLE = 26

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


def text_width(text: str, size: float) -> float:
    """The estimated width of ``text`` at ``size`` (every character ``CHAR_W`` ems)."""
    return len(text) * size * CHAR_W


def text_box(
    x: float, y: float, text: str, size: float, anchor: str = "start", rotate: bool = False
) -> Box:
    """The box a text drawn at (x, y) covers (``rotate``: turned −90° about that point, as the
    y-axis title is), from :func:`text_width` and the ascent and descent."""
    w = text_width(text, size)
    a = {"start": 0.0, "middle": w / 2, "end": w}[anchor]
    if rotate:  # the text runs upwards from (x, y); its top faces left
        return (x - ASCENT * size, y - w + a, x + DESCENT * size, y + a)
    return (x - a, y - ASCENT * size, x - a + w, y + DESCENT * size)


def overlaps(a: Box, b: Box, gap: float = 0.0) -> bool:
    """Whether two boxes overlap (or come closer than ``gap``)."""
    return a[0] < b[2] + gap and b[0] < a[2] + gap and a[1] < b[3] + gap and b[1] < a[3] + gap


def _inside(a: Box, b: Box) -> bool:
    return a[0] >= b[0] and a[1] >= b[1] and a[2] <= b[2] and a[3] <= b[3]


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


def share_axis(values: Sequence[float], most: int = 6) -> tuple[float, float, list[float], int]:
    """Range (in percent), ticks and decimals of a share axis fitted to ``values`` (the plotted
    values, their intervals and the target levels): a margin of 8 % of their span (at least one
    percentage point) on each side, down to 0 unless that would leave more than half the plot
    empty, and within 0–100."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return 0.0, 100.0, [0, 20, 40, 60, 80, 100], 0
    lo_d, hi_d = min(finite), max(finite)
    pad = max((hi_d - lo_d) * 0.08, 1.0)
    hi = min(100.0, hi_d + pad)
    lo = max(0.0, lo_d - pad)
    if lo <= hi - lo:  # the way down to zero is no longer than the data's span: show zero
        lo = 0.0
    step, ticks = nice_ticks(lo, hi, most)
    ticks = [v for v in ticks if -1e-9 <= v <= 100 + 1e-9]
    top = ticks[-1] if ticks[-1] >= hi - 1e-9 else 100.0
    return max(0.0, ticks[0]), top, ticks, _decimals(step)


def _value_axis(
    values: Sequence[float], percent: bool, most: int = 8
) -> tuple[float, float, list[float], int]:
    """Range, ticks and decimals of a value axis: fitted to the data for shares
    (:func:`share_axis`), else from 0 (or below) to just past the largest value."""
    if percent:
        return share_axis(values, most)
    finite = [v for v in values if math.isfinite(v)]
    top = max(finite, default=1.0)
    bottom = min(0.0, min(finite, default=0.0))
    if top <= bottom:
        top = bottom + 1.0
    step, ticks = nice_ticks(bottom, bottom + (top - bottom) * 1.05, most=most)
    return ticks[0], ticks[-1], ticks, _decimals(step)


def _clip_segment(
    a: tuple[float, float], b: tuple[float, float], lo: float, hi: float
) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """The part of the segment a–b with y within [lo, hi] (None if there is none)."""
    (x0, y0), (x1, y1) = a, b
    dy = y1 - y0
    if dy == 0:
        return (a, b) if lo <= y0 <= hi else None
    ta, tb = (lo - y0) / dy, (hi - y0) / dy
    t0, t1 = max(0.0, min(ta, tb)), min(1.0, max(ta, tb))
    if t0 > t1:
        return None
    pa = a if t0 == 0.0 else (x0 + t0 * (x1 - x0), y0 + t0 * dy)
    pb = b if t1 == 1.0 else (x0 + t1 * (x1 - x0), y0 + t1 * dy)
    return pa, pb


def _clip(
    pts: Sequence[tuple[float, float]], lo: float, hi: float
) -> list[list[tuple[float, float]]]:
    """The parts of a polyline (data units) with y within [lo, hi], cut where it crosses."""
    runs: list[list[tuple[float, float]]] = [[]]
    for prev, p in zip(pts, pts[1:], strict=False):
        seg = _clip_segment(prev, p, lo, hi)
        if seg is None:
            runs.append([])
            continue
        a, b = seg
        if not runs[-1] or runs[-1][-1] != a:
            runs.append([a])
        runs[-1].append(b)
        if b != p:  # the line leaves the band here
            runs.append([])
    return [r for r in runs if len(r) >= 2]


class _Svg:
    """Accumulates the elements of one chart, and the boxes of its texts and markers."""

    def __init__(self, width: float, height: float) -> None:
        self.width, self.height = width, height
        self.parts: list[str] = []
        self.text_boxes: list[Box] = []
        self.mark_boxes: list[Box] = []

    def add(self, s: str) -> None:
        self.parts.append(s)

    def line(self, x1, y1, x2, y2, stroke, width=1.0, dash: str | None = None, cls="") -> None:
        d = f' stroke-dasharray="{dash}"' if dash else ""
        c = f' class="{cls}"' if cls else ""
        self.add(
            f'<line{c} x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" '
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
        h = size / 2
        self.mark_boxes.append((x - h, y - h, x + h, y + h))
        if shape == "s":
            self.add(
                f'<rect x="{_n(x - h)}" y="{_n(y - h)}" width="{_n(size)}" height="{_n(size)}"'
                f' fill="{fill}"{s}/>'
            )
        else:
            self.add(f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(h)}" fill="{fill}"{s}/>')

    def text(
        self,
        x,
        y,
        text: str,
        *,
        size: float,
        anchor="start",
        fill=INK,
        rotate=False,
        cls="",
        halo=False,
    ) -> Box:
        a = "" if anchor == "start" else f' text-anchor="{anchor}"'
        r = f' transform="rotate(-90 {_n(x)} {_n(y)})"' if rotate else ""
        c = f' class="{cls}"' if cls else ""
        h = ' stroke="#ffffff" stroke-width="3" paint-order="stroke"' if halo else ""
        self.add(
            f'<text{c} x="{_n(x)}" y="{_n(y)}" font-size="{_n(size)}" fill="{fill}"{a}{r}{h}>'
            f"{escape(text, quote=False)}</text>"
        )
        box = text_box(x, y, text, size, anchor, rotate)
        self.text_boxes.append(box)
        return box

    def render(self, title: str, desc: str, layout: Layout) -> str:
        label = escape(title, quote=True)
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{label}" '
            f'class="chart-{layout.name}" '
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
    """Entries of a legend: (label, line, marker), at the right of the plot or below it."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.entries: list[tuple[str, dict]] = []

    def add(self, label: str, **style) -> None:
        self.entries.append((label, style))

    def _entry_width(self, label: str) -> float:
        return LEGEND_SAMPLE + 8 + text_width(label, self.layout.fs_tick)

    def width(self) -> float:
        """The room it takes at the right of the plot."""
        if not self.entries or self.layout.legend_below:
            return 0.0
        return LEGEND_GAP + max(self._entry_width(label) for label, _ in self.entries) + 6

    def _rows(self, avail: float) -> list[list[tuple[str, dict]]]:
        """Below the plot: entries flow into rows that fit ``avail``; at the right, one a row."""
        if not self.layout.legend_below:
            return [[e] for e in self.entries]
        rows: list[list[tuple[str, dict]]] = [[]]
        used = 0.0
        for e in self.entries:
            w = self._entry_width(e[0]) + 14
            if rows[-1] and used + w > avail:
                rows.append([])
                used = 0.0
            rows[-1].append(e)
            used += w
        return [r for r in rows if r]

    def height(self, avail: float) -> float:
        return len(self._rows(avail)) * self.layout.row if self.entries else 0.0

    def draw(self, svg: _Svg, x0: float, y0: float, avail: float) -> None:
        """Draw the entries from (x0, y0), the top left corner of the legend."""
        fs = self.layout.fs_tick
        for i, row in enumerate(self._rows(avail)):
            y = y0 + self.layout.row * (i + 0.5)
            x = x0 + (0 if self.layout.legend_below else LEGEND_GAP)
            for label, st in row:
                if st.get("band"):
                    svg.rect(x, y - 6, LEGEND_SAMPLE, 12, st["band"])
                if st.get("stroke"):
                    svg.line(
                        x,
                        y,
                        x + LEGEND_SAMPLE,
                        y,
                        st["stroke"],
                        st.get("width", 1.6),
                        st.get("dash"),
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
                svg.text(x + LEGEND_SAMPLE + 8, y + 0.35 * fs, label, size=fs, cls="legend")
                x += self._entry_width(label) + 14


# the space below the plot's bottom edge: tick marks, tick labels, the x-axis title
def _below_axis(layout: Layout) -> float:
    return 7 + layout.fs_tick + 7 + layout.fs + 6


def _left_margin(layout: Layout, tick_labels: Sequence[str]) -> float:
    """Room for the rotated y-axis title, the tick labels and the tick marks."""
    widest = max((text_width(s, layout.fs_tick) for s in tick_labels), default=0.0)
    return 4 + layout.fs + 6 + widest + 7 + 2


def _labelled(
    positions: Sequence[float], texts: Sequence[str], size: float, gap: float = 6.0
) -> set[int]:
    """Which ticks of an x axis get a label: every one, else every 2nd, 3rd … so that no two
    labels (centred on their ticks) come closer than ``gap``."""
    n = len(positions)
    for k in range(1, n + 1):
        chosen = list(range(0, n, k))
        boxes = [text_box(positions[i], 0, texts[i], size, "middle") for i in chosen]
        if all(boxes[j][2] + gap <= boxes[j + 1][0] for j in range(len(boxes) - 1)):
            return set(chosen)
    return {0}


def _frame(
    svg: _Svg,
    xa: _Axis,
    ya: _Axis,
    lang: str,
    layout: Layout,
    *,
    xlabel: str,
    ylabel: str,
    xgrid: bool = True,
    ygrid: bool = True,
    xtick_text: Callable[[float, str], str] | None = None,
    ytick_text: Callable[[float, str], str] | None = None,
) -> None:
    """Grid lines, axis lines, ticks and axis titles (drawn first: under the data)."""
    left, right, bottom, top = xa.a, xa.b, ya.a, ya.b
    for v in xa.ticks if xgrid else ():
        svg.line(xa(v), top, xa(v), bottom, GRID, 0.8)
    for v in ya.ticks if ygrid else ():
        svg.line(left, ya(v), right, ya(v), GRID, 0.8)
    xs = [xa(v) for v in xa.ticks]
    xt = [(xtick_text or xa.label)(v, lang) for v in xa.ticks]
    shown = _labelled(xs, xt, layout.fs_tick)
    base = bottom + 7 + ASCENT * layout.fs_tick
    for i, x in enumerate(xs):
        svg.line(x, bottom, x, bottom + 4, INK, 0.9)
        if i in shown:
            svg.text(x, base, xt[i], size=layout.fs_tick, anchor="middle", cls="tick-x")
    for v in ya.ticks:
        y = ya(v)
        svg.line(left - 4, y, left, y, INK, 0.9)
        svg.text(
            left - 7,
            y + 0.35 * layout.fs_tick,
            (ytick_text or ya.label)(v, lang),
            size=layout.fs_tick,
            anchor="end",
            cls="tick-y",
        )
    svg.line(left, bottom, right, bottom, INK, 1.0, cls="axis-x")
    svg.line(left, bottom, left, top, INK, 1.0, cls="axis-y")
    title_y = base + DESCENT * layout.fs_tick + 7 + ASCENT * layout.fs
    svg.text((left + right) / 2, title_y, xlabel, size=layout.fs, anchor="middle")
    svg.text(
        4 + ASCENT * layout.fs,
        (top + bottom) / 2,
        ylabel,
        size=layout.fs,
        anchor="middle",
        rotate=True,
    )


def _runs(points: Sequence[_P | None]) -> list[list[_P]]:
    """Consecutive non-missing points (a missing year breaks a line, as it should)."""
    out: list[list[_P]] = [[]]
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


def _shown(r: IndicatorRow | None, info: IndicatorInfo, data: ReportData) -> bool:
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


@dataclass(frozen=True)
class _Geometry:
    left: float
    right: float
    top: float
    bottom: float
    legend_x: float
    legend_y: float
    legend_avail: float
    height: float  # of the whole chart, before any line of text below it


def _geometry(layout: Layout, legend: _Legend, left: float, plot_height: float) -> _Geometry:
    """Where the plot and the legend go: the legend at the right (wide) or below the x-axis
    title (narrow), the chart as tall as both need."""
    bottom = TOP + plot_height
    below = bottom + _below_axis(layout)
    if layout.legend_below:
        avail = layout.width - 16
        y = below + 4
        return _Geometry(
            left, layout.width - 14, TOP, bottom, 8, y, avail, y + legend.height(avail) + 6
        )
    right = layout.width - max(layout.legend_min, legend.width())
    height = max(below + 6, TOP + legend.height(0) + 8)
    return _Geometry(left, right, TOP, bottom, right, TOP, 0, height)


# ---------------------------------------------------------------- trend


def trend_svg(
    data: ReportData, info: IndicatorInfo, lang: str = "sv", layout: Layout = WIDE
) -> str | None:
    """Value per year for the nation (and the unit), with the CI (or quartile) band."""
    t = labels(lang)
    periods = data.periods(info.id)
    if not periods:
        return None
    kind = data.kind(info)
    s = _scale(kind)
    series: list[tuple[str, str, str, str, str | None]] = [
        (data.national, t["national_short"], BLUE, "o", None)
    ]
    if data.unit:
        series.append((data.unit, f"{t['unit']} {data.unit}", VERMILLION, "s", DASHED))

    drawn = []
    for unit, name, colour, marker, dash in series:
        pts: list[tuple[int, float, float | None, float | None, float] | None] = []
        for year in periods:
            r = data.row(info.id, unit, year)
            if r is None or not _shown(r, info, data) or r.value is None:
                pts.append(None)
                continue
            lo = hi = None
            if kind == "median" and r.q1 is not None and r.q3 is not None and _finite(r.q3):
                lo, hi = r.q1 * s, r.q3 * s
            elif r.ci_low is not None and r.ci_high is not None and _finite(r.ci_high):
                lo, hi = r.ci_low * s, r.ci_high * s
            pts.append((year, r.value * s, lo, hi, r.value))
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
    values += [v for v, *_ in targets]
    lo, hi, yticks, dec = _value_axis(values, s == 100.0, layout.y_ticks)
    legend = _Legend(layout)
    for name, colour, marker, dash, _pts in drawn:
        legend.add(
            _short(name, 30), stroke=colour, dash=dash, width=2.0, marker=marker, fill=colour
        )
    for _v, label, colour, dash, width in targets:
        legend.add(label, stroke=colour, dash=dash, width=width)

    probe = _Axis(lo, hi, 0, 1, yticks, dec)
    g = _geometry(
        layout,
        legend,
        _left_margin(layout, [probe.label(v, lang) for v in yticks]),
        layout.plot_height,
    )
    svg = _Svg(layout.width, g.height)
    pad = 1.0 if len(periods) == 1 else 0.45
    xa = _Axis(periods[0] - pad, periods[-1] + pad, g.left, g.right, list(periods), 0)
    ya = _Axis(lo, hi, g.bottom, g.top, yticks, dec)
    _frame(
        svg,
        xa,
        ya,
        lang,
        layout,
        xlabel=t["year_axis"],
        ylabel=_axis_label(kind, info, lang),
        xtick_text=lambda v, _lang: str(int(v)),
    )
    for _name, colour, _marker, _dash, pts in drawn:
        bands = [
            None if p is None or p[2] is None or p[3] is None else (p[0], p[2], p[3]) for p in pts
        ]
        for run in _runs(bands):
            upper = [(xa(b[0]), ya(b[2])) for b in run]
            lower = [(xa(b[0]), ya(b[1])) for b in reversed(run)]
            if len(run) == 1:  # a single year: a narrow band around its point
                (x, y_hi), (_, y_lo) = upper[0], lower[0]
                upper, lower = [(x - 4, y_hi), (x + 4, y_hi)], [(x + 4, y_lo), (x - 4, y_lo)]
            svg.polygon(upper + lower, colour, 0.15)
    for v, _label, colour, dash, width in targets:
        svg.line(g.left, ya(v), g.right, ya(v), colour, width, dash, cls="target")
    for _name, colour, marker, dash, pts in drawn:
        for line in _runs([None if p is None else (xa(p[0]), ya(p[1])) for p in pts]):
            svg.polyline(line, colour, 2.0, dash)
        for p in pts:
            if p is not None:
                svg.marker(marker, xa(p[0]), ya(p[1]), colour)
    legend.draw(svg, g.legend_x, g.legend_y, g.legend_avail)

    desc = "; ".join(
        f"{name}: "
        + ", ".join(f"{p[0]} {fmt_value(kind, p[4], lang)}" for p in pts if p is not None)
        for name, _c, _m, _d, pts in drawn
        if any(p is not None for p in pts)
    )
    title = f"{t['trend']}: {info.title(lang)}"
    return svg.render(title, f"{_axis_label(kind, info, lang)}. {desc}.", layout)


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


def comparison_svg(
    data: ReportData, info: IndicatorInfo, lang: str = "sv", layout: Layout = WIDE
) -> str | None:
    """Units compared for the report year: a funnel plot for proportions, else value with CI."""
    units = [r for r in data.units(info.id) if _shown(r, info, data)]
    if not units:
        return None
    national = data.row(info.id, data.national)
    nat_ok = national is not None and _shown(national, info, data)
    kind = data.kind(info)
    if kind == "proportion" and nat_ok and all(r.denominator for r in units):
        return _funnel(data, info, units, national.value, lang, layout)
    nat_value = national.value if nat_ok and national is not None else None
    return _forest(data, info, units, nat_value, lang, kind, layout)


def _place_labels(
    svg: _Svg,
    items: Sequence[tuple[float, float, str, float]],
    plot: Box,
    size: float,
) -> list[int]:
    """Put each label (x, y, text, marker half-size) at the first free spot around its point:
    right, left, above, below, the diagonals, then further out with a leader line. A spot is
    free when its box lies inside the plot and touches no other text and no marker. Returns the
    indices of the labels that found no spot (they are not drawn)."""
    h = size * (ASCENT + DESCENT)
    placed: list[Box] = []
    missing = []
    for i, (x, y, text, r) in enumerate(items):
        w = text_width(text, size)
        spot = None
        for d in (0.0, 8.0, 16.0, 26.0):
            g = r + 3 + d
            k = g * 0.7
            for bx, by in (
                (x + g, y - h / 2),
                (x - g - w, y - h / 2),
                (x - w / 2, y - g - h),
                (x - w / 2, y + g),
                (x + k, y - k - h),
                (x + k, y + k),
                (x - k - w, y - k - h),
                (x - k - w, y + k),
            ):
                box = (bx, by, bx + w, by + h)
                if not _inside(box, plot):
                    continue
                if any(overlaps(box, o, 2.0) for o in placed + svg.text_boxes):
                    continue
                if any(overlaps(box, m, 1.0) for m in svg.mark_boxes):
                    continue
                spot = (box, d)
                break
            if spot is not None:
                break
        if spot is None:
            missing.append(i)
            continue
        box, d = spot
        if d > 0:  # a leader from the point to the nearest edge of the label
            nx, ny = min(max(x, box[0]), box[2]), min(max(y, box[1]), box[3])
            dist = math.hypot(nx - x, ny - y) or 1.0
            sx, sy = x + (nx - x) * (r + 1) / dist, y + (ny - y) * (r + 1) / dist
            svg.line(sx, sy, nx, ny, GREY, 0.7)
        placed.append(box)
        svg.text(
            box[0],
            box[1] + ASCENT * size,
            text,
            size=size,
            fill="#333333",
            cls="point-label",
            halo=True,
        )
    return missing


def _wrap(words: Sequence[str], size: float, width: float, sep: str = "; ") -> list[str]:
    """Join ``words`` into lines no wider than ``width`` at ``size``."""
    lines: list[str] = []
    for w in words:
        if lines and text_width(lines[-1] + sep + w, size) <= width:
            lines[-1] += sep + w
        else:
            lines.append(w)
    return lines


def _funnel(
    data: ReportData, info: IndicatorInfo, units, p0: float, lang: str, layout: Layout
) -> str | None:
    t = labels(lang)
    step, xticks = nice_ticks(0, max(r.denominator for r in units) * 1.15 + 5, layout.x_ticks)
    n_max = xticks[-1]
    limits = [
        (t["limit95"], DASHED, 1.3, funnel_limits(p0, n_max, 1.959964)),
        (t["limit998"], DOTTED, 1.5, funnel_limits(p0, n_max, 3.090232)),
    ]
    targets = _target_lines(info, lang, "proportion")
    others = [r for r in units if r.unit != data.unit]
    mine = [r for r in units if r.unit == data.unit]

    legend = _Legend(layout)
    for name, dash, width, _ in limits:
        legend.add(name, stroke=GREY, dash=dash, width=width)
    legend.add(t["national_short"], stroke=BLUE, width=1.6)
    if others:
        legend.add(t["units_label"], marker="o", fill=SKY, edge=BLUE)
    if mine:
        legend.add(f"{t['unit']} {_short(data.unit or '')}", marker="s", fill=VERMILLION, size=8.0)
    for _v, label, colour, dash, width in targets:
        legend.add(label, stroke=colour, dash=dash, width=width)

    # the axis holds the points, the national value, the targets and the 95 % limits at each
    # unit's own denominator (so a reader sees which side of them every unit lies)
    ns = sorted({int(r.denominator) for r in units})
    _ns, lo95, hi95 = funnel_limits(p0, n_max, 1.959964, ns=ns)
    values = [r.value * 100 for r in units] + [p0 * 100, *lo95, *hi95]
    values += [v for v, *_ in targets]
    lo, hi, yticks, dec = share_axis(values, layout.y_ticks)
    probe = _Axis(lo, hi, 0, 1, yticks, dec)
    g = _geometry(
        layout,
        legend,
        _left_margin(layout, [probe.label(v, lang) for v in yticks]),
        layout.plot_height,
    )
    xa = _Axis(0, n_max, g.left, g.right, xticks, _decimals(step))
    ya = _Axis(lo, hi, g.bottom, g.top, yticks, dec)

    # draw into a first canvas to learn which labels fit, then size the chart for the rest
    def draw(height: float) -> tuple[_Svg, list[int]]:
        svg = _Svg(layout.width, height)
        _frame(svg, xa, ya, lang, layout, xlabel=t["denominator_axis"], ylabel=t["share_axis"])
        for _name, dash, width, (ns_, lo_, hi_) in limits:
            for band in (lo_, hi_):
                # from the smallest denominator a unit can be shown with (below the
                # threshold it is hidden), clipped at the plot's edges
                pts = [(n, v) for n, v in zip(ns_, band, strict=True) if n >= data.min_count]
                for run in _clip(pts, lo, hi):
                    svg.polyline([(xa(n), ya(v)) for n, v in run], GREY, width, dash)
        svg.line(g.left, ya(p0 * 100), g.right, ya(p0 * 100), BLUE, 1.6)
        for v, _label, colour, dash, width in targets:
            svg.line(g.left, ya(v), g.right, ya(v), colour, width, dash, cls="target")
        for r in others:
            svg.marker("o", xa(r.denominator), ya(r.value * 100), SKY, BLUE)
        for r in mine:
            svg.marker("s", xa(r.denominator), ya(r.value * 100), VERMILLION, size=8.0)
        legend.draw(svg, g.legend_x, g.legend_y, g.legend_avail)
        missing = _place_labels(
            svg,
            [(xa(r.denominator), ya(r.value * 100), _short(r.unit, 16), 4.0) for r in ordered],
            (g.left + 2, g.top, g.right - 2, g.bottom - 2),
            layout.fs_point,
        )
        return svg, missing

    # the reporting unit's label first, then the others from the smallest denominator
    ordered = mine + sorted(others, key=lambda r: (r.denominator, r.value, r.unit))
    svg, missing = draw(g.height)
    if missing:
        words = [
            f"{ordered[i].unit} ({fmt_value('proportion', ordered[i].value, lang)}, "
            f"N = {ordered[i].denominator})"
            for i in missing
        ]
        lines = _wrap(
            [f"{t['unlabelled']}: {words[0]}", *words[1:]],
            layout.fs_tick,
            layout.width - 16,
        )
        line_h = layout.fs_tick * 1.5
        svg, _ = draw(g.height + line_h * len(lines) + 4)
        for j, line in enumerate(lines):
            svg.text(8, g.height + ASCENT * layout.fs_tick + j * line_h, line, size=layout.fs_tick)

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
    return svg.render(f"{t['comparison']}: {info.title(lang)}", desc, layout)


def _forest(
    data: ReportData,
    info: IndicatorInfo,
    units,
    national: float | None,
    lang: str,
    kind: str,
    layout: Layout,
) -> str:
    t = labels(lang)
    s = _scale(kind)
    bars = kind == "count"
    show_nat = national is not None and not bars
    most = 24 if layout is WIDE else 14

    rows = []
    for r in units:
        lo, hi = (r.q1, r.q3) if kind == "median" else (r.ci_low, r.ci_high)
        ci = (lo * s, hi * s) if not bars and _finite(lo) and _finite(hi) else None
        rows.append((r, r.value * s, ci))
    values = [v for _r, v, ci in rows for v in (v, *(ci or ()))]
    if show_nat and national is not None:
        values.append(national * s)
    lo, hi, xticks, dec = _value_axis(values, s == 100.0, layout.x_ticks)

    legend = _Legend(layout)
    if show_nat:
        legend.add(t["national_short"], stroke=GREY, dash=DASHED, width=1.3)
    n = len(units)
    row_h = layout.row * 1.45
    g = _geometry(
        layout,
        legend,
        _left_margin(layout, [_short(r.unit, most) for r in units]),
        max(70.0, row_h * n),
    )
    svg = _Svg(layout.width, g.height)
    xa = _Axis(lo, hi, g.left, g.right, xticks, dec)
    ya = _Axis(-0.6, n - 0.4, g.bottom, g.top, [], 0)
    ypos = {i: float(n - 1 - i) for i in range(n)}  # the first unit at the top
    _frame(
        svg,
        xa,
        ya,
        lang,
        layout,
        xlabel=_axis_label(kind, info, lang),
        ylabel=t["unit"],
        ygrid=False,
    )
    for i, (r, _v, _ci) in enumerate(rows):
        y = ya(ypos[i])
        svg.line(g.left - 4, y, g.left, y, INK, 0.9)
        svg.text(
            g.left - 7,
            y + 0.35 * layout.fs_tick,
            _short(r.unit, most),
            size=layout.fs_tick,
            anchor="end",
            cls="tick-y",
        )
    step_h = abs(ya(1) - ya(0))
    if show_nat and national is not None:
        x_nat = xa(national * s)
        svg.line(x_nat, g.top, x_nat, g.bottom, GREY, 1.3, DASHED)
    for i, (r, v, ci) in enumerate(rows):
        mine = r.unit == data.unit
        colour = VERMILLION if mine else BLUE
        y = ya(ypos[i])
        if bars:
            x0 = xa(max(lo, 0.0))
            bar_h = min(0.55 * step_h, 18.0)
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
        legend.draw(svg, g.legend_x, g.legend_y, g.legend_avail)

    def one(r, v, ci) -> str:
        text = f"{r.unit}: {fmt_value(kind, r.value, lang)}"
        if ci is not None:
            text += f" ({fmt_value(kind, ci[0] / s, lang)}–{fmt_value(kind, ci[1] / s, lang)})"
        return text

    desc = _axis_label(kind, info, lang) + ". "
    if show_nat:
        desc += f"{t['national_short']} {fmt_value(kind, national, lang)}. "
    desc += "; ".join(one(*row) for row in rows) + "."
    return svg.render(f"{t['comparison']}: {info.title(lang)}", desc, layout)


def all_charts(data: ReportData, lang: str) -> dict[str, dict[str, str | None]]:
    """``{indicator_id: {"trend": svg, "comparison": svg, "trend_narrow": svg,
    "comparison_narrow": svg}}`` for every indicator: the wide and the narrow (phone) layout."""
    out: dict[str, dict[str, str | None]] = {}
    for info in data.indicators:
        charts: dict[str, str | None] = {}
        for layout in LAYOUTS:
            suffix = "" if layout is WIDE else f"_{layout.name}"
            charts["trend" + suffix] = trend_svg(data, info, lang, layout)
            charts["comparison" + suffix] = comparison_svg(data, info, lang, layout)
        out[info.id] = charts
    return out


__all__: Sequence[str] = (
    "trend_svg",
    "comparison_svg",
    "all_charts",
    "funnel_limits",
    "share_axis",
    "text_box",
    "text_width",
    "LAYOUTS",
    "WIDE",
    "NARROW",
)
