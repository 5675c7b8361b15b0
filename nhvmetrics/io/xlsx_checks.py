"""Checks of a workbook's zip archive and XML parts before openpyxl parses anything.

An ``.xlsx`` file is a zip of XML documents, and both layers can be turned against a reader:

* a **zip bomb** packs gigabytes into a few megabytes (deflate reaches about 1 000 : 1), so the
  archive's declared sizes are checked first: at most :data:`MAX_UNPACKED` bytes in all, at most
  :data:`MAX_RATIO` times the packed size for any part larger than :data:`RATIO_FROM`, at most
  :data:`MAX_PARTS` parts, and no two parts sharing packed bytes (an "overlapping" bomb).  The
  sizes are trustworthy bounds: Python's ``zipfile`` never returns more bytes than a part
  declares and fails on a checksum mismatch, which the reader turns into the same one-sentence
  error as any broken workbook;
* an XML **document type declaration** (``<!DOCTYPE …>``) is where entity expansion ("billion
  laughs") and external entities (XXE, reading local files or URLs) live.  Excel, LibreOffice,
  openpyxl and INCA never write one, so a part whose prolog holds one is refused, as is a part in
  a text encoding other than UTF-8, UTF-16 or ASCII/Latin-1 (where the prolog could hide one).
  ``defusedxml``, which openpyxl uses when it is installed, refuses entities while parsing too.

The limits are sized for a national export of 10^6 rows: Excel stores such a sheet in roughly
35–50 bytes a cell, so 4 GiB holds a full sheet (1 048 576 rows) of about 80–120 columns.  Sheets
compress 5–25 times (25 for 200 000 rows of one repeated value); only a small part can pack
better (a style table of 64 000 identical entries: 4.6 MiB at about 300 : 1), hence the ratio
counts from 8 MiB.  Wider or longer exports belong in CSV or Parquet.
"""

from __future__ import annotations

import codecs
import re
import zipfile
from pathlib import Path

from nhvmetrics.errors import InputError

MAX_UNPACKED = 4 << 30  # bytes, every part together
MAX_RATIO = 100  # unpacked / packed, for a part larger than RATIO_FROM
RATIO_FROM = 8 << 20  # bytes; smaller parts do no harm whatever their ratio
MAX_PARTS = 10_000  # a workbook has a few dozen (a few hundred with many images)
MAX_PROLOG = 1 << 20  # bytes read from a part to find its first element

_XML_SUFFIXES = (".xml", ".rels", ".vml")
_SAFE_ENCODINGS = {
    "utf-8",
    "utf8",
    "utf-16",
    "utf16",
    "utf-16le",
    "utf-16be",
    "us-ascii",
    "ascii",
    "iso-8859-1",
    "latin-1",
    "latin1",
    "windows-1252",
    "cp1252",
}
_ENCODING_RE = re.compile(r"""encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_TODO = "open and save it again in Excel, or export the table as CSV"


def _size(n: int) -> str:
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift:
            return f"{n / (1 << shift):.1f} {unit}"
    return f"{n} bytes"


def check_archive(path: Path, archive: zipfile.ZipFile) -> None:
    """Refuse a zip bomb (sizes and ratio as declared by the archive) with an InputError."""
    infos = archive.infolist()
    if len(infos) > MAX_PARTS:
        raise InputError(
            f"{path} holds {len(infos)} parts, more than a workbook ever has "
            f"(limit {MAX_PARTS}); {_TODO}."
        )
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > RATIO_FROM and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            ratio = info.file_size / max(info.compress_size, 1)
            raise InputError(
                f"{path} looks like a zip bomb: its part {info.filename!r} unpacks to "
                f"{_size(info.file_size)}, {ratio:.0f} times its packed size (a sheet packs 5 "
                f"to 25 times; the limit is {MAX_RATIO}); {_TODO}."
            )
    if total > MAX_UNPACKED:
        raise InputError(
            f"{path} unpacks to {_size(total)}, more than the {_size(MAX_UNPACKED)} nhvmetrics "
            "reads from a workbook; export the table as CSV or Parquet instead."
        )
    # each part's packed bytes end before the next part begins: parts that share their bytes
    # (an "overlapping" zip bomb) would unpack to far more than the file holds
    spans = sorted((i.header_offset, i.compress_size) for i in infos)
    for (start, size), (nxt, _) in zip(spans, spans[1:], strict=False):
        if nxt < start + size:
            raise InputError(
                f"{path} is not a valid .xlsx workbook: two of its parts overlap inside the zip "
                f"archive (how a zip bomb is built); {_TODO}."
            )


def check_xml_parts(path: Path, archive: zipfile.ZipFile) -> None:
    """Refuse a workbook whose XML parts declare a DTD (entities) or use an odd text encoding."""
    for info in archive.infolist():
        if info.is_dir() or not info.file_size:
            continue
        # every part, not only those named .xml: the workbook's relationships may point openpyxl
        # at a part of any name
        verdict = _prolog_verdict(archive, info)
        if verdict == "binary":
            if not info.filename.lower().endswith(_XML_SUFFIXES):
                continue  # an image or other binary part, never parsed as XML
            verdict = "encoding"
        if verdict == "dtd":
            raise InputError(
                f"{path} is refused: its part {info.filename!r} declares an XML document type "
                "(<!DOCTYPE …>), which Excel never writes and which can expand entities or read "
                f"other files; {_TODO}."
            )
        if verdict == "encoding":
            raise InputError(
                f"{path} is refused: its part {info.filename!r} is not in UTF-8 or UTF-16, the "
                f"encodings a workbook uses; {_TODO}."
            )
        if verdict == "long":
            raise InputError(
                f"{path} is refused: its part {info.filename!r} has more than {_size(MAX_PROLOG)} "
                f"before its first element; {_TODO}."
            )


def _prolog_verdict(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> str | None:
    """``"dtd"``, ``"encoding"`` or ``"long"`` for a part that is refused, ``"binary"`` for one
    that does not start like XML, else None.

    Reads the part only up to its first element (the prolog: XML declaration, comments,
    processing instructions and whitespace), which is the only place a DTD may stand.
    """
    data = b""
    with archive.open(info) as f:
        while len(data) < MAX_PROLOG:
            chunk = f.read(1 << 14)
            if not chunk:
                break
            data += chunk
            verdict = _scan(data, complete=False)
            if verdict != "more":
                return verdict if verdict != "ok" else None
    verdict = _scan(data, complete=True)
    if verdict == "more":
        return "long" if len(data) >= MAX_PROLOG else None
    return verdict if verdict != "ok" else None


def _scan(data: bytes, complete: bool) -> str:
    """``ok`` (first element reached), ``dtd``, ``encoding``, ``binary`` (not XML) or ``more``
    (the prolog is not over yet)."""
    if data[:4] in (b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00", b"\x00\x00\x00<", b"<\x00\x00\x00"):
        return "encoding"  # UTF-32: no parser in use reads it, and the prolog cannot be seen
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or data[:2] in (
        b"<\x00",
        b"\x00<",
    ):
        even = data[: len(data) // 2 * 2]
        if data.startswith(codecs.BOM_UTF16_BE) or data[:2] == b"\x00<":
            text = even.decode("utf-16-be", errors="replace")
        else:
            text = even.decode("utf-16-le", errors="replace")
        text = text.lstrip("\ufeff")
        wide = True
    else:
        text = data.decode("latin-1")  # one char per byte: ASCII markup keeps its place
        if text.startswith("\xef\xbb\xbf"):
            text = text[3:]
        wide = False
    if text and text[0] not in "< \t\r\n":
        return "binary"
    i = 0
    n = len(text)
    while True:
        while i < n and text[i] in " \t\r\n":
            i += 1
        if i >= n:
            return "ok" if complete else "more"
        if not complete and n - i < len("<!DOCTYPE"):
            return "more"  # the chunk may end inside the markup that tells what comes
        if text.startswith("<?", i):
            j = text.find("?>", i + 2)
            if j < 0:
                return "ok" if complete else "more"
            decl = text[i + 2 : j]
            if decl.startswith("xml") and not wide:
                m = _ENCODING_RE.search(decl)
                if m and m.group(1).lower() not in _SAFE_ENCODINGS:
                    return "encoding"
            i = j + 2
        elif text.startswith("<!--", i):
            j = text.find("-->", i + 4)
            if j < 0:
                return "ok" if complete else "more"
            i = j + 3
        elif text.startswith("<!", i):
            return "dtd"  # <!DOCTYPE (or any other markup declaration) before the root element
        else:
            return "ok"  # the root element (or text no XML parser accepts)
