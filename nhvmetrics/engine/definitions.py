"""Indicator definitions: one YAML file per indicator under ``indicators/<area>/<name>.yaml``.

The loader checks every file and stops at the first problem of each file with one sentence
that names the file and the field (``DefinitionError``, exit code 1).  See
``docs/adding-an-indicator.md`` for the file format and ``nhvmetrics.engine.expr`` for the
condition language.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nhvmetrics import AREAS
from nhvmetrics.engine import columns as C
from nhvmetrics.engine.expr import ExprError, Parsed, is_identifier, parse
from nhvmetrics.errors import DefinitionError

TYPES = ("count", "proportion", "duration", "median", "distribution", "survival", "prem")

TOP_KEYS = {
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
    "numerator",
    "value",
    "value_unit",
    "category",
    "missing",
    "pending",
    "optional_columns",
    "measures",
    "stratifiers",
    "targets",
    "tests",
    "events",
    "time_origin",
    "event",
    "censor",
    "questions",
    "notes",
}
REQUIRED = ("id", "version", "title", "source", "type", "period")
MEASURE_KEYS = {"name", "title", "numerator", "missing", "pending", "population"}
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


@dataclass
class Measure:
    """An extra row of an indicator (stratum ``measure=<name>``), e.g. a named complication."""

    name: str
    title_sv: str
    title_en: str
    numerator: Parsed
    missing: Parsed | None = None
    pending: Parsed | None = None
    population: Parsed | None = None


@dataclass
class Event:
    """One kind of event counted by a ``count`` indicator (e.g. surgeries, oncology starts)."""

    date: str
    when: Parsed | None = None


@dataclass
class Definition:
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
    type: str
    table: str
    period_date: str
    period_offset_years: int
    params: dict[str, Any]
    param_help: dict[str, str]
    population: Parsed | None
    exclusions: list[Parsed]
    numerator: Parsed | None
    value: Parsed | None
    value_unit: str | None
    category: str | None
    missing: Parsed | None
    pending: Parsed | None
    optional_columns: list[str]
    measures: list[Measure]
    events: list[Event]
    stratifiers: list[str]
    targets: dict[str, Any] | None
    tests: list[dict[str, Any]]
    path: Path | None = None
    time_origin: str | None = None
    event: str | None = None
    censor: Parsed | None = None
    questions: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

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
        for p in self._parsed():
            cols |= p.columns
        for e in self.events:
            cols.add(e.date)
        if self.category and self.category not in C.DERIVED_STRATIFIERS:
            cols.add(self.category)
        if self.category == "age_band":
            cols.add("birth_date")
        for x in (self.time_origin, self.event):
            if x:
                cols.add(x)
        cols |= set(self.questions)
        return cols - set(self.optional_columns)

    def _parsed(self) -> list[Parsed]:
        out = [
            p
            for p in (
                self.population,
                self.numerator,
                self.value,
                self.missing,
                self.pending,
                self.censor,
            )
            if p is not None
        ]
        out += self.exclusions
        for m in self.measures:
            out += [p for p in (m.numerator, m.missing, m.pending, m.population) if p is not None]
        out += [e.when for e in self.events if e.when is not None]
        return out

    @property
    def parameters_text(self) -> str:
        """Parameters as shown in every output row, e.g. ``x_days=14``."""
        return ";".join(f"{k}={_fmt(v)}" for k, v in self.params.items())


def _fmt(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


# ---------------------------------------------------------------- loading


def definition_files(paths=None, area: str | None = None) -> list[Path]:
    """Every ``*.yaml``/``*.yml`` under the given files/folders (default: the shipped ones)."""
    if paths is None:
        from nhvmetrics.resources import indicators_dir

        root = indicators_dir()
        paths = [root / area] if area else [root]
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


def load_definitions(area: str | None = None, paths=None) -> list[Definition]:
    """Load and check definitions (all shipped ones, one area's, or the given files/folders).

    Raises :class:`DefinitionError` naming the file and the problem at the first invalid
    file, or on a duplicate id.  The list is sorted by area (in ``AREAS`` order) and id.
    """
    if area is not None and area not in AREAS:
        raise DefinitionError(f"unknown area '{area}'; use one of: {', '.join(AREAS)}.")
    defs: list[Definition] = []
    seen: dict[str, Path] = {}
    for f in definition_files(paths, area if paths is None else None):
        d = load_file(f)
        if d.id in seen:
            raise DefinitionError(
                f"{f}: duplicate indicator id '{d.id}' (also defined in {seen[d.id]})."
            )
        seen[d.id] = f
        if area is None or d.area == area:
            defs.append(d)
    return sorted(defs, key=lambda d: (AREAS.index(d.area), d.id))


def check_files(paths=None) -> tuple[list[Definition], list[str]]:
    """Load every file, collecting one finding per bad file and per duplicate id."""
    findings: list[str] = []
    defs: list[Definition] = []
    seen: dict[str, Path] = {}
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
            d = load_file(f)
        except DefinitionError as exc:
            findings.append(str(exc))
            continue
        if d.id in seen:
            findings.append(f"{f}: duplicate indicator id '{d.id}' (also defined in {seen[d.id]}).")
            continue
        seen[d.id] = f
        defs.append(d)
    return defs, findings


class _Fail(Exception):
    pass


def load_file(path: Path | str) -> Definition:
    """Load one definition file; raise :class:`DefinitionError` naming the file and problem."""
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
        return _build(raw, path)
    except _Fail as exc:
        raise DefinitionError(f"{path}: {exc}") from None


def parse_definition(raw: dict[str, Any], path: Path | str | None = None) -> Definition:
    """Build a definition from an already-parsed mapping (e.g. in tests)."""
    try:
        return _build(raw, Path(path) if path else None)
    except _Fail as exc:
        raise DefinitionError(f"{path or '<definition>'}: {exc}") from None


def _build(raw: Any, path: Path | None) -> Definition:
    if not isinstance(raw, dict):
        raise _Fail("the file must hold a mapping of fields (id, version, title, ...).")
    unknown = sorted(set(raw) - TOP_KEYS)
    if unknown:
        raise _Fail(
            f"unknown field '{unknown[0]}'; allowed fields are {', '.join(sorted(TOP_KEYS))}."
        )
    for k in REQUIRED:
        if raw.get(k) in (None, "", {}):
            raise _Fail(f"missing required field '{k}'.")

    ident = raw["id"]
    if not isinstance(ident, str) or ident.count(".") != 1:
        raise _Fail(f"id '{ident}' must look like '<area>.<name>', e.g. 'acc.visit_within_x'.")
    area, name = ident.split(".")
    if area not in AREAS:
        raise _Fail(f"id '{ident}': unknown area '{area}'; use one of: {', '.join(AREAS)}.")
    if not is_identifier(name):
        raise _Fail(f"id '{ident}': the name must be lower case letters, digits and '_'.")
    if path is not None:
        if path.stem != name:
            raise _Fail(
                f"the file name must be the indicator name: '{name}.yaml' for id '{ident}'."
            )
        if path.parent.name in AREAS and path.parent.name != area:
            raise _Fail(f"id '{ident}' belongs in indicators/{area}/, not {path.parent.name}/.")

    version = raw["version"]
    if not isinstance(version, (int, str, float)) or isinstance(version, bool):
        raise _Fail("version must be a number or text such as 1 or '1.2'.")
    version = str(version)

    title = _pair(raw, "title", required=True)
    desc = _pair(raw, "description", required=False)

    source = raw["source"]
    if not isinstance(source, dict) or not source.get("document") or not source.get("section"):
        raise _Fail("source needs 'document' (the seed file) and 'section' (where in it).")

    typ = raw["type"]
    if typ not in TYPES:
        raise _Fail(f"type '{typ}' is not one of: {', '.join(TYPES)}.")

    table = raw.get("table", "cases")
    cols = C.table_columns(area, table)
    if not cols:
        raise _Fail(f"table '{table}' is not a table of area '{area}'.")
    colset = set(cols)
    stratcols = colset | set(C.DERIVED_STRATIFIERS)

    period = raw["period"]
    if not isinstance(period, dict) or "date" not in period:
        raise _Fail("period needs 'date': the date column that places a case in a year.")
    pdate = period["date"]
    if pdate not in cols or cols[pdate] != "Date":
        raise _Fail(f"period.date '{pdate}' is not a date column of table '{table}'.")
    extra_period = set(period) - {"date", "offset_years"}
    if extra_period:
        raise _Fail(
            f"period: unknown field '{sorted(extra_period)[0]}'; use date and offset_years."
        )
    offset = period.get("offset_years", 0)
    if not isinstance(offset, int) or isinstance(offset, bool) or not 0 <= offset <= 10:
        raise _Fail("period.offset_years must be a whole number of years from 0 to 10.")

    params: dict[str, Any] = {}
    param_help: dict[str, str] = {}
    rawp = raw.get("params") or {}
    if not isinstance(rawp, dict):
        raise _Fail("params must be a mapping of name: default (or name: {default, description}).")
    for k, v in rawp.items():
        if not isinstance(k, str) or not is_identifier(k) or k in colset or k == "extract_date":
            raise _Fail(f"parameter name '{k}' must be lower case and not a column name.")
        if isinstance(v, dict):
            if "default" not in v:
                raise _Fail(f"parameter '{k}' needs a 'default'.")
            param_help[k] = str(v.get("description", ""))
            v = v["default"]
        if not isinstance(v, (int, float, str)) or isinstance(v, bool):
            raise _Fail(f"parameter '{k}' must default to a number or text, got {v!r}.")
        params[k] = v

    def expr(key: str, text: Any, table_cols: set[str] = colset) -> Parsed:
        try:
            return parse(text, table_cols, params)
        except ExprError as exc:
            raise _Fail(f"{key}: {exc}.") from None

    def opt(key: str, src: dict[str, Any] = raw) -> Parsed | None:
        v = src.get(key)
        return None if v in (None, "") else expr(key, v)

    optional_columns = list(raw.get("optional_columns") or [])
    for c in optional_columns:
        if c not in colset:
            raise _Fail(f"optional_columns: unknown column '{c}' in table '{table}'.")

    exclusions = []
    for i, e in enumerate(raw.get("exclusions") or []):
        text = e.get("condition") if isinstance(e, dict) else e
        exclusions.append(expr(f"exclusions[{i + 1}]", text))

    numerator = opt("numerator")
    value = opt("value")
    category = raw.get("category")
    events: list[Event] = []
    questions: list[str] = []
    time_origin = event = None
    censor = None
    if typ == "proportion" and numerator is None:
        raise _Fail("a proportion needs a 'numerator' condition.")
    if typ in ("duration", "median") and value is None:
        raise _Fail(
            f"a {typ} needs a 'value' expression (e.g. days(referral_date, treatment_start_date))."
        )
    if typ == "distribution":
        if not category or category not in stratcols:
            raise _Fail(
                f"a distribution needs 'category': a column of table '{table}' or age_band."
            )
    elif category:
        raise _Fail("'category' is only used by type distribution.")
    if typ == "count":
        for i, ev in enumerate(raw.get("events") or []):
            if (
                not isinstance(ev, dict)
                or ev.get("date") not in cols
                or cols.get(ev.get("date")) != "Date"
            ):
                raise _Fail(f"events[{i + 1}]: needs 'date', a date column of table '{table}'.")
            when = ev.get("when")
            events.append(Event(ev["date"], expr(f"events[{i + 1}].when", when) if when else None))
    elif raw.get("events"):
        raise _Fail("'events' is only used by type count.")
    if typ == "survival":
        time_origin = raw.get("time_origin") or pdate
        event = raw.get("event")
        for key, val in (("time_origin", time_origin), ("event", event)):
            if val not in cols or cols[val] != "Date":
                raise _Fail(f"survival: '{key}' must be a date column of table '{table}'.")
        censor = opt("censor")
        if "horizon_days" not in params:
            raise _Fail("survival needs a parameter 'horizon_days' (e.g. 365).")
    if typ == "prem":
        questions = list(raw.get("questions") or [])
        if not questions:
            raise _Fail("a prem indicator needs 'questions', e.g. [q1, q2, q3, q4].")
        for q in questions:
            if q not in cols:
                raise _Fail(f"questions: unknown column '{q}' in table '{table}'.")
        if "positive_min" not in params:
            raise _Fail("a prem indicator needs a parameter 'positive_min' (e.g. 4).")

    measures: list[Measure] = []
    for i, m in enumerate(raw.get("measures") or []):
        if not isinstance(m, dict):
            raise _Fail(f"measures[{i + 1}] must be a mapping with name, title and numerator.")
        bad = set(m) - MEASURE_KEYS
        if bad:
            raise _Fail(f"measures[{i + 1}]: unknown field '{sorted(bad)[0]}'.")
        if not m.get("name") or not is_identifier(str(m["name"])):
            raise _Fail(f"measures[{i + 1}]: needs a lower-case 'name'.")
        if not m.get("numerator"):
            raise _Fail(f"measures[{i + 1}] ({m['name']}): needs a 'numerator'.")
        t = _pair(m, "title", required=True, where=f"measures[{i + 1}].")
        measures.append(
            Measure(
                name=m["name"],
                title_sv=t[0],
                title_en=t[1],
                numerator=expr(f"measures[{i + 1}].numerator", m["numerator"]),
                missing=opt("missing", m),
                pending=opt("pending", m),
                population=opt("population", m),
            )
        )
    if len({m.name for m in measures}) != len(measures):
        raise _Fail("measures: two measures have the same name.")

    strat = list(raw.get("stratifiers") or [])
    for s in strat:
        if s not in stratcols:
            raise _Fail(f"stratifiers: unknown column '{s}' in table '{table}'.")
    if len(set(strat)) != len(strat):
        raise _Fail("stratifiers: a stratifier is listed twice.")

    targets = raw.get("targets")
    if targets is not None:
        if not isinstance(targets, dict) or not set(targets) <= {
            "intermediate",
            "high",
            "direction",
        }:
            raise _Fail("targets may hold 'intermediate', 'high' and 'direction' (higher/lower).")
        for k in ("intermediate", "high"):
            v = targets.get(k)
            if v is not None and (not isinstance(v, (int, float)) or isinstance(v, bool)):
                raise _Fail(f"targets.{k} must be a number (a share in 0-1 for proportions).")
            if v is not None and typ == "proportion" and not 0 <= v <= 1:
                raise _Fail(f"targets.{k} must be a share between 0 and 1, got {v}.")
        targets = {
            "intermediate": targets.get("intermediate"),
            "high": targets.get("high"),
            "direction": targets.get("direction", "higher"),
        }
        if targets["direction"] not in ("higher", "lower"):
            raise _Fail("targets.direction must be 'higher' or 'lower'.")

    tests = raw.get("tests") or []
    if not isinstance(tests, list):
        raise _Fail("tests must be a list of cases.")
    for i, t in enumerate(tests):
        _check_test(t, i, area, table, params)

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
        population=opt("population"),
        exclusions=exclusions,
        numerator=numerator,
        value=value,
        value_unit=raw.get("value_unit"),
        category=category,
        missing=opt("missing"),
        pending=opt("pending"),
        optional_columns=optional_columns,
        measures=measures,
        events=events,
        stratifiers=strat,
        targets=targets,
        tests=tests,
        path=path,
        time_origin=time_origin,
        event=event,
        censor=censor,
        questions=questions,
        raw=raw,
    )


def _pair(src: dict[str, Any], key: str, *, required: bool, where: str = "") -> tuple[str, str]:
    v = src.get(key)
    if v is None and not required:
        return "", ""
    if not isinstance(v, dict) or not v.get("sv") or not v.get("en"):
        raise _Fail(f"{where}{key} needs both 'sv' (Swedish) and 'en' (English) text.")
    return str(v["sv"]).strip(), str(v["en"]).strip()


def _check_test(t: Any, i: int, area: str, table: str, params: dict[str, Any]) -> None:
    where = f"tests[{i + 1}]"
    if not isinstance(t, dict):
        raise _Fail(f"{where} must be a mapping with name, year, rows and expect.")
    bad = set(t) - TEST_KEYS
    if bad:
        raise _Fail(
            f"{where}: unknown field '{sorted(bad)[0]}'; allowed: {', '.join(sorted(TEST_KEYS))}."
        )
    for k in ("name", "year", "expect"):
        if k not in t:
            raise _Fail(f"{where}: missing field '{k}'.")
    where = f"tests[{i + 1}] ({t['name']})"
    if "extract_date" in t and not isinstance(t["extract_date"], (dt.date, str)):
        raise _Fail(f"{where}: extract_date must be a date YYYY-MM-DD.")
    for k in t.get("params") or {}:
        if k not in params:
            raise _Fail(f"{where}: params: '{k}' is not a parameter of this indicator.")
    tables = dict(t.get("tables") or {})
    if "rows" in t:
        tables[table] = t["rows"]
    for tname, rows in tables.items():
        cols = C.table_columns(area, tname)
        if not cols:
            raise _Fail(f"{where}: '{tname}' is not a table of area '{area}'.")
        if not isinstance(rows, list):
            raise _Fail(f"{where}: rows of '{tname}' must be a list of mappings.")
        for j, row in enumerate(rows):
            if not isinstance(row, dict):
                raise _Fail(f"{where}: row {j + 1} must be a mapping column: value.")
            for c in row:
                if c not in cols and not str(c).startswith("_"):
                    raise _Fail(f"{where}: row {j + 1}: unknown column '{c}' in table '{tname}'.")
    exp = t["expect"]
    exps = exp if isinstance(exp, list) else [exp]
    for e in exps:
        if not isinstance(e, dict):
            raise _Fail(f"{where}: expect must be a mapping (or a list of them).")
        bad = set(e) - EXPECT_KEYS
        if bad:
            raise _Fail(
                f"{where}: expect: unknown field '{sorted(bad)[0]}'; "
                f"allowed: {', '.join(sorted(EXPECT_KEYS))}."
            )
