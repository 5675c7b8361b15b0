"""Outputs are written to a temporary file beside the target and moved into place.

An interrupted or failed run therefore never leaves a truncated report, workbook, Parquet or
quarantine file behind, and a command never overwrites one of its own inputs.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from nhvmetrics.errors import NhvError


def ensure_not_input(output: Path, inputs: Iterable[Path]) -> None:
    """Refuse to write ``output`` if it is one of the command's input files (or if its name is
    not valid UTF-8: it could not be shown in what the command prints)."""
    from nhvmetrics.io.names import check_name

    check_name(output, "output file")
    out = Path(output).resolve()
    for p in inputs:
        if p is not None and Path(p).resolve() == out:
            raise NhvError(
                f"refusing to overwrite the input file {output}; choose another output path."
            )


@contextlib.contextmanager
def atomic_path(target: Path | str) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; on success rename it onto ``target``.

    On any exception the temporary file is removed and the target is left as it was.
    """
    target = Path(target)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.exists():
        raise NhvError(f"the output folder {folder} does not exist; create it first.")
    if target.is_dir():
        raise NhvError(f"the output {target} is a folder; give a file name.")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise _write_error(target, exc) from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o666 & ~_umask())
        os.replace(tmp_path, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        if isinstance(exc, OSError):
            raise _write_error(target, exc) from None
        raise


def _write_error(target: Path, exc: OSError) -> NhvError:
    """A failed write (disk full, no permission, read-only folder) as one sentence, exit 2."""
    reason = exc.strerror or type(exc).__name__
    return NhvError(
        f"cannot write {target} ({reason}); check free space and permissions, then run again."
    )


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes(target: Path | str, data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def write_text(target: Path | str, text: str) -> None:
    write_bytes(target, text.encode("utf-8"))
