"""Keyed pseudonyms and the personnummer scanner used by the privacy tests."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from nhvmetrics.errors import NhvError
from nhvmetrics.privacy import (
    KEY_ENV,
    find_personnummer,
    load_key,
    normalise_id,
    pseudonym,
    pseudonymize_frame,
)

KEY = b"0123456789abcdef-test-key"


def test_scanner_finds_valid_numbers_in_every_spelling() -> None:
    text = "x 19121212-1212 y 121212-1212 z 201212121212; 121212+1212"
    assert find_personnummer(text) == [
        "19121212-1212",
        "121212-1212",
        "201212121212",
        "121212+1212",
    ]


def test_scanner_finds_samordningsnummer() -> None:
    # 701063-2391: day 63 = 3rd + 60; Luhn over 7010632391 is valid.
    assert find_personnummer("id 701063-2391") == ["701063-2391"]


def test_scanner_ignores_bad_check_digit_and_longer_digit_runs() -> None:
    assert find_personnummer("121212-1213") == []
    assert find_personnummer("9121212121212") == []  # 13 digits: not a personnummer
    assert find_personnummer("2025-01-31") == []


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


def test_mask_personnummer_in_messages() -> None:
    from nhvmetrics.privacy import mask_personnummer

    text = "the file /x/19121212-1212.csv and 121212+1212, not 2025-01-31 or 121212-1213"
    assert mask_personnummer(text) == (
        "the file /x/<personnummer>.csv and <personnummer>, not 2025-01-31 or 121212-1213"
    )
    assert find_personnummer(mask_personnummer("id 701063-2391")) == []


def test_century_of_a_10_digit_number_uses_the_whole_date() -> None:
    import datetime as dt

    from nhvmetrics.privacy import _century

    # someone born 1926-12-31 is 99 on 2026-11-22: '-' still, and the century must be 19
    assert _century("261231", "-", dt.date(2026, 11, 22)) == "19"
    assert _century("261231", "-", dt.date(2025, 11, 22)) == "19"
    assert _century("261122", "-", dt.date(2026, 11, 22)) == "20"  # born today
    assert _century("261231", "+", dt.date(2027, 1, 5)) == "19"  # turned 100: '+'
    assert _century("500101", "-", dt.date(2026, 1, 1)) == "19"
    assert _century("200101", "-", dt.date(2026, 1, 1)) == "20"
    assert _century("261291", "-", dt.date(2026, 11, 22)) == "19"  # samordningsnummer, day + 60


def test_key_material_that_is_not_text_or_not_a_key_is_one_sentence(monkeypatch, tmp_path) -> None:
    import os

    # an environment key that is not valid UTF-8 is used as the bytes it is (once a traceback)
    raw = b"\xff\xfe-binary-key-\x80\x81\x82-0123"
    monkeypatch.setenv(KEY_ENV, os.fsdecode(raw))
    assert load_key() == raw
    f = tmp_path / "key.bin"
    f.write_bytes(raw + b"\n")
    assert load_key(f) == raw  # the same key from a file gives the same pseudonyms
    # an export given by mistake (or /dev/zero) is not read to the end
    big = tmp_path / "cases.csv"
    big.write_bytes(b"x" * 100_000)
    with pytest.raises(NhvError, match="larger than 64 KiB, which no key is; check that"):
        load_key(big)
    with pytest.raises(NhvError, match="cannot read the key file"):
        load_key(tmp_path)  # a folder
    with pytest.raises(NhvError) as exc:
        load_key(Path(os.fsdecode(os.fsencode(tmp_path) + b"/\xffkey")))
    str(exc.value).encode("utf-8")  # the name is shown with U+FFFD, printable
    assert "\ufffdkey" in str(exc.value)
