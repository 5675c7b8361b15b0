"""Keyed pseudonyms for patient ids, and a scanner that finds personnummer in text.

The pseudonym is HMAC-SHA-256 of the normalised id under a secret key. The key comes from the
environment variable ``NHVMETRICS_PSEUDONYM_KEY`` or from a key file, never from the command line
(where it would end up in shell history and process listings) and it is never logged.
The same key gives the same pseudonym for the same person across runs and files; without the key
the pseudonym cannot be linked back to the personnummer.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from pathlib import Path

from nhvmetrics.errors import NhvError

KEY_ENV = "NHVMETRICS_PSEUDONYM_KEY"
MIN_KEY_BYTES = 16
MAX_KEY_FILE_BYTES = 64 << 10
PSEUDONYM_PREFIX = "ps_"

# 10 or 12 digits, optionally with - or + before the last four; not part of a longer digit run.
_PNR_RE = re.compile(r"(?<![0-9])((?:19|20)?[0-9]{6})([-+]?)([0-9]{4})(?![0-9])")


def load_key(key_file: Path | None = None) -> bytes:
    """Return the pseudonymisation key from ``key_file`` or the environment.

    Raises NhvError (exit 2) when no key is available or it is too short.
    """
    if key_file is not None:
        try:
            # at most MAX_KEY_FILE_BYTES: /dev/zero or a mistyped export must not fill the memory
            with open(key_file, "rb") as f:
                key = f.read(MAX_KEY_FILE_BYTES + 1)
        except (OSError, ValueError):
            raise NhvError(
                f"cannot read the key file {key_file}; check the path and its permissions."
            ) from None
        if len(key) > MAX_KEY_FILE_BYTES:
            raise NhvError(
                f"the key file {key_file} is larger than {MAX_KEY_FILE_BYTES // 1024} KiB, which "
                "no key is; check that --key-file names the key file."
            )
        key = key.strip()
        source = f"the key file {key_file}"
    else:
        # the variable's bytes as they are (Python shows bytes that are not UTF-8 as surrogates,
        # which cannot be encoded back)
        environb = getattr(os, "environb", None)
        if environb is not None:
            key = environb.get(KEY_ENV.encode(), b"")
        else:  # pragma: no cover - Windows: the environment is text
            key = os.environ.get(KEY_ENV, "").encode("utf-8")
        if not key:
            raise NhvError(
                f"--pseudonymize needs a secret key: set {KEY_ENV} or pass --key-file PATH."
            )
        source = KEY_ENV
    if len(key) < MIN_KEY_BYTES:
        raise NhvError(
            f"the key in {source} is shorter than {MIN_KEY_BYTES} bytes; use a longer random key."
        )
    return key


def normalise_id(value: str) -> str:
    """Canonical form of a patient id before hashing: digits of a personnummer without separator.

    ``19121212-1212``, ``191212121212`` and ``121212-1212`` all become ``191212121212`` when
    the century can be told (a ``+`` separator means 100 years or older); other ids
    (registry pseudonyms) are only stripped of surrounding blanks.
    """
    v = value.strip()
    m = _PNR_RE.fullmatch(v)
    if not m:
        return v
    date, sep, tail = m.groups()
    if len(date) == 8:
        return date + tail
    return _century(date, sep) + date + tail


def _century(yymmdd: str, sep: str, today=None) -> str:
    """The century of a 10-digit number, as Skatteverket defines it: the most recent date with
    these digits that is not in the future (``-``), or 100 years before it (``+``, aged 100 or
    more).  The whole date counts, not only the year, so a number keeps its century until the
    person's 100th birthday, when the separator becomes ``+``."""
    import datetime as _dt

    today = today or _dt.date.today()
    yy, mm, dd = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6])
    if dd > 60:  # samordningsnummer: day + 60
        dd -= 60
    year = (today.year // 100) * 100 + yy
    try:
        future = _dt.date(year, mm, dd) > today
    except ValueError:  # not a real date (29 February of another year, …): the year decides
        future = year > today.year
    if future:
        year -= 100
    if sep == "+":
        year -= 100
    return str(year // 100)


def pseudonym(value: str, key: bytes) -> str:
    digest = hmac.new(key, normalise_id(value).encode("utf-8"), hashlib.sha256).hexdigest()
    return PSEUDONYM_PREFIX + digest[:32]


def pseudonymize_frame(frame, key: bytes, column: str = "patient_id"):
    """Replace ``column`` of a polars frame with keyed pseudonyms (each distinct id hashed once)."""
    import polars as pl

    if column not in frame.columns:
        return frame
    distinct = frame.get_column(column).drop_nulls().unique()
    mapping = pl.DataFrame(
        {
            column: distinct,
            "__ps": [pseudonym(v, key) for v in distinct.to_list()],
        },
        schema={column: pl.String, "__ps": pl.String},
    )
    return (
        frame.join(mapping, on=column, how="left", maintain_order="left")
        .with_columns(pl.col("__ps").alias(column))
        .drop("__ps")
    )


def luhn_digit(nine: str) -> str:
    """The check digit (Luhn, weights 2-1-2-…) of the nine digits ``YYMMDDNNN``."""
    total = 0
    for i, ch in enumerate(nine):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


def _luhn_ok(digits10: str) -> bool:
    return luhn_digit(digits10[:9]) == digits10[9]


def find_personnummer(text: str) -> list[str]:
    """Return every substring of ``text`` that is a valid personnummer or samordningsnummer.

    Used by the tests that scan every file the commands write; a match needs a plausible date
    (day 1–31, or 61–91 for a samordningsnummer) and a correct Luhn check digit.
    """
    found = []
    for m in _PNR_RE.finditer(text):
        date, _sep, tail = m.groups()
        yymmdd = date[-6:]
        month, day = int(yymmdd[2:4]), int(yymmdd[4:6])
        if not (1 <= month <= 12 and (1 <= day <= 31 or 61 <= day <= 91)):
            continue
        if _luhn_ok(yymmdd + tail):
            found.append(m.group(0))
    return found


MASK = "<personnummer>"


def mask_personnummer(text: str) -> str:
    """``text`` with every valid personnummer or samordningsnummer replaced by ``<personnummer>``.

    For messages and log lines (a file named after a patient, a value quoted in an internal
    error); the findings and quarantine files are masked by the vectorised
    :func:`nhvmetrics.schema.personnummer.mask_text`.
    """
    hits = find_personnummer(text)
    for hit in sorted(set(hits), key=len, reverse=True):
        text = re.sub(rf"(?<![0-9]){re.escape(hit)}(?![0-9])", MASK, text)
    return text
