"""Where an indicator comes from, as a reader cites it: document title and section.

A definition names its source document by the file it was taken from (``source.document``, e.g.
``000_322ab7d43b14cd0e.txt``) and the section in it. The report shows the document by its title
instead; this table maps the shipped source documents to their titles. A document that is not in
the table (a region's own definitions may cite anything) is shown as the definition writes it.
"""

from __future__ import annotations

from pathlib import PurePosixPath, PureWindowsPath

#: source file -> the document's title (the same in both languages: it is a citation)
DOCUMENT_TITLES: dict[str, str] = {
    "000_322ab7d43b14cd0e.txt": (
        "Socialstyrelsen, Nationell högspecialiserad vård – Binjurebarkscancer"
    ),
    "001_6dbb1186f1f4cd41.txt": (
        "Socialstyrelsen, Nationell högspecialiserad vård – Neuroendokrina tumörer i buken"
    ),
    "002_141c9ddd427b4d0d.txt": "Socialstyrelsen, Nationell högspecialiserad vård – Analcancer",
    "003_b74192658023e0ab.txt": (
        "Sveriges Kommuner och Landsting, rapport om nationell nivåstrukturering av "
        "cancervården (2013)"
    ),
    "004_c3a98d38afb88675.txt": (
        "Socialstyrelsen, Nationell högspecialiserad vård – Avancerad bäckenkirurgi"
    ),
}


def document_title(document: str) -> str:
    """The title of a source document named by its file (a path is reduced to its name)."""
    name = PureWindowsPath(PurePosixPath(document.strip()).name).name
    return DOCUMENT_TITLES.get(name, document.strip())


def source_text(document: str, section: str) -> str:
    """``document title, section`` (either may be empty)."""
    parts = [p for p in (document_title(document) if document else "", section.strip()) if p]
    return ", ".join(parts)
