"""Outputs are written to a temporary file beside the target and moved into place.

An interrupted or failed run therefore never leaves a truncated report, workbook, Parquet or
quarantine file behind, and a command never overwrites one of its own inputs.

Every file goes through the output guard (:mod:`nhvmetrics.io.guard`): :func:`write_text` cleans
the whole text, :func:`write_bytes` cleans bytes that are UTF-8 text (binary formats are guarded
where they are built: frames in :mod:`nhvmetrics.io.writers`, cells in
:func:`nhvmetrics.io.xlsx.workbook_bytes`), and :func:`atomic_path` refuses a file name that
holds a personnummer.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from nhvmetrics.errors import NhvError
from nhvmetrics.io.guard import clean_text
from nhvmetrics.personnummer import contains_personnummer

_HTML_SUFFIXES = (".html", ".htm", ".svg", ".xml")


def ensure_not_input(output: Path, inputs: Iterable[Path]) -> None:
    """Refuse to write ``output`` if it is one of the command's input files."""
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
    if contains_personnummer(target.name):
        raise NhvError(
            f"the output file name {target.name} holds a personnummer; choose a name without one."
        )
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


def write_bytes(target: Path | str, data: bytes, *, synthetic_export: bool = False) -> None:
    """Write ``data`` atomically; data that is UTF-8 text goes through the guard first, and a
    zip (a workbook) is refused if a personnummer got into it.

    ``synthetic_export=True`` is for ``nhvmetrics sample`` alone: a synthetic export holds
    made-up personnummer by design, and is the one output written as it is.
    """
    if not synthetic_export:
        if data.startswith(b"PK\x03\x04"):
            _check_zip(target, data)
        else:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                pass
            else:
                data = clean_text(text, html=_is_html(target)).encode("utf-8")
    _write(target, data)


def write_text(target: Path | str, text: str) -> None:
    """Write ``text`` (UTF-8) atomically, through :func:`nhvmetrics.io.guard.clean_text`."""
    _write(target, clean_text(text, html=_is_html(target)).encode("utf-8"))


def _write(target: Path | str, data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def _check_zip(target: Path | str, data: bytes) -> None:
    """The last line of defence for workbooks: their cells are guarded where they are built
    (:func:`nhvmetrics.io.xlsx.workbook_bytes`); if a number still got into the XML, nothing
    is written."""
    import io
    import zipfile

    from nhvmetrics.personnummer import find_personnummer

    try:
        z = zipfile.ZipFile(io.BytesIO(data))
        texts = [z.read(n).decode("utf-8", "replace") for n in z.namelist()]
    except (zipfile.BadZipFile, OSError):
        return
    if any(find_personnummer(t) for t in texts):
        raise NhvError(
            f"internal error: {Path(target).name} would hold a personnummer, so it was not "
            "written; please report this."
        )


def _is_html(target: Path | str) -> bool:
    return Path(target).suffix.lower() in _HTML_SUFFIXES
