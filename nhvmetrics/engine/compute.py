"""Compute the indicator table of one area from canonical frames.

How a case is counted (every proportion-like indicator):

1. *population*: the period date falls in the period (year of the date + ``offset_years``),
   the ``population`` condition holds and no ``exclusions`` condition holds;
2. the **numerator** condition is true  -> numerator and denominator (a case that already met a
   "within X days" target, or already died within 30 days, is never pending);
3. else the **pending** condition is true (its follow-up window has not closed by the extract
   date) -> ``n_pending``;
4. else the numerator is unknown (null) or the **missing** condition is true -> ``n_missing``;
5. else -> denominator only.

Neither pending nor missing cases enter the denominator.  Rows are produced per unit and for
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
from typing import Any

import polars as pl

from nhvmetrics.engine import columns as C
from nhvmetrics.engine.definitions import Definition, load_definitions
from nhvmetrics.engine.expr import compile_expr
from nhvmetrics.errors import NhvError

ALL = "ALL"
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
    "extract_date": pl.Date,
}
OUTPUT_COLUMNS = list(OUTPUT_SCHEMA)
_ROW_COLS = [
    "unit",
    "period",
    "stratum",
    "numerator",
    "denominator",
    "value",
    "q1",
    "q3",
    "n_missing",
    "n_pending",
    "kind",
    "ci_low",
    "ci_high",
]


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


def columns_needed(area: str, definitions: list[Definition] | None = None) -> dict[str, set[str]]:
    """Per table, the canonical columns :func:`compute_area` reads for ``area``: those the
    definitions name (conditions, dates, stratifiers, optional columns) and every date column
    (the extract date is inferred from them).  A caller holding a large export may drop the
    rest before computing: the result is the same."""
    defs = definitions if definitions is not None else load_definitions(area)
    out: dict[str, set[str]] = {}
    for d in defs:
        if d.area != area:
            continue
        cols = out.setdefault(d.table, set())
        cols |= d.required_columns | set(d.optional_columns)
        cols |= {s for s in d.stratifiers if s not in C.DERIVED_STRATIFIERS}
        if "age_band" in d.stratifiers:
            cols.add("birth_date")
    for table, cols in out.items():
        cols |= {c for c, t in C.polars_schema(area, table).items() if t == pl.Date}
    return out


# ---------------------------------------------------------------- public entry point


def compute_area(
    area: str,
    frames: dict[str, pl.DataFrame],
    year: int,
    extract_date: dt.date | None = None,
    *,
    ci_method: str = "wilson",
    min_count: int = 5,
    params: dict | None = None,
    definitions: list[Definition] | None = None,
) -> ComputeResult:
    """Compute every indicator of ``area`` for ``year`` and each earlier year in the data.

    ``frames`` maps table names (``cases``, ``episodes``, ``prem``) to canonical polars frames
    (columns starting with ``_`` are ignored).  ``params`` overrides parameter defaults,
    either globally (``{"x_days": 10}``) or per indicator (``{"acc.visit_within_x":
    {"x_days": 10}}``).  ``definitions`` replaces the shipped definitions of the area.
    """
    from nhvmetrics import AREAS
    from nhvmetrics.engine.stats import CI_METHODS
    from nhvmetrics.engine.suppression import apply_suppression

    if area not in AREAS:
        raise NhvError(f"unknown area '{area}'; use one of: {', '.join(AREAS)}.")
    if ci_method not in CI_METHODS:
        raise NhvError(f"unknown CI method '{ci_method}'; use one of: {', '.join(CI_METHODS)}.")
    if min_count < 1:
        raise NhvError("--min-count must be at least 1.")
    defs = definitions if definitions is not None else load_definitions(area)
    defs = [d for d in defs if d.area == area]
    frames = {
        str(k).lower(): _conform_types(
            area, str(k).lower(), _project(v, [c for c in v.columns if not c.startswith("_")])
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
    by_table: dict[str, list[Definition]] = defaultdict(list)
    for d in defs:
        by_table[d.table].append(d)

    results: dict[str, pl.DataFrame] = {}
    not_computable: dict[str, str] = {}
    for table, tdefs in by_table.items():
        df = frames.get(table)
        ok: list[tuple[Definition, dict[str, Any]]] = []
        for d in tdefs:
            if df is None:
                not_computable[d.id] = f"table '{table}' is not in the export"
                continue
            absent = sorted(d.required_columns - set(df.columns))
            if absent:
                cols = ", ".join(absent)
                not_computable[d.id] = (
                    f"column{'s' if len(absent) > 1 else ''} {cols} not in the export"
                )
                continue
            ok.append((d, _resolve_params(d, params)))
        if ok:
            results.update(_compute_table(df, ok, year, extract_date))

    periods = {year}
    for r in results.values():
        periods |= set(r["period"].drop_nulls().to_list())
    periods = sorted(p for p in periods if p <= year)

    parts = []
    for d in defs:
        if d.id in not_computable:
            parts.append(_not_computable_rows(d, periods, not_computable[d.id]))
            continue
        p = _resolve_params(d, params)
        rows = _fill_skeleton(d, results[d.id], periods, units, p)
        parts.append(
            rows.with_columns(
                area=pl.lit(area),
                indicator_id=pl.lit(d.id),
                definition_version=pl.lit(d.version),
                computable=pl.lit(True),
                note=pl.lit(None, dtype=pl.String),
                parameters=pl.lit(_params_text(p)),
            )
        )
    if parts:
        table = pl.concat([_conform(x) for x in parts], how="vertical")
    else:
        table = pl.DataFrame(schema=OUTPUT_SCHEMA)
    table = table.with_columns(extract_date=pl.lit(extract_date, dtype=pl.Date))
    table = _add_ci(table, ci_method)
    table = _order(table)
    table = apply_suppression(table, min_count)
    warnings = [f"{i}: not computable, {why}" for i, why in not_computable.items()]
    for d in defs:
        df = frames.get(d.table)
        if d.id in not_computable or df is None:
            continue
        for st in d.stratifiers:
            col = "birth_date" if st == "age_band" else st
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


def _param_value(d: Definition, name: str, value: Any) -> Any:
    """An override takes the type of the default (``"10"`` -> 10 for a number of days)."""
    default = d.params[name]
    if isinstance(default, (int, float)) and not isinstance(value, (int, float)):
        try:
            value = float(str(value).replace(",", "."))
        except ValueError:
            raise NhvError(f"parameter {name} of {d.id} must be a number, got '{value}'.") from None
    if isinstance(default, int) and isinstance(value, float) and value.is_integer():
        value = int(value)
    return value


def _conform_types(area: str, table: str, df: pl.DataFrame) -> pl.DataFrame:
    """Check canonical columns have their canonical types; widen harmless differences.

    Integer/float widths and Datetime for a Date are cast; Categorical/Enum for a String is
    read as it is (text compares, groups and sorts the same way; a large export's coded columns
    take 4 bytes a row instead of 16) and the aggregated results are turned back into String;
    anything else is a usage error that names the column (validate the export first).
    """
    want = C.polars_schema(area, table)
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
    """``df.select(columns)`` without copying: an eager select rechunks columns of different chunking."""
    if columns == df.columns:
        return df
    return df.lazy().select(columns).collect()


def _params_text(p: dict[str, Any]) -> str:
    def f(v):
        return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)

    return ";".join(f"{k}={f(v)}" for k, v in p.items())


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
            "kind": [_main_kind(d)] * n,
            "computable": [False] * n,
            "note": [f"not computable: {reason}"] * n,
            "parameters": [d.parameters_text] * n,
        },
        schema_overrides={"period": pl.Int64},
    )


def _main_kind(d: Definition) -> str:
    return {
        "count": "count",
        "proportion": "proportion",
        "duration": "median",
        "median": "median",
        "distribution": "median" if d.value is not None else "count",
        "survival": "survival",
        "prem": "count",
    }[d.type]


def _base_strata(d: Definition) -> list[tuple[str, str]]:
    """(stratum, kind) of the rows every unit and period gets even when empty."""
    out = [("all", _main_kind(d))]
    out += [(f"measure={m.name}", "proportion") for m in d.measures]
    if d.type == "prem":
        out += [(f"question={q}", "proportion") for q in d.questions]
    return out


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
        rows = pl.concat([_rowframe(rows), _rowframe(missing)], how="vertical")
    return rows


def _rowframe(df: pl.DataFrame) -> pl.DataFrame:
    types = {
        "unit": pl.String,
        "period": pl.Int64,
        "stratum": pl.String,
        "numerator": pl.Int64,
        "denominator": pl.Int64,
        "value": pl.Float64,
        "q1": pl.Float64,
        "q3": pl.Float64,
        "n_missing": pl.Int64,
        "n_pending": pl.Int64,
        "kind": pl.String,
        "ci_low": pl.Float64,
        "ci_high": pl.Float64,
    }
    return df.select(
        [
            pl.col(c).cast(t) if c in df.columns else pl.lit(None, dtype=t).alias(c)
            for c, t in types.items()
        ]
    )


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
    from nhvmetrics import AREAS

    area_rank = {a: i for i, a in enumerate(AREAS)}
    return (
        table.with_columns(
            __a=pl.col("area").replace_strict(area_rank, default=99, return_dtype=pl.Int64),
            __u=(pl.col("unit") != ALL).cast(pl.Int8),
            __s=(pl.col("stratum") != "all").cast(pl.Int8),
        )
        .sort(["__a", "indicator_id", "period", "__u", "unit", "__s", "stratum"])
        .drop(["__a", "__u", "__s"])
    )


# ---------------------------------------------------------------- the per-table computation
#
# Per table: the needed columns are selected (zero-copy) and the age bands added once per date
# column (Int8 band index).  Per definition ONE lazy query adds the definition's status columns
# and aggregates over the joint key (unit, period, every stratifier [, category | time]); every
# row of the output (each unit and ALL, each stratum) is then a re-aggregation of that small
# frame.  Medians and quartiles, which do not add up, come from value counts (the joint key
# then includes the value: days and ages have few distinct values).  All queries of a table
# run together in ``pl.collect_all``: one pass over the data per definition.

_I64 = pl.Int64


def _compute_table(
    df: pl.DataFrame,
    defs: list[tuple[Definition, dict[str, Any]]],
    year: int,
    extract_date: dt.date,
) -> dict[str, pl.DataFrame]:
    needed: set[str] = {"unit"}
    opt_nulls: dict[str, Any] = {}
    schema = df.schema
    band_dates: set[str] = set()
    for d, _ in defs:
        needed |= d.required_columns
        for c in d.optional_columns:
            if c in schema:
                needed.add(c)
            else:
                t = C.table_columns(d.area, d.table).get(c, "String")
                opt_nulls[c] = getattr(pl, t)
        if d.type == "prem":
            needed |= set(d.questions)
        for s in d.stratifiers:
            if s == "age_band":
                if "birth_date" in schema:
                    needed.add("birth_date")
                    band_dates.add(d.period_date)
            elif s in schema:
                needed.add(s)
        if d.category == "age_band":
            band_dates.add(d.period_date)
    # one lazy query: eager selects over columns of different chunking would rechunk (copy) them
    blf = df.lazy().select(sorted(needed & set(schema)))
    if opt_nulls:
        blf = blf.with_columns([pl.lit(None, dtype=t).alias(c) for c, t in opt_nulls.items()])
    if band_dates and "birth_date" in blf.collect_schema().names():
        ymd = {c: f"__ymd_{c}" for c in sorted(band_dates | {"birth_date"})}
        blf = blf.with_columns([_ymd(pl.col(c)).alias(n) for c, n in ymd.items()])
        blf = blf.with_columns(
            [
                _band_index(pl.col(ymd["birth_date"]), pl.col(ymd[c])).alias(f"__ab_{c}")
                for c in sorted(band_dates)
            ]
        ).drop(list(ymd.values()))
    base = blf.collect()
    lf = base.lazy()

    plans = [_plan(i, d, p, extract_date, base.schema) for i, (d, p) in enumerate(defs)]
    lazies: list[pl.LazyFrame] = []
    owners: list[list[int]] = []
    fused: dict[str, list[int]] = defaultdict(list)
    for i, plan in enumerate(plans):
        if "fuse" in plan:
            fused[plan["fuse"][0]].append(i)
        else:
            lazies.append(plan["joint"](lf, year))
            owners.append([i])
    for pname, members in fused.items():
        exprs = [plans[members[0]]["fuse"][1]]
        aggs: list[pl.Expr] = []
        strats: list[str] = []
        for i in members:
            exprs += plans[i]["exprs"]
            aggs += [a.alias(f"d{i}|{a.meta.output_name()}") for a in plans[i]["aggs"]]
            strats += [c for c in plans[i]["strat_group"] if c not in strats]
        lazies.append(
            lf.with_columns(exprs)
            .filter(pl.col(pname).is_not_null() & (pl.col(pname) <= year))
            .group_by(["unit", pname, *strats])
            .agg(aggs)
        )
        owners.append(members)
    joints: dict[int, pl.DataFrame] = {}
    for members, res in zip(owners, pl.collect_all(lazies) if lazies else [], strict=True):
        res = _as_text(res)
        for i in members:
            if len(members) == 1 and "fuse" not in plans[i]:
                joints[i] = res
            else:
                joints[i] = res.select(
                    [c for c in res.columns if "|" not in c]
                    + [pl.col(f"d{i}|{c}").alias(c) for c in plans[i]["sums"]]
                )

    # every unit/ALL x stratum margin of every definition, in one batch
    margins: list[pl.LazyFrame] = []
    which: list[tuple[int, str | None, str | None, bool]] = []
    for i, plan in enumerate(plans):
        joint = joints[i].lazy()
        for strat, scol in plan["strat_cols"].items():
            for with_unit in (True, False):
                keys = (
                    (["unit"] if with_unit else [])
                    + [plan["pcol"]]
                    + ([scol] if scol else [])
                    + plan["extra"]
                )
                marg = joint.group_by(keys).agg([pl.col(c).sum() for c in plan["sums"]])
                if scol and scol.startswith("__ab_"):
                    marg = marg.with_columns(_band_label(pl.col(scol)))
                margins.append(marg)
                which.append((i, strat, scol, with_unit))
    out: dict[str, list[pl.DataFrame]] = defaultdict(list)
    for (i, strat, scol, with_unit), marg in zip(
        which, pl.collect_all(margins) if margins else [], strict=True
    ):
        d = defs[i][0]
        rows = plans[i]["rows"](marg, strat, scol, None)
        if not with_unit:
            rows = rows.with_columns(unit=pl.lit(ALL))
        out[d.id].append(_rowframe(rows))
    return {
        d.id: pl.concat(out[d.id], how="vertical") if out[d.id] else _rowframe(pl.DataFrame())
        for d, _ in defs
    }


def _as_text(df: pl.DataFrame) -> pl.DataFrame:
    """Categorical/Enum group keys (unit, strata) of an aggregated result as String."""
    cats = [c for c, t in df.schema.items() if isinstance(t, (pl.Categorical, pl.Enum))]
    return df.with_columns([pl.col(c).cast(pl.String) for c in cats]) if cats else df


def _ymd(e: pl.Expr) -> pl.Expr:
    from nhvmetrics.engine.expr import ymd_int

    return ymd_int(e)


def _band_index(ymd_birth: pl.Expr, ymd_at: pl.Expr) -> pl.Expr:
    """Index into C.AGE_BAND_LOWER of the completed age (null if unknown or negative)."""
    age = (ymd_at - ymd_birth) // 10000
    idx = pl.lit(0, dtype=pl.Int8)
    for lo in C.AGE_BAND_LOWER[1:]:
        idx = idx + (age >= lo).cast(pl.Int8)
    return pl.when(age >= 0).then(idx)


def _band_label(e: pl.Expr) -> pl.Expr:
    labels = dict(enumerate(C.age_band_labels()))
    name = e.meta.output_name()
    return e.replace_strict(labels, default=None, return_dtype=pl.String).alias(name)


def _strat_cols(d: Definition, schema) -> dict[str | None, str | None]:
    cols: dict[str | None, str | None] = {None: None}
    for s in d.stratifiers:
        if s == "age_band":
            name = f"__ab_{d.period_date}"
            if name in schema:
                cols[s] = name
        elif s in schema:
            cols[s] = s
    return cols


def _label(strat: str | None, scol: str | None, extra: str | None = None) -> pl.Expr:
    """Stratum label: measure first, then the stratifier, then a distribution category."""
    parts: list[pl.Expr] = []
    if extra:
        parts.append(pl.lit(extra))
    if strat is not None:
        parts.append(
            pl.format("{}={}", pl.lit(strat), pl.col(scol).cast(pl.String).fill_null("unknown"))
        )
    if not parts:
        return pl.lit("all")
    if len(parts) == 1:
        return parts[0]
    return pl.concat_str(parts, separator=";")


def _unit(res: pl.DataFrame) -> pl.Expr:
    return pl.col("unit") if "unit" in res.columns else pl.lit(ALL).alias("unit")


def _plan(
    i: int, d: Definition, params: dict[str, Any], extract_date: dt.date, schema
) -> dict[str, Any]:
    """How to compute one definition: its joint query, optional median queries, row builder."""
    ce = lambda p: compile_expr(p, params, extract_date)  # noqa: E731
    exprs: list[pl.Expr] = []
    pcol = f"__p{i}"
    strat_cols = _strat_cols(d, schema)
    group_strats = [c for c in strat_cols.values() if c]

    pop = pl.lit(True)
    has_pop = d.population is not None or bool(d.exclusions)
    if d.population is not None:
        pop = pop & ce(d.population).fill_null(False)
    for ex in d.exclusions:
        pop = pop & ~ce(ex).fill_null(False)

    def year_of(c: str) -> pl.Expr:
        return (pl.col(c).dt.year().cast(pl.Int16) + d.period_offset_years).cast(pl.Int16)

    def in_period(per: str, year: int) -> pl.Expr:
        return pl.col(per).is_not_null() & (pl.col(per) <= year)

    def status(num, missing, pending) -> pl.Expr:
        n = ce(num)
        e = pl.when(n.fill_null(False)).then(pl.lit(1, dtype=pl.Int8))
        if pending is not None:
            e = e.when(ce(pending).fill_null(False)).then(pl.lit(3, dtype=pl.Int8))
        miss = n.is_null()
        if missing is not None:
            miss = miss | ce(missing).fill_null(False)
        return e.when(miss).then(pl.lit(2, dtype=pl.Int8)).otherwise(pl.lit(0, dtype=pl.Int8))

    def prop_aggs(col: str, prefix: str) -> list[pl.Expr]:
        s = pl.col(col)
        return [
            (s == 1).sum().cast(_I64).alias(f"{prefix}num"),
            (s <= 1).sum().cast(_I64).alias(f"{prefix}den"),
            (s == 2).sum().cast(_I64).alias(f"{prefix}mis"),
            (s == 3).sum().cast(_I64).alias(f"{prefix}pen"),
        ]

    def prop_rows(
        res: pl.DataFrame, prefix: str, strat, scol, extra, kind="proportion"
    ) -> pl.DataFrame:
        num, den = pl.col(f"{prefix}num").cast(_I64), pl.col(f"{prefix}den").cast(_I64)
        return _rowframe(
            res.select(
                _unit(res),
                pl.col(pcol).cast(_I64).alias("period"),
                _label(strat, scol, extra).alias("stratum"),
                num.alias("numerator"),
                den.alias("denominator"),
                pl.when(den > 0).then(num / den).alias("value"),
                pl.col(f"{prefix}mis").cast(_I64).alias("n_missing"),
                pl.col(f"{prefix}pen").cast(_I64).alias("n_pending"),
                pl.lit(kind).alias("kind"),
            )
        )

    measure_cols: list[tuple[str, str]] = []
    for m in d.measures:
        mcol = f"__s{i}_{m.name}"
        st = status(m.numerator, m.missing, m.pending)
        mpop = pop if m.population is None else pop & ce(m.population).fill_null(False)
        exprs.append(pl.when(mpop).then(st).alias(mcol))
        measure_cols.append((m.name, mcol))
    measure_aggs: list[pl.Expr] = []
    for name, mcol in measure_cols:
        measure_aggs += prop_aggs(mcol, f"m_{name}_")

    def measure_rows(res, strat, scol) -> list[pl.DataFrame]:
        return [
            prop_rows(res, f"m_{name}_", strat, scol, f"measure={name}") for name, _ in measure_cols
        ]

    def joint_query(aggs: list[pl.Expr], extra: list[str] | None = None):
        def q(lf: pl.LazyFrame, year: int) -> pl.LazyFrame:
            return (
                lf.with_columns(exprs)
                .filter(in_period(pcol, year))
                .group_by(["unit", pcol, *group_strats, *(extra or [])])
                .agg(aggs)
            )

        return q

    plan: dict[str, Any] = {"pcol": pcol, "strat_cols": strat_cols, "extra": []}
    fusable = d.type in ("proportion", "prem") or (d.type == "count" and not d.events)
    if fusable:
        # the population is folded into the status columns / aggregations, so definitions
        # sharing a period date can share one pass: the period column is the bare year
        pcol = plan["pcol"] = f"__y_{d.period_date}_{d.period_offset_years}"
        plan["fuse"] = (pcol, year_of(d.period_date).alias(pcol))
    elif d.type != "count" or not d.events:
        exprs.append(pl.when(pop).then(year_of(d.period_date)).alias(pcol))

    if d.type == "proportion":
        scol_ = f"__s{i}"
        exprs.append(pl.when(pop).then(status(d.numerator, d.missing, d.pending)).alias(scol_))
        aggs = prop_aggs(scol_, "a_") + measure_aggs

        def rows(res, strat, scol, med):
            return pl.concat(
                [prop_rows(res, "a_", strat, scol, None), *measure_rows(res, strat, scol)],
                how="vertical",
            )

    elif d.type in ("duration", "median"):
        vcol, scol_ = f"__v{i}", f"__s{i}"
        v = ce(d.value)
        st = pl.when(v.is_not_null()).then(pl.lit(0, dtype=pl.Int8))
        if d.pending is not None:
            st = st.when(ce(d.pending).fill_null(False)).then(pl.lit(3, dtype=pl.Int8))
        st = st.otherwise(pl.lit(2, dtype=pl.Int8))
        exprs += [v.alias(vcol), st.alias(scol_)]
        aggs = [
            (pl.col(scol_) == 0).sum().cast(_I64).alias("den"),
            (pl.col(scol_) == 2).sum().cast(_I64).alias("mis"),
            (pl.col(scol_) == 3).sum().cast(_I64).alias("pen"),
            *measure_aggs,
        ]
        plan["joint"] = joint_query(aggs, [vcol])
        plan["extra"] = [vcol]

        def rows(res, strat, scol, med):
            keys = (["unit"] if "unit" in res.columns else []) + [pcol] + ([scol] if scol else [])
            q = hist_quantiles(res.filter(pl.col(vcol).is_not_null()), keys, vcol, "den")
            sums = [c for c in res.columns if c not in keys and c != vcol]
            res = res.group_by(keys).agg([pl.col(c).sum() for c in sums])
            res2 = res.join(q, on=keys, how="left", nulls_equal=True)
            main = res2.select(
                _unit(res2),
                pl.col(pcol).cast(_I64).alias("period"),
                _label(strat, scol).alias("stratum"),
                pl.lit(None, dtype=_I64).alias("numerator"),
                pl.col("den").cast(_I64).alias("denominator"),
                pl.col("med").alias("value"),
                pl.col("q1"),
                pl.col("q3"),
                pl.col("mis").cast(_I64).alias("n_missing"),
                pl.col("pen").cast(_I64).alias("n_pending"),
                pl.lit("median").alias("kind"),
            )
            return pl.concat([_rowframe(main), *measure_rows(res, strat, scol)], how="vertical")

    elif d.type == "count":
        if d.events:
            pcols = []
            for k, ev in enumerate(d.events):
                ok = pop
                if ev.when is not None:
                    ok = ok & ce(ev.when).fill_null(False)
                name = f"__p{i}_{k}"
                exprs.append(pl.when(ok).then(year_of(ev.date)).alias(name))
                pcols.append(name)

            def joint(lf: pl.LazyFrame, year: int) -> pl.LazyFrame:
                x = lf.with_columns(exprs)
                qs = [
                    x.filter(in_period(pc, year))
                    .group_by(["unit", pc, *group_strats])
                    .agg(pl.len().cast(_I64).alias("n"))
                    .rename({pc: pcol})
                    for pc in pcols
                ]
                return qs[0] if len(qs) == 1 else pl.concat(qs, how="vertical")

            plan["joint"] = joint
        aggs = [(pop.sum() if has_pop else pl.len()).cast(_I64).alias("n")]

        def rows(res, strat, scol, med):
            return res.select(
                _unit(res),
                pl.col(pcol).cast(_I64).alias("period"),
                _label(strat, scol).alias("stratum"),
                pl.col("n").cast(_I64).alias("numerator"),
                pl.col("n").cast(pl.Float64).alias("value"),
                pl.lit(0, dtype=_I64).alias("n_missing"),
                pl.lit(0, dtype=_I64).alias("n_pending"),
                pl.lit("count").alias("kind"),
            )

    elif d.type == "distribution":
        ccol, vcol = f"__c{i}", f"__v{i}"
        if d.category == "age_band":
            band = f"__ab_{d.period_date}"
            exprs.append(pl.col(band).alias(ccol))
        else:
            exprs.append(pl.col(d.category).cast(pl.String).alias(ccol))
        has_value = d.value is not None
        if has_value:
            exprs.append(ce(d.value).alias(vcol))
        aggs = [pl.len().cast(_I64).alias("n")]
        plan["joint"] = joint_query(aggs, [ccol, vcol] if has_value else [ccol])
        plan["extra"] = [ccol, vcol] if has_value else [ccol]
        is_band = d.category == "age_band"

        def rows(res, strat, scol, med):
            keys = (["unit"] if "unit" in res.columns else []) + [pcol] + ([scol] if scol else [])
            if has_value:
                vals = res.group_by([*keys, vcol]).agg(pl.col("n").sum())
                med = hist_quantiles(vals.filter(pl.col(vcol).is_not_null()), keys, vcol, "n").join(
                    vals.group_by(keys).agg(
                        pl.col("n").filter(pl.col(vcol).is_null()).sum().alias("vmis")
                    ),
                    on=keys,
                    how="right",
                    nulls_equal=True,
                )
                res = res.group_by([*keys, ccol]).agg(pl.col("n").sum())
            if is_band:
                res = res.with_columns(_band_label(pl.col(ccol)))
            tot = res.group_by(keys).agg(
                pl.col("n").filter(pl.col(ccol).is_not_null()).sum().cast(_I64).alias("den"),
                pl.col("n").filter(pl.col(ccol).is_null()).sum().cast(_I64).alias("mis"),
            )
            cats = res.filter(pl.col(ccol).is_not_null()).join(
                tot, on=keys, how="left", nulls_equal=True
            )
            if has_value:
                t2 = tot.join(med, on=keys, how="left", nulls_equal=True)
                main = t2.select(
                    _unit(t2),
                    pl.col(pcol).cast(_I64).alias("period"),
                    _label(strat, scol).alias("stratum"),
                    pl.col("vn").fill_null(0).cast(_I64).alias("denominator"),
                    pl.col("med").alias("value"),
                    pl.col("q1"),
                    pl.col("q3"),
                    pl.col("vmis").cast(_I64).alias("n_missing"),
                    pl.lit(0, dtype=_I64).alias("n_pending"),
                    pl.lit("median").alias("kind"),
                )
            else:
                main = tot.select(
                    _unit(tot),
                    pl.col(pcol).cast(_I64).alias("period"),
                    _label(strat, scol).alias("stratum"),
                    pl.col("den").cast(_I64).alias("numerator"),
                    pl.col("den").cast(pl.Float64).alias("value"),
                    pl.col("mis").cast(_I64).alias("n_missing"),
                    pl.lit(0, dtype=_I64).alias("n_pending"),
                    pl.lit("count").alias("kind"),
                )
            catlabel = pl.format("{}={}", pl.lit(d.category), pl.col(ccol).cast(pl.String))
            lab = (
                catlabel
                if strat is None
                else pl.concat_str([_label(strat, scol), catlabel], separator=";")
            )
            cr = cats.select(
                _unit(cats),
                pl.col(pcol).cast(_I64).alias("period"),
                lab.alias("stratum"),
                pl.col("n").cast(_I64).alias("numerator"),
                pl.col("den").cast(_I64).alias("denominator"),
                (pl.col("n") / pl.col("den")).alias("value"),
                pl.lit(0, dtype=_I64).alias("n_missing"),
                pl.lit(0, dtype=_I64).alias("n_pending"),
                pl.lit("distribution").alias("kind"),
            )
            return pl.concat([_rowframe(main), _rowframe(cr)], how="vertical")

    elif d.type == "survival":
        tcol, ecol = f"__t{i}", f"__e{i}"
        horizon = int(params["horizon_days"])
        origin = pl.col(d.time_origin)
        ev_date = pl.col(d.event)
        ed = pl.lit(extract_date, dtype=pl.Date)
        died = ev_date.is_not_null() & (ev_date <= ed)
        censor = ce(d.censor) if d.censor is not None else ed
        censor = pl.min_horizontal(censor, ed)
        t = (
            pl.when(died)
            .then((ev_date - origin).dt.total_days())
            .otherwise((censor - origin).dt.total_days())
        )
        t_ok = t.is_not_null() & (t >= 0)
        # times after the horizon only matter as "still at risk at the horizon": clip them
        exprs += [
            pl.when(t_ok)
            .then(pl.min_horizontal(t, pl.lit(horizon + 1)).cast(pl.Int32))
            .alias(tcol),
            pl.when(t_ok).then((died & (t <= horizon)).cast(pl.Int8)).alias(ecol),
        ]
        aggs = [pl.col(ecol).sum().cast(_I64).alias("d"), pl.len().cast(_I64).alias("c")]
        plan["joint"] = joint_query(aggs, [tcol])
        plan["extra"] = [tcol]

        def rows(res, strat, scol, med):
            from nhvmetrics.engine.stats import loglog_ci

            keys = (["unit"] if "unit" in res.columns else []) + [pcol] + ([scol] if scol else [])
            mis = res.group_by(keys).agg(
                pl.col("c").filter(pl.col(tcol).is_null()).sum().alias("mis")
            )
            g = (
                res.filter(pl.col(tcol).is_not_null())
                .sort([*keys, tcol], nulls_last=True)
                .with_columns(
                    r=(
                        pl.col("c").sum().over(keys)
                        - pl.col("c").cum_sum().over(keys)
                        + pl.col("c")
                    )
                )
                .group_by(keys)
                .agg(
                    pl.col("c").sum().alias("n"),
                    pl.col("d").sum().alias("events"),
                    (pl.col("c") - pl.col("d")).filter(pl.col(tcol) < horizon).sum().alias("pen"),
                    (1 - pl.col("d") / pl.col("r"))
                    .log()
                    .filter(pl.col("d") > 0)
                    .sum()
                    .alias("logs"),
                    (pl.col("d") / (pl.col("r") * (pl.col("r") - pl.col("d"))))
                    .filter((pl.col("d") > 0) & (pl.col("r") > pl.col("d")))
                    .sum()
                    .alias("gw"),
                )
            )
            res = mis.join(g, on=keys, how="left", nulls_equal=True)
            res = res.with_columns(s=pl.when(pl.col("n") > 0).then(pl.col("logs").exp()))
            lo, hi = loglog_ci(
                res["s"].fill_null(float("nan")).to_numpy(), res["gw"].fill_null(0.0).to_numpy()
            )
            res = res.with_columns(
                pl.Series("ci_low", lo, dtype=pl.Float64),
                pl.Series("ci_high", hi, dtype=pl.Float64),
            )
            return res.select(
                _unit(res),
                pl.col(pcol).cast(_I64).alias("period"),
                _label(strat, scol).alias("stratum"),
                pl.col("events").fill_null(0).cast(_I64).alias("numerator"),
                pl.col("n").fill_null(0).cast(_I64).alias("denominator"),
                pl.col("s").alias("value"),
                pl.col("ci_low"),
                pl.col("ci_high"),
                pl.col("mis").cast(_I64).alias("n_missing"),
                pl.col("pen").fill_null(0).cast(_I64).alias("n_pending"),
                pl.lit("survival").alias("kind"),
            )

    elif d.type == "prem":
        qs = d.questions
        pos = params["positive_min"]
        aggs = [(pop.sum() if has_pop else pl.len()).cast(_I64).alias("resp")]
        for q in qs:
            aggs += [
                ((pl.col(q) >= pos).fill_null(False) & pop).sum().cast(_I64).alias(f"{q}_num"),
                (pl.col(q).is_not_null() & pop).sum().cast(_I64).alias(f"{q}_den"),
                (pl.col(q).is_null() & pop).sum().cast(_I64).alias(f"{q}_mis"),
            ]

        def rows(res, strat, scol, med):
            per = pl.col(pcol).cast(_I64).alias("period")
            out = [
                _rowframe(
                    res.select(
                        _unit(res),
                        per,
                        _label(strat, scol).alias("stratum"),
                        pl.col("resp").cast(_I64).alias("numerator"),
                        pl.col("resp").cast(pl.Float64).alias("value"),
                        pl.lit(0, dtype=_I64).alias("n_missing"),
                        pl.lit(0, dtype=_I64).alias("n_pending"),
                        pl.lit("count").alias("kind"),
                    )
                )
            ]
            for q in qs:
                num, den = pl.col(f"{q}_num").cast(_I64), pl.col(f"{q}_den").cast(_I64)
                out.append(
                    _rowframe(
                        res.select(
                            _unit(res),
                            per,
                            _label(strat, scol, f"question={q}").alias("stratum"),
                            num.alias("numerator"),
                            den.alias("denominator"),
                            pl.when(den > 0).then(num / den).alias("value"),
                            pl.col(f"{q}_mis").cast(_I64).alias("n_missing"),
                            pl.lit(0, dtype=_I64).alias("n_pending"),
                            pl.lit("proportion").alias("kind"),
                        )
                    )
                )
            return pl.concat(out, how="vertical")

    else:  # pragma: no cover - the loader rejects other types
        raise NhvError(f"{d.id}: unsupported type {d.type}")

    plan["sums"] = [a.meta.output_name() for a in aggs]
    plan["rows"] = rows
    plan["exprs"] = exprs
    plan["aggs"] = aggs
    plan["strat_group"] = group_strats
    return plan


def hist_quantiles(res: pl.DataFrame, keys: list[str], vcol: str, wcol: str) -> pl.DataFrame:
    """Median and quartiles (type 7, linear) per group from value counts.

    ``res`` holds one row per group x distinct value with the count in ``wcol``; the result
    has ``keys``, ``vn`` (number of values), ``med``, ``q1`` and ``q3``.  For positions
    h = (n - 1) q the quantile is x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h]), with
    x the sorted values -- the same as numpy's and polars' "linear" rule.
    """
    w = (
        res.filter(pl.col(wcol) > 0)
        .sort([*keys, vcol], nulls_last=True)
        .with_columns(__cum=pl.col(wcol).cum_sum().over(keys), __n=pl.col(wcol).sum().over(keys))
    )
    aggs = [pl.col("__n").first().cast(_I64).alias("vn")]
    for name, q in (("q1", 0.25), ("med", 0.5), ("q3", 0.75)):
        h = (pl.col("__n") - 1).cast(pl.Float64) * q
        j = h.floor()
        # x[k] is the first value whose cumulative count exceeds k (0-based)
        xj = pl.col(vcol).filter(pl.col("__cum") > j).first().cast(pl.Float64)
        xj1 = pl.col(vcol).filter(pl.col("__cum") > j + 1).first().cast(pl.Float64)
        frac = (h - j).first()
        aggs.append((xj + frac * (pl.coalesce(xj1, xj) - xj)).alias(name))
    if w.height == 0:
        return pl.DataFrame(
            schema={
                **{k: res.schema[k] for k in keys},
                "vn": _I64,
                "q1": pl.Float64,
                "med": pl.Float64,
                "q3": pl.Float64,
            }
        )
    return w.group_by(keys, maintain_order=True).agg(aggs)
