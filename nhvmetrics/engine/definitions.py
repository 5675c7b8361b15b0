"""Indicator definitions: one YAML file per indicator under ``indicators/<area>/<name>.yaml``.

The loader checks every file and stops at the first problem of each file with one sentence
that names the file and the field (``DefinitionError``, exit code 1).  The common part of a
definition (id, version, titles, source, table, period, params, population, exclusions,
optional columns, stratifiers, targets, tests) is checked here; the part that belongs to its
kind (``numerator`` of a proportion, ``value`` of a duration, ``category`` of a distribution
...) is parsed by the kind's own module in :mod:`nhvmetrics.engine.kinds` into its own spec,
which the :class:`Definition` holds.  Column names and types come from the area's contract
(:mod:`nhvmetrics.contract`, read from the area schema).  See ``docs/adding-an-indicator.md``
for the file format and ``nhvmetrics.engine.expr`` for the condition language.

Which files an area has comes from :mod:`nhvmetrics.areas`; :func:`join_definitions` joins a
region's own files to an area's (an id that exists already is refused unless the file says
``replaces: <id>``), and every :class:`Definition` records its ``origin`` (``shipped`` or
``own``) and its ``path``.
"""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from nhvmetrics.areas import (
    ORIGIN_OWN,
    ORIGIN_SHIPPED,
    area_rank,
    is_shipped_file,
    resolve_area,
    shipped_area_names,
    shipped_areas,
)
from nhvmetrics.contract import Contract
from nhvmetrics.engine.expr import ExprError, Parsed, compile_expr, is_identifier
from nhvmetrics.engine.expr import parse as parse_expr
from nhvmetrics.engine.kind import DefinitionProblem, Kind, KindSpec, ParseContext
from nhvmetrics.engine.kinds import get_kind, kind_fields, type_names
from nhvmetrics.engine.provenance import (
    OVERRIDE_SOURCE,
    Source,
    SourceError,
    Targets,
    fill,
    has_bare_x,
    parse_source,
    placeholders,
    sources_text,
)
from nhvmetrics.engine.strata import DERIVED_STRATIFIERS
from nhvmetrics.errors import DefinitionError, InputError

if TYPE_CHECKING:
    from nhvmetrics.areas import Area

#: the fields every definition may have, whatever its kind
COMMON_KEYS = {
    "id",
    "version",
    "title",
    "description",
    "source",
    "type",
    "table",
    "period",
    "params",
    "population",
    "exclusions",
    "value_unit",
    "optional_columns",
    "stratifiers",
    "targets",
    "tests",
    "notes",
    "replaces",
    "changes",
    "role",
    "case_columns",
}
REQUIRED = ("id", "version", "title", "source", "type", "period")
TEST_KEYS = {
    "name",
    "year",
    "extract_date",
    "params",
    "rows",
    "tables",
    "expect",
    "ci",
    "coverage",
    "suppress",
}
#: what a definition is for: an indicator of the report, or a count the data-quality section shows
ROLES = ("indicator", "data_quality")
EXPECT_KEYS = {
    "unit",
    "stratum",
    "period",
    "numerator",
    "denominator",
    "value",
    "ci_low",
    "ci_high",
    "n_missing",
    "n_pending",
    "q1",
    "q3",
    "suppressed",
    "computable",
}


@dataclass(frozen=True)
class Change:
    """One entry of a definition's ``changes:`` list: what changed in a version."""

    version: str
    text: str


@dataclass(frozen=True)
class Definition:
    """One indicator definition: the common part, and its kind's own part in ``spec``.

    ``title_sv``, ``title_en``, ``description_sv`` and ``description_en`` hold the texts with
    the parameter values filled in (``inom 14 dygn``); ``templates`` keeps them as written
    (``inom {x_days} dygn``), so :meth:`with_run` can fill in the values of a run.
    """

    id: str
    area: str
    name: str
    version: str
    title_sv: str
    title_en: str
    description_sv: str
    description_en: str
    source_document: str
    source_section: str
    type: str  # as written in the file: a kind's name or one of its aliases
    table: str
    period_date: str  # a date column, or an expression of date columns (coalesce(a, b))
    period_offset_years: int
    params: dict[str, Any]
    param_help: dict[str, str]
    population: Parsed | None
    exclusions: tuple[Parsed, ...]
    value_unit: str | None
    optional_columns: tuple[str, ...]
    stratifiers: tuple[str, ...]
    targets: Targets | None
    tests: list[dict[str, Any]]
    spec: KindSpec
    contract: Contract = field(repr=False, compare=False)
    path: Path | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    #: ``shipped``: a file shipped with nhvmetrics; ``own``: a file from outside the package
    origin: str = ORIGIN_SHIPPED
    #: the id whose place this definition takes (``replaces:``, a region's own file), or None
    replaces: str | None = None
    param_sources: dict[str, Source] = field(default_factory=dict)
    param_choices: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)
    templates: dict[str, str] = field(default_factory=dict, repr=False)
    changes: tuple[Change, ...] = ()
    role: str = "indicator"
    case_columns: tuple[str, ...] = ()  # columns of the case table joined by case_id
    period_parsed: Parsed | None = field(default=None, repr=False, compare=False)

    @property
    def is_own(self) -> bool:
        """True for a definition that did not ship with nhvmetrics."""
        return self.origin != ORIGIN_SHIPPED

    @property
    def kind(self) -> Kind[Any]:
        """The kind that parsed ``spec`` and computes the definition."""
        kind = get_kind(self.type)
        if kind is None:  # pragma: no cover - the loader only builds known types
            raise DefinitionError(f"{self.id}: unknown type '{self.type}'.")
        return kind

    @property
    def row_kind(self) -> str:
        """The kind of the indicator's main (``all``) row: count, proportion, median, survival."""
        return self.kind.row_kind(self.spec)

    @property
    def title(self) -> str:
        return self.title_en

    @property
    def source(self) -> str:
        return f"{self.source_document}, {self.source_section}"

    @property
    def description(self) -> str:
        return self.description_en

    @property
    def period_columns(self) -> set[str]:
        """The date columns the period date is read from (one, or those of an expression)."""
        if self.period_parsed is not None:
            return set(self.period_parsed.columns)
        return {self.period_date}

    @property
    def period_key(self) -> str:
        """A short name of the period date for the engine's own column names."""
        if self.period_parsed is None:
            return self.period_date
        return "x" + re.sub(r"[^a-z0-9]+", "_", self.period_date.lower()).strip("_")

    def period_expr(self) -> Any:
        """The period date as a polars expression (a column, or its expression compiled)."""
        import polars as pl

        if self.period_parsed is None:
            return pl.col(self.period_date)
        return compile_expr(self.period_parsed, {})

    @property
    def required_columns(self) -> set[str]:
        """Columns of ``table`` without which the indicator cannot be computed (columns of the
        case table joined by ``case_columns`` are not among them: see :attr:`case_columns`)."""
        cols: set[str] = {"unit"} | self.period_columns
        for p in (self.population, *self.exclusions):
            if p is not None:
                cols |= p.columns
        cols |= self.spec.columns()
        if self.case_columns:
            cols = (cols - set(self.case_columns)) | {"case_id"}
        return cols - set(self.optional_columns)

    @property
    def derived_strata(self) -> set[str]:
        """Derived strata (``age_band``) the definition reads, as stratifier or otherwise."""
        return (set(self.stratifiers) | self.spec.derived()) & set(DERIVED_STRATIFIERS)

    @property
    def parameters_text(self) -> str:
        """Parameters as shown in every output row, e.g. ``x_days=14``."""
        return ";".join(f"{k}={_fmt(v)}" for k, v in self.params.items())

    @property
    def parameter_sources_text(self) -> str:
        """The source of every parameter, e.g. ``x_days=local;horizon_days=seed``."""
        return sources_text(self.param_sources, self.params)

    def text(self, key: str, lang: str) -> str:
        """A text of the definition (``title``, ``description``) with the values filled in."""
        return fill(self.templates.get(f"{key}_{lang}", ""), self.params, self.param_choices, lang)

    @property
    def stratum_titles(self) -> tuple[tuple[str, str, str], ...]:
        """(stratum, Swedish title, English title) of the named sub-rows, values filled in."""
        p, c = self.params, self.param_choices
        return tuple(
            (s, fill(sv, p, c, "sv"), fill(en, p, c, "en"))
            for s, sv, en in self.kind.stratum_titles(self.spec)
        )

    def with_run(
        self, params: dict[str, Any] | None = None, targets: dict[str, Any] | None = None
    ) -> Definition:
        """The definition as one run uses it: ``params`` (resolved values of every parameter)
        and ``targets`` (levels set for the run) in place, the texts filled with the values,
        and the source of every value that differs from the file's ``override``."""
        new_params = dict(self.params if params is None else params)
        sources = dict(self.param_sources)
        for k, v in new_params.items():
            if k in self.params and v != self.params[k]:
                sources[k] = OVERRIDE_SOURCE
        new_targets = self.targets
        if targets:
            base = self.targets or Targets()
            new_targets = Targets(
                intermediate=_level(targets.get("intermediate", base.intermediate)),
                high=_level(targets.get("high", base.high)),
                direction=str(targets.get("direction", base.direction)),
                source=OVERRIDE_SOURCE,
            )
        if new_params == self.params and new_targets is self.targets:
            return self
        t = self.templates
        return dataclasses.replace(
            self,
            params=new_params,
            param_sources=sources,
            targets=new_targets,
            title_sv=fill(t.get("title_sv", self.title_sv), new_params, self.param_choices, "sv"),
            title_en=fill(t.get("title_en", self.title_en), new_params, self.param_choices, "en"),
            description_sv=fill(
                t.get("description_sv", self.description_sv), new_params, self.param_choices, "sv"
            ),
            description_en=fill(
                t.get("description_en", self.description_en), new_params, self.param_choices, "en"
            ),
        )


def _level(v: Any) -> float | None:
    return None if v is None else float(v)


def _fmt(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


# ---------------------------------------------------------------- loading


def definition_files(
    paths: Iterable[Path | str] | None = None, area: str | Path | Area | None = None
) -> list[Path]:
    """Every ``*.yaml``/``*.yml`` under the given files/folders (default: the shipped ones, or
    one area's)."""
    if paths is None:
        areas = [resolve_area(area)] if area is not None else list(shipped_areas())
        return [f for a in areas for f in a.definition_files()]
    files: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            files += sorted(
                x for x in p.rglob("*") if x.suffix in (".yaml", ".yml") and x.is_file()
            )
        elif p.is_file():
            files.append(p)
        else:
            raise DefinitionError(f"{p}: no such definition file or folder.")
    return files


def load_definitions(
    area: str | Path | Area | None = None,
    paths: Iterable[Path | str] | None = None,
    *,
    contract: Contract | None = None,
) -> list[Definition]:
    """Load and check definitions: every shipped one, one area's (a shipped name, an area
    folder or an :class:`~nhvmetrics.areas.Area`), or the given files/folders.

    With ``paths``, ``contract`` is the canonical columns to check the files against (default:
    ``area``'s, else the shipped contract of the area each id names), and only the definitions
    of ``area`` are returned.  Raises :class:`DefinitionError` naming the file and the problem
    at the first invalid file, or on a duplicate id.  The list is sorted by area (shipped areas
    in their order) and id.
    """
    if paths is None:
        if area is not None:
            return resolve_area(area).definitions()
        return [d for a in shipped_areas() for d in a.definitions()]
    name: str | None = None
    if area is not None:
        if contract is None:
            a = resolve_area(area)
            contract, name = a.contract(), a.name
        else:
            name = area.name if hasattr(area, "name") else str(area)
    defs: list[Definition] = []
    seen: dict[str, Path] = {}
    for f in definition_files(paths):
        d = load_file(f, contract=contract)
        if d.id in seen:
            raise DefinitionError(
                f"{f}: duplicate indicator id '{d.id}' (also defined in {seen[d.id]})."
            )
        seen[d.id] = f
        if name is None or d.area == name:
            defs.append(d)
    return sorted(defs, key=_area_order)


def _area_order(d: Definition) -> tuple[int, str, str]:
    return (area_rank(d.area), d.area, d.id)


def check_files(
    paths: Iterable[Path | str] | None = None, *, contract: Contract | None = None
) -> tuple[list[Definition], list[str]]:
    """Load every file, collecting one finding per bad file and per duplicate id."""
    findings: list[str] = []
    defs: list[Definition] = []
    seen: dict[str, Path] = {}
    paths = list(paths) if paths is not None else None
    try:
        files = definition_files(paths)
    except DefinitionError as exc:
        return [], [str(exc)]
    if not files:
        findings.append(
            f"no definition files (*.yaml) found in {', '.join(map(str, paths or []))}."
        )
    for f in files:
        try:
            d = load_file(f, contract=contract)
        except DefinitionError as exc:
            findings.append(str(exc))
            continue
        if d.id in seen:
            findings.append(f"{f}: duplicate indicator id '{d.id}' (also defined in {seen[d.id]}).")
            continue
        seen[d.id] = f
        defs.append(d)
    return defs, findings


# ---------------------------------------------------------------- an area and a region's own


def join_definitions(
    area: Area, extra: Sequence[Path | str] = (), *, collect: bool = False
) -> tuple[list[Definition], list[str]]:
    """The definitions of ``area`` with the files in ``extra`` (folders or files) joined.

    The area's own files come first: an id twice among them is refused, and so is
    ``replaces:`` (nothing there to replace).  Then each file of ``extra`` in turn: a new id
    joins; an id that exists already (in the area or an earlier file) is refused naming both
    files, unless the file says ``replaces: <its id>``, when it takes that definition's place;
    ``replaces:`` of an id that does not exist is refused too.  A file given twice (also as one
    of the area's own) counts once.  ``collect=False`` raises :class:`DefinitionError` at the
    first problem (an ``extra`` path that does not exist is an
    :class:`~nhvmetrics.errors.InputError`, exit 2); ``collect=True`` returns every problem as a
    finding beside what loaded.
    """
    findings: list[str] = []

    def problem(message: str) -> None:
        if not collect:
            raise DefinitionError(message)
        findings.append(message)

    contract = area.contract()
    seen: set[Path] = set()

    def load(files: Iterable[Path], origin: str | None) -> list[Definition]:
        out = []
        for f in files:
            key = f.resolve()
            if key in seen:
                continue
            seen.add(key)
            try:
                out.append(load_file(f, contract=contract, origin=origin))
            except DefinitionError as exc:
                problem(str(exc))
        return out

    current: dict[str, Definition] = {}
    for d in load(area.definition_files(), area.origin):
        if d.replaces is not None:
            problem(
                f"{d.path}: 'replaces' is for a region's own definitions added with "
                f"--definitions, not for the files of area {area.label}; remove it."
            )
        elif d.id in current:
            problem(
                f"{d.path}: duplicate indicator id '{d.id}' (also defined in {current[d.id].path})."
            )
        else:
            current[d.id] = d
    for source in extra:
        if not Path(source).exists() and not collect:
            raise InputError(
                f"{source}: no such folder or file of definitions; check the --definitions path."
            )
        try:
            files = definition_files([source])
        except DefinitionError as exc:
            problem(str(exc))
            continue
        if not files:
            problem(f"{source}: no definition files (*.yaml) found there.")
        for d in load(files, None):
            before = current.get(d.id)
            if d.replaces is None and before is not None:
                problem(
                    f"{d.path}: indicator id '{d.id}' is already defined in {before.path}; "
                    f"add 'replaces: {d.id}' to the file to take its place, or give it an id "
                    "of its own."
                )
            elif d.replaces is not None and before is None:
                problem(
                    f"{d.path}: replaces '{d.id}', which area {area.label} does not have; "
                    "remove 'replaces' to add it as a new indicator."
                )
            else:
                current[d.id] = d
    return sorted(current.values(), key=_area_order), findings


def definitions_for(
    area: str | Path | Area | None = None, extra: Sequence[Path | str] = ()
) -> list[Definition]:
    """The definitions of one area with ``extra`` joined, or (``area=None``) of every shipped
    area, each file of ``extra`` joining the shipped area its id names."""
    if area is not None:
        return resolve_area(area).definitions(extra)
    by_area = _files_by_area(extra, None)
    return [d for a in shipped_areas() for d in a.definitions(by_area.get(a.name, []))]


def _files_by_area(
    extra: Sequence[Path | str], findings: list[str] | None
) -> dict[str, list[Path]]:
    """The files of ``extra`` grouped by the shipped area their id names (a file that does not
    load is an error, or a finding when ``findings`` is given)."""
    out: dict[str, list[Path]] = {}
    for source in extra:
        if not Path(source).exists() and findings is None:
            raise InputError(
                f"{source}: no such folder or file of definitions; check the --definitions path."
            )
        try:
            files = definition_files([source])
        except DefinitionError as exc:
            if findings is None:
                raise
            findings.append(str(exc))
            continue
        if not files and findings is not None:
            findings.append(f"{source}: no definition files (*.yaml) found there.")
        for f in files:
            try:
                d = load_file(f)
            except DefinitionError as exc:
                if findings is None:
                    raise
                findings.append(str(exc))
                continue
            out.setdefault(d.area, []).append(f)
    return out


def check_definitions(
    paths: Sequence[Path | str] = (),
    *,
    area: str | Path | Area | None = None,
    extra: Sequence[Path | str] = (),
) -> tuple[list[Definition], list[str]]:
    """What ``nhvmetrics indicators check`` checks: the definitions whose test cases to run,
    and every problem found on the way (one sentence each).

    Without ``paths``: ``area`` (default: every shipped area) with ``extra`` joined.  Each
    path that is an area folder is checked as an area (its schema, its definitions, ``extra``
    joined).  Other paths are definition files or folders of a region's own: they are joined
    to ``area`` (with ``extra``), or without ``area`` each to the shipped area its id names, so
    a clash of ids is found; their own definitions are returned for their test cases.
    """
    from nhvmetrics.areas import SCHEMA_FILE
    from nhvmetrics.errors import NhvError

    findings: list[str] = []
    tested: list[Definition] = []

    def whole(a: Area) -> None:
        defs, found = a.check(extra)
        tested.extend(defs)
        findings.extend(found)

    if not paths:
        for a in [resolve_area(area)] if area is not None else shipped_areas():
            whole(a)
        return tested, findings
    loose: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir() and (p / SCHEMA_FILE).is_file():
            try:
                whole(resolve_area(p))
            except NhvError as exc:
                findings.append(str(exc))
        else:
            loose.append(p)
    if not loose:
        return tested, findings
    groups: dict[Area, list[Path]] = {}
    if area is not None:
        try:
            groups[resolve_area(area)] = definition_files(loose)
        except DefinitionError as exc:
            findings.append(str(exc))
    else:
        for name, fs in _files_by_area(loose, findings).items():
            groups[resolve_area(name)] = fs
    for a, files in groups.items():
        mine = {f.resolve() for f in files}
        defs, found = a.check([*extra, *files])
        findings.extend(found)
        tested.extend(d for d in defs if d.path is not None and d.path.resolve() in mine)
    return tested, findings


def load_file(
    path: Path | str, *, contract: Contract | None = None, origin: str | None = None
) -> Definition:
    """Load one definition file; raise :class:`DefinitionError` naming the file and problem.

    ``origin`` is ``shipped`` or ``own`` (default: ``shipped`` for a file shipped with
    nhvmetrics, else ``own``)."""
    import yaml

    from nhvmetrics.schema.model import read_utf8

    path = Path(path)
    try:
        raw = yaml.load(read_utf8(path), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except OSError as exc:
        raise DefinitionError(f"{path}: cannot read the file ({exc.strerror}).") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise DefinitionError(
            f"{path}: not valid YAML{where}: {getattr(exc, 'problem', exc)}."
        ) from None
    try:
        return _build(raw, path, contract, origin)
    except DefinitionProblem as exc:
        raise DefinitionError(f"{path}: {exc}") from None


def parse_definition(
    raw: dict[str, Any],
    path: Path | str | None = None,
    *,
    contract: Contract | None = None,
    origin: str | None = None,
) -> Definition:
    """Build a definition from an already-parsed mapping (e.g. in tests); ``origin`` as for
    :func:`load_file` (a mapping without a path is ``own``)."""
    try:
        return _build(raw, Path(path) if path else None, contract, origin)
    except DefinitionProblem as exc:
        raise DefinitionError(f"{path or '<definition>'}: {exc}") from None


def _fail(message: str) -> NoReturn:
    raise DefinitionProblem(message)


def _build(
    raw: Any, path: Path | None, contract: Contract | None, origin: str | None = None
) -> Definition:
    if not isinstance(raw, dict):
        _fail("the file must hold a mapping of fields (id, version, title, ...).")
    kind_keys = kind_fields()  # field -> the types whose kind reads it
    allowed = COMMON_KEYS | set(kind_keys)
    unknown = sorted(set(raw) - allowed)
    if unknown:
        _fail(f"unknown field '{unknown[0]}'; allowed fields are {', '.join(sorted(allowed))}.")
    for k in REQUIRED:
        if raw.get(k) in (None, "", {}):
            _fail(f"missing required field '{k}'.")

    ident = raw["id"]
    if not isinstance(ident, str) or ident.count(".") != 1:
        _fail(f"id '{ident}' must look like '<area>.<name>', e.g. 'acc.visit_within_x'.")
    area, name = ident.split(".")
    if contract is None:
        shipped = shipped_area_names()
        if area not in shipped:
            _fail(
                f"id '{ident}': unknown area '{area}'; use one of: {', '.join(shipped)}, or "
                "give the area folder of a region's own area with --area."
            )
        contract = resolve_area(area).contract()
    elif area != contract.area:
        _fail(f"id '{ident}' is not an indicator of area '{contract.area}'.")
    if not is_identifier(name):
        _fail(f"id '{ident}': the name must be lower case letters, digits and '_'.")
    if path is not None:
        if path.stem != name:
            _fail(f"the file name must be the indicator name: '{name}.yaml' for id '{ident}'.")
        if path.parent.name in shipped_area_names() and path.parent.name != area:
            _fail(f"id '{ident}' belongs in indicators/{area}/, not {path.parent.name}/.")
    replaces = raw.get("replaces")
    if replaces is not None and replaces != ident:
        _fail(
            f"replaces '{replaces}' must be the file's own id '{ident}': a replacing definition "
            "takes the place of the definition with its id."
        )
    if origin is None:
        origin = ORIGIN_SHIPPED if path is not None and is_shipped_file(path) else ORIGIN_OWN
    elif origin not in (ORIGIN_SHIPPED, ORIGIN_OWN):
        raise ValueError(f"origin must be '{ORIGIN_SHIPPED}' or '{ORIGIN_OWN}', got {origin!r}")

    version = raw["version"]
    if not isinstance(version, (int, str, float)) or isinstance(version, bool):
        _fail("version must be a number or text such as 1 or '1.2'.")
    version = str(version)
    changes = _changes(raw.get("changes"), version)

    title = _pair(raw, "title", required=True)
    desc = _pair(raw, "description", required=False)
    for lang, text in zip(("sv", "en"), title, strict=True):
        if has_bare_x(text):
            _fail(
                f"title.{lang} says a bare 'X': write the parameter as a placeholder "
                "such as {x_days}, so the title shows the value."
            )

    source = raw["source"]
    if not isinstance(source, dict) or not source.get("document") or not source.get("section"):
        _fail("source needs 'document' (the seed file) and 'section' (where in it).")

    typ = raw["type"]
    kind = get_kind(typ)
    if kind is None:
        _fail(f"type '{typ}' is not one of: {', '.join(type_names())}.")

    table = raw.get("table", "cases")
    cols = dict(contract.columns(table)) if isinstance(table, str) else {}
    if not cols:
        _fail(f"table '{table}' is not a table of area '{area}'.")
    case_columns = _case_columns(raw.get("case_columns"), contract, table, cols)
    own_cols = set(cols)
    for c in case_columns:
        cols[c] = contract.columns("cases")[c]
    colset = set(cols)
    stratcols = colset | set(DERIVED_STRATIFIERS)

    period = raw["period"]
    if not isinstance(period, dict) or "date" not in period:
        _fail("period needs 'date': the date column that places a case in a year.")
    pdate = period["date"]
    period_parsed = _period_date(pdate, table, {c for c in own_cols if cols[c] == "date"})
    pdate = str(pdate).strip() if period_parsed is not None else pdate
    extra_period = set(period) - {"date", "offset_years"}
    if extra_period:
        _fail(f"period: unknown field '{sorted(extra_period)[0]}'; use date and offset_years.")
    offset = period.get("offset_years", 0)
    if not isinstance(offset, int) or isinstance(offset, bool) or not 0 <= offset <= 10:
        _fail("period.offset_years must be a whole number of years from 0 to 10.")

    params, param_help, param_sources, param_choices = _params(raw.get("params"), colset)

    role = raw.get("role", "indicator")
    if role not in ROLES:
        _fail(f"role must be one of: {', '.join(ROLES)}.")

    ctx = ParseContext(
        raw=raw,
        type_name=typ,
        area=area,
        table=table,
        columns=cols,
        params=params,
        period_date=pdate,
    )

    optional_columns = list(raw.get("optional_columns") or [])
    for c in optional_columns:
        if c not in own_cols:
            _fail(f"optional_columns: unknown column '{c}' in table '{table}'.")

    exclusions = []
    for i, e in enumerate(raw.get("exclusions") or []):
        condition = e.get("condition") if isinstance(e, dict) else e
        exclusions.append(ctx.expr(f"exclusions[{i + 1}]", condition))
    population = ctx.optional_expr("population")

    # the kind's own part: a field of another kind is a mistake, not something to ignore
    for key in sorted(set(raw) & set(kind_keys) - kind.fields):
        if raw[key] not in (None, "", [], {}):
            users = list(kind_keys[key])
            said = users[0] if len(users) == 1 else f"{', '.join(users[:-1])} or {users[-1]}"
            _fail(f"'{key}' is only used by type {said}.")
    spec = kind.parse(ctx)

    strat = list(raw.get("stratifiers") or [])
    for s in strat:
        if s not in stratcols:
            _fail(f"stratifiers: unknown column '{s}' in table '{table}'.")
    if len(set(strat)) != len(strat):
        _fail("stratifiers: a stratifier is listed twice.")

    targets = _targets(raw.get("targets"), kind.share_targets)

    # texts: every {placeholder} names a parameter; the values are filled in
    templates = {
        "title_sv": title[0],
        "title_en": title[1],
        "description_sv": desc[0],
        "description_en": desc[1],
    }
    texts = dict(templates)
    for st, sv, en in kind.stratum_titles(spec):
        texts[f"{st} title.sv"], texts[f"{st} title.en"] = sv, en
        for lang, t in (("sv", sv), ("en", en)):
            if has_bare_x(t):
                _fail(
                    f"{st}: the title ({lang}) says a bare 'X'; write a placeholder such as "
                    "{x_days}."
                )
    for where, text in texts.items():
        for ph in placeholders(text):
            if ph not in params:
                label = where.replace("_", ".", 1) if where in templates else where
                _fail(f"{label}: '{{{ph}}}' is not a parameter of this indicator.")

    tests = raw.get("tests") or []
    if not isinstance(tests, list):
        _fail("tests must be a list of cases.")
    for i, t in enumerate(tests):
        _check_test(t, i, contract, table, params)

    return Definition(
        id=ident,
        area=area,
        name=name,
        version=version,
        title_sv=fill(title[0], params, param_choices, "sv"),
        title_en=fill(title[1], params, param_choices, "en"),
        description_sv=fill(desc[0], params, param_choices, "sv"),
        description_en=fill(desc[1], params, param_choices, "en"),
        source_document=str(source["document"]),
        source_section=str(source["section"]),
        type=typ,
        table=table,
        period_date=pdate,
        period_offset_years=offset,
        params=params,
        param_help=param_help,
        population=population,
        exclusions=tuple(exclusions),
        value_unit=raw.get("value_unit"),
        optional_columns=tuple(optional_columns),
        stratifiers=tuple(strat),
        targets=targets,
        tests=tests,
        spec=spec,
        contract=contract,
        path=path,
        raw=raw,
        origin=origin,
        replaces=replaces,
        param_sources=param_sources,
        param_choices=param_choices,
        templates=templates,
        changes=changes,
        role=role,
        case_columns=case_columns,
        period_parsed=period_parsed,
    )


def _changes(raw: Any, version: str) -> tuple[Change, ...]:
    """The ``changes:`` list: what changed in each version after the first."""
    if raw in (None, []):
        raw = []
    if not isinstance(raw, list):
        _fail("changes must be a list of {version, text}: what changed in each version.")
    out: list[Change] = []
    for i, c in enumerate(raw):
        if not isinstance(c, dict) or set(c) != {"version", "text"} or not str(c["text"]).strip():
            _fail(f"changes[{i + 1}] must be a mapping with 'version' and 'text'.")
        out.append(Change(str(c["version"]), " ".join(str(c["text"]).split())))
    if version not in ("1", "1.0") and version not in {c.version for c in out}:
        _fail(f"version {version}: say what changed under 'changes:' (version: {version}, text).")
    return tuple(out)


def _case_columns(
    raw: Any, contract: Contract, table: str, cols: dict[str, str]
) -> tuple[str, ...]:
    """Columns of the case table a definition of another table reads, joined by ``case_id``."""
    if raw in (None, []):
        return ()
    if table == "cases":
        _fail("case_columns: only a definition of another table (episodes ...) joins case columns.")
    if "case_id" not in cols:
        _fail(f"case_columns: table '{table}' has no case_id to join the case table by.")
    if not isinstance(raw, list):
        _fail("case_columns must be a list of columns of the case table.")
    case_cols = contract.columns("cases")
    for c in raw:
        if c not in case_cols:
            _fail(f"case_columns: unknown column '{c}' in table 'cases'.")
        if c in cols:
            _fail(f"case_columns: '{c}' is a column of table '{table}' itself.")
    return tuple(str(c) for c in raw)


_PERIOD_FUNCS = ("coalesce", "least", "greatest")


def _period_date(pdate: Any, table: str, dates: set[str]) -> Parsed | None:
    """None for a date column; the parsed expression for ``coalesce(a, b)`` and the like."""
    if isinstance(pdate, str) and pdate in dates:
        return None
    why = (
        f"period.date '{pdate}' is not a date column of table '{table}' (or coalesce, least or "
        "greatest of date columns)."
    )
    if not isinstance(pdate, str) or "(" not in pdate:
        _fail(why)
    try:
        parsed = parse_expr(pdate, dates, {})
    except ExprError:
        _fail(why)

    def ok(node: ast.AST) -> bool:
        if isinstance(node, ast.Name):
            return node.id in dates
        return (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in _PERIOD_FUNCS
            and all(ok(a) for a in node.args)
        )

    if not ok(parsed.tree):
        _fail(why)
    return parsed


def _params(
    rawp: Any, colset: set[str]
) -> tuple[
    dict[str, Any], dict[str, str], dict[str, Source], dict[str, dict[str, tuple[str, str]]]
]:
    params: dict[str, Any] = {}
    param_help: dict[str, str] = {}
    sources: dict[str, Source] = {}
    choices: dict[str, dict[str, tuple[str, str]]] = {}
    rawp = rawp or {}
    if not isinstance(rawp, dict):
        _fail("params must be a mapping of name: {default, description, source}.")
    for k, v in rawp.items():
        if not isinstance(k, str) or not is_identifier(k) or k in colset or k == "extract_date":
            _fail(f"parameter name '{k}' must be lower case and not a column name.")
        if not isinstance(v, dict):
            _fail(
                f"parameter '{k}' needs a default and a source: write "
                f"{k}: {{default: {v!r}, source: {{local: <why this value>}}}} "
                "(or seed: <quote>, register: <target>, region: <who decided>)."
            )
        bad = sorted(set(v) - {"default", "description", "source", "choices"})
        if bad:
            _fail(f"parameter '{k}': unknown field '{bad[0]}'.")
        if "default" not in v:
            _fail(f"parameter '{k}' needs a 'default'.")
        try:
            sources[k] = parse_source(v.get("source"))
        except SourceError as exc:
            _fail(f"parameter '{k}' {exc}.")
        param_help[k] = str(v.get("description", ""))
        default = v["default"]
        if not isinstance(default, (int, float, str)) or isinstance(default, bool):
            _fail(f"parameter '{k}' must default to a number or text, got {default!r}.")
        if "choices" in v:
            choices[k] = _choices(k, v["choices"], default)
        params[k] = default
    return params, param_help, sources, choices


def _choices(name: str, raw: Any, default: Any) -> dict[str, tuple[str, str]]:
    """A text parameter's allowed values, each with its Swedish and English label."""
    if not isinstance(raw, dict) or not raw:
        _fail(f"parameter '{name}': choices must map each value to {{sv: ..., en: ...}}.")
    out: dict[str, tuple[str, str]] = {}
    for value, labels in raw.items():
        if not isinstance(labels, dict) or not labels.get("sv") or not labels.get("en"):
            _fail(f"parameter '{name}': choice '{value}' needs both 'sv' and 'en' labels.")
        out[str(value)] = (str(labels["sv"]), str(labels["en"]))
    if str(default) not in out:
        _fail(f"parameter '{name}': the default '{default}' is not one of its choices.")
    return out


def _targets(raw: Any, share_targets: bool) -> Targets | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not set(raw) <= {"intermediate", "high", "direction", "source"}:
        _fail("targets may hold 'intermediate', 'high', 'direction' (higher/lower) and 'source'.")
    for k in ("intermediate", "high"):
        v = raw.get(k)
        if v is not None and (not isinstance(v, (int, float)) or isinstance(v, bool)):
            _fail(f"targets.{k} must be a number (a share in 0-1 for proportions).")
        if v is not None and share_targets and not 0 <= v <= 1:
            _fail(f"targets.{k} must be a share between 0 and 1, got {v}.")
    direction = raw.get("direction", "higher")
    if direction not in ("higher", "lower"):
        _fail("targets.direction must be 'higher' or 'lower'.")
    src = None
    if raw.get("intermediate") is not None or raw.get("high") is not None:
        try:
            src = parse_source(raw.get("source"))
        except SourceError as exc:
            _fail(f"targets {exc}.")
    elif "source" in raw:
        _fail("targets.source goes with target levels (intermediate, high).")
    return Targets(
        intermediate=_level(raw.get("intermediate")),
        high=_level(raw.get("high")),
        direction=direction,
        source=src,
    )


def _pair(src: dict[str, Any], key: str, *, required: bool, where: str = "") -> tuple[str, str]:
    v = src.get(key)
    if v is None and not required:
        return "", ""
    if not isinstance(v, dict) or not v.get("sv") or not v.get("en"):
        _fail(f"{where}{key} needs both 'sv' (Swedish) and 'en' (English) text.")
    return str(v["sv"]).strip(), str(v["en"]).strip()


def _check_test(t: Any, i: int, contract: Contract, table: str, params: dict[str, Any]) -> None:
    where = f"tests[{i + 1}]"
    if not isinstance(t, dict):
        _fail(f"{where} must be a mapping with name, year, rows and expect.")
    bad = set(t) - TEST_KEYS
    if bad:
        _fail(
            f"{where}: unknown field '{sorted(bad)[0]}'; allowed: {', '.join(sorted(TEST_KEYS))}."
        )
    for k in ("name", "year", "expect"):
        if k not in t:
            _fail(f"{where}: missing field '{k}'.")
    where = f"tests[{i + 1}] ({t['name']})"
    if "extract_date" in t and not isinstance(t["extract_date"], (dt.date, str)):
        _fail(f"{where}: extract_date must be a date YYYY-MM-DD.")
    for k in t.get("params") or {}:
        if k not in params:
            _fail(f"{where}: params: '{k}' is not a parameter of this indicator.")
    tables = dict(t.get("tables") or {})
    if "rows" in t:
        tables[table] = t["rows"]
    for tname, rows in tables.items():
        cols = contract.columns(tname)
        if not cols:
            _fail(f"{where}: '{tname}' is not a table of area '{contract.area}'.")
        if not isinstance(rows, list):
            _fail(f"{where}: rows of '{tname}' must be a list of mappings.")
        for j, row in enumerate(rows):
            if not isinstance(row, dict):
                _fail(f"{where}: row {j + 1} must be a mapping column: value.")
            for c in row:
                if c not in cols and not str(c).startswith("_"):
                    _fail(f"{where}: row {j + 1}: unknown column '{c}' in table '{tname}'.")
    cov = t.get("coverage")
    if cov is not None:
        if not isinstance(cov, list) or not all(
            isinstance(c, dict) and set(c) == {"year", "unit", "expected"} for c in cov
        ):
            _fail(f"{where}: coverage must be a list of {{year, unit, expected}} lines.")
    if t.get("suppress", "denominator") not in ("denominator", "cells"):
        _fail(f"{where}: suppress must be 'denominator' or 'cells'.")
    exp = t["expect"]
    exps = exp if isinstance(exp, list) else [exp]
    for e in exps:
        if not isinstance(e, dict):
            _fail(f"{where}: expect must be a mapping (or a list of them).")
        bad = set(e) - EXPECT_KEYS
        if bad:
            _fail(
                f"{where}: expect: unknown field '{sorted(bad)[0]}'; "
                f"allowed: {', '.join(sorted(EXPECT_KEYS))}."
            )
