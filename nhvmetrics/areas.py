"""The NHV areas: the shipped ones and a region's own area folders, one way to ask for either.

An *area folder* holds ``schema.yaml`` (the area's tables and columns, see
:mod:`nhvmetrics.schema.model`) and ``indicators/*.yaml`` (one definition per file, see
:mod:`nhvmetrics.engine.definitions`).  The shipped areas take that form inside an installed
package (``nhvmetrics/_data/areas/<area>/``, with the common schema beside them as
``nhvmetrics/_data/areas/common.yaml``); in a source checkout (an editable install, the tests)
the same areas are read from the repository's top-level ``schemas/<area>.yaml``,
``schemas/common.yaml`` and ``indicators/<area>/``.  A region's own area is a folder of the same
form anywhere on disk.  docs/areas.md describes the folder for its authors.

Every other module asks this one which areas there are and where their files are:

    >>> shipped_area_names()
    ('acc', 'net', 'anal', 'pelvic')
    >>> resolve_area("ACC").contract().dtypes("cases")["referral_date"]
    Date
    >>> resolve_area("regions/lung").definitions(extra=["regions/lung-local"])  # doctest: +SKIP

This module imports only :mod:`nhvmetrics.errors` at module level, so any layer may import it;
``Area.schema()``, ``Area.contract()`` and ``Area.definitions()`` import the layer whose objects
they return when they are called.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nhvmetrics.errors import DefinitionError, NhvError

if TYPE_CHECKING:
    from nhvmetrics.contract import Contract
    from nhvmetrics.engine.definitions import Definition
    from nhvmetrics.schema.model import AreaSchema

#: the files of an area folder
SCHEMA_FILE = "schema.yaml"
INDICATORS_DIR = "indicators"
#: the shipped common schema's file name (beside the area folders, or in ``schemas/``)
COMMON_FILE = "common.yaml"

#: what a definition's ``origin`` is: a file shipped with nhvmetrics, or one from outside it
ORIGIN_SHIPPED = "shipped"
ORIGIN_OWN = "own"

#: an area's name starts every indicator id (``<area>.<name>``)
AREA_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

_PKG = Path(__file__).resolve().parent
_INSTALLED = _PKG / "_data" / "areas"  # the wheel's assembled area folders
_SOURCE = _PKG.parent  # a source checkout: schemas/ and indicators/ at the top

_HOLDS = "schema.yaml and indicators/*.yaml"


def _choices() -> str:
    """What ``--area`` takes, for the end of an error sentence."""
    return (
        f"use one of {', '.join(shipped_area_names())}, or the path of an area folder, which "
        f"holds {_HOLDS} (see docs/areas.md)"
    )


@dataclass(frozen=True)
class Area:
    """One NHV area: its name, whether it ships with nhvmetrics, and where its files are.

    ``folder`` is the area folder (``schema.yaml`` + ``indicators/``); it is None for a shipped
    area read from a source checkout, whose files are the repository's top-level ``schemas/``
    and ``indicators/<area>/``.  Get an Area with :func:`resolve_area`, not by hand.
    """

    name: str
    shipped: bool
    folder: Path | None

    def __str__(self) -> str:
        return self.name

    @property
    def origin(self) -> str:
        """The ``origin`` of the area's own definition files: ``shipped`` or ``own``."""
        return ORIGIN_SHIPPED if self.shipped else ORIGIN_OWN

    @property
    def label(self) -> str:
        """How messages name the area: its name, and for a folder also where it is."""
        return self.name if self.folder is None or self.shipped else f"{self.name} ({self.folder})"

    @property
    def schema_path(self) -> Path:
        """The area's schema file (``schema.yaml``, or ``schemas/<area>.yaml`` in a checkout)."""
        if self.folder is None:
            return _SOURCE / "schemas" / f"{self.name}.yaml"
        return self.folder / SCHEMA_FILE

    @property
    def indicators_dir(self) -> Path:
        """The folder of the area's definition files."""
        if self.folder is None:
            return _SOURCE / INDICATORS_DIR / self.name
        return self.folder / INDICATORS_DIR

    def schema(self) -> AreaSchema:
        """The area's schema with the common columns it extends (read once, and again only
        when its files change)."""
        return _schema(self)

    def contract(self) -> Contract:
        """The area's canonical tables, columns and types (:mod:`nhvmetrics.contract`)."""
        return _contract(self)

    def definition_files(self) -> list[Path]:
        """The area's own definition files (``*.yaml``/``*.yml`` under its indicators folder),
        sorted."""
        root = self.indicators_dir
        if not root.is_dir():
            return []
        return sorted(x for x in root.rglob("*") if x.suffix in (".yaml", ".yml") and x.is_file())

    def definitions(self, extra: Sequence[Path | str] = ()) -> list[Definition]:
        """The area's definitions, with a region's own files from ``extra`` (folders or files)
        joined to them, sorted by id.

        An id that already exists is a :class:`~nhvmetrics.errors.DefinitionError` naming both
        files, unless the new file says ``replaces: <its id>``: then it takes that definition's
        place.  Each definition records its ``origin`` (``shipped`` or ``own``) and ``path``.
        """
        from nhvmetrics.engine.definitions import join_definitions

        defs, _ = join_definitions(self, extra, collect=False)
        return defs

    def check(self, extra: Sequence[Path | str] = ()) -> tuple[list[Definition], list[str]]:
        """Like :meth:`definitions`, but every problem (the schema, each file, each clash of
        ids) is one finding in the returned list instead of an error at the first."""
        from nhvmetrics.engine.definitions import join_definitions

        try:
            self.schema()
        except DefinitionError as exc:
            return [], [str(exc)]
        return join_definitions(self, extra, collect=True)


# ---------------------------------------------------------------- the shipped areas


@cache
def _layout() -> tuple[str, Path]:
    """Where the shipped areas are: ``("installed", _data/areas)`` or ``("source", root)``."""
    if (_INSTALLED / COMMON_FILE).is_file():
        return "installed", _INSTALLED
    if (_SOURCE / "schemas" / COMMON_FILE).is_file() and (_SOURCE / INDICATORS_DIR).is_dir():
        return "source", _SOURCE
    raise NhvError("nhvmetrics is missing its area files (schemas and indicators); reinstall it.")


def shipped_common_path() -> Path:
    """The shipped common schema (the columns every area's case table may use)."""
    kind, root = _layout()
    return root / COMMON_FILE if kind == "installed" else root / "schemas" / COMMON_FILE


def _shipped_candidates() -> dict[str, Area]:
    kind, root = _layout()
    found: dict[str, Area] = {}
    if kind == "installed":
        for sub in sorted(root.iterdir()):
            if (sub / SCHEMA_FILE).is_file():
                found[sub.name] = Area(sub.name, True, sub)
    else:
        for f in sorted((root / "schemas").glob("*.yaml")):
            if f.name != COMMON_FILE:
                found[f.stem] = Area(f.stem, True, None)
    return found


@cache
def _shipped() -> dict[str, Area]:
    """The shipped areas by name, in their order (the ``order:`` of each schema, then name)."""
    found = _shipped_candidates()

    def rank(area: Area) -> tuple[int, str]:
        order = _schema_head(area.schema_path).get("order")
        if isinstance(order, int) and not isinstance(order, bool):
            return (order, area.name)
        return (1_000_000, area.name)

    return {a.name: a for a in sorted(found.values(), key=rank)}


def shipped_area_names() -> tuple[str, ...]:
    """The names of the areas shipped with nhvmetrics, in their order:
    ``("acc", "net", "anal", "pelvic")``."""
    return tuple(_shipped())


def shipped_areas() -> tuple[Area, ...]:
    """The shipped areas, in the order of :func:`shipped_area_names`."""
    return tuple(_shipped().values())


def area_rank(name: str) -> int:
    """Where an area sorts in lists: a shipped area by its order, any other after them."""
    names = shipped_area_names()
    return names.index(name) if name in names else len(names)


def is_shipped_file(path: Path | str) -> bool:
    """True when ``path`` is one of the definition or schema files shipped with nhvmetrics."""
    try:
        p = Path(path).resolve()
    except OSError:
        return False
    for area in shipped_areas():
        for root in (area.indicators_dir, area.schema_path):
            r = root.resolve()
            if p == r or r in p.parents:
                return True
    return False


# ---------------------------------------------------------------- resolving an --area


def _unknown(value: object) -> NhvError:
    return NhvError(f"unknown area '{value}'; {_choices()}.")


def _looks_like_path(text: str) -> bool:
    seps = {"/", os.sep} | ({os.altsep} if os.altsep else set())
    return any(s in text for s in seps) or text.startswith((".", "~")) or Path(text).exists()


def resolve_area(value: str | Path | Area) -> Area:
    """The area ``value`` names: a shipped area's name (any case), or the path of an area
    folder (a ``Path``, or text that is a path).

    A name that is neither, or a folder without ``schema.yaml`` and ``indicators/``, is an
    :class:`~nhvmetrics.errors.NhvError` (exit 2) naming the shipped areas and what a folder
    must hold; a ``schema.yaml`` that does not declare a usable ``area:`` name is a
    :class:`~nhvmetrics.errors.DefinitionError` (exit 1).
    """
    if isinstance(value, Area):
        return value
    if isinstance(value, str):
        key = value.strip().lower()
        shipped = _shipped()
        if key in shipped:
            return shipped[key]
        if not key or not _looks_like_path(value.strip()):
            raise _unknown(value)
        value = Path(value.strip()).expanduser()
    if not isinstance(value, Path):
        raise _unknown(value)
    return _area_folder(value)


def _area_folder(path: Path) -> Area:
    if not path.exists():
        raise _unknown(path)
    if not path.is_dir():
        raise NhvError(f"{path} is a file, not an area folder; {_choices()}.")
    folder = path.resolve()
    for area in shipped_areas():  # the installed package's own folder is the shipped area
        if area.folder is not None and area.folder.resolve() == folder:
            return area
    if not (folder / SCHEMA_FILE).is_file():
        raise NhvError(f"{path} is not an area folder: it has no {SCHEMA_FILE}; {_choices()}.")
    if not (folder / INDICATORS_DIR).is_dir():
        raise NhvError(
            f"{path} is not an area folder: it has no {INDICATORS_DIR}/ folder; {_choices()}."
        )
    schema_file = folder / SCHEMA_FILE
    name = _schema_head(schema_file).get("area")
    if not isinstance(name, str) or not name:
        raise DefinitionError(f"{schema_file}: missing 'area: <name>' at the top; fix the file.")
    if not AREA_NAME.match(name):
        raise DefinitionError(
            f"{schema_file}: area '{name}' must be lower case letters, digits and '_' "
            "(it starts every indicator id, '<area>.<name>'); fix the file."
        )
    return Area(name, False, folder)


def _schema_head(path: Path) -> dict[str, Any]:
    """The top-level mapping of a schema file (a DefinitionError when it cannot be read)."""
    from nhvmetrics.schema.model import read_yaml_mapping

    return read_yaml_mapping(path)


# ---------------------------------------------------------------- cached loading
#
# An area's schema is read once and kept while its files stay as they are (same modification
# time and size): a process that edits an area folder and asks again gets the new schema.

_SCHEMAS: dict[Area, tuple[tuple[tuple[int, int], ...], AreaSchema]] = {}
_CONTRACTS: dict[Area, tuple[AreaSchema, Contract]] = {}


def _stamp(paths: Sequence[Path]) -> tuple[tuple[int, int], ...]:
    out = []
    for p in paths:
        try:
            st = p.stat()
            out.append((st.st_mtime_ns, st.st_size))
        except OSError:
            out.append((-1, -1))
    return tuple(out)


def _schema(area: Area) -> AreaSchema:
    from nhvmetrics.schema.model import load_area_schema

    hit = _SCHEMAS.get(area)
    if hit is not None and hit[0] == _stamp(hit[1].source):
        return hit[1]
    schema = load_area_schema(area.schema_path, shipped_common_path(), expect=area.name)
    _SCHEMAS[area] = (_stamp(schema.source), schema)
    return schema


def _contract(area: Area) -> Contract:
    from nhvmetrics.contract import contract_from_schema

    schema = area.schema()
    hit = _CONTRACTS.get(area)
    if hit is not None and hit[0] is schema:
        return hit[1]
    contract = contract_from_schema(schema)
    _CONTRACTS[area] = (schema, contract)
    return contract
