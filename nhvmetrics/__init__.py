"""nhvmetrics: NHV follow-up indicators from INCA-style registry exports."""

from __future__ import annotations

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    # ``AREAS``: the shipped areas' names, kept for code written before area folders; ask
    # ``nhvmetrics.areas`` (``shipped_area_names()``, ``resolve_area()``) instead.
    if name == "AREAS":
        from nhvmetrics.areas import shipped_area_names

        return shipped_area_names()
    raise AttributeError(f"module 'nhvmetrics' has no attribute {name!r}")
