"""The output guard (nhvmetrics.io.guard) and the writers that use it."""

from __future__ import annotations

import datetime as dt
import io
import re
import sys
import unicodedata
import zipfile
from pathlib import Path

import polars as pl
import pytest

from nhvmetrics.errors import NhvError
from nhvmetrics.io import guard
from nhvmetrics.io.atomic import write_bytes, write_text
from nhvmetrics.io.guard import (
    GuardedStream,
    clean_text,
    clean_value,
    guard_frame,
    guard_json,
    safe_file_name,
)
from nhvmetrics.io.writers import write_csv, write_json, write_parquet
from nhvmetrics.personnummer import MASK, find_personnummer

PNR = "19121212-1212"
ROOT = Path(__file__).resolve().parents[2]


def test_controls_are_shown_as_text() -> None:
    assert clean_value("a\x1b[2Jb") == "a\\x1b[2Jb"
    assert clean_value("nul\x00") == "nul\\x00"
    assert clean_value("c1\x9b") == "c1\\x9b"
    assert clean_value("del\x7f") == "del\\x7f"
    assert clean_value("rtl\u202eabc") == "rtlU+202Eabc"
    assert clean_value("zw\u200bsp\ufeff") == "zwU+200BspU+FEFF"
    assert clean_value("a\tb\nc\rd") == "a\\x09b\\x0ac\\x0dd"  # inside one value: shown
    assert clean_text("a\tb\nc\r\n\x1b") == "a\tb\nc\r\n\\x1b"  # a document keeps its layout
    assert clean_value("Åsa Öberg, 11001 – Malmö") == "Åsa Öberg, 11001 – Malmö"


def test_the_invisible_class_is_every_control_and_format_character() -> None:
    """Cc, Cf, Zl and Zp of the Unicode database this Python has: the hand-made ranges cover
    each one, and nothing printable."""
    hidden = {
        cp
        for cp in range(sys.maxunicode + 1)
        if unicodedata.category(chr(cp)) in ("Cc", "Cf", "Zl", "Zp")
    }
    covered = {cp for lo, hi in guard._INVISIBLE_RANGES for cp in range(lo, hi + 1)}
    assert hidden <= covered
    extra = {cp for cp in covered - hidden if unicodedata.category(chr(cp)) != "Cn"}
    assert not extra, sorted(hex(c) for c in extra)


def test_a_personnummer_split_by_an_invisible_character_is_masked() -> None:
    assert clean_value("19121212\u200b-1212") == MASK
    assert clean_value("id 1912\u20601212-1212 ok") == f"id {MASK} ok"
    assert clean_text("x 19121212\u00ad1212\n") == f"x {MASK}\n"


def test_safe_file_name() -> None:
    assert safe_file_name(f"acc-2025-{PNR}") == "acc-2025-personnummer"
    assert safe_file_name("acc-2025-11001") == "acc-2025-11001"


def test_guard_frame_values_names_categoricals_and_numbers() -> None:
    df = pl.DataFrame(
        {
            "unit": ["11001", PNR, "ok\x1b"],
            PNR: ["a", "b", "c"],
            "19121212 1212": ["d", "e", "f"],
            "cat": pl.Series([f"x {PNR}", "y", "y"], dtype=pl.Categorical),
            "n": [191212121212, 5, 6],
            "share": [0.1912121212, 0.5, 1.0],
            "sha256": ["ab191212121212" + "c" * 50] * 3,
        }
    )
    out = guard_frame(df)
    assert out.columns == ["unit", MASK, f"{MASK} (2)", "cat", "n", "share", "sha256"]
    assert out["unit"].to_list() == ["11001", MASK, "ok\\x1b"]
    assert out["cat"].cast(pl.String).to_list() == [f"x {MASK}", "y", "y"]
    assert out["n"].to_list() == [MASK, "5", "6"]
    assert out["share"].to_list() == df["share"].to_list()  # decimals are not numbers to mask
    assert out["sha256"].to_list() == df["sha256"].to_list()  # nor digests
    clean = pl.DataFrame({"a": ["x", "2025-01-31"], "b": [1, 2]})
    assert guard_frame(clean).equals(clean)


def test_guard_json() -> None:
    payload = {"inputs": {f"{PNR}.csv": "ab" * 32}, "error": "bad \x1b", "n": 3}
    assert guard_json(payload) == {
        "inputs": {f"{MASK}.csv": "ab" * 32},
        "error": "bad \\x1b",
        "n": 3,
    }


def test_every_writer_guards(tmp_path: Path) -> None:
    df = pl.DataFrame({"case_id": [PNR, "C2"], "v": ["121212 1212", "\u202e"]})
    write_csv(df, tmp_path / "a.csv")
    write_parquet(df, tmp_path / "a.parquet")
    write_json({"file": f"/x/{PNR}.csv"}, df, tmp_path / "a.json")
    write_text(tmp_path / "a.html", f"<p>{PNR}</p>")
    write_text(tmp_path / "a.txt", f"{PNR}\n")
    write_bytes(tmp_path / "b.csv", f"x,{PNR}\n".encode())
    texts = {p.name: p.read_text(encoding="utf-8", errors="replace") for p in tmp_path.iterdir()}
    texts["a.parquet"] = pl.read_parquet(tmp_path / "a.parquet").write_csv()
    for name, text in texts.items():
        assert not find_personnummer(text), name
        assert "\u202e" not in text, name
    assert texts["a.html"] == "<p>&lt;personnummer&gt;</p>"
    assert texts["a.txt"] == f"{MASK}\n"


def test_write_bytes_refuses_a_workbook_that_holds_a_personnummer(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("xl/sharedStrings.xml", f"<sst><si><t>{PNR}</t></si></sst>")
    with pytest.raises(NhvError, match="would hold a personnummer"):
        write_bytes(tmp_path / "w.xlsx", buf.getvalue())
    assert not list(tmp_path.iterdir())


def test_synthetic_exports_are_the_one_unguarded_output(tmp_path: Path) -> None:
    write_bytes(tmp_path / "sample.csv", f"patient_id\n{PNR}\n".encode(), synthetic_export=True)
    assert PNR in (tmp_path / "sample.csv").read_text(encoding="utf-8")


def test_an_output_file_name_with_a_personnummer_is_refused(tmp_path: Path) -> None:
    for name in (f"{PNR}.html", "remiss 121212 1212.csv", "19470101000X.xlsx"):
        with pytest.raises(NhvError, match="holds a personnummer") as exc:
            write_text(tmp_path / name, "x")
        assert not find_personnummer(str(exc.value))
    assert not list(tmp_path.iterdir())


def test_workbook_cells_and_sheet_names_are_guarded() -> None:
    from openpyxl import Workbook, load_workbook

    from nhvmetrics.io.xlsx import put_value, workbook_bytes

    wb = Workbook()
    ws = wb.active
    ws.title = "u 121212-1212"
    put_value(ws.cell(1, 1), f"unit {PNR}")
    put_value(ws.cell(1, 2), "bell\x07")  # openpyxl itself refuses raw controls
    put_value(ws.cell(1, 3), 191212121212)
    ws.cell(2, 1).value = "set directly 121212+1212"  # not through put_value: still guarded
    data = workbook_bytes(wb, dt.datetime(2026, 2, 15))
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = "".join(z.read(n).decode("utf-8") for n in z.namelist())
    assert not find_personnummer(xml)
    back = load_workbook(io.BytesIO(data))
    ws2 = back.worksheets[0]
    assert ws2.title == f"u {MASK}"
    assert [c.value for c in ws2[1]] == [f"unit {MASK}", "bell\\x07", MASK]
    assert ws2["A2"].value == f"set directly {MASK}"


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_guarded_stream_masks_whole_lines_and_neutralises_controls() -> None:
    raw = io.StringIO()
    s = GuardedStream(raw)
    s.write("id 1912")  # a line written in pieces is masked as a whole
    s.write("1212-1212 \x1b[2J\u202e\n")
    s.write("tail 121212 1212")
    assert raw.getvalue() == f"id {MASK} \\x1b[2JU+202E\n"
    s.flush()
    assert raw.getvalue().endswith(f"tail {MASK}")
    with pytest.raises(TypeError):
        s.write(b"bytes")  # type: ignore[arg-type]


def test_guarded_stream_keeps_colours_on_a_terminal_only() -> None:
    tty = _Tty()
    s = GuardedStream(tty)
    assert s.isatty()
    s.write(f"\x1b[1;31m{PNR}\x1b[0m \x07\n")
    assert tty.getvalue() == f"\x1b[1;31m{MASK}\x1b[0m \\x07\n"


def test_typer_and_rich_write_through_the_guard(capsys) -> None:
    import typer
    from rich.console import Console

    with guard.guarded_terminal():
        guard.echo(f"wrote {PNR}.html")
        typer.echo(f"plain {PNR}", err=True)
        Console().print(f"rich {PNR} \x1b]0;title\x07")
        print("print 121212 1212")
    out, err = capsys.readouterr()
    assert not find_personnummer(out + err)
    assert "\x1b" not in out + err and "\x07" not in out + err
    assert out.count(MASK) == 3 and err.count(MASK) == 1


# --- every way out goes through the guard -------------------------------------------------------

# The modules that may write or print directly; everything else uses them.
_WRITERS = {
    "nhvmetrics/io/atomic.py",  # write_bytes / write_text / atomic_path
    "nhvmetrics/io/writers.py",  # write_csv / write_json / write_parquet
    "nhvmetrics/io/xlsx.py",  # workbook_bytes
    "nhvmetrics/io/guard.py",  # echo, the terminal streams
    "nhvmetrics/sample.py",  # synthetic exports (write_bytes(..., synthetic_export=True))
}
_WAYS_OUT = re.compile(
    r"typer\.echo\(|click\.echo\(|(?<![.\w])print\(|sys\.std(?:out|err)\.write|"
    r"\.write_(?:csv|parquet|json|ipc|excel|ndjson)\(\s*(?!\))|\.save\(|"
    r"\bopen\([^)]*['\"][wax]b?['\"]|\.write_(?:text|bytes)\("
)


def test_no_module_writes_or_prints_around_the_guard() -> None:
    """A new output cannot forget the guard: only the writer modules write files or print; the
    others call them (``console.print`` of rich goes through the guarded terminal streams)."""
    offenders = []
    for path in sorted((ROOT / "nhvmetrics").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel in _WRITERS:
            continue
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            for m in _WAYS_OUT.finditer(code):
                # write_bytes/write_text imported from nhvmetrics.io.atomic are the guard itself
                if m.group(0) in (".write_text(", ".write_bytes(") and "tmp." not in code:
                    continue
                offenders.append(f"{rel}:{i}: {line.strip()}")
    assert not offenders, "\n".join(offenders)
