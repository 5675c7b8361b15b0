"""Sources are shown by document title and section, never by the seed file's name."""

from __future__ import annotations

import re

from nhvmetrics.engine.definitions import load_definitions
from nhvmetrics.report.build import indicator_info
from nhvmetrics.report.html import render_html
from nhvmetrics.report.sources import DOCUMENT_TITLES, document_title, source_text
from tests.fixtures.report_example import example_report_data

SEED_FILE = re.compile(r"\d{3}_[0-9a-f]{16}\.txt")


def test_every_shipped_definition_cites_a_known_document() -> None:
    for d in load_definitions():
        assert d.source_document in DOCUMENT_TITLES, d.id
        info = indicator_info(d, d.area)
        shown = info.source_text("sv")
        assert not SEED_FILE.search(shown), (d.id, shown)
        assert shown.startswith(DOCUMENT_TITLES[d.source_document])
        assert info.fill(d.source_section, "sv") in shown


def test_the_titles() -> None:
    assert source_text("000_322ab7d43b14cd0e.txt", "Uppföljning och utvärdering") == (
        "Socialstyrelsen, Nationell högspecialiserad vård – Binjurebarkscancer, "
        "Uppföljning och utvärdering"
    )
    assert document_title("seeds/004_c3a98d38afb88675.txt").endswith("Avancerad bäckenkirurgi")
    # a region's own document is shown as its definition writes it
    assert document_title("Region Skånes riktlinje 2026") == "Region Skånes riktlinje 2026"
    assert source_text("", "Avsnitt 3") == "Avsnitt 3"


def test_no_seed_file_name_in_a_real_report() -> None:
    from tests.fixtures.sample_reports import sample_report

    data = sample_report("acc", "inca", with_unit=False)
    for lang in ("sv", "en"):
        html = render_html(data, lang)
        assert not SEED_FILE.search(html)
        assert "Socialstyrelsen, Nationell högspecialiserad vård – Binjurebarkscancer" in html
    assert not SEED_FILE.search(render_html(example_report_data("SE100"), "sv"))
