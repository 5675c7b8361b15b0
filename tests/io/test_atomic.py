"""Nothing lost, nothing half-written.

* every output goes to a temporary file beside the target and is renamed into place: a run that
  fails while writing (disk full, a bug, Ctrl-C) leaves the previous file as it was, or no file,
  and no temporary file behind; a write error is one ``error:`` line (exit 2), not a traceback;
* no command overwrites one of its own inputs;
* a batch run that fails in one area leaves the other areas' outputs intact and names the area.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from nhvmetrics.errors import NhvError
from nhvmetrics.io import atomic
from tests.fixtures.cli import run_cli

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data"


def run(args: list[str], capsys) -> tuple[int, str]:
    code, _out, err = run_cli(args, capsys)
    return code, err


def leftovers(folder: Path) -> list[str]:
    return sorted(
        p.name for p in folder.rglob("*") if p.name.endswith(".part") or p.name.startswith(".tmp")
    )


# --- the primitive ------------------------------------------------------------------------


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text("old, complete report")
    with pytest.raises(RuntimeError):
        with atomic.atomic_path(target) as tmp:
            tmp.write_text("half a rep")
            raise RuntimeError("crash while writing")
    assert target.read_text() == "old, complete report"
    assert leftovers(tmp_path) == []


def test_interrupt_while_writing_leaves_no_file(tmp_path: Path) -> None:
    target = tmp_path / "new.parquet"
    with pytest.raises(KeyboardInterrupt):
        with atomic.atomic_path(target) as tmp:
            tmp.write_bytes(b"PAR1 half")
            raise KeyboardInterrupt
    assert not target.exists() and leftovers(tmp_path) == []


def test_disk_full_is_a_one_line_error(tmp_path: Path) -> None:
    def full(self, data):
        raise OSError(28, "No space left on device")

    target = tmp_path / "x.csv"
    orig = Path.write_bytes
    Path.write_bytes = full
    try:
        with pytest.raises(NhvError, match="No space left on device") as info:
            atomic.write_bytes(target, b"data")
    finally:
        Path.write_bytes = orig
    assert info.value.exit_code == 2 and str(target) in str(info.value)
    assert not target.exists() and leftovers(tmp_path) == []


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_disk_full_in_polars_writers_is_a_one_line_error(
    fmt: str, tmp_path: Path, monkeypatch
) -> None:
    """polars words a full disk its own way (a ComputeError ``… (os error 28)`` while writing
    Parquet, an OSError without errno while writing CSV); both become the one-sentence error and
    no temporary file is left.  The error is the real one: polars writing to /dev/full."""
    import polars as pl

    from nhvmetrics.io.writers import write_csv, write_parquet

    method = f"write_{fmt}"
    real = getattr(pl.DataFrame, method)

    def full(self, path, *a, **k):
        Path(path).write_bytes(b"PAR1 half a file")  # what was written before the disk filled up
        return real(self, "/dev/full", *a, **k)

    monkeypatch.setattr(pl.DataFrame, method, full)
    target = tmp_path / f"x.{fmt}"
    frame = pl.DataFrame({"a": list(range(50_000))})
    with pytest.raises(NhvError, match=r"No space left on device\); check free space") as info:
        (write_parquet if fmt == "parquet" else write_csv)(frame, target)
    assert info.value.exit_code == 2 and "\n" not in str(info.value)
    assert not target.exists() and leftovers(tmp_path) == []


@pytest.mark.parametrize("command, output", [("convert", "c.parquet"), ("compute", "i.parquet")])
def test_disk_full_while_a_command_writes_parquet(
    command: str, output: str, export: Path, tmp_path: Path, capsys, monkeypatch
):
    import polars as pl

    real = pl.DataFrame.write_parquet

    def full(self, path, *a, **k):
        real(self, path, *a, **k)  # the file is whole on disk until the last block …
        return real(self, "/dev/full", *a, **k)  # … which does not fit

    monkeypatch.setattr(pl.DataFrame, "write_parquet", full)
    out = tmp_path / "out"
    out.mkdir()
    extra = ["--year", "2025"] if command == "compute" else []
    args = [command, export, "--area", "acc", "--extract-date", "2026-02-15", *extra]
    code, err = run([*args, "-o", out / output], capsys)
    assert code == 2, err
    assert err.startswith("error: cannot write ") and "No space left on device" in err, err
    assert len(err.strip().splitlines()) == 1
    assert list(out.iterdir()) == [] and leftovers(tmp_path) == []


def test_the_written_file_replaces_the_old_one_whole(tmp_path: Path) -> None:
    target = tmp_path / "t.csv"
    target.write_text("old")
    atomic.write_text(target, "new content")
    assert target.read_text() == "new content" and leftovers(tmp_path) == []


def test_a_stop_before_the_temporary_file_is_named_leaves_nothing(
    tmp_path: Path, monkeypatch
) -> None:
    """A signal can arrive after mkstemp created the file and before its name came back."""
    import tempfile

    real = tempfile.mkstemp

    def made_then_interrupted(*a, **k):
        fd, _name = real(*a, **k)
        os.close(fd)
        raise KeyboardInterrupt

    monkeypatch.setattr(tempfile, "mkstemp", made_then_interrupted)
    with pytest.raises(KeyboardInterrupt):
        with atomic.atomic_path(tmp_path / "r.html"):
            pass
    assert list(tmp_path.iterdir()) == []


def _special_files(folder: Path) -> dict[str, Path]:
    """A named pipe, a symlink to /dev/null and (where allowed) a device node of our own."""
    fifo = folder / "pipe"
    os.mkfifo(fifo)
    link = folder / "devnull-link"
    link.symlink_to("/dev/null")
    out = {"fifo": fifo, "link to /dev/null": link}
    dev = folder / "dev"
    try:
        os.mknod(dev, 0o600 | __import__("stat").S_IFCHR, os.makedev(1, 3))
        out["device"] = dev
    except (PermissionError, OSError):
        pass
    return out


def test_the_primitive_refuses_a_fifo_or_a_device(tmp_path: Path) -> None:
    for kind, p in _special_files(tmp_path).items():
        with pytest.raises(NhvError, match="refusing to write .* not a file") as info:
            atomic.write_text(p, "data")
        assert info.value.exit_code == 2, kind
    assert (tmp_path / "devnull-link").is_symlink() and (tmp_path / "pipe").is_fifo()
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(
    "args",
    [
        lambda src, t: ["validate", src, "--area", "acc", "--errors", t(".csv")],
        lambda src, t: ["validate", src, "--area", "acc", "--quarantine", t(".csv")],
        lambda src, t: ["convert", src, "--area", "acc", "-o", t(".parquet")],
        lambda src, t: ["compute", src, "--area", "acc", "--year", "2025", "-o", t(".csv")],
        lambda src, t: ["report", src, "--area", "acc", "--year", "2025", "-o", t(".html")],
        lambda src, t: [
            "report",
            src,
            "--area",
            "acc",
            "--year",
            "2025",
            "-o",
            src.parent / "ok.html",
            "--xlsx",
            t(".xlsx"),
        ],
        lambda src, t: ["sample", "--area", "acc", "--rows", "5", "--seed", "1", "-o", t(".csv")],
    ],
    ids=["errors", "quarantine", "convert", "compute", "report", "report-xlsx", "sample"],
)
@pytest.mark.slow
@pytest.mark.parametrize("kind", ["fifo", "link to /dev/null", "device"])
def test_no_command_writes_onto_a_fifo_or_a_device(
    args, kind: str, export: Path, tmp_path: Path, capsys
) -> None:
    """``-o /dev/sda`` or a named pipe: refused with one sentence (the pipe would block, the
    device would be written over or replaced by a file)."""
    import stat

    folder = tmp_path / "special"
    folder.mkdir()
    specials = _special_files(folder)
    if kind not in specials:
        pytest.skip("creating a device node needs root")

    def target(suffix: str) -> Path:
        p = folder / f"out{suffix}"
        specials[kind].rename(p)
        return p

    argv = args(export, target)
    code, err = run(argv, capsys)
    assert code == 2 and err.startswith("error: refusing to write ") and err.count("\n") == 1, err
    assert "not a file" in err
    special = next(p for p in folder.iterdir() if p.name.startswith("out"))
    mode = os.lstat(special).st_mode
    assert stat.S_ISFIFO(mode) or stat.S_ISLNK(mode) or stat.S_ISCHR(mode), "it was replaced"
    assert leftovers(tmp_path) == []


def test_a_batch_report_onto_a_fifo_fails_alone(tmp_path: Path, capsys) -> None:
    for name in ("acc_cases.csv", "pelvic_cases.csv"):
        shutil.copy(SAMPLE / name, tmp_path / name)
    (tmp_path / "nhvmetrics.toml").write_text(BATCH.replace("xlsx = true", "xlsx = false"))
    (tmp_path / "reports").mkdir()
    os.mkfifo(tmp_path / "reports" / "acc-2025.html")
    code, err = run(["report", "--config", tmp_path / "nhvmetrics.toml"], capsys)
    assert code == 1 and "acc-2025: FAILED (exit 2): refusing to write" in err
    assert (tmp_path / "reports" / "acc-2025.html").is_fifo()
    assert (tmp_path / "reports" / "pelvic-2025.html").stat().st_size > 1000


def test_an_input_reached_through_a_hard_link_is_not_overwritten(
    export: Path, tmp_path: Path, capsys
) -> None:
    link = tmp_path / "hard.csv"
    link.hardlink_to(export)
    before = export.read_bytes()
    code, err = run(["validate", export, "--area", "acc", "--errors", link], capsys)
    assert code == 2 and "refusing to overwrite" in err
    assert export.read_bytes() == before


# --- the commands ---------------------------------------------------------------------------


@pytest.fixture()
def export(tmp_path: Path) -> Path:
    src = tmp_path / "in" / "acc_cases.csv"
    src.parent.mkdir()
    shutil.copy(SAMPLE / "acc_cases.csv", src)
    return src


@pytest.mark.slow
@pytest.mark.parametrize(
    "command, make_outputs",
    [
        ("convert", lambda d: ["-o", d / "c.parquet"]),
        ("compute", lambda d: ["--year", "2025", "-o", d / "i.xlsx"]),
        ("report", lambda d: ["--year", "2025", "-o", d / "r.html", "--xlsx", d / "r.xlsx"]),
        ("validate", lambda d: ["--errors", d / "f.csv", "--quarantine", d / "q.csv"]),
    ],
)
def test_a_command_that_fails_while_writing_leaves_previous_outputs(
    command, make_outputs, export: Path, tmp_path: Path, capsys, monkeypatch
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    args = [command, export, "--area", "acc", "--extract-date", "2026-02-15", *make_outputs(out)]
    code, err = run(args, capsys)
    assert code in (0, 1), err
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert before

    # the second run dies half-way through writing its first file (as if the disk filled up)
    real_replace = os.replace

    def crash(src, dst, *a, **k):
        with open(src, "r+b") as f:
            f.truncate(max(os.path.getsize(src) // 2, 1))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    code, err = run(args, capsys)
    monkeypatch.setattr(os, "replace", real_replace)
    assert code == 2 and err.startswith("error: ") and "No space left" in err, err
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    assert after == before, "a failed run changed or truncated an output"


@pytest.mark.parametrize(
    "args",
    [
        lambda src, pq: ["validate", src, "--area", "acc", "--errors", src],
        lambda src, pq: ["validate", src, "--area", "acc", "--quarantine", src],
        lambda src, pq: ["compute", src, "--area", "acc", "--year", "2025", "-o", src],
        lambda src, pq: ["convert", pq, "--area", "acc", "-o", pq],
        lambda src, pq: [
            "compute",
            pq,
            "--area",
            "acc",
            "--year",
            "2025",
            "-o",
            pq.parent / "." / pq.name,
        ],
        lambda src, pq: [
            "report",
            src.with_suffix(".xlsx"),
            "--area",
            "acc",
            "--year",
            "2025",
            "-o",
            src.with_suffix(".html"),
            "--xlsx",
            src.with_suffix(".xlsx"),
        ],
    ],
)
@pytest.mark.slow
def test_no_command_overwrites_its_own_input(args, export: Path, tmp_path: Path, capsys) -> None:
    import csv

    import openpyxl

    pq, xlsx = export.with_suffix(".parquet"), export.with_suffix(".xlsx")
    code, err = run(["convert", export, "--area", "acc", "-o", pq], capsys)
    assert code == 0, err
    wb = openpyxl.Workbook()
    for row in csv.reader(export.open(encoding="utf-8")):
        wb.active.append(row)
    wb.save(xlsx)
    snapshot = {p: p.read_bytes() for p in (export, pq, xlsx)}
    code, err = run(args(export, pq), capsys)
    assert code == 2 and "refusing to overwrite the input file" in err, err
    assert {p: p.read_bytes() for p in (export, pq, xlsx)} == snapshot


def test_input_reached_through_a_symlink_is_not_overwritten(
    export: Path, tmp_path: Path, capsys
) -> None:
    link = tmp_path / "link.csv"
    link.symlink_to(export)
    before = export.read_bytes()
    code, err = run(["validate", export, "--area", "acc", "--errors", link], capsys)
    assert code == 2 and "refusing to overwrite" in err
    assert export.read_bytes() == before


# --- batch -----------------------------------------------------------------------------------

BATCH = """
output_dir = "reports"
years = [2025]
extract_date = "2026-02-15"
xlsx = true

[[report]]
area = "acc"
cases = "acc_cases.csv"

[[report]]
area = "pelvic"
cases = "pelvic_cases.csv"
"""


@pytest.mark.slow
def test_batch_failure_in_one_area_leaves_the_others_intact(tmp_path: Path, capsys) -> None:
    for name in ("acc_cases.csv", "pelvic_cases.csv"):
        shutil.copy(SAMPLE / name, tmp_path / name)
    cfg = tmp_path / "nhvmetrics.toml"
    cfg.write_text(BATCH, encoding="utf-8")
    out = tmp_path / "reports"
    code, err = run(["report", "--config", cfg], capsys)
    assert code == 0, err
    first = {p.name: p.read_bytes() for p in out.iterdir() if p.suffix in (".html", ".xlsx")}
    assert set(first) == {"acc-2025.html", "acc-2025.xlsx", "pelvic-2025.html", "pelvic-2025.xlsx"}

    # next night the pelvic export arrives broken
    (tmp_path / "pelvic_cases.csv").write_bytes(b"%PDF-1.4 not a table")
    code, err = run(["report", "--config", cfg], capsys)
    assert code == 1
    assert "pelvic-2025: FAILED (exit 2)" in err and "PDF" in err
    summary = json.loads((out / "run-summary.json").read_text(encoding="utf-8"))
    runs = {r["name"]: r for r in summary["runs"]}
    assert runs["pelvic-2025"]["status"] == "failed" and "PDF" in runs["pelvic-2025"]["error"]
    assert runs["acc-2025"]["status"] == "ok"
    # the acc outputs are rewritten whole (same input, same bytes); pelvic's are last night's, whole
    now = {p.name: p.read_bytes() for p in out.iterdir() if p.suffix in (".html", ".xlsx")}
    assert now == first
    assert leftovers(out) == []


@pytest.mark.slow
def test_batch_area_that_crashes_while_writing(tmp_path: Path, capsys, monkeypatch) -> None:
    """An internal error while one area's workbook is written: that area is reported failed with
    no half-written file, the other area is written."""
    for name in ("acc_cases.csv", "pelvic_cases.csv"):
        shutil.copy(SAMPLE / name, tmp_path / name)
    cfg = tmp_path / "nhvmetrics.toml"
    cfg.write_text(BATCH, encoding="utf-8")
    import nhvmetrics.report.workbook as wbmod

    real = wbmod.workbook_bytes

    def flaky(data, *a, **k):
        if "pelvic" in repr(getattr(data, "areas", data))[:20000]:
            raise RuntimeError("simulated bug in the workbook writer")
        return real(data, *a, **k)

    monkeypatch.setattr(wbmod, "workbook_bytes", flaky)
    code, err = run(["report", "--config", cfg], capsys)
    assert code == 1
    out = tmp_path / "reports"
    names = {p.name for p in out.iterdir()}
    assert {"acc-2025.html", "acc-2025.xlsx"} <= names
    assert "pelvic-2025.xlsx" not in names
    summary = json.loads((out / "run-summary.json").read_text(encoding="utf-8"))
    runs = {r["name"]: r for r in summary["runs"]}
    assert (
        runs["pelvic-2025"]["status"] == "failed"
        and "internal error" in runs["pelvic-2025"]["error"]
    )
    assert leftovers(out) == []
