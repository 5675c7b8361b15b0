"""The annual report as one self-contained HTML page (Jinja2, autoescaped, strict undefined).

CSS and the charts (inline SVG) are in the page; a Content-Security-Policy meta tag forbids
every fetch (no script, font or image from anywhere), and the page prints to PDF from a browser.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path

from nhvmetrics.report.labels import area_name, check_name, labels, table_label
from nhvmetrics.report.model import IndicatorInfo, ReportData
from nhvmetrics.report.present import (
    Shown,
    breakdown_keys,
    fmt_number,
    fmt_percent,
    fmt_target,
    is_sub_measure,
    left_out_text,
    period_text,
    present_cell,
    status_text,
    stratum_label,
    target_text,
)

TEMPLATES = Path(__file__).resolve().parent / "templates"


@cache
def environment():
    """The Jinja2 environment: autoescaping on, undefined names are errors."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # the templates are the package's own files: no stat per look-up
    )


class _Labels(dict):
    """Label lookup as attributes (``t.summary``); a missing label raises, like StrictUndefined."""

    def __getattr__(self, name: str) -> str:
        try:
            return self[name]
        except KeyError as exc:
            raise AttributeError(f"no report label '{name}'") from exc


def _figure(shown: Shown, lang: str) -> tuple[Shown, str, str]:
    return (
        shown,
        status_text(shown, lang),
        target_text(shown.target, lang) if shown.status == "ok" else "",
    )


def _params_text(info: IndicatorInfo, lang: str) -> str:
    if not info.params:
        return labels(lang)["no_parameters"]
    from nhvmetrics.report.placeholders import show_value

    return ", ".join(f"{k} = {show_value(v, lang)}" for k, v in info.params)


def _targets_text(info: IndicatorInfo, lang: str) -> str:
    t = labels(lang)
    parts = []
    if info.target_intermediate is not None:
        parts.append(
            f"{t['target_level_intermediate']} {'≥' if info.higher_is_better else '≤'} "
            f"{fmt_target(info, info.target_intermediate, lang)}"
        )
    if info.target_high is not None:
        parts.append(
            f"{t['target_level_high']} {'≥' if info.higher_is_better else '≤'} "
            f"{fmt_target(info, info.target_high, lang)}"
        )
    return ", ".join(parts)


def _both(charts: dict, name: str):
    """The wide and the narrow (phone) drawing of one chart, one after the other; the page's
    CSS shows one of them (``svg.chart-wide`` / ``svg.chart-narrow``)."""
    from markupsafe import Markup

    wide, narrow = charts.get(name), charts.get(f"{name}_narrow")
    if not wide:
        return None
    return Markup(wide + (narrow or ""))


def _section(data: ReportData, info: IndicatorInfo, lang: str, charts: dict) -> dict:
    t = labels(lang)
    nat_row = data.row(info.id, data.national)
    nat, nat_status, nat_target = _figure(present_cell(data, info, data.national, lang=lang), lang)
    sec = {
        "id": info.id,
        "anchor": info.id.replace(".", "-"),
        "title": info.title(lang),
        "version": info.version,
        "origin_note": info.origin_note(lang),
        "definition": info.definition_text(lang),
        "source": info.source_text(lang),
        "type_label": t.get(f"type_{info.type}", info.type)
        + (f" ({info.unit_text(lang)})" if info.unit_text(lang) else ""),
        "period": period_text(info, data.year, lang),
        "targets": _targets_text(info, lang),
        "params": _params_text(info, lang),
        "has_params": bool(info.params),
        "provenance": info.provenance_text(lang),
        "nat_fig": nat,
        "nat_status": nat_status,
        "nat_target": nat_target,
        "unit_fig": None,
        "unit_status": "",
        "unit_target": "",
        "trend_svg": _both(charts, "trend"),
        "comparison_svg": _both(charts, "comparison"),
        "comparison_note": {
            "proportion": t["funnel_note"],
            "count": t["bar_note"],
            "median": t["forest_note_median"],
        }.get(data.kind(info), t["forest_note"]),
    }
    unit_row = None
    if data.unit:
        unit_row = data.row(info.id, data.unit)
        if unit_row is None and nat_row is not None and not nat_row.computable:
            unit_row = nat_row  # not computable for any unit
        sec["unit_fig"], sec["unit_status"], sec["unit_target"] = _figure(
            present_cell(data, info, data.unit, lang=lang), lang
        )
    # strata for the report year (national, and the unit's): every category of every
    # breakdown, a category without cases read as hidden wherever a hidden cell is beside it
    strata = []
    keys = breakdown_keys(data, info)
    for k in keys:
        f, fs, _ = _figure(present_cell(data, info, data.national, k, lang), lang)
        st = {
            "label": info.stratum_title(k, lang) or stratum_label(k, lang, info),
            "nat_fig": f,
            "nat_status": fs,
            "unit_fig": None,
            "unit_status": "",
        }
        if data.unit:
            st["unit_fig"], st["unit_status"], _ = _figure(
                present_cell(data, info, data.unit, k, lang), lang
            )
        strata.append(st)
    sec["strata"] = strata
    # sub-measures (share within X days, PREM questions, named complications) in the summary
    subs = []
    for k in keys:
        if not is_sub_measure(k):
            continue
        f, fs, tt = _figure(present_cell(data, info, data.national, k, lang), lang)
        sub = {
            "label": info.stratum_title(k, lang) or stratum_label(k, lang, info),
            "nat_fig": f,
            "nat_status": fs,
            "nat_target": tt,
            "unit_fig": None,
            "unit_status": "",
            "unit_target": "",
        }
        if data.unit:
            sub["unit_fig"], sub["unit_status"], sub["unit_target"] = _figure(
                present_cell(data, info, data.unit, k, lang), lang
            )
        subs.append(sub)
    sec["subrows"] = subs
    # notes: cases left out, and why an indicator could not be computed
    notes = []
    for who, row, shown in (
        (t["national_short"], nat_row, nat),
        (f"{t['unit']} {data.unit}", unit_row, sec["unit_fig"]),
    ):
        if row is None or shown is None:
            continue
        if shown.status == "not_computable":
            notes.append(
                f"{who}: {t['not_computable']}" + (f" – {shown.note}" if shown.note else "")
            )
            continue
        if shown.status != "ok":
            continue
        left_out = left_out_text(shown, lang)
        if left_out:
            notes.append(f"{who}: {left_out}")
        if shown.note:
            notes.append(f"{who}: {shown.note}")
    sec["notes"] = notes
    return sec


def _area_context(data: ReportData, lang: str) -> dict:
    from nhvmetrics.report.charts import all_charts

    t = labels(lang)
    charts = all_charts(data, lang)
    prov = data.provenance
    quality = []
    for q in data.quality:
        quality.append(
            {
                "name": q.name,
                "label": table_label(q.name, lang),
                "file_name": q.file_name,
                "sha256": q.sha256,
                "rows_read": fmt_number(q.rows_read, 0, lang),
                "accepted": fmt_number(q.accepted, 0, lang),
                "quarantined": fmt_number(q.quarantined, 0, lang),
                "dropped_total": fmt_number(q.dropped_total, 0, lang),
                "dropped": bool(q.dropped),
                "dropped_text": ", ".join(
                    f"{t.get('drop_' + reason, reason)}: {fmt_number(n, 0, lang)}"
                    for reason, n in q.dropped
                ),
                "unknown_columns": ", ".join(q.unknown_columns),
                "unknown_cells": ", ".join(
                    f"{c} {fmt_number(n, 0, lang)}" for c, n in q.unknown_cells
                ),
                "completeness": [
                    {
                        "column": c.column,
                        "filled": fmt_number(c.filled, 0, lang),
                        "total": fmt_number(c.total, 0, lang),
                        "share": fmt_percent(c.share, lang, 0) if c.share is not None else "",
                        "width": int(round(100 * c.share)) if c.share is not None else 0,
                    }
                    for c in q.completeness
                ],
            }
        )
    findings = [
        {
            "table": f.table,
            "check": f.check,
            "check_name": check_name(f.check, lang),
            "table_label": table_label(f.table, lang),
            "column": f.column,
            "severity": f.severity,
            "severity_text": t.get(f"severity_{f.severity}", f.severity),
            "count": fmt_number(f.count, 0, lang),
        }
        for f in data.findings
    ]
    return {
        "area": data.area,
        "slug": data.area,
        "area_name": area_name(data.area, lang),
        "summary_intro": t["summary_intro"].format(n=data.min_count),
        "unit_col": t["unit_col"].format(u=data.unit) if data.unit else "",
        "sections": [_section(data, info, lang, charts[info.id]) for info in data.indicators],
        "quality": quality,
        "findings": findings,
        "extract_date": prov.extract_date.isoformat(),
        "extract_source": t["extract_from_option"]
        if prov.extract_date_source == "option"
        else t["extract_from_data"],
        "tool_version": prov.tool_version,
        "parameters": [
            (t.get(f"param_{k}", k), t.get(f"ci_{v}", v) if k == "ci_method" else v)
            for k, v in prov.parameters
        ],
    }


def render_html(reports: ReportData | Sequence[ReportData], lang: str = "sv") -> str:
    """Render one or more areas (same year) into one self-contained HTML page."""
    t = _Labels(labels(lang))
    if isinstance(reports, ReportData):
        reports = [reports]
    reports = list(reports)
    if not reports:
        raise ValueError("render_html needs at least one report")
    first = reports[0]
    areas = [_area_context(r, lang) for r in reports]
    names = ", ".join(a["area_name"] for a in areas)
    title = f"{names} {first.year}" + (f" – {t['unit']} {first.unit}" if first.unit else "")
    return (
        environment()
        .get_template("report.html")
        .render(
            t=t,
            areas=areas,
            title=title,
            year=first.year,
            unit=first.unit,
            extract_date=first.provenance.extract_date.isoformat(),
            extract_source=areas[0]["extract_source"],
            tool_version=first.provenance.tool_version,
            privacy_note=t["privacy_note"].format(n=first.min_count),
        )
    )
