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


def load_key(key_file: Path | None = None) -> bytes:
    """Return the pseudonymisation key from ``key_file`` or the environment.

    Raises NhvError (exit 2) when no key is available or it is too short.
    """
    if key_file is not None:
        try:
            key = Path(key_file).read_bytes().strip()
        except OSError:
            raise NhvError(
                f"cannot read the key file {key_file}; check the path and its permissions."
            ) from None
        source = f"the key file {key_file}"
    else:
        value = os.environ.get(KEY_ENV, "")
        if not value:
            raise NhvError(
                f"--pseudonymize needs a secret key: set {KEY_ENV} or pass --key-file PATH."
            )
        key = value.encode("utf-8")
        source = KEY_ENV
    if len(key) < MIN_KEY_BYTES:
        raise NhvError(
            f"the key in {source} is shorter than {MIN_KEY_BYTES} bytes; use a longer random key."
        )
    return key
