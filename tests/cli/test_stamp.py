"""The validation stamp of a converted Parquet file: written by convert, read by compute and
report instead of validating again, ignored with a note when it does not hold."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from nhvmetrics import __version__, pipeline
from nhvmetrics.personnummer import find_personnummer
from nhvmetrics.schema.stamp import STAMP_KEY, read_stamp
from tests.cli.test_convert import BAD, PNR_A, PNR_B, _write

DATE = "2025-12-31"
SAMPLES = Path(__file__).resolve().parents[2] / "sample_data"


def nhv(*args):
    return subprocess.run(
        [sys.executable, "-m", "nhvmetrics", *map(str, args)], capture_output=True, text=True
    )


@pytest.fixture(scope="module")
def stamped(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("stamp")
    src = _write(folder / "acc.csv", BAD)
    out = folder / "acc.parquet"
    r = nhv("convert", src, "--area", "acc", "-o", out, "--extract-date", DATE)
    assert r.returncode == 0, r.stderr
    return out


def _rewrite(src: Path, dst: Path, stamp: dict | None, frame: pl.DataFrame | None = None) -> Path:
    """The same rows (or ``frame``) with the given stamp, or none."""
    frame = pl.read_parquet(src) if frame is None else frame
    meta = {STAMP_KEY: json.dumps(stamp)} if stamp is not None else None
    frame.write_parquet(dst, metadata=meta)
    return dst


def _compute(path: Path, out: Path, *more):
    return nhv(
        "compute", path, "--area", "acc", "--year", 2025, "--extract-date", DATE, "-o", out,
        *(more or ("--max-quarantined", 1)),
    )  # fmt: skip


def test_the_stamp_carries_the_accounting_and_no_personnummer(stamped):
    meta = pl.read_parquet_metadata(stamped)
    stamp = json.loads(meta[STAMP_KEY])
    # BAD: 5 rows, one cancelled (dropped), two with errors (quarantined), two written
    assert pl.read_parquet(stamped).height == 2
    assert (stamp["rows"], stamp["rows_read"], stamp["accepted"]) == (2, 5, 2)
    assert (stamp["quarantined"], stamp["dropped"]) == (2, {"makulerad": 1})
    assert stamp["version"] == __version__ and stamp["area"] == "acc"
    assert stamp["profile_sha256"] is None and len(stamp["schema_sha256"]) == 64
    assert stamp["checked_against"] == DATE
    text = json.dumps(meta, ensure_ascii=False)
    assert find_personnummer(text) == []
    for pnr in (PNR_A, PNR_B):
        assert pnr.replace("-", "")[2:] not in text.replace("-", "")


@pytest.mark.slow
def test_a_stamped_file_computes_the_same_bytes_without_validating_again(stamped, tmp_path):
    plain = _rewrite(stamped, tmp_path / "plain.parquet", None)
    a, b = _compute(stamped, tmp_path / "a.csv"), _compute(plain, tmp_path / "b.csv")
    assert a.returncode == b.returncode == 0, a.stderr + b.stderr
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert "validating again" not in a.stderr
    # the accounting of the conversion is still stated: 2 rows were quarantined by convert
    assert "warning: 2 rows quarantined when the export was converted" in a.stderr
    assert "quarantined" not in b.stderr
    # and it counts against --max-quarantined as the original export's validation would
    c = _compute(stamped, tmp_path / "c.csv", "--max-quarantined", 0.2)
    assert c.returncode == 1 and "2 of 4 case rows (50%) were quarantined" in c.stderr
    opts = pipeline.RunOptions(area="acc", tables={"cases": stamped}, year=2025, extract_date=DATE)
    assert pipeline.validate(opts, pipeline.Purpose.COMPUTE).result.stamped
    opts = pipeline.RunOptions(area="acc", tables={"cases": plain}, year=2025, extract_date=DATE)
    assert not pipeline.validate(opts, pipeline.Purpose.COMPUTE).result.stamped


@pytest.mark.slow
@pytest.mark.parametrize(
    ("tamper", "said"),
    [
        ("rows", "it holds 1 rows, its validation stamp says 2"),
        ("version", "from nhvmetrics 0.0.1"),
        ("schema", "another schema"),
        ("profile", "another mapping profile"),
        ("date", "after this run's reference date"),
    ],
)
def test_a_stamp_that_does_not_hold_is_ignored_with_a_note(stamped, tmp_path, tamper, said):
    stamp = read_stamp(stamped)
    assert stamp
    frame = None
    if tamper == "rows":
        frame = pl.read_parquet(stamped).head(1)
    elif tamper == "version":
        stamp["version"] = "0.0.1"
    elif tamper == "schema":
        stamp["schema_sha256"] = "0" * 64
    elif tamper == "profile":
        stamp["profile_sha256"] = "1" * 64
    else:
        stamp["checked_against"] = "2026-01-31"
    bad = _rewrite(stamped, tmp_path / "acc.parquet", stamp, frame)
    plain = _rewrite(bad, tmp_path / "plain.parquet", None)
    a, b = _compute(bad, tmp_path / "a.csv"), _compute(plain, tmp_path / "b.csv")
    assert a.returncode == b.returncode == 0, a.stderr + b.stderr
    notes = [line for line in a.stderr.splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and said in notes[0] and notes[0].endswith("validating again")
    assert notes[0].startswith("note: acc.parquet: ")
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert "quarantined" not in a.stderr  # validated again: the file's own rows all pass
    # the Python API and the batch get the note with the result (nothing printed)
    opts = pipeline.RunOptions(area="acc", tables={"cases": bad}, year=2025, extract_date=DATE)
    validated = pipeline.validate(opts, pipeline.Purpose.COMPUTE)
    assert validated.notes == notes and not validated.result.stamped


@pytest.mark.slow
def test_validate_always_checks_the_rows(stamped):
    r = nhv("validate", stamped, "--area", "acc", "--extract-date", DATE)
    assert "validation_stamp" not in r.stdout + r.stderr
    assert "validating again" not in r.stderr


def test_the_report_says_validation_came_from_the_stamp(stamped, tmp_path):
    html = tmp_path / "r.html"
    r = nhv(
        "report", stamped, "--area", "acc", "--year", 2025, "--extract-date", DATE, "--lang",
        "en", "--max-quarantined", 1, "-o", html,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    text = html.read_text(encoding="utf-8")
    assert "from the validation stamp of nhvmetrics convert (acc.parquet)" in text  # provenance
    assert "validated when converted" in text and "validation_stamp" in text  # the findings
    opts = pipeline.RunOptions(
        area="acc", tables={"cases": stamped}, year=2025, extract_date=DATE, max_quarantined=1
    )
    data = pipeline.render(opts).data
    (q,) = data.quality  # the data-quality table counts the conversion's rows
    assert (q.rows_read, q.accepted, q.quarantined, q.dropped) == (5, 2, 2, (("makulerad", 1),))
    (f,) = [f for f in data.findings if f.check == "validation_stamp"]
    assert (f.severity, f.count) == ("info", 1)


@pytest.mark.slow
@pytest.mark.parametrize("area", ["acc", "anal", "net", "pelvic"])
def test_every_area_round_trips_through_its_stamp(area, tmp_path):
    tables = {"cases": SAMPLES / f"{area}_cases.csv"}
    tables |= {t: SAMPLES / f"{area}_{t}.csv" for t in ("episodes", "prem")}
    tables = {k: v for k, v in tables.items() if v.is_file()}
    opts = pipeline.RunOptions(area=area, tables=tables, extract_date=DATE)
    _, written = pipeline.convert(opts, tmp_path / f"{area}.parquet")
    assert set(written) == set(tables)
    plain = {t: _rewrite(p, tmp_path / f"plain.{t}.parquet", None) for t, p in written.items()}
    results = []
    for files in (written, plain):
        run = pipeline.RunOptions(area=area, tables=files, year=2025, extract_date=DATE)
        validated = pipeline.validate(run, pipeline.Purpose.COMPUTE)
        results.append((validated.result.stamped, pipeline.compute(run, validated).table))
    (stamped_flag, via_stamp), (plain_flag, via_validation) = results
    assert stamped_flag and not plain_flag
    assert via_stamp.equals(via_validation)
