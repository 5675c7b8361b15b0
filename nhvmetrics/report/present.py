"""Figures as a reader sees them: number formatting and suppression applied on the way out.

Both renderers (HTML and workbook) go through :func:`present_cell` (and so :func:`present`), so
a suppressed row can never show its value, CI or counts in one output and not the other.
Suppression itself (primary and complementary) is decided by the engine
(``nhvmetrics.engine.suppression``) and arrives as the row's ``suppressed`` flag; :func:`present`
also hides any row whose own counts are below the threshold, as a second line of defence.

**Hidden and zero look alike.** A breakdown is the set of cells that add up to a total shown
beside them: the categories of one stratification variable (for one indicator, year, unit and
the rest of the stratum), and the units of one indicator, year and stratum. In a breakdown that
holds a hidden cell (or whose total is hidden), a cell without cases reads exactly as a hidden
one (*otillräckligt underlag*), so a reader cannot tell which categories had 1–4 cases and which
had none; in a breakdown with nothing hidden a zero reads 0 (a count) or *inga data* (a share
over no cases). A breakdown lists every category its variable can take (the area schema's code
list, :func:`breakdown_keys`), not only those with cases, so the listing gives nothing away
either. Charts follow the same rule: a cell that reads as hidden is not drawn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import product

from nhvmetrics.report.labels import category_name, date_name, labels
from nhvmetrics.report.model import IndicatorInfo, IndicatorRow, ReportData

NBSP = "\u00a0"
DASH = "–"


def fmt_number(x: float | int | None, decimals: int = 0, lang: str = "sv") -> str:
    if x is None:
        return ""
    s = f"{x:,.{decimals}f}"
    if lang == "sv":
        # 12,345.6 -> 12 345,6 (narrow no-break space as thousands separator)
        s = s.replace(",", "\u202f").replace(".", ",")
    return s


def fmt_percent(x: float | None, lang: str = "sv", decimals: int = 1) -> str:
    if x is None:
        return ""
    num = fmt_number(100 * x, decimals, lang)
    return f"{num}{NBSP}%" if lang == "sv" else f"{num}%"


SHARE_KINDS = ("proportion", "distribution", "survival")


def row_kind(row: IndicatorRow | None, info: IndicatorInfo) -> str:
    """How a row reads: the engine's ``kind`` column, else from the definition's type."""
    if row is not None and row.kind:
        return row.kind
    return info.main_kind


def fmt_value(kind: str, value: float | None, lang: str) -> str:
    """A value in its own measure: a share as %, medians with one decimal, counts whole."""
    if value is None:
        return ""
    if kind in SHARE_KINDS:
        return fmt_percent(value, lang)
    return fmt_number(value, 0 if float(value).is_integer() else 1, lang)


def fmt_target(info: IndicatorInfo, value: float | None, lang: str) -> str:
    """Target levels are shares (the definition loader checks they lie in 0–1)."""
    if value is None:
        return ""
    return fmt_percent(value, lang, 0 if round(value * 100, 6).is_integer() else 1)


@dataclass(frozen=True)
class Shown:
    """One indicator row, ready to print. Empty strings where there is nothing to show."""

    status: str  # ok / suppressed / not_computable / no_data
    kind: str = ""
    value: str = ""
    ci: str = ""
    counts: str = ""  # "n/N" for proportions, "N" otherwise
    quartiles: str = ""  # "q1–q3" for durations
    target: str = ""  # high / intermediate / not_met / none
    n_missing: str = ""
    n_pending: str = ""
    note: str = ""
    # raw numbers for the workbook (None when hidden)
    raw_value: float | None = None
    raw_ci_low: float | None = None
    raw_ci_high: float | None = None
    raw_numerator: int | None = None
    raw_denominator: int | None = None

    @property
    def text(self) -> str:
        """The single text that replaces the figures when there are none to show."""
        return self.status


def is_suppressed(row: IndicatorRow, info: IndicatorInfo, min_count: int) -> bool:
    """The engine's flag, or (second line of defence) the engine's primary rule itself:
    a count below the threshold (the numerator for counts and distribution categories, the
    denominator for everything else) is never shown."""
    if row.suppressed:
        return True
    if not row.computable:
        return False
    kind = row_kind(row, info)
    n = row.numerator if kind in ("count", "distribution") else row.denominator
    if n is None and kind == "count" and row.value is not None and row.has_value:
        n = int(row.value)
    return n is not None and 0 < n < min_count


def target_status(info: IndicatorInfo, value: float | None) -> str:
    if not info.has_targets or value is None:
        return "none"

    def met(level: float | None) -> bool:
        if level is None:
            return False
        return value >= level if info.higher_is_better else value <= level

    if met(info.target_high):
        return "high"
    if met(info.target_intermediate):
        return "intermediate"
    return "not_met"


def is_sub_measure(stratum: str) -> bool:
    """``measure=…`` and ``question=…`` rows are indicators of their own, not parts of a total."""
    return stratum.startswith(("measure=", "question=")) and ";" not in stratum


def targets_apply(row: IndicatorRow, info: IndicatorInfo, kind: str) -> bool:
    """Target levels are shares: they apply to the share row of the indicator — its ``all`` row
    when that is a share, else its sub-measures (``within X days``, PREM questions)."""
    if kind not in SHARE_KINDS or not info.has_targets:
        return False
    if row.stratum == "all":
        return True
    return is_sub_measure(row.stratum) and info.main_kind not in SHARE_KINDS


def _small(n: int | None, min_count: int, lang: str) -> str:
    """Counts of left-out cases: 1–4 read "<5" so no small count is published."""
    if n is None:
        return ""
    if 0 < n < min_count:
        return f"<{min_count}"
    return fmt_number(n, 0, lang)


def present(
    row: IndicatorRow | None, info: IndicatorInfo, lang: str = "sv", min_count: int = 5
) -> Shown:
    """The figures of ``row`` as text, with suppression applied."""
    if row is None:
        return Shown(status="no_data")
    if not row.computable:
        return Shown(status="not_computable", note=note_text(row.note, lang))
    if is_suppressed(row, info, min_count):
        return Shown(status="suppressed", note="")
    kind = row_kind(row, info)
    if not row.has_value and not row.denominator and not row.numerator and kind != "count":
        return Shown(status="no_data", note=row.note)
    value = fmt_value(kind, row.value, lang) if row.has_value else ""
    ci = ""
    if row.ci_low is not None and row.ci_high is not None and row.has_value:
        if kind in SHARE_KINDS:
            lo, hi = fmt_number(100 * row.ci_low, 1, lang), fmt_number(100 * row.ci_high, 1, lang)
            ci = f"{lo}{DASH}{hi}{NBSP}%" if lang == "sv" else f"{lo}{DASH}{hi}%"
        else:
            ci = f"{fmt_value(kind, row.ci_low, lang)}{DASH}{fmt_value(kind, row.ci_high, lang)}"
    if kind == "count":
        counts = ""  # the value is the count
    elif (
        kind in ("proportion", "distribution")
        and row.numerator is not None
        and row.denominator is not None
    ):
        counts = f"{fmt_number(row.numerator, 0, lang)}/{fmt_number(row.denominator, 0, lang)}"
    elif row.denominator is not None:
        counts = fmt_number(row.denominator, 0, lang)
    elif row.numerator is not None:
        counts = fmt_number(row.numerator, 0, lang)
    else:
        counts = ""
    quart = ""
    if kind == "median" and row.q1 is not None and row.q3 is not None:
        quart = f"{fmt_value(kind, row.q1, lang)}{DASH}{fmt_value(kind, row.q3, lang)}"
    return Shown(
        status="ok",
        kind=kind,
        value=value,
        ci=ci,
        counts=counts,
        quartiles=quart,
        target=target_status(
            info, row.value if row.has_value and targets_apply(row, info, kind) else None
        ),
        n_missing=_small(row.n_missing, min_count, lang),
        n_pending=_small(row.n_pending, min_count, lang),
        note=row.note,
        raw_value=row.value if row.has_value else None,
        raw_ci_low=row.ci_low,
        raw_ci_high=row.ci_high,
        raw_numerator=row.numerator,
        raw_denominator=row.denominator,
    )


# ---------------------------------------------------------------- breakdowns: hidden vs zero

#: stratum variables that are measures of their own, not parts of a total (as in the engine)
NOT_PARTS = ("measure", "question")


def stratum_items(stratum: str) -> list[tuple[str, str]]:
    """``sex=K;age_band=0-39`` -> ``[("sex", "K"), ("age_band", "0-39")]``; ``all`` -> ``[]``."""
    if not stratum or stratum == "all":
        return []
    out = []
    for item in stratum.split(";"):
        name, _, value = item.partition("=")
        out.append((name, value))
    return out


def _join(items: list[tuple[str, str]]) -> str:
    return ";".join(f"{k}={v}" for k, v in items) or "all"


def stratum_sort_key(stratum: str) -> tuple:
    """Variables in order, numeric-looking values as numbers (``indication=2`` before ``=10``,
    age bands by their start); a stratum comes right before its own sub-strata."""
    key = []
    for name, value in stratum_items(stratum):
        head = value.split("-")[0].split("–")[0].strip().rstrip("+")
        try:
            key.append((name, 0, float(head), value))
        except ValueError:
            key.append((name, 1, 0.0, value))
    return tuple(key)


def is_empty(row: IndicatorRow | None, info: IndicatorInfo) -> bool:
    """A cell without cases: no row at all, or a computable row whose count is 0 (the count
    suppression looks at: the numerator of counts and distribution categories, else the
    denominator)."""
    if row is None:
        return True
    if not row.computable:
        return False
    kind = row_kind(row, info)
    n = row.numerator if kind in ("count", "distribution") else row.denominator
    if n is None and kind == "count" and row.value is not None and row.has_value:
        n = int(row.value or 0)
    if n is None:
        return not row.has_value
    return n == 0


def _hidden_index(data: ReportData, info: IndicatorInfo, period: int) -> tuple[set, set]:
    """The breakdowns of one indicator and year that hold a hidden cell, and the hidden totals."""
    key = ("hidden", info.id, period)
    cached = data._cache.get(key)
    if cached is not None:
        return cached
    groups: set[tuple] = set()
    totals: set[tuple[str, str]] = set()
    for r in data.rows_of(info.id):
        if r.period != period or not is_suppressed(r, info, data.min_count):
            continue
        groups.add(("units", r.stratum))
        items = stratum_items(r.stratum)
        for i, (var, _value) in enumerate(items):
            if var not in NOT_PARTS:
                groups.add(("categories", r.unit, var, _join(items[:i] + items[i + 1 :])))
        totals.add((r.unit, r.stratum))
    data._cache[key] = (groups, totals)
    return groups, totals


def reads_as_hidden(
    data: ReportData,
    info: IndicatorInfo,
    who: str,
    stratum: str = "all",
    period: int | None = None,
) -> bool:
    """Whether a cell without cases must read as hidden: it is part of a breakdown that holds a
    hidden cell or has a hidden total (the units of the stratum, or the categories of any of
    the stratum's variables), or a cell beside it in the unit's column of categories reads as
    hidden because another unit's cell of that category is hidden."""
    p = data.year if period is None else period
    groups, totals = _hidden_index(data, info, p)
    if who != data.national and ("units", stratum) in groups:
        return True
    items = stratum_items(stratum)
    for i, (var, _value) in enumerate(items):
        if var in NOT_PARTS:
            continue
        rest = _join(items[:i] + items[i + 1 :])
        if ("categories", who, var, rest) in groups or (who, rest) in totals:
            return True
        if who != data.national and _sibling_reads_hidden(data, info, who, p, groups, i, items):
            return True
    return False


def _sibling_reads_hidden(
    data: ReportData,
    info: IndicatorInfo,
    who: str,
    period: int,
    groups: set[tuple],
    index: int,
    items: list[tuple[str, str]],
) -> bool:
    """A sibling category of ``items`` (another value of its ``index``-th variable) whose cell
    of ``who`` is without cases and reads as hidden by the units rule."""
    var = items[index][0]
    for kind, *rest in groups:
        if kind != "units":
            continue
        other = stratum_items(rest[0])
        if (
            len(other) == len(items)
            and other[index][0] == var
            and other[index][1] != items[index][1]
            and other[:index] + other[index + 1 :] == items[:index] + items[index + 1 :]
            and is_empty(data.row(info.id, who, period, rest[0]), info)
        ):
            return True
    return False


def _shape(stratum: str) -> tuple[str, ...]:
    return tuple(v for v, _ in stratum_items(stratum))


def _shape_kinds(data: ReportData, info: IndicatorInfo) -> dict[tuple[str, ...], str]:
    key = ("shape_kinds", info.id)
    if key not in data._cache:
        kinds: dict[tuple[str, ...], str] = {}
        for r in data.rows_of(info.id):
            if r.kind:
                kinds.setdefault(_shape(r.stratum), r.kind)
        data._cache[key] = kinds
    return data._cache[key]


def stratum_kind(data: ReportData, info: IndicatorInfo, stratum: str) -> str:
    """How the rows of a stratum read (count, proportion, median …), from the rows of the
    same shape in the table (``sex=K`` reads like every ``sex=…`` row), else the indicator's."""
    kind = _shape_kinds(data, info).get(_shape(stratum))
    if kind:
        return kind
    return data.kind(info) if stratum == "all" else ""


def zero_row(
    data: ReportData, info: IndicatorInfo, who: str, stratum: str, period: int | None = None
) -> IndicatorRow | None:
    """The row of a category without cases where it is a count: 0 (a count), or 0 of the
    breakdown's total (a distribution). None for shares and medians, which have no value
    over no cases."""
    p = data.year if period is None else period
    kind = _shape_kinds(data, info).get(_shape(stratum)) or (
        info.main_kind if stratum == "all" else ""
    )
    if kind == "count":
        return IndicatorRow(info.id, p, who, stratum, numerator=0, value=0.0, kind="count")
    if kind != "distribution":
        return None
    items = stratum_items(stratum)
    total = 0
    for r in data.rows_of(info.id):  # a sibling category holds the distribution's total
        other = stratum_items(r.stratum)
        if (
            r.period == p
            and r.unit == who
            and len(other) == len(items)
            and other[:-1] == items[:-1]
            and other[-1][0] == items[-1][0]
            and r.denominator
        ):
            total = r.denominator
            break
    if not total:
        return None
    return IndicatorRow(
        info.id, p, who, stratum, numerator=0, denominator=total, value=0.0, kind="distribution"
    )


_UNSET = object()


def present_cell(
    data: ReportData,
    info: IndicatorInfo,
    who: str,
    stratum: str = "all",
    lang: str = "sv",
    row: IndicatorRow | None | object = _UNSET,
) -> Shown:
    """One cell of the report year as a reader sees it: :func:`present` of its row, with a cell
    without cases shown as hidden where :func:`reads_as_hidden` says so, and as 0 where it is a
    count. ``row`` defaults to the unit's row for the stratum; a unit without a row shows the
    national row when that is not computable (then it is not computable for any unit)."""
    r: IndicatorRow | None
    if row is _UNSET:
        r = data.row(info.id, who, stratum=stratum)
        if r is None and who != data.national:
            nat = data.row(info.id, data.national, stratum=stratum)
            if nat is not None and not nat.computable:
                r = nat
    else:
        r = row  # type: ignore[assignment]
    if r is not None and not r.computable:
        return present(r, info, lang, data.min_count)
    if is_empty(r, info) and reads_as_hidden(data, info, who, stratum):
        return Shown(status="suppressed")
    if r is None:
        r = zero_row(data, info, who, stratum)
    return present(r, info, lang, data.min_count)


def breakdown_keys(data: ReportData, info: IndicatorInfo) -> list[str]:
    """Every stratum of an indicator's breakdowns, whether it had cases or not: for each
    combination of variables in the table (``sex``, ``sex;age_band``, ``measure;indication``
    …) every combination of their categories — the schema's code list (``info.categories``)
    and any other value in the table (``unknown``, or a variable without a code list) in any
    year or unit."""
    key = ("breakdown_keys", info.id)
    if key in data._cache:
        return data._cache[key]
    shapes: list[tuple[str, ...]] = []
    seen: dict[str, set[str]] = {}
    for r in data.rows_of(info.id):
        items = stratum_items(r.stratum)
        if not items:
            continue
        shape = tuple(v for v, _ in items)
        if shape not in shapes:
            shapes.append(shape)
        for var, value in items:
            seen.setdefault(var, set()).add(value)
    known = {var: tuple(values) for var, values in info.categories}
    values = {
        var: list(known.get(var, ())) + sorted(v for v in found if v not in known.get(var, ()))
        for var, found in seen.items()
    }
    keys = {
        ";".join(f"{var}={val}" for var, val in zip(shape, combo, strict=True))
        for shape in shapes
        for combo in product(*(values[var] for var in shape))
    }
    out = sorted(keys, key=stratum_sort_key)
    data._cache[key] = out
    return out


def status_text(shown: Shown, lang: str) -> str:
    t = labels(lang)
    return {
        "suppressed": t["suppressed"],
        "not_computable": t["not_computable"],
        "no_data": t["no_data"],
    }.get(shown.status, "")


def target_text(status: str, lang: str) -> str:
    t = labels(lang)
    return {
        "high": t["target_high"],
        "intermediate": t["target_intermediate"],
        "not_met": t["target_not_met"],
        "none": "",
    }[status]


def stratum_label(stratum: str, lang: str, info: IndicatorInfo | None = None) -> str:
    """``sex=K;age_band=60-69`` -> ``Kön: kvinnor, Ålder: 60–69``; a named sub-measure
    (``measure=leak``) reads as its title, a PREM question (``question=q1``) as a label."""
    t = labels(lang)
    parts = []
    for item in stratum.split(";"):
        name, sep, value = item.partition("=")
        if not sep:
            parts.append(item)
            continue
        title = info.stratum_title(item, lang) if info is not None else None
        if title:
            parts.append(title)
            continue
        if name == "question" and re.fullmatch(r"[qQ]\d+", value):
            parts.append(question_label(value, lang, info))
            continue
        head = t.get(f"strat_{name}", name)
        parts.append(f"{head}: {category_text(name, value, lang, info)}")
    return ", ".join(parts)


def category_text(name: str, value: str, lang: str, info: IndicatorInfo | None = None) -> str:
    """One category as a reader reads it: the report's word (``K`` -> ``kvinnor``), a code with
    its name (``01 Stockholm``, ``3 bäckenrecidiv av kolorektalcancer``), ``uppgift saknas`` for
    an unknown value, an age band with an en dash."""
    t = labels(lang)
    own = t.get(f"strat_{name}_{value}")
    if own:
        return own
    if value in ("unknown", "true", "false"):
        return t[f"strat_{value}"]
    named = category_name(name, value, lang)
    if named is None and info is not None:
        named = info.category_name(name, value)
    if named and named != value:
        return f"{value} {named}" if value[:1].isdigit() else named
    return value.replace("-", "–")


def question_label(column: str, lang: str, info: IndicatorInfo | None = None) -> str:
    """A PREM question (``q1``) as a neutral label — the register's survey wording is not in the
    definitions: ``Fråga 1: andel som svarat 4 eller 5`` (the lowest positive answer from the
    indicator's ``positive_min``, answers 1–5)."""
    t = labels(lang)
    n = column[1:]
    lo = dict(info.params).get("positive_min") if info is not None else None
    if lo is not None and str(lo).isdigit() and 1 <= int(lo) <= 5:
        answers = [str(a) for a in range(int(lo), 6)]
        said = answers[0] if len(answers) == 1 else f"{', '.join(answers[:-1])} {t['or']} 5"
        return t["question_n"].format(n=n, answers=said)
    return t["question_positive"].format(n=n)


def period_text(info: IndicatorInfo, year: int, lang: str) -> str:
    """The line that says which rows count in the year: ``fall med remissdatum under 2025``,
    ``fall med diagnosdatum under 2024 (året före rapportåret)``."""
    if not info.period:
        return ""
    t = labels(lang)
    offset = info.period_offset
    y = str(year - offset)
    if offset > 0:
        key = f"period_offset_{offset}" if offset in (1, 2) else "period_offset_n"
        y += f" ({t[key].format(n=offset)})"
    rows = t.get(f"rows_{info.table}", t["rows_cases"])
    return t["period_text"].format(rows=rows, date=date_name(info.period, lang), y=y)


def left_out_text(shown: Shown, lang: str) -> str:
    """``ej med i nämnaren: 9 där uppgift saknas, <5 där uppföljningstiden …``; empty when no
    case was left out."""
    t = labels(lang)
    parts = []
    if shown.n_missing and shown.n_missing != "0":
        parts.append(t["left_out_missing"].format(n=shown.n_missing))
    if shown.n_pending and shown.n_pending != "0":
        parts.append(t["left_out_pending"].format(n=shown.n_pending))
    return f"{t['left_out']}: {', '.join(parts)}" if parts else ""


_NOTE_PATTERNS_SV = (
    (re.compile(r"^table '([^']+)' is not in the export$"), r"tabellen \1 finns inte i exporten"),
    (re.compile(r"^columns? (.+) not in the export$"), r"kolumnen/kolumnerna \1 saknas i exporten"),
)


def note_text(note: str | None, lang: str) -> str:
    """The engine's note (``not computable: column x not in the export``) for the reader."""
    text = (note or "").strip()
    if text.lower().startswith("not computable:"):
        text = text.split(":", 1)[1].strip()
    if lang == "sv":
        for pattern, repl in _NOTE_PATTERNS_SV:
            if pattern.match(text):
                return pattern.sub(repl, text)
    return text
