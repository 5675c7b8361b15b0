"""The registry of indicator kinds: one module per kind, looked up by the ``type:`` of a file.

Every module in this package whose name does not start with ``_`` is imported when the registry
is first used; each defines one :class:`~nhvmetrics.engine.kind.Kind` subclass under
:func:`register`.  Adding a kind is adding one module here (plus the YAML cases of a definition
that uses it); see docs/adding-an-indicator.md, "Adding a kind".

    >>> get_kind("median").name      # an alias
    'duration'
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any, TypeVar

from nhvmetrics.engine.kind import Kind

K = TypeVar("K", bound=type[Kind[Any]])

_REGISTRY: dict[str, Kind[Any]] = {}  # type name or alias -> kind
_LOADED = False


def register(cls: K) -> K:
    """Class decorator: make the kind available under its name and aliases."""
    names = (cls.name, *cls.aliases)
    for name in names:
        if name in _REGISTRY:
            raise RuntimeError(f"indicator kind '{name}' is registered twice")
    kind = cls()
    for name in names:
        _REGISTRY[name] = kind
    return cls


def _load() -> None:
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    for mod in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not mod.name.startswith("_"):
            importlib.import_module(f"{__name__}.{mod.name}")
    # the order of the modules' names, whichever module was imported first
    order = sorted(_REGISTRY.items(), key=lambda kv: (type(kv[1]).__module__, kv[0] != kv[1].name))
    _REGISTRY.clear()
    _REGISTRY.update(order)


def get_kind(type_name: str) -> Kind[Any] | None:
    """The kind of a definition's ``type:`` (None when no kind has that name)."""
    _load()
    return _REGISTRY.get(type_name) if isinstance(type_name, str) else None


def type_names() -> tuple[str, ...]:
    """Every accepted ``type:``: each kind's name, then its aliases."""
    _load()
    return tuple(_REGISTRY)


def kinds() -> tuple[Kind[Any], ...]:
    """Every registered kind, once each."""
    _load()
    return tuple(dict.fromkeys(_REGISTRY.values()))


def kind_fields() -> dict[str, tuple[str, ...]]:
    """Definition field -> the type names whose kind reads it (for the loader's messages)."""
    out: dict[str, list[str]] = {}
    for name, kind in _registry_items():
        for f in sorted(kind.fields):
            out.setdefault(f, []).append(name)
    return {f: tuple(names) for f, names in out.items()}


def _registry_items() -> list[tuple[str, Kind[Any]]]:
    _load()
    return list(_REGISTRY.items())
