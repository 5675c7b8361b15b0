"""Large CSV and Parquet files are validated in row batches; the result must be exactly what the
whole-file reading gives.  Small batches (2, 3 rows) force batching on small files: every sample
export, every hostile-corpus file, and files made to put the hard cases across batch borders
(duplicate ids, orphans, a broken row late in the file, a birth date only some batches can derive).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from nhvmetrics.errors import NhvError
from nhvmetrics.io.readers import read_table, stream_table
from nhvmetrics.personnummer import luhn_digit
from nhvmetrics.schema.validate import Needs, validate_export

ROOT = Path(__file__).resolve().parents[2]
EXTRACT = dt.date(2025, 12, 31)
SAMPLE_EXTRACT = dt.date(2026, 3, 31)


def outcome(
    area: str,
    tables: dict[str, Path],
    batch_rows: int | None,
    extract: dt.date = EXTRACT,
    quarantined_rows: bool = True,
    row_findings: bool = True,
    mapping: Path | None = None,
):
    """The validation result, or the error message for unreadable input."""
    try:
        return validate_export(
            area,
            tables,
            extract,
            batch_rows=batch_rows,
            needs=Needs(
                contract=False, quarantined_rows=quarantined_rows, row_findings=row_findings
            ),
            mapping=mapping,
        )
    except NhvError as exc:
        return str(exc)


def same(
    area: str,
    tables: dict[str, Path],
    batch_rows: int,
    extract: dt.date = EXTRACT,
    mapping: Path | None = None,
):
    """Whole-file and batched validation agree, with and without keeping the quarantined rows
    (without them, duplicate ids are found at the end instead of in a pass over the keys)."""
    m = {"mapping": mapping}
    whole = outcome(area, tables, None, extract, **m)
    assert_same(whole, outcome(area, tables, batch_rows, extract, **m))
    assert_same(
        whole,
        outcome(area, tables, batch_rows, extract, quarantined_rows=False, **m),
        rows=False,
    )
    # as `compute` asks: also without the row findings (the table-level ones stay)
    lean = outcome(
        area, tables, batch_rows, extract, quarantined_rows=False, row_findings=False, **m
    )
    if isinstance(whole, str):
        assert lean == whole
    else:
        assert_same(whole, lean, rows=False, row_findings=False)
    return whole


def assert_same(a, b, rows: bool = True, row_findings: bool = True) -> None:
    if isinstance(a, str) or isinstance(b, str):
        assert a == b
        return
    if row_findings:
        assert_frame_equal(a.findings, b.findings)
    else:
        assert_frame_equal(a.findings.filter(pl.col("row").is_null()), b.findings)
    assert a.extract_date == b.extract_date
    assert list(a.tables) == list(b.tables)
    for name, ta in a.tables.items():
        tb = b.tables[name]
        assert_frame_equal(ta.accepted, tb.accepted)
        assert ta.n_quarantined == tb.n_quarantined
        if rows:
            assert_frame_equal(ta.quarantined, tb.quarantined)
        else:
            assert tb.quarantined.height == 0
        for attr in (
            "rows_read",
            "dropped",
            "unknown_columns",
            "columns",
            "missing_required",
            "derived",
            "encoding",
            "delimiter",
            "format",
            "sheet",
            "unknown_cells",
            "alternates",
            "suggestions",
        ):
            assert getattr(ta, attr) == getattr(tb, attr), (name, attr)


def sample_sets() -> list[tuple[str, dict[str, Path]]]:
    out = []
    for folder in (ROOT / "sample_data", ROOT / "sample_data" / "inca"):
        for area in ("acc", "net", "anal", "pelvic"):
            tables = {p.stem.split("_", 1)[1]: p for p in sorted(folder.glob(f"{area}_*.csv"))}
            out.append((area, tables))
    return out


@pytest.mark.parametrize(
    "area,tables",
    sample_sets(),
    ids=lambda v: v if isinstance(v, str) else next(iter(v.values())).parent.name,
)
def test_sample_exports_give_the_same_result_in_batches(
    area: str, tables: dict[str, Path], tmp_path: Path
) -> None:
    utf8 = {}
    for (
        name,
        path,
    ) in tables.items():  # the INCA dialect is Windows-1252, which is read whole: use UTF-8
        utf8[name] = tmp_path / path.name
        utf8[name].write_text(path.read_bytes().decode("cp1252"), encoding="utf-8")
    rows = sum(1 for _ in utf8["cases"].open(encoding="utf-8")) - 1
    batch = max(5, rows // 6)  # about six batches per case table
    assert stream_table(utf8["cases"], None, batch) is not None
    whole = same(area, utf8, batch, SAMPLE_EXTRACT)
    assert not isinstance(whole, str) and whole.table("cases").n_accepted > 0
    # Parquet, written from the CSV as text (the way INCA writes it)
    pq = {}
    for name, path in utf8.items():
        pq[name] = tmp_path / f"{name}.parquet"
        sep = ";" if b";" in path.read_bytes()[:500] else ","
        pl.read_csv(path, infer_schema=False, separator=sep).write_parquet(pq[name])
    same(area, pq, batch, SAMPLE_EXTRACT)


def test_every_hostile_file_gives_the_same_result_or_error_in_batches(corpus: Path) -> None:
    checked = streamed = 0
    for path in sorted(corpus.iterdir()):
        if path.suffix.lower() not in (".csv", ".tsv", ".txt", ".parquet"):
            continue
        for batch_rows in (2, 3):
            same("acc", {"cases": path}, batch_rows)
        checked += 1
        streamed += stream_table(path, None, 2) is not None
    assert checked >= 40 and streamed >= 30


# ---------------------------------------------------------------------------------------------
# files that put the hard cases across batch borders


def pnr(yymmdd: str, serial: str) -> str:
    return f"19{yymmdd}-{serial}{luhn_digit(yymmdd + serial)}"


HEADER = [
    "PAT_ID",
    "REG_ID",
    "SjukhusKod",
    "KON_VALUE",
    "remissdatum",
    "behandlingsstart",
    "VITALSTATUSDATUM",
    "MAKULERAD",
]


def acc_rows(n: int, birth: bool = True) -> list[dict[str, str | None]]:
    rows = []
    for i in range(n):
        row = {
            "PAT_ID": pnr(f"5{i % 10}0101", f"{200 + i:03d}"),
            "REG_ID": f"C{i + 1}",
            "SjukhusKod": "11001",
            "KON_VALUE": "1" if i % 2 else "2",
            "remissdatum": "2025-01-03",
            "behandlingsstart": "2025-01-25",
            "VITALSTATUSDATUM": "2025-06-01",
            "MAKULERAD": None,
        }
        if birth:
            row["FODELSEDATUM"] = f"195{i % 10}-01-01"
        rows.append(row)
    return rows


def write_csv(path: Path, rows: list[dict]) -> Path:
    pl.DataFrame(rows, schema={k: pl.String for k in rows[0]}).write_csv(path, separator=";")
    return path


def test_duplicate_ids_and_drops_across_batches(tmp_path: Path) -> None:
    rows = acc_rows(20)
    rows[17]["REG_ID"] = "C2"  # same id as row 1, five batches later
    rows[9]["REG_ID"] = "C5"  # same id as a cancelled row: not a duplicate
    rows[4]["MAKULERAD"] = "1"
    rows[12]["REG_ID"] = " C13 "  # trimmed before it is compared
    rows[13]["REG_ID"] = "C13"
    path = write_csv(tmp_path / "cases.csv", rows)
    whole = same("acc", {"cases": path}, 3)
    dup = whole.findings.filter(pl.col("check") == "duplicate_id")
    # rows are numbered from 2: list indexes 1, 17 (C2) and 12, 13 (C13)
    assert sorted(dup["row"].to_list()) == [3, 14, 15, 19]
    t = whole.table("cases")
    assert (t.rows_read, t.n_accepted, t.n_quarantined, t.n_dropped) == (20, 15, 4, 1)
    pq = tmp_path / "cases.parquet"
    pl.read_csv(path, separator=";", infer_schema=False).write_parquet(pq)
    same("acc", {"cases": pq}, 3)


def test_a_broken_row_late_in_the_file_gives_the_whole_file_error(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "cases.csv", acc_rows(30))
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[25] += ";extra;fields"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    whole = outcome("acc", {"cases": path}, None)
    assert isinstance(whole, str) and "more fields than the header" in whole
    assert outcome("acc", {"cases": path}, 4) == whole
    assert outcome("acc", {"cases": path}, 4, quarantined_rows=False) == whole


def test_birth_date_derived_from_personnummer_only_in_some_batches(tmp_path: Path) -> None:
    rows = acc_rows(12, birth=False)
    for r in rows[:6]:
        r["PAT_ID"] = "pseudonym"  # gives no birth date: the first batches derive none
    path = write_csv(tmp_path / "cases.csv", rows)
    whole = same("acc", {"cases": path}, 3)
    assert whole.table("cases").derived == ["birth_date"]
    for r in rows:
        r["PAT_ID"] = "pseudonym"  # no row gives one: no derived column, as when read whole
    path = write_csv(tmp_path / "none.csv", rows)
    whole = same("acc", {"cases": path}, 3)
    assert whole.table("cases").derived == []


def test_orphans_are_found_against_the_ids_of_every_case_batch(tmp_path: Path) -> None:
    cases = ROOT / "sample_data" / "anal_cases.csv"
    episodes = pl.read_csv(ROOT / "sample_data" / "anal_episodes.csv", infer_schema=False)
    episodes = episodes.with_columns(
        pl.when(pl.int_range(pl.len()) == 3000)
        .then(pl.lit("NO-SUCH-CASE"))
        .otherwise(pl.col("case_id"))
        .alias("case_id")
    )
    ep = tmp_path / "episodes.csv"
    episodes.write_csv(ep)
    tables = {"cases": cases, "episodes": ep}
    whole = same("anal", tables, 400, SAMPLE_EXTRACT)
    assert (
        "NO-SUCH-CASE"
        in whole.findings.filter(pl.col("check") == "orphan_row")["case_id"].to_list()
    )
    assert stream_table(cases, None, 400) is not None and stream_table(ep, None, 400) is not None


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_batches_concatenated_are_the_whole_file(tmp_path: Path, suffix: str) -> None:
    path = write_csv(tmp_path / "cases.csv", acc_rows(23))
    if suffix == "parquet":
        pq = tmp_path / "cases.parquet"
        pl.read_csv(path, separator=";", infer_schema=False).write_parquet(pq, row_group_size=4)
        path = pq
    stream = stream_table(path, None, 5)
    assert stream is not None
    batches = list(stream.batches())
    assert len(batches) >= 4 and all(b.height <= 5 for b in batches)
    assert_frame_equal(pl.concat(batches), read_table(path).frame)
    assert_frame_equal(
        stream.read_columns(["REG_ID"]), read_table(path).frame.select("_row", "REG_ID")
    )
    # a file of about one batch is read whole
    assert stream_table(path, None, 1000) is None


NEW_HOSTILE = [
    "timestamps_with_zone.parquet",
    "codes_as_numbers.parquet",
    "excel_text_formula.csv",
    "invisible_characters.csv",
    "dates_loose_forms.csv",
    "control_character_in_header.csv",
]


@pytest.mark.parametrize("name", NEW_HOSTILE)
def test_the_new_hostile_cases_are_streamed_and_give_the_same_result(corpus: Path, name) -> None:
    path = corpus / name
    assert stream_table(path, None, 2) is not None
    whole = same("acc", {"cases": path}, 2)
    assert not isinstance(whole, str)


def test_odd_values_across_batch_borders(tmp_path: Path) -> None:
    """Invisible characters, Excel's ="…", loose dates and zoned timestamps in some batches only
    (the check of a code's invisible character is built only for batches that need it)."""
    rows = acc_rows(20)
    rows[2]["KON_VALUE"] = "2\u200b"
    rows[14]["REG_ID"] = "C15\u202e"
    rows[8]["SjukhusKod"] = '="05101"'
    rows[10]["remissdatum"] = "2025-1-3"
    rows[11]["remissdatum"] = "2025-01-03T10:15:00.000Z"
    rows[17]["behandlingsstart"] = "2025-01-25T25:00"
    path = write_csv(tmp_path / "odd.csv", rows)
    whole = same("acc", {"cases": path}, 3)
    assert sorted(whole.findings["check"].unique().to_list()) == [
        "control_character",
        "wrong_type",
    ]
    pq = tmp_path / "odd.parquet"
    frame = pl.read_csv(path, separator=";", infer_schema=False).with_columns(
        pl.col("SjukhusKod").str.replace_all(r"\D", "").cast(pl.Int64),
        pl.col("VITALSTATUSDATUM")
        .str.to_datetime("%Y-%m-%d")
        .dt.replace_time_zone("Europe/Stockholm"),
    )
    frame.write_parquet(pq, row_group_size=4)
    whole = same("acc", {"cases": pq}, 3)
    assert "code_as_number" in whole.findings["check"].to_list()
    assert whole.table("cases").accepted["vital_status_date"].unique().to_list() == [
        dt.date(2025, 6, 1)
    ]


def test_a_register_export_with_its_profile_across_batch_borders(tmp_path: Path) -> None:
    """A register-style export read with its mapping profile (priority list, value maps, a
    checkbox, compact and partial dates, cells read as unknown), with duplicates, blanks in the
    first column of the priority list and bad values in some batches only; and without the
    profile (True/blank blanks counted over every batch, missing columns suggested)."""
    from tests.fixtures import inca_export

    records = inca_export.rows(30)
    records[3]["PERSNR"] = ""  # the priority list falls back to PAT_ID in this row only
    records[20]["PERSNR"] = records[20]["PERSNR"][:-1] + "0"  # a bad check digit, later
    records[25]["R77T201_ID"] = records[4]["R77T201_ID"]  # a duplicate five batches later
    records[7]["op_pad_radikalitet_Varde"] = "7"  # no code: unknown in that cell
    records[11]["a_diadat"] = "20250100"  # partial: made whole (partial: middle)
    records[16]["mitotan_1ar"] = "250"  # out of range (not in the profile: a built-in alias)
    records[18]["a_besok"] = "2024-01-01"  # before the referral: the visit date is unknown
    header = [*inca_export.HEADER, "mitotan_1ar"]
    path = inca_export.write_csv(tmp_path / "acc.csv", records, header=header, encoding="utf-8")
    profile = inca_export.write_profile(tmp_path / "profile.yaml")
    assert stream_table(path, None, 4) is not None  # UTF-8 with a sep= line is streamed
    whole = same("acc", {"cases": path}, 4, mapping=profile)
    t = whole.table("cases")
    assert t.alternates == {"patient_id": ["PERSNR", "PAT_ID"]}
    assert t.n_quarantined == 3  # the bad personnummer and both copies of the duplicate
    assert t.unknown_cells == {"first_visit_date": 1, "resection_margin": 1, "mitotane_level_1y": 1}
    assert "partial_date" in whole.findings["check"].to_list()
    bare = same("acc", {"cases": path}, 4)
    assert bare.table("cases").suggestions["referral_date"] == "a_rem_dat"


@pytest.mark.parametrize("false_late", [False, True])
def test_true_blank_columns_are_told_over_every_batch(tmp_path: Path, false_late: bool) -> None:
    """The checkbox_blank warning counts True and blank over the whole table: batches with only
    blanks, or a "0" in the last batch (which makes the column a yes/no one), change nothing."""
    rows = acc_rows(20)
    for i, r in enumerate(rows):
        r["hypokortisolism"] = "True" if i in (7, 8) else None
    if false_late:
        rows[19]["hypokortisolism"] = "0"
    path = write_csv(tmp_path / "cases.csv", rows)
    whole = same("acc", {"cases": path}, 3)
    found = whole.findings.filter(pl.col("check") == "checkbox_blank")["message"].to_list()
    if false_late:
        assert found == []
    else:
        assert len(found) == 1 and found[0].startswith("18 of 20 cells blank")


@pytest.mark.slow
def test_the_contract_checks_every_accepted_row_once_per_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pandera contract runs once per table over all its accepted rows, whether the file is
    read whole or in batches (pandera's cost is mostly per call), and a breach is an error."""
    import nhvmetrics.schema.contract as contract

    path = tmp_path / "pelvic_cases.csv"
    path.write_bytes((ROOT / "sample_data" / "pelvic_cases.csv").read_bytes())
    seen: list[tuple[str, int]] = []
    real = contract.check_contract

    def spy(area, spec, frame):
        seen.append((spec.name, frame.height))
        real(area, spec, frame)

    monkeypatch.setattr(contract, "check_contract", spy)
    rows = sum(1 for _ in path.open(encoding="utf-8")) - 1
    for batch_rows in (None, rows // 3):
        seen.clear()
        result = validate_export("pelvic", {"cases": path}, SAMPLE_EXTRACT, batch_rows=batch_rows)
        assert seen == [("cases", result.table("cases").n_accepted)]
        assert result.table("cases").n_accepted > 0

    def breach(area, spec, frame):
        raise RuntimeError("internal error: accepted rows break the schema contract")

    monkeypatch.setattr(contract, "check_contract", breach)
    with pytest.raises(RuntimeError, match="schema contract"):
        validate_export("pelvic", {"cases": path}, SAMPLE_EXTRACT, batch_rows=rows // 3)
