"""The submission workbook (openpyxl): one sheet per area, a data-quality and a provenance sheet.

* One row per indicator for the reporting unit (``--unit``, else all units together), Swedish
  titles, numbers as numbers with number formats (shares as percentages), suppression applied
  (a suppressed row shows *otillräckligt underlag* and no value, CI or counts).
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

from nhvmetrics.report.labels import area_name, labels
from nhvmetrics.report.model import ReportData
from nhvmetrics.report.present import (
    breakdown_keys,
    is_sub_measure,
    present_cell,
    stratum_label,
    target_text,
)

PCT = "0.0%"
DAYS = "0.0"
INT = "0"

SHEET_HEADERS_SV = {
    "id": "Id",
    "title": "Uppföljningsmått",
    "sub": "Delmått",
    "version": "Definitionsversion",
    "period": "Period",
    "unit": "Enhet",
    "numerator": "Täljare",
    "denominator": "Nämnare",
    "value": "Värde",
    "ci_low": "95 % KI nedre",
    "ci_high": "95 % KI övre",
    "q1": "Kvartil 1",
    "q3": "Kvartil 3",
    "target_intermediate": "Målnivå mellan",
    "target_high": "Målnivå hög",
    "target_met": "Måluppfyllelse",
    "n_missing": "Uteslutna, uppgift saknas",
    "n_pending": "Uteslutna, uppföljning pågår",
    "national": "Riket, värde",
    "params": "Parametrar",
    "provenance": "Källa för parametrar och målnivåer",
    "note": "Anmärkning",
}
SHEET_HEADERS_EN = {
    "id": "Id",
    "title": "Indicator",
    "sub": "Sub-measure",
    "version": "Definition version",
    "period": "Period",
    "unit": "Unit",
    "numerator": "Numerator",
    "denominator": "Denominator",
    "value": "Value",
    "ci_low": "95% CI low",
    "ci_high": "95% CI high",
    "q1": "Quartile 1",
    "q3": "Quartile 3",
    "target_intermediate": "Target intermediate",
    "target_high": "Target high",
    "target_met": "Target met",
    "n_missing": "Left out, unknown",
    "n_pending": "Left out, follow-up open",
    "national": "National value",
    "params": "Parameters",
    "provenance": "Source of parameters and target levels",
    "note": "Note",
}


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


def _value_format(kind: str) -> str:
    if kind in ("proportion", "survival", "distribution"):
        return PCT
    return INT if kind == "count" else DAYS


def _sheet_name(text: str, used: set[str]) -> str:
    name = re.sub(r"[\[\]\*\?/\\:]", "-", text)[:31]
    base, i = name, 2
    while name in used:
        suffix = f" ({i})"
        name = base[: 31 - len(suffix)] + suffix
        i += 1
    used.add(name)
    return name


def _area_sheet(wb, data: ReportData, lang: str, used: set[str]) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    t = labels(lang)
    h = SHEET_HEADERS_SV if lang == "sv" else SHEET_HEADERS_EN
    ws = wb.create_sheet(_sheet_name(f"{data.area} {data.year}", used))
    who = data.unit or data.national
    _put(ws, 1, 1, f"{area_name(data.area, lang)} {data.year}", bold=True).font = Font(
        bold=True, size=14
    )
    _put(ws, 2, 1, t["unit"])
    _put(ws, 2, 2, data.unit or t["national"])
    _put(ws, 3, 1, t["extract_date"])
    _put(ws, 3, 2, data.provenance.extract_date.isoformat())
    _put(ws, 4, 1, t["privacy_note"].format(n=data.min_count))
    keys = [
        "id",
        "title",
        "sub",
        "version",
        "period",
        "unit",
        "numerator",
        "denominator",
        "value",
        "ci_low",
        "ci_high",
        "q1",
        "q3",
        "target_intermediate",
        "target_high",
        "target_met",
        "n_missing",
        "n_pending",
    ]
    if data.unit:
        keys.append("national")
    keys += ["params", "provenance", "note"]
    head_row = 6
    fill = PatternFill("solid", fgColor="DDEBF7")
    for c, k in enumerate(keys, start=1):
        cell = _put(ws, head_row, c, h[k], bold=True)
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    r = head_row
    items = []
    for info in data.indicators:
        items.append((info, "all"))
        items += [(info, k) for k in breakdown_keys(data, info) if is_sub_measure(k)]
    for info, stratum in items:
        r += 1
        row = data.row(info.id, who, stratum=stratum)
        if row is None:
            nat_row = data.row(info.id, data.national, stratum=stratum)
            if nat_row is not None and not nat_row.computable:
                row = nat_row  # not computable for any unit
        # a cell without cases reads as hidden where a hidden cell is beside it (present.py)
        shown = present_cell(data, info, who, stratum, lang)
        fmt = _value_format(shown.kind or (row.kind if row else "") or data.kind(info))
        tfmt = PCT if info.type in ("proportion", "prem") else fmt
        vals: dict[str, tuple] = {
            "id": (info.id, None),
            "title": (info.title(lang), None),
            "sub": (
                (info.stratum_title(stratum, lang) or stratum_label(stratum, lang, info))
                if stratum != "all"
                else None,
                None,
            ),
            "version": (info.version, None),
            "period": (data.year, INT),
            "unit": (who, None),
            "target_intermediate": (info.target_intermediate, tfmt),
            "target_high": (info.target_high, tfmt),
            "params": ("; ".join(f"{k}={v}" for k, v in info.params), None),
            "provenance": (info.provenance_text(lang) or None, None),
        }
        if shown.status == "ok":
            vals.update(
                {
                    "numerator": (shown.raw_numerator, INT),
                    "denominator": (shown.raw_denominator, INT),
                    "value": (shown.raw_value, fmt),
                    "ci_low": (shown.raw_ci_low, fmt),
                    "ci_high": (shown.raw_ci_high, fmt),
                    "q1": (row.q1 if row and shown.kind == "median" else None, DAYS),
                    "q3": (row.q3 if row and shown.kind == "median" else None, DAYS),
                    "target_met": (target_text(shown.target, lang) or None, None),
                    "n_missing": (
                        _count_or_text(row.n_missing if row else None, shown.n_missing),
                        INT,
                    ),
                    "n_pending": (
                        _count_or_text(row.n_pending if row else None, shown.n_pending),
                        INT,
                    ),
                    "note": (shown.note or None, None),
                }
            )
        else:
            text = {
                "suppressed": t["suppressed"],
                "not_computable": t["not_computable"],
                "no_data": t["no_data"],
            }[shown.status]
            vals["value"] = (text, None)
            vals["note"] = (shown.note or None, None)
        if data.unit:
            nat = present_cell(data, info, data.national, stratum, lang)
            vals["national"] = (
                (nat.raw_value, fmt)
                if nat.status == "ok"
                else (
                    {
                        "suppressed": t["suppressed"],
                        "not_computable": t["not_computable"],
                        "no_data": t["no_data"],
                    }[nat.status],
                    None,
                )
            )
        for c, k in enumerate(keys, start=1):
            v, f = vals.get(k, (None, None))
            if v is not None:
                _put(ws, r, c, v, f)
    widths = {"id": 30, "title": 48, "sub": 26, "params": 28, "provenance": 48, "note": 36}
    widths["target_met"] = 14
    from openpyxl.utils import get_column_letter

    for c, k in enumerate(keys, start=1):
        ws.column_dimensions[get_column_letter(c)].width = widths.get(k, 12)
    ws.row_dimensions[head_row].height = 32
    ws.freeze_panes = ws.cell(row=head_row + 1, column=3)


def _count_or_text(raw: int | None, shown: str):
    if raw is None:
        return None
    return shown if shown.startswith("<") else raw


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
    for c, v in enumerate(heads, 1):
        _put(ws, r, c, v, bold=True)
    for data in reports:
        for q in data.quality:
            r += 1
            for c, v in enumerate(
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
                if v is not None:
                    _put(ws, r, c, v, INT)
    r += 2
    _put(ws, r, 1, t["completeness"], bold=True)
    r += 1
    for c, v in enumerate(
        [t["area"], t["table"], t["variable"], t["filled"], t["rows"], t["share_filled"]], 1
    ):
        _put(ws, r, c, v, bold=True)
    for data in reports:
        for q in data.quality:
            for comp in q.completeness:
                r += 1
                for c, (v, f) in enumerate(
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
                    if v is not None:
                        _put(ws, r, c, v, f)
    r += 2
    _put(ws, r, 1, t["findings"], bold=True)
    r += 1
    for c, v in enumerate(
        [t["area"], t["table"], t["check"], t["column"], t["severity"], t["rows"]], 1
    ):
        _put(ws, r, c, v, bold=True)
    for data in reports:
        for f in data.findings:
            r += 1
            for c, v in enumerate(
                [
                    data.area,
                    f.table,
                    f.check,
                    f.column,
                    t.get(f"severity_{f.severity}", f.severity),
                    f.count,
                ],
                1,
            ):
                _put(ws, r, c, v, INT)
    for col, w in zip("ABCDEFGH", (10, 12, 28, 26, 22, 12, 12, 30), strict=True):
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
            *((t.get(f"param_{k}", k), v) for k, v in p.parameters),
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
            _put(ws, r, 4, info.source)
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
