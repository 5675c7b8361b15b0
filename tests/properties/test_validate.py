"""Property tests: exports with random corruption never crash the tool, and the accounting holds.

Hypothesis starts from a valid export (canonical or INCA column names) and corrupts it: cells
replaced by arbitrary text (delimiters, quotes, newlines, control characters, other scripts),
cells blanked, removed or added, rows duplicated, blank lines, stray bytes, a truncated file, a
renamed or removed header, another encoding, BOM, line endings.  Invariants:

* the library either validates the file or raises an ``NhvError`` (never another exception);
* accepted + quarantined + dropped = rows read;
* every finding names a row that exists (an accepted or quarantined row of the file), every error
  finding a quarantined row, and no finding shows a personnummer;
* a cell read as unknown (cell-level validation) is null in its accepted row, and the count per
  column is the number of accepted rows with such a finding on that column; also for a
  register-style export read with its mapping profile;
* the command line exits 0, 1 or 2 only, with one ``error:`` line on stderr for 2.
"""

from __future__ import annotations

import datetime as dt
import json
import os

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nhvmetrics.cli import main
from nhvmetrics.errors import NhvError
from nhvmetrics.personnummer import find_personnummer
from nhvmetrics.personnummer import luhn_digit as _luhn
from nhvmetrics.schema.checks import UNKNOWN_SUFFIX
from nhvmetrics.schema.validate import validate_export, validate_frames
from tests.fixtures import inca_export

EXTRACT = dt.date(2025, 12, 31)
# NHV_HYPOTHESIS_SCALE=N runs N× as many examples (the shared settings: conftest.py)
SCALE = int(os.environ.get("NHV_HYPOTHESIS_SCALE", "1"))


PNRS = [
    f"19{d}-{s}{_luhn(d + s)}" for d, s in [("500101", "238"), ("620315", "129"), ("711203", "457")]
]
CANONICAL = [
    "patient_id",
    "case_id",
    "unit",
    "sex",
    "referral_date",
    "first_visit_date",
    "treatment_start_date",
    "mitotane_level_1y",
    "national_mdk",
]
INCA = [
    "PAT_ID",
    "REG_ID",
    "SjukhusKod",
    "KON_VALUE",
    "remissdatum",
    "forsta_besok",
    "behandlingsstart",
    "mitotan_1ar",
    "MAKULERAD",
]

cell_text = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "",
            " ",
            ";",
            ",",
            '"',
            '""',
            "\n",
            "\r\n",
            "\t",
            "\x00",
            "NULL",
            "99",
            "Uppgift saknas",
            "2025-02-30",
            "45660",
            "1 234,5",
            "=1+1",
            "<script>",
            "ÅÄÖ",
            "\ufeff",
            PNRS[0],
            "-1",
            "1e400",
        ]
    ),
)


def base_rows(n: int, inca: bool) -> list[list[str]]:
    out = []
    for i in range(n):
        sex = ("1" if i % 2 else "2") if inca else "MK"[i % 2]
        out.append(
            [
                PNRS[i % 3],
                f"C{i:03d}",
                "11001",
                sex,
                f"2025-0{i % 9 + 1}-03",
                f"2025-0{i % 9 + 1}-10",
                f"2025-0{i % 9 + 1}-20",
                f"{12 + i % 5},5" if i % 3 else "",
                "0" if inca else "Ja",
            ]
        )
    return out


@st.composite
def corrupted_exports(draw) -> tuple[str, bytes]:
    inca = draw(st.booleans())
    header = list(INCA if inca else CANONICAL)
    rows = base_rows(draw(st.integers(0, 12)), inca)
    sep = draw(st.sampled_from([";", ",", "\t"]))
    for _ in range(draw(st.integers(0, 6))):
        op = draw(
            st.sampled_from(
                [
                    "cell",
                    "blank",
                    "drop_cell",
                    "add_cell",
                    "dup_row",
                    "blank_line",
                    "rename_col",
                    "drop_col",
                    "swap_rows",
                ]
            )
        )
        if op in ("cell", "blank", "drop_cell", "add_cell", "dup_row", "swap_rows") and not rows:
            continue
        r = draw(st.integers(0, max(len(rows) - 1, 0)))
        c = draw(st.integers(0, len(header) - 1))
        if op == "cell" and c < len(rows[r]):
            rows[r][c] = draw(cell_text)
        elif op == "blank" and c < len(rows[r]):
            rows[r][c] = ""
        elif op == "drop_cell" and rows[r]:
            rows[r].pop(min(c, len(rows[r]) - 1))
        elif op == "add_cell":
            rows[r].append(draw(cell_text))
        elif op == "dup_row":
            rows.insert(r, list(rows[r]))
        elif op == "blank_line":
            rows.insert(r, [])
        elif op == "rename_col":
            header[c] = draw(
                st.sampled_from(["", "x", header[(c + 1) % len(header)], header[c].upper(), "unit"])
            )
        elif op == "drop_col" and len(header) > 1:
            header.pop(c)
            for row in rows:
                if c < len(row):
                    row.pop(c)
        elif op == "swap_rows" and len(rows) > 1:
            rows[0], rows[-1] = rows[-1], rows[0]
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = eol.join(sep.join(r) for r in [header, *rows]) + eol
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]))
    data = text.encode(encoding, errors="replace")
    byte_op = draw(st.sampled_from(["none", "none", "insert", "truncate"]))
    if byte_op == "insert" and data:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=6)) + data[at:]
    elif byte_op == "truncate" and data:
        data = data[: draw(st.integers(0, len(data)))]
    return sep, data


def check_result(result) -> None:
    t = result.table("cases")
    assert t.n_accepted + t.n_quarantined + t.n_dropped == t.rows_read
    accepted = set(t.accepted["_row"].to_list()) if t.n_accepted else set()
    quarantined = set(t.quarantined["_row"].cast(pl.Int64).to_list()) if t.n_quarantined else set()
    assert not accepted & quarantined
    assert len(accepted) == t.n_accepted and len(quarantined) == t.n_quarantined
    f = result.findings
    for row, severity in zip(f["row"].to_list(), f["severity"].to_list(), strict=True):
        if row is None:
            continue
        assert row >= 2
        assert row in accepted | quarantined, (row, severity)
        if severity == "error":
            assert row in quarantined
    assert not find_personnummer(f.write_csv() + t.quarantined.write_csv())
    # cell-level: each cell read as unknown is null in its accepted row, and counted once
    unknown = f.filter(
        pl.col("row").is_in(list(accepted))
        & (pl.col("severity") == "warning")
        & pl.col("message").str.ends_with(UNKNOWN_SUFFIX)
    )
    counted: dict[str, int] = {}
    for column, rows in unknown.group_by("column").agg(pl.col("row").unique()).iter_rows():
        counted[column] = len(rows)
        cells = t.accepted.filter(pl.col("_row").is_in(rows))[column]
        assert cells.null_count() == len(rows), column
    assert counted == t.unknown_cells


@settings(max_examples=250 * SCALE)
@given(corrupted_exports())
def test_corrupted_csv_never_crashes_and_the_rows_add_up(tmp_path_factory, export) -> None:
    _sep, data = export
    path = tmp_path_factory.mktemp("p") / "cases.csv"
    path.write_bytes(data)
    try:
        result = validate_export("acc", {"cases": path}, extract_date=EXTRACT)
    except NhvError as exc:
        assert exc.exit_code == 2
        assert str(exc).strip() and "\n" not in str(exc).strip()
        assert not find_personnummer(str(exc))
        return
    check_result(result)


@settings(max_examples=40 * SCALE)
@given(corrupted_exports())
def test_corrupted_csv_on_the_command_line_exits_0_1_or_2(tmp_path_factory, capsys, export) -> None:
    _sep, data = export
    folder = tmp_path_factory.mktemp("c")
    path = folder / "cases.csv"
    path.write_bytes(data)
    capsys.readouterr()
    try:
        main(
            [
                "validate",
                str(path),
                "--area",
                "acc",
                "--extract-date",
                "2025-12-31",
                "--errors",
                str(folder / "f.json"),
            ]
        )
        code = 0
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    assert code in (0, 1, 2)
    assert "Traceback" not in out + err
    assert not find_personnummer(out + err)
    if code == 2:
        assert err.startswith("error: ") and len(err.strip().splitlines()) == 1
        return
    report = json.loads((folder / "f.json").read_text(encoding="utf-8"))
    t = report["tables"]["cases"]
    assert t["accepted"] + t["quarantined"] + sum(t["dropped"].values()) == t["rows_read"]
    assert code == (1 if report["errors"] else 0)


# --- frames and Parquet with random column types ---------------------------------------------

values = {
    "str": st.one_of(st.none(), cell_text),
    "int": st.one_of(st.none(), st.integers(-(10**12), 10**12)),
    "float": st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
    "bool": st.one_of(st.none(), st.booleans()),
    "date": st.one_of(st.none(), st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31))),
    "datetime": st.one_of(
        st.none(), st.datetimes(dt.datetime(1800, 1, 1), dt.datetime(2200, 1, 1))
    ),
}
DTYPES = {
    "str": pl.String,
    "int": pl.Int64,
    "float": pl.Float64,
    "bool": pl.Boolean,
    "date": pl.Date,
    "datetime": pl.Datetime("us"),
}


@st.composite
def typed_frames(draw) -> pl.DataFrame:
    n = draw(st.integers(0, 8))
    cols = draw(
        st.lists(
            st.sampled_from(CANONICAL + ["birth_date", "death_date", "net_condition", "x"]),
            min_size=1,
            max_size=9,
            unique=True,
        )
    )
    data = {}
    for c in cols:
        kind = draw(st.sampled_from(sorted(values)))
        data[c] = pl.Series(c, [draw(values[kind]) for _ in range(n)], dtype=DTYPES[kind])
    return pl.DataFrame(data)


@settings(max_examples=100 * SCALE)
@given(typed_frames(), st.booleans())
def test_parquet_and_frames_with_any_column_types(tmp_path_factory, frame, via_parquet) -> None:
    try:
        if via_parquet:
            path = tmp_path_factory.mktemp("q") / "cases.parquet"
            frame.write_parquet(path)
            result = validate_export("acc", {"cases": path}, extract_date=EXTRACT)
        else:
            result = validate_frames("acc", {"cases": frame}, extract_date=EXTRACT)
    except NhvError as exc:
        assert exc.exit_code == 2
        return
    check_result(result)


def test_the_invariant_checks_mean_something(tmp_path) -> None:
    """check_result passes on a real mix of accepted and quarantined rows and fails on a finding
    that names a row the file does not have."""
    p = tmp_path / "c.csv"
    good = ";".join(CANONICAL) + "\n" + "\n".join(";".join(r) for r in base_rows(4, False)) + "\n"
    p.write_text(good.replace("C001", "C000"), encoding="utf-8")  # a duplicated case_id
    r = validate_export("acc", {"cases": p}, extract_date=EXTRACT)
    assert r.table("cases").n_quarantined == 2 and r.table("cases").n_accepted == 2
    check_result(r)
    bad = r.findings.with_columns(pl.lit(99, dtype=pl.Int64).alias("row"))
    r.findings = bad
    with pytest.raises(AssertionError):
        check_result(r)


# --- what the properties found (kept as plain regression tests) -------------------------------


def test_personnummer_in_a_column_name_is_not_echoed(tmp_path, capsys) -> None:
    """Found by the CSV property: with old-Mac line endings plus one newline the first data row
    became part of the header, so a column *name* held a personnummer, and the unknown_column
    finding and the summary showed it."""
    p = tmp_path / "c.csv"
    p.write_bytes(
        b"patient_id;case_id;unit;sex;referral_date\r"
        + PNRS[0].encode()
        + b";\n;11001;M;2025-01-03\r"
    )
    r = validate_export("acc", {"cases": p}, extract_date=EXTRACT)
    check_result(r)
    assert not find_personnummer(r.findings.write_csv())
    try:
        main(["validate", str(p), "--area", "acc", "--errors", str(tmp_path / "f.json")])
    except SystemExit:
        pass
    out, err = capsys.readouterr()
    assert not find_personnummer(out + err + (tmp_path / "f.json").read_text(encoding="utf-8"))


def test_header_names_that_clash_after_trimming(tmp_path) -> None:
    """Found by the CSV property: two header cells that differ only in blanks (or a CR) crashed
    the reader with polars' DuplicateError."""
    p = tmp_path / "c.csv"
    p.write_bytes(
        b"patient_id;case_id;unit;sex;referral_date; x;x ;\r;\r\nP1;C1;11001;M;2025-01-03;1;2;3;4\n"
    )
    r = validate_export("acc", {"cases": p}, extract_date=EXTRACT)
    check_result(r)


def test_date_checks_on_a_table_without_required_columns(tmp_path) -> None:
    """Found by the frame property: a polars panic (not even an Exception) while gathering the
    after_death findings of a table whose required columns are missing and one date is
    'Uppgift saknas'.  The CSV below reproduced it through the command line."""
    p = tmp_path / "c.csv"
    p.write_text(
        "death_date;treatment_start_date;diagnosis_date\n;;\n;;\n;;\n;;\n2000-01-01;2000-01-02;\n;;\n"
        "1999-01-01;2000-01-01;\n;;Uppgift saknas\n",
        encoding="utf-8",
    )
    r = validate_export("acc", {"cases": p}, extract_date=EXTRACT)
    check_result(r)
    assert {"missing_required_column", "after_death"} <= set(r.findings["check"])


@st.composite
def corrupted_register_exports(draw) -> bytes:
    """The register-style export of tests/fixtures/inca_export.py (read with its mapping
    profile), with random cells replaced or blanked and rows duplicated."""
    records = inca_export.rows(draw(st.integers(1, 10)))
    header = list(inca_export.HEADER)
    for _ in range(draw(st.integers(0, 8))):
        r = draw(st.integers(0, len(records) - 1))
        op = draw(st.sampled_from(["cell", "cell", "blank", "dup_row"]))
        if op == "dup_row":
            records.insert(r, dict(records[r]))
            continue
        column = draw(st.sampled_from(header))
        records[r] = dict(records[r], **{column: "" if op == "blank" else draw(cell_text)})
    text = inca_export.csv_text(records, header)
    return ("sep=;\r\n" + text).encode("cp1252", errors="replace")


@settings(max_examples=80 * SCALE)
@given(corrupted_register_exports())
def test_a_register_export_with_its_profile_adds_up(tmp_path_factory, data) -> None:
    folder = tmp_path_factory.mktemp("r")
    path = folder / "acc.csv"
    path.write_bytes(data)
    profile = inca_export.write_profile(folder / "profile.yaml")
    try:
        result = validate_export("acc", {"cases": path}, extract_date=EXTRACT, mapping=profile)
    except NhvError as exc:
        assert exc.exit_code == 2 and "\n" not in str(exc).strip()
        return
    check_result(result)
