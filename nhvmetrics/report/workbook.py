"""The submission workbook (openpyxl): one sheet per area, a data-quality and a provenance sheet.

* The area's sheet (``acc 2025``): the area, the reporting year (once), the unit and the
  extract date at the top; then one row per indicator, per sub-measure and per category of
  every breakdown (sex, age band, region, indication …), under one header row with an
  autofilter and frozen panes. Each row holds the unit's figure (with ``--unit``) and the
  national figure side by side, each with its value, CI, quartiles, numerator, denominator,
  left-out counts, whether the target is met, and *why* a figure is not shown.
* Numbers stay numbers: a hidden figure (suppressed, not computable, no data, a left-out count
  of 1–4) leaves its cells empty and says why in the figure's ``ej visat, orsak`` column; shares
  are numbers in 0–1 formatted as percent with one decimal, medians carry their unit in the
  number format (``14,0 dygn``), counts are whole. Target levels sit only on the rows they
  apply to (an indicator's share row).
* No cell ever holds a formula: every text is written as a string cell, and text that a
  spreadsheet would read as a formula (starting with ``=``, ``+``, ``-`` or ``@``) also gets
  the quote prefix.
* Byte-identical for the same inputs: the document properties carry a fixed time derived from
  the extract date, and the zip is rewritten with fixed entry times and a fixed order.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path

from nhvmetrics.report.labels import area_name, check_name, labels
from nhvmetrics.report.model import ReportData
from nhvmetrics.report.present import (
    breakdown_keys,
    is_sub_measure,
    present_cell,
    stratum_kind,
    stratum_label,
    target_text,
    targets_apply,
)

PCT = "0.0%"
INT = "0"
COUNT = "#,##0"
DATE = "yyyy-mm-dd"

# the columns of one figure (the unit's, the nation's): key -> (Swedish, English) header
FIGURE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("value", "värde", "value"),
    ("ci_low", "95 % KI nedre", "95% CI low"),
    ("ci_high", "95 % KI övre", "95% CI high"),
    ("q1", "kvartil 1", "quartile 1"),
    ("q3", "kvartil 3", "quartile 3"),
    ("numerator", "täljare", "numerator"),
    ("denominator", "nämnare", "denominator"),
    ("n_missing", "ej med, uppgift saknas", "left out, unknown"),
    ("n_pending", "ej med, uppföljning pågår", "left out, follow-up open"),
    ("target_met", "måluppfyllelse", "target met"),
    ("reason", "ej visat, orsak", "not shown, reason"),
)
# the columns that say what a row is, before the figures, and after them
ROW_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("id", "Id", "Id"),
    ("title", "Uppföljningsmått", "Indicator"),
    ("group", "Grupp", "Group"),
    ("stratum", "Stratum", "Stratum"),
    ("measure", "Mått", "Measure"),
    ("version", "Definitionsversion", "Definition version"),
)
TAIL_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("target_intermediate", "Målnivå, mellannivå", "Target, intermediate"),
    ("target_high", "Målnivå, hög nivå", "Target, high"),
    ("params", "Parametrar", "Parameters"),
    ("provenance", "Källa för parametrar och målnivåer", "Source of parameters and target levels"),
    ("note", "Anmärkning", "Note"),
)
WIDTHS = {
    "id": 26,
    "title": 44,
    "group": 30,
    "stratum": 18,
    "measure": 16,
    "params": 24,
    "provenance": 40,
}
HEAD_FILL = "DDEBF7"
GROUP_FILLS = {"unit": "FBE5D6", "national": "DDEBF7"}


def _safe(cell, value) -> None:
    """Write ``value``; text is always a string cell, never a formula."""
    from nhvmetrics.io.xlsx import put_value

    put_value(cell, value)


def _put(ws, row: int, col: int, value, fmt: str | None = None, bold: bool = False):
    from openpyxl.styles import Font

    cell = ws.cell(row=row, column=col)
    _safe(cell, value)
    if fmt and not isinstance(value, str) and value is not None:
        cell.number_format = fmt
    if bold:
        cell.font = Font(bold=True)
    return cell


def _value_format(kind: str, info, lang: str) -> str:
    """Shares as percent with one decimal, medians with one decimal and their unit (days …),
    counts whole."""
    if kind in ("proportion", "survival", "distribution"):
        return PCT
    if kind == "count":
        return COUNT
    unit = info.unit_text(lang)
    if not unit and kind == "median" and info.value_axis == "days":
        unit = "dygn" if lang == "sv" else "days"
    return f'0.0" {unit}"' if unit else "0.0"


def _measure_text(kind: str, info, lang: str) -> str:
    """What the row's value is: andel, median (dygn), antal …"""
    t = labels(lang)
    word = {
        "proportion": t["type_proportion"],
        "distribution": t["type_proportion"],
        "survival": t["type_survival"],
        "median": t["median_axis"].lower(),
        "count": t["type_count"],
    }.get(kind, kind)
    unit = info.unit_text(lang) if kind == "median" else ""
    if kind == "median" and not unit and info.value_axis == "days":
        unit = "dygn" if lang == "sv" else "days"
    return f"{word} ({unit})" if unit else word


def _sheet_name(text: str, used: set[str]) -> str:
    name = re.sub(r"[\[\]\*\?/\\:]", "-", text)[:31]
    base, i = name, 2
    while name in used:
        suffix = f" ({i})"
        name = base[: 31 - len(suffix)] + suffix
        i += 1
    used.add(name)
    return name


def sheet_rows(data: ReportData) -> list[tuple]:
    """(info, stratum) of every row of an area's indicator sheet, in order: each indicator's
    own row, its sub-measures, then every category of its breakdowns."""
    items: list[tuple] = []
    for info in data.indicators:
        keys = breakdown_keys(data, info)
        items.append((info, "all"))
        items += [(info, k) for k in keys if is_sub_measure(k)]
        items += [(info, k) for k in keys if not is_sub_measure(k)]
    return items


def _reason(shown, lang: str) -> str | None:
    """Why the figure's cells are empty (or partly empty), in words."""
    t = labels(lang)
    if shown.status == "ok":
        small = []
        if shown.n_missing.startswith("<"):
            small.append(f"{t['n_missing']} {shown.n_missing}")
        if shown.n_pending.startswith("<"):
            small.append(f"{t['n_pending']} {shown.n_pending}")
        return f"{t['left_out']}: {', '.join(small)}" if small else None
    text = {
        "suppressed": t["suppressed"],
        "not_computable": t["not_computable"],
        "no_data": t["no_data"],
    }[shown.status]
    return f"{text} – {shown.note}" if shown.status == "not_computable" and shown.note else text


def _figure_values(data: ReportData, info, who: str, stratum: str, lang: str) -> dict:
    """The cells of one figure: numbers (None where hidden or absent) and the reason."""
    shown = present_cell(data, info, who, stratum, lang)
    row = data.row(info.id, who, stratum=stratum)
    out: dict = {"reason": _reason(shown, lang), "_kind": shown.kind}
    if shown.status != "ok":
        return out
    median = shown.kind == "median"
    out.update(
        value=shown.raw_value,
        ci_low=shown.raw_ci_low if not median or shown.ci else None,
        ci_high=shown.raw_ci_high if not median or shown.ci else None,
        q1=row.q1 if row is not None and median else None,
        q3=row.q3 if row is not None and median else None,
        numerator=shown.raw_numerator,
        denominator=shown.raw_denominator,
        n_missing=None if shown.n_missing.startswith("<") else (row.n_missing if row else None),
        n_pending=None if shown.n_pending.startswith("<") else (row.n_pending if row else None),
        target_met=target_text(shown.target, lang) or None,
    )
    if shown.kind == "count":
        out["numerator"] = out["denominator"] = None  # the value is the count
    return out


def _targets_here(info, stratum: str, kind: str) -> bool:
    """Whether the indicator's target levels apply to this row (its share row)."""
    from nhvmetrics.report.model import IndicatorRow

    return targets_apply(IndicatorRow(info.id, 0, "", stratum), info, kind)


def _area_sheet(wb, data: ReportData, lang: str, used: set[str]) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    t = labels(lang)
    en = lang == "en"
    ws = wb.create_sheet(_sheet_name(f"{data.area} {data.year}", used))
    _put(ws, 1, 1, f"{area_name(data.area, lang)} ({data.area})").font = Font(bold=True, size=14)
    facts = [
        (t["year"], data.year, INT),
        (t["unit"], data.unit or t["national"], None),
        (t["extract_date"], data.provenance.extract_date, DATE),
    ]
    for i, (k, v, f) in enumerate(facts, start=2):
        _put(ws, i, 1, k, bold=True)
        _put(ws, i, 2, v, f).alignment = Alignment(horizontal="left")
    _put(ws, 5, 1, t["privacy_note"].format(n=data.min_count))
    _put(ws, 6, 1, t["workbook_blanks"])

    groups = [("unit", data.unit)] if data.unit else []
    groups.append(("national", data.national))
    columns: list[tuple[str, str, str]] = [(k, "", sv if not en else e) for k, sv, e in ROW_COLUMNS]
    for g, _who in groups:
        prefix = t["unit"] if g == "unit" else t["national_short"]
        columns += [(k, g, f"{prefix}: {en_ if en else sv}") for k, sv, en_ in FIGURE_COLUMNS]
    columns += [(k, "", e if en else sv) for k, sv, e in TAIL_COLUMNS]

    group_row, head_row = 8, 9
    bold = Font(bold=True)
    for c, (k, g, head) in enumerate(columns, start=1):
        cell = _put(ws, head_row, c, head, bold=True)
        cell.fill = PatternFill("solid", fgColor=GROUP_FILLS.get(g, HEAD_FILL))
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if g and (c == 1 or columns[c - 2][1] != g):  # the first column of a group
            title = t["unit_col"].format(u=data.unit) if g == "unit" else t["national"]
            _put(ws, group_row, c, title).font = bold
        ws.column_dimensions[get_column_letter(c)].width = WIDTHS.get(k, 13 if g else 16)

    r = head_row
    for info, stratum in sheet_rows(data):
        r += 1
        figures = {g: _figure_values(data, info, who, stratum, lang) for g, who in groups}
        kind = next((f["_kind"] for f in figures.values() if f["_kind"]), "")
        kind = kind or stratum_kind(data, info, stratum) or data.kind(info)
        vfmt = _value_format(kind, info, lang)
        targets = _targets_here(info, stratum, kind)
        rowvals: dict[tuple[str, str], tuple] = {
            ("id", ""): (info.id, None),
            ("title", ""): (info.title(lang), None),
            ("group", ""): (
                t["stratum_all"]
                if stratum == "all"
                else info.stratum_title(stratum, lang) or stratum_label(stratum, lang, info),
                None,
            ),
            ("stratum", ""): (stratum, None),
            ("measure", ""): (_measure_text(kind, info, lang), None),
            ("version", ""): (info.version, None),
            ("target_intermediate", ""): (info.target_intermediate if targets else None, PCT),
            ("target_high", ""): (info.target_high if targets else None, PCT),
            ("params", ""): ("; ".join(f"{k}={v}" for k, v in info.params) or None, None),
            ("provenance", ""): (info.provenance_text(lang) or None, None),
            ("note", ""): (None, None),
        }
        formats = {
            "value": vfmt,
            "ci_low": vfmt,
            "ci_high": vfmt,
            "q1": vfmt,
            "q3": vfmt,
            "numerator": COUNT,
            "denominator": COUNT,
            "n_missing": COUNT,
            "n_pending": COUNT,
        }
        for g, vals in figures.items():
            for k, v in vals.items():
                if not k.startswith("_"):
                    rowvals[(k, g)] = (v, formats.get(k))
        nat_row = data.row(info.id, data.national, stratum=stratum)
        if nat_row is not None and nat_row.note and nat_row.computable:
            rowvals[("note", "")] = (nat_row.note, None)
        for c, (k, g, _head) in enumerate(columns, start=1):
            v, f = rowvals.get((k, g), (None, None))
            if v is not None:
                _put(ws, r, c, v, f)
    last = get_column_letter(len(columns))
    ws.auto_filter.ref = f"A{head_row}:{last}{max(r, head_row + 1)}"
    ws.row_dimensions[head_row].height = 45
    ws.freeze_panes = ws.cell(row=head_row + 1, column=3)


def _quality_sheet(wb, reports: Sequence[ReportData], lang: str, used: set[str]) -> None:
    t = labels(lang)
    ws = wb.create_sheet(_sheet_name(t["quality"], used))
    r = 1
    _put(ws, r, 1, t["quality"], bold=True)
    r += 2
    heads = [
        t["area"],
        t["table"],
        t["file"],
        t["rows_read"],
        t["accepted"],
        t["quarantined"],
        t["dropped"],
        t["reason"],
    ]
    for c, head in enumerate(heads, 1):
        _put(ws, r, c, head, bold=True)
    for data in reports:
        for q in data.quality:
            r += 1
            for c, value in enumerate(
                [
                    data.area,
                    q.name,
                    q.file_name,
                    q.rows_read,
                    q.accepted,
                    q.quarantined,
                    q.dropped_total,
                    ", ".join(f"{t.get('drop_' + k, k)}: {n}" for k, n in q.dropped) or None,
                ],
                1,
            ):
                if value is not None:
                    _put(ws, r, c, value, INT)
    r += 2
    _put(ws, r, 1, t["completeness"], bold=True)
    r += 1
    for c, head in enumerate(
        [t["area"], t["table"], t["variable"], t["filled"], t["rows"], t["share_filled"]], 1
    ):
        _put(ws, r, c, head, bold=True)
    for data in reports:
        for q in data.quality:
            for comp in q.completeness:
                r += 1
                for c, (cell, fmt) in enumerate(
                    [
                        (data.area, None),
                        (q.name, None),
                        (comp.column, None),
                        (comp.filled, INT),
                        (comp.total, INT),
                        (comp.share, PCT),
                    ],
                    1,
                ):
                    if cell is not None:
                        _put(ws, r, c, cell, fmt)
    r += 2
    _put(ws, r, 1, t["findings"], bold=True)
    r += 1
    for c, head in enumerate(
        [t["area"], t["table"], t["check"], t["check_code"], t["column"], t["severity"], t["rows"]],
        1,
    ):
        _put(ws, r, c, head, bold=True)
    for data in reports:
        for finding in data.findings:
            r += 1
            for c, entry in enumerate(
                [
                    data.area,
                    finding.table,
                    check_name(finding.check, lang) or finding.check,
                    finding.check,
                    finding.column,
                    t.get(f"severity_{finding.severity}", finding.severity),
                    finding.count,
                ],
                1,
            ):
                _put(ws, r, c, entry, COUNT)
    for col, w in zip("ABCDEFGH", (10, 12, 30, 26, 24, 22, 12, 30), strict=True):
        ws.column_dimensions[col].width = w


def _provenance_sheet(wb, reports: Sequence[ReportData], lang: str, used: set[str]) -> None:
    t = labels(lang)
    ws = wb.create_sheet(_sheet_name(t["provenance"], used))
    r = 1
    _put(ws, r, 1, t["provenance"], bold=True)
    for data in reports:
        p = data.provenance
        r += 2
        _put(ws, r, 1, f"{area_name(data.area, lang)} ({data.area})", bold=True)
        for k, v in [
            (t["year"], str(data.year)),
            (t["extract_date"], p.extract_date.isoformat()),
            (
                t["extract_date"] + " – " + t["source"].lower(),
                t["extract_from_option"]
                if p.extract_date_source == "option"
                else t["extract_from_data"],
            ),
            (t["tool_version"], f"nhvmetrics {p.tool_version}"),
            *(
                (t.get(f"param_{k}", k), t.get(f"ci_{v}", v) if k == "ci_method" else v)
                for k, v in p.parameters
                if k != "year"  # shown above
            ),
        ]:
            r += 1
            _put(ws, r, 1, k)
            _put(ws, r, 2, v)
        r += 2
        for c, v in enumerate([t["table"], t["file"], t["sha256"]], 1):
            _put(ws, r, c, v, bold=True)
        for q in data.quality:
            r += 1
            _put(ws, r, 1, q.name)
            _put(ws, r, 2, q.file_name)
            _put(ws, r, 3, q.sha256)
        r += 2
        for c, v in enumerate([t["definition_id"], t["version"], t["parameters"], t["source"]], 1):
            _put(ws, r, c, v, bold=True)
        for info in data.indicators:
            r += 1
            _put(ws, r, 1, info.id)
            _put(ws, r, 2, info.version)
            _put(ws, r, 3, "; ".join(f"{k}={v}" for k, v in info.params))
            _put(ws, r, 4, info.source_text(lang))
            if info.own:  # a region's own definition, marked beside its source
                _put(ws, r, 5, info.origin_note(lang))
    for col, w in zip("ABCD", (34, 30, 70, 60), strict=True):
        ws.column_dimensions[col].width = w


def fixed_time(reports: Sequence[ReportData]) -> dt.datetime:
    """The time stamped in the workbook: midnight of the (latest) extract date."""
    d = max(r.provenance.extract_date for r in reports)
    return dt.datetime(d.year, d.month, d.day)


def workbook_bytes(reports: ReportData | Sequence[ReportData], lang: str = "sv") -> bytes:
    """The workbook as bytes (deterministic)."""
    from openpyxl import Workbook

    if isinstance(reports, ReportData):
        reports = [reports]
    reports = list(reports)
    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    for data in reports:
        _area_sheet(wb, data, lang, used)
    _quality_sheet(wb, reports, lang, used)
    _provenance_sheet(wb, reports, lang, used)
    when = fixed_time(reports)
    from nhvmetrics.io.xlsx import workbook_bytes as deterministic_bytes

    wb.properties.title = labels(lang)["report_title"]
    return deterministic_bytes(wb, when)


def write_workbook(
    reports: ReportData | Sequence[ReportData], path: Path | str, lang: str = "sv"
) -> None:
    """Write the submission workbook atomically."""
    from nhvmetrics.io.atomic import write_bytes

    write_bytes(path, workbook_bytes(reports, lang))
