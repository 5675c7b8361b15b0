"""The batch configuration file of ``nhvmetrics report --config nhvmetrics.toml``, strictly typed.

Every key is one field of a pydantic model below, with its type, range, default and the words a
user reads when the value is wrong: :class:`Settings` holds the keys allowed at the top of the
file (defaults for every report) and in each ``[[report]]`` table, :class:`TopLevel` the keys of
the top only, :class:`ReportEntry` those of a ``[[report]]`` only. **Adding a key is one line**
in one of them; a job reads it as ``job.settings.<key>``.

Validation is strict: a value of the wrong TOML type is never converted (``min_count = true`` is
not 1, ``xlsx = "false"`` is not true), an unknown key is an error, and every path the run will
write is confined (outputs stay inside ``output_dir``; nothing written is an input or the config
file). Every failure becomes one sentence naming the file, the ``[[report]]`` and the key
(:class:`NhvError`, exit 2). The format is documented in docs/batch.md.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from nhvmetrics import AREAS
from nhvmetrics.areas import resolve_area
from nhvmetrics.errors import NhvError
from nhvmetrics.io.guard import safe_file_name

DEFAULT_OUTPUT_DIR = "reports"
DEFAULT_SUMMARY = "run-summary.json"
#: where the run summary goes when the config cannot be read or names no safe place for it:
#: beside the config file, named after it (``nhvmetrics.toml`` -> ``nhvmetrics.run-summary.json``)
FALLBACK_SUMMARY_SUFFIX = ".run-summary.json"


def _one_or_list(value: Any) -> Any:
    """``years = 2025`` is ``years = [2025]`` (a bool is not a year: it stays and fails)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return [value]
    return value


def _iso_date(value: Any) -> Any:
    """A TOML date (``2026-02-15``) or a string ``"2026-02-15"``; not a date-time."""
    if isinstance(value, dt.datetime):
        raise ValueError("a date without a time")
    if isinstance(value, str):
        text = value.strip()
        if len(text) != 10:
            raise ValueError("YYYY-MM-DD")
        return dt.date.fromisoformat(text)  # ValueError -> the field's own message
    return value


Year = Annotated[int, Field(ge=1900, le=2200)]
Years = Annotated[list[Year], BeforeValidator(_one_or_list), Field(min_length=1)]
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
Text = Annotated[str, Field(min_length=1)]


def key(default: Any, expect: str, **constraints: Any) -> Any:
    """A config key: its default and what it must be, in words (``min_count must be <expect>``)."""
    return Field(default, description=expect, **constraints)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Settings(_Strict):
    """Keys allowed at the top of the file (the default of every report) and in a [[report]]."""

    years: Years | None = key(
        None, "a year or a list of years 1900–2200 (e.g. years = [2024, 2025])"
    )
    lang: Literal["sv", "en"] = key("sv", '"sv" or "en"')
    min_count: int = key(5, "a whole number of at least 1 (e.g. min_count = 5)", ge=1)
    xlsx: bool = key(True, "true or false (without quotes)")
    extract_date: IsoDate | None = key(None, 'a date YYYY-MM-DD (e.g. extract_date = "2026-02-15")')
    unit: str | None = key(None, 'a unit code in quotes (e.g. unit = "11001"; "" for none)')
    ci_method: Literal["wilson", "clopper-pearson"] = key("wilson", '"wilson" or "clopper-pearson"')
    strict: bool = key(False, "true or false (without quotes)")
    max_quarantined: float = key(
        0.2, "a share from 0 to 1 (e.g. max_quarantined = 0.2)", ge=0.0, le=1.0
    )
    definitions: list[Text] = key(
        [], 'a list of folders of own definitions in quotes (e.g. definitions = ["region/"])'
    )
    coverage: Text | None = key(
        None, 'the path of a coverage CSV in quotes (e.g. coverage = "expected.csv")'
    )
    suppress: Literal["denominator", "cells"] = key("denominator", '"denominator" or "cells"')
    params: dict[Text, int | float | str | dict[Text, int | float | str]] = key(
        {},
        "a table of parameter values, for every indicator or per indicator id "
        '(e.g. params = { "acc.visit_within_x" = { x_days = 10 } })',
    )
    targets: dict[Text, dict[Literal["intermediate", "high", "direction"], float | str]] = key(
        {},
        "a table of target levels per indicator id "
        '(e.g. targets = { "acc.visit_within_x" = { intermediate = 0.8, high = 0.9 } })',
    )
    mapping: Text | None = key(
        None, 'the path of a mapping profile in quotes (e.g. mapping = "acc-profile.yaml")'
    )

    @field_validator("unit")
    @classmethod
    def _unit(cls, v: str | None) -> str | None:
        if v is not None and not _plain_name(v, allow_empty=True):
            raise ValueError("a code, not a path")
        return v.strip() or None if v is not None else None


class ReportEntry(Settings):
    """One ``[[report]]`` table: one export (and its years)."""

    area: str = key(..., f"one of {', '.join(AREAS)} or the path of an area folder in quotes")
    cases: Text = key(..., 'the path of the case table in quotes (e.g. cases = "acc_cases.csv")')
    tables: dict[Text, Text] = key(
        {}, 'a table of paths in quotes (e.g. tables = { episodes = "anal_episodes.csv" })'
    )
    name: str | None = key(
        None, 'a file name without folder or extension (e.g. name = "anal-lund")', min_length=1
    )

    @field_validator("area")
    @classmethod
    def _area(cls, v: str) -> str:
        if v.strip().lower() in AREAS:
            return v.strip().lower()
        if not v.strip() or ("/" not in v and "\\" not in v and not v.startswith(".")):
            raise ValueError("unknown area")
        return v  # an area folder, resolved against the config file's folder

    @field_validator("name")
    @classmethod
    def _name(cls, v: str | None) -> str | None:
        if v is not None and not _plain_name(v):
            raise ValueError("not a plain file name")
        return v


class TopLevel(Settings):
    """The whole file: the top-level keys and the list of [[report]] tables."""

    output_dir: Text = key(
        DEFAULT_OUTPUT_DIR, 'the path of a folder in quotes (e.g. output_dir = "reports")'
    )
    summary: Text = key(
        DEFAULT_SUMMARY,
        'a .json file name inside output_dir (e.g. summary = "run-summary.json")',
    )
    log_format: Literal["text", "json"] = key(
        "text", '"text" or "json" (one JSON object a line: time, level, report, message)'
    )
    report: list[ReportEntry] = key(..., "[[report]] tables", min_length=1)


#: the keys of each place, for messages and the docs test
SETTING_KEYS = tuple(Settings.model_fields)
TOP_KEYS = tuple(TopLevel.model_fields)
REPORT_KEYS = tuple(ReportEntry.model_fields)


def _plain_name(text: str, allow_empty: bool = False) -> bool:
    """A name that is one file name in one folder: no separator, no ``..``, no control character,
    not hidden (``.x``: the temporary files of the atomic writer start with a dot)."""
    t = text.strip()
    if not t:
        return allow_empty
    if any(c in t for c in "/\\") or any(ord(c) < 32 or ord(c) == 127 for c in t):
        return False
    return not t.startswith(".") and t != ".." and len(t) <= 200


# ---------------------------------------------------------------- the loaded config


@dataclass
class ReportJob:
    """One report of the batch: one export, one year."""

    name: str  # output file stem, e.g. acc-2025 or acc-2025-11001
    area: str  # the area's name
    year: int
    cases: Path
    tables: dict[str, Path]
    entry: int  # number of its [[report]] table (jobs of one entry share one validation)
    settings: Settings  # every setting, the report's own over the top level's over the default
    area_ref: str | Path = ""  # what RunOptions resolves: the shipped name or the area folder
    definitions: tuple[Path, ...] = ()  # a region's own definition folders (absolute)
    coverage: Path | None = None  # the coverage CSV (absolute)
    mapping: Path | None = None  # the mapping profile (settings.mapping, from the config's folder)

    @property
    def unit(self) -> str | None:
        return self.settings.unit

    @property
    def inputs(self) -> dict[str, Path]:
        return {"cases": self.cases, **self.tables}


@dataclass
class BatchConfig:
    path: Path
    output_dir: Path
    summary: Path
    jobs: list[ReportJob]
    log_format: str = "text"


def load_config(path: Path | str) -> BatchConfig:
    """Read and check a batch TOML file; paths in it are relative to the file's folder.

    Raises :class:`NhvError` (exit 2) naming the file, the ``[[report]]`` and the key.
    """
    path = Path(path)
    raw = read_toml(path)
    try:
        top = TopLevel.model_validate(raw)
    except ValidationError as exc:
        raise NhvError(f"{path}: {describe(exc, raw)}") from None
    base = path.resolve().parent
    out_dir = (base / top.output_dir).resolve()
    _check_folder(path, out_dir, "top-level output_dir")
    summary = summary_path(path, out_dir, top.summary)
    defaults = top.model_dump(include=set(SETTING_KEYS), exclude_unset=True)

    jobs: list[ReportJob] = []
    names: dict[str, int] = {}
    for i, e in enumerate(top.report, start=1):
        where = f"[[report]] number {i} (area {e.area})"
        own = e.model_dump(include=set(SETTING_KEYS), exclude_unset=True)
        s = Settings.model_validate({**defaults, **own})
        if not s.years:
            raise NhvError(
                f"{path}: {where}: no years; set years = [2025] at the top or in the [[report]]."
            )
        tables = {k.strip().lower(): base / v for k, v in e.tables.items()}
        area_ref: str | Path = e.area if e.area in AREAS else base / e.area
        try:
            area_name = resolve_area(area_ref).name
        except NhvError as exc:
            raise NhvError(f"{path}: {where}: {exc}") from None
        definitions = tuple(base / d for d in s.definitions)
        coverage = base / s.coverage if s.coverage else None
        for y in sorted(set(s.years)):
            stem = f"{area_name}-{y}" + (f"-{s.unit}" if s.unit else "")
            if e.name:
                stem = f"{e.name}-{y}" if len(s.years) > 1 else e.name
            stem = safe_file_name(stem)  # a unit code may be a personnummer
            if stem in names:
                raise NhvError(
                    f"{path}: {where}: two reports would both write {stem}.html; "
                    'give one a name = "...".'
                )
            names[stem] = i
            jobs.append(
                ReportJob(
                    name=stem,
                    area=area_name,
                    year=y,
                    cases=base / e.cases,
                    tables=tables,
                    entry=i,
                    settings=s,
                    area_ref=area_ref,
                    definitions=definitions,
                    coverage=coverage,
                    mapping=base / s.mapping if s.mapping else None,
                )
            )
    _check_paths(path, out_dir, summary, jobs)
    return BatchConfig(
        path=path, output_dir=out_dir, summary=summary, jobs=jobs, log_format=top.log_format
    )


def read_toml(path: Path) -> dict[str, Any]:
    """The TOML file as a dict, or one sentence saying why it cannot be read."""
    import tomllib

    if not path.exists():
        raise NhvError(f"the config file {path} does not exist; check the path.")
    if not path.is_file():
        raise NhvError(f"the config file {path} is not a regular file; give the path of a file.")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise NhvError(
            f"{path}: not valid TOML ({exc}); see docs/batch.md for the format."
        ) from None
    except OSError as exc:
        raise NhvError(
            f"cannot read the config file {path} ({exc.strerror or type(exc).__name__}); "
            "check its permissions."
        ) from None


def _check_folder(cfg: Path, folder: Path, where: str) -> None:
    if folder.exists() and not folder.is_dir():
        raise NhvError(f"{cfg}: {where} {folder} is a file, not a folder; name a folder.")


def summary_path(cfg: Path, out_dir: Path, summary: str) -> Path:
    """``output_dir/summary``, refused unless it is a .json file inside output_dir."""
    p = Path(summary)
    target = (out_dir / p).resolve()
    plain = not p.is_absolute() and ".." not in p.parts and (out_dir / p) != out_dir
    if plain and not target.is_relative_to(out_dir):
        raise NhvError(
            f"{cfg}: top-level summary {out_dir / p} is a link to {target}, outside output_dir; "
            "remove the link or choose another name."
        )
    if p.is_absolute() or not target.is_relative_to(out_dir) or target == out_dir:
        raise NhvError(
            f"{cfg}: top-level summary must be a file inside output_dir, got {_shown(summary)}; "
            'use a name such as summary = "run-summary.json".'
        )
    if target.suffix.lower() != ".json":
        raise NhvError(
            f"{cfg}: top-level summary must end in .json (it is a JSON file), "
            f"got {_shown(summary)}."
        )
    return target


def _check_paths(cfg: Path, out_dir: Path, summary: Path, jobs: list[ReportJob]) -> None:
    """Nothing the run writes is an input or the config file, no two things are written to one
    file, and every report stays in ``output_dir``."""
    protected: dict[Path, str] = {cfg.resolve(): "the config file"}
    for job in jobs:
        for name, p in job.inputs.items():
            protected.setdefault(p.resolve(), f"the {name} table of [[report]] number {job.entry}")
        if job.mapping is not None:
            protected.setdefault(
                job.mapping.resolve(), f"the mapping profile of [[report]] number {job.entry}"
            )
    writes: dict[Path, str] = {summary: "the run summary (top-level summary)"}
    for job in jobs:
        for ext in (".html", ".xlsx") if job.settings.xlsx else (".html",):
            # name and unit are plain file names, so the file is in output_dir; resolved, it
            # is what a symlink there points to (refused below if that is an input)
            target = (out_dir / f"{job.name}{ext}").resolve()
            what = f"the output {job.name}{ext} of [[report]] number {job.entry}"
            if target in writes:
                raise NhvError(
                    f"{cfg}: {what} and {writes[target]} are the same file; rename one of them."
                )
            writes[target] = what
    for target, what in writes.items():
        hit = protected.get(target) or _same_file(target, protected)
        if hit:
            raise NhvError(
                f"{cfg}: {what} would overwrite {hit} ({target}); "
                "choose another name or output_dir."
            )


def _same_file(target: Path, protected: dict[Path, str]) -> str | None:
    """A hard link to an input is the input too."""
    try:
        st = os.stat(target)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    for p, what in protected.items():
        try:
            if os.path.samefile(p, target):
                return what
        except OSError:
            continue
    return None


# ---------------------------------------------------------------- messages


def describe(exc: ValidationError, raw: Any) -> str:
    """A pydantic validation error as one sentence: where (top level or which [[report]]),
    which key, what it must be, and what it was; the other wrong keys of the file named after."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    where, key_name, fields = _locate(first["loc"], raw)
    kind = first["type"]
    covered = {(where, key_name)}
    if kind == "extra_forbidden":
        extra = sorted(
            {
                str(e["loc"][-1])
                for e in errors
                if e["type"] == "extra_forbidden" and _locate(e["loc"], raw)[0] == where
            }
        )
        covered |= {(where, k) for k in extra}
        allowed = ", ".join(sorted(fields))
        if where == "top level":
            msg = f"unknown setting(s) {', '.join(extra)}; allowed: {allowed}"
        else:
            msg = f"{where}: unknown key(s) {', '.join(extra)}; allowed: {allowed}"
    elif kind == "missing" and key_name == "report":
        msg = "needs at least one [[report]] table with area and cases"
    elif kind == "missing":
        msg = f"{where}: needs {key_name}: {fields.get(key_name, '')}"
    elif key_name == "report":
        msg = (
            "needs at least one [[report]] table with area and cases "
            "(report must be [[report]] tables)"
        )
    else:
        prefix = "top-level " if where == "top level" else f"{where}: "
        expect = fields.get(key_name, "valid")
        msg = f"{prefix}{key_name} must be {expect}, got {_shown(first.get('input'))}"
    others: list[str] = []
    for e in errors[1:]:
        w, k, _ = _locate(e["loc"], raw)
        if e["type"] == "extra_forbidden":
            k = str(e["loc"][-1])
        if (w, k) in covered:
            continue
        place = "at the top level" if w == "top level" else f"in {w}"
        label = f"unknown key {k} {place}" if e["type"] == "extra_forbidden" else f"{k} {place}"
        if label not in others:
            others.append(label)
    also = ""
    if others:
        also = f"; also wrong: {', '.join(others[:5])}" + (" …" if len(others) > 5 else "")
    return f"{msg}{also}."


def _locate(loc: tuple[Any, ...], raw: Any) -> tuple[str, str, dict[str, str]]:
    """(where, key, {key: expectation} of that place) of a pydantic error location."""
    if len(loc) >= 2 and loc[0] == "report" and isinstance(loc[1], int):
        i = loc[1]
        area = ""
        entries = raw.get("report") if isinstance(raw, dict) else None
        if isinstance(entries, list) and i < len(entries) and isinstance(entries[i], dict):
            a = entries[i].get("area")
            if isinstance(a, str) and a.strip():
                area = f" (area {a.strip()})"
        key_name = str(loc[2]) if len(loc) > 2 else "report"
        if key_name == "tables" and len(loc) > 3:
            key_name = "tables"
        return f"[[report]] number {i + 1}{area}", key_name, _expectations(ReportEntry)
    return "top level", str(loc[0]) if loc else "", _expectations(TopLevel)


def _expectations(model: type[BaseModel]) -> dict[str, str]:
    return {k: f.description or "" for k, f in model.model_fields.items()}


def _shown(value: Any) -> str:
    """A value as it reads in TOML, cut short."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = '"' + value.replace('"', '\\"') + '"'
    elif isinstance(value, dict):
        text = "{ " + ", ".join(f"{k} = {_shown(v)}" for k, v in value.items()) + " }"
    elif isinstance(value, list):
        text = "[" + ", ".join(_shown(v) for v in value) + "]"
    else:
        text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"
