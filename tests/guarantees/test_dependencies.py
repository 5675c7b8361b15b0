"""Every dependency has a lower and an upper bound, and what is installed satisfies them.

(A fresh install resolving the bounds is checked by ``.ci/run``, whose first step is
``python -m pip install ".[test]"``; the audit step and its limits are in docs/guarantees.md.)
"""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

PYPROJECT = tomllib.loads(
    (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text(encoding="utf-8")
)
PROJECT = PYPROJECT["project"]
REQUIREMENTS = [Requirement(r) for r in PROJECT["dependencies"]] + [
    Requirement(r) for r in PROJECT["optional-dependencies"]["test"]
]


@pytest.mark.parametrize("req", REQUIREMENTS, ids=lambda r: r.name)
def test_bounded_above_and_below(req: Requirement) -> None:
    ops = {s.operator for s in req.specifier}
    assert ">=" in ops or "==" in ops or "~=" in ops, f"{req} has no lower bound"
    assert "<" in ops or "==" in ops or "~=" in ops, f"{req} has no upper bound"


@pytest.mark.parametrize("req", REQUIREMENTS, ids=lambda r: r.name)
def test_installed_version_is_within_the_bounds(req: Requirement) -> None:
    try:
        version = metadata.version(req.name)
    except metadata.PackageNotFoundError:
        pytest.fail(f"{req.name} is a dependency but is not installed")
    assert req.specifier.contains(version, prereleases=True), (
        f"{req.name} {version} is outside {req.specifier}"
    )
