"""Workbook cells: text is a string cell, never a formula, and characters a worksheet cannot hold
(C0 controls such as a vertical tab) are shown as text by the output guard instead of crashing
the writer."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import polars as pl
import pytest

from nhvmetrics.io.guard import guard_cell_value
from nhvmetrics.io.xlsx import put_value


@pytest.mark.parametrize(
    "text, shown",
    [
        ("anteckning\x0bfält", "anteckning\\x0bfält"),
        ("a\x00b\x1bc\x08", "a\\x00b\\x1bc\\x08"),
        ("Västra Götaland", "Västra Götaland"),
    ],
)
def test_illegal_characters_are_replaced(text: str, shown: str) -> None:
    assert guard_cell_value(text) == shown
    wb = openpyxl.Workbook()
    put_value(wb.active["A1"], text)  # raised IllegalCharacterError before
    buf = io.BytesIO()
    wb.save(buf)
    assert openpyxl.load_workbook(buf).active["A1"].value == shown


def test_the_indicator_table_as_xlsx_survives_control_characters() -> None:
    from nhvmetrics.engine.output import xlsx_bytes

    table = pl.DataFrame({"unit\x0b": ["1100\x0b1"], "value": [0.5]})
    data = xlsx_bytes(table, {"extract_date": dt.date(2025, 12, 31)})
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    assert [c.value for c in ws[1]] == ["unit\\x0b", "value"]
    assert [c.value for c in ws[2]] == ["1100\\x0b1", 0.5]
