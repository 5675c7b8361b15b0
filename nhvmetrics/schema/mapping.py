"""Mapping profiles: how one register's export maps onto the canonical columns (SPEC §2a).

A profile is a YAML file that a registrar writes once per register (or that ``nhvmetrics map``
drafts), so that nobody renames export columns by hand::

    area: acc
    columns:                                 # canonical column: export column, or a priority list
      patient_id: [PERSNR, PNR, PAT_ID]      #   (the first present and non-empty in a row wins)
      case_id: R77T201_ID
      referral_date: a_rem_dat
    values:                                  # per canonical column: export code -> code or null
      resection_margin: {"1": R0, "2": R1, "3": R2, "4": RX, "96": null}
    checkboxes: [postop_hypocortisolism]     # exported as True/blank, and a blank means false
    unknown_codes: ["96", "98", "99"]        # read as unknown in every coded column (default)
    dates:
      formats: ["%Y-%m-%d", "%Y%m%d"]        # accepted forms, tried in order (default: ISO only)
      partial: unknown                       # a date with day or month 00: unknown | first | middle

Those keys are the public contract. Keys of nhvmetrics' own design: ``units`` (the units' code
list: ``unit`` and ``treatment_unit`` must be one of them, instead of "a hospital code of 5–6
digits"), ``tables`` (``{episodes: {columns: {...}}}``: export names for one secondary table,
where they differ from the case table's) and ``description`` (free text).

:func:`load_profile` reads and checks a file against an area's schema; every problem is one
:class:`ProfileError` (exit 2) naming the file, the key and the problem.
:meth:`MappingProfile.apply` gives the schema as the profile changes it, which normalisation
then uses (:mod:`nhvmetrics.schema.normalize`), so batched and whole reads agree.
The likeliest export column for a missing required column is
:func:`nhvmetrics.schema.draft.rank_candidates`, the heuristics of ``nhvmetrics map``.

    >>> profile = load_profile(Path("acc_profile.yaml"), load_schema("acc"))
    >>> schema = profile.apply(load_schema("acc"))
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from nhvmetrics.errors import InputError
from nhvmetrics.schema.model import (
    ISO_DATE,
    PARTIAL_POLICIES,
    AreaSchema,
    ColumnSpec,
)

#: the keys of SPEC §2a (the public contract), then the keys of nhvmetrics' own design
CONTRACT_KEYS = ("area", "columns", "values", "checkboxes", "unknown_codes", "dates")
OWN_KEYS = ("units", "tables", "description")
PROFILE_KEYS = CONTRACT_KEYS + OWN_KEYS
DATE_KEYS = ("formats", "partial")
TABLE_KEYS = ("columns",)
#: the hospital-code columns a profile's ``units`` list applies to
UNIT_COLUMNS = ("unit", "treatment_unit")
#: the directives a date form may use (``%Y-%m-%d``, ``%Y%m%d``, ``%d.%m.%Y %H:%M`` …)
DATE_DIRECTIVES = {"Y": r"[0-9]{4}", "m": r"[0-9]{2}", "d": r"[0-9]{2}", "H": r"[0-9]{2}",
                   "M": r"[0-9]{2}", "S": r"[0-9]{2}"}  # fmt: skip
MAX_SHOWN = 60


class ProfileError(InputError):
    """A mapping profile that cannot be used (exit 2): one sentence naming file, key, problem."""


@dataclass(frozen=True)
class MappingProfile:
    """One register's mapping profile, checked against an area's schema."""

    path: Path
    sha256: str
    area: str
    columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, str | None]] = field(default_factory=dict)
    checkboxes: tuple[str, ...] = ()
    unknown_codes: tuple[str, ...] | None = None
    date_formats: tuple[str, ...] | None = None
    partial: str | None = None
    units: tuple[str, ...] | None = None
    tables: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    description: str = ""

    @property
    def name(self) -> str:
        """The profile's file name (as the report's provenance shows it)."""
        return self.path.name

    def names_for(self, table: str, column: str) -> tuple[str, ...]:
        """The export column(s) the profile gives for ``column`` of ``table`` (or ``()``)."""
        own = self.tables.get(table, {})
        return own.get(column) or self.columns.get(column, ())

    def apply(self, schema: AreaSchema) -> AreaSchema:
        """The schema as this profile changes it: the export names it gives replace the
        built-in aliases of those columns, value maps replace the built-in ones, checkbox
        columns read a blank as false, the unknown codes, date forms and partial-date policy
        and the units' list take effect."""
        tables = {}
        for tname, t in schema.tables.items():
            cols = {}
            for cname, spec in t.columns.items():
                cols[cname] = self._column(tname, spec)
            tables[tname] = replace(t, columns=cols)
        return replace(
            schema,
            tables=tables,
            unknown_codes=schema.unknown_codes
            if self.unknown_codes is None
            else self.unknown_codes,
            profile=self,
        )

    def _column(self, table: str, spec: ColumnSpec) -> ColumnSpec:
        changes: dict[str, Any] = {}
        names = self.names_for(table, spec.name)
        if names:
            changes.update(aliases=names, from_profile=True, coalesce=len(names) > 1, priority=())
        if spec.name in self.values:
            changes["recode"] = tuple(self.values[spec.name].items())
            if spec.type == "string":
                changes["values"] = {}  # the register's own codes replace the built-in map
        if spec.name in self.checkboxes:
            changes["checkbox"] = True
        if spec.type == "date":
            if self.date_formats is not None:
                changes["date_formats"] = self.date_formats
            if self.partial is not None:
                changes["partial"] = self.partial
        if self.units is not None and spec.name in UNIT_COLUMNS:
            changes["allowed"] = self.units
        return replace(spec, **changes) if changes else spec


# ---------------------------------------------------------------- loading


def _number_free_loader() -> type:
    """A safe YAML loader that keeps numbers as the text written: ``05101`` stays ``"05101"``
    (PyYAML would read it as the octal number 2625) and ``1`` is the code ``"1"``."""
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):  # type: ignore[valid-type,misc]
        pass

    numbers = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}
    Loader.yaml_implicit_resolvers = {
        k: [(tag, rx) for tag, rx in v if tag not in numbers]
        for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return Loader


def load_profile(path: Path | str, schema: AreaSchema) -> MappingProfile:
    """Read and check a mapping profile against ``schema`` (the area it must be for).

    Raises :class:`ProfileError` (exit 2) in one sentence naming the file, the key and the
    problem: a missing or unreadable file, YAML that does not parse, an unknown key, an unknown
    canonical column, a value map onto a code outside the column's list, a date form nhvmetrics
    cannot read, a profile for another area.
    """
    import yaml

    from nhvmetrics.io.readers import sha256_file

    path = Path(path)
    if not path.exists():
        raise ProfileError(f"the mapping profile {path} does not exist; check the path.")
    if not path.is_file():
        raise ProfileError(f"the mapping profile {path} is not a file; give the path of a .yaml.")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ProfileError(
            f"cannot read the mapping profile {path} ({exc.strerror or exc}); check the file."
        ) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ProfileError(
            f"{path}: not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}); save the "
            "mapping profile as UTF-8."
        ) from None
    try:
        raw = yaml.load(text, Loader=_number_free_loader())
    except yaml.YAMLError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ProfileError(f"{path}: not valid YAML ({first}); fix the mapping profile.") from None
    if not isinstance(raw, dict):
        raise ProfileError(
            f"{path}: a mapping profile is a YAML mapping with the keys "
            f"{', '.join(CONTRACT_KEYS)}; see docs/mapping.md."
        )
    return _Checker(path, schema).profile(raw, sha256_file(path))


class _Checker:
    """The checks of one profile file; every failure is one :class:`ProfileError`."""

    def __init__(self, path: Path, schema: AreaSchema) -> None:
        self.path = path
        self.schema = schema
        self.columns: dict[str, ColumnSpec] = {}
        for t in schema.tables.values():
            for name, spec in t.columns.items():
                self.columns.setdefault(name, spec)

    def fail(self, key: str, problem: str) -> ProfileError:
        return ProfileError(f"{self.path}: key '{key}': {problem}.")

    def profile(self, raw: dict[Any, Any], sha256: str) -> MappingProfile:
        unknown = [str(k) for k in raw if k not in PROFILE_KEYS]
        if unknown:
            raise self.fail(
                unknown[0],
                f"not a key of a mapping profile; use {', '.join(CONTRACT_KEYS)} (and "
                f"{', '.join(OWN_KEYS)})",
            )
        area = raw.get("area")
        if not isinstance(area, str) or not area.strip():
            raise self.fail("area", "missing; say which area the profile is for (area: acc)")
        if area.strip().lower() != self.schema.area:
            raise self.fail(
                "area",
                f"the profile is for '{area.strip()}', but the export is validated as "
                f"'{self.schema.area}'; give the {self.schema.area} profile, or --area "
                f"{area.strip().lower()}",
            )
        columns = self.column_map("columns", raw.get("columns"), table=None)
        tables = self.tables(raw.get("tables"))
        values = self.values(raw.get("values"))
        checkboxes = self.checkboxes(raw.get("checkboxes"))
        unknown_codes = None
        if "unknown_codes" in raw:
            unknown_codes = self.codes("unknown_codes", raw["unknown_codes"])
        formats, partial = self.dates(raw.get("dates"))
        units = self.codes("units", raw["units"]) if "units" in raw else None
        if units is not None and not units:
            raise self.fail("units", "an empty list would refuse every unit; list the codes")
        description = raw.get("description", "")
        if description is None:
            description = ""
        if not isinstance(description, str):
            raise self.fail("description", "must be text")
        return MappingProfile(
            path=self.path,
            sha256=sha256,
            area=self.schema.area,
            columns=columns,
            values=values,
            checkboxes=checkboxes,
            unknown_codes=unknown_codes,
            date_formats=formats,
            partial=partial,
            units=units,
            tables=tables,
            description=description,
        )

    def canonical(self, key: str, name: Any, table: str | None = None) -> ColumnSpec:
        if not isinstance(name, str):
            raise self.fail(key, f"{name!r} is not a column name")
        where = self.schema.tables[table].columns if table else self.columns
        if name not in where:
            scope = f"the {table} table" if table else f"the {self.schema.area} schema"
            raise self.fail(
                key,
                f"'{name}' is not a canonical column of {scope}; use one of {_shown(list(where))}",
            )
        return where[name]

    def column_map(self, key: str, raw: Any, table: str | None) -> dict[str, tuple[str, ...]]:
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            raise self.fail(key, "must map canonical columns to export columns")
        out: dict[str, tuple[str, ...]] = {}
        used: dict[str, str] = {}
        for name, given in raw.items():
            self.canonical(f"{key}.{name}", name, table)
            names = [given] if isinstance(given, str) else given
            if (
                not isinstance(names, list)
                or not names
                or not all(isinstance(n, str) and n.strip() for n in names)
            ):
                raise self.fail(
                    f"{key}.{name}",
                    "must be an export column name or a list of them (a priority list)",
                )
            clean = tuple(n.strip() for n in names)
            for n in clean:
                k = _norm(n)
                if k in used and used[k] != name:
                    raise self.fail(
                        f"{key}.{name}",
                        f"the export column '{n}' is already given for {used[k]}; one export "
                        "column gives one canonical column",
                    )
                used[k] = name
            out[name] = clean
        return out

    def tables(self, raw: Any) -> dict[str, dict[str, tuple[str, ...]]]:
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            raise self.fail("tables", "must map table names to {columns: ...}")
        out = {}
        for tname, body in raw.items():
            if tname not in self.schema.tables:
                raise self.fail(
                    f"tables.{tname}",
                    f"the {self.schema.area} area has no such table; its tables are "
                    f"{', '.join(self.schema.tables)}",
                )
            if not isinstance(body, dict) or set(body) - set(TABLE_KEYS):
                raise self.fail(f"tables.{tname}", "holds only columns: {...}")
            out[str(tname)] = self.column_map(
                f"tables.{tname}.columns", body.get("columns"), table=str(tname)
            )
        return out

    def values(self, raw: Any) -> dict[str, dict[str, str | None]]:
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            raise self.fail("values", "must map canonical columns to {export code: code}")
        out: dict[str, dict[str, str | None]] = {}
        for name, codes in raw.items():
            key = f"values.{name}"
            spec = self.canonical(key, name)
            if not isinstance(codes, dict) or not codes:
                raise self.fail(key, "must map export codes to canonical codes (or null)")
            out[name] = {self.code(key, k): self.target(key, spec, v) for k, v in codes.items()}
        return out

    def code(self, key: str, raw: Any) -> str:
        if isinstance(raw, bool) or not isinstance(raw, str) or not raw.strip():
            raise self.fail(key, f'the export code {raw!r} must be written as text in quotes ("2")')
        return raw.strip()

    def target(self, key: str, spec: ColumnSpec, value: Any) -> str | None:
        if value is None:
            return None
        if spec.type == "bool":
            if not isinstance(value, bool):
                raise self.fail(
                    key, f"{spec.name} is yes/no: map codes to true, false or null, not {value!r}"
                )
            return "true" if value else "false"
        if isinstance(value, bool):
            raise self.fail(key, f"{value!r} is a yes/no value; quote the code if it is one")
        text = str(value).strip()
        if spec.type == "int":
            lo, hi = spec.range if spec.range else (None, None)
            ok = text.lstrip("-").isdigit() and (lo is None or int(text) >= lo)
            ok = ok and (hi is None or int(text) <= hi)
            if not ok:
                shown = f"{lo:g}–{hi:g}" if lo is not None and hi is not None else "a number"
                raise self.fail(
                    key, f"maps onto {text!r}, which is not a code of {spec.name} ({shown})"
                )
            return str(int(text))
        if spec.type == "string" and spec.codes is not None:
            if text not in spec.codes:
                raise self.fail(
                    key,
                    f"maps onto '{text}', which is not a code of {spec.name}; its codes are "
                    f"{', '.join(spec.codes)} (or null for unknown)",
                )
            return text
        raise self.fail(
            key, f"{spec.name} has no code list ({spec.type}), so it takes no value map"
        )

    def checkboxes(self, raw: Any) -> tuple[str, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list):
            raise self.fail("checkboxes", "must be a list of yes/no columns")
        out = []
        for name in raw:
            spec = self.canonical("checkboxes", name)
            if spec.type != "bool":
                raise self.fail(
                    "checkboxes",
                    f"{spec.name} is not a yes/no column ({spec.type}), so it is no checkbox",
                )
            out.append(name)
        return tuple(out)

    def codes(self, key: str, raw: Any) -> tuple[str, ...]:
        if not isinstance(raw, list):
            raise self.fail(key, "must be a list of codes in quotes")
        return tuple(self.code(key, c) for c in raw)

    def dates(self, raw: Any) -> tuple[tuple[str, ...] | None, str | None]:
        if raw is None:
            return None, None
        if not isinstance(raw, dict):
            raise self.fail("dates", "must hold formats: [...] and partial: unknown|first|middle")
        stray = [str(k) for k in raw if k not in DATE_KEYS]
        if stray:
            raise self.fail(f"dates.{stray[0]}", "not a key of dates; use formats and partial")
        formats = None
        if "formats" in raw:
            given = raw["formats"]
            if isinstance(given, str):
                given = [given]
            if not isinstance(given, list) or not given:
                raise self.fail("dates.formats", 'must be a list of date forms ("%Y%m%d")')
            formats = tuple(self.date_format(f) for f in given)
        partial = None
        if "partial" in raw:
            partial = raw["partial"]
            if partial not in PARTIAL_POLICIES:
                raise self.fail(
                    "dates.partial",
                    f"must be one of {', '.join(PARTIAL_POLICIES)}, got {partial!r}",
                )
        return formats, partial

    def date_format(self, fmt: Any) -> str:
        if not isinstance(fmt, str) or not fmt.strip():
            raise self.fail("dates.formats", f"{fmt!r} is not a date form")
        try:
            format_regex(fmt)
        except ValueError as exc:
            raise self.fail("dates.formats", f"'{fmt}' {exc}") from None
        return fmt


def format_regex(fmt: str) -> str:
    """The regular expression of the texts a date form accepts, with named groups ``y``,
    ``m``, ``d``: ``%Y%m%d`` → ``^(?P<y>[0-9]{4})(?P<m>[0-9]{2})(?P<d>[0-9]{2})$``.

    Raises ValueError (in words) for a form without year, month and day, or with a directive
    other than ``%Y %m %d %H %M %S``.
    """
    out = []
    seen: set[str] = set()
    i = 0
    while i < len(fmt):
        ch = fmt[i]
        if ch != "%":
            out.append(re.escape(ch))
            i += 1
            continue
        if i + 1 >= len(fmt):
            raise ValueError("ends in a lone %")
        d = fmt[i + 1]
        if d == "%":
            out.append("%")
        elif d in DATE_DIRECTIVES:
            if d in seen:
                raise ValueError(f"has %{d} twice")
            seen.add(d)
            group = {"Y": "y", "m": "m", "d": "d"}.get(d)
            rx = DATE_DIRECTIVES[d]
            out.append(f"(?P<{group}>{rx})" if group else rx)
        else:
            raise ValueError(
                f"uses %{d}; a date form may use %Y, %m, %d (and %H, %M, %S for a time)"
            )
        i += 2
    if not {"Y", "m", "d"} <= seen:
        raise ValueError("needs a year, a month and a day (%Y, %m and %d)")
    return "^" + "".join(out) + "$"


# ---------------------------------------------------------------- suggestions


def _norm(name: str) -> str:
    return unicodedata.normalize("NFC", name).strip().lower()


def _shown(names: list[str]) -> str:
    text = ", ".join(names)
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


__all__ = [
    "CONTRACT_KEYS",
    "ISO_DATE",
    "MappingProfile",
    "ProfileError",
    "format_regex",
    "load_profile",
]
