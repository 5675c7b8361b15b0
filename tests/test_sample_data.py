"""The committed ``sample_data/`` files: exactly what ``sample_data/regenerate.sh`` produces, and
what the validator makes of them (clean canonical files: no findings; INCA-style files under the
built-in names: dropped rows and error findings for the planted errors; register exports: the
same once read through their mapping profile)."""

from __future__ import annotations

import shlex
from pathlib import Path

import polars as pl
import pytest

from nhvmetrics import AREAS
from nhvmetrics.sample import EXTRACT_DATE, TABLES, generate, output_paths
from nhvmetrics.schema.model import load_schema

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "sample_data"
SCRIPT = DATA / "regenerate.sh"


def _commands() -> list[list[str]]:
    out = []
    for line in SCRIPT.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("nhvmetrics sample "):
            out.append(shlex.split(line)[1:])
    return out


def _option(args: list[str], name: str) -> str | None:
    return args[args.index(name) + 1] if name in args else None


def _export(args: list[str]) -> tuple[str, dict[str, Path]]:
    area = _option(args, "--area")
    return area, output_paths(area, DATA / _option(args, "-o"))


def _dialect(args: list[str]) -> str:
    return "inca" if "--inca" in args else _option(args, "--dialect") or "canonical"


COMMANDS = _commands()
CLEAN = [c for c in COMMANDS if _dialect(c) == "canonical" and "--dirty" not in c]
INCA = [c for c in COMMANDS if _dialect(c) == "aliases"]  # INCA-style, the built-in names
REGISTER = [c for c in COMMANDS if _dialect(c) == "inca"]  # as the registers write them
SUFFIXES = (".csv", ".parquet", ".xlsx", ".yaml")


def test_script_covers_every_area_in_every_dialect() -> None:
    assert {_option(c, "--area") for c in CLEAN} == set(AREAS)
    assert {_option(c, "--area") for c in INCA} == set(AREAS)
    assert {_option(c, "--area") for c in REGISTER} == set(AREAS)
    assert {Path(_option(c, "-o")).parent.name for c in REGISTER} == {"register"}


def test_committed_files_are_what_the_script_makes(tmp_path, monkeypatch) -> None:
    from nhvmetrics.cli import main

    (tmp_path / "inca").mkdir()
    (tmp_path / "register").mkdir()
    monkeypatch.chdir(tmp_path)
    for args in COMMANDS:
        try:
            main(args)
        except SystemExit as exc:  # pragma: no cover - main exits only on errors
            assert exc.code == 0, args
    made = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    committed = sorted(
        p.relative_to(DATA) for p in DATA.rglob("*") if p.is_file() and p.suffix in SUFFIXES
    )
    assert made == committed, (
        "sample_data/ and regenerate.sh disagree: run sample_data/regenerate.sh"
    )
    for rel in made:
        assert (tmp_path / rel).read_bytes() == (DATA / rel).read_bytes(), (
            f"sample_data/{rel} is stale: run sample_data/regenerate.sh and commit the result"
        )


def test_sample_data_stays_small() -> None:
    total = sum(p.stat().st_size for p in DATA.rglob("*") if p.is_file())
    assert total < 2_500_000


@pytest.mark.parametrize("args", CLEAN, ids=lambda a: _option(a, "--area"))
def test_clean_files_read_back_as_the_generated_frames(args) -> None:
    area, paths = _export(args)
    frames = generate(area, int(_option(args, "--rows")), int(_option(args, "--seed")))
    for table in TABLES[area]:
        df = pl.read_csv(paths[table], infer_schema=False)
        assert df.columns == frames[table].columns
        assert df.height == frames[table].height


# --------------------------------------------------------------------------------------------
# with the validation layer


def _validate(area: str, paths: dict[str, Path]):
    validate = pytest.importorskip("nhvmetrics.schema.validate")
    return validate.validate_export(area, paths, extract_date=EXTRACT_DATE)


@pytest.mark.parametrize("args", CLEAN, ids=lambda a: _option(a, "--area"))
def test_clean_canonical_files_validate_without_findings(args) -> None:
    area, paths = _export(args)
    result = _validate(area, paths)
    assert result.findings.height == 0, result.findings.head(10)
    frames = generate(area, int(_option(args, "--rows")), int(_option(args, "--seed")))
    for table, df in frames.items():
        t = result.table(table)
        assert t.n_quarantined == 0 and t.n_dropped == 0 and t.unknown_columns == []
        accepted = t.accepted.drop("_row")
        assert accepted.select(df.columns).equals(df), table  # a lossless round trip


@pytest.mark.parametrize("args", INCA, ids=lambda a: _option(a, "--area"))
def test_inca_files_drop_rows_and_find_the_planted_errors(args) -> None:
    area, paths = _export(args)
    result = _validate(area, paths)
    cases = result.table("cases")
    rows = int(_option(args, "--rows"))
    assert cases.dropped.get("makulerad", 0) >= 1 and cases.dropped.get("demo_region", 0) >= 1
    assert cases.rows_read == rows + cases.n_dropped
    assert cases.unknown_columns == []
    for t in result.tables.values():
        assert t.n_accepted + t.n_quarantined + t.n_dropped == t.rows_read
    errors = result.findings.filter(pl.col("severity") == "error")
    assert errors.height > 0
    dirty = float(_option(args, "--dirty"))
    planted = generate(area, rows, int(_option(args, "--seed")), dirty)["cases"]
    n_planted = planted["_planted"].drop_nulls().len()
    # (an unparsable FODELSEDATUM is replaced by the birth date in PAT_ID, without a finding)
    derivable = (pl.col("_planted") == "unparsable_date") & (
        pl.col("_planted_column") == "birth_date"
    )
    hit = planted.filter(pl.col("_planted").is_not_null() & ~derivable)
    # every planted error is a finding on its row (a duplicated case_id also on its twin)
    found_ids = set(result.findings.filter(pl.col("table") == "cases")["case_id"].drop_nulls())
    assert set(hit["case_id"]) <= found_ids
    # only rows that cannot be trusted as cases are quarantined: an error in a required column
    # or the identity; any other bad value is unknown in its cell and the row stays
    spec = result.table("cases")
    required = set(load_schema(area).table("cases").required)
    # (a referral moved after the treatment is a date-order finding: the later date is unknown)
    row_level = hit.filter(
        pl.col("_planted").is_in(["bad_luhn", "duplicate_case_id"])
        | (
            pl.col("_planted_column").is_in(list(required))
            & (pl.col("_planted") != "referral_after_treatment")
        )
    )
    assert set(row_level["case_id"]) <= set(spec.quarantined["case_id"])
    assert row_level.height <= cases.n_quarantined <= 2 * n_planted
    assert set(spec.quarantined["case_id"]) <= set(hit["case_id"]) | set(
        planted.filter(pl.col("_planted") == "duplicate_case_id")["case_id"]
    )
    cell_level = hit.filter(~pl.col("case_id").is_in(spec.quarantined["case_id"].implode()))
    assert cell_level.height > 0 and sum(spec.unknown_cells.values()) >= cell_level.height
    if area == "anal":
        episodes = result.table("episodes")
        ep_planted = generate(area, rows, int(_option(args, "--seed")), dirty)["episodes"]
        orphans = ep_planted.filter(pl.col("_planted") == "orphan_episode").height
        assert orphans > 0
        assert errors.filter(pl.col("table") == "episodes").height >= orphans
        assert episodes.n_quarantined >= ep_planted["_planted"].drop_nulls().len()
    checks = set(result.findings["check"])
    assert len(checks) >= 5, checks
    # no personnummer in the findings
    from nhvmetrics.personnummer import find_personnummer

    for col in ("value", "case_id", "message"):
        assert not find_personnummer("\n".join(errors[col].drop_nulls().to_list()))


@pytest.mark.slow
@pytest.mark.parametrize("area", AREAS)
def test_generated_exports_validate_cleanly_in_every_format(tmp_path, area) -> None:
    from nhvmetrics.sample import write_sample

    for inca in (False, True):
        for suffix in (".csv", ".parquet", ".xlsx"):
            out = tmp_path / f"{area}{'_inca' if inca else ''}_cases{suffix}"
            written = write_sample(area, 150, 21, out, dialect="aliases" if inca else None)
            result = _validate(area, {t: p for t, (p, _) in written.items()})
            assert result.findings.height == 0, (inca, suffix, result.findings.head(5))
            frames = generate(area, 150, 21)
            for table, df in frames.items():
                assert result.table(table).accepted.drop("_row").select(df.columns).equals(df), (
                    inca,
                    suffix,
                    table,
                )
            if inca:
                assert result.table("cases").n_dropped >= 2


# --------------------------------------------------------------------------------------------
# the register exports and their profiles


@pytest.mark.parametrize("args", REGISTER, ids=lambda a: _option(a, "--area"))
def test_register_files_read_through_their_profile_find_the_planted_errors(args) -> None:
    """Read through their profile (an independent reading, tests/fixtures/profiles.py), the
    register files validate as the INCA-style files do: rows to drop dropped, every planted
    error quarantined, nothing else."""
    from nhvmetrics.sample_register import profile_path
    from nhvmetrics.schema.validate import validate_frames
    from tests.fixtures.profiles import apply_profile, load, read_export

    area, paths = _export(args)
    profile = load(profile_path(paths["cases"]))
    assert profile["area"] == area
    frames = {t: apply_profile(profile, read_export(p), area, t) for t, p in paths.items()}
    result = validate_frames(area, frames, extract_date=EXTRACT_DATE)
    cases = result.table("cases")
    rows = int(_option(args, "--rows"))
    assert cases.dropped.get("makulerad", 0) >= 1 and cases.dropped.get("demo_region", 0) >= 1
    assert cases.rows_read == rows + cases.n_dropped
    dirty = float(_option(args, "--dirty"))
    planted = generate(area, rows, int(_option(args, "--seed")), dirty)["cases"]
    n_planted = planted["_planted"].drop_nulls().len()
    hit = planted.filter(pl.col("_planted").is_not_null())
    # every planted error is a finding on its row (a duplicated case_id also on its twin)
    found = set(result.findings.filter(pl.col("table") == "cases")["case_id"].drop_nulls())
    assert {_register_id(c) for c in hit["case_id"]} - found <= _derivable(planted)
    # only rows that cannot be trusted as cases are quarantined (as for the INCA-style files)
    required = set(load_schema(area).table("cases").required)
    row_level = hit.filter(
        pl.col("_planted").is_in(["bad_luhn", "duplicate_case_id"])
        | (
            pl.col("_planted_column").is_in(list(required))
            & (pl.col("_planted") != "referral_after_treatment")
        )
    )
    quarantined = set(cases.quarantined["case_id"])
    assert {_register_id(c) for c in row_level["case_id"]} - quarantined <= _derivable(planted)
    assert cases.n_quarantined <= 2 * n_planted
    twins = planted.filter(pl.col("_planted") == "duplicate_case_id")["case_id"]
    assert quarantined <= {_register_id(c) for c in (*hit["case_id"], *twins)}
    from nhvmetrics.personnummer import find_personnummer

    for col in ("value", "case_id", "message"):
        assert not find_personnummer("\n".join(result.findings[col].drop_nulls().to_list()))


def _register_id(case_id: str) -> str:
    return str(int("".join(ch for ch in case_id if ch.isdigit())) + 100_000)


def _derivable(planted: pl.DataFrame) -> set[str]:
    """An unparsable FODELSEDATUM is replaced by the birth date in the personnummer."""
    rows = planted.filter(
        (pl.col("_planted") == "unparsable_date") & (pl.col("_planted_column") == "birth_date")
    )
    return {_register_id(c) for c in rows["case_id"]}


def test_register_files_are_windows_1252_with_semicolons_and_crlf() -> None:
    for args in REGISTER:
        _, paths = _export(args)
        raw = paths["cases"].read_bytes()
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
        text = raw.decode("cp1252")
        assert text.count("\r\n") == text.count("\n") and text.endswith("\r\n")
        assert text.split("\r\n", 1)[0].count(";") > 40


@pytest.mark.slow
@pytest.mark.parametrize("area", AREAS)
def test_register_exports_read_back_as_the_generated_frames_in_every_format(tmp_path, area) -> None:
    """A clean register export, read with the project's readers and through its profile, is the
    canonical sample: the same rows and values; ids are the register's numbers and a checkbox
    cannot say "unknown" (a blank is false)."""
    from nhvmetrics.io.readers import read_table
    from nhvmetrics.sample import write_sample
    from nhvmetrics.sample_register import profile_path
    from nhvmetrics.schema.validate import validate_frames
    from tests.fixtures.profiles import apply_profile, expected_frames, load

    frames = generate(area, 150, 21)
    for suffix in (".csv", ".parquet", ".xlsx"):
        out = tmp_path / f"{area}_cases{suffix}"
        written = write_sample(area, 150, 21, out, inca=True)
        profile = load(profile_path(out))
        read = {
            t: apply_profile(profile, read_table(p, table=t).frame.drop("_row"), area, t)
            for t, (p, _) in written.items()
        }
        result = validate_frames(area, read, extract_date=EXTRACT_DATE)
        assert result.findings.height == 0, (suffix, result.findings.head(5))
        assert result.table("cases").n_dropped >= 2
        for table, df in expected_frames(area, frames).items():
            accepted = result.table(table).accepted.drop("_row").select(df.columns)
            assert accepted.equals(df), (suffix, table)
