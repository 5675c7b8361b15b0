"""Where the declarative files (schemas/, indicators/) live.

In an installed wheel they ship as ``nhvmetrics/_data/{schemas,indicators}``; in a source
checkout (editable install, tests) they are the top-level ``schemas/`` and ``indicators/``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PKG = Path(__file__).resolve().parent


@cache
def data_dir(name: str) -> Path:
    """Return the folder holding the shipped ``schemas`` or ``indicators`` files."""
    for candidate in (_PKG / "_data" / name, _PKG.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"nhvmetrics is missing its {name}/ folder; reinstall the package.")


def schemas_dir() -> Path:
    return data_dir("schemas")


def indicators_dir() -> Path:
    return data_dir("indicators")
