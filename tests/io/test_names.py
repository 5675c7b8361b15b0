"""File names that are not valid UTF-8 (bytes on Linux) are one sentence, exit 2, for inputs and
outputs alike, and the sentence shows the name with U+FFFD so that it can be printed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nhvmetrics.errors import NhvError
from nhvmetrics.io.names import check_name, printable
from tests.fixtures.cli import run_cli

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data" / "acc_cases.csv"


def latin1(folder: Path, name: bytes) -> Path:
    """A path whose last part is the given bytes (e.g. Latin-1 Ö = 0xD6), as Python sees it."""
    return Path(os.fsdecode(os.fsencode(folder) + b"/" + name))


def test_names_with_undecodable_bytes_are_refused_and_shown_printably(tmp_path: Path) -> None:
    bad = latin1(tmp_path, b"\xd6rebro.csv")
    with pytest.raises(NhvError) as exc:
        check_name(bad)
    assert "\ufffdrebro.csv is not valid UTF-8" in str(exc.value)
    str(exc.value).encode("utf-8")
    check_name(tmp_path / "Örebro.csv")  # UTF-8 Ö is fine
    assert printable(str(bad)).endswith("\ufffdrebro.csv")


def test_any_error_message_is_printable() -> None:
    assert str(NhvError("cannot read /x/\udcd6rebro.csv")) == "cannot read /x/\ufffdrebro.csv"


@pytest.mark.parametrize("command", ["validate", "convert", "compute", "report"])
def test_an_input_named_in_latin1_is_one_line(command: str, tmp_path: Path, capsys) -> None:
    src = latin1(tmp_path, b"\xd6rebro_\xe5r2025.csv")
    shutil.copy(SAMPLE, src)
    out = tmp_path / "out"
    out.mkdir()
    extra = {
        "validate": ["--errors", out / "f.json"],
        "convert": ["-o", out / "c.parquet"],
        "compute": ["--year", "2025", "-o", out / "i.csv"],
        "report": ["--year", "2025", "-o", out / "r.html"],
    }[command]
    code, stdout, err = run_cli([command, src, "--area", "acc", *extra], capsys)
    assert code == 2, err
    assert err.startswith("error: the file name ") and "is not valid UTF-8" in err
    assert len(err.strip().splitlines()) == 1 and list(out.iterdir()) == []


@pytest.mark.parametrize(
    "args",
    [
        ["validate", "--errors", b"f\xff.json"],
        ["validate", "--quarantine", b"q\xff.csv"],
        ["convert", "-o", b"c\xff.parquet"],
        ["compute", "--year", "2025", "-o", b"i\xff.xlsx"],
        ["report", "--year", "2025", "-o", b"r\xff.html"],
        ["sample", "--rows", "5", "--seed", "1", "-o", b"s\xff.csv"],
    ],
    ids=lambda a: a[0] + a[-2],
)
def test_an_output_named_in_latin1_is_one_line(args, tmp_path: Path, capsys) -> None:
    command, *opts = args
    opts = [latin1(tmp_path, o) if isinstance(o, bytes) else o for o in opts]
    inputs = [] if command == "sample" else [SAMPLE]
    code, stdout, err = run_cli([command, *inputs, "--area", "acc", *opts], capsys)
    assert code == 2, err
    assert err.startswith("error: the output file name ") and "not valid UTF-8" in err
    assert list(tmp_path.iterdir()) == []


def test_in_a_real_process_with_a_utf8_locale(tmp_path: Path) -> None:
    """Where stdout is strict UTF-8 (a normal terminal), nothing tries to print a surrogate."""
    src = os.fsencode(tmp_path) + b"/\xd6rebro.csv"
    shutil.copy(SAMPLE, src)
    env = {**os.environ, "LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "utf-8:strict"}
    p = subprocess.run(
        [sys.executable, "-m", "nhvmetrics", "validate", src, "--area", "acc"],
        capture_output=True,
        env=env,
        cwd=ROOT,
    )
    assert p.returncode == 2, p.stderr
    err = p.stderr.decode("utf-8")
    assert err.startswith("error: the file name ") and "\ufffdrebro.csv" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
