"""The generic runner: the indicator table of one area from canonical frames.

Every definition is computed the same way, whatever its kind: the runner builds the base
frame (the columns the definitions need, the age bands), asks each definition's kind for its
plan (:mod:`nhvmetrics.engine.kind`), runs the plans' passes over the table (fused per period
date where the plans allow it), builds every margin per unit and ``ALL`` × stratum and hands it
to the plan for rows, then adds the rows every unit and period gets even when empty, the
confidence intervals, the order and suppression.  What differs between kinds lives in
:mod:`nhvmetrics.engine.kinds`, one module each.

How each kind counts its cases is said in its own module.  Rows are produced per unit and for
``unit = ALL``, per stratum (``all``, ``sex=K``, ``age_band=60-69``, ``measure=…``,
``referring_region=12`` …) for every period up to the reporting year that is present in the
data.  All aggregation is done by polars ``group_by`` over one materialised frame per table
holding only the columns the area's definitions need plus one small status column per
indicator.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from nhvmetrics.areas import Area, area_rank, resolve_area
from nhvmetrics.contract import Contract
from nhvmetrics.engine.definitions import Definition
from nhvmetrics.engine.expr import ymd_int
from nhvmetrics.engine.kind import ALL, Margin, Plan, PlanContext, row_frame
from nhvmetrics.engine.strata import (
    DERIVED_STRATIFIERS,
    age_band_column,
    band_index,
    band_label,
    is_age_band_column,
)
from nhvmetrics.errors import NhvError

OUTPUT_SCHEMA: dict[str, Any] = {
    "area": pl.String,
    "indicator_id": pl.String,
    "period": pl.Int64,
    "unit": pl.String,
    "stratum": pl.String,
    "numerator": pl.Int64,
    "denominator": pl.Int64,
    "value": pl.Float64,
    "ci_low": pl.Float64,
    "ci_high": pl.Float64,
    "n_missing": pl.Int64,
    "n_pending": pl.Int64,
    "suppressed": pl.Boolean,
    "definition_version": pl.String,
    "q1": pl.Float64,
    "q3": pl.Float64,
    "kind": pl.String,
    "computable": pl.Boolean,
    "note": pl.String,
    "parameters": pl.String,
    "parameter_sources": pl.String,
    "extract_date": pl.Date,
}
OUTPUT_COLUMNS = list(OUTPUT_SCHEMA)


@dataclass
class ComputeResult:
    """What :func:`compute_area` returns."""

    table: pl.DataFrame
    extract_date: dt.date
    definitions: list[Definition]
    extract_date_source: str = "argument"  # or "data"
    warnings: list[str] = field(default_factory=list)  # not computable indicators, skipped strata


# ---------------------------------------------------------------- extract date


def infer_extract_date(frames: dict[str, pl.DataFrame], today: dt.date | None = None) -> dt.date:
    """The latest date present in any date column of the data that is not after ``today``.

    Exports are taken on the extract date and ``vital_status_date`` is normally that date, so
    the latest plausible date in the data is the best stand-in; dates in the future are data
    errors and are ignored.  Raises :class:`NhvError` if the data hold no date at all.
    """
    today = today or dt.date.today()
    best: dt.date | None = None
    for df in frames.values():
        cols = [c for c, t in df.schema.items() if t == pl.Date and not c.startswith("_")]
        if not cols or df.height == 0:
            continue
        row = df.select([pl.col(c).filter(pl.col(c) <= today).max().alias(c) for c in cols]).row(0)
        for v in row:
            if v is not None and (best is None or v > best):
                best = v
    if best is None:
        raise NhvError(
            "the data hold no dates to take the extract date from; give --extract-date YYYY-MM-DD."
        )
    return best


def _area_inputs(
    area: str | Path | Area,
    definitions: list[Definition] | None,
    contract: Contract | None,
) -> tuple[str, Contract, list[Definition]]:
    """The area's name, contract and definitions, from an Area (or a shipped name, or an area
    folder) or from a name with the contract and definitions given."""
    if contract is not None and not isinstance(area, Area):
        name = str(area)
        if contract.area != name:
            raise NhvError(f"the contract given is for area '{contract.area}', not '{name}'.")
        if definitions is None:
            definitions = resolve_area(name).definitions()
        return name, contract, definitions
    a = resolve_area(area)
    if contract is not None and contract.area != a.name:
        raise NhvError(f"the contract given is for area '{contract.area}', not '{a.name}'.")
    return (
        a.name,
        contract or a.contract(),
        definitions if definitions is not None else a.definitions(),
    )


def columns_needed(
    area: str | Path | Area,
    definitions: list[Definition] | None = None,
    *,
    contract: Contract | None = None,
) -> dict[str, set[str]]:
    """Per table, the canonical columns :func:`compute_area` reads for ``area``: those the
    definitions name (conditions, dates, stratifiers, optional columns, what derived strata are
    derived from) and every date column of the area's contract (the extract date is inferred
    from them).  A caller holding a large export may drop the rest before computing: the
    result is the same.  ``area`` is as for :func:`compute_area`."""
    area, contract, defs = _area_inputs(area, definitions, contract)
    out: dict[str, set[str]] = {}
    for d in defs:
        if d.area != area:
            continue
        cols = out.setdefault(d.table, set())
        cols |= d.required_columns | set(d.optional_columns)
        if d.case_columns:
            out.setdefault("cases", set()).update({"case_id", "unit", *d.case_columns})
        cols |= {s for s in d.stratifiers if s not in DERIVED_STRATIFIERS}
        cols |= {DERIVED_STRATIFIERS[s] for s in d.stratifiers if s in DERIVED_STRATIFIERS}
    for table, cols in out.items():
        cols |= {c for c, t in contract.columns(table).items() if t == "date"}
    return out


# ---------------------------------------------------------------- public entry point


def compute_area(
    area: str | Path | Area,
    frames: dict[str, pl.DataFrame],
    year: int,
    extract_date: dt.date | None = None,
    *,
    ci_method: str = "wilson",
    min_count: int = 5,
    params: dict | None = None,
    definitions: list[Definition] | None = None,
    contract: Contract | None = None,
    coverage: pl.DataFrame | None = None,
    suppress: str = "denominator",
    targets: dict[str, dict[str, Any]] | None = None,
) -> ComputeResult:
    """Compute every indicator of ``area`` for ``year`` and each earlier year in the data.

    ``frames`` maps table names (``cases``, ``episodes``, ``prem``) to canonical polars frames
    (columns starting with ``_`` are ignored).  ``area`` is an :class:`~nhvmetrics.areas.Area`,
    a shipped area's name or an area folder (:func:`~nhvmetrics.areas.resolve_area`); or any
    name when ``contract`` is given.  ``params`` overrides parameter defaults, either globally
    (``{"x_days": 10}``) or per indicator (``{"acc.visit_within_x": {"x_days": 10}}``).
    ``definitions`` replaces the area's definitions (e.g. ``area.definitions(extra=[DIR])``
    with a region's own); ``contract`` is the area's canonical columns and types (default: the
    area's).
    ``coverage`` is the expected number of cases per area, year and unit from an external
    source (columns ``area, year, unit, expected``, as
    :func:`nhvmetrics.engine.coverage.read_coverage` reads them); without it
    ``<area>.registry_coverage`` is not computable.  ``suppress`` is the disclosure policy
    (``denominator`` or ``cells``, :func:`nhvmetrics.engine.suppression.apply_suppression`).
    ``targets`` sets target levels for this run, per indicator (``{"acc.visit_within_x":
    {"intermediate": 0.8, "high": 0.9}}``): they are then shown, with the source
    ``override``.  The definitions of the result carry the run's parameter values, sources and
    targets (their titles show the values).
    """
    from nhvmetrics.engine.stats import CI_METHODS
    from nhvmetrics.engine.suppression import POLICIES, apply_suppression

    area, contract, defs = _area_inputs(area, definitions, contract)
    if ci_method not in CI_METHODS:
        raise NhvError(f"unknown CI method '{ci_method}'; use one of: {', '.join(CI_METHODS)}.")
    if min_count < 1:
        raise NhvError("--min-count must be at least 1.")
    if suppress not in POLICIES:
        raise NhvError(
            f"unknown suppression policy '{suppress}'; use one of: {', '.join(POLICIES)}."
        )
    defs = [d for d in defs if d.area == area]
    defs = [d.with_run(_resolve_params(d, params), _run_targets(d, targets)) for d in defs]
    inputs: dict[str, Any] = {}
    if coverage is not None:
        from nhvmetrics.engine.coverage import check_coverage

        inputs["coverage"] = check_coverage(coverage)
    frames = {
        str(k).lower(): _conform_types(
            contract, str(k).lower(), _project(v, [c for c in v.columns if not c.startswith("_")])
        )
        for k, v in frames.items()
        if v is not None
    }
    source = "argument"
    if extract_date is None:
        extract_date = infer_extract_date(frames)
        source = "data"
    if isinstance(extract_date, dt.datetime):
        extract_date = extract_date.date()

    units = _units(frames)
    inputs["units"] = units
    by_table: dict[str, list[Definition]] = defaultdict(list)
    for d in defs:
        by_table[d.table].append(d)

    results: dict[str, pl.DataFrame] = {}
    not_computable: dict[str, str] = {}
    for tname, tdefs in by_table.items():
        df = frames.get(tname)
        ok: list[tuple[Definition, dict[str, Any]]] = []
        for d in tdefs:
            why = _why_not_computable(d, df, frames, inputs)
            if why:
                not_computable[d.id] = why
                continue
            ok.append((d, d.params))
        if ok and df is not None:
            df = _with_case_columns(df, frames.get("cases"), [d for d, _ in ok])
            results.update(_compute_table(df, ok, year, extract_date, inputs))

    seen = {year}
    for r in results.values():
        seen |= set(r["period"].drop_nulls().to_list())
    periods = sorted(p for p in seen if p <= year)

    parts: list[pl.DataFrame] = []
    for d in defs:
        if d.id in not_computable:
            parts.append(_not_computable_rows(d, periods, not_computable[d.id]))
            continue
        rows = _fill_skeleton(d, results[d.id], periods, units, d.params)
        parts.append(
            rows.with_columns(
                area=pl.lit(area),
                indicator_id=pl.lit(d.id),
                definition_version=pl.lit(d.version),
                computable=pl.lit(True),
                note=pl.lit(None, dtype=pl.String),
                parameters=pl.lit(d.parameters_text),
                parameter_sources=pl.lit(d.parameter_sources_text),
            )
        )
    if parts:
        table = pl.concat([_conform(x) for x in parts], how="vertical")
    else:
        table = pl.DataFrame(schema=OUTPUT_SCHEMA)
    table = table.with_columns(extract_date=pl.lit(extract_date, dtype=pl.Date))
    table = _add_ci(table, ci_method)
    table = _order(table)
    on_numerator = {d.id for d in defs if d.kind.suppress_on_numerator}
    table = apply_suppression(table, min_count, policy=suppress, on_numerator=on_numerator)
    warnings = [f"{i}: not computable, {why}" for i, why in not_computable.items()]
    for d in defs:
        df = frames.get(d.table)
        if d.id in not_computable or df is None:
            continue
        for st in d.stratifiers:
            col = DERIVED_STRATIFIERS.get(st, st)
            if col not in df.columns:
                warnings.append(f"{d.id}: no {st} strata, column {col} not in the export")
    return ComputeResult(
        table=table.select(OUTPUT_COLUMNS),
        extract_date=extract_date,
        definitions=defs,
        extract_date_source=source,
        warnings=warnings,
    )


# ---------------------------------------------------------------- helpers


def _resolve_params(d: Definition, overrides: dict | None) -> dict[str, Any]:
    p = dict(d.params)
    for k, v in (overrides or {}).items():
        if isinstance(v, dict):
            if k == d.id:
                for kk, vv in v.items():
                    if kk in p:
                        p[kk] = _param_value(d, kk, vv)
        elif k in p:
            p[k] = _param_value(d, k, v)
    return p


def _run_targets(d: Definition, targets: dict | None) -> dict[str, Any] | None:
    """The target levels set for this run for ``d`` (checked), or None."""
    t = (targets or {}).get(d.id)
    if not t:
        return None
    if not isinstance(t, dict) or not set(t) <= {"intermediate", "high", "direction"}:
        raise NhvError(
            f"targets of {d.id} may set intermediate, high and direction (higher or lower)."
        )
    for k in ("intermediate", "high"):
        v = t.get(k)
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise NhvError(f"target {k} of {d.id} must be a number, got '{v}'.")
        if d.kind.share_targets and not 0 <= v <= 1:
            raise NhvError(f"target {k} of {d.id} must be a share between 0 and 1, got {v}.")
    if t.get("direction", "higher") not in ("higher", "lower"):
        raise NhvError(f"target direction of {d.id} must be higher or lower.")
    return t


def _param_value(d: Definition, name: str, value: Any) -> Any:
    """An override takes the type of the default (``"10"`` -> 10 for a number of days); a
    parameter with choices takes one of them."""
    default = d.params[name]
    choices = d.param_choices.get(name)
    if choices is not None:
        if str(value) not in choices:
            raise NhvError(
                f"parameter {name} of {d.id} must be one of: {', '.join(choices)}; got '{value}'."
            )
        return str(value)
    if isinstance(default, (int, float)) and not isinstance(value, (int, float)):
        try:
            value = float(str(value).replace(",", "."))
        except ValueError:
            raise NhvError(f"parameter {name} of {d.id} must be a number, got '{value}'.") from None
    if isinstance(default, int) and isinstance(value, float) and value.is_integer():
        value = int(value)
    return value


def _conform_types(contract: Contract, table: str, df: pl.DataFrame) -> pl.DataFrame:
    """Check canonical columns have their canonical types; widen harmless differences.

    Integer/float widths and Datetime for a Date are cast; Categorical/Enum for a String is
    read as it is (text compares, groups and sorts the same way; a large export's coded columns
    take 4 bytes a row instead of 16) and the aggregated results are turned back into String;
    anything else is a usage error that names the column (validate the export first).
    """
    want = contract.dtypes(table)
    casts = []
    for name, have in df.schema.items():
        exp = want.get(name)
        if exp is None or have == exp or have == pl.Null:
            if have == pl.Null and exp is not None:
                casts.append(pl.col(name).cast(exp))
            continue
        if exp == pl.Date and isinstance(have, pl.Datetime):
            casts.append(pl.col(name).dt.date())
        elif exp in (pl.Int64, pl.Float64) and have.is_numeric():
            casts.append(pl.col(name).cast(exp))
        elif exp == pl.String and isinstance(have, (pl.Categorical, pl.Enum)):
            continue
        else:
            raise NhvError(
                f"column {name} of the {table} table is {have}, expected {exp}; "
                "pass frames from nhvmetrics.schema.validate (run `nhvmetrics validate`)."
            )
    return df.with_columns(casts) if casts else df


def _project(df: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """``df.select(columns)`` without copying (an eager select rechunks columns of different
    chunking)."""
    if columns == df.columns:
        return df
    return df.lazy().select(columns).collect()


def _why_not_computable(
    d: Definition,
    df: pl.DataFrame | None,
    frames: dict[str, pl.DataFrame],
    inputs: dict[str, Any],
) -> str | None:
    """Why ``d`` cannot be computed from this export and these inputs (None: it can)."""
    if df is None:
        return f"table '{d.table}' is not in the export"
    absent = sorted(d.required_columns - set(df.columns))
    if d.case_columns:
        cases = frames.get("cases")
        if cases is None:
            return "table 'cases' is not in the export"
        absent += sorted(set(d.case_columns) - set(cases.columns) - set(d.optional_columns))
    if absent:
        return f"column{'s' if len(absent) > 1 else ''} {', '.join(absent)} not in the export"
    for name in d.kind.needs_inputs(d.spec):
        if name not in inputs:
            return "no expected counts were given (a coverage CSV: area,year,unit,expected)"
        if name == "coverage":
            cov = inputs["coverage"]
            if cov.filter(pl.col("area") == d.area).height == 0:
                return f"the coverage file has no expected counts for area {d.area}"
    return None


def _with_case_columns(
    df: pl.DataFrame, cases: pl.DataFrame | None, defs: list[Definition]
) -> pl.DataFrame:
    """``df`` (a table other than cases) with the case columns its definitions read, joined
    from the case table by ``case_id`` (a row whose case is not in the case table gets
    nulls: its indicators count it in ``n_missing``)."""
    want = sorted({c for d in defs for c in d.case_columns})
    if not want or cases is None:
        return df
    have = [c for c in want if c in cases.columns]
    side = cases.select(["case_id", *have]).unique("case_id", keep="first", maintain_order=True)
    out = df.join(side, on="case_id", how="left")
    missing = [c for c in want if c not in have]
    if missing:
        types = defs[0].contract.dtypes("cases")
        out = out.with_columns([pl.lit(None, dtype=types[c]).alias(c) for c in missing])
    return out


def _units(frames: dict[str, pl.DataFrame]) -> list[str]:
    units: set[str] = set()
    for df in frames.values():
        if "unit" in df.columns:
            units |= set(df.get_column("unit").drop_nulls().unique().to_list())
    return sorted(str(u) for u in units)


def _conform(df: pl.DataFrame) -> pl.DataFrame:
    cols = []
    for c, t in OUTPUT_SCHEMA.items():
        if c == "extract_date" or c == "suppressed":
            continue
        cols.append(pl.col(c).cast(t) if c in df.columns else pl.lit(None, dtype=t).alias(c))
    return df.select(cols).with_columns(suppressed=pl.lit(False))


def _not_computable_rows(d: Definition, periods: list[int], reason: str) -> pl.DataFrame:
    n = len(periods)
    return pl.DataFrame(
        {
            "area": [d.area] * n,
            "indicator_id": [d.id] * n,
            "period": periods,
            "unit": [ALL] * n,
            "stratum": ["all"] * n,
            "definition_version": [d.version] * n,
            "kind": [d.row_kind] * n,
            "computable": [False] * n,
            "note": [f"not computable: {reason}"] * n,
            "parameters": [d.parameters_text] * n,
            "parameter_sources": [d.parameter_sources_text] * n,
        },
        schema_overrides={"period": pl.Int64},
    )


def _base_strata(d: Definition) -> list[tuple[str, str]]:
    """(stratum, kind) of the rows every unit and period gets even when empty."""
    return [("all", d.row_kind), *d.kind.sub_strata(d.spec)]


def _fill_skeleton(
    d: Definition, rows: pl.DataFrame, periods: list[int], units: list[str], params: dict[str, Any]
) -> pl.DataFrame:
    rows = rows.filter(pl.col("period").is_in(periods))
    skel = []
    for p in periods:
        for u in [ALL, *units]:
            for s, k in _base_strata(d):
                skel.append((u, p, s, k))
    sk = pl.DataFrame(
        skel,
        schema={"unit": pl.String, "period": pl.Int64, "stratum": pl.String, "kind": pl.String},
        orient="row",
    )
    missing = sk.join(
        rows.select("unit", "period", "stratum"), on=["unit", "period", "stratum"], how="anti"
    )
    if missing.height:
        zero = pl.lit(0, dtype=pl.Int64)
        missing = missing.with_columns(
            numerator=pl.when(pl.col("kind").is_in(["count", "proportion", "survival"])).then(zero),
            denominator=pl.when(pl.col("kind") != "count").then(zero),
            value=pl.when(pl.col("kind") == "count").then(pl.lit(0.0)),
            n_missing=zero,
            n_pending=zero,
        )
        rows = pl.concat([row_frame(rows), row_frame(missing)], how="vertical")
    return rows


def _add_ci(table: pl.DataFrame, method: str) -> pl.DataFrame:
    import numpy as np

    from nhvmetrics.engine.stats import proportion_ci

    is_prop = table["kind"].is_in(["proportion", "distribution"]).to_numpy()
    x = table["numerator"].fill_null(0).to_numpy().astype("float64")
    n = table["denominator"].fill_null(0).to_numpy().astype("float64")
    lo, hi = proportion_ci(x, n, method)
    old_lo = table["ci_low"].to_numpy().astype("float64")
    old_hi = table["ci_high"].to_numpy().astype("float64")
    lo = np.where(is_prop, lo, old_lo)
    hi = np.where(is_prop, hi, old_hi)
    return table.with_columns(
        pl.Series("ci_low", lo, dtype=pl.Float64).fill_nan(None),
        pl.Series("ci_high", hi, dtype=pl.Float64).fill_nan(None),
        pl.col("value").fill_nan(None),
        pl.col("q1").fill_nan(None),
        pl.col("q3").fill_nan(None),
    )


def _order(table: pl.DataFrame) -> pl.DataFrame:
    ranks = {a: area_rank(a) for a in table["area"].unique().drop_nulls().to_list()}
    return (
        table.with_columns(
            __a=pl.col("area").replace_strict(ranks, default=99, return_dtype=pl.Int64),
            __u=(pl.col("unit") != ALL).cast(pl.Int8),
            __s=(pl.col("stratum") != "all").cast(pl.Int8),
        )
        .sort(["__a", "indicator_id", "period", "__u", "unit", "__s", "stratum"])
        .drop(["__a", "__u", "__s"])
    )


# ---------------------------------------------------------------- the per-table computation
#
# Per table: the needed columns are selected (zero-copy) and the age bands added once per date
# column (Int8 band index).  Each definition's kind plans its computation (a ``Plan``): the
# columns it adds and its aggregations over the joint key (unit, period, every stratifier, the
# plan's keys).  Plans whose period is shared (proportions, plain counts, PREM: the population
# is folded into their aggregations) are fused into ONE pass per period date; every other plan
# is one pass of its own.  Every row of the output (each unit and ALL, each stratum) is then a
# re-aggregation of that small joint frame (a margin), turned into rows by the plan.  Medians
# and quartiles, which do not add up, come from value counts (the joint key then includes the
# value: days and ages have few distinct values).  All passes of a table run together in
# ``pl.collect_all``, and so do all margins.

_I64 = pl.Int64


def _compute_table(
    df: pl.DataFrame,
    defs: list[tuple[Definition, dict[str, Any]]],
    year: int,
    extract_date: dt.date,
    inputs: dict[str, Any] | None = None,
) -> dict[str, pl.DataFrame]:
    lf = _base_frame(df, [d for d, _ in defs]).lazy()
    schema = lf.collect_schema()

    plans: list[Plan] = []
    strata: list[dict[str | None, str | None]] = []
    for i, (d, p) in enumerate(defs):
        plans.append(d.kind.plan(d.spec, PlanContext(i, d, p, extract_date, inputs or {})))
        strata.append(_strat_cols(d, schema))
    joints, singles_of = _joint_results(lf, plans, strata, year)

    # every unit/ALL x stratum margin of every definition, in one batch
    margins: list[pl.LazyFrame] = []
    which: list[tuple[int, str | None, str | None]] = []
    for i, plan in enumerate(plans):
        joint = joints[i].lazy()
        single = singles_of.get(i)
        singles = single.lazy() if single is not None else None
        outs = [a.meta.output_name() for a in plan.single_sums]
        for strat, scol in strata[i].items():
            for with_unit in (True, False):
                keys = (["unit"] if with_unit else []) + [plan.period] + ([scol] if scol else [])
                if plan.margin_aggs:  # the plan aggregates its margins itself, over its keys
                    marg = joint.group_by(keys).agg(list(plan.margin_aggs))
                    if singles is not None:  # plus the keys with one case in the period
                        one = singles.group_by(keys).agg(pl.col(outs).sum())
                        marg = (
                            pl.concat([one, marg], how="vertical_relaxed")
                            .group_by(keys)
                            .agg(pl.col(outs).sum())
                        )
                else:
                    marg = joint.group_by([*keys, *plan.keys]).agg(
                        [pl.col(c).sum() for c in plan.sums]
                    )
                if scol is not None and is_age_band_column(scol):
                    marg = marg.with_columns(band_label(pl.col(scol)))
                margins.append(marg)
                which.append((i, strat, scol))
    out: dict[str, list[pl.DataFrame]] = defaultdict(list)
    for (i, strat, scol), frame in zip(
        which, pl.collect_all(margins) if margins else [], strict=True
    ):
        d = defs[i][0]
        frame = _as_text(frame)
        rows = plans[i].rows(Margin(frame, plans[i].period, strat, scol))
        if "unit" not in frame.columns:
            rows = rows.with_columns(unit=pl.lit(ALL))
        out[d.id].append(row_frame(rows))
    return {
        d.id: pl.concat(out[d.id], how="vertical") if out[d.id] else row_frame(pl.DataFrame())
        for d, _ in defs
    }


def _base_frame(df: pl.DataFrame, defs: list[Definition]) -> pl.DataFrame:
    """The columns the definitions read (optional ones absent from the export as nulls of their
    canonical type) and one age band column per period date that needs one."""
    needed: set[str] = {"unit"}
    opt_nulls: dict[str, Any] = {}
    schema = df.schema
    band_dates: dict[str, Definition] = {}  # period key -> a definition with that period date
    for d in defs:
        needed |= d.required_columns | set(d.case_columns)
        types = d.contract.dtypes(d.table)
        for c in d.optional_columns:
            if c in schema:
                needed.add(c)
            else:
                opt_nulls[c] = types.get(c, pl.String)
        for s in d.stratifiers:
            if s not in DERIVED_STRATIFIERS and s in schema:
                needed.add(s)
        if "age_band" in d.derived_strata:
            source = DERIVED_STRATIFIERS["age_band"]
            if source in schema:
                needed.add(source)
                band_dates.setdefault(d.period_key, d)
    # one lazy query: eager selects over columns of different chunking would rechunk (copy) them
    blf = df.lazy().select(sorted(needed & set(schema)))
    if opt_nulls:
        blf = blf.with_columns([pl.lit(None, dtype=t).alias(c) for c, t in opt_nulls.items()])
    if band_dates and "birth_date" in blf.collect_schema().names():
        keys = sorted(band_dates)
        ymd = {k: f"__ymd_{i}" for i, k in enumerate(keys)}
        blf = blf.with_columns(
            ymd_int(pl.col("birth_date")).alias("__ymd_birth"),
            *(ymd_int(band_dates[k].period_expr()).alias(ymd[k]) for k in keys),
        )
        blf = blf.with_columns(
            [
                band_index(pl.col("__ymd_birth"), pl.col(ymd[k])).alias(age_band_column(k))
                for k in keys
            ]
        ).drop([*ymd.values(), "__ymd_birth"])
    out = blf.collect()
    ids = sorted({c for d in defs for c in d.spec.distinct_columns()} & set(out.columns))
    return out.with_columns([id_codes(out[c]) for c in ids]) if ids else out


def _id_hash(values: pl.Expr) -> pl.Expr:
    """The hash :func:`id_codes` sorts by (a test gives it one with collisions)."""
    return values.hash()


def id_codes(values: pl.Series) -> pl.Series:
    """An exact integer code for each distinct value of an id column (null stays null), to
    count distinct patients with: cheap to group by, and never two values under one code.

    Text is sorted by its 64-bit hash and numbered 1, 2, … by hash (a small code groups
    faster than the hash itself); the sort also checks that the hash is one-to-one on these
    values (two different values with one hash would be neighbours), and in the unlikely case
    that it is not, the code is the value's Categorical dictionary code (exact too, about twice
    the time at 10^7 patients). A Categorical gives its dictionary code, an integer stays as
    it is."""
    name = values.name
    if values.dtype.is_integer():
        return values
    if isinstance(values.dtype, (pl.Categorical, pl.Enum)):
        return values.to_physical().alias(name)
    text = values.cast(pl.String)
    h = pl.col("h")
    coded = (
        pl.DataFrame({"v": text})
        .lazy()
        .with_row_index("i")
        .drop_nulls("v")
        .with_columns(h=_id_hash(pl.col("v")))
        .sort("h")
        .select(
            "i",
            ((h == h.shift(1)) & (pl.col("v") != pl.col("v").shift(1)))
            .fill_null(False)
            .any()
            .alias("clash"),
            (h != h.shift(1)).fill_null(True).cum_sum().cast(pl.UInt32).alias("code"),
        )
        .collect()
    )
    if coded.height and coded["clash"][0]:
        return text.cast(pl.Categorical).to_physical().alias(name)
    codes = pl.repeat(None, text.len(), dtype=pl.UInt32, eager=True)
    return codes.scatter(coded["i"], coded["code"]).alias(name)


def _joint_results(
    lf: pl.LazyFrame,
    plans: list[Plan],
    strata: list[dict[str | None, str | None]],
    year: int,
) -> tuple[dict[int, pl.DataFrame], dict[int, pl.DataFrame]]:
    """Each plan's aggregations over (unit, period, its stratifiers, its keys), for periods up
    to ``year``: fusable plans over the same period column share one pass.  For a plan with
    :attr:`~nhvmetrics.engine.kind.Plan.single_sums` also (second result) the cases of the keys
    alone in their period, added up over (unit, period, stratifiers); its joint rows are then
    those of the keys with several cases in a period."""
    lazies: list[pl.LazyFrame] = []
    owners: list[list[int]] = []
    fused: dict[str, list[int]] = defaultdict(list)
    single_lazies: dict[int, pl.LazyFrame] = {}
    for i, plan in enumerate(plans):
        if plan.fusable:
            fused[plan.period].append(i)
            continue
        group = [c for c in strata[i].values() if c] + list(plan.keys)
        x = lf.with_columns([*plan.exprs, *(p.expr.alias(p.name) for p in plan.periods)])
        repeated = _repeated(x, plan, year) if plan.single_sums else None
        if repeated is not None:
            # the cases of a key (patient) alone in its period are their own joint rows: added
            # up at once; only the keys with several cases in a period get joint rows
            p = plan.periods[0]
            x = x.with_columns(pl.lit(repeated).alias(_REPEATED))
            cases = x.filter(_in_period(p.name, year)).with_columns(p.columns)
            single_lazies[i] = (
                cases.filter(~pl.col(_REPEATED))
                .with_columns(plan.row_values)
                .group_by(["unit", p.name, *(c for c in strata[i].values() if c)])
                .agg(plan.single_sums)
            )
            lazies.append(
                cases.filter(pl.col(_REPEATED)).group_by(["unit", p.name, *group]).agg(plan.aggs)
            )
            owners.append([i])
            continue
        qs = [
            x.filter(_in_period(p.name, year))
            .with_columns(p.columns)
            .group_by(["unit", p.name, *group])
            .agg(plan.aggs)
            .rename({p.name: plan.period} if p.name != plan.period else {})
            for p in plan.periods
        ]
        lazies.append(qs[0] if len(qs) == 1 else pl.concat(qs, how="vertical_relaxed"))
        owners.append([i])
    for pname, members in fused.items():
        exprs = [plans[members[0]].periods[0].expr.alias(pname)]
        aggs: list[pl.Expr] = []
        strats: list[str] = []
        for i in members:
            exprs += plans[i].exprs
            aggs += [a.alias(f"d{i}|{a.meta.output_name()}") for a in plans[i].aggs]
            strats += [c for c in strata[i].values() if c and c not in strats]
        lazies.append(
            lf.with_columns(exprs)
            .filter(_in_period(pname, year))
            .group_by(["unit", pname, *strats])
            .agg(aggs)
        )
        owners.append(members)
    joints: dict[int, pl.DataFrame] = {}
    single_ids = list(single_lazies)
    done = pl.collect_all([*lazies, *single_lazies.values()]) if lazies else []
    singles = dict(zip(single_ids, done[len(lazies) :], strict=True))
    for members, res in zip(owners, done[: len(lazies)], strict=True):
        for i in members:
            if not plans[i].fusable:
                joints[i] = res
            else:
                joints[i] = res.select(
                    [c for c in res.columns if "|" not in c]
                    + [pl.col(f"d{i}|{c}").alias(c) for c in plans[i].sums]
                )
    return joints, singles


_REPEATED = "__repeated__"


def _repeated(x: pl.LazyFrame, plan: Plan, year: int) -> pl.Series | None:
    """For a plan with one period and one key (a patient code): True for each case whose key
    has another case in the same period (up to ``year``), else False; None when the plan's
    columns are not of that form (then every key gets joint rows).

    The period and the code are one 64-bit integer, sorted: equal ones are neighbours (a sort
    of integers is about twice as fast as a hash table over them, and than
    :func:`nhvmetrics.schema.checks.duplicated`, which hashes and confirms as text needs)."""
    if len(plan.periods) != 1 or len(plan.keys) != 1 or not plan.row_values:
        return None
    period, key = plan.periods[0].name, plan.keys[0]
    schema = x.collect_schema()
    if schema[period] != pl.Int16 or schema[key] != pl.UInt32:
        return None
    v = pl.col("v")
    packed = (
        pl.when(_in_period(period, year))
        .then(pl.col(period).cast(pl.Int64) * 2**32 + pl.col(key).cast(pl.Int64))
        .alias("v")
    )
    twice = (
        x.select(packed)
        .with_row_index("i")
        .drop_nulls("v")
        .sort("v")
        .filter((v == v.shift(1)).fill_null(False) | (v == v.shift(-1)).fill_null(False))
        .collect()["i"]
    )
    height = x.select(pl.len()).collect().item()
    return pl.repeat(False, height, dtype=pl.Boolean, eager=True).scatter(twice, True)


def _in_period(column: str, year: int) -> pl.Expr:
    return pl.col(column).is_not_null() & (pl.col(column) <= year)


def _as_text(df: pl.DataFrame) -> pl.DataFrame:
    """Categorical/Enum group keys (unit, strata) of an aggregated result as String."""
    cats = [c for c, t in df.schema.items() if isinstance(t, (pl.Categorical, pl.Enum))]
    return df.with_columns([pl.col(c).cast(pl.String) for c in cats]) if cats else df


def _strat_cols(d: Definition, schema: Any) -> dict[str | None, str | None]:
    """Stratifier -> the base frame's column holding it (``None``: the ``all`` stratum);
    a stratifier whose column the export lacks is left out (with a warning)."""
    cols: dict[str | None, str | None] = {None: None}
    for s in d.stratifiers:
        if s in DERIVED_STRATIFIERS:
            name = age_band_column(d.period_key)
            if name in schema:
                cols[s] = name
        elif s in schema:
            cols[s] = s
    return cols
