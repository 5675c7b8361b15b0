"""The validation stamp of a Parquet file written by ``nhvmetrics convert``.

``convert`` writes the accepted rows with canonical names and types, and puts in the file's
Parquet key-value metadata (key :data:`STAMP_KEY`, a JSON object) what the validation of those
rows was: the schema fingerprint (SHA-256 of the area's schema as used, after the mapping
profile), the profile's SHA-256 (or null), the tool version, the reference date of the checks,
the row count of the file and the accounting of the conversion (rows read, accepted,
quarantined, dropped per reason, cells read as unknown per column). No value of a row is in it:
counts, column names and digests only, and it goes through the output guard.

``compute`` and ``report`` (the pipeline's :func:`~nhvmetrics.pipeline.validate` for any purpose
but ``CHECK``) read a stamped file whose stamp matches the run directly: the typed columns, no
second validation. A stamp that does not match is ignored with one note (``note: … validating
again``) and the file is validated as usual; see docs/validation.md.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nhvmetrics.schema.model import AreaSchema
    from nhvmetrics.schema.validate import Needs, ValidationResult

STAMP_KEY = "nhvmetrics.validation"
STAMP_FORMAT = 1
STAMP_CHECK = "validation_stamp"  # the table-level finding that says validation came from it


def _plain(value: Any) -> Any:
    """A schema as JSON-able data in a fixed order (no install paths, no profile object)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name not in ("source", "profile")
        }
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(_plain(v) for v in value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def schema_fingerprint(schema: AreaSchema) -> str:
    """SHA-256 of the schema as used (after a mapping profile), independent of where it lives."""
    text = json.dumps(_plain(schema), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def profile_sha256(schema: AreaSchema) -> str | None:
    profile = schema.profile
    return None if profile is None else str(profile.sha256)


def stamps_of(result: ValidationResult) -> dict[str, dict[str, str]]:
    """The Parquet key-value metadata for every table of a validated export (as convert writes
    them: the accepted rows)."""
    from nhvmetrics import __version__
    from nhvmetrics.io.guard import guard_json

    schema = result.schema
    assert schema is not None  # validate_export always sets it
    fingerprint = schema_fingerprint(schema)
    profile = profile_sha256(schema)
    body = {
        name: {
            "format": STAMP_FORMAT,
            "tool": "nhvmetrics",
            "version": __version__,
            "area": result.area,
            "table": name,
            "schema_sha256": fingerprint,
            "profile_sha256": profile,
            "checked_against": result.extract_date.isoformat(),
            "rows": t.n_accepted,
            "rows_read": t.rows_read,
            "accepted": t.n_accepted,
            "quarantined": t.n_quarantined,
            "dropped": {str(k): int(v) for k, v in t.dropped.items()},
            "unknown_cells": {str(k): int(v) for k, v in t.unknown_cells.items()},
            "derived": [str(c) for c in t.derived],
        }
        for name, t in result.tables.items()
    }
    # the tables of one conversion belong together: a digest of all their stamps
    run = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]
    out = {}
    for name, stamp in body.items():
        stamp["conversion"] = run
        payload = guard_json(stamp)
        out[name] = {STAMP_KEY: json.dumps(payload, sort_keys=True, ensure_ascii=False)}
    return out


def read_stamp(path: Path) -> dict[str, Any] | None:
    """The stamp of a Parquet file, or None (not Parquet, no stamp, unreadable)."""
    if path.suffix.lower() != ".parquet" or not path.is_file():
        return None
    import polars as pl

    try:
        meta = pl.read_parquet_metadata(path)
    except Exception:  # noqa: BLE001 - the reader words a broken file when it validates
        return None
    text = meta.get(STAMP_KEY)
    if text is None:
        return None
    try:
        stamp = json.loads(text)
    except ValueError:
        return {}
    return stamp if isinstance(stamp, dict) else {}


def _file_rows(path: Path) -> int | None:
    import polars as pl

    try:
        return int(pl.scan_parquet(path).select(pl.len()).collect().item())
    except Exception:  # noqa: BLE001 - validating again words it
        return None


def _mismatch(
    stamp: dict[str, Any],
    name: str,
    path: Path,
    schema: AreaSchema,
    fingerprint: str,
    reference: dt.date,
) -> str | None:
    """Why a stamp does not hold for this run (one clause), or None when it does."""
    from nhvmetrics import __version__

    if stamp.get("format") != STAMP_FORMAT or stamp.get("tool") != "nhvmetrics":
        return "its validation stamp is not one this version reads"
    if stamp.get("version") != __version__:
        return (
            f"its validation stamp is from nhvmetrics {stamp.get('version')}, this is {__version__}"
        )
    if stamp.get("area") != schema.area or stamp.get("table") != name:
        return (
            f"its validation stamp is for the {stamp.get('area')} {stamp.get('table')} table, "
            f"not the {schema.area} {name} table"
        )
    if stamp.get("profile_sha256") != profile_sha256(schema):
        return "its validation stamp is for another mapping profile (or none)"
    if stamp.get("schema_sha256") != fingerprint:
        return "its validation stamp is for another schema"
    try:
        checked = dt.date.fromisoformat(str(stamp.get("checked_against")))
    except ValueError:
        return "its validation stamp has no reference date"
    if checked > reference:
        return f"it was checked against {checked}, after this run's reference date {reference}"
    counts = [stamp.get(k) for k in ("rows", "rows_read", "accepted", "quarantined")]
    if not all(isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in counts):
        return "its validation stamp has no row counts"
    rows = _file_rows(path)
    if rows is None or rows != stamp["rows"] or stamp["accepted"] != stamp["rows"]:
        return f"it holds {rows} rows, its validation stamp says {stamp['rows']}"
    return None


def stamped_result(
    schema: AreaSchema,
    tables: Mapping[str, Path],
    extract_date: dt.date | None,
    needs: Needs,
) -> tuple[ValidationResult | None, list[str]]:
    """The validation of an export whose every table is a Parquet file with a stamp that holds
    for this run, read from the files without checking the rows again; else None. The second
    item is the notes to show (a stamp that does not hold: why, and that the file is validated
    again)."""
    stamps = {name: read_stamp(Path(p)) for name, p in tables.items()}
    if all(s is None for s in stamps.values()):
        return None, []
    reference = extract_date or dt.date.today()
    fingerprint = schema_fingerprint(schema)
    why: dict[str, str] = {}
    for name, stamp in stamps.items():
        path = Path(tables[name])
        if stamp is None:
            why[name] = "it has no validation stamp, and the export is validated as a whole"
            continue
        reason = _mismatch(stamp, name, path, schema, fingerprint, reference)
        if reason is not None:
            why[name] = reason
    runs = {s.get("conversion") for s in stamps.values() if s}
    if not why and len(runs) != 1:
        first = next(iter(tables))
        why[first] = "its tables come from different conversions"
    if why:
        notes = [
            f"note: {Path(tables[name]).name}: {reason}; validating again"
            for name, reason in why.items()
        ]
        return None, notes
    return _result(schema, tables, stamps, reference, needs), []  # type: ignore[arg-type]


def _result(
    schema: AreaSchema,
    tables: Mapping[str, Path],
    stamps: Mapping[str, dict[str, Any]],
    reference: dt.date,
    needs: Needs,
) -> ValidationResult:
    import polars as pl

    from nhvmetrics.io.readers import ROW
    from nhvmetrics.schema.validate import FINDINGS_SCHEMA, TableResult, ValidationResult

    results: dict[str, TableResult] = {}
    findings = []
    for name in [n for n in schema.tables if n in tables]:
        path, stamp = Path(tables[name]), stamps[name]
        names = list(pl.read_parquet_schema(path))
        if needs.columns is not None:
            wanted = needs.columns.get(name, frozenset())
            names = [c for c in names if c == ROW or c in wanted]
        frame = pl.read_parquet(path, columns=names)
        if needs.columns is not None:  # as validation keeps them: text as Categorical
            frame = frame.with_columns(pl.col(pl.String).cast(pl.Categorical))
        present = [c for c in frame.columns if c != ROW]
        results[name] = TableResult(
            name=name,
            path=path,
            format="parquet",
            rows_read=int(stamp["rows_read"]),
            dropped={str(k): int(v) for k, v in sorted(dict(stamp.get("dropped", {})).items())},
            accepted=frame,
            quarantined=pl.DataFrame(schema={ROW: pl.Int64, **dict.fromkeys(present, pl.String)}),
            quarantined_count=int(stamp["quarantined"]),
            columns={c: c for c in present},
            derived=[str(c) for c in stamp.get("derived", [])],
            unknown_cells={str(k): int(v) for k, v in dict(stamp.get("unknown_cells", {})).items()},
        )
        findings.append(
            {
                "table": name,
                "check": STAMP_CHECK,
                "severity": "info",
                "column": None,
                "row": None,
                "case_id": None,
                "value": None,
                "message": stamp_message(stamp),
                "source_column": None,
            }
        )
    return ValidationResult(
        area=schema.area,
        tables=results,
        findings=pl.DataFrame(findings, schema=FINDINGS_SCHEMA),
        extract_date=reference,
        schema=schema,
        profile=schema.profile,
        stamped=True,
    )


def stamp_message(stamp: Mapping[str, Any]) -> str:
    """What the stamp says of the conversion, in one sentence (the findings' accounting)."""
    dropped = sum(int(v) for v in dict(stamp.get("dropped", {})).values())
    return (
        f"validated by nhvmetrics {stamp.get('version')} convert against "
        f"{stamp.get('checked_against')} (the file's validation stamp): {stamp.get('rows_read')} "
        f"rows read, {stamp.get('accepted')} accepted, {stamp.get('quarantined')} quarantined, "
        f"{dropped} dropped; the rows were not checked again"
    )


def provenance_text(result: ValidationResult) -> str | None:
    """The report's provenance line when validation came from the stamps, else None."""
    if not result.stamped:
        return None
    files = ", ".join(t.path.name for t in result.tables.values() if t.path is not None)
    return f"from the validation stamp of nhvmetrics convert ({files}); rows not checked again"
