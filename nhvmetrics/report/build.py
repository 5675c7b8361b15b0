"""Turn one export's validation and computation into a :class:`ReportData`.

:func:`report_data_from_results` takes the stage results of :mod:`nhvmetrics.pipeline` (a
:class:`~nhvmetrics.schema.validate.ValidationResult` and a
:class:`~nhvmetrics.engine.compute.ComputeResult`) and builds the plain dataclasses of
:mod:`nhvmetrics.report.model` that the HTML and the workbook are rendered from.  Running the
stages is the pipeline's business, not this module's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from nhvmetrics.report.model import (
    Completeness,
    FindingCount,
    IndicatorInfo,
    IndicatorRow,
    Provenance,
    ReportData,
    TableQuality,
)

if TYPE_CHECKING:
    import polars as pl

    from nhvmetrics.areas import Area
    from nhvmetrics.engine.compute import ComputeResult
    from nhvmetrics.schema.validate import ValidationResult

#: at most this many years back from Y are shown for the trend charts
MAX_TREND_YEARS = 10

# the order reasons and severities are listed in
_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


# ---------------------------------------------------------------- definitions


def indicator_info(d: Any, area: str | Area | None = None) -> IndicatorInfo:
    """An engine ``Definition`` as the report shows it (with ``area``, a name or an
    :class:`~nhvmetrics.areas.Area`, the categories of its stratification variables from the
    area schema).  A definition that did not ship with nhvmetrics is marked ``own``."""
    targets = getattr(d, "targets", None) or {}
    # target levels that are a local assumption of the shipped definition are not shown
    # (a region shows levels by setting them: its own definitions, or targets for the run)
    shown = getattr(targets, "shown", True)
    if not shown:
        targets = {"direction": targets.get("direction", "higher")}
    params = getattr(d, "params", None) or {}
    param_help = getattr(d, "param_help", None) or {}
    sources = getattr(d, "param_sources", None) or {}
    target_src = getattr(getattr(d, "targets", None), "source", None) if shown else None

    # what the indicator's kind says about its rows (the main row's kind, what its value
    # measures, the titles of its named sub-rows, with the parameter values filled in)
    kind, spec = getattr(d, "kind", None), getattr(d, "spec", None)
    row_kind = kind.row_kind(spec) if kind is not None else ""
    value_axis = kind.value_axis(spec) if kind is not None else ""
    measures: tuple = getattr(d, "stratum_titles", ())
    if not isinstance(measures, tuple):  # pragma: no cover - a definition made by hand
        measures = tuple(kind.stratum_titles(spec)) if kind is not None else ()

    def show(v: Any) -> str:
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        if isinstance(v, dict):
            return ", ".join(f"{k} {show(x)}" for k, x in v.items())
        if isinstance(v, list | tuple):
            return ", ".join(show(x) for x in v)
        return str(v)

    del param_help  # English-only descriptions; the docs carry them
    shown_params = tuple((k, show(v)) for k, v in params.items())
    offset = int(getattr(d, "period_offset_years", 0) or 0)
    period_date = getattr(d, "period_date", "")
    definition_sv = getattr(d, "description_sv", "") or getattr(d, "definition", "") or ""
    definition_en = getattr(d, "description_en", "") or ""
    if getattr(d, "source_document", None) is not None:
        from nhvmetrics.report.sources import source_text

        source = source_text(str(d.source_document), str(getattr(d, "source_section", "") or ""))
    else:
        source = getattr(d, "source", "") or ""
    return IndicatorInfo(
        id=d.id,
        version=str(getattr(d, "version", "")),
        title_sv=getattr(d, "title_sv", "") or d.id,
        title_en=getattr(d, "title_en", "") or getattr(d, "title_sv", "") or d.id,
        type=getattr(d, "type", "count"),
        row_kind=row_kind,
        value_axis=value_axis,
        definition=definition_sv.strip(),
        definition_en=definition_en.strip(),
        value_unit=str(getattr(d, "value_unit", "") or ""),
        period=str(period_date or ""),
        period_offset=offset,  # a case counts in year(date) + offset: its date falls in Y − offset
        source=str(source),
        params=shown_params,
        target_intermediate=_float(targets.get("intermediate")),
        target_high=_float(targets.get("high")),
        higher_is_better=targets.get("direction", "higher") != "lower",
        stratum_titles=measures,
        categories=stratum_categories(d, area) if area else (),
        own=getattr(d, "origin", "shipped") != "shipped",
        table=str(getattr(d, "table", "") or "cases"),
        category_names=category_names(d, area) if area else (),
        param_sources=tuple((k, src.type, src.text) for k, src in sources.items() if k in params),
        target_source=(target_src.type, target_src.text) if target_src is not None else (),
        role=str(getattr(d, "role", "indicator") or "indicator"),
    )


def category_names(d: Any, area: str | Area) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """The area schema's names of the categories of a definition's stratification variables
    (``referring_region`` 01 -> Stockholm …), where the schema gives them."""
    variables = _variables(d)
    try:
        from nhvmetrics.schema.model import load_schema

        columns = load_schema(area).table(getattr(d, "table", "cases") or "cases").columns
    except Exception:  # noqa: BLE001 - a schema that cannot be read names nothing
        return ()
    out = []
    for var in variables:
        spec = columns.get(var)
        if spec is not None and spec.labels:
            out.append((var, tuple(sorted(spec.labels.items()))))
    return tuple(out)


def _variables(d: Any) -> list[str]:
    """A definition's stratification variables and its distribution category (the category
    is the kind's field, ``d.spec.category``; a hand-made object may carry it itself)."""
    variables = [str(v) for v in (getattr(d, "stratifiers", None) or [])]
    category = getattr(d, "category", None) or getattr(getattr(d, "spec", None), "category", None)
    if category and category not in variables:
        variables.append(str(category))
    return variables


def stratum_categories(d: Any, area: str | Area) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Every category of each stratification variable (and distribution category) of a
    definition, as the engine labels them: the schema's code list, an int column's range, the
    age bands, true/false. A variable without a known domain is left out (the report then
    lists the categories that occur in the table)."""
    variables = _variables(d)
    try:
        from nhvmetrics.schema.model import load_schema

        columns = load_schema(area).table(getattr(d, "table", "cases") or "cases").columns
    except Exception:  # noqa: BLE001 - a schema that cannot be read lists what the table holds
        columns = {}
    out = []
    for var in variables:
        values: tuple[str, ...] = ()
        if var == "age_band":
            from nhvmetrics.engine.strata import age_band_labels

            values = tuple(age_band_labels())
        elif var in columns:
            spec = columns[var]
            if spec.codes:
                values = tuple(str(c) for c in spec.codes)
            elif spec.type == "int" and spec.range and None not in spec.range:
                lo, hi = int(spec.range[0]), int(spec.range[1])  # type: ignore[arg-type]
                if 0 <= hi - lo <= 100:
                    values = tuple(str(i) for i in range(lo, hi + 1))
            elif spec.type == "bool":
                values = ("false", "true")
        if values:
            out.append((var, values))
    return tuple(out)


# the order of the seed documents' tables (SPEC §3): background measures first
_ORDER = (
    "patients",
    "referrals",
    "treatments",
    "age",
    "sex",
    "referring_region",
    "home_region",
    "visit_within_x",
    "treated_within_svf",
    "referral_to_assessment_days",
    "referral_to_treatment_days",
    "rt_duration_days",
    "length_of_stay",
    "postop_hypocortisolism",
    "nonradical_curative_surgery",
    "complications_30d",
    "complications",
    "r0",
    "mortality_30d",
    "mortality_90d",
    "treated_at_other_unit",
    "complete_remission_6m",
    "written_care_plan",
    "satisfaction_followed_up",
    "qol_followed_up",
    "prem",
    "mitotane_level_1y",
    "survival_1y",
    "national_mdk",
)


def indicator_order(info: IndicatorInfo) -> tuple:
    """Sort key: the seed table's order, then unknown indicators by id."""
    name = info.id.split(".", 1)[-1]
    return (_ORDER.index(name) if name in _ORDER else len(_ORDER), info.id)


def _float(x: Any) -> float | None:
    return None if x is None else float(x)


# ---------------------------------------------------------------- indicator table


def rows_from_table(table: Any) -> list[IndicatorRow]:
    """The rows of an engine indicator table (polars DataFrame) as :class:`IndicatorRow`.

    Column by column (one list per column, converted once), not row by row: the engine's
    tables are typed, so integer and float columns need no conversion per value beyond
    NaN -> None.
    """
    cols = set(table.columns)
    n = table.height

    def column(name: str, default: Any = None) -> list:
        if name not in cols:
            return [default] * n
        return table.get_column(name).to_list()

    def ints(name: str) -> list:
        if name in cols and table.schema[name].is_integer():
            return column(name)
        return [_int(v) for v in column(name)]

    def nums(name: str) -> list:
        if name in cols and table.schema[name].is_float():
            return [None if v != v else v for v in column(name)]  # NaN -> None
        return [_num(v) for v in column(name)]

    def texts(name: str, empty: str | None = None) -> list:
        """``str(v)``, or with ``empty`` given ``str(v or empty)``, for every value."""
        values = column(name)
        if empty is None:
            return [str(v) for v in values]
        return [str(v or empty) for v in values]

    def flags(name: str, default: bool) -> list:
        if name not in cols:
            return [default] * n
        return [default if v is None else bool(v) for v in column(name)]

    periods: dict[Any, int | None] = {}

    def period_of(p: Any) -> int | None:
        if p not in periods:
            try:
                periods[p] = int(str(p)[:4])
            except (TypeError, ValueError):
                periods[p] = None
        return periods[p]

    years = [period_of(p) for p in column("period")]
    # positional, in the order of IndicatorRow's fields
    fields = zip(
        texts("indicator_id"),
        years,
        texts("unit"),
        texts("stratum", "all"),
        ints("numerator"),
        ints("denominator"),
        nums("value"),
        nums("ci_low"),
        nums("ci_high"),
        nums("q1"),
        nums("q3"),
        ints("n_missing"),
        ints("n_pending"),
        flags("suppressed", False),
        flags("computable", True),
        texts("note", ""),
        texts("definition_version", ""),
        texts("kind", ""),
        strict=True,
    )
    return [IndicatorRow(*f) for f in fields if f[1] is not None]


def _int(x: Any) -> int | None:
    if x is None:
        return None
    try:
        return int(x)
    except (TypeError, ValueError):
        return None


def _num(x: Any) -> float | None:
    if x is None:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if v != v else v  # NaN -> None


# ---------------------------------------------------------------- validation


def completeness(frame: pl.DataFrame, expected: Sequence[str] = ()) -> tuple[Completeness, ...]:
    """Filled-in count per column of the accepted rows (expected columns the export lacks: 0)."""
    total = frame.height
    present = [c for c in frame.columns if not c.startswith("_")]
    out = []
    if present and total:
        counts = frame.select(present).count().row(0, named=True)
    else:
        counts = dict.fromkeys(present, 0)
    order = list(expected) + [c for c in present if c not in expected]
    for col in order:
        out.append(Completeness(col, int(counts.get(col, 0)) if col in counts else 0, total))
    return tuple(out)


def quality_from_validation(
    validation: ValidationResult, area: Area
) -> tuple[tuple[TableQuality, ...], tuple[FindingCount, ...]]:
    """Rows read/accepted/quarantined/dropped, completeness, and the findings summarised."""
    contract = area.contract()
    quality = []
    names = sorted(validation.tables, key=lambda n: (n != "cases", n))
    for name in names:
        t = validation.tables[name]
        quality.append(
            TableQuality(
                name=name,
                file_name=t.path.name if t.path is not None else "",
                sha256=t.sha256 or "",
                rows_read=t.rows_read,
                accepted=t.n_accepted,
                quarantined=t.n_quarantined,
                dropped=tuple(sorted((str(k), int(v)) for k, v in t.dropped.items() if v)),
                unknown_columns=tuple(sorted(str(c) for c in t.unknown_columns)),
                completeness=completeness(t.accepted, list(contract.columns(name))),
                unknown_cells=tuple((str(c), int(n)) for c, n in t.unknown_cells.items()),
            )
        )
    return tuple(quality), findings_summary(validation.findings)


def findings_summary(findings: pl.DataFrame) -> tuple[FindingCount, ...]:
    """Findings counted per table, check, severity and column (no values, no row ids)."""
    import polars as pl

    if findings.height == 0:
        return ()

    cols = [c for c in ("table", "check", "severity", "column") if c in findings.columns]
    g = findings.select(cols).with_columns(pl.col(c).cast(pl.String).fill_null("") for c in cols)
    g = g.group_by(cols).agg(pl.len().alias("count"))
    rows = []
    for r in g.iter_rows(named=True):
        rows.append(
            FindingCount(
                r.get("table", ""),
                r.get("check", ""),
                r.get("severity", ""),
                r.get("column", ""),
                int(r["count"]),
            )
        )
    rows.sort(
        key=lambda f: (
            f.table != "cases",
            f.table,
            _SEVERITY_ORDER.get(f.severity, 9),
            -f.count,
            f.check,
            f.column,
        )
    )
    return tuple(rows)


# ---------------------------------------------------------------- assembling


def report_data_from_results(
    validation: ValidationResult,
    computed: ComputeResult,
    area: Area,
    *,
    year: int,
    extract_date_given: bool,
    unit: str | None = None,
    min_count: int = 5,
    ci_method: str = "wilson",
) -> ReportData:
    """Assemble a :class:`ReportData` from the validation and the computation of one export.

    The indicator table holds Y and every earlier year in the data; the trend charts show the
    last :data:`MAX_TREND_YEARS` of them.
    """
    from nhvmetrics import __version__

    table = computed.table.filter(
        (computed.table["period"] <= year) & (computed.table["period"] > year - MAX_TREND_YEARS)
    )
    rows: dict[tuple, IndicatorRow] = {}
    for r in rows_from_table(table):
        rows.setdefault((r.indicator_id, r.period, r.unit, r.stratum), r)
    infos = tuple(
        sorted((indicator_info(d, area) for d in computed.definitions), key=indicator_order)
    )
    known = {i.id for i in infos}
    ordered = tuple(
        sorted(
            (r for r in rows.values() if r.indicator_id in known),
            key=lambda r: (r.indicator_id, r.period, r.unit != "ALL", r.unit, r.stratum),
        )
    )
    quality, findings = quality_from_validation(validation, area)
    params = [
        ("year", str(year)),
        ("unit", unit or "ALL"),
        ("ci_method", ci_method),
        ("min_count", str(min_count)),
        ("trend_years", ", ".join(str(p) for p in sorted({r.period for r in ordered}))),
    ]
    if validation.profile is not None:  # the file the export was read with, and its digest
        params.append(("mapping", f"{validation.profile.name} ({validation.profile.sha256})"))
    if validation.stamped:  # the rows were validated when converted, not in this run
        from nhvmetrics.schema.stamp import provenance_text

        params.append(("validation", provenance_text(validation) or ""))
    prov = Provenance(
        extract_date=computed.extract_date,
        extract_date_source="option" if extract_date_given else "data",
        tool_version=__version__,
        parameters=tuple(params),
    )
    return ReportData(
        area=area.name,
        year=year,
        indicators=infos,
        rows=ordered,
        quality=quality,
        findings=findings,
        provenance=prov,
        unit=unit,
        min_count=min_count,
    )
