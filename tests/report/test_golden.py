"""The rendered report and workbook must not drift from tests/report/golden/ (regenerated,
never edited).

On drift: look at the change, and if it is intended run ``python scripts/regen_golden.py`` and
commit the new golden files with the change that caused them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fixtures.golden import golden_outputs

GOLDEN = Path(__file__).resolve().parent / "golden"
HINT = (
    "rendering drifted from tests/report/golden; if intended, run: python scripts/regen_golden.py"
)


@pytest.fixture(scope="module")
def rendered() -> dict[str, str]:
    return golden_outputs()


@pytest.mark.parametrize("name", ["report_acc_sv_unit.html", "report_acc_en.html"])
def test_html_matches_golden(rendered: dict[str, str], name: str) -> None:
    # the charts are SVG written by nhvmetrics itself: compared byte for byte with the rest
    assert rendered[name] == (GOLDEN / name).read_text(encoding="utf-8"), HINT


def test_workbook_matches_golden(rendered: dict[str, str]) -> None:
    name = "workbook_acc_sv_unit.json"
    assert json.loads(rendered[name]) == json.loads((GOLDEN / name).read_text(encoding="utf-8")), (
        HINT
    )


def test_every_golden_file_is_generated(rendered: dict[str, str]) -> None:
    on_disk = {p.name for p in GOLDEN.iterdir() if p.is_file()}
    assert on_disk == set(rendered), "tests/report/golden holds files the script does not write"
