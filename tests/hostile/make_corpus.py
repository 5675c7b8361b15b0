"""Write the hostile-input corpus (run: python tests/hostile/make_corpus.py [OUT_DIR]).

Every file is made by this script, so the corpus is regenerated rather than edited by hand; the
test suite writes it to a temporary folder. The expected exit code and message of each file live
in tests/hostile/cases.yaml.
"""

from __future__ import annotations

import gzip
import io
import shutil
import zipfile
from pathlib import Path

from nhvmetrics.personnummer import luhn_digit

HERE = Path(__file__).resolve().parent
OUT = HERE / "files"  # default when run by hand; the tests pass a temporary folder

HEADER = [
    "patient_id",
    "case_id",
    "unit",
    "sex",
    "referral_date",
    "first_visit_date",
    "diagnosis_date",
    "treatment_start_date",
    "treatment_type",
]


def pnr(yymmdd: str, serial: str) -> str:
    return f"19{yymmdd}-{serial}{luhn_digit(yymmdd + serial)}"


def samordningsnummer(yymmdd: str, serial: str) -> str:
    """A samordningsnummer: the day of birth + 60."""
    d = yymmdd[:4] + f"{int(yymmdd[4:]) + 60:02d}"
    return f"19{d}-{serial}{luhn_digit(d + serial)}"


PNRS = [
    pnr(d, s)
    for d, s in [
        ("500101", "238"),
        ("620315", "129"),
        ("711203", "457"),
        ("450606", "882"),
        ("580923", "331"),
    ]
]


def rows(n: int = 5) -> list[list[str]]:
    out = []
    for i in range(n):
        out.append(
            [
                PNRS[i % len(PNRS)],
                f"C{i + 1:04d}",
                "11001",
                "KM"[i % 2],
                f"2025-0{i % 9 + 1}-03",
                f"2025-0{i % 9 + 1}-10",
                f"2025-0{i % 9 + 1}-20",
                f"2025-0{i % 9 + 1}-25",
                "surgery",
            ]
        )
    return out


def csv_text(header: list[str], body: list[list[str]], sep: str = ";", eol: str = "\n") -> str:
    return eol.join(sep.join(r) for r in [header, *body]) + eol


def w(name: str, data: bytes | str, encoding: str = "utf-8") -> None:  # noqa: D103
    path = OUT / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))


def xlsx(name: str, build, patch=None) -> None:
    """Write a workbook built by ``build(wb)``; ``patch(part name, bytes) -> bytes`` may rewrite
    its XML parts (for files openpyxl itself would never write)."""
    import openpyxl

    wb = openpyxl.Workbook()
    build(wb)
    buf = io.BytesIO()
    wb.properties.created = wb.properties.modified = __import__("datetime").datetime(2025, 1, 1)
    wb.save(buf)
    # rewrite the zip with fixed timestamps so the corpus is byte-stable
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in sorted(src.infolist(), key=lambda i: i.filename):
            zi = zipfile.ZipInfo(info.filename, date_time=(2025, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            data = src.read(info.filename)
            if patch is not None:
                data = patch(info.filename, data)
            z.writestr(zi, data)
    w(name, out.getvalue())


def with_doctype(doctype: str, entity: str):
    """A patch that gives the first worksheet a DTD and puts ``&entity;`` in cell B2."""
    import re

    def patch(part: str, data: bytes) -> bytes:
        if part != "xl/worksheets/sheet1.xml":
            return data
        text = data.decode("utf-8")
        decl = re.match(r"<\?xml[^>]*\?>", text)
        at = decl.end() if decl else 0
        text = text[:at] + doctype + text[at:]
        cell = f'<c r="B2" t="inlineStr"><is><t>&{entity};</t></is></c>'
        text, n = re.subn(r'<c r="B2"[^>]*>.*?</c>', cell, text, count=1, flags=re.S)
        assert n == 1
        return text.encode("utf-8")

    return patch


def main(out: Path | None = None) -> Path:
    global OUT
    if out is not None:
        OUT = Path(out)
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    good = csv_text(HEADER, rows())

    # --- unreadable or not a table -------------------------------------------------------
    w("empty.csv", b"")
    w("whitespace_only.csv", "  \n\n   \n")
    w("header_only.csv", csv_text(HEADER, []))
    w("binary_junk.csv", bytes((i * 37 + 11) % 256 for i in range(4096)))
    w(
        "pdf_renamed.csv",
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n",
    )
    w("gzip_renamed.csv", gzip.compress(good.encode(), mtime=0))
    w("nul_bytes.csv", good.replace("C0003", "C00\x0003"))
    w("unknown_extension.docx", good)
    w("utf16_bom.csv", good.encode("utf-16"))
    w("truncated.parquet", b"PAR1\x15\x04\x15\x00")
    w("not_really.xlsx", good)
    w("truncated.xlsx", b"PK\x03\x04\x14\x00\x00\x00\x08\x00")

    # --- delimiters, quotes, shape ---------------------------------------------------------
    w("semicolon_ok.csv", good)
    w("comma_ok.csv", csv_text(HEADER, rows(), sep=","))
    # Excel's declaration of the delimiter on the first line, plain and quoted (Windows-1252, CRLF)
    w("excel_sep_line.csv", "sep=;\r\n" + csv_text(HEADER, rows(), eol="\r\n"), "cp1252")
    w("excel_sep_line_quoted.csv", '"sep=;"\n' + good)
    # INCA's own identity columns: PAT_ID (its integer) beside PERSNR, the normal export
    both = ["PAT_ID", "PERSNR", *HEADER[1:]]
    w(
        "pat_id_beside_persnr.csv",
        csv_text(both, [[str(7000 + i), *r] for i, r in enumerate(rows())]),
    )
    w("tab_ok.tsv", csv_text(HEADER, rows(), sep="\t"))
    w(
        "mixed_delimiters.csv",
        csv_text(HEADER, [], sep=";") + "\n".join(",".join(r) for r in rows()) + "\n",
    )
    w("unbalanced_quotes.csv", good.replace("C0002;", '"C0002;', 1))
    ragged = rows()
    ragged[1] = ragged[1] + ["extra", "cells"]
    ragged[3] = ragged[3][:4]
    w("ragged_rows.csv", csv_text(HEADER, ragged))
    w("duplicate_column_names.csv", csv_text(HEADER + ["unit"], [r + ["11002"] for r in rows()]))
    w("blank_column_name.csv", csv_text(HEADER + [""], [r + ["x"] for r in rows()]))
    w("trailing_delimiter.csv", "\n".join(";".join(r) + ";" for r in [HEADER, *rows()]) + "\n")
    w(
        "quoted_newline.csv",
        csv_text(HEADER + ["note"], [r + ['"rad ett\nrad två"'] for r in rows()]),
    )
    w("blank_lines_between.csv", good.replace("\n", "\n\n"))
    w("empty_rows_of_delimiters.csv", good + ";;;;;;;;\n;;;;;;;;\n")
    w(
        "wide_header.csv",
        csv_text(HEADER + [f"extra_{i}" for i in range(5000)], [r + [""] * 5000 for r in rows()]),
    )

    # --- encodings and line endings --------------------------------------------------------
    w("utf8_bom.csv", "\ufeff" + good)
    sw = csv_text(
        HEADER + ["kommentar"], [r + ["Göteborg, Västra Götaland, Örebro, Malmö"] for r in rows()]
    )
    w("cp1252_swedish.csv", sw, encoding="cp1252")
    w("utf8_swedish.csv", sw)
    w(
        "mixed_line_endings.csv",
        "\r\n".join(";".join(r) for r in [HEADER, *rows()[:2]])
        + "\n"
        + "\n".join(";".join(r) for r in rows()[2:])
        + "\r\n",
    )
    w("cr_only_line_endings.csv", csv_text(HEADER, rows(), eol="\r"))
    w("invalid_utf8_in_middle.csv", good.encode() + b"P" + b"\xff\xfe\x00" + b";C0999;x\n")

    # --- values --------------------------------------------------------------------------
    other = rows()
    other[0][4] = "03/01/2025"
    other[1][4] = "20250103"
    other[2][4] = "3 jan 2025"
    w("dates_other_formats.csv", csv_text(HEADER, other))
    serial = rows()
    for r in serial:
        r[4] = "45660"
    w("dates_excel_serial.csv", csv_text(HEADER, serial))
    acc_h = HEADER + ["mitotane_level_1y"]
    w("thousands_separator.csv", csv_text(acc_h, [r + ["1 234,5"] for r in rows()]))
    w("decimal_comma.csv", csv_text(acc_h, [r + [f"1{i},5"] for i, r in enumerate(rows())]))
    huge = rows()
    huge[0][8] = "x" * 2_000_000
    w("huge_cell.csv", csv_text(HEADER, huge))
    w("missing_required_columns.csv", csv_text(HEADER[2:], [r[2:] for r in rows()]))
    w("unknown_columns.csv", csv_text(HEADER + ["favourite_colour"], [r + ["blå"] for r in rows()]))
    dup = rows()
    dup[2][1] = dup[1][1]
    w("duplicate_case_id.csv", csv_text(HEADER, dup))
    fut = rows()
    fut[0][4] = "2099-01-01"
    w("future_date.csv", csv_text(HEADER, fut))
    bad_pnr = rows()
    bad_pnr[0][0] = bad_pnr[0][0][:-1] + str((int(bad_pnr[0][0][-1]) + 1) % 10)
    w("bad_personnummer.csv", csv_text(HEADER, bad_pnr))
    inj = rows()
    inj[0][1] = '=HYPERLINK("http://example.invalid","x")'
    inj[1][1] = "+cmd|' /C calc'!A0"
    inj[2][1] = "@SUM(1+1)"
    w("formula_injection.csv", csv_text(HEADER, inj))
    html = rows()
    html[0][2] = "<script>alert(1)</script>"
    html[1][2] = "{{ 7*7 }}"
    w("html_in_values.csv", csv_text(HEADER, html))
    mak = HEADER + ["MAKULERAD", "REGION_NAMN"]
    w("all_cancelled.csv", csv_text(mak, [r + ["1", "Region Skåne"] for r in rows()]))

    short = rows()
    short[3] = short[3][:4]
    w("short_rows.csv", csv_text(HEADER, short))
    w("header_blank_names.csv", ";;;;\n1;2;3;4;5\n")
    inca = ["PAT_ID", "REG_ID", "SjukhusKod", "KON_VALUE", "remissdatum", "FODELSEDATUM"]
    w(
        "fodelsedatum_unparsable.csv",
        csv_text(
            inca,
            [
                [
                    PNRS[i],
                    f"C{i + 1:04d}",
                    "11001",
                    "12"[i % 2],
                    "2025-01-03",
                    "1950-13-45" if i == 0 else "",
                ]
                for i in range(3)
            ],
        ),
    )
    w(
        "samordningsnummer.csv",
        csv_text(
            inca,
            [
                [
                    samordningsnummer("500101", f"{238 + i}"),
                    f"C{i + 1:04d}",
                    "11001",
                    "2",
                    "2025-01-03",
                    "",
                ]
                for i in range(3)
            ],
        ),
    )

    # --- Excel -----------------------------------------------------------------------------
    def merged(wb):
        ws = wb.active
        ws.append(HEADER)
        for r in rows():
            ws.append(r)
        ws.merge_cells("C2:C4")

    def hidden(wb):
        ws = wb.active
        ws.title = "gammal"
        ws.append(["old", "data"])
        ws.sheet_state = "hidden"
        ws2 = wb.create_sheet("cases")
        ws2.append(HEADER)
        for r in rows():
            ws2.append(r)

    def formulas(wb):
        ws = wb.active
        ws.append(HEADER)
        for r in rows():
            ws.append(r)
        ws["B3"] = '="C"&"0002"'
        ws["E4"] = "=DATE(2025,3,3)"

    def several(wb):
        ws = wb.active
        ws.title = "cases"
        ws.append(HEADER)
        for r in rows():
            ws.append(r)
        ws2 = wb.create_sheet("episodes")
        ws2.append(["episode_id", "case_id", "visit_date"])
        ws2.append(["E1", "C0001", "2025-02-01"])

    def title_row(wb):
        ws = wb.active
        ws.append(["Export från INCA 2025-12-31"])
        ws.append(HEADER)
        for r in rows():
            ws.append(r)

    def empty(wb):
        pass

    def serial_dates(wb):
        ws = wb.active
        ws.append(HEADER)
        for r in rows():
            ws.append([*r[:4], 45660, *r[5:]])  # a date typed as its Excel serial number

    xlsx("excel_serial_dates.xlsx", serial_dates)
    xlsx("merged_cells.xlsx", merged)
    xlsx("hidden_sheet.xlsx", hidden)
    xlsx("formulas.xlsx", formulas)
    xlsx("several_tables.xlsx", several)
    xlsx("title_row_above_header.xlsx", title_row)
    xlsx("empty_workbook.xlsx", empty)

    # --- hostile workbooks and Excel habits --------------------------------------------------
    def plain(wb):
        ws = wb.active
        ws.title = "cases"
        ws.append(HEADER)
        for r in rows():
            ws.append(r)

    def pad_sheet(part: str, data: bytes) -> bytes:
        # 40 MB of blanks between two rows: legal XML that packs about 1 000 : 1
        if part != "xl/worksheets/sheet1.xml":
            return data
        return data.replace(b"</row>", b"</row>" + b" " * 40_000_000, 1)

    xlsx("zip_bomb.xlsx", plain, pad_sheet)
    xlsx(
        "xxe_external_entity.xlsx",
        plain,
        with_doctype('<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', "xxe"),
    )
    laughs = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    )
    xlsx("billion_laughs.xlsx", plain, with_doctype(f"<!DOCTYPE worksheet [{laughs}]>", "lol9"))

    def stale_hidden_cases(wb):
        ws = wb.active
        ws.title = "Blad1"  # the current export, on a visible sheet
        ws.append(HEADER)
        for r in rows():
            ws.append(r)
        old = wb.create_sheet("cases")  # last year's copy, hidden
        old.append(HEADER)
        old.append(rows(1)[0])
        old.sheet_state = "hidden"

    xlsx("hidden_stale_cases_sheet.xlsx", stale_hidden_cases)

    def numbers_for_codes(wb):
        ws = wb.active
        ws.append(HEADER + ["home_region"])
        for r in rows():
            ws.append([*r[:2], 5101, *r[3:], 4])  # 05101 and 04 typed into Excel as numbers

    xlsx("codes_as_numbers.xlsx", numbers_for_codes)

    def text_formulas(wb):
        # ="05101" as the text of a cell (as pasted from a CSV export), not as a formula
        ws = wb.active
        ws.append(HEADER + ["home_region"])
        for r in rows():
            ws.append([*r[:2], '="05101"', '="K"', *r[4:], '="04"'])
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"

    xlsx("excel_text_formula.xlsx", text_formulas)

    # Excel's ="05101" in a CSV file (how a code is kept as text), unquoted and quoted
    eq = [[*r[:2], '="05101"', r[3], *r[4:], '"=""04"""'] for r in rows()]
    w("excel_text_formula.csv", csv_text(HEADER + ["home_region"], eq))

    # control, zero-width and bidi characters in ids and codes
    hid = rows()
    hid[0][1] = "C0001\u200b"  # zero-width space: looks like C0001
    hid[1][2] = "\u202e10011"  # right-to-left override: shows as 11001
    hid[2][1] = "C\x1b[31m0003"  # ESC: a terminal colour sequence
    hid[3][3] = "K\ufeff"  # a zero-width no-break space after a sex code
    w("invisible_characters.csv", csv_text(HEADER, hid))

    # a vertical tab in a header cell (the workbook writers once crashed on it)
    w(
        "control_character_in_header.csv",
        csv_text(HEADER + ["anteckning\x0bfält"], [r + ["x"] for r in rows()]),
    )

    # date forms the docs do not accept (chrono reads the first two, the third has no valid time)
    loose = rows()
    loose[0][4] = "2025-1-3"
    loose[1][4] = "+2025-01-01"
    loose[2][4] = "2024-02-29T25:61"
    loose[3][4] = "2025-04-03T10:15:00.000Z"  # a valid timestamp: accepted
    w("dates_loose_forms.csv", csv_text(HEADER, loose))

    # --- Parquet ---------------------------------------------------------------------------
    import pyarrow as pa
    import pyarrow.parquet as pq

    t = pa.table(
        {
            "patient_id": [PNRS[0], PNRS[1]],
            "case_id": [1, 2],  # int instead of string
            "unit": [11001, 11002],  # code as int: leading zeros lost upstream
            "sex": ["M", "K"],
            "referral_date": [20250103, 20250104],  # int, not a date
        }
    )
    pq.write_table(t, OUT / "wrong_types.parquet")
    t2 = pa.table({"case_id": ["C1"], "unit": ["11001"]})
    pq.write_table(t2, OUT / "parquet_missing_required.parquet")

    import datetime as dt

    # timestamps with a time zone: the first visit at 00:30 Swedish time is the referral's day
    # (in UTC it is the day before, which would put it before the referral)
    visits = [dt.datetime(2025, m, 3, 0, 30) - dt.timedelta(hours=1) for m in range(1, 6)]
    t3 = pa.table(
        {
            "patient_id": [r[0] for r in rows()],
            "case_id": [r[1] for r in rows()],
            "unit": [r[2] for r in rows()],
            "sex": [r[3] for r in rows()],
            "referral_date": pa.array([dt.date(2025, m, 3) for m in range(1, 6)]),
            "first_visit_date": pa.array(visits, pa.timestamp("us", tz="Europe/Stockholm")),
            "treatment_start_date": pa.array(visits, pa.timestamp("ms", tz="+01:00")),
        }
    )
    pq.write_table(t3, OUT / "timestamps_with_zone.parquet")
    t4 = pa.table(
        {
            "patient_id": [r[0] for r in rows()],
            "case_id": [r[1] for r in rows()],
            "unit": pa.array([5101] * 5, pa.int64()),  # 05101 as a number
            "sex": [r[3] for r in rows()],
            "referral_date": [r[4] for r in rows()],
            "LAN_VALUE": pa.array([4, 4, 12, 1, 25], pa.int32()),  # county codes 04, 12, 01, 25
        }
    )
    pq.write_table(t4, OUT / "codes_as_numbers.parquet")
    return OUT


if __name__ == "__main__":
    import sys

    folder = main(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
    print(f"wrote {len(list(folder.iterdir()))} files to {folder}")
