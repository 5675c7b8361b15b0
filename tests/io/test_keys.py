"""The pseudonymisation key (nhvmetrics.io.keys): bytes as they are, one sentence otherwise."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nhvmetrics.errors import NhvError
from nhvmetrics.io.keys import load_key
from nhvmetrics.personnummer import KEY_ENV


def test_key_material_that_is_not_text_or_not_a_key_is_one_sentence(monkeypatch, tmp_path) -> None:
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
