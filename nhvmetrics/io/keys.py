"""The secret key of the keyed pseudonyms (``convert --pseudonymize``).

The key comes from the environment variable ``NHVMETRICS_PSEUDONYM_KEY`` or from a key file,
never from the command line (where it would end up in shell history and process listings), and
it is never logged.  The pseudonyms themselves are made by :mod:`nhvmetrics.personnummer`.
"""

from __future__ import annotations

import os
from pathlib import Path

from nhvmetrics.errors import NhvError
from nhvmetrics.personnummer import KEY_ENV, MIN_KEY_BYTES

MAX_KEY_FILE_BYTES = 64 << 10


def load_key(key_file: Path | None = None) -> bytes:
    """Return the pseudonymisation key from ``key_file`` or the environment.

    Raises NhvError (exit 2) when no key is available, it is too short, or the key file is far
    larger than any key.
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
