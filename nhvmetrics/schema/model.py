"""Load an area's schema (its ``schema.yaml`` over the common schema) into frozen dataclasses.

The column format is described at the top of ``schemas/common.yaml``; an area's file (in the
repository ``schemas/<area>.yaml``, in an area folder ``schema.yaml``) holds ``area``, an
optional ``title`` and ``order``, ``extends`` and ``tables`` (docs/areas.md).  Which files an
area has is :mod:`nhvmetrics.areas`' business; this module reads them.  Every problem in a
schema file raises :class:`~nhvmetrics.errors.DefinitionError` naming the file and the problem.

    >>> schema = load_schema("acc")
    >>> schema.table("cases").column("sex").inca_name
    'KON_VALUE'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nhvmetrics.errors import DefinitionError

if TYPE_CHECKING:
    from nhvmetrics.areas import Area

TYPES = ("string", "int", "float", "date", "bool")
CHECKS = ("personnummer",)
RULE_CHECKS = ("date_order", "not_before_birth", "not_after_death", "age_range")
SEVERITIES = ("error", "warning")
CASE_TABLE = "cases"
#: what a failed check does to its row: quarantine it (the row cannot be trusted as a case), or
#: read the one cell as unknown (the row stays; indicators that need the cell count it missing)
QUARANTINE = "quarantine"
UNKNOWN = "unknown"
ON_FAIL = (QUARANTINE, UNKNOWN)
ISO_DATE = "%Y-%m-%d"
PARTIAL_POLICIES = ("unknown", "first", "middle")

LIST_VALUE_SUFFIX = "_Värde"
LIST_VALUE_SUFFIX_ASCII = "_Varde"
LIST_TEXT_SUFFIX = "_Beskrivning"

# INCA export of a bool list variable: code -> canonical value, and its description.
BOOL_INCA_CODES = {True: "1", False: "0"}
BOOL_LABELS = {True: "Ja", False: "Nej"}


@dataclass(frozen=True)
class ColumnSpec:
    """One canonical column of a table."""

    name: str
    type: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    list_variable: bool = False
    codes: tuple[str, ...] | None = None
    values: dict[str, str] = field(default_factory=dict)  # raw (lower case) -> canonical
    labels: dict[str, str] = field(default_factory=dict)  # canonical -> Swedish text
    range: tuple[float | None, float | None] | None = None
    zfill: int | None = None
    check: str | None = None
    description: str = ""
    identifier: bool = False  # an id or code whose exact characters matter (case_id, unit …)
    # what a value that fails a check of this column does: quarantine the row (required
    # columns), or become unknown in that one cell (every other column)
    on_fail: str = UNKNOWN
    pattern: str | None = None  # a regular expression every value must match (hospital codes)
    pattern_text: str = (
        ""  # the pattern in words, for the finding ("a hospital code of 5–6 digits")
    )
    # names in order of preference when several of them are present (PERSNR > PNR > PAT_ID):
    # the first present is read, the others are known system columns
    priority: tuple[str, ...] = ()
    # --- set by a mapping profile (nhvmetrics.schema.mapping), never by a schema file ---------
    from_profile: bool = False  # the profile names this column's export column(s)
    coalesce: bool = False  # aliases are a priority list: the first non-empty value in a row wins
    checkbox: bool = False  # exported as True/blank: a blank means false
    allowed: tuple[str, ...] | None = None  # the values an identifier may take (the units' list)
    recode: tuple[tuple[str, str | None], ...] = ()  # export code -> canonical text or unknown
    date_formats: tuple[str, ...] = (ISO_DATE,)  # accepted date forms, tried in order
    partial: str = "unknown"  # a date with day or month 00: unknown | first | middle

    @property
    def quarantines(self) -> bool:
        """A failed check of this column quarantines the row (else the cell becomes unknown)."""
        return self.required or self.on_fail == QUARANTINE

    @property
    def inca_base(self) -> str:
        """The INCA variable name (first alias, or the canonical name when there is none)."""
        return self.aliases[0] if self.aliases else self.name

    @property
    def inca_name(self) -> str:
        """The column name an INCA export uses: ``<var>_Värde`` for list variables."""
        return self.inca_base + (LIST_VALUE_SUFFIX if self.list_variable else "")

    @property
    def inca_description_name(self) -> str | None:
        """``<var>_Beskrivning`` for list variables, else None."""
        return self.inca_base + LIST_TEXT_SUFFIX if self.list_variable else None

    def inca_code(self, value: Any) -> str | None:
        """The INCA code written for a canonical value (None → None).

        Bools are ``1``/``0``; coded strings use the first key of ``values`` that maps to the value
        (or the value itself when the map has none); ints and other values are written as text.
        """
        if value is None:
            return None
        if self.type == "bool":
            return BOOL_INCA_CODES[bool(value)]
        text = str(value)
        for raw, canonical in self.values.items():
            if canonical == text:
                return raw
        return text

    def inca_label(self, value: Any) -> str | None:
        """The ``_Beskrivning`` text for a canonical value (Swedish), or None."""
        if value is None:
            return None
        if self.type == "bool":
            return BOOL_LABELS[bool(value)]
        return self.labels.get(str(value), str(value))

    @property
    def is_coded(self) -> bool:
        """True for columns where 98/99 mean unknown (bools, ints, coded strings)."""
        return self.type in ("bool", "int") or self.codes is not None or bool(self.values)


@dataclass(frozen=True)
class RuleSpec:
    """A declarative cross-field rule, e.g. ``{check: date_order, before: a, after: b}``.

    ``on_fail`` says what an error does: ``unknown`` (the default) reads the rule's :attr:`cell`
    as unknown and keeps the row — unless that cell is a required column, which quarantines the
    row —; ``quarantine`` quarantines the row."""

    check: str
    params: dict[str, Any]
    severity: str = "error"
    on_fail: str = UNKNOWN

    def cell(self, column: str) -> str:
        """The column whose cell a failure of this rule is about (and sets unknown) when the rule
        fails for ``column``: the later date of ``date_order``, the date compared with the birth
        or death date, the birth date of ``age_range``."""
        if self.check == "date_order":
            return str(self.params["after"])
        if self.check == "age_range":
            return str(self.params["birth"])
        return column


@dataclass(frozen=True)
class DropRule:
    """Rows that are not data (``MAKULERAD`` true, ``REGION_NAMN`` = "Region Demo")."""

    column: str
    reason: str
    when_true: bool = False
    equals: str | None = None


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: dict[str, ColumnSpec]
    key: str | None = None
    parent: tuple[str, str] | None = None  # (table, column)
    rules: tuple[RuleSpec, ...] = ()
    sheets: tuple[str, ...] = ()

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns.values() if c.required)

    def column(self, name: str) -> ColumnSpec:
        return self.columns[name]

    def inca_names(self) -> dict[str, str]:
        """Canonical name → INCA export name (``<var>_Värde`` for list variables)."""
        return {c.name: c.inca_name for c in self.columns.values()}


@dataclass(frozen=True)
class AreaSchema:
    area: str
    version: int
    tables: dict[str, TableSpec]
    drop_rows: tuple[DropRule, ...]
    system_columns: tuple[str, ...]
    missing_values: tuple[str, ...]
    unknown_codes: tuple[str, ...]
    source: tuple[Path, ...] = ()
    # export columns that identify a person (names, addresses): never read, never in an output
    identifying_columns: tuple[str, ...] = ()
    title_sv: str = ""  # the area's name in Swedish (``title: {sv: ..., en: ...}``), optional
    title_en: str = ""
    # the mapping profile applied to this schema (nhvmetrics.schema.mapping), if any
    profile: Any = field(default=None, compare=False, repr=False)

    def table(self, name: str) -> TableSpec:
        try:
            return self.tables[name]
        except KeyError:
            raise DefinitionError(
                f"area '{self.area}' has no table '{name}'; "
                f"its tables are: {', '.join(self.tables)}."
            ) from None


# --------------------------------------------------------------------------------------------
# loading


def read_utf8(path: Path) -> str:
    """The text of a schema or definition file; one :class:`DefinitionError` when it is not
    UTF-8 (saying the line), as a YAML file saved by Word or in Windows-1252 may be."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DefinitionError(
            f"{path}: not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}); save the "
            "file as UTF-8 and run again."
        ) from None


def read_yaml_mapping(path: Path) -> dict[str, Any]:
    """The top-level mapping of a schema file; one :class:`DefinitionError` when the file is
    missing, not UTF-8, not YAML or not a mapping."""
    import yaml

    if not path.is_file():
        raise DefinitionError(f"{path}: schema file not found; reinstall nhvmetrics or restore it.")
    try:
        # libyaml's loader when present (the same safe subset, several times faster)
        data = yaml.load(read_utf8(path), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise DefinitionError(
            f"{path}: not valid YAML ({str(exc).splitlines()[0]}); fix the file."
        ) from None
    if not isinstance(data, dict):
        raise DefinitionError(f"{path}: expected a mapping at the top level; fix the file.")
    return data


def _str_list(path: Path, where: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(
        isinstance(v, (str, int)) and not isinstance(v, bool) for v in value
    ):
        raise DefinitionError(f"{path}: {where} must be a list of strings; fix the file.")
    return tuple(str(v) for v in value)


_COLUMN_KEYS = {
    "type",
    "aliases",
    "list",
    "codes",
    "values",
    "labels",
    "range",
    "zfill",
    "check",
    "description",
    "identifier",
    "on_fail",
    "pattern",
    "pattern_text",
    "priority",
}


def _column(path: Path, name: str, raw: Any, required: bool) -> ColumnSpec:
    where = f"column '{name}'"
    if not isinstance(raw, dict):
        raise DefinitionError(f"{path}: {where} must be a mapping; fix the file.")
    unknown = set(raw) - _COLUMN_KEYS
    if unknown:
        raise DefinitionError(
            f"{path}: {where} has unknown key(s) {', '.join(sorted(unknown))}; "
            f"use {', '.join(sorted(_COLUMN_KEYS))}."
        )
    ctype = raw.get("type")
    if ctype not in TYPES:
        raise DefinitionError(f"{path}: {where} has type {ctype!r}; use one of {', '.join(TYPES)}.")
    codes = _str_list(path, f"{where} codes", raw.get("codes")) if "codes" in raw else None
    values_raw = raw.get("values") or {}
    if not isinstance(values_raw, dict):
        raise DefinitionError(
            f"{path}: {where} values must be a mapping of input value to canonical value."
        )
    values: dict[str, str] = {}
    for k, v in values_raw.items():
        if isinstance(k, bool) or isinstance(v, bool):
            raise DefinitionError(
                f"{path}: {where} values: quote yes/no/true/false in YAML (got {k!r}: {v!r})."
            )
        v = str(v)
        if codes is not None and v not in codes:
            raise DefinitionError(
                f"{path}: {where} maps {k!r} to {v!r}, which is not in its codes."
            )
        values[str(k).strip().lower()] = v
    labels_raw = raw.get("labels") or {}
    if not isinstance(labels_raw, dict):
        raise DefinitionError(
            f"{path}: {where} labels must be a mapping of canonical value to text."
        )
    labels = {str(k): str(v) for k, v in labels_raw.items()}
    rng = raw.get("range")
    if rng is not None:
        if (
            not isinstance(rng, list)
            or len(rng) != 2
            or not all(
                x is None or (isinstance(x, (int, float)) and not isinstance(x, bool)) for x in rng
            )
        ):
            raise DefinitionError(f"{path}: {where} range must be [min, max]; fix the file.")
        if ctype not in ("int", "float"):
            raise DefinitionError(
                f"{path}: {where} has a range but type {ctype}; ranges are for int and float."
            )
        rng = (rng[0], rng[1])
    if codes is not None and ctype != "string":
        raise DefinitionError(
            f"{path}: {where} has codes but type {ctype}; codes are for string columns."
        )
    check = raw.get("check")
    if check is not None and check not in CHECKS:
        raise DefinitionError(
            f"{path}: {where} has check {check!r}; use one of {', '.join(CHECKS)}."
        )
    zfill = raw.get("zfill")
    if zfill is not None and (not isinstance(zfill, int) or isinstance(zfill, bool) or zfill < 1):
        raise DefinitionError(f"{path}: {where} zfill must be a positive integer.")
    lst = raw.get("list", False)
    if not isinstance(lst, bool):
        raise DefinitionError(f"{path}: {where} list must be true or false.")
    identifier = raw.get("identifier", False)
    if not isinstance(identifier, bool):
        raise DefinitionError(f"{path}: {where} identifier must be true or false.")
    if identifier and (ctype != "string" or codes is not None or values):
        raise DefinitionError(
            f"{path}: {where} is an identifier, which is a string column without codes or values; "
            "fix the file."
        )
    aliases = _str_list(path, f"{where} aliases", raw.get("aliases"))
    on_fail = raw.get("on_fail", QUARANTINE if required else UNKNOWN)
    if on_fail not in ON_FAIL:
        raise DefinitionError(
            f"{path}: {where} has on_fail {on_fail!r}; use one of {', '.join(ON_FAIL)}."
        )
    if required and on_fail != QUARANTINE:
        raise DefinitionError(
            f"{path}: {where} is required, so a value that fails a check quarantines its row; "
            "remove on_fail: unknown."
        )
    pattern = raw.get("pattern")
    if pattern is not None:
        import re

        try:
            re.compile(str(pattern))
        except re.error as exc:
            raise DefinitionError(
                f"{path}: {where} pattern is not a regular expression ({exc})."
            ) from None
        if ctype != "string":
            raise DefinitionError(
                f"{path}: {where} has a pattern; patterns are for string columns."
            )
    priority = _str_list(path, f"{where} priority", raw.get("priority"))
    names = {n.lower() for n in (name, *aliases)}
    stray = [p for p in priority if p.lower() not in names]
    if stray:
        raise DefinitionError(
            f"{path}: {where} priority names {stray[0]!r}, which is not one of its aliases."
        )
    return ColumnSpec(
        name=name,
        type=ctype,
        required=required,
        on_fail=on_fail,
        pattern=None if pattern is None else str(pattern),
        pattern_text=str(raw.get("pattern_text", "")),
        priority=priority,
        aliases=aliases,
        list_variable=lst,
        codes=codes,
        values=values,
        labels=labels,
        range=rng,
        zfill=zfill,
        check=check,
        description=str(raw.get("description", "")),
        identifier=identifier,
    )


def _rules(path: Path, table: str, raw: Any, columns: dict[str, Any]) -> tuple[RuleSpec, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise DefinitionError(f"{path}: table '{table}' rules must be a list; fix the file.")
    out = []
    for i, item in enumerate(raw, 1):
        where = f"table '{table}' rule {i}"
        if not isinstance(item, dict) or "check" not in item:
            raise DefinitionError(f"{path}: {where} must be a mapping with a 'check' key.")
        params = dict(item)
        check = params.pop("check")
        severity = params.pop("severity", "error")
        on_fail = params.pop("on_fail", UNKNOWN)
        if on_fail not in ON_FAIL:
            raise DefinitionError(
                f"{path}: {where} has on_fail {on_fail!r}; use one of {', '.join(ON_FAIL)}."
            )
        if severity == "warning" and "on_fail" in item:
            raise DefinitionError(
                f"{path}: {where} is a warning, which keeps the row and its values; "
                "remove on_fail or make it an error."
            )
        if check not in RULE_CHECKS:
            raise DefinitionError(
                f"{path}: {where} has check {check!r}; use one of {', '.join(RULE_CHECKS)}."
            )
        if severity not in SEVERITIES:
            raise DefinitionError(
                f"{path}: {where} has severity {severity!r}; use error or warning."
            )
        needed = {
            "date_order": ("before", "after"),
            "not_before_birth": ("birth",),
            "not_after_death": ("death",),
            "age_range": ("birth", "at", "min", "max"),
        }[check]
        for key in needed:
            if key not in params:
                raise DefinitionError(f"{path}: {where} ({check}) needs '{key}'.")
        for key in ("before", "after", "birth", "death", "at"):
            if key in params and params[key] not in columns:
                raise DefinitionError(f"{path}: {where} refers to unknown column {params[key]!r}.")
        for c in params.get("except", []) or []:
            if c not in columns:
                raise DefinitionError(f"{path}: {where} refers to unknown column {c!r}.")
        out.append(RuleSpec(check=check, params=params, severity=severity, on_fail=on_fail))
    return tuple(out)


_RULE_COLUMNS = ("before", "after", "birth", "death", "at")


def _applicable(raw: Any, columns: dict[str, Any]) -> Any:
    """The common case-table rules that apply to an area's table: those whose columns it has
    (an area that does not use ``death_date`` has no "not after death" rule); a column of a
    rule's ``except`` that the table lacks is left out of it.  Anything that is not a list of
    mappings is returned as it is, for :func:`_rules` to refuse."""
    if not isinstance(raw, list):
        return raw
    out = []
    for item in raw:
        if not isinstance(item, dict):
            out.append(item)
            continue
        named = [item[k] for k in _RULE_COLUMNS if item.get(k) is not None]
        if all(isinstance(c, str) for c in named) and any(c not in columns for c in named):
            continue
        if isinstance(item.get("except"), list):
            item = {**item, "except": [c for c in item["except"] if c in columns]}
        out.append(item)
    return out


def load_schema(area: str | Path | Area) -> AreaSchema:
    """The schema of an area: a shipped area's name (``acc``, ``net``, ``anal``, ``pelvic``),
    the path of an area folder, or an :class:`~nhvmetrics.areas.Area` (read once per process).
    """
    from nhvmetrics.areas import resolve_area

    return resolve_area(area).schema()


def as_schema(area: str | Path | Area | AreaSchema) -> AreaSchema:
    """An already loaded schema as it is; anything else through :func:`load_schema`."""
    return area if isinstance(area, AreaSchema) else load_schema(area)


#: the top-level keys of an area's schema file
AREA_KEYS = ("area", "title", "order", "extends", "tables")


def load_area_schema(
    area_path: Path, shipped_common: Path, expect: str | None = None
) -> AreaSchema:
    """Load an area's schema file over the common schema it ``extends``.

    ``extends: common`` (the default) is the common schema shipped with nhvmetrics
    (``shipped_common``); ``extends: <file>.yaml`` is a common schema of the area's own, a path
    relative to the area's file.  ``expect`` is the area name the file must declare.
    """
    spec = read_yaml_mapping(area_path)
    ext = spec.get("extends", "common")
    if ext == "common":
        common_path = shipped_common
    elif isinstance(ext, str) and ext.strip().lower().endswith((".yaml", ".yml")):
        common_path = (area_path.parent / ext.strip()).resolve()
        if not common_path.is_file():
            raise DefinitionError(
                f"{area_path}: extends '{ext}', which is not a file beside it; give the path of "
                "a common schema relative to this file, or 'common' for the shipped one."
            )
    else:
        raise DefinitionError(
            f"{area_path}: 'extends' must be 'common' (the shipped common columns) or the path "
            f"of a common schema file (.yaml), got {ext!r}."
        )
    schema = load_schema_files(common_path, area_path)
    if expect is not None and schema.area != expect:
        raise DefinitionError(
            f"{area_path}: declares area '{schema.area}', expected '{expect}'; fix the file."
        )
    return schema


def load_schema_files(common_path: Path, area_path: Path) -> AreaSchema:
    """Load a schema from explicit files: the common schema and the area's own file (used by
    :func:`load_area_schema` and by tests)."""
    common = read_yaml_mapping(common_path)
    spec = read_yaml_mapping(area_path)
    area = spec.get("area")
    if not isinstance(area, str):
        raise DefinitionError(f"{area_path}: missing 'area: <name>' at the top; fix the file.")
    unknown_keys = sorted(str(k) for k in spec if k not in AREA_KEYS)
    if unknown_keys:
        raise DefinitionError(
            f"{area_path}: unknown top-level key '{unknown_keys[0]}'; an area's schema holds "
            f"{', '.join(AREA_KEYS)}."
        )
    order = spec.get("order")
    if order is not None and (not isinstance(order, int) or isinstance(order, bool)):
        raise DefinitionError(f"{area_path}: 'order' must be a whole number; fix the file.")
    title = spec.get("title")
    if title is None:
        title = {}
    if not isinstance(title, dict) or not set(title) <= {"sv", "en"}:
        raise DefinitionError(
            f"{area_path}: 'title' must be a mapping with 'sv' and 'en' text; fix the file."
        )

    common_cols_raw = common.get("columns")
    if not isinstance(common_cols_raw, dict):
        raise DefinitionError(f"{common_path}: missing the 'columns' mapping; fix the file.")
    common_cases = common.get("cases") or {}
    if not isinstance(common_cases, dict):
        raise DefinitionError(f"{common_path}: 'cases' must be a mapping; fix the file.")

    drop_rules = []
    for i, d in enumerate(common.get("drop_rows") or [], 1):
        if (
            not isinstance(d, dict)
            or "column" not in d
            or "reason" not in d
            or not ({"when", "equals"} & set(d))
        ):
            raise DefinitionError(
                f"{common_path}: drop_rows entry {i} needs column, reason and when/equals."
            )
        drop_rules.append(
            DropRule(
                column=str(d["column"]),
                reason=str(d["reason"]),
                when_true=d.get("when") is True,
                equals=None if d.get("equals") is None else str(d["equals"]),
            )
        )

    tables_raw = spec.get("tables")
    if not isinstance(tables_raw, dict) or CASE_TABLE not in tables_raw:
        raise DefinitionError(
            f"{area_path}: 'tables' must be a mapping that includes '{CASE_TABLE}'."
        )

    tables: dict[str, TableSpec] = {}
    for tname, traw in tables_raw.items():
        if not isinstance(traw, dict):
            raise DefinitionError(f"{area_path}: table '{tname}' must be a mapping; fix the file.")
        is_cases = tname == CASE_TABLE
        used_common = _str_list(area_path, f"table '{tname}' common", traw.get("common"))
        for c in used_common:
            if c not in common_cols_raw:
                raise DefinitionError(
                    f"{area_path}: table '{tname}' uses unknown common column {c!r}."
                )
        own = traw.get("columns") or {}
        if not isinstance(own, dict):
            raise DefinitionError(f"{area_path}: table '{tname}' columns must be a mapping.")
        dup = set(own) & set(used_common)
        if dup:
            raise DefinitionError(
                f"{area_path}: table '{tname}' redefines common column(s) {', '.join(sorted(dup))}."
            )
        if "required" in traw:
            required = set(_str_list(area_path, f"table '{tname}' required", traw["required"]))
        elif is_cases:
            required = set(_str_list(common_path, "cases required", common_cases.get("required")))
        else:
            required = set()
        all_names = list(used_common) + list(own)
        for r in required:
            if r not in all_names:
                raise DefinitionError(
                    f"{area_path}: table '{tname}' requires {r!r}, which it does not define."
                )
        columns: dict[str, ColumnSpec] = {}
        for c in used_common:
            columns[c] = _column(common_path, c, common_cols_raw[c], c in required)
        for c, craw in own.items():
            columns[str(c)] = _column(area_path, str(c), craw, c in required)
        # aliases must be unambiguous within a table
        seen: dict[str, str] = {}
        for col in columns.values():
            for n in (col.name, *col.aliases):
                k = n.lower()
                if k in seen and seen[k] != col.name:
                    raise DefinitionError(
                        f"{area_path}: table '{tname}': name {n!r} is used by both "
                        f"{seen[k]!r} and {col.name!r}."
                    )
                seen[k] = col.name
        rules: list[RuleSpec] = []
        if is_cases:
            common_rules = _applicable(common_cases.get("rules"), columns)
            rules += _rules(common_path, tname, common_rules, columns)
        rules += _rules(area_path, tname, traw.get("rules"), columns)
        key = traw.get("key", common_cases.get("key") if is_cases else None)
        if key is not None and key not in columns:
            raise DefinitionError(
                f"{area_path}: table '{tname}' key {key!r} is not one of its columns."
            )
        parent = None
        if "parent" in traw:
            p = traw["parent"]
            if not isinstance(p, dict) or "table" not in p or "column" not in p:
                raise DefinitionError(
                    f"{area_path}: table '{tname}' parent must be {{table: ..., column: ...}}."
                )
            if p["table"] not in tables_raw or p["column"] not in columns:
                raise DefinitionError(
                    f"{area_path}: table '{tname}' parent refers to an unknown table or column."
                )
            parent = (str(p["table"]), str(p["column"]))
        tables[str(tname)] = TableSpec(
            name=str(tname),
            columns=columns,
            key=key,
            parent=parent,
            rules=tuple(rules),
            sheets=_str_list(area_path, f"table '{tname}' sheets", traw.get("sheets"))
            or (str(tname),),
        )
    version = common.get("version", 1)
    return AreaSchema(
        area=area,
        version=int(version),
        tables=tables,
        drop_rows=tuple(drop_rules),
        system_columns=_str_list(common_path, "system_columns", common.get("system_columns")),
        missing_values=_str_list(common_path, "missing_values", common.get("missing_values")),
        unknown_codes=_str_list(common_path, "unknown_codes", common.get("unknown_codes")),
        source=(common_path, area_path),
        identifying_columns=_str_list(
            common_path, "identifying_columns", common.get("identifying_columns")
        ),
        title_sv=str(title.get("sv") or "").strip(),
        title_en=str(title.get("en") or "").strip(),
    )


def inca_name(area: str, column: str, table: str = CASE_TABLE) -> str:
    """The INCA export name of a canonical column: ``inca_name("acc", "sex") == "KON_VALUE"``."""
    return load_schema(area).table(table).column(column).inca_name


def inca_names(area: str, table: str = CASE_TABLE) -> dict[str, str]:
    """Canonical name → INCA export name for every column of a table."""
    return load_schema(area).table(table).inca_names()
