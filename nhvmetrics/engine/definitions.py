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

import datetime as dt
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
from nhvmetrics.engine.expr import Parsed, is_identifier
from nhvmetrics.engine.kind import DefinitionProblem, Kind, KindSpec, ParseContext
from nhvmetrics.engine.kinds import get_kind, kind_fields, type_names
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
}
REQUIRED = ("id", "version", "title", "source", "type", "period")
TEST_KEYS = {"name", "year", "extract_date", "params", "rows", "tables", "expect", "ci"}
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
class Definition:
    """One indicator definition: the common part, and its kind's own part in ``spec``."""

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
    period_date: str
    period_offset_years: int
    params: dict[str, Any]
    param_help: dict[str, str]
    population: Parsed | None
    exclusions: tuple[Parsed, ...]
    value_unit: str | None
    optional_columns: tuple[str, ...]
    stratifiers: tuple[str, ...]
    targets: dict[str, Any] | None
    tests: list[dict[str, Any]]
    spec: KindSpec
    contract: Contract = field(repr=False, compare=False)
    path: Path | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    #: ``shipped``: a file shipped with nhvmetrics; ``own``: a file from outside the package
    origin: str = ORIGIN_SHIPPED
    #: the id whose place this definition takes (``replaces:``, a region's own file), or None
    replaces: str | None = None

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
    def required_columns(self) -> set[str]:
        """Columns of ``table`` without which the indicator cannot be computed."""
        cols: set[str] = {"unit", self.period_date}
        for p in (self.population, *self.exclusions):
            if p is not None:
                cols |= p.columns
        cols |= self.spec.columns()
        return cols - set(self.optional_columns)

    @property
    def derived_strata(self) -> set[str]:
        """Derived strata (``age_band``) the definition reads, as stratifier or otherwise."""
        return (set(self.stratifiers) | self.spec.derived()) & set(DERIVED_STRATIFIERS)

    @property
    def parameters_text(self) -> str:
        """Parameters as shown in every output row, e.g. ``x_days=14``."""
        return ";".join(f"{k}={_fmt(v)}" for k, v in self.params.items())


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

    title = _pair(raw, "title", required=True)
    desc = _pair(raw, "description", required=False)

    source = raw["source"]
    if not isinstance(source, dict) or not source.get("document") or not source.get("section"):
        _fail("source needs 'document' (the seed file) and 'section' (where in it).")

    typ = raw["type"]
    kind = get_kind(typ)
    if kind is None:
        _fail(f"type '{typ}' is not one of: {', '.join(type_names())}.")

    table = raw.get("table", "cases")
    cols = contract.columns(table) if isinstance(table, str) else {}
    if not cols:
        _fail(f"table '{table}' is not a table of area '{area}'.")
    colset = set(cols)
    stratcols = colset | set(DERIVED_STRATIFIERS)

    period = raw["period"]
    if not isinstance(period, dict) or "date" not in period:
        _fail("period needs 'date': the date column that places a case in a year.")
    pdate = period["date"]
    if not contract.is_date(table, pdate):
        _fail(f"period.date '{pdate}' is not a date column of table '{table}'.")
    extra_period = set(period) - {"date", "offset_years"}
    if extra_period:
        _fail(f"period: unknown field '{sorted(extra_period)[0]}'; use date and offset_years.")
    offset = period.get("offset_years", 0)
    if not isinstance(offset, int) or isinstance(offset, bool) or not 0 <= offset <= 10:
        _fail("period.offset_years must be a whole number of years from 0 to 10.")

    params: dict[str, Any] = {}
    param_help: dict[str, str] = {}
    rawp = raw.get("params") or {}
    if not isinstance(rawp, dict):
        _fail("params must be a mapping of name: default (or name: {default, description}).")
    for k, v in rawp.items():
        if not isinstance(k, str) or not is_identifier(k) or k in colset or k == "extract_date":
            _fail(f"parameter name '{k}' must be lower case and not a column name.")
        if isinstance(v, dict):
            if "default" not in v:
                _fail(f"parameter '{k}' needs a 'default'.")
            param_help[k] = str(v.get("description", ""))
            v = v["default"]
        if not isinstance(v, (int, float, str)) or isinstance(v, bool):
            _fail(f"parameter '{k}' must default to a number or text, got {v!r}.")
        params[k] = v

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
        if c not in colset:
            _fail(f"optional_columns: unknown column '{c}' in table '{table}'.")

    exclusions = []
    for i, e in enumerate(raw.get("exclusions") or []):
        text = e.get("condition") if isinstance(e, dict) else e
        exclusions.append(ctx.expr(f"exclusions[{i + 1}]", text))
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

    targets = raw.get("targets")
    if targets is not None:
        if not isinstance(targets, dict) or not set(targets) <= {
            "intermediate",
            "high",
            "direction",
        }:
            _fail("targets may hold 'intermediate', 'high' and 'direction' (higher/lower).")
        for k in ("intermediate", "high"):
            v = targets.get(k)
            if v is not None and (not isinstance(v, (int, float)) or isinstance(v, bool)):
                _fail(f"targets.{k} must be a number (a share in 0-1 for proportions).")
            if v is not None and kind.share_targets and not 0 <= v <= 1:
                _fail(f"targets.{k} must be a share between 0 and 1, got {v}.")
        targets = {
            "intermediate": targets.get("intermediate"),
            "high": targets.get("high"),
            "direction": targets.get("direction", "higher"),
        }
        if targets["direction"] not in ("higher", "lower"):
            _fail("targets.direction must be 'higher' or 'lower'.")

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
        title_sv=title[0],
        title_en=title[1],
        description_sv=desc[0],
        description_en=desc[1],
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
