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


def xlsx(name: str, build) -> None:
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
            z.writestr(zi, src.read(info.filename))
    w(name, out.getvalue())


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
    return OUT


if __name__ == "__main__":
    import sys

    folder = main(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
    print(f"wrote {len(list(folder.iterdir()))} files to {folder}")
