"""INCA names and values → canonical columns; typing with vectorised polars expressions.

Steps for one table (all whole-column expressions, no Python loop over rows):

1. **names**: input names are matched case-insensitively (and Unicode-NFC) against the canonical
   names and aliases of the schema; ``<var>_Värde`` / ``<var>_Varde`` is the value of list variable
   ``<var>``; ``<var>_Beskrivning`` is its text, which is recognised and left out; known INCA
   system columns are left out; anything else is an *unknown column* (a warning).
2. **drops**: rows with ``MAKULERAD`` true, rows of ``REGION_NAMN`` "Region Demo" and wholly empty
   rows are dropped and counted per reason (first matching reason wins).
3. **cleaning**: Excel's ``="05101"`` is the text ``05101``; values are trimmed; "", "Uppgift
   saknas", "Okänd" mean missing in every column; ``98``/``99`` mean unknown (missing) in bool,
   int and coded columns; county codes are zero-padded.
4. **typing**: codes through the value map (case-insensitive), ints, floats (decimal comma or
   point), dates (``YYYY-MM-DD``, ten characters, with an optional valid `` HH:MM[:SS]`` or ``T``
   time part and zone; a timestamp with a time zone keeps the date it has in that zone), bools
   (1/0, true/false, ja/nej, j/n, yes/no).  A cleaned value that does not type becomes null in
   ``typed``; the checks report it by comparing ``raw`` (cleaned strings) with ``typed``.
   Identifier and zero-padded code columns stored as numbers are listed in ``numeric_codes``.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

import polars as pl

from nhvmetrics import personnummer
from nhvmetrics.io.readers import ROW, RawTable, to_string
from nhvmetrics.schema.model import AreaSchema, ColumnSpec, TableSpec

if TYPE_CHECKING:  # pragma: no cover
    from polars.expr.whenthen import ChainedThen, Then

V = TypeVar("V")

POLARS_TYPES = {
    "string": pl.String,
    "int": pl.Int64,
    "float": pl.Float64,
    "date": pl.Date,
    "bool": pl.Boolean,
}

BOOL_VALUES = {
    "1": True,
    "0": False,
    "true": True,
    "false": False,
    "ja": True,
    "nej": False,
    "j": True,
    "n": False,
    "yes": True,
    "no": False,
    "y": True,
    "sant": True,
    "falskt": False,
}

_DUP_RE = re.compile(r"^(.*)_duplicated_\d+$")
_VALUE_SUFFIXES = ("_värde", "_varde")
_TEXT_SUFFIX = "_beskrivning"
BIRTH_REPLACED = "__birth_replaced__"  # rows whose unparsable birth_date came from the personnummer
PNR_REASON = "__pnr_reason__"  # prefix of the precomputed personnummer verdict of a column
PNR_INSIDE = "__pnr_inside__"  # prefix of: a text column (not an id column) holds a personnummer


@dataclass
class NormalizedTable:
    """One table after names, drops, cleaning and typing (same rows, same order in both frames)."""

    name: str
    raw: (
        pl.DataFrame
    )  # _row + canonical columns as cleaned strings (null = missing), every row read
    typed: pl.DataFrame  # _row + canonical columns in their canonical types, every row read
    rows_read: int
    dropped: dict[str, int]
    keep: pl.Series  # False for the dropped rows (MAKULERAD, demo region, empty)
    sources: dict[str, str]  # canonical name -> input column name
    unknown_columns: list[str] = field(default_factory=list)  # worth a warning
    ignored_columns: list[str] = field(default_factory=list)  # unnamed and wholly empty: formatting
    duplicate_columns: list[tuple[str, str]] = field(
        default_factory=list
    )  # (input name, canonical)
    derived: list[str] = field(
        default_factory=list
    )  # columns derived (birth_date from personnummer)
    extra: dict[str, pl.Series] = field(
        default_factory=dict
    )  # precomputed check columns (same rows)
    numeric_codes: list[tuple[str, str]] = field(
        default_factory=list
    )  # (canonical, input name): identifiers and padded codes stored as numbers
    # canonical -> every input column of a priority list present (the first non-empty wins)
    alternates: dict[str, list[str]] = field(default_factory=dict)
    absent: dict[str, tuple[str, ...]] = field(default_factory=dict)  # profile names not found


def _norm_name(name: str) -> str:
    return unicodedata.normalize("NFC", name).strip().lower()


def _variants(tokens) -> list[str]:
    out: set[str] = set()
    for t in tokens:
        out |= {t, t.lower(), t.upper(), t.capitalize(), t.title()}
    return sorted(out)


@dataclass
class ColumnMap:
    """Which input column gives which canonical column, and what the other columns are."""

    sources: dict[str, str]  # canonical -> the input column read (the first of a priority list)
    # canonical -> every input column of a profile's priority list that is present, in the
    # list's order, when more than one is (the first non-empty in a row wins)
    alternates: dict[str, list[str]]
    unknown: list[str]  # worth a warning (identifying columns too: told apart later)
    duplicates: list[tuple[str, str]]  # (input name, canonical): ambiguous, the table is unusable
    system: dict[str, str]  # normalised name -> input name: known INCA columns, not read
    absent: dict[str, tuple[str, ...]]  # canonical -> the profile's names, none in the export

    def __iter__(self):  # (sources, unknown, duplicates, system), as before profiles
        return iter((self.sources, self.unknown, self.duplicates, self.system))

    def read(self, canonical: str) -> list[str]:
        """The input columns read for ``canonical`` (one, or the priority list present)."""
        return self.alternates.get(canonical) or [self.sources[canonical]]


def _is_system(n: str, exact: set[str], patterns: list[str]) -> bool:
    import fnmatch

    return n in exact or any(fnmatch.fnmatchcase(n, p) for p in patterns)


def map_columns(columns: list[str], table: TableSpec, schema: AreaSchema) -> ColumnMap:
    """Map the input column names of one table onto its canonical columns.

    Names are compared case-insensitively (Unicode NFC). A column a mapping profile names is
    found by the profile's export names only (they replace its built-in aliases); a profile's
    name wins over another column's built-in alias. When several names of one column are
    present: a profile's priority list reads them all (the first non-empty in a row wins), a
    schema ``priority`` (``PERSNR > PNR > PAT_ID``) reads the first and leaves the others as
    known system columns, and anything else is a duplicate column."""
    lookup: dict[str, str] = {}
    for col in table.columns.values():
        if col.from_profile:
            continue
        for n in (col.name, *col.aliases):
            lookup[_norm_name(n)] = col.name
    for col in table.columns.values():
        if col.from_profile:
            for n in col.aliases:
                lookup[_norm_name(n)] = col.name
    profile_bases = {  # a profile's "x_Varde" has its text "x_Beskrivning" beside it
        _norm_name(n)[: -len(sfx)]
        for col in table.columns.values()
        if col.from_profile
        for n in col.aliases
        for sfx in _VALUE_SUFFIXES
        if _norm_name(n).endswith(sfx)
    }
    system_exact, patterns = set(), []
    for name in (*schema.system_columns, *(d.column for d in schema.drop_rows)):
        n = _norm_name(name)
        (patterns.append(n) if any(ch in n for ch in "*?[") else system_exact.add(n))
    hits: dict[str, list[str]] = {}
    unknown: list[str] = []
    duplicates: list[tuple[str, str]] = []
    system_found: dict[str, str] = {}
    identifying = {_norm_name(s) for s in schema.identifying_columns}
    for c in columns:
        if c == ROW:
            continue
        n = _norm_name(c)
        if n in identifying:  # a name or an address is never read, whatever an alias says
            unknown.append(c)
            continue
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
            if (
                base in lookup
                or base in profile_bases
                or _is_system(base, system_exact, patterns)
                or base in {"kon", "lan"}
            ):
                continue  # the text of a list variable: known, not part of the canonical frame
        if canonical is None:
            if _is_system(n, system_exact, patterns):
                system_found[n] = c
            elif m and _is_system(_norm_name(m.group(1)), system_exact, patterns):
                pass
            else:
                unknown.append(c)
            continue
        hits.setdefault(canonical, []).append(c)
    sources: dict[str, str] = {}
    alternates: dict[str, list[str]] = {}
    for canonical, found in hits.items():
        spec = table.columns[canonical]
        if len(found) > 1 and spec.coalesce:
            order = [_norm_name(a) for a in spec.aliases]

            def rank(name: str, order: list[str] = order) -> int:
                n = _norm_name(name)
                for sfx in ("", *_VALUE_SUFFIXES):
                    base = n[: -len(sfx)] if sfx and n.endswith(sfx) else n
                    if base in order:
                        return order.index(base)
                return len(order)

            found = sorted(found, key=rank)
            alternates[canonical] = found
        elif len(found) > 1 and spec.priority:
            order = [_norm_name(a) for a in spec.priority]
            ranked = [f for f in found if _norm_name(f) in order]
            if len(ranked) == len(found):
                found = sorted(found, key=lambda f: order.index(_norm_name(f)))
                for other in found[1:]:
                    system_found[_norm_name(other)] = other
                found = found[:1]
        sources[canonical] = found[0]
        duplicates.extend((c, canonical) for c in found[1:] if canonical not in alternates)
    absent = {
        c.name: c.aliases
        for c in table.columns.values()
        if c.from_profile and c.name not in sources
    }
    return ColumnMap(sources, alternates, unknown, duplicates, system_found, absent)


def _case_variants(mapping: Mapping[str, V]) -> dict[str, V]:
    """Exact-match keys for a case-insensitive map (cheaper than lower-casing every value)."""
    out: dict[str, V] = {}
    for k, v in mapping.items():
        for variant in (k, k.lower(), k.upper(), k.capitalize(), k.title()):
            out.setdefault(variant, v)
    return out


def _code_map(spec: ColumnSpec) -> dict[str, object]:
    mapping: dict[str, object] = dict(spec.values)
    for code in spec.codes or ():
        mapping.setdefault(code.lower(), code)
        mapping.setdefault(code, code)
    return _case_variants(mapping)


_BOOL_MAP = _case_variants(BOOL_VALUES)
_DATE_FMT = "%Y-%m-%d"
MIN_YEAR = 1000  # a four-digit year
# YYYY-MM-DD, then optionally a time of day HH:MM[:SS[.fff]] after a blank or T, and a zone
# (Z, +01:00, +0100, or a name such as CET or Europe/Stockholm)
DATE_TIME_RE = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:[ T](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:[.,][0-9]{1,9})?)?"
    r"(?:Z| ?[+-](?:[01][0-9]|2[0-3]):?[0-5][0-9]| [A-Za-z][A-Za-z0-9_/+-]{0,39})?)?$"
)
# Excel's way of keeping a code as text in a CSV file: ="05101" (a quote inside is doubled)
EXCEL_TEXT_RE = r'^="((?:[^"]|"")*)"$'
# Characters that have no place in an id or a code: C0 controls (NUL, ESC …; not tab, LF, CR),
# DEL and C1 controls, zero-width characters (U+200B–U+200D, U+2060, U+FEFF) and bidirectional
# embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069): two ids that look the same
# may differ, and a value may be shown in another order than it is stored
CONTROL_RE = (
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\x{200b}-\x{200d}\x{2060}\x{feff}"
    r"\x{202a}-\x{202e}\x{2066}-\x{2069}]"
)
HIDDEN = "__hidden__"  # prefix of the precomputed "has a CONTROL_RE character" flag of a column
PARTIAL = "__partial__"  # prefix of the precomputed "a date with day or month 00" flag
SOURCE = "__source__"  # prefix of the input column each row's value came from (priority lists)
# the date of an ISO date-time text, with named parts (for partial dates: 1985-05-00)
ISO_PARTS_RE = (
    r"^(?P<y>[0-9]{4})-(?P<m>[0-9]{2})-(?P<d>[0-9]{2})"
    + DATE_TIME_RE[len(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}") :]
)


def _parts_regex(fmt: str) -> str:
    """The regular expression of a date form with named groups y, m, d."""
    from nhvmetrics.schema.mapping import format_regex

    return ISO_PARTS_RE if fmt == _DATE_FMT else format_regex(fmt)


def _exact_date(col: pl.Expr, fmt: str) -> pl.Expr:
    """The fast, exact reading of one date form (None where the text is not in that form)."""
    if fmt == _DATE_FMT:
        # chrono also reads 2025-1-3 and +2025-01-01: only ten bytes can be YYYY-MM-DD
        return pl.when(col.str.len_bytes() == 10).then(
            col.str.strptime(pl.Date, _DATE_FMT, strict=False, exact=True, cache=False)
        )
    shape = _parts_regex(fmt)
    if any(t in fmt for t in ("%H", "%M", "%S")):
        parsed = col.str.strptime(pl.Datetime, fmt, strict=False, exact=True, cache=False)
        return pl.when(col.str.contains(shape)).then(parsed.dt.date())
    return pl.when(col.str.contains(shape)).then(
        col.str.strptime(pl.Date, fmt, strict=False, exact=True, cache=False)
    )


def partial_flag(col: pl.Expr, spec: ColumnSpec) -> pl.Expr:
    """True where the text is a date in an accepted form with day or month 00 (``19850500``,
    ``1985-00-00``): the form is right, a part is unknown."""
    flags = []
    for fmt in spec.date_formats:
        g = col.str.extract_groups(_parts_regex(fmt))
        y, m, d = (g.struct.field(k).cast(pl.Int32, strict=False) for k in "ymd")
        flags.append(
            (y >= MIN_YEAR) & m.is_between(0, 12) & d.is_between(0, 31) & ((m == 0) | (d == 0))
        )
    return pl.any_horizontal(flags).fill_null(False)


def _partial_date(col: pl.Expr, spec: ColumnSpec) -> pl.Expr:
    """A partial date made whole as ``dates.partial`` says: ``first`` (1985-05-00 → 1 May,
    1985-00-00 → 1 January) or ``middle`` (→ 15 May, → 1 July, as RCC's incadata does)."""
    day_unknown, month_unknown = ("01", "01") if spec.partial == "first" else ("15", "07")
    out = []
    for fmt in spec.date_formats:
        g = col.str.extract_groups(_parts_regex(fmt))
        y, m, d = (g.struct.field(k) for k in "ymd")
        text = (
            pl.when(m == "00")
            .then(pl.concat_str([y, pl.lit(f"-{month_unknown}-01")]))
            .when(d == "00")
            .then(pl.concat_str([y, pl.lit("-"), m, pl.lit(f"-{day_unknown}")]))
        )
        whole = text.str.strptime(pl.Date, _DATE_FMT, strict=False, exact=True, cache=False)
        out.append(pl.when(d.cast(pl.Int32, strict=False).is_between(0, 31)).then(whole))
    return pl.coalesce(out) if len(out) > 1 else out[0]


def _date(col: pl.Expr, spec: ColumnSpec, lenient: bool) -> pl.Expr:
    """Dates in the accepted forms (``spec.date_formats``, tried in order; ISO by default).

    The fast pass reads each form exactly. The lenient pass reads an ISO date followed by a
    valid time of day and zone (the date is the text's own) and, with ``dates.partial`` first
    or middle, makes a partial date whole."""
    if lenient:
        parts: list[pl.Expr] = []
        if _DATE_FMT in spec.date_formats:
            parts.append(
                pl.when(col.str.contains(DATE_TIME_RE)).then(
                    col.str.slice(0, 10).str.strptime(pl.Date, _DATE_FMT, strict=False, cache=False)
                )
            )
        if spec.partial in ("first", "middle"):
            parts.append(_partial_date(col, spec))
        if not parts:
            return pl.lit(None, dtype=pl.Date)
        d = pl.coalesce(parts) if len(parts) > 1 else parts[0]
    else:
        forms = [_exact_date(col, f) for f in spec.date_formats]
        d = pl.coalesce(forms) if len(forms) > 1 else forms[0]
    return pl.when(d.dt.year() >= MIN_YEAR).then(d)  # a sign or a year 0025 is no date


def _type(col: pl.Expr, spec: ColumnSpec, lenient: bool = False) -> pl.Expr:
    """Type a cleaned String column.  ``lenient`` is the slower second pass for columns whose fast
    pass left values untyped: case-folded codes, dates with a time part, decimal comma."""
    if spec.type == "string":
        if spec.codes is None and not spec.values:
            return col
        if lenient:
            lower = {k.lower(): v for k, v in _code_map(spec).items()}
            return col.str.to_lowercase().replace_strict(
                lower, default=None, return_dtype=pl.String
            )
        return col.replace_strict(_code_map(spec), default=None, return_dtype=pl.String)
    if spec.type == "int":
        if lenient:  # "3.0" from a spreadsheet
            f = col.str.replace(",", ".", literal=True).cast(pl.Float64, strict=False)
            return pl.when(f == f.round(0)).then(f.cast(pl.Int64, strict=False))
        return col.cast(pl.Int64, strict=False)
    if spec.type == "float":
        if lenient:
            return col.str.replace(",", ".", literal=True).cast(pl.Float64, strict=False)
        return col.cast(pl.Float64, strict=False)
    if spec.type == "date":
        return _date(col, spec, lenient)
    if spec.type == "bool":
        if lenient:
            lower = {k.lower(): v for k, v in _BOOL_MAP.items()}
            return col.str.to_lowercase().replace_strict(
                lower, default=None, return_dtype=pl.Boolean
            )
        return col.replace_strict(_BOOL_MAP, default=None, return_dtype=pl.Boolean)
    raise AssertionError(spec.type)  # pragma: no cover - the loader rejects other types


def _native(col: pl.Expr, dtype: pl.DataType, spec: ColumnSpec) -> pl.Expr:
    """A natively typed column in its canonical type.  A timestamp becomes the calendar date it
    has in its own time zone (``2019-01-11 00:30+01:00`` is 11 January, not 10 January in UTC)."""
    if spec.type == "date" and isinstance(dtype, pl.Datetime):
        return col.dt.date()
    return col.cast(POLARS_TYPES[spec.type])


def numeric_code_columns(
    raw_table: RawTable, sources: dict[str, str], table: TableSpec
) -> list[tuple[str, str]]:
    """(canonical, input name) of the identifier and zero-padded code columns that the file
    stores as numbers (a Parquet number type, number cells in a workbook), where leading zeros
    may have been lost: unit ``5101`` for ``05101``, county code ``4`` for ``04``."""
    frame = raw_table.frame
    numeric_cells = set(raw_table.numeric_columns)
    out = []
    for c, src in sources.items():
        spec = table.columns[c]
        if not (spec.identifier or spec.zfill):
            continue
        dtype = frame.schema.get(src)
        if dtype is None:
            continue
        if dtype.is_integer() or dtype.is_float() or src in numeric_cells:
            out.append((c, src))
    return out


def _fits(dtype: pl.DataType, ctype: str) -> bool:
    if ctype == "date":
        return dtype == pl.Date or isinstance(dtype, pl.Datetime)
    if ctype == "bool":
        return dtype == pl.Boolean
    if ctype == "int":
        return dtype.is_integer()
    if ctype == "float":
        return dtype.is_integer() or dtype.is_float()
    return False


def drop_columns(schema: AreaSchema) -> set[str]:
    return {_norm_name(d.column) for d in schema.drop_rows}


def wanted_columns(names: list[str], table: TableSpec, schema: AreaSchema) -> list[str]:
    """The input columns worth loading: mapped columns (every column of a priority list), the
    columns of the drop rules (``MAKULERAD``, ``REGION_NAMN``), and unnamed ones."""
    cmap = map_columns(names, table, schema)
    blank = [c for c in cmap.unknown if not c.strip() or c.startswith("unnamed_")]
    drops = drop_columns(schema)
    mapped = [n for c in cmap.sources for n in cmap.read(c)]
    return [*mapped, *(v for k, v in cmap.system.items() if k in drops), *blank]


def _recode_map(spec: ColumnSpec) -> dict[str, object]:
    """A profile's value map with exact-match keys in the usual letter cases."""
    return _case_variants({k: v for k, v in spec.recode})


def normalize_table(
    raw_table: RawTable,
    table: TableSpec,
    schema: AreaSchema,
    today: dt.date | None = None,
    batch: bool = False,
) -> NormalizedTable:
    """Names, drops, cleaning and typing of one table (or of one row batch of it, ``batch=True``:
    then a ``birth_date`` absent from the input is derived from the personnummer even when none of
    the batch's rows gives one, so that every batch has the same columns)."""
    frame = raw_table.frame
    rows_read = frame.height
    cmap = map_columns(raw_table.columns, table, schema)
    sources, unknown, duplicates = cmap.sources, cmap.unknown, cmap.duplicates
    drops = drop_columns(schema)
    system_found = {k: v for k, v in cmap.system.items() if k in drops and v in frame.columns}
    ignored = [
        c
        for c in unknown
        if (not c.strip() or c.startswith("unnamed_"))
        and c in frame.columns
        and frame[c].null_count() == frame.height
    ]
    unknown = [c for c in unknown if c not in ignored]

    numeric_codes = numeric_code_columns(raw_table, sources, table)
    # Natively typed input (Parquet, frames): use a column as it is where its type fits the
    # canonical one, else turn it into canonical text and go the way of CSV values.  A column
    # the profile recodes or reads as a checkbox, and every column of a priority list, is text.
    native: set[str] = set()
    to_text = []
    for c in sources:
        spec = table.columns[c]
        for name in cmap.read(c):
            dtype = frame.schema[name]
            if dtype == pl.String:
                continue
            plain = c not in cmap.alternates and not spec.recode and not spec.checkbox
            if plain and _fits(dtype, spec.type):
                native.add(c)
            else:
                to_text.append(to_string(name, dtype).alias(name))
    for src in system_found.values():
        if frame.schema[src] != pl.String:
            to_text.append(to_string(src, frame.schema[src]).alias(src))
    if to_text:
        frame = frame.with_columns(to_text)

    # --- drops and probes (one parallel pass over the frame as read) -------------------------
    reasons: list[tuple[str, pl.Expr]] = []
    true_tokens = [k for k, v in _BOOL_MAP.items() if v is True]
    for rule in schema.drop_rows:
        drop_src = system_found.get(_norm_name(rule.column))
        if drop_src is None:
            continue
        v = pl.col(drop_src).str.strip_chars()
        if rule.when_true:
            cond = v.is_in(true_tokens)
        else:
            cond = v.is_in(_variants([(rule.equals or "").strip()]))
        reasons.append((rule.reason, cond.fill_null(False)))
    data_cols = [c for c in frame.columns if c != ROW]
    if data_cols:
        reasons.append(("empty_row", pl.all_horizontal([pl.col(c).is_null() for c in data_cols])))

    # Cheap whole-column tests decide which (costlier) cleaning steps are needed.
    missing = _variants(schema.missing_values)
    coded_tokens = missing + list(schema.unknown_codes)
    order = [c for c in table.columns if c in sources]
    specs = {c: table.columns[c] for c in order}
    probes = []
    for c in order:
        if c in native or c in cmap.alternates:
            continue  # a priority list is always cleaned in full
        s = pl.col(sources[c])
        tokens = coded_tokens if specs[c].is_coded else missing
        probes.append(s.is_in(tokens).any().alias(f"tok:{c}"))
        probes.append((s.str.starts_with(" ") | s.str.ends_with(" ")).any().alias(f"ws:{c}"))
        probes.append(s.str.starts_with('="').any().alias(f"eq:{c}"))
        if specs[c].zfill:
            probes.append((s.str.len_bytes() < specs[c].zfill).any().alias(f"z:{c}"))

    dropped: dict[str, int] = {}
    flags: dict[str, bool] = {}
    keep_rows: pl.Series | None = None
    if frame.height and (reasons or probes):
        lf = frame.lazy()
        queries = []
        if reasons:
            reason_expr: Then | ChainedThen = pl.when(reasons[0][1]).then(pl.lit(reasons[0][0]))
            for name, cond in reasons[1:]:
                reason_expr = reason_expr.when(cond).then(pl.lit(name))
            queries.append(lf.select(reason_expr.otherwise(None).alias("r")))
        if probes:
            queries.append(lf.select(probes))
        out = pl.collect_all(queries)
        if probes:
            flags = out[-1].row(0, named=True)
        if reasons:
            reason_col = out[0].to_series()
            if reason_col.null_count() < reason_col.len():
                counts = reason_col.drop_nulls().value_counts()
                dropped = {r: int(n) for r, n in counts.iter_rows()}
                # Dropped rows are not copied out (a filter would copy the whole frame); they are
                # carried to the end as ``keep`` = False and left out of checks and outputs.
                keep_rows = reason_col.is_null()
    dropped = {r: dropped[r] for r in sorted(dropped)}

    # --- clean ---------------------------------------------------------------------------------
    def clean(name: str, spec: ColumnSpec, full: bool) -> pl.Expr:
        """The cleaned text of input column ``name`` for canonical column ``spec``; ``full``
        runs every step (else only those the probes found needed)."""
        c = spec.name
        e = pl.col(name)
        excel_text = full or bool(flags.get(f"eq:{c}"))
        if excel_text:  # ="05101" is the text 05101; what is inside is then cleaned as usual
            inner = e.str.extract(EXCEL_TEXT_RE, 1).str.replace_all('""', '"', literal=True)
            e = pl.when(inner.is_not_null()).then(inner).otherwise(e)
        if flags.get(f"ws:{c}") or excel_text:
            e = e.str.strip_chars()
        if spec.checkbox:  # True/blank: a blank is false (the profile says so)
            e = pl.when(e.is_null() | (e == "")).then(pl.lit("false")).otherwise(e)
        if spec.recode:  # the register's own codes (a profile's values); null is unknown
            rec = _recode_map(spec)
            mapped = e.replace_strict(rec, default=None, return_dtype=pl.String)
            e = pl.when(e.is_in(list(rec))).then(mapped).otherwise(e)
        if flags.get(f"tok:{c}") or flags.get(f"ws:{c}") or excel_text or spec.recode:
            tokens = coded_tokens if spec.is_coded else missing
            e = pl.when(e.is_in(tokens)).then(None).otherwise(e)
        if spec.zfill and (flags.get(f"z:{c}") or excel_text):
            e = pl.when(e.str.contains(r"^[0-9]+$")).then(e.str.zfill(spec.zfill)).otherwise(e)
        return e

    raw_exprs = [pl.col(ROW)]
    source_exprs = []
    for c in order:
        spec = specs[c]
        if c in native:
            raw_exprs.append(pl.col(sources[c]).alias(c))
            continue
        names = cmap.read(c)
        if len(names) == 1:
            raw_exprs.append(clean(names[0], spec, False).alias(c))
            continue
        parts = [clean(n, spec, True) for n in names]
        raw_exprs.append(pl.coalesce(parts).alias(c))
        # the column each row's value came from (the first non-empty of the list)
        which = pl.coalesce(
            [
                pl.when(part.is_not_null()).then(pl.lit(n))
                for n, part in zip(names, parts, strict=True)
            ]
            + [pl.lit(names[0])]
        )
        source_exprs.append(which.alias(SOURCE + c))
    cleaned = frame.lazy().select([*raw_exprs, *source_exprs]).collect()
    raw = cleaned.select(pl.col(ROW), *order)
    extra: dict[str, pl.Series] = {
        SOURCE + c: cleaned[SOURCE + c] for c in order if SOURCE + c in cleaned.columns
    }
    del cleaned
    raw_table.frame = (
        raw_table.frame.clear()
    )  # the frame as read is done with (memory at 10^7 rows)
    del frame

    # The personnummer analysis of the id columns and the scan of the other text columns for
    # one (a chain of text operations on one column each, so one core each) run in a second
    # thread while the typing below keeps the other core busy: polars leaves the interpreter
    # while it computes
    pnr_columns = [c for c in order if specs[c].check == "personnummer"]
    scanned = [
        c
        for c in order
        if specs[c].type == "string"
        and specs[c].check != "personnummer"
        and specs[c].codes is None
        and not specs[c].values  # a coded column: scanned below, where a value is no code
    ]

    def side() -> tuple[dict[str, pl.DataFrame], dict[str, pl.Series]]:
        return (
            {c: personnummer.analyse(raw[c], today) for c in pnr_columns},
            {c: personnummer.contains_series(raw[c]).fill_null(False) for c in scanned},
        )

    pool = ThreadPoolExecutor(1, thread_name_prefix="nhvmetrics-pnr")
    pending = pool.submit(side)

    # --- type: a fast exact pass, then a lenient pass only for columns that need it --------------
    typed = (
        raw.lazy()
        .select(
            [
                pl.col(ROW),
                *[
                    (
                        _native(pl.col(c), raw.schema[c], specs[c])
                        if c in native
                        else _type(pl.col(c), specs[c])
                    ).alias(c)
                    for c in order
                ],
            ]
        )
        .collect()
    )
    retry_probe = [
        (pl.col(c).is_null() & raw[c].is_not_null()).any().alias(c)
        for c in order
        if c not in native
        and (specs[c].type != "string" or specs[c].codes is not None or specs[c].values)
    ]
    if retry_probe and typed.height:
        need = [
            c for c, v in typed.lazy().select(retry_probe).collect().row(0, named=True).items() if v
        ]
        if need:
            # the lenient reading only fills what the exact one left empty: a value the exact pass
            # typed keeps that type, so the result does not depend on which rows share a batch
            fill = (
                raw.lazy()
                .select(
                    [
                        pl.coalesce(
                            pl.lit(typed[c]), _type(pl.col(c), specs[c], lenient=True)
                        ).alias(c)
                        for c in need
                    ]
                )
                .collect()
            )
            typed = typed.with_columns(fill.get_columns())
    else:
        need = []

    # a code that did not map may hold an invisible or control character (K + U+200B looks
    # like K): flag it, so the finding says why (only columns with unmapped values are scanned);
    # a date that did not type may be a partial date (day or month 00)
    for c in need:
        if specs[c].type == "string":
            extra[HIDDEN + c] = raw[c].str.contains(CONTROL_RE).fill_null(False).alias(HIDDEN + c)
        elif specs[c].type == "date":
            flag = raw.select(partial_flag(pl.col(c), specs[c]).alias(PARTIAL + c)).to_series()
            if flag.any():
                extra[PARTIAL + c] = flag

    try:
        analysed, inside_text = pending.result()
    finally:
        pool.shutdown()
    derived: list[str] = []
    for c in order:
        if c in inside_text:
            # a personnummer typed into a unit, case id or free-text column
            extra[PNR_INSIDE + c] = inside_text[c]
        elif specs[c].type == "string" and specs[c].check != "personnummer":
            # in a coded column only a value that is no code can be one (codes are short words)
            odd = raw[c].is_not_null() & typed[c].is_null()
            found = odd.clone()
            if odd.any():
                inside = personnummer.contains_series(raw[c].filter(odd)).fill_null(False)
                found = found.scatter(odd.arg_true(), inside)
            extra[PNR_INSIDE + c] = found
        if c not in analysed:
            continue
        pn = analysed[c]
        extra[PNR_REASON + c] = pn["reason"]
        if c != "patient_id" or "birth_date" not in table.columns:
            continue
        born = pn["birth_date"]
        if born.null_count() == born.len() and not (batch and "birth_date" not in typed.columns):
            continue
        if "birth_date" in typed.columns:
            # an unparsable birth date is replaced by the personnummer's, and reported as a warning
            extra[BIRTH_REPLACED] = (
                raw["birth_date"].is_not_null() & typed["birth_date"].is_null() & born.is_not_null()
            ).alias(BIRTH_REPLACED)
            typed = typed.with_columns(pl.col("birth_date").fill_null(born))
        else:
            typed = typed.with_columns(born.alias("birth_date"))
            typed = typed.select([ROW, *[x for x in table.columns if x in typed.columns]])
            raw = raw.with_columns(pl.lit(None, dtype=pl.String).alias("birth_date")).select(
                typed.columns
            )
            if born.null_count() < born.len():
                derived.append("birth_date")
    return NormalizedTable(
        name=table.name,
        raw=raw,
        typed=typed,
        rows_read=rows_read,
        keep=keep_rows
        if keep_rows is not None
        else pl.repeat(True, raw.height, dtype=pl.Boolean, eager=True).alias("keep"),
        dropped=dropped,
        sources=sources,
        unknown_columns=unknown,
        ignored_columns=ignored,
        duplicate_columns=duplicates,
        derived=derived,
        extra=extra,
        numeric_codes=numeric_codes,
        alternates=cmap.alternates,
        absent=cmap.absent,
    )
