"""One generic runner for the test cases written beside every indicator definition.

Each ``tests:`` entry of ``indicators/<area>/<name>.yaml`` becomes one pytest case; the same
cases run in ``nhvmetrics indicators check``.
"""

from __future__ import annotations

import pytest

from nhvmetrics.engine.definitions import load_definitions
from nhvmetrics.engine.testing import iter_cases, run_case

DEFS = load_definitions()
CASES = list(iter_cases(DEFS))


@pytest.mark.parametrize(
    ("defn", "index", "case"),
    CASES,
    ids=[f"{d.id}[{i + 1}]-{c.get('name', '')[:40]}" for d, i, c in CASES],
)
def test_definition_case(defn, index, case):
    problems = run_case(defn, case)
    assert not problems, f"{defn.path}: tests[{index + 1}] ({case.get('name')}):\n" + "\n".join(
        problems
    )


def test_every_definition_has_cases():
    assert all(d.tests for d in DEFS), [d.id for d in DEFS if not d.tests]
