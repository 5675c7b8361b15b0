"""A workbook's zip archive and XML parts are checked before openpyxl parses anything: zip bombs,
DTDs (entity expansion, external entities) and broken parts are one InputError (exit 2)."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from nhvmetrics.errors import EXIT_USAGE, InputError
from nhvmetrics.io import xlsx_checks
from nhvmetrics.io.readers import read_table

HEADER = ["PAT_ID", "REG_ID", "SjukhusKod", "KON_VALUE", "remissdatum"]
ROWS = [["P1", "C1", "11001", "1", "2025-01-03"], ["P2", "C2", "11001", "2", "2025-01-04"]]


def workbook(path: Path, patch=None, extra: dict[str, bytes] | None = None) -> Path:
    """A small real workbook (openpyxl); ``patch(part, data)`` rewrites its parts."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "cases"
    for r in [HEADER, *ROWS]:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            data = src.read(info.filename)
            z.writestr(info.filename, patch(info.filename, data) if patch else data)
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return path


def sheet_patch(fn):
    def patch(part: str, data: bytes) -> bytes:
        return fn(data) if part == "xl/worksheets/sheet1.xml" else data

    return patch


def refused(path: Path, fragment: str) -> str:
    with pytest.raises(InputError) as exc:
        read_table(path)
    message = str(exc.value)
    assert fragment in message, message
    assert exc.value.exit_code == EXIT_USAGE and "\n" not in message
    return message


def test_a_real_workbook_passes(tmp_path: Path) -> None:
    raw = read_table(workbook(tmp_path / "ok.xlsx"))
    assert raw.frame["REG_ID"].to_list() == ["C1", "C2"]


# --- zip bombs ----------------------------------------------------------------------------


def test_a_part_that_packs_far_better_than_any_sheet_is_a_zip_bomb(tmp_path: Path) -> None:
    # 60 MB of blanks inside the sheet (legal XML) pack to about 60 KB: ratio ≈ 1 000
    bomb = workbook(
        tmp_path / "bomb.xlsx",
        sheet_patch(lambda d: d.replace(b"</row>", b"</row>" + b" " * 60_000_000, 1)),
    )
    assert bomb.stat().st_size < 200_000
    tracemalloc.start()
    message = refused(bomb, "looks like a zip bomb")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "xl/worksheets/sheet1.xml" in message and "times its packed size" in message
    assert peak < 20_000_000  # refused before anything is unpacked


def test_the_total_unpacked_size_is_capped(tmp_path: Path, monkeypatch) -> None:
    path = workbook(tmp_path / "big.xlsx")
    monkeypatch.setattr(xlsx_checks, "MAX_UNPACKED", 10_000)
    refused(path, "more than the 9.8 KiB nhvmetrics reads from a workbook")


def test_the_number_of_parts_is_capped(tmp_path: Path, monkeypatch) -> None:
    path = workbook(tmp_path / "many.xlsx", extra={f"xl/media/x{i}.bin": b"x" for i in range(30)})
    monkeypatch.setattr(xlsx_checks, "MAX_PARTS", 20)
    refused(path, "more than a workbook ever has")


def test_parts_that_share_their_packed_bytes_are_refused(tmp_path: Path) -> None:
    path = workbook(tmp_path / "overlap.xlsx")
    data = bytearray(path.read_bytes())
    # point the last central-directory entry at the first part's local header
    last = data.rindex(b"PK\x01\x02")
    first = data.index(b"PK\x01\x02")
    first_offset = struct.unpack_from("<I", data, first + 42)[0]
    struct.pack_into("<I", data, last + 42, first_offset)
    path.write_bytes(bytes(data))
    refused(path, "overlap inside the zip archive")


def test_a_part_that_unpacks_to_more_than_it_declares_is_a_broken_workbook(
    tmp_path: Path,
) -> None:
    path = workbook(tmp_path / "liar.xlsx")
    data = bytearray(path.read_bytes())
    name = b"xl/worksheets/sheet1.xml"
    # find the central-directory entry of the sheet and declare a tiny unpacked size there
    pos = data.index(b"PK\x01\x02")
    while True:
        pos = data.index(b"PK\x01\x02", pos)
        n = struct.unpack_from("<H", data, pos + 28)[0]
        if bytes(data[pos + 46 : pos + 46 + n]) == name:
            break
        pos += 4
    struct.pack_into("<I", data, pos + 24, 200)
    path.write_bytes(bytes(data))
    # zipfile returns at most the declared bytes and then fails on the checksum
    refused(path, "is not a valid .xlsx workbook")


def test_a_damaged_sheet_stream_is_one_sentence(tmp_path: Path) -> None:
    path = workbook(tmp_path / "damaged.xlsx")
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
    data = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for i in range(start + 20, start + info.compress_size - 4):
        data[i] ^= 0x5A  # garble the deflate stream of the sheet
    path.write_bytes(bytes(data))
    refused(path, "is not a valid .xlsx workbook")


# --- XML: DTDs, entities, encodings ---------------------------------------------------------

XXE = b'<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
LAUGHS = (
    b"<!DOCTYPE worksheet ["
    + b'<!ENTITY a "aaaaaaaaaa">'
    + b"".join(b'<!ENTITY %c "%s">' % (c, b"&%c;" % (c - 1) * 10) for c in range(98, 106))
    + b"]>"
)


def with_dtd(dtd: bytes, entity: bytes):
    def fn(data: bytes) -> bytes:
        cell = b'<c r="A2" t="inlineStr"><is><t>&' + entity + b";</t></is></c>"
        i = data.index(b'<c r="A2"')
        j = data.index(b"</c>", i) + 4
        return dtd + data[:i] + cell + data[j:]

    return sheet_patch(fn)


@pytest.mark.parametrize("dtd, entity", [(XXE, b"xxe"), (LAUGHS, b"i")], ids=["xxe", "laughs"])
def test_a_document_type_declaration_is_refused(tmp_path: Path, dtd, entity) -> None:
    path = workbook(tmp_path / "dtd.xlsx", with_dtd(dtd, entity))
    refused(path, "declares an XML document type")


def test_defusedxml_refuses_entities_when_the_prolog_check_is_skipped(
    tmp_path: Path, monkeypatch
) -> None:
    """The second layer: openpyxl parses with defusedxml (a dependency), which refuses an entity
    declaration with its own exception; the reader words it in one sentence too."""
    monkeypatch.setattr(xlsx_checks, "check_xml_parts", lambda path, archive: None)
    path = workbook(tmp_path / "laughs.xlsx", with_dtd(LAUGHS, b"i"))
    refused(path, "XML entity declarations")


def test_a_dtd_in_a_part_of_any_name_and_after_comments_is_found(tmp_path: Path) -> None:
    prolog = b'<?xml version="1.0"?>\n<!-- ' + b"x" * 40_000 + b" -->\n" + XXE
    path = workbook(tmp_path / "odd.xlsx", extra={"xl/custom/data.bin": prolog + b"<a/>"})
    refused(path, "'xl/custom/data.bin' declares an XML document type")


def test_a_dtd_hidden_in_utf16_is_found(tmp_path: Path) -> None:
    text = '<?xml version="1.0" encoding="UTF-16"?>' + XXE.decode() + "<a>&xxe;</a>"
    path = workbook(tmp_path / "u16.xlsx", extra={"xl/x.xml": text.encode("utf-16")})
    refused(path, "declares an XML document type")


def test_a_part_in_another_encoding_is_refused(tmp_path: Path) -> None:
    text = b'<?xml version="1.0" encoding="UTF-7"?>+ADw-!DOCTYPE a+AD4-<a/>'
    path = workbook(tmp_path / "u7.xlsx", extra={"xl/x.xml": text})
    refused(path, "is not in UTF-8 or UTF-16")


@pytest.mark.parametrize("cut", range(1, 12))
def test_the_prolog_scan_does_not_depend_on_where_a_chunk_ends(cut: int) -> None:
    data = b'<?xml version="1.0"?>' + XXE + b"<a/>"
    head = data[: len(b'<?xml version="1.0"?>') + cut]
    assert xlsx_checks._scan(head, complete=False) in ("more", "dtd")
    assert xlsx_checks._scan(data, complete=True) == "dtd"
    assert xlsx_checks._scan(b'<?xml version="1.0"?><a/>', complete=True) == "ok"
    assert xlsx_checks._scan(b"\x89PNG\r\n", complete=True) == "binary"
