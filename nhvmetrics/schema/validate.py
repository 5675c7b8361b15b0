"""Validate an export: read → normalise → type → row checks → accepted / quarantined frames.

    >>> result = validate_export("acc", {"cases": Path("acc_cases.csv")})
    >>> result.has_errors, result.table("cases").accepted.height

``accepted + quarantined + dropped = rows_read`` holds for every table.  A row with at least
one *error* finding is quarantined; *warnings* keep the row.  The findings are one polars frame
(``table, check, severity, column, row, case_id, value, message``) in which no personnummer ever
appears: ``value`` and ``case_id`` are masked (``<personnummer>``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from nhvmetrics.errors import NhvError
from nhvmetrics.io.readers import ROW, RawTable, frame_as_raw, read_table
from nhvmetrics.schema import personnummer
from nhvmetrics.schema.checks import DUPLICATE, RAW, duplicated, row_checks
from nhvmetrics.schema.model import CASE_TABLE, AreaSchema, load_schema
from nhvmetrics.schema.normalize import BIRTH_REPLACED, NormalizedTable, normalize_table, wanted_columns

FINDINGS_SCHEMA = {
    "table": pl.String,
    "check": pl.String,
    "severity": pl.String,
    "column": pl.String,
    "row": pl.Int64,
    "case_id": pl.String,
    "value": pl.String,
    "message": pl.String,
}
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
    quarantined: pl.DataFrame  # _row + canonical columns as cleaned strings, personnummer masked
    unknown_columns: list[str] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # canonical -> input column name
    missing_required: list[str] = field(default_factory=list)
    derived: list[str] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None

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
        return self.quarantined.height


@dataclass
class ValidationResult:
    area: str
    tables: dict[str, TableResult]
    findings: pl.DataFrame
    extract_date: dt.date

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


def validate_export(
    area: str,
    tables: dict[str, Path | str],
    extract_date: dt.date | None = None,
    contract: bool = True,
) -> ValidationResult:
    """Read and validate the files of one export (``{"cases": path, "episodes": path, ...}``).

    ``extract_date`` is the reference for "date in the future" (default: today).  Unreadable files
    raise :class:`~nhvmetrics.errors.InputError` (exit 2); an unknown table name raises
    :class:`~nhvmetrics.errors.NhvError` (exit 2).
    """
    schema = load_schema(area)
    _check_table_names(schema, tables, need_cases=True)
    known = _known_names(schema)
    raws = {}
    for name, path in tables.items():
        spec = schema.tables[name]
        raws[name] = read_table(
            Path(path), table=name, sheets=spec.sheets, known_names=known[name],
            select=lambda names, spec=spec: wanted_columns(names, spec, schema),
        )
    return _validate(schema, raws, extract_date, contract)


def validate_frames(
    area: str,
    frames: dict[str, pl.DataFrame],
    extract_date: dt.date | None = None,
    contract: bool = True,
) -> ValidationResult:
    """Like :func:`validate_export` for frames already in memory (any dtypes; names as in an export).

    A ``_row`` column is kept as the row number; without it rows are numbered 2, 3, ….
    The case table may be left out (then secondary tables are not checked for orphans).
    """
    schema = load_schema(area)
    _check_table_names(schema, frames, need_cases=False)
    return _validate(schema, {n: frame_as_raw(f) for n, f in frames.items()}, extract_date, contract)


def _check_table_names(schema: AreaSchema, tables, need_cases: bool) -> None:
    for name in tables:
        if name not in schema.tables:
            raise NhvError(
                f"area '{schema.area}' has no table '{name}'; use one of: {', '.join(schema.tables)}."
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
    schema: AreaSchema, raws: dict[str, RawTable], extract_date: dt.date | None, contract: bool
) -> ValidationResult:
    today = dt.date.today()
    ref = extract_date or today
    order = [n for n in schema.tables if n in raws]
    normalized: dict[str, NormalizedTable] = {}
    for name in order:
        normalized[name] = normalize_table(raws[name], schema.tables[name], schema, today)
        # the frame as read is no longer needed: free it before the checks (memory at 10^7 rows)
        raws[name].frame = raws[name].frame.clear()

    parent_ids: dict[str, pl.Series] = {}
    for name in order:
        n = normalized[name]
        spec = schema.tables[name]
        for child in schema.tables.values():
            if child.parent and child.parent[0] == name and child.parent[1] in n.raw.columns:
                parent_ids[name] = n.raw[child.parent[1]].filter(n.keep).drop_nulls().unique()

    results: dict[str, TableResult] = {}
    all_findings: list[pl.DataFrame] = []
    for name in order:
        spec = schema.tables[name]
        n = normalized[name]
        raw_t = raws[name]
        findings: list[pl.DataFrame] = []
        present = [c for c in n.typed.columns if c != ROW]
        missing_required = [c for c in spec.required if c not in present]

        # table-level findings
        for c in missing_required:
            findings.append(_table_finding(name, "missing_required_column", "error", c,
                                           f"required column {c} is missing (expected e.g. {spec.columns[c].inca_name}); "
                                           "every row of the table is quarantined"))
        if n.unknown_columns:  # one frame for all (a wide export has hundreds)
            findings.append(_table_findings(name, "unknown_column", "warning", n.unknown_columns,
                                            [f"column {c!r} is not part of the {schema.area} schema; it is ignored"
                                             for c in n.unknown_columns]))
        for c, canonical in n.duplicate_columns:  # ambiguous: the table is unusable as it is
            findings.append(_table_finding(name, "duplicate_column", "error", c,
                                           _duplicate_message(n.sources.get(canonical), c, canonical)))
        for note in raw_t.notes:
            findings.append(_table_finding(name, "input_note", "warning", None, note))

        # row checks
        parent = None
        if spec.parent and spec.parent[0] in parent_ids:
            parent = parent_ids[spec.parent[0]]
        checks = row_checks(spec, present, ref, today, parent, birth_replaced=BIRTH_REPLACED in n.extra)
        extra = [s.alias(k) for k, s in n.extra.items()]
        if spec.key and spec.key in present:
            kept_key = pl.select(pl.when(pl.lit(n.keep)).then(pl.lit(n.raw[spec.key]))).to_series()
            extra.append(duplicated(kept_key).alias(DUPLICATE + spec.key))
        work = n.typed.with_columns([n.raw[c].alias(RAW + c) for c in present] + extra)
        case_expr = _case_id_expr(present)
        quarantine = pl.lit(bool(missing_required))
        if checks:
            keep = pl.lit(n.keep)  # dropped rows are not checked
            masks = work.lazy().select([(c.mask & keep).alias(f"__m{i}") for i, c in enumerate(checks)]).collect()
            counts = masks.select(pl.all().sum()).row(0)
            for i, (chk, cnt) in enumerate(zip(checks, counts)):
                if not cnt:
                    continue
                m = masks[f"__m{i}"]
                value = _value_expr(chk.value, chk.column)
                message = chk.message if isinstance(chk.message, pl.Expr) else pl.lit(chk.message)
                needed = {ROW, *case_expr.meta.root_names(), *value.meta.root_names(), *message.meta.root_names()}
                # gather only what the finding shows, column by column: an eager select over columns
                # of different chunking rechunks all of them (~0.1 s per check at 10^6 rows); the
                # gathered columns are contiguous, which multi-column string expressions need
                idx = m.arg_true()
                findings.append(
                    pl.DataFrame([work.get_column(c).gather(idx) for c in work.columns if c in needed])
                    .select(
                        pl.lit(name).alias("table"),
                        pl.lit(chk.check).alias("check"),
                        pl.lit(chk.severity).alias("severity"),
                        pl.lit(chk.column, dtype=pl.String).alias("column"),
                        pl.col(ROW).cast(pl.Int64).alias("row"),
                        case_expr.alias("case_id"),
                        value.alias("value"),
                        message.cast(pl.String).alias("message"),
                    )
                )
            error_masks = [f"__m{i}" for i, (c, cnt) in enumerate(zip(checks, counts)) if cnt and c.severity == "error"]
            if error_masks:
                qmask = masks.select(pl.any_horizontal(error_masks).alias("q"))["q"]
            else:
                qmask = pl.repeat(False, work.height, dtype=pl.Boolean, eager=True).alias("q")
        else:
            qmask = pl.repeat(False, work.height, dtype=pl.Boolean, eager=True).alias("q")
        if missing_required or n.duplicate_columns:
            qmask = pl.repeat(True, work.height, dtype=pl.Boolean, eager=True).alias("q")
        del quarantine

        del work
        qmask = qmask & n.keep
        quarantined = _mask_quarantine(n.raw.filter(qmask))
        typed = n.typed
        n.raw = n.typed = None  # free the cleaned text before copying the accepted rows
        n.extra = {}
        accept = n.keep & ~qmask
        accepted = typed if accept.all() else typed.filter(accept)
        del typed
        if contract and accepted.height:
            from nhvmetrics.schema.contract import check_contract

            check_contract(schema.area, spec, accepted)
        results[name] = TableResult(
            name=name,
            path=raw_t.path,
            format=raw_t.format,
            rows_read=n.rows_read,
            dropped=n.dropped,
            accepted=accepted,
            quarantined=quarantined,
            unknown_columns=list(n.unknown_columns),
            columns=dict(n.sources),
            missing_required=missing_required,
            derived=n.derived,
            encoding=raw_t.encoding,
            delimiter=raw_t.delimiter,
            sheet=raw_t.sheet,
        )
        if findings:
            tf = pl.concat([f.cast(FINDINGS_SCHEMA) for f in findings], how="vertical")
            tf = tf.sort(["row", "column", "check"], nulls_last=False, maintain_order=True)
            all_findings.append(tf)
    if all_findings:
        findings_frame = pl.concat(all_findings, how="vertical")
    else:
        findings_frame = pl.DataFrame(schema=FINDINGS_SCHEMA)
    return ValidationResult(area=schema.area, tables=results, findings=findings_frame, extract_date=ref)


def _duplicate_message(first: str | None, second: str, canonical: str) -> str:
    import re

    base = re.sub(r"_duplicated_\d+$", "", second)
    if first is not None and base.strip().lower() == first.strip().lower():
        what = f"the table has two columns named {first!r}"
    else:
        what = f"columns {first!r} and {second!r} both give {canonical}"
    return (f"{what}, so it is not clear which one holds {canonical}; every row of the table is "
            "quarantined: remove or rename one of them and export again")


def _table_finding(table: str, check: str, severity: str, column: str | None, message: str) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "table": [table],
            "check": [check],
            "severity": [severity],
            "column": [None if column is None else personnummer_safe(column)],
            "row": [None],
            "case_id": [None],
            "value": [None],
            "message": [personnummer_safe(message)],
        },
        schema=FINDINGS_SCHEMA,
    )


def _table_findings(table: str, check: str, severity: str, columns: list[str], messages: list[str]) -> pl.DataFrame:
    """Several table-level findings at once: the same rows as one :func:`_table_finding` per column."""
    n = len(columns)
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
        },
        schema=FINDINGS_SCHEMA,
    ).with_columns(personnummer.mask_text(pl.col("message")).alias("message"),
                   personnummer.mask_text(pl.col("column")).alias("column"))  # a header cell may hold one


def personnummer_safe(text: str) -> str:
    return pl.select(personnummer.mask_text(pl.lit(text))).item()


def _case_id_expr(present: list[str]) -> pl.Expr:
    if "case_id" in present:
        return personnummer.mask_text(pl.col(RAW + "case_id")).str.slice(0, MAX_VALUE_CHARS)
    return pl.lit(None, dtype=pl.String)


def _value_expr(value: pl.Expr, column: str | None) -> pl.Expr:
    v = value.cast(pl.String)
    if column == "patient_id":
        # a personnummer-shaped id is never shown; a pseudonym is
        v = pl.when(personnummer.is_shaped(v.str.strip_chars()).fill_null(False)).then(pl.lit(personnummer.MASK)).otherwise(v)
    return personnummer.mask_text(v).str.slice(0, MAX_VALUE_CHARS)


def _mask_quarantine(frame: pl.DataFrame) -> pl.DataFrame:
    """Quarantined rows as strings with every personnummer (in any column) masked."""
    if not frame.height:
        return frame
    out = personnummer.mask_frame(frame)
    if "patient_id" in out.columns:
        pid = pl.col("patient_id")
        out = out.with_columns(
            pl.when(personnummer.is_shaped(pid.str.strip_chars()).fill_null(False)).then(pl.lit(personnummer.MASK)).otherwise(pid).alias("patient_id")
        )
    return out


# --------------------------------------------------------------------------------------------
# outputs


def summary(result: ValidationResult) -> dict:
    """Per-table counts and provenance as plain data (for JSON and the terminal summary)."""
    return {
        "area": result.area,
        "extract_date": result.extract_date.isoformat(),
        "errors": result.error_count,
        "warnings": result.warning_count,
        "tables": {
            n: {
                "file": personnummer_safe(str(t.path)) if t.path else None,
                "sha256": t.sha256,
                "rows_read": t.rows_read,
                "accepted": t.n_accepted,
                "quarantined": t.n_quarantined,
                "dropped": t.dropped,
                "unknown_columns": [personnummer_safe(c) for c in t.unknown_columns],
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
    """The quarantined rows of every table in one frame: ``table``, ``_row``, then the columns."""
    parts = [
        t.quarantined.select(pl.lit(n).alias("table"), pl.all())
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
