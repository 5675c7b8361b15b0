"""Safe, deterministic .xlsx output shared by the indicator table and the submission workbook.

* Text is always written as a string cell; text a spreadsheet would run as a formula (see
  :func:`nhvmetrics.io.writers.formula_like`) also gets Excel's quote prefix, so data from an export
  never becomes a live formula, and the cell still shows the text exactly as it was.
* Every cell and sheet name of every workbook goes through the output guard
  (:func:`nhvmetrics.io.guard.guard_workbook`) in :func:`workbook_bytes`, the one way a workbook
  is saved: no personnummer, no raw control character.
* The zip is rewritten with fixed entry times and the document's created/modified times set to a
  given moment (the extract date), so the same input gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

from nhvmetrics.io.writers import formula_like


def put_value(cell, value) -> None:
    """Write ``value`` into an openpyxl cell; text is a string cell, never a formula, and goes
    through the output guard (no personnummer, controls shown as text: openpyxl refuses them)."""
    from nhvmetrics.io.guard import guard_cell_value

    if isinstance(value, float) and value != value:
        value = None
    value = guard_cell_value(value)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        if formula_like(value):
            cell.quotePrefix = True


def normalise_xlsx(raw: bytes, when: dt.datetime) -> bytes:
    """Rewrite an .xlsx zip with fixed entry times and the core properties' times at ``when``."""
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    date_time = (max(when.year, 1980), when.month, when.day, 0, 0, 0)
    src = zipfile.ZipFile(io.BytesIO(raw))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = data.decode("utf-8")
                for tag in ("dcterms:created", "dcterms:modified"):
                    text = re.sub(rf"(<{tag}[^>]*>)[^<]*(</{tag}>)", rf"\g<1>{stamp}\g<2>", text)
                data = text.encode("utf-8")
            zi = zipfile.ZipInfo(info.filename, date_time=date_time)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            zi.create_system = 3
            dst.writestr(zi, data, compresslevel=6)
    return out.getvalue()


def workbook_bytes(wb, when: dt.datetime) -> bytes:
    """Save an openpyxl workbook deterministically (fixed properties and zip times), every cell
    and sheet name through the output guard."""
    from nhvmetrics.io.guard import guard_workbook

    guard_workbook(wb)
    wb.properties.creator = "nhvmetrics"
    wb.properties.lastModifiedBy = "nhvmetrics"
    wb.properties.created = when
    wb.properties.modified = when
    buf = io.BytesIO()
    wb.save(buf)
    return normalise_xlsx(buf.getvalue(), when)
