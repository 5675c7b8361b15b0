"""nhvmetrics.personnummer: the masking rule (both ways), Luhn, validity, keyed pseudonyms."""

from __future__ import annotations

import ast
import datetime as dt
import hashlib
import re
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nhvmetrics.errors import NhvError
from nhvmetrics.io.keys import load_key
from nhvmetrics.personnummer import (
    KEY_ENV,
    MASK,
    analyse,
    contains_series,
    find_personnummer,
    luhn_digit,
    mask_series,
    mask_text,
    normalise_id,
    pseudonym,
    pseudonymize_frame,
    valid,
)

KEY = b"0123456789abcdef-test-key"
ROOT = Path(__file__).resolve().parents[1]

# --- the masking rule: what it finds ------------------------------------------------------------

FOUND = [
    "19121212-1212",
    "191212121212",
    "121212-1212",
    "1212121212",
    "121212+1212",
    "19121212 1212",  # space
    "121212 1212",
    "19121212\u20131212",  # en dash
    "19121212\u00a01212",  # no-break space
    "19121212\u20111212",  # non-breaking hyphen
    "19121212\u22121212",  # minus sign
    "19470101000X",  # letter check digit (Rockan, SAS)
    "470101-000x",
    "19121212-1213",  # a wrong check digit is masked all the same
    "701063-2391",  # samordningsnummer, day 63 = 3 + 60
    "19701091-2391",  # day 91
    "211212121212",  # a mistyped century
]


@pytest.mark.parametrize("number", FOUND)
def test_every_form_is_found_alone_and_inside_text(number: str) -> None:
    assert find_personnummer(number) == [number]
    for text in (
        f"id {number}.",
        f"/x/{number}.csv",
        f"remiss_{number}_2025",
        f"P{number}",
        f"({number})",
        f"'{number}'",
        f"{number}abc" if number[-1].isdigit() else f"{number}-abc",
    ):
        assert find_personnummer(text) == [number], text
        assert MASK in mask_text(text) and not find_personnummer(mask_text(text)), text


def test_two_numbers_side_by_side_are_both_masked() -> None:
    assert mask_text("19121212-1212,191212121212;121212 1212") == f"{MASK},{MASK};{MASK}"


# --- ... and what it must leave alone -----------------------------------------------------------

LEFT_ALONE = [
    "2025-01-31",
    "2025-01-31T12:34:56.000",
    "2025-01-31 12:34:56+01:00",
    "20250131",  # a compact date is 8 digits
    "20250131T123456",
    "row 1212",
    "rows 2, 3, 1212121",
    "0.1912121212",  # decimals of a number in SVG or a table
    "12.191212121212",
    "-0.1212121212e-05",
    "M 12.5 191.1212 L 1212.5 0.1212121212",
    "9121212121212",  # 13 digits
    "12121212121",  # 11 digits
    "19121312-1212",  # month 13
    "19121232-1212",  # day 32
    "19121200-1212",  # day 0
    "19121292-1212",  # day 92
    "191212-12",
    "11001",
    "41001 05101 11001",
    "ACC000123",
    "pnr-000001",
    "1212121212121212121212",
]


@pytest.mark.parametrize("text", LEFT_ALONE)
def test_dates_timestamps_decimals_and_codes_are_left_alone(text: str) -> None:
    assert find_personnummer(text) == []
    assert mask_text(text) == text


def test_digests_and_keyed_pseudonyms_are_left_alone() -> None:
    # SHA-256 digests and pseudonyms whose hex holds a run of personnummer-shaped digits
    digest = "ab" + "191212121212" + "c" * 50
    assert len(digest) == 64
    for text in (
        digest,
        f"sha256 {digest}",
        "ps_" + "191212121212" + "a" * 20,
        "ps_" + "a" * 20 + "191212121212",
        hashlib.sha256(b"x").hexdigest(),
    ):
        assert find_personnummer(text) == [], text
        assert mask_text(text) == text
    # a short hex-looking run is not a digest: masked
    assert find_personnummer("ab191212121212cd") == ["191212121212"]


@given(st.binary(min_size=16, max_size=64))
def test_no_real_digest_or_pseudonym_is_ever_touched(data: bytes) -> None:
    for text in (hashlib.sha256(data).hexdigest(), pseudonym(data.hex(), KEY)):
        assert mask_text(text) == text


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6))
def test_no_decimal_number_is_touched(x: float) -> None:
    for text in (repr(x), f"{x:.10f}", f"{x:.12f}", f'<path d="M{x} {x / 7}"/>'):
        assert mask_text(text) == text


@given(st.dates(min_value=dt.date(1800, 1, 1), max_value=dt.date(2200, 12, 31)))
def test_no_iso_date_or_timestamp_is_touched(d: dt.date) -> None:
    for text in (d.isoformat(), f"{d.isoformat()}T12:34:56", f"{d.isoformat()} 00:00:00.000"):
        assert mask_text(text) == text


def test_vectorised_mask_and_search_agree_with_the_text_rule() -> None:
    values = [*FOUND, *LEFT_ALONE, f"x {FOUND[0]} y {FOUND[5]}", None, ""]
    s = pl.Series(values, dtype=pl.String)
    assert mask_series(s).to_list() == [None if v is None else mask_text(v) for v in values]
    assert contains_series(s).to_list() == [
        None if v is None else bool(find_personnummer(v)) for v in values
    ]


# --- Luhn and validity -------------------------------------------------------------------------


def test_luhn_digit() -> None:
    assert luhn_digit("121212121") == "2"  # 19121212-1212, Skatteverket's example
    assert luhn_digit("811218987") == "6"
    assert luhn_digit("701063239") == "1"
    with pytest.raises(ValueError):
        luhn_digit("12345")


def test_invalid_format_of_the_public_test_vectors() -> None:
    # the personnummer package's vectors count these as invalid; so does validation
    assert valid(["19090527 1474", "19090527-1474", "190905271474"]) == [False, True, True]
    out = analyse(
        pl.Series(["19121212 1212", "19121212\u20131212", "19470101000X", "P19121212-1212"])
    )
    assert out["shaped"].to_list() == [True] * 4
    assert all("invalid format" in r for r in out["reason"].to_list())
    assert valid(["PAT000123", "12345", "ps_" + "0" * 32, None]) == [None] * 4


def test_one_module_knows_the_personnummer() -> None:
    """nhvmetrics/personnummer.py imports nothing else of nhvmetrics; the Luhn digit is computed
    in one place; the old copies are gone."""
    pkg = ROOT / "nhvmetrics"
    tree = ast.parse((pkg / "personnummer.py").read_text(encoding="utf-8"))
    imported = [
        n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module
    ] + [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not [m for m in imported if m.startswith("nhvmetrics")]
    assert not (pkg / "privacy.py").exists() and not (pkg / "schema" / "personnummer.py").exists()
    luhn = re.compile(r"\(10 - .{1,30}% 10\) % 10|d - 9 if d > 9")
    for path in [*pkg.rglob("*.py"), *(ROOT / "tests").rglob("*.py")]:
        if path.name != "personnummer.py" and path != Path(__file__):
            assert not luhn.search(path.read_text(encoding="utf-8")), path  # no own Luhn


def test_errors_and_the_personnummer_module_import_without_a_cycle() -> None:
    import subprocess
    import sys

    for first in ("nhvmetrics.errors", "nhvmetrics.personnummer", "nhvmetrics.io.guard"):
        proc = subprocess.run(
            [sys.executable, "-c", f"import {first}"], capture_output=True, text=True, cwd=ROOT
        )
        assert proc.returncode == 0, proc.stderr


# --- keyed pseudonyms --------------------------------------------------------------------------


def test_normalise_id_makes_one_form_per_person() -> None:
    assert normalise_id("19121212-1212") == "191212121212"
    assert normalise_id("191212121212") == "191212121212"
    assert normalise_id("121212+1212") == "191212121212"  # '+' = 100 years or older
    assert normalise_id(" PAT000123 ") == "PAT000123"


def test_pseudonym_is_keyed_stable_and_hides_the_number() -> None:
    a = pseudonym("19121212-1212", KEY)
    assert a == pseudonym("191212121212", KEY) == pseudonym("121212+1212", KEY)
    assert a != pseudonym("19121212-1212", KEY + b"x")
    assert a.startswith("ps_") and len(a) == 35
    assert find_personnummer(a) == []


def test_pseudonymize_frame_replaces_ids_and_keeps_rows() -> None:
    df = pl.DataFrame({"patient_id": ["19121212-1212", None, "191212121212"], "x": [1, 2, 3]})
    out = pseudonymize_frame(df, KEY)
    assert out["x"].to_list() == [1, 2, 3]
    ids = out["patient_id"].to_list()
    assert ids[1] is None and ids[0] == ids[2] == pseudonym("19121212-1212", KEY)


def test_key_comes_from_env_or_file_never_too_short(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    with pytest.raises(NhvError, match=KEY_ENV):
        load_key()
    monkeypatch.setenv(KEY_ENV, "short")
    with pytest.raises(NhvError, match="shorter"):
        load_key()
    monkeypatch.setenv(KEY_ENV, KEY.decode())
    assert load_key() == KEY
    f = tmp_path / "key"
    f.write_bytes(b"file-key-0123456789\n")
    assert load_key(f) == b"file-key-0123456789"
    with pytest.raises(NhvError, match="cannot read"):
        load_key(tmp_path / "missing")


def test_century_of_a_10_digit_number_uses_the_whole_date() -> None:
    from nhvmetrics.personnummer import _century

    # someone born 1926-12-31 is 99 on 2026-11-22: '-' still, and the century must be 19
    assert _century("261231", "-", dt.date(2026, 11, 22)) == "19"
    assert _century("261231", "-", dt.date(2025, 11, 22)) == "19"
    assert _century("261122", "-", dt.date(2026, 11, 22)) == "20"  # born today
    assert _century("261231", "+", dt.date(2027, 1, 5)) == "19"  # turned 100: '+'
    assert _century("500101", "-", dt.date(2026, 1, 1)) == "19"
    assert _century("200101", "-", dt.date(2026, 1, 1)) == "20"
    assert _century("261291", "-", dt.date(2026, 11, 22)) == "19"  # samordningsnummer, day + 60
