"""``convert --pseudonymize``: patient_id becomes HMAC-SHA-256 under a secret key that comes from
the environment or a key file (never the command line), is never printed or written, and gives
the same pseudonym for the same person in every run and every spelling of the number."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import polars as pl
import pytest

from nhvmetrics.personnummer import KEY_ENV, find_personnummer
from nhvmetrics.personnummer import luhn_digit as _luhn
from tests.fixtures.cli import run_cli

KEY = "s3cret-key-for-the-tests-0123456789"


PNR = "19500101-238" + _luhn("500101238")
OTHER = "19620315-129" + _luhn("620315129")
HEADER = "PAT_ID;REG_ID;SjukhusKod;KON_VALUE;remissdatum\n"


def export(folder: Path, name: str, ids: list[str]) -> Path:
    p = folder / name
    p.write_text(
        HEADER + "".join(f"{pid};C{i};11001;1;2025-01-0{i + 1}\n" for i, pid in enumerate(ids)),
        encoding="utf-8",
    )
    return p


def run(args, capsys) -> tuple[int, str]:
    code, out, err = run_cli(args, capsys)
    return code, out + err


def convert(src: Path, out: Path, capsys, *extra) -> tuple[int, str]:
    return run(
        [
            "convert",
            src,
            "--area",
            "acc",
            "--extract-date",
            "2025-12-31",
            "-o",
            out,
            "--pseudonymize",
            *extra,
        ],
        capsys,
    )


def test_keyed_hmac_stable_across_runs_files_and_spellings(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)
    a = export(tmp_path, "a.csv", [PNR, OTHER, "PAT000123"])
    b = export(
        tmp_path, "b.csv", [PNR.replace("-", ""), PNR[2:], OTHER[2:].replace("-", "")]
    )  # other spellings
    assert convert(a, tmp_path / "a1.parquet", capsys)[0] == 0
    assert convert(a, tmp_path / "a2.parquet", capsys)[0] == 0
    assert convert(b, tmp_path / "b.parquet", capsys)[0] == 0
    ids_a = pl.read_parquet(tmp_path / "a1.parquet")["patient_id"].to_list()
    assert (tmp_path / "a1.parquet").read_bytes() == (tmp_path / "a2.parquet").read_bytes()
    expected = (
        "ps_"
        + hmac.new(
            KEY.encode(), b"195001012383"[:8] + PNR[-4:].encode(), hashlib.sha256
        ).hexdigest()[:32]
    )
    assert ids_a[0] == expected
    assert ids_a[2] == "ps_" + hmac.new(KEY.encode(), b"PAT000123", hashlib.sha256).hexdigest()[:32]
    ids_b = pl.read_parquet(tmp_path / "b.parquet")["patient_id"].to_list()
    assert ids_b == [ids_a[0], ids_a[0], ids_a[1]]


def test_another_key_gives_other_pseudonyms(tmp_path, capsys, monkeypatch) -> None:
    a = export(tmp_path, "a.csv", [PNR])
    monkeypatch.setenv(KEY_ENV, KEY)
    convert(a, tmp_path / "1.parquet", capsys)
    monkeypatch.setenv(KEY_ENV, KEY + "-rotated")
    convert(a, tmp_path / "2.parquet", capsys)
    one, two = (pl.read_parquet(tmp_path / f"{i}.parquet")["patient_id"].item() for i in (1, 2))
    assert one != two and one.startswith("ps_") and two.startswith("ps_")


def test_key_file_and_the_key_never_shows(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    key = tmp_path / "key"
    key.write_text(KEY + "\n")
    a = export(tmp_path, "a.csv", [PNR, OTHER])
    code, printed = convert(a, tmp_path / "o.parquet", capsys, "--key-file", key)
    assert code == 0, printed
    written = (tmp_path / "o.parquet").read_bytes()
    for secret in (KEY, KEY.encode().hex()):
        assert secret not in printed and secret.encode() not in written
    assert not find_personnummer(printed) and not find_personnummer(written.decode("latin-1"))
    assert PNR.encode() not in written and PNR[2:].replace("-", "").encode() not in written


def test_the_key_cannot_be_given_on_the_command_line(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    a = export(tmp_path, "a.csv", [PNR])
    for opt in ("--key", "--secret", "--pseudonym-key"):
        code, printed = convert(a, tmp_path / "o.parquet", capsys, opt, KEY)
        assert code == 2 and not (tmp_path / "o.parquet").exists()
    code, printed = convert(a, tmp_path / "o.parquet", capsys)
    assert code == 2 and KEY_ENV in printed and "--key-file" in printed
    assert len(printed.strip().splitlines()) == 1


@pytest.mark.parametrize("bad", ["short", ""])
def test_weak_or_empty_key_is_refused(bad, tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setenv(KEY_ENV, bad)
    a = export(tmp_path, "a.csv", [PNR])
    code, printed = convert(a, tmp_path / "o.parquet", capsys)
    assert code == 2 and not (tmp_path / "o.parquet").exists()
    assert bad == "" or bad not in printed.replace("shorter", "")


def test_key_material_that_is_not_valid_is_one_line(tmp_path, capsys, monkeypatch) -> None:
    """A key that is not UTF-8 is a key (its bytes); a key file that is no key is one line."""
    import os

    a = export(tmp_path, "a.csv", [PNR])
    raw = b"\xff\xfe not UTF-8 at all \x80\x81"
    monkeypatch.setenv(KEY_ENV, os.fsdecode(raw))
    code, printed = convert(a, tmp_path / "env.parquet", capsys)
    assert code == 0, printed
    monkeypatch.delenv(KEY_ENV)
    key = tmp_path / "key.bin"
    key.write_bytes(raw)
    code, printed = convert(a, tmp_path / "file.parquet", capsys, "--key-file", key)
    assert code == 0, printed
    ids = [pl.read_parquet(tmp_path / f)["patient_id"][0] for f in ("env.parquet", "file.parquet")]
    digest = hmac.new(raw, PNR.replace("-", "").encode(), hashlib.sha256).hexdigest()
    assert ids[0] == ids[1] == "ps_" + digest[:32]
    big = tmp_path / "export.csv"
    big.write_bytes(b"x;y\n" * 50_000)
    for bad in (big, tmp_path):
        code, printed = convert(a, tmp_path / "o.parquet", capsys, "--key-file", bad)
        assert code == 2 and printed.startswith("error: "), printed
        assert len(printed.strip().splitlines()) == 1
        assert not (tmp_path / "o.parquet").exists()
