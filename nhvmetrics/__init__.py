"""nhvmetrics: NHV follow-up indicators from INCA-style registry exports.

The commands as Python functions (see docs/python-api.md)::

    import nhvmetrics
    validated = nhvmetrics.validate("acc_cases.csv", area="acc")
    computed = nhvmetrics.compute("acc_cases.csv", area="acc", year=2025)
    rendered = nhvmetrics.run("acc_cases.csv", area="acc", year=2025, html="acc.html")

(``nhvmetrics.api.report`` is ``run`` under the command's name; ``nhvmetrics.report`` is the
package that renders reports.)

They are imported on first use, so ``import nhvmetrics`` (and ``nhvmetrics --help``) stays fast.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_API = ("validate", "compute", "run", "options")


def __getattr__(name: str) -> Any:
    if name in _API:
        from nhvmetrics import api

        return getattr(api, name)
    # ``AREAS``: the shipped areas' names, kept for code written before area folders; ask
    # ``nhvmetrics.areas`` (``shipped_area_names()``, ``resolve_area()``) instead.
    if name == "AREAS":
        from nhvmetrics.areas import shipped_area_names

        return shipped_area_names()
    raise AttributeError(f"module 'nhvmetrics' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_API, "AREAS"])
