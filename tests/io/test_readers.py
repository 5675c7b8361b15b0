"""Readers: CSV dialects and encodings, XLSX, Parquet, and unreadable input (exit 2)."""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path

import polars as pl
import pytest

from nhvmetrics.errors import EXIT_USAGE, InputError
from nhvmetrics.io.readers import read_table, sniff_delimiter, stream_table

HEADER = ["PAT_ID", "REG_ID", "SjukhusKod", "Kommentar"]
ROWS = [["P1", "C1", "011001", "Göteborg"], ["P2", "C2", "011002", "Västerås, Örebro"]]


def _csv(
    tmp_path, sep=";", encoding="utf-8", name="t.csv", eol="\n", header=HEADER, rows=ROWS, bom=False
):
    def cell(v):
        return f'"{v}"' if sep in v or "\n" in v else v

    text = eol.join(sep.join(cell(v) for v in r) for r in [header, *rows]) + eol
    data = text.encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    p = tmp_path / name
    p.write_bytes(data)
    return p


@pytest.mark.parametrize("sep", [";", ",", "\t"])
def test_delimiter_is_sniffed_and_quoted_fields_kept(tmp_path, sep):
    raw = read_table(_csv(tmp_path, sep=sep))
    assert raw.delimiter == sep
    f = raw.frame
    assert f.columns == ["_row", *HEADER]
    assert f["Kommentar"].to_list() == ["Göteborg", "Västerås, Örebro"]
    assert f.schema["SjukhusKod"] == pl.String
    assert f["SjukhusKod"].to_list() == ["011001", "011002"]  # leading zero kept


def test_rows_are_numbered_as_a_spreadsheet_shows_them(tmp_path):
    f = read_table(_csv(tmp_path)).frame
    assert f["_row"].to_list() == [2, 3]  # header is row 1
    assert f.schema["_row"] == pl.Int64


def test_sniffer_ignores_delimiters_inside_quotes():
    assert sniff_delimiter('"a,b,c";d\n1;2\n') == ";"
    assert sniff_delimiter("only_one_column\nx\n") == ","


@pytest.mark.parametrize(
    "encoding, bom", [("utf-8", False), ("utf-8", True), ("cp1252", False), ("utf-16", False)]
)
def test_encodings_decode_swedish_letters(tmp_path, encoding, bom):
    raw = read_table(_csv(tmp_path, encoding=encoding, bom=bom))
    assert raw.frame.columns[1] == "PAT_ID"  # no BOM left in the first name
    assert raw.frame["Kommentar"].to_list() == ["Göteborg", "Västerås, Örebro"]


def test_windows_line_endings_and_cr_only(tmp_path):
    for eol in ("\r\n", "\r"):
        f = read_table(_csv(tmp_path, eol=eol, name=f"e{len(eol)}.csv")).frame
        assert f["Kommentar"].to_list() == ["Göteborg", "Västerås, Örebro"]
        assert f.height == 2


def test_quoted_newline_stays_one_row(tmp_path):
    p = tmp_path / "q.csv"
    p.write_text('a;b\n1;"rad ett\nrad två"\n2;x\n', encoding="utf-8")
    f = read_table(p).frame
    assert f["b"].to_list() == ["rad ett\nrad två", "x"]
    assert f["_row"].to_list() == [2, 3]


@pytest.mark.parametrize(
    "name, data, fragment",
    [
        ("empty.csv", b"", "is empty"),
        ("blank.csv", b"  \n\n ", "no table"),
        ("junk.csv", bytes((i * 37 + 11) % 256 for i in range(4096)), "does not look like a text"),
        ("zipped.csv", gzip.compress(b"a;b\n1;2\n", mtime=0), "decompress"),
        ("table.docx", b"a;b\n1;2\n", "extension '.docx'"),
        ("old.xls", b"\xd0\xcf\x11\xe0", ".xls"),
        ("broken.xlsx", b"PK\x03\x04junk", "not a valid .xlsx"),
        ("broken.parquet", b"PAR1\x15\x04", "cannot read"),
        ("ragged.csv", b"a;b\n1;2;3\n", "more fields than the header"),
    ],
)
def test_unreadable_input_is_an_input_error(tmp_path, name, data, fragment):
    p = tmp_path / name
    p.write_bytes(data)
    with pytest.raises(InputError) as exc:
        read_table(p)
    assert fragment in str(exc.value)
    assert exc.value.exit_code == EXIT_USAGE


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_table(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="folder"):
        read_table(tmp_path)


def _xlsx(path, sheets):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows, hidden in sheets:
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
        if hidden:
            ws.sheet_state = "hidden"
    wb.save(path)
    return path


def test_xlsx_sheet_by_table_name_and_excel_cells_become_text(tmp_path):
    p = _xlsx(
        tmp_path / "x.xlsx",
        [
            ("gammal", [["old"], ["x"]], True),
            (
                "cases",
                [
                    ["REG_ID", "remissdatum", "SjukhusKod", "mitotan_1ar", "flag", "ts"],
                    [
                        "C1",
                        dt.datetime(2025, 3, 4),
                        11001,
                        14.5,
                        True,
                        dt.datetime(2025, 3, 4, 10, 30),
                    ],
                ],
                False,
            ),
            ("episodes", [["vardtillfalle_id", "REG_ID"], ["E1", "C1"], [None, None]], False),
        ],
    )
    f = read_table(p, table="cases").frame
    assert f.row(0, named=True) == {
        "_row": 2,
        "REG_ID": "C1",
        "remissdatum": "2025-03-04",
        "SjukhusKod": "11001",
        "mitotan_1ar": "14.5",
        "flag": "true",
        "ts": "2025-03-04 10:30:00",
    }
    ep = read_table(p, table="episodes")
    assert ep.sheet == "episodes"
    assert ep.frame.height == 1  # trailing empty row dropped


def test_xlsx_first_visible_sheet_and_title_row(tmp_path):
    p = _xlsx(
        tmp_path / "t.xlsx",
        [
            ("dold", [["a"], ["1"]], True),
            (
                "Export",
                [["Export från INCA 2025-12-31"], ["PAT_ID", "REG_ID"], ["P1", "C1"], ["P2", "C2"]],
                False,
            ),
        ],
    )
    raw = read_table(p, table="cases", known_names={"pat_id", "reg_id"})
    assert raw.sheet == "Export"
    assert raw.frame.columns == ["_row", "PAT_ID", "REG_ID"]
    assert raw.frame["_row"].to_list() == [3, 4]  # title on row 1, header on row 2
    assert raw.notes and "row 2" in raw.notes[0]


def test_xlsx_secondary_table_needs_its_sheet(tmp_path):
    p = _xlsx(
        tmp_path / "two.xlsx", [("cases", [["a"], ["1"]], False), ("annat", [["b"], ["2"]], False)]
    )
    with pytest.raises(InputError, match="no sheet named 'episodes'"):
        read_table(p, table="episodes")


def test_parquet_keeps_native_types_and_validation_makes_them_canonical(tmp_path):
    from nhvmetrics.schema.validate import validate_export

    p = tmp_path / "t.parquet"
    pl.DataFrame(
        {
            "PAT_ID": ["P1", "P2"],
            "case_id": [1, 2],  # int where the canonical column is a string
            "SjukhusKod": ["011001", "011001"],
            "KON_VALUE": [1, 2],  # INCA code as an integer
            "referral_date": [dt.datetime(2025, 1, 3, 8, 0), dt.datetime(2025, 1, 4)],
            "national_mdk": [True, None],
            "mitotane_level_1y": [14, 15],  # ints where floats are expected
            "treatment_start_date": [20250110, 20250111],  # int, not a date
        }
    ).write_parquet(p)
    raw = read_table(p)
    assert raw.frame.schema["referral_date"] == pl.Datetime("us") and raw.frame[
        "_row"
    ].to_list() == [2, 3]
    r = validate_export("acc", {"cases": p}, extract_date=dt.date(2025, 12, 31))
    assert [(k, c, v) for k, c, v in r.findings.select("check", "column", "value").iter_rows()] == [
        ("code_as_number", "case_id", None),  # an id as int64: leading zeros may be lost
        ("checkbox_blank", "national_mdk", None),  # only true and blank: blank reads unknown
        ("wrong_type", "treatment_start_date", "20250110"),
        ("wrong_type", "treatment_start_date", "20250111"),
    ]
    # a date that is no date is unknown in that cell: the cases stay
    assert r.table("cases").n_accepted == 2
    assert r.table("cases").unknown_cells == {"treatment_start_date": 2}
    r2 = validate_export(
        "acc", {"cases": _drop_col(p, "treatment_start_date")}, extract_date=dt.date(2025, 12, 31)
    )
    assert not r2.has_errors
    acc = r2.table("cases").accepted
    assert acc.schema["case_id"] == pl.String and acc.schema["referral_date"] == pl.Date
    assert acc.row(0, named=True) == {
        "_row": 2,
        "patient_id": "P1",
        "case_id": "1",
        "unit": "011001",
        "sex": "M",
        "referral_date": dt.date(2025, 1, 3),
        "national_mdk": True,
        "mitotane_level_1y": 14.0,
    }


def _drop_col(path, col):
    out = path.with_name("dropped.parquet")
    pl.read_parquet(path).drop(col).write_parquet(out)
    return out


# --- hidden sheets: never read, named when they look like the table ------------------------


def test_a_stale_hidden_sheet_named_like_the_table_is_not_read(tmp_path):
    p = _xlsx(
        tmp_path / "stale.xlsx",
        [
            ("cases", [["PAT_ID", "REG_ID"], ["OLD", "C0"]], True),  # last year's, hidden
            ("Blad1", [["PAT_ID", "REG_ID"], ["P1", "C1"], ["P2", "C2"]], False),
        ],
    )
    raw = read_table(p, table="cases", known_names={"pat_id", "reg_id"})
    assert raw.sheet == "Blad1" and raw.frame["REG_ID"].to_list() == ["C1", "C2"]
    assert any("hidden sheet 'cases'" in n and "'Blad1' was read" in n for n in raw.notes)


def test_a_visible_sheet_wins_over_a_hidden_one_of_another_name_for_the_table(tmp_path):
    p = _xlsx(
        tmp_path / "ep.xlsx",
        [
            ("cases", [["REG_ID"], ["C1"]], False),
            ("vardtillfallen", [["vardtillfalle_id"], ["OLD"]], True),
            ("episodes", [["vardtillfalle_id"], ["E1"]], False),
        ],
    )
    raw = read_table(p, table="episodes", sheets=("vardtillfallen",))
    assert raw.sheet == "episodes" and raw.frame["vardtillfalle_id"].to_list() == ["E1"]
    assert any("hidden sheet 'vardtillfallen'" in n for n in raw.notes)


def test_a_secondary_table_only_on_a_hidden_sheet_is_refused(tmp_path):
    p = _xlsx(
        tmp_path / "h.xlsx",
        [("cases", [["REG_ID"], ["C1"]], False), ("episodes", [["x"], ["1"]], True)],
    )
    with pytest.raises(InputError, match="'episodes' for the episodes table is hidden"):
        read_table(p, table="episodes")
    p2 = _xlsx(
        tmp_path / "h2.xlsx",
        [("a", [["x"]], False), ("b", [["y"]], True), ("c", [["z"]], False)],
    )
    with pytest.raises(InputError, match=r"sheets: a, b \(hidden\), c\)"):
        read_table(p2, table="episodes")


# --- Excel habits: numbers for codes, ="05101" ---------------------------------------------


def test_workbook_columns_with_number_cells_are_listed(tmp_path):
    p = _xlsx(
        tmp_path / "n.xlsx",
        [
            (
                "cases",
                [
                    ["REG_ID", "SjukhusKod", "remissdatum"],
                    ["C1", 5101, dt.date(2025, 1, 3)],
                    ["C2", "05101", None],
                ],
                False,
            )
        ],
    )
    raw = read_table(p)
    assert raw.numeric_columns == ["SjukhusKod"]  # a date cell is not a number
    assert raw.frame["SjukhusKod"].to_list() == ["5101", "05101"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_excel_text_formula_is_the_text_inside(tmp_path, fmt):
    from nhvmetrics.schema.validate import validate_export

    header = ["PAT_ID", "REG_ID", "SjukhusKod", "KON_VALUE", "remissdatum", "LAN_VALUE"]
    body = [["P1", '="C1"', '="05101"', '="2"', '="2025-01-03"', '="4"']]
    if fmt == "csv":
        p = tmp_path / "eq.csv"
        p.write_text("\n".join(";".join(r) for r in [header, *body]) + "\n", encoding="utf-8")
    else:
        import openpyxl

        p = tmp_path / "eq.xlsx"
        wb = openpyxl.Workbook()
        for r in [header, *body]:
            wb.active.append(r)
        for cell in wb.active[2]:
            cell.data_type = "s"  # the text ="05101" as pasted, not a formula
        wb.save(p)
    r = validate_export("acc", {"cases": p}, extract_date=dt.date(2025, 12, 31))
    assert not r.has_errors, r.findings
    assert r.table("cases").accepted.select(
        "case_id", "unit", "sex", "referral_date", "home_region"
    ).rows() == [("C1", "05101", "K", dt.date(2025, 1, 3), "04")]


# --- Parquet: time zones and numbers for codes -----------------------------------------------


def test_parquet_timestamps_with_a_zone_keep_the_date_of_that_zone(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from nhvmetrics.schema.validate import validate_export

    # 2019-01-11 00:30 at +01:00 is 2019-01-10 23:30 UTC
    instant = [dt.datetime(2019, 1, 10, 23, 30)]
    p = tmp_path / "tz.parquet"
    pq.write_table(
        pa.table(
            {
                "PAT_ID": ["P1"],
                "REG_ID": ["C1"],
                "SjukhusKod": ["11001"],
                "KON_VALUE": ["1"],
                "remissdatum": pa.array(instant, pa.timestamp("us", tz="+01:00")),
                "forsta_besoksdatum": pa.array(instant, pa.timestamp("ms", tz="Europe/Stockholm")),
                "VITALSTATUSDATUM": pa.array(instant, pa.timestamp("ns", tz="UTC")),
            }
        ),
        p,
    )
    r = validate_export("acc", {"cases": p}, extract_date=dt.date(2025, 12, 31))
    assert not r.has_errors, r.findings
    assert r.table("cases").accepted.select(
        "referral_date", "first_visit_date", "vital_status_date"
    ).row(0) == (dt.date(2019, 1, 11), dt.date(2019, 1, 11), dt.date(2019, 1, 10))


def test_parquet_codes_stored_as_numbers_are_warnings_and_county_codes_padded(tmp_path):
    from nhvmetrics.schema.validate import validate_export

    p = tmp_path / "n.parquet"
    pl.DataFrame(
        {
            "PAT_ID": ["P1", "P2"],
            "REG_ID": ["C1", "C2"],
            "SjukhusKod": pl.Series([51001, 11001], dtype=pl.Int32),
            "KON_VALUE": [1, 2],
            "remissdatum": ["2025-01-03", "2025-01-04"],
            "LAN_VALUE": pl.Series([4, 25], dtype=pl.UInt8),
        }
    ).write_parquet(p)
    r = validate_export("acc", {"cases": p}, extract_date=dt.date(2025, 12, 31))
    assert not r.has_errors
    assert r.findings.select("check", "column").rows() == [
        ("code_as_number", "home_region"),
        ("code_as_number", "unit"),
    ]
    acc = r.table("cases").accepted
    assert acc["home_region"].to_list() == ["04", "25"]
    assert acc["unit"].to_list() == ["51001", "11001"]


# --- file names that are not UTF-8 -----------------------------------------------------------


def test_a_file_name_that_is_not_utf8_is_one_sentence(tmp_path):
    import os

    p = Path(os.fsdecode(os.fsencode(tmp_path) + b"/\xd6rebro.csv"))
    p.write_text("a;b\n1;2\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_table(p)
    message = str(exc.value)
    assert "\ufffdrebro.csv is not valid UTF-8" in message and "rename the file" in message
    message.encode("utf-8")  # printable: no lone surrogate left
    assert stream_table(p, None, 1) is None
