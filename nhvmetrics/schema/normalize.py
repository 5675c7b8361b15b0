"""INCA names and values → canonical columns; typing with vectorised polars expressions.

Steps for one table (all whole-column expressions, no Python loop over rows):

1. **names**: input names are matched case-insensitively (and Unicode-NFC) against the canonical
   names and aliases of the schema; ``<var>_Värde`` / ``<var>_Varde`` is the value of list variable
   ``<var>``; ``<var>_Beskrivning`` is its text, which is recognised and left out; known INCA
   system columns are left out; anything else is an *unknown column* (a warning).
2. **drops**: rows with ``MAKULERAD`` true, rows of ``REGION_NAMN`` "Region Demo" and wholly empty
   rows are dropped and counted per reason (first matching reason wins).
3. **cleaning**: values are trimmed; "", "Uppgift saknas", "Okänd" mean missing in every column;
   ``98``/``99`` mean unknown (missing) in bool, int and coded columns; county codes are zero-padded.
4. **typing**: codes through the value map (case-insensitive), ints, floats (decimal comma or
   point), dates (``YYYY-MM-DD`` with an optional `` HH:MM[:SS]`` or ``T`` time part), bools
   (1/0, true/false, ja/nej, j/n, yes/no).  A cleaned value that does not type becomes null in
   ``typed``; the checks report it by comparing ``raw`` (cleaned strings) with ``typed``.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

import polars as pl

from nhvmetrics.io.readers import ROW, RawTable
from nhvmetrics.schema import personnummer
from nhvmetrics.schema.model import AreaSchema, ColumnSpec, TableSpec

POLARS_TYPES = {
    "string": pl.String,
    "int": pl.Int64,
    "float": pl.Float64,
    "date": pl.Date,
    "bool": pl.Boolean,
}

BOOL_VALUES = {
    "1": True, "0": False, "true": True, "false": False, "ja": True, "nej": False,
    "j": True, "n": False, "yes": True, "no": False, "y": True, "sant": True, "falskt": False,
}

_DUP_RE = re.compile(r"^(.*)_duplicated_\d+$")
_VALUE_SUFFIXES = ("_värde", "_varde")
_TEXT_SUFFIX = "_beskrivning"


@dataclass
class NormalizedTable:
    """One table after names, drops, cleaning and typing (same rows, same order in both frames)."""

    name: str
    raw: pl.DataFrame  # _row + canonical columns as cleaned strings (null = missing)
    typed: pl.DataFrame  # _row + canonical columns in their canonical types
    rows_read: int
    dropped: dict[str, int]
    sources: dict[str, str]  # canonical name -> input column name
    unknown_columns: list[str] = field(default_factory=list)
    duplicate_columns: list[tuple[str, str]] = field(default_factory=list)  # (input name, canonical)
    derived: list[str] = field(default_factory=list)  # columns derived (birth_date from personnummer)


def _norm_name(name: str) -> str:
    return unicodedata.normalize("NFC", name).strip().lower()


def _variants(tokens) -> list[str]:
    out: set[str] = set()
    for t in tokens:
        out |= {t, t.lower(), t.upper(), t.capitalize(), t.title()}
    return sorted(out)


def map_columns(columns: list[str], table: TableSpec, schema: AreaSchema):
    """Return (sources, unknown, duplicates, system): canonical -> input name, and the rest."""
    lookup: dict[str, str] = {}
    for col in table.columns.values():
        for n in (col.name, *col.aliases):
            lookup[_norm_name(n)] = col.name
    system = {_norm_name(s) for s in schema.system_columns} | {_norm_name(d.column) for d in schema.drop_rows}
    sources: dict[str, str] = {}
    unknown: list[str] = []
    duplicates: list[tuple[str, str]] = []
    system_found: dict[str, str] = {}
    for c in columns:
        if c == ROW:
            continue
        n = _norm_name(c)
        m = _DUP_RE.match(n)
        canonical = lookup.get(n)
        if canonical is None and m and _norm_name(m.group(1)) in lookup:
            duplicates.append((c, lookup[_norm_name(m.group(1))]))
            continue
        if canonical is None:
            for suffix in _VALUE_SUFFIXES:
                if n.endswith(suffix) and n[: -len(suffix)] in lookup:
                    canonical = lookup[n[: -len(suffix)]]
                    break
        if canonical is None and n.endswith(_TEXT_SUFFIX):
            base = n[: -len(_TEXT_SUFFIX)]
            if base in lookup or base in system or base in {"kon", "lan"}:
                continue  # the text of a list variable: known, not part of the canonical frame
        if canonical is None:
            if n in system:
                system_found[n] = c
            elif m and _norm_name(m.group(1)) in system:
                pass
            else:
                unknown.append(c)
            continue
        if canonical in sources:
            duplicates.append((c, canonical))
            continue
        sources[canonical] = c
    return sources, unknown, duplicates, system_found


def _clean(col: pl.Expr, spec: ColumnSpec, missing: list[str], unknown_codes: list[str]) -> pl.Expr:
    e = col.str.strip_chars()
    tokens = missing + (unknown_codes if spec.is_coded else [])
    e = pl.when(e.is_in(tokens)).then(None).otherwise(e)
    if spec.zfill:
        e = pl.when(e.str.contains(r"^[0-9]+$")).then(e.str.zfill(spec.zfill)).otherwise(e)
    return e


def _type(col: pl.Expr, spec: ColumnSpec) -> pl.Expr:
    if spec.type == "string":
        if spec.codes is None and not spec.values:
            return col
        mapping = dict(spec.values)
        for code in spec.codes or ():
            mapping.setdefault(code.lower(), code)
        return col.str.to_lowercase().replace_strict(mapping, default=None, return_dtype=pl.String)
    if spec.type == "int":
        return col.cast(pl.Int64, strict=False)
    if spec.type == "float":
        return col.str.replace(",", ".", literal=True).cast(pl.Float64, strict=False)
    if spec.type == "date":
        shape_ok = (col.str.len_bytes() == 10) | col.str.slice(10, 1).is_in([" ", "T"])
        return pl.when(shape_ok).then(col.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False))
    if spec.type == "bool":
        return col.str.to_lowercase().replace_strict(BOOL_VALUES, default=None, return_dtype=pl.Boolean)
    raise AssertionError(spec.type)  # pragma: no cover - the loader rejects other types


def normalize_table(raw_table: RawTable, table: TableSpec, schema: AreaSchema, today: dt.date | None = None) -> NormalizedTable:
    frame = raw_table.frame
    rows_read = frame.height
    sources, unknown, duplicates, system_found = map_columns(frame.columns, table, schema)

    # --- drops ------------------------------------------------------------------------------
    reasons: list[tuple[str, pl.Expr]] = []
    for rule in schema.drop_rows:
        src = system_found.get(_norm_name(rule.column))
        if src is None:
            continue
        v = pl.col(src).str.strip_chars()
        if rule.when_true:
            cond = v.str.to_lowercase().replace_strict(BOOL_VALUES, default=None, return_dtype=pl.Boolean).fill_null(False)
        else:
            cond = (v.str.to_lowercase() == (rule.equals or "").lower()).fill_null(False)
        reasons.append((rule.reason, cond))
    data_cols = [c for c in frame.columns if c != ROW]
    if data_cols:
        reasons.append(("empty_row", pl.all_horizontal([pl.col(c).is_null() for c in data_cols])))
    dropped: dict[str, int] = {}
    if reasons and frame.height:
        reason_expr = pl.when(reasons[0][1]).then(pl.lit(reasons[0][0]))
        for name, cond in reasons[1:]:
            reason_expr = reason_expr.when(cond).then(pl.lit(name))
        reason_col = frame.select(reason_expr.otherwise(None).alias("r")).to_series()
        counts = reason_col.drop_nulls().value_counts()
        dropped = {r: int(n) for r, n in counts.iter_rows()}
        if dropped:
            frame = frame.filter(reason_col.is_null())
    dropped = {r: dropped[r] for r in sorted(dropped)}

    # --- clean + type --------------------------------------------------------------------------
    missing = _variants(schema.missing_values)
    unknown_codes = list(schema.unknown_codes)
    raw_exprs = [pl.col(ROW)]
    for name, src in sources.items():
        raw_exprs.append(_clean(pl.col(src), table.columns[name], missing, unknown_codes).alias(name))
    order = [c for c in table.columns if c in sources]
    raw = frame.select(raw_exprs).select([ROW, *order])
    typed = raw.select([pl.col(ROW), *[_type(pl.col(c), table.columns[c]).alias(c) for c in order]])

    derived: list[str] = []
    if "patient_id" in typed.columns and "birth_date" in table.columns:
        pn = raw.select(personnummer.analyse(pl.col("patient_id"), today).struct.field("birth_date").alias("b"))["b"]
        if pn.null_count() < pn.len():
            if "birth_date" in typed.columns:
                typed = typed.with_columns(pl.col("birth_date").fill_null(pn))
            else:
                typed = typed.with_columns(pn.alias("birth_date")).select([ROW, *[c for c in table.columns if c in typed.columns or c == "birth_date"]])
                raw = raw.with_columns(pl.lit(None, dtype=pl.String).alias("birth_date")).select(typed.columns)
                derived.append("birth_date")
    return NormalizedTable(
        name=table.name,
        raw=raw,
        typed=typed,
        rows_read=rows_read,
        dropped=dropped,
        sources=sources,
        unknown_columns=unknown,
        duplicate_columns=duplicates,
        derived=derived,
    )
