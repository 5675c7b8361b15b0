"""Validate an export: read → normalise → type → row checks → accepted / quarantined frames.

    >>> result = validate_export("acc", {"cases": Path("acc_cases.csv")})
    >>> result.has_errors, result.table("cases").accepted.height

``accepted + quarantined + dropped = rows_read`` holds for every table.  A row with at least
one *error* finding is quarantined; *warnings* keep the row.  A bad value outside the required
columns is a warning that reads that one cell as unknown (cell-level validation: the row stays,
``TableResult.unknown_cells`` counts the cells per column).  The findings are one polars frame
(``table, check, severity, column, row, case_id, value, message, source_column``) in which no
personnummer ever appears and no raw control character: every text goes through the output guard
(:func:`nhvmetrics.io.guard.clean_value`; ``<personnummer>``, ``\x1b``).  A mapping profile
(:mod:`nhvmetrics.schema.mapping`) changes the schema the export is read with.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from nhvmetrics import personnummer
from nhvmetrics.errors import NhvError
from nhvmetrics.io.guard import clean_series, clean_value, guard_frame
from nhvmetrics.io.readers import (
    ROW,
    RawTable,
    StreamedTable,
    StreamFallback,
    frame_as_raw,
    read_table,
    stream_table,
)
from nhvmetrics.schema.checks import DUPLICATE, RAW, duplicated, row_checks
from nhvmetrics.schema.draft import rank_candidates
from nhvmetrics.schema.mapping import MappingProfile, load_profile
from nhvmetrics.schema.model import CASE_TABLE, AreaSchema, TableSpec, as_schema, load_schema

if TYPE_CHECKING:
    from nhvmetrics.areas import Area

from nhvmetrics.schema.normalize import (
    BIRTH_REPLACED,
    SOURCE,
    NormalizedTable,
    drop_columns,
    map_columns,
    normalize_table,
    wanted_columns,
)

FINDINGS_SCHEMA = pl.Schema(
    {
        "table": pl.String,
        "check": pl.String,
        "severity": pl.String,
        "column": pl.String,
        "row": pl.Int64,
        "case_id": pl.String,
        "value": pl.String,
        "message": pl.String,
        "source_column": pl.String,  # the export's own column beside the canonical one
    }
)
MAX_VALUE_CHARS = 200


@dataclass
class TableResult:
    """The outcome for one table of the export."""

    name: str
    path: Path | None
    format: str
    rows_read: int
    dropped: dict[str, int]  # reason -> rows (makulerad, demo_region, empty_row)
    accepted: pl.DataFrame  # _row + canonical columns, canonical types
    quarantined: pl.DataFrame  # _row + canonical columns as cleaned strings, through the guard
    # (no rows when validated with ``Needs(quarantined_rows=False)``: then only the count is kept)
    unknown_columns: list[str] = field(default_factory=list)
    identifying_columns: list[str] = field(default_factory=list)  # never read (names, addresses)
    columns: dict[str, str] = field(default_factory=dict)  # canonical -> input column name
    missing_required: list[str] = field(default_factory=list)
    derived: list[str] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    # canonical -> every export column of a priority list present (the first non-empty wins)
    alternates: dict[str, list[str]] = field(default_factory=dict)
    # canonical -> cells of the accepted rows read as unknown because their value failed a check
    unknown_cells: dict[str, int] = field(default_factory=dict)
    suggestions: dict[str, str] = field(default_factory=dict)  # missing required -> likeliest

    quarantined_count: int | None = None  # set when the quarantined rows themselves are not kept
    _sha256: str | None = field(default=None, repr=False)

    @property
    def sha256(self) -> str | None:
        """SHA-256 of the input file, computed on first use (None for frames given in memory)."""
        if self._sha256 is None and self.path is not None:
            from nhvmetrics.io.readers import sha256_file

            self._sha256 = sha256_file(self.path)
        return self._sha256

    @property
    def n_dropped(self) -> int:
        return sum(self.dropped.values())

    @property
    def n_accepted(self) -> int:
        return self.accepted.height

    @property
    def n_quarantined(self) -> int:
        return self.quarantined.height if self.quarantined_count is None else self.quarantined_count


@dataclass
class ValidationResult:
    area: str
    tables: dict[str, TableResult]
    findings: pl.DataFrame
    extract_date: dt.date
    schema: AreaSchema | None = field(default=None, repr=False)  # the schema validated against
    profile: MappingProfile | None = None  # the mapping profile the export was read with
    stamped: bool = False  # read from stamped Parquet files: validated by convert, not again

    @property
    def unknown_cells(self) -> int:
        """Cells read as unknown in every table (values that failed a cell-level check)."""
        return sum(sum(t.unknown_cells.values()) for t in self.tables.values())

    @property
    def has_errors(self) -> bool:
        return self.error_count > 0

    @property
    def error_count(self) -> int:
        return int((self.findings["severity"] == "error").sum())

    @property
    def warning_count(self) -> int:
        return int((self.findings["severity"] == "warning").sum())

    def table(self, name: str) -> TableResult:
        return self.tables[name]

    @property
    def accepted(self) -> dict[str, pl.DataFrame]:
        """Accepted (canonical, typed) frame of every table."""
        return {n: t.accepted for n, t in self.tables.items()}


@dataclass(frozen=True)
class Needs:
    """What a caller of :func:`validate_export` will use of the result.

    * ``contract``: also run the pandera contract over the accepted frames (``validate`` and
      ``convert``, which hand the frames on; the pipeline's own stages type them already);
    * ``quarantined_rows``: keep the quarantined rows themselves (for ``--quarantine``), not only
      their number; without them a batched table needs no separate pass over its key column;
    * ``columns``: keep only these canonical columns (per table, plus ``_row``) in the accepted
      frames, text as Categorical (what the indicators read,
      :func:`nhvmetrics.engine.compute.columns_needed`); ``None`` keeps every column;
    * ``row_findings``: write the findings that say why a row failed; without them only which
      rows fail is decided (the table-level findings are kept).
    """

    contract: bool = True
    quarantined_rows: bool = True
    columns: Mapping[str, frozenset[str]] | None = None
    row_findings: bool = True


EVERYTHING = Needs()

BATCH_ROWS = 250_000  # rows per batch when a large CSV or Parquet file is read in batches


def validate_export(
    area: str | Path | Area | AreaSchema,
    tables: Mapping[str, Path | str],
    extract_date: dt.date | None = None,
    *,
    needs: Needs = EVERYTHING,
    batch_rows: int | None = BATCH_ROWS,
    mapping: MappingProfile | Path | str | None = None,
) -> ValidationResult:
    """Read and validate the files of one export (``{"cases": path, "episodes": path, ...}``).

    ``area`` is a shipped area's name, an area folder, an :class:`~nhvmetrics.areas.Area` or a
    loaded schema.
    ``mapping`` is a mapping profile (a loaded one or its file) saying how the register's
    export maps onto the canonical columns; a profile that cannot be used raises
    :class:`~nhvmetrics.schema.mapping.ProfileError` (exit 2).  A workbook given as the case
    table whose other sheets are named like the area's other tables (``episodes``, ``prem``)
    is read as the whole export; a visible sheet that no table reads is named in an
    ``input_note``.

    ``extract_date`` is the reference for "date in the future" (default: today).  Unreadable files
    raise :class:`~nhvmetrics.errors.InputError` (exit 2); an unknown table name raises
    :class:`~nhvmetrics.errors.NhvError` (exit 2).

    A large CSV (UTF-8) or Parquet file is read and checked in batches of ``batch_rows`` rows, so
    memory holds one batch plus the accepted rows; the one whole-table check, duplicate ids, reads
    the key column of every row first.  The result is the same as reading the file whole
    (``batch_rows=None``), which the tests assert.

    ``needs`` says what the caller will use of the result (:class:`Needs`): the pipeline asks for
    less when it computes or reports than when it validates, so a large export costs less.
    The checks, the accepted rows and the counts are the same whatever it asks for.
    """
    schema = with_profile(as_schema(area), mapping)
    _check_table_names(schema, tables, need_cases=True)
    tables, notes = export_tables(schema, tables)
    known = _known_names(schema)
    sources: dict[str, RawTable | _Streamed] = {}
    for name, path in tables.items():
        spec = schema.tables[name]

        def select(names, spec=spec):
            return wanted_columns(names, spec, schema)

        def read(path=Path(path), name=name, spec=spec, select=select) -> RawTable:
            raw = read_table(
                path, table=name, sheets=spec.sheets, known_names=known[name], select=select
            )
            raw.notes.extend(notes.get(name, []))
            return raw

        stream = stream_table(path, select, batch_rows) if batch_rows else None
        sources[name] = _Streamed(stream, read) if stream is not None else read()
    return _validate(schema, sources, extract_date, needs)


def with_profile(schema: AreaSchema, mapping: MappingProfile | Path | str | None) -> AreaSchema:
    """The schema as a mapping profile (loaded, or read from its file) changes it."""
    if mapping is None:
        return schema
    profile = mapping if isinstance(mapping, MappingProfile) else load_profile(mapping, schema)
    return profile.apply(schema)


def export_tables(
    schema: AreaSchema, tables: Mapping[str, Path | str]
) -> tuple[dict[str, Path | str], dict[str, list[str]]]:
    """The tables of an export, and the reader's remarks per table, when the case table is a
    workbook: its sheets named like the area's other tables (``episodes``/``vardtillfallen``,
    ``prem``/``enkat``) are those tables unless ``--table`` gives them, and a visible sheet
    that no table reads is named in a remark (never ignored in silence)."""
    from nhvmetrics.io.readers import XLSX_SUFFIXES, workbook_sheets

    out = dict(tables)
    first = Path(out[CASE_TABLE])
    if first.suffix.lower() not in XLSX_SUFFIXES or not first.is_file():
        return out, {}
    sheets = workbook_sheets(first)
    visible = [title for title, shown in sheets if shown]
    if not visible:
        return out, {}  # the reader says so

    def same(p: Path | str) -> bool:
        try:
            return Path(p).resolve() == first.resolve()
        except OSError:  # pragma: no cover - a path the reader words
            return False

    used: set[str] = set()
    for name, spec in schema.tables.items():
        wanted = [s.lower() for s in (*spec.sheets, name)]
        if name in out and not same(out[name]):
            continue
        hit = next((t for t in visible if t.lower() in wanted), None)
        if hit is None and name == CASE_TABLE:
            hit = visible[0]
        if hit is None and name in out and len(visible) == 1:
            hit = visible[0]
        if hit is None:
            continue
        used.add(hit)
        out.setdefault(name, first)
    extra = [t for t in visible if t not in used]
    if not extra:
        return out, {}
    listed = ", ".join(f"'{t}'" for t in extra)
    note = (
        f"the workbook also has the sheet(s) {listed}, which no table of the {schema.area} area "
        "reads, so they were not read: name a sheet like its table (cases, "
        + ", ".join(n for n in schema.tables if n != CASE_TABLE)
        + ") or give it with --table, or delete it"
        if len(schema.tables) > 1
        else f"the workbook also has the sheet(s) {listed}, which no table of the {schema.area} "
        "area reads, so they were not read: delete them if they are stale, or check --area"
    )
    return out, {CASE_TABLE: [note]}


def validate_frames(
    area: str | Path | Area | AreaSchema,
    frames: dict[str, pl.DataFrame],
    extract_date: dt.date | None = None,
    *,
    needs: Needs = EVERYTHING,
    mapping: MappingProfile | Path | str | None = None,
) -> ValidationResult:
    """Like :func:`validate_export` for frames in memory (any dtypes; names as in an export).

    A ``_row`` column is kept as the row number; without it rows are numbered 2, 3, ….
    The case table may be left out (then secondary tables are not checked for orphans).
    """
    schema = with_profile(as_schema(area), mapping)
    _check_table_names(schema, frames, need_cases=False)
    return _validate(schema, {n: frame_as_raw(f) for n, f in frames.items()}, extract_date, needs)


@dataclass
class _Streamed:
    stream: StreamedTable
    read: Callable[[], RawTable]  # the whole-file reader, if streaming has to give up


def _check_table_names(schema: AreaSchema, tables, need_cases: bool) -> None:
    for name in tables:
        if name not in schema.tables:
            raise NhvError(
                f"area '{schema.area}' has no table '{name}'; "
                f"use one of: {', '.join(schema.tables)}."
            )
    if need_cases and CASE_TABLE not in tables:
        raise NhvError(f"the '{CASE_TABLE}' table is required; give its file as PATH.")


def _known_names(schema: AreaSchema) -> dict[str, set[str]]:
    out = {}
    for name, t in schema.tables.items():
        s = set()
        for c in t.columns.values():
            s |= {c.name.lower(), *(a.lower() for a in c.aliases)}
        out[name] = s
    return out


def _validate(
    schema: AreaSchema,
    sources: dict[str, RawTable | _Streamed],
    extract_date: dt.date | None,
    needs: Needs,
) -> ValidationResult:
    today = dt.date.today()
    ctx = _Context(
        schema,
        extract_date or today,
        today,
        needs.contract,
        needs.quarantined_rows,
        None if needs.columns is None else {t: set(c) for t, c in needs.columns.items()},
        needs.row_findings,
    )
    order = [n for n in schema.tables if n in sources]
    # a table other tables point to (cases) goes first: its ids are needed to check theirs
    parents = {
        t.parent[0]: t.parent[1]
        for t in schema.tables.values()
        if t.parent and t.parent[0] in sources
    }
    results: dict[str, TableResult] = {}
    table_findings: dict[str, pl.DataFrame] = {}
    for name in sorted(order, key=lambda n: n not in parents):
        source = sources.pop(name)
        spec = schema.tables[name]
        parent = ctx.ids.get(spec.parent[0]) if spec.parent else None
        if isinstance(source, _Streamed):
            try:
                res, found, ids = _streamed_table(
                    ctx, name, source.stream, parent, parents.get(name)
                )
            except StreamFallback:
                source = source.read()
        if isinstance(source, RawTable):
            res, found, ids = _table(ctx, name, source, [source], None, parent, parents.get(name))
        del source
        results[name] = res
        if found is not None:
            table_findings[name] = found
        if ids is not None:
            ctx.ids[name] = ids
    results = {n: results[n] for n in order}
    parts = [table_findings[n] for n in order if n in table_findings]
    findings_frame = (
        pl.concat(parts, how="vertical") if parts else pl.DataFrame(schema=FINDINGS_SCHEMA)
    )
    return ValidationResult(
        area=schema.area,
        tables=results,
        findings=findings_frame,
        extract_date=ctx.ref,
        schema=schema,
        profile=schema.profile,
    )


@dataclass
class _Context:
    schema: AreaSchema
    ref: dt.date
    today: dt.date
    contract: bool
    quarantined_rows: bool = True
    accepted_columns: dict[str, set[str]] | None = None
    row_findings: bool = True
    ids: dict[str, pl.Series] = field(
        default_factory=dict
    )  # table -> ids of its kept rows (for orphans)


def _streamed_table(ctx: _Context, name: str, stream: StreamedTable, parent, id_column):
    """A table read in row batches: duplicate ids from one pass over the key column, then the
    batches."""
    schema, spec = ctx.schema, ctx.schema.tables[name]
    dup = None
    cmap = map_columns(stream.meta.columns, spec, schema)
    drops = drop_columns(schema)
    if spec.key and spec.key in cmap.sources and not cmap.duplicates and ctx.quarantined_rows:
        wanted = [*cmap.read(spec.key), *(v for k, v in cmap.system.items() if k in drops)]
        sub = stream.read_columns(wanted)
        n = normalize_table(RawTable(frame=sub), spec, schema, ctx.today)
        dup = duplicated(n.raw.select(pl.when(pl.lit(n.keep)).then(pl.col(spec.key))).to_series())
        del n, sub
    meta = stream.meta
    batches = (
        RawTable(
            frame=f,
            path=meta.path,
            format=meta.format,
            encoding=meta.encoding,
            delimiter=meta.delimiter,
            notes=meta.notes,
            all_columns=meta.all_columns,
        )
        for f in stream.batches()
    )
    return _table(ctx, name, meta, batches, dup, parent, id_column, streamed=True)


def _table(
    ctx: _Context,
    name: str,
    meta: RawTable,
    batches,
    dup: pl.Series | None,
    parent,
    id_column,
    streamed: bool = False,
):
    """Check one table given as row batches (one batch: the whole table).  Returns the
    :class:`TableResult`, the table's findings (or None) and the ids of its kept rows (or None).

    ``dup`` (batched tables) flags the duplicate ids of the whole table, row by row; without it a
    batched table keeps the key of every kept row and finds the duplicates at the end."""
    schema, spec = ctx.schema, ctx.schema.tables[name]
    deferred = streamed and dup is None and spec.key is not None
    accepted_parts, quarantined_parts, finding_parts, id_parts, key_parts = [], [], [], [], []
    n_quarantined = 0
    rows_read = 0
    dropped: dict[str, int] = {}
    ignored: set[str] | None = None
    first: NormalizedTable | None = None
    born_given = False
    unknown_cells: dict[str, int] = {}
    cell_rows: dict[str, list[pl.Series]] = {}  # deferred duplicates: rows of unknown cells
    yes_no: dict[str, list[int]] = {}  # bool column -> [true, false, blank, kept rows]
    for raw_b in batches:
        n = normalize_table(raw_b, spec, schema, ctx.today, batch=streamed)
        if first is None:
            first, first_cols = n, list(n.typed.columns)
        elif list(n.typed.columns) != first_cols:  # pragma: no cover - defensive
            raise StreamFallback("batches differ in their columns")
        ignored = set(n.ignored_columns) if ignored is None else ignored & set(n.ignored_columns)
        born_given = born_given or "birth_date" in n.derived
        batch_dup = None
        if dup is not None:
            if rows_read + n.rows_read > dup.len():
                raise StreamFallback("the key pass and the batches differ in length")
            batch_dup = dup.slice(rows_read, n.rows_read)
        elif deferred:
            batch_dup = pl.repeat(False, n.rows_read, dtype=pl.Boolean, eager=True)
        rows_read += n.rows_read
        for reason, cnt in n.dropped.items():
            dropped[reason] = dropped.get(reason, 0) + cnt
        if id_column and id_column in n.raw.columns:
            id_parts.append(n.raw[id_column].filter(n.keep).drop_nulls().unique())
        if deferred and spec.key in n.raw.columns:
            show = [c for c in dict.fromkeys((ROW, spec.key, "case_id")) if c in n.raw.columns]
            key_source = (
                [n.extra[SOURCE + spec.key].alias(SOURCE + spec.key)]
                if (SOURCE + spec.key) in n.extra
                else []
            )
            key_parts.append(
                n.raw.lazy()
                .select(show)
                .with_columns(pl.lit(n.keep).alias("__keep__"), *[pl.lit(x) for x in key_source])
                .filter(pl.col("__keep__") & pl.col(spec.key).is_not_null())
                .drop("__keep__")
                .collect()
            )
        acc, quar, found, nq, cells, bools = _check_batch(
            ctx, name, n, batch_dup, parent, first, cell_rows=deferred
        )
        for c, k in cells.items():
            if isinstance(k, pl.Series):
                cell_rows.setdefault(c, []).append(k)
                k = k.len()
            unknown_cells[c] = unknown_cells.get(c, 0) + k
        for c, counts in bools.items():
            totals = yes_no.setdefault(c, [0, 0, 0, 0])
            for i, k in enumerate(counts):
                totals[i] += k
        n_quarantined += nq
        accepted_parts.append(acc)
        quarantined_parts.append(quar)
        if found is not None:
            finding_parts.append(found)
        del n, raw_b
    if first is None:
        raise StreamFallback("no rows")
    if dup is not None and rows_read != dup.len():
        raise StreamFallback("the key pass and the batches differ in length")
    derived = list(first.derived)
    if streamed and "birth_date" not in first.sources and "birth_date" in first_cols:
        if not born_given:  # whole-file reading would not derive it: let it decide
            raise StreamFallback("birth_date not derivable")
        derived = ["birth_date"]

    present = [c for c in first_cols if c != ROW]
    missing_required = [c for c in spec.required if c not in present]
    # unnamed, wholly empty columns are formatting only if they are empty in every batch
    names = map_columns(meta.columns, spec, schema)
    unknown = [c for c in names.unknown if c not in (ignored or set())]
    # names, addresses: known to be identifying, never read (map_columns never maps them)
    who = {_norm(c) for c in schema.identifying_columns}
    identifying = [c for c in unknown if _norm(c) in who]
    unknown = [c for c in unknown if _norm(c) not in who]
    findings: list[pl.DataFrame] = []
    suggestions: dict[str, str] = {}
    for c in missing_required:
        hint = f"; name its export column in a mapping profile ({MAP_HINT})"
        if c in first.absent:
            given = ", ".join(f"'{x}'" for x in first.absent[c])
            hint = (
                f"; the mapping profile gives {given} for it, which the export does not have: "
                "correct the profile"
            )
        else:
            # the export's columns that give no canonical column (register ids such as
            # R44T139_ID are known system columns, and the likeliest case_id)
            candidates = [x for x in (*unknown, *names.system.values()) if _norm(x) not in who]
            ranked = rank_candidates(spec.columns[c], candidates, limit=1)
            likely = ranked[0].column if ranked else None
            if likely is not None:
                suggestions[c] = likely
                hint = (
                    f"; the likeliest export column is '{likely}': name it in a mapping profile "
                    f"({MAP_HINT})"
                )
        findings.append(
            _table_finding(
                name,
                "missing_required_column",
                "error",
                c,
                f"required column {c} is missing (expected e.g. {spec.columns[c].inca_name})"
                f"{hint}; every row of the table is quarantined",
            )
        )
    absent = [c for c in first.absent if c not in missing_required]
    if absent:
        findings.append(
            _table_findings(
                name,
                "mapping_note",
                "warning",
                absent,
                [
                    f"the mapping profile gives {', '.join(repr(x) for x in first.absent[c])} "
                    f"for {c}, which the export does not have; {c} is left out"
                    for c in absent
                ],
            )
        )
    for c in [c for c in spec.columns if c in yes_no]:
        yes, no, blank, kept = yes_no[c]
        if yes and not no and blank:
            findings.append(
                _table_finding(
                    name,
                    "checkbox_blank",
                    "warning",
                    c,
                    f"{blank} of {kept} cells blank in a True/blank column: counted as unknown "
                    f"(they leave the denominators of the indicators that read {c}); a mapping "
                    "profile's checkboxes: says when blank means false",
                    source=first.sources.get(c),
                )
            )
    if name == CASE_TABLE:
        other = _other_area(schema, meta.columns, first.sources)
        if other is not None:
            findings.append(_table_finding(name, "other_area", "warning", None, other))
    if unknown:  # one frame for all (a wide export has hundreds)
        findings.append(
            _table_findings(
                name,
                "unknown_column",
                "warning",
                unknown,
                [
                    f"column {c!r} is not part of the {schema.area} schema; it is ignored"
                    for c in unknown
                ],
                sources=unknown,
            )
        )
    if identifying:
        findings.append(
            _table_findings(
                name,
                "identifying_column",
                "warning",
                identifying,
                [
                    f"column {c!r} identifies the patient (name, address); it is not read and "
                    "reaches no output"
                    for c in identifying
                ],
                sources=identifying,
            )
        )
    for c, canonical in first.duplicate_columns:  # ambiguous: the table is unusable as it is
        findings.append(
            _table_finding(
                name,
                "duplicate_column",
                "error",
                c,
                _duplicate_message(first.sources.get(canonical), c, canonical),
                source=c,
            )
        )
    for c, src in first.numeric_codes:
        findings.append(
            _table_finding(
                name,
                "code_as_number",
                "warning",
                c,
                _numeric_code_message(spec, c, src),
                source=src,
            )
        )
    for note in meta.notes:
        findings.append(_table_finding(name, "input_note", "warning", None, note))
    table_level = None
    if findings:
        table_level = pl.concat([f.cast(FINDINGS_SCHEMA) for f in findings], how="vertical")
        table_level = table_level.sort(
            ["row", "column", "check"], nulls_last=False, maintain_order=True
        )
    if key_parts:
        found, late = _duplicates_at_the_end(
            spec,
            pl.concat(key_parts, how="vertical"),
            accepted_parts,
            ctx.row_findings,
            first.sources,
        )
        del key_parts
        if found is not None:
            finding_parts.append(found)
            finding_parts = [
                pl.concat(finding_parts, how="vertical").sort(
                    ["row", "column", "check"], nulls_last=False, maintain_order=True
                )
            ]
        if late.len():
            n_quarantined += late.len()
            for c, seen in cell_rows.items():  # those rows' cells are no longer accepted cells
                unknown_cells[c] -= int(pl.concat(seen).is_in(late.implode()).sum())
            for i, part in enumerate(accepted_parts):  # part by part: no second copy of every row
                out = ~part[ROW].is_in(late.implode())
                if not out.all():
                    accepted_parts[i] = part.filter(out)
    accepted = (
        accepted_parts[0]
        if len(accepted_parts) == 1
        else pl.concat(accepted_parts, how="vertical", rechunk=False)
    )
    del accepted_parts
    if ctx.contract and accepted.height:  # once for the table: pandera's cost is per call
        from nhvmetrics.schema.contract import check_contract

        check_contract(schema.area, spec, accepted)
    rows_found = pl.concat(finding_parts, how="vertical") if finding_parts else None
    if rows_found is not None and len(finding_parts) > 1 and not rows_found["row"].is_sorted():
        rows_found = rows_found.sort(
            ["row", "column", "check"], nulls_last=False, maintain_order=True
        )
    parts = [f for f in (table_level, rows_found) if f is not None]
    table_findings = pl.concat(parts, how="vertical") if parts else None

    nonempty = [q for q in quarantined_parts if q.height]
    if len(nonempty) > 1:
        quarantined = pl.concat(nonempty, how="vertical")
    else:
        quarantined = nonempty[0] if nonempty else quarantined_parts[0]
    ids = None
    if id_parts:
        ids = id_parts[0] if len(id_parts) == 1 else pl.concat(id_parts).unique()
    result = TableResult(
        name=name,
        path=meta.path,
        format=meta.format,
        rows_read=rows_read,
        dropped={r: dropped[r] for r in sorted(dropped)},
        accepted=accepted,
        quarantined=quarantined,
        quarantined_count=None if ctx.quarantined_rows else n_quarantined,
        unknown_columns=unknown,
        identifying_columns=identifying,
        columns=dict(first.sources),
        missing_required=missing_required,
        derived=derived,
        encoding=meta.encoding,
        delimiter=meta.delimiter,
        sheet=meta.sheet,
        alternates={c: list(v) for c, v in first.alternates.items()},
        unknown_cells={c: unknown_cells[c] for c in spec.columns if unknown_cells.get(c)},
        suggestions=suggestions,
    )
    return result, table_findings, ids


def _check_batch(
    ctx: _Context,
    name: str,
    n: NormalizedTable,
    dup: pl.Series | None,
    parent,
    first: NormalizedTable,
    cell_rows: bool = False,
):
    """The row checks of one batch: (accepted typed rows, quarantined masked rows, findings or
    None, number quarantined, cells read as unknown per column, yes/no counts per column).

    A failed cell-level check (a warning with :attr:`RowCheck.unknown`) sets that cell of the
    accepted row to null. The unknown cells are counted per column, or with ``cell_rows`` given
    as the ``_row`` numbers of their rows (a batched table whose duplicates are found at the
    end takes those rows out again). The yes/no counts are ``[true, false, blank, kept]`` of
    each bool column that is no checkbox (a True/blank column is told at the end)."""
    spec = ctx.schema.tables[name]
    present = [c for c in n.typed.columns if c != ROW]
    missing_required = [c for c in spec.required if c not in present]
    checks = row_checks(
        spec,
        present,
        ctx.ref,
        ctx.today,
        parent,
        birth_replaced=BIRTH_REPLACED in n.extra,
        flagged=set(n.extra),
    )
    extra = [s.alias(k) for k, s in n.extra.items()]
    if spec.key and spec.key in present:
        if dup is None:
            kept_key = pl.select(pl.when(pl.lit(n.keep)).then(pl.lit(n.raw[spec.key]))).to_series()
            dup = duplicated(kept_key)
        extra.append(dup.alias(DUPLICATE + spec.key))
    work = n.typed.with_columns([n.raw[c].alias(RAW + c) for c in present] + extra)
    case_expr = _case_id_expr(present)
    sources = _sources_of(n, present)
    findings: list[pl.DataFrame] = []
    qmask = None
    unknown_masks: dict[str, pl.Series] = {}
    bools = [c for c in present if spec.columns[c].type == "bool" and not spec.columns[c].checkbox]
    yes_no: dict[str, list[int]] = {}
    if bools and n.typed.height:
        keep = pl.lit(n.keep)
        got = work.select(
            pl.concat_list(
                (pl.col(c) & keep).sum(),
                (~pl.col(c) & keep).sum(),
                (pl.col(RAW + c).is_null() & keep).sum(),
                keep.sum(),
            ).alias(c)
            for c in bools
        ).row(0, named=True)
        yes_no = {c: [int(x) for x in v] for c, v in got.items()}
    if checks:
        keep = pl.lit(n.keep)  # dropped rows are not checked
        masks = (
            work.lazy()
            .select([(c.mask & keep).alias(f"__m{i}") for i, c in enumerate(checks)])
            .collect()
        )
        counts = masks.select(pl.all().sum()).row(0)
        for i, (chk, cnt) in enumerate(zip(checks, counts, strict=True)):
            if not cnt or not ctx.row_findings:
                continue
            findings.append(
                _findings_of(
                    work, name, chk, case_expr, masks[f"__m{i}"].arg_true(), sources, guard=False
                )
            )
        cells: dict[str, list[str]] = {}
        for i, (chk, cnt) in enumerate(zip(checks, counts, strict=True)):
            if cnt and chk.unknown is not None and chk.severity != "error":
                cells.setdefault(chk.unknown, []).append(f"__m{i}")
        if cells:
            per_cell = masks.select(pl.any_horizontal(v).alias(c) for c, v in cells.items())
            unknown_masks = {c: per_cell[c] for c in cells}
        error_masks = [
            f"__m{i}"
            for i, (c, cnt) in enumerate(zip(checks, counts, strict=True))
            if cnt and c.severity == "error"
        ]
        if error_masks:
            qmask = masks.select(pl.any_horizontal(error_masks).alias("q"))["q"]
        del masks
    del work
    if missing_required or first.duplicate_columns:
        qmask = pl.repeat(True, n.typed.height, dtype=pl.Boolean, eager=True).alias("q")
    if qmask is None:
        qmask = pl.repeat(False, n.typed.height, dtype=pl.Boolean, eager=True).alias("q")
    qmask = qmask & n.keep
    nq = int(qmask.sum())
    quarantined = _mask_quarantine(n.raw.filter(qmask)) if ctx.quarantined_rows else n.raw.clear()
    typed = n.typed
    n.raw, n.typed = n.raw.clear(), typed.clear()  # free the cleaned text before copying
    n.extra = {}
    accept = n.keep & ~qmask
    unknown_cells: dict[str, int | pl.Series] = {}
    if unknown_masks:
        blank = []
        for c, m in unknown_masks.items():
            m = m & accept
            if cell_rows:
                unknown_cells[c] = typed[ROW].filter(m)
            else:
                unknown_cells[c] = int(m.sum())
            blank.append(
                pl.when(pl.lit(m)).then(None).otherwise(pl.col(c)).alias(c)
            )  # that one cell is unknown; the row stays
        typed = typed.with_columns(blank)
    accepted = typed if accept.all() else typed.filter(accept)
    del typed
    if ctx.accepted_columns is not None:
        wanted = ctx.accepted_columns.get(name, set())
        accepted = accepted.select([c for c in accepted.columns if c == ROW or c in wanted])
        # text with few distinct values (units, codes) as Categorical: 4 bytes a row instead of
        # 16 (the engine reads it as text). The patient id stays text: nearly every value is
        # new, so the dictionary would hold them all, and building it costs more than the rest
        # of the batch's checks (the engine codes it once, exactly: engine.compute.id_codes)
        ids = {c for c, s in spec.columns.items() if s.check == "personnummer"}
        accepted = accepted.with_columns(
            pl.col(c).cast(pl.Categorical)
            for c, t in accepted.schema.items()
            if t == pl.String and c not in ids
        )
    found = None
    if findings:  # guarded here, once for every check of the batch
        found = _guard_findings(pl.concat([f.cast(FINDINGS_SCHEMA) for f in findings]))
        found = found.sort(["row", "column", "check"], nulls_last=False, maintain_order=True)
    return accepted, quarantined, found, nq, unknown_cells, yes_no


def _sources_of(n: NormalizedTable, present: list[str]) -> dict[str, pl.Expr]:
    """The export column of each canonical column, as an expression over the work frame: the
    input name, or per row the column of a priority list the value came from."""
    out: dict[str, pl.Expr] = {}
    for c in present:
        if (SOURCE + c) in n.extra:
            out[c] = pl.col(SOURCE + c)
        elif c in n.sources:
            out[c] = pl.lit(n.sources[c], dtype=pl.String)
    return out


def _findings_of(
    work: pl.DataFrame,
    name: str,
    chk,
    case_expr: pl.Expr,
    idx: pl.Series | None = None,
    sources: Mapping[str, pl.Expr] | None = None,
    guard: bool = True,
) -> pl.DataFrame:
    """The findings of one check for the rows ``idx`` of the work frame (all rows if None),
    through the output guard (``guard=False``: the caller guards them, all checks at once)."""
    value = _value_expr(chk.value, chk.column)
    message = chk.message if isinstance(chk.message, pl.Expr) else pl.lit(chk.message)
    source = (sources or {}).get(chk.column) if chk.column else None
    if source is None:
        source = pl.lit(None, dtype=pl.String)
    needed = {
        ROW,
        *case_expr.meta.root_names(),
        *value.meta.root_names(),
        *message.meta.root_names(),
        *source.meta.root_names(),
    }
    # gather only what the finding shows, column by column: an eager select over columns of
    # different chunking rechunks all of them (~0.1 s per check at 10^6 rows); the gathered
    # columns are contiguous, which multi-column string expressions need
    cols = [work.get_column(c) for c in work.columns if c in needed]
    found = pl.DataFrame([c.gather(idx) if idx is not None else c.rechunk() for c in cols]).select(
        pl.lit(name).alias("table"),
        pl.lit(chk.check).alias("check"),
        pl.lit(chk.severity).alias("severity"),
        pl.lit(chk.column, dtype=pl.String).alias("column"),
        pl.col(ROW).cast(pl.Int64).alias("row"),
        case_expr.alias("case_id"),
        value.alias("value"),
        message.cast(pl.String).alias("message"),
        source.alias("source_column"),
    )
    return _guard_findings(found) if guard else found


def _guard_findings(found: pl.DataFrame) -> pl.DataFrame:
    """Every text of the findings through the output guard, then values cut (a token is masked
    before the cut, so half a number never shows)."""
    return found.with_columns(
        *[
            clean_series(found.get_column(c)).alias(c)
            for c in ("column", "message", "source_column")
        ],
        *[
            clean_series(found.get_column(c)).str.slice(0, MAX_VALUE_CHARS).alias(c)
            for c in ("case_id", "value")
        ],
    )


def _duplicates_at_the_end(
    spec: TableSpec,
    keys: pl.DataFrame,
    accepted: list[pl.DataFrame],
    findings: bool = True,
    sources: Mapping[str, str] | None = None,
):
    """Duplicate ids of a table whose batches went by without a pass over the key column.

    ``keys`` holds ``_row``, the key and ``case_id`` of every kept row with a key.  Returns the
    ``duplicate_id`` findings (as the row check words them) and the rows to take out of the
    accepted parts."""
    name, key = spec.name, spec.key
    assert key is not None  # only tables with a key get here
    dup = duplicated(keys[key])
    if not dup.any():
        return None, pl.Series(ROW, [], dtype=pl.Int64)
    rows = keys.filter(dup)
    present = [c for c in rows.columns if c != ROW and not c.startswith(SOURCE)]
    work = rows.select(
        pl.col(ROW),
        *[pl.col(c).alias(RAW + c) for c in present],
        *[pl.col(c) for c in rows.columns if c.startswith(SOURCE)],
    )
    chk = next(
        c for c in row_checks(spec, [key], dt.date.max, dt.date.max) if c.check == "duplicate_id"
    )
    where = {key: pl.col(SOURCE + key)} if (SOURCE + key) in rows.columns else {}
    if not where and sources and key in sources:
        where = {key: pl.lit(sources[key], dtype=pl.String)}
    found = (
        _findings_of(work, name, chk, _case_id_expr(present), None, where).cast(FINDINGS_SCHEMA)
        if findings
        else None
    )
    late = pl.concat([rows[ROW].filter(rows[ROW].is_in(part[ROW].implode())) for part in accepted])
    return found, late


MAP_HINT = "`nhvmetrics map` drafts one, `--mapping` reads it"


@cache
def _area_columns(area: str) -> frozenset[str]:
    """The case-table columns of a shipped area that not every area has (its own columns)."""
    from nhvmetrics import AREAS

    every = [set(load_schema(a).tables[CASE_TABLE].columns) for a in AREAS]
    common = set.intersection(*every)
    return frozenset(set(load_schema(area).tables[CASE_TABLE].columns) - common)


def _other_area(schema: AreaSchema, columns: list[str], sources: Mapping[str, str]) -> str | None:
    """A sentence when the export's columns fit another area's case table better than the
    one it is validated as (counting each area's own columns, not the common ones), else None."""
    from nhvmetrics import AREAS

    if schema.area not in AREAS:
        return None
    mine = len(_area_columns(schema.area) & set(sources))
    best: tuple[str, int] | None = None
    for area in AREAS:
        if area == schema.area:
            continue
        other = load_schema(area)
        got = len(
            set(map_columns(columns, other.tables[CASE_TABLE], other).sources) & _area_columns(area)
        )
        if got > mine and got >= 3 and (best is None or got > best[1]):
            best = (area, got)
    if best is None:
        return None
    area, got = best

    def a(word: str) -> str:
        return ("an " if word[:1] in "aeiou" else "a ") + word

    own = f"1 is {a(schema.area)} column" if mine == 1 else f"{mine} are {schema.area} columns"
    return (
        f"this export looks like {a(area)} export ({got} of its columns are {area} columns, "
        f"{own}); check --area"
    )


def _norm(name: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFC", name).strip().lower()


def _numeric_code_message(spec: TableSpec, column: str, source: str) -> str:
    where = column if source == column else f"{column} (column {source!r})"
    width = spec.columns[column].zfill
    if width:
        example = "4 → " + "4".zfill(width)
        return (
            f"{where} is stored as numbers in the file, so codes lose their leading zeros; "
            f"they were padded to {width} digits ({example}): export the column as text"
        )
    return (
        f"{where} is stored as numbers in the file, so leading zeros are lost if the values had "
        "any (05101 becomes 5101, another unit or id, and may no longer match other tables): "
        "export the column as text"
    )


def _duplicate_message(first: str | None, second: str, canonical: str) -> str:
    import re

    base = re.sub(r"_duplicated_\d+$", "", second)
    if first is not None and base.strip().lower() == first.strip().lower():
        what = f"the table has two columns named {first!r}"
    else:
        what = f"columns {first!r} and {second!r} both give {canonical}"
    return (
        f"{what}, so it is not clear which one holds {canonical}; every row of the table is "
        "quarantined: remove or rename one of them and export again"
    )


def _table_finding(
    table: str,
    check: str,
    severity: str,
    column: str | None,
    message: str,
    source: str | None = None,
) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "table": [table],
            "check": [check],
            "severity": [severity],
            "column": [None if column is None else clean_value(column)],
            "row": [None],
            "case_id": [None],
            "value": [None],
            "message": [clean_value(message)],
            "source_column": [None if source is None else clean_value(source)],
        },
        schema=FINDINGS_SCHEMA,
    )


def _table_findings(
    table: str,
    check: str,
    severity: str,
    columns: list[str],
    messages: list[str],
    sources: list[str] | None = None,
) -> pl.DataFrame:
    """Several table-level findings at once: the rows of one :func:`_table_finding` per column."""
    n = len(columns)
    shown = [None] * n if sources is None else sources
    return pl.DataFrame(
        {
            "table": [table] * n,
            "check": [check] * n,
            "severity": [severity] * n,
            "column": columns,
            "row": [None] * n,
            "case_id": [None] * n,
            "value": [None] * n,
            "message": messages,
            "source_column": shown,
        },
        schema=FINDINGS_SCHEMA,
    ).with_columns(
        clean_series(pl.Series(messages, dtype=pl.String)).alias("message"),
        clean_series(pl.Series(columns, dtype=pl.String)).alias("column"),
        clean_series(pl.Series(shown, dtype=pl.String)).alias("source_column"),
    )  # a header cell may hold one


def _case_id_expr(present: list[str]) -> pl.Expr:
    if "case_id" in present:
        return pl.col(RAW + "case_id")
    return pl.lit(None, dtype=pl.String)


def _value_expr(value: pl.Expr, column: str | None) -> pl.Expr:
    v = value.cast(pl.String)
    if column == "patient_id":
        # a personnummer-shaped id is never shown, valid or not; a pseudonym is
        v = _mask_whole_id(v)
    return v


def _mask_whole_id(v: pl.Expr) -> pl.Expr:
    return (
        pl.when(personnummer.is_personnummer_like(v).fill_null(False))
        .then(pl.lit(personnummer.MASK))
        .otherwise(v)
    )


def _mask_quarantine(frame: pl.DataFrame) -> pl.DataFrame:
    """Quarantined rows as strings through the output guard: every personnummer (in any column)
    masked, a personnummer-shaped ``patient_id`` wholly, controls shown as text."""
    if not frame.height:
        return frame
    out = frame
    if "patient_id" in out.columns:
        pid = pl.col("patient_id").cast(pl.String)
        out = out.with_columns(_mask_whole_id(pid).alias("patient_id"))
    return guard_frame(out)


# --------------------------------------------------------------------------------------------
# outputs


def summary(result: ValidationResult) -> dict:
    """Per-table counts and provenance as plain data (for JSON and the terminal summary)."""
    profile = result.profile
    return {
        "area": result.area,
        "extract_date": result.extract_date.isoformat(),
        "errors": result.error_count,
        "warnings": result.warning_count,
        "mapping": None
        if profile is None
        else {"file": clean_value(profile.name), "sha256": profile.sha256},
        "tables": {
            n: {
                "file": clean_value(str(t.path)) if t.path else None,
                "sha256": t.sha256,
                "rows_read": t.rows_read,
                "accepted": t.n_accepted,
                "quarantined": t.n_quarantined,
                "dropped": t.dropped,
                "unknown_columns": [clean_value(c) for c in t.unknown_columns],
                "unknown_cells": dict(t.unknown_cells),
                "columns": {
                    c: [clean_value(x) for x in t.alternates.get(c, [src])]
                    for c, src in t.columns.items()
                },
            }
            for n, t in result.tables.items()
        },
    }


def write_findings(result: ValidationResult, target: Path | str) -> None:
    """Write every finding to ``.csv`` (one row per finding) or ``.json`` (summary + findings)."""
    from nhvmetrics.io.writers import write_csv, write_json

    suffix = Path(target).suffix.lower()
    if suffix == ".csv":
        write_csv(result.findings, target)
    elif suffix == ".json":
        write_json(summary(result), result.findings, target, key="findings")
    else:
        raise NhvError(f"--errors must end in .csv or .json, got '{Path(target).name}'.")


def quarantine_frame(result: ValidationResult) -> pl.DataFrame:
    """The quarantined rows of every table in one frame: ``table``, ``_row``, then the columns.

    Only canonical columns (an allow-list from the schema), as cleaned strings through the
    output guard: no identifying export column (names, addresses) can get in."""
    schema = result.schema or load_schema(result.area)
    parts = [
        t.quarantined.select(
            pl.lit(n).alias("table"),
            *[c for c in t.quarantined.columns if c == ROW or c in schema.tables[n].columns],
        )
        for n, t in result.tables.items()
        if t.quarantined.height or n == CASE_TABLE
    ]
    if not parts:
        return pl.DataFrame(schema={"table": pl.String, ROW: pl.Int64})
    return pl.concat(parts, how="diagonal")


def write_quarantine(result: ValidationResult, target: Path | str) -> None:
    """Write the quarantined rows (personnummer masked) to a CSV file."""
    from nhvmetrics.io.writers import write_csv

    if Path(target).suffix.lower() != ".csv":
        raise NhvError(f"--quarantine must end in .csv, got '{Path(target).name}'.")
    write_csv(quarantine_frame(result), target)
