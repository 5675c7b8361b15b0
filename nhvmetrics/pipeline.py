"""The one pipeline: read → normalise → validate → compute → render.

Every entry point — the commands, the batch, the Python API (:mod:`nhvmetrics.api`) — describes
a run with one typed :class:`RunOptions` and calls the stage functions here, each of which hands
the next a typed result:

    >>> opts = RunOptions(area="acc", tables={"cases": Path("acc_cases.csv")}, year=2025)
    >>> validated = validate(opts, Purpose.REPORT)   # Validated: the ValidationResult and more
    >>> computed = compute(opts, validated)            # Computed: the indicator table
    >>> rendered = render(opts, computed)              # Rendered: ReportData, HTML, workbook

What each stage needs of the one before is decided here and only here (:data:`Purpose`): a
command that computes keeps only the columns the indicators read and no quarantined rows; a
report keeps the findings for its data-quality section; ``validate`` keeps everything.

The pipeline also says when the figures must not be trusted (:class:`Problem`): no accepted case
row, more than ``max_quarantined`` of the case rows quarantined, or no case in the reporting
year. The commands write what they can, marked as such, print the problems and exit 1.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nhvmetrics.errors import EXIT_INVALID, EXIT_USAGE, NhvError

if TYPE_CHECKING:
    import polars as pl

    from nhvmetrics.areas import Area
    from nhvmetrics.contract import Contract
    from nhvmetrics.engine.compute import ComputeResult
    from nhvmetrics.engine.definitions import Definition
    from nhvmetrics.report.model import ReportData
    from nhvmetrics.schema.validate import Needs, ValidationResult

CI_METHODS = ("wilson", "clopper-pearson")
LANGUAGES = ("sv", "en")
SUPPRESSION_POLICIES = ("denominator", "cells")
DEFAULT_MAX_QUARANTINED = 0.20


class Purpose(enum.Enum):
    """What a run does with the validation, which decides what validation keeps."""

    CHECK = "check"  # validate, convert: every finding, the quarantined rows, the contract
    COMPUTE = "compute"  # compute: the columns the indicators read, counts of what failed
    REPORT = "report"  # report: as compute, plus the findings for the data-quality section


# ---------------------------------------------------------------- the options of a run


def known_area(area: str | Path | Area) -> Area:
    """A shipped area (by name, any case) or an area folder (by path); otherwise a usage error
    naming the shipped areas and what a folder must hold."""
    from nhvmetrics.areas import resolve_area

    return resolve_area(area)


def parse_date(value: str | dt.date | None, option: str = "--extract-date") -> dt.date | None:
    """A date given as ``YYYY-MM-DD`` text (or a date), or None; one sentence otherwise."""
    if value is None or isinstance(value, dt.date):
        return value.date() if isinstance(value, dt.datetime) else value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise NhvError(f"{option} takes a date YYYY-MM-DD, got '{value}'.") from None


def parse_tables(
    path: Path | str, extra: Sequence[str] | Mapping[str, Any] | None
) -> dict[str, Path]:
    """The case table PATH plus the other tables, given as ``NAME=PATH`` items (``--table``) or
    as a mapping, as ``{"cases": PATH, NAME: PATH, ...}``."""
    tables: dict[str, Path] = {"cases": Path(path)}
    if isinstance(extra, Mapping):
        items = [(str(k), str(v)) for k, v in extra.items()]
    else:
        items = []
        for item in extra or []:
            name, sep, p = str(item).partition("=")
            if not sep or not name.strip() or not p.strip():
                raise NhvError(
                    f"--table takes NAME=PATH, got '{item}'; for example --table episodes=ep.csv."
                )
            items.append((name, p))
    for name, p in items:
        key = name.strip().lower()
        if key == "cases":
            raise NhvError("the cases table is the PATH argument; --table names the other tables.")
        tables[key] = Path(p.strip())
    return tables


@dataclass(frozen=True)
class RunOptions:
    """Everything one run of the pipeline is told, checked once, with one wording.

    ``area`` is a shipped area's name or the path of an area folder (it is resolved to an
    :class:`~nhvmetrics.areas.Area`); ``tables`` maps table names to files (``cases`` is
    required); ``definitions`` are folders (or files) of a region's own definitions, joined to
    the area's. The other fields are the options of the commands of the same names (see
    ``nhvmetrics COMMAND --help``). Construction fails with :class:`NhvError` (exit 2) naming the
    option, so a wrong value never reaches a stage.
    """

    area: Area
    tables: Mapping[str, Path]
    year: int | None = None
    extract_date: dt.date | None = None
    unit: str | None = None
    ci_method: str = "wilson"
    min_count: int = 5
    lang: str = "sv"
    strict: bool = False
    max_quarantined: float = DEFAULT_MAX_QUARANTINED
    definitions: tuple[Path, ...] = ()
    mapping: Path | None = None
    suppress: str = "denominator"
    coverage: Path | None = None
    # a region's own parameter values and target levels for this run: {"x_days": 10} for every
    # indicator with that parameter, or {"acc.visit_within_x": {"x_days": 10}}; targets per
    # indicator, {"acc.visit_within_x": {"intermediate": 0.8, "high": 0.9}} (then shown, with
    # the source "override")
    params: Mapping[str, Any] = field(default_factory=dict)
    targets: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "area", known_area(self.area))
        tables = {str(k).lower(): Path(v) for k, v in self.tables.items()}
        if "cases" not in tables:
            raise NhvError("the 'cases' table is required; give its file as PATH.")
        object.__setattr__(self, "tables", tables)
        object.__setattr__(self, "extract_date", parse_date(self.extract_date))
        if self.year is not None and (
            isinstance(self.year, bool)
            or not isinstance(self.year, int)
            or not 1900 <= self.year <= 2200
        ):
            raise NhvError(f"--year must be a calendar year such as 2025, got {self.year}.")
        if self.year is not None and self.extract_date is not None:
            if self.year > self.extract_date.year:
                raise NhvError(
                    f"--year {self.year} is after the extract date {self.extract_date}; "
                    "a year can only be reported once it has begun in the data."
                )
        ci = str(self.ci_method).strip().lower()
        if ci not in CI_METHODS:
            raise NhvError(f"--ci takes one of {', '.join(CI_METHODS)}, got '{self.ci_method}'.")
        object.__setattr__(self, "ci_method", ci)
        if (
            isinstance(self.min_count, bool)
            or not isinstance(self.min_count, int)
            or self.min_count < 1
        ):
            raise NhvError(
                f"--min-count must be a whole number of at least 1, got {self.min_count}."
            )
        lang = str(self.lang).strip().lower()
        if lang not in LANGUAGES:
            raise NhvError(f"unknown language '{self.lang}'; --lang takes sv or en.")
        object.__setattr__(self, "lang", lang)
        if not 0.0 <= float(self.max_quarantined) <= 1.0:
            raise NhvError(
                "--max-quarantined takes a share from 0 to 1 (e.g. 0.2), "
                f"got {self.max_quarantined}."
            )
        suppress = str(self.suppress).strip().lower()
        if suppress not in SUPPRESSION_POLICIES:
            raise NhvError(
                f"--suppress takes one of {', '.join(SUPPRESSION_POLICIES)}, got '{self.suppress}'."
            )
        object.__setattr__(self, "suppress", suppress)
        if self.unit is not None:
            object.__setattr__(self, "unit", str(self.unit).strip() or None)
        object.__setattr__(self, "definitions", tuple(Path(p) for p in self.definitions))
        if self.coverage is not None:
            object.__setattr__(self, "coverage", Path(self.coverage))
        if self.mapping is not None:
            object.__setattr__(self, "mapping", Path(self.mapping))

    def with_year(self, year: int) -> RunOptions:
        """The same run for another reporting year (a batch reports several)."""
        return replace(self, year=year)

    @property
    def inputs(self) -> list[Path]:
        """Every file the run reads: an output must never be one of them."""
        return [
            *self.tables.values(),
            *self.definitions,
            *(p for p in (self.mapping, self.coverage) if p),
        ]

    def require_year(self) -> int:
        if self.year is None:
            raise NhvError("--year is required: the reporting year Y, e.g. --year 2025.")
        return self.year


# ---------------------------------------------------------------- stage results


@dataclass(frozen=True)
class Problem:
    """A reason not to trust the figures of a run: the command exits with ``exit_code``."""

    message: str
    exit_code: int = EXIT_INVALID


@dataclass
class Validated:
    """The export read, normalised and checked."""

    options: RunOptions
    result: ValidationResult
    definitions: list[Definition]
    contract: Contract
    extract_date: dt.date | None  # given, else the latest date in the data not in the future
    extract_date_given: bool
    problems: list[Problem] = field(default_factory=list)
    # one line each to show the user, e.g. a validation stamp that does not hold
    # ("note: x.parquet: …; validating again"); the commands print them, the batch logs them
    notes: list[str] = field(default_factory=list)

    @property
    def quarantined(self) -> int:
        return sum(t.n_quarantined for t in self.result.tables.values())

    @property
    def frames(self) -> dict[str, pl.DataFrame]:
        return self.result.accepted


@dataclass
class Computed:
    """The indicator table of one export for one reporting year (and the earlier years)."""

    validated: Validated
    result: ComputeResult
    problems: list[Problem] = field(default_factory=list)

    @property
    def table(self) -> pl.DataFrame:
        return self.result.table

    @property
    def extract_date(self) -> dt.date:
        return self.result.extract_date


@dataclass
class Rendered:
    """The annual report of one export: its data, the HTML and (if asked) the workbook."""

    computed: Computed
    data: ReportData
    html: str
    workbook: bytes | None = None

    @property
    def problems(self) -> list[Problem]:
        return self.computed.problems


# ---------------------------------------------------------------- the stages


def needs_of(purpose: Purpose, options: RunOptions, definitions: list[Definition]) -> Needs:
    """What validation keeps for a purpose: the one place this is decided."""
    from nhvmetrics.engine.compute import columns_needed
    from nhvmetrics.schema.validate import EVERYTHING, Needs

    if purpose is Purpose.CHECK:
        return EVERYTHING
    columns = {t: frozenset(c) for t, c in columns_needed(options.area, definitions).items()}
    if purpose is Purpose.COMPUTE:
        return Needs(contract=False, quarantined_rows=False, columns=columns, row_findings=False)
    # the report shows completeness per column, so it keeps every column
    return Needs(contract=False, quarantined_rows=False, columns=None, row_findings=True)


def load_definitions(options: RunOptions) -> list[Definition]:
    """The area's definitions, joined by a region's own (``--definitions``)."""
    return options.area.definitions(extra=options.definitions)


def validate(options: RunOptions, purpose: Purpose = Purpose.CHECK) -> Validated:
    """Read and check the export; decide the extract date; say what makes the data unusable."""
    from nhvmetrics.engine.compute import infer_extract_date
    from nhvmetrics.errors import InputError
    from nhvmetrics.schema.validate import validate_export

    contract = options.area.contract()
    for name, p in options.tables.items():
        if not contract.has_table(name):
            raise NhvError(
                f"area '{options.area.name}' has no table '{name}'; "
                f"use one of: {', '.join(contract.tables)}."
            )
        if not Path(p).is_file():
            raise InputError(f"the {name} table {p} does not exist; check the path.")
    definitions = load_definitions(options)
    needs = needs_of(purpose, options, definitions)
    result: ValidationResult | None = None
    notes: list[str] = []
    if purpose is not Purpose.CHECK:  # a file convert stamped is not validated again
        result, notes = _from_stamps(options, needs)
    if result is None:
        result = validate_export(
            options.area, options.tables, options.extract_date, needs=needs, mapping=options.mapping
        )
    extract_date = options.extract_date
    if extract_date is None:
        try:
            extract_date = infer_extract_date(result.accepted)
        except NhvError:
            extract_date = None
    validated = Validated(
        options=options,
        result=result,
        definitions=definitions,
        contract=contract,
        extract_date=extract_date,
        extract_date_given=options.extract_date is not None,
        notes=notes,
    )
    validated.problems.extend(_data_problems(validated))
    return validated


def _from_stamps(options: RunOptions, needs: Needs) -> tuple[ValidationResult | None, list[str]]:
    """The validation of an export of stamped Parquet files whose stamps hold for this run
    (:mod:`nhvmetrics.schema.stamp`), else None; and a note for each stamp that does not."""
    if not any(Path(p).suffix.lower() == ".parquet" for p in options.tables.values()):
        return None, []
    from nhvmetrics.schema.model import as_schema
    from nhvmetrics.schema.stamp import stamped_result
    from nhvmetrics.schema.validate import with_profile

    schema = with_profile(as_schema(options.area), options.mapping)
    return stamped_result(schema, options.tables, options.extract_date, needs)


def _data_problems(v: Validated) -> list[Problem]:
    """The case table has no accepted row, or too many of its rows were quarantined."""
    cases = v.result.tables["cases"]
    considered = cases.rows_read - cases.n_dropped
    out = []
    if cases.missing_required:
        out.append(Problem(missing_columns_message(cases)))
    elif cases.n_accepted == 0:
        why = (
            f"all {considered} case row(s) were quarantined"
            if considered
            else "the case table holds no case rows"
        )
        out.append(
            Problem(
                f"no usable case rows: {why}; no figure can be trusted "
                "(run nhvmetrics validate to see why)"
            )
        )
    elif considered and cases.n_quarantined / considered > v.options.max_quarantined:
        share = cases.n_quarantined / considered
        out.append(
            Problem(
                f"{cases.n_quarantined} of {considered} case rows ({share:.0%}) were quarantined, "
                f"more than --max-quarantined {v.options.max_quarantined:.0%}: the figures leave "
                "out too much of the export (run nhvmetrics validate to see why)"
            )
        )
    return out


def missing_columns_message(cases: Any) -> str:
    """The case table lacks required columns: which, the likeliest export column of each, and
    how to name them (a mapping profile, which ``nhvmetrics map`` drafts)."""
    parts = []
    for c in cases.missing_required:
        likely = cases.suggestions.get(c)
        parts.append(f"{c} (likeliest export column: '{likely}')" if likely else c)
    return (
        f"the case table lacks the required column(s) {', '.join(parts)}, so no row can be used; "
        "name them in a mapping profile and give it with --mapping (nhvmetrics map drafts one)"
    )


def compute(options: RunOptions, validated: Validated | None = None) -> Computed:
    """Every indicator of the area for Y and each earlier year in the data."""
    from nhvmetrics.engine.compute import compute_area

    year = options.require_year()
    if validated is None:
        validated = validate(options, Purpose.COMPUTE)
    if validated.extract_date is None and validated.problems:
        # nothing usable, so no date to take the extract date from: the reason is the error
        raise NhvError(validated.problems[0].message + ".", EXIT_INVALID)
    if validated.extract_date is None:
        raise NhvError(
            "the data hold no dates to take the extract date from; give --extract-date YYYY-MM-DD."
        )
    if year > validated.extract_date.year:
        raise NhvError(
            f"--year {year} is after the extract date {validated.extract_date}; "
            "a year can only be reported once it has begun in the data.",
            EXIT_USAGE,
        )
    coverage = None
    if options.coverage is not None:
        from nhvmetrics.engine.coverage import read_coverage

        coverage = read_coverage(options.coverage)
    result = compute_area(
        options.area,
        validated.frames,
        year,
        validated.extract_date,
        ci_method=options.ci_method,
        min_count=options.min_count,
        definitions=validated.definitions,
        contract=validated.contract,
        params=dict(options.params) or None,
        targets={k: dict(v) for k, v in options.targets.items()} or None,
        coverage=coverage,
        suppress=options.suppress,
    )
    if not validated.extract_date_given:
        result.extract_date_source = "data"
    problems = list(validated.problems)
    if not _year_has_cases(validated, year):
        problems.append(
            Problem(
                f"the reporting year {year} has no case in the data (no accepted case row has a "
                f"date in {year}); check --year and the export"
            )
        )
    computed = Computed(validated=validated, result=result, problems=problems)
    if problems:
        _mark_untrusted(computed, year)
    return computed


def _year_has_cases(v: Validated, year: int) -> bool:
    import polars as pl

    frame = v.frames.get("cases")
    if frame is None or frame.height == 0:
        return False
    dates = [c for c, t in frame.schema.items() if t == pl.Date and not c.startswith("_")]
    if not dates:
        return False
    hit = frame.select(pl.any_horizontal([pl.col(c).dt.year() == year for c in dates]).any())
    return bool(hit.item())


def _mark_untrusted(computed: Computed, year: int) -> None:
    """Rows over no usable cases are never marked computable: with no accepted case row every row
    is not computable; with no case in the year, the year's rows are not."""
    import polars as pl

    v = computed.validated
    no_cases = v.result.tables["cases"].n_accepted == 0
    table = computed.result.table
    hit = pl.lit(True) if no_cases else pl.col("period") == year
    reason = (
        "not computable: no accepted case rows"
        if no_cases
        else f"not computable: no case in {year} in the data"
    )
    computed.result.table = table.with_columns(
        computable=pl.when(hit).then(pl.lit(False)).otherwise(pl.col("computable")),
        note=pl.when(hit & pl.col("computable")).then(pl.lit(reason)).otherwise(pl.col("note")),
    )


def check_unit(validated: Validated, unit: str | None) -> None:
    """A report for ``unit`` needs the unit to have cases in the export."""
    if unit is None:
        return
    units: set[str] = set()
    for t in validated.result.tables.values():
        if "unit" in t.accepted.columns:
            units |= {str(u) for u in t.accepted["unit"].drop_nulls().unique().to_list()}
    if unit not in units:
        raise NhvError(
            f"unit '{unit}' has no cases in the export; use one of: "
            f"{', '.join(sorted(units)) or 'none'}."
        )


def render(
    options: RunOptions, computed: Computed | None = None, *, workbook: bool = False
) -> Rendered:
    """The annual report: its data, the HTML page and, with ``workbook``, the workbook."""
    from nhvmetrics.report.build import report_data_from_results
    from nhvmetrics.report.html import render_html

    year = options.require_year()
    if computed is None:
        validated = validate(options, Purpose.REPORT)
        check_unit(validated, options.unit)
        computed = compute(options, validated)
    else:
        check_unit(computed.validated, options.unit)
    v = computed.validated
    data = report_data_from_results(
        v.result,
        computed.result,
        options.area,
        year=year,
        extract_date_given=v.extract_date_given,
        unit=options.unit,
        min_count=options.min_count,
        ci_method=options.ci_method,
    )
    html = render_html(data, options.lang)
    book = None
    if workbook:
        from nhvmetrics.report.workbook import workbook_bytes

        book = workbook_bytes(data, options.lang)
    return Rendered(computed=computed, data=data, html=html, workbook=book)


def exit_code(problems: Sequence[Problem], *, strict_quarantine: bool = False) -> int:
    """The exit code of a run with these problems (0 when there are none)."""
    codes = [p.exit_code for p in problems]
    if strict_quarantine:
        codes.append(EXIT_INVALID)
    return max(codes, default=0)


def check_outputs(
    options: RunOptions, outputs: Mapping[str, tuple[Path | None, Sequence[str]]]
) -> None:
    """Refuse outputs that would go wrong, before anything is read: a wrong suffix, an output
    that is one of the run's inputs, two options naming the same file, a missing folder.

    ``outputs`` maps an option (``-o``, ``--xlsx`` …) to its path (or None) and its suffixes.
    """
    from nhvmetrics.io.atomic import ensure_not_input

    seen: dict[Path, str] = {}
    for option, (path, suffixes) in outputs.items():
        if path is None:
            continue
        path = Path(path)
        if path.suffix.lower() not in suffixes:
            raise NhvError(f"{option} must end in {' or '.join(suffixes)}, got '{path.name}'.")
        ensure_not_input(path, options.inputs)
        folder = path.parent if str(path.parent) else Path(".")
        if not folder.is_dir():
            raise NhvError(f"the output folder {folder} does not exist; create it first.")
        key = path.resolve()
        if key in seen:
            raise NhvError(f"{seen[key]} and {option} must be different files.")
        seen[key] = option


def convert_targets(output: Path, tables: Sequence[str]) -> dict[str, Path]:
    """OUT.parquet for the case table, OUT.<table>.parquet beside it for every other table."""
    stem = output.name[: -len(output.suffix)]
    return {
        t: output if t == "cases" else output.with_name(f"{stem}.{t}{output.suffix}")
        for t in tables
    }


def convert(
    options: RunOptions, output: Path, key: bytes | None = None
) -> tuple[Validated, dict[str, Path]]:
    """Write the accepted rows of every table with canonical names and types to Parquet, no
    personnummer in them (first-appearance numbers, or keyed pseudonyms with ``key``).

    Nothing is written when the case table has no accepted row (the problem says why).
    """
    from nhvmetrics.io.writers import write_parquet
    from nhvmetrics.personnummer import protect_patient_id
    from nhvmetrics.schema.stamp import stamps_of

    check_outputs(options, {"-o": (Path(output), (".parquet",))})
    targets = convert_targets(Path(output), list(options.tables))
    check_outputs(options, {f"-o ({t})": (p, (".parquet",)) for t, p in targets.items()})
    validated = validate(options, Purpose.CHECK)
    if validated.result.tables["cases"].n_accepted == 0:
        return validated, {}
    # a workbook's other sheets may have given more tables (read as the whole export)
    targets = convert_targets(Path(output), list(validated.result.tables))
    check_outputs(options, {f"-o ({t})": (p, (".parquet",)) for t, p in targets.items()})
    stamps = stamps_of(validated.result)
    for name, t in validated.result.tables.items():
        write_parquet(protect_patient_id(t.accepted, key), targets[name], metadata=stamps[name])
    return validated, targets


@dataclass
class Written:
    """What :func:`write_report` wrote, with the counts a log line or a run summary shows."""

    outputs: list[Path]
    rows_read: int
    quarantined: int
    dropped: int
    indicators: int
    suppressed_cells: int
    extract_date: str
    inputs: dict[str, str]  # file name -> sha256


def write_report(rendered: Rendered, html: Path, xlsx: Path | None = None) -> Written:
    """Write the HTML (and the workbook, if it was rendered) atomically."""
    from nhvmetrics.io.atomic import write_bytes, write_text
    from nhvmetrics.report.present import is_suppressed

    write_text(html, rendered.html)
    outputs = [Path(html)]
    if xlsx is not None and rendered.workbook is not None:
        write_bytes(xlsx, rendered.workbook)
        outputs.append(Path(xlsx))
    data = rendered.data
    infos = {i.id: i for i in data.indicators}
    return Written(
        outputs=outputs,
        rows_read=sum(q.rows_read for q in data.quality),
        quarantined=sum(q.quarantined for q in data.quality),
        dropped=sum(q.dropped_total for q in data.quality),
        indicators=len(data.indicators),
        suppressed_cells=sum(
            1
            for r in data.rows
            if r.period == data.year
            and r.indicator_id in infos
            and is_suppressed(r, infos[r.indicator_id], data.min_count)
        ),
        extract_date=data.provenance.extract_date.isoformat(),
        inputs={q.file_name: q.sha256 for q in data.quality},
    )
