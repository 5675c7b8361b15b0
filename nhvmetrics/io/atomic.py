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
    """Refuse to write ``output`` if it is one of the command's input files (also through a
    symlink, ``./`` or a hard link), or if its name is not valid UTF-8 (it could not be shown
    in what the command prints)."""
    from nhvmetrics.io.names import check_name

    check_name(output, "output file")
    out = Path(output).resolve()
    for p in inputs:
        if p is None:
            continue
        if Path(p).resolve() == out or _same_file(Path(p), out):
            raise NhvError(
                f"refusing to overwrite the input file {output}; choose another output path."
            )


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return False


@contextlib.contextmanager
def atomic_path(target: Path | str) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; on success rename it onto ``target``.

    On any exception — including Ctrl-C and a SIGTERM/SIGHUP turned into
    :class:`nhvmetrics.signals.Terminated` — the temporary file is removed and the target is
    left as it was. A target that exists and is not a regular file (a folder, a named pipe, a
    device such as ``/dev/sda``, a socket) is refused before anything is written.
    """
    target = Path(target)
    if contains_personnummer(target.name):
        raise NhvError(
            f"the output file name {target.name} holds a personnummer; choose a name without one."
        )
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.exists():
        raise NhvError(f"the output folder {folder} does not exist; create it first.")
    if not folder.is_dir():
        raise NhvError(f"the output folder {folder} is not a folder; give a path inside a folder.")
    if target.is_dir():
        raise NhvError(f"the output {target} is a folder; give a file name.")
    _refuse_special(target)
    # the pid in the name lets an interrupted run find its own temporary file even when the
    # signal came before mkstemp returned its name
    prefix = f".{target.name}.{os.getpid()}."
    tmp_path: Path | None = None
    try:
        try:
            fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".part", dir=folder)
        except OSError as exc:
            raise _write_error(target, exc) from None
        tmp_path = Path(tmp)
        os.close(fd)
        yield tmp_path
        os.chmod(tmp_path, 0o666 & ~_umask())
        _refuse_special(target)  # it may have appeared while the output was being made
        os.replace(tmp_path, target)
    except BaseException as exc:
        if tmp_path is not None:
            leftovers = [tmp_path]
        else:
            import glob

            leftovers = list(folder.glob(f"{glob.escape(prefix)}*.part"))
        for p in leftovers:
            with contextlib.suppress(OSError):
                p.unlink()
        if isinstance(exc, OSError):
            raise _write_error(target, exc) from None
        raise


def _refuse_special(target: Path) -> None:
    """A FIFO, device or socket is never an output: writing would block, or destroy a disk."""
    import stat

    try:
        mode = os.stat(target).st_mode  # follows a symlink: a link to /dev/sda is /dev/sda
    except OSError:
        return  # does not exist (or a dangling link, which os.replace replaces)
    if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        kind = (
            "a named pipe"
            if stat.S_ISFIFO(mode)
            else "a device"
            if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a socket"
            if stat.S_ISSOCK(mode)
            else "not a regular file"
        )
        raise NhvError(
            f"refusing to write {target}: it is {kind}, not a file; give the path of a file."
        )
    if stat.S_ISDIR(mode):
        raise NhvError(f"the output {target} is a folder; give a file name.")


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
