"""docs/indicators.md is generated from the definition files and must be up to date."""

from __future__ import annotations

from pathlib import Path

from nhvmetrics.engine.catalogue import catalogue_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "indicators.md"


def test_catalogue_is_up_to_date():
    assert DOC.read_text(encoding="utf-8") == catalogue_markdown(), (
        "docs/indicators.md is out of date; run: "
        "python -m nhvmetrics.engine.catalogue > docs/indicators.md"
    )


def test_catalogue_mentions_every_indicator():
    from nhvmetrics.engine.definitions import load_definitions

    text = DOC.read_text(encoding="utf-8")
    for d in load_definitions():
        assert f"### {d.id}" in text
