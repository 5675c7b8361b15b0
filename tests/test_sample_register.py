"""``sample --inca``: the export as a register writes it (``nhvmetrics.sample_register``) and the
mapping profile written beside it."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import polars as pl
import pytest
import yaml

from nhvmetrics import AREAS
from nhvmetrics.sample import EXTRACT_DATE, generate, render, write_frames, write_sample
from nhvmetrics.sample_register import (
    CHECKED,
    RCC_REGION,
    REGISTERS,
    THIRD_CODE,
    profile,
    profile_path,
    register,
)
from nhvmetrics.schema.model import ColumnSpec, load_schema, load_schema_files
from nhvmetrics.schema.normalize import map_columns
from tests.fixtures.cli import run_cli
from tests.fixtures.profiles import apply_profile, expected_frames, load, read_export

ROOT = Path(__file__).resolve().parents[1]
SPEC_KEYS = {"area", "columns", "values", "checkboxes", "unknown_codes", "dates"}
SYSTEM = {
    "REGION_NAMN",
    "PAT_ID",
    "PERSNR",
    "FNAMN",
    "ENAMN",
    "KON_VALUE",
    "KON_BESKRIVNING",
    "FODELSEDATUM",
    "LAN_VALUE",
    "LAN_BESKRIVNING",
    "LKF_VALUE",
    "VITALSTATUS",
    "VITALSTATUSDATUM",
    "VITALSTATUSDATUM_ESTIMAT",
    "AVLIDDAT",
    "NAVETDATUM",
    "SEKRETESS_VALUE",
    "LOPNR",
    "REG_NAME",
    "SKAPAD_AV",
    "REGDATUM",
    "AVGMARK_VALUE",
    "MAKULERAD",
}


@pytest.fixture(scope="module")
def exports() -> dict[str, dict[str, pl.DataFrame]]:
    """Register exports of every area, 2 000 cases with 3 % planted errors, as text frames."""
    return {
        a: render(a, generate(a, 2000, 4, dirty=0.03), seed=4, rows=2000, inca=True) for a in AREAS
    }


# --------------------------------------------------------------------------------------------
# names


def test_the_acc_register_uses_the_names_of_the_brief() -> None:
    header = render("acc", generate("acc", 20, 1), inca=True, seed=1)["cases"].columns
    for name in (
        "a_rem_dat",
        "a_besok_dat",
        "a_diadat",
        "op_kir_dat",
        "op_pad_radikalitet_Varde",
        "op_pad_radikalitet_Beskrivning",
        "a_inr_sjhkod",
        "R77T201_ID",
        "PAT_ID",
        "PERSNR",
    ):
        assert name in header, name
    assert header[0] == "REGION_NAMN" and header[-1] == "MAKULERAD"
    assert header.index("PAT_ID") + 1 == header.index("PERSNR")  # side by side


@pytest.mark.parametrize("area", AREAS)
def test_register_names_need_a_profile(area, exports) -> None:
    """Apart from INCA's own patient columns, no register variable is a built-in alias: the
    export cannot be read without its profile, as a real register's cannot."""
    schema = load_schema(area)
    for table, df in exports[area].items():
        sources, *_ = map_columns(df.columns, schema.table(table), schema)
        own = set(sources.values()) - SYSTEM
        assert own == set(), (table, own)


@pytest.mark.parametrize("area", AREAS)
def test_register_variables_carry_a_form_prefix_and_pairs(area, exports) -> None:
    reg = register(area)
    for table, df in exports[area].items():
        ids = {f"{i}_ID" for i in reg.ids.values()}
        own = [c for c in df.columns if c not in SYSTEM and c not in ids]
        assert own, table
        for c in own:
            assert re.match(r"^(a|op|b|u|enk)_[a-z0-9_]+(_Varde|_Beskrivning)?$", c), c
        for c in own:
            if c.endswith("_Varde"):
                assert c[: -len("_Varde")] + "_Beskrivning" in df.columns, c
        if table == "cases":
            assert [c for c in df.columns if re.fullmatch(r"R\d+T\d+_ID", c)] == [
                f"{reg.ids['cases']}_ID"
            ]
        else:
            parent = load_schema(area).table(table).parent
            expected = {f"{reg.ids[table]}_ID"} | ({f"{reg.ids['cases']}_ID"} if parent else set())
            assert {c for c in df.columns if re.fullmatch(r"R\d+T\d+_ID", c)} == expected


# --------------------------------------------------------------------------------------------
# values


@pytest.mark.parametrize("area", AREAS)
def test_register_values_are_coded_as_registers_do(area, exports) -> None:
    reg = register(area)
    df = exports[area]["cases"]
    real = df.filter((pl.col("MAKULERAD") == "0") & (pl.col("REGION_NAMN") != "Region Demo"))
    # the six RCC regions, and Region Demo only on the rows a reader drops
    assert (
        set(real["REGION_NAMN"]) == set(RCC_REGION.values()) and len(set(RCC_REGION.values())) == 6
    )
    assert (df["REGION_NAMN"] == "Region Demo").sum() >= 10
    # LAN_VALUE is a number: 4, not 04
    lan = real["LAN_VALUE"].drop_nulls()
    assert not lan.str.starts_with("0").any() and lan.str.len_chars().min() == 1
    # PAT_ID (INCA's number) beside PERSNR (the personnummer)
    assert real["PAT_ID"].str.contains(r"^\d+$").all() and real["PAT_ID"].is_unique().all()
    assert real["PERSNR"].str.contains(r"^\d{8}-\d{4}$").all()
    # made-up names, the same few for everyone (and Tolvan Tolvansson in the demo region)
    assert real["FNAMN"].n_unique() <= 12 and real["ENAMN"].n_unique() <= 6
    assert set(df.filter(pl.col("REGION_NAMN") == "Region Demo")["FNAMN"]) == {"Tolvan"}
    # checkboxes: True or blank
    for c in reg.checkboxes:
        name = reg.column_name("cases", load_schema(area).table("cases").column(c))
        assert set(real[name].drop_nulls()) == {CHECKED}, c
        assert real[name].null_count() > 0
    # 96 (Kan ej bedömas) sits beside 98 and 99 in the coded columns
    coded = [c for c in real.columns if c.endswith("_Varde")]
    seen = set().union(*(set(real[c].drop_nulls()) for c in coded))
    assert {"96", "98", "99"} <= seen
    for c in coded:
        pairs = real.select(c, c.replace("_Varde", "_Beskrivning")).drop_nulls().unique()
        assert pairs[c].is_unique().all(), c  # one text per code
    # a yes/no list with its third code
    for c in reg.third_code:
        name = reg.column_name("cases", load_schema(area).table("cases").column(c))
        codes = real.select(name, name.replace("_Varde", "_Beskrivning")).drop_nulls().unique()
        assert (THIRD_CODE[0], THIRD_CODE[1]) in codes.rows(), c
    # system columns with plausible values
    assert real["VITALSTATUS"].is_in(["0", "1"]).all()
    assert real["REGDATUM"].str.contains(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.000$").all()
    assert real["LKF_VALUE"].str.contains(r"^\d{5,6}$").all()


def test_the_acc_register_writes_decimal_commas_and_a_free_text(exports) -> None:
    df = exports["acc"]["cases"]
    mito = df["u_mitotan_1ar"].drop_nulls()
    assert mito.len() > 0 and mito.str.contains(r"^\d+,\d$").all()
    assert df["a_kommentar"].drop_nulls().str.contains(" ").all()


def test_register_csv_is_windows_1252_semicolons_crlf(tmp_path) -> None:
    written = write_sample("net", 60, 1, tmp_path / "net_cases.csv", inca=True)
    raw = written["cases"][0].read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("cp1252")
    assert text.endswith("\r\n") and text.count("\n") == text.count("\r\n")
    assert "Region Sydöst" in text or "Region Väst" in text
    assert text.splitlines()[0].split(";")[0] == "REGION_NAMN"


# --------------------------------------------------------------------------------------------
# the profile


@pytest.mark.parametrize("area", AREAS)
def test_the_profile_is_spec_yaml_naming_columns_of_the_export(tmp_path, area) -> None:
    written = write_sample(area, 200, 3, tmp_path / f"{area}_cases.csv", inca=True)
    path = profile_path(written["cases"][0])
    assert path.name == f"{area}_cases.mapping.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data == profile(area)  # the commented text says what the data says
    assert set(data) == SPEC_KEYS and data["area"] == area
    assert set(data["dates"]) == {"formats", "partial"} and data["dates"]["partial"] == "unknown"
    assert data["unknown_codes"] == ["96", "98", "99"]
    schema = load_schema(area)
    every = {c for t in schema.tables.values() for c in t.columns}
    assert set(data["columns"]) == every  # every canonical column is placed
    headers = {t: read_export(p).columns for t, (p, _) in written.items()}
    for canonical, names in data["columns"].items():
        names = [names] if isinstance(names, str) else names
        tables = [t for t in schema.tables if canonical in schema.table(t).columns]
        for t in tables:  # each table that has the column finds one of the names
            assert any(n in headers[t] for n in names), (t, canonical, names)
    assert data["columns"]["patient_id"] == ["PERSNR", "PAT_ID"]
    assert set(data["checkboxes"]) == set(register(area).checkboxes)
    for canonical, vmap in data["values"].items():
        assert all(isinstance(k, str) for k in vmap), canonical


def test_the_profile_says_which_codes_differ_from_the_built_in_ones() -> None:
    net = profile("net")["values"]
    assert net["clavien_dindo"]["31"] == "IIIa" and net["clavien_dindo"]["42"] == "IVb"
    assert net["national_mdk"] == {"0": False, "1": True, "2": None}
    assert "treatment_type" not in net  # its codes are the built-in ones


@pytest.mark.parametrize("area", AREAS)
def test_export_and_profile_agree(area, exports) -> None:
    """Read through the profile (an independent reading, tests/fixtures/profiles.py), the dirty
    register export validates to exactly what the generator made: the clean rows accepted with
    the generated values, the planted rows quarantined, the rows to drop dropped."""
    from nhvmetrics.schema.validate import validate_frames

    prof = profile(area)
    frames = {t: apply_profile(prof, df, area, t) for t, df in exports[area].items()}
    result = validate_frames(area, frames, extract_date=EXTRACT_DATE)
    made = generate(area, 2000, 4, dirty=0.03)
    clean = {
        t: df.filter(pl.col("_planted").is_null()).drop(
            "_planted", "_planted_column", "_planted_value"
        )
        for t, df in made.items()
    }
    expected = expected_frames(area, clean)
    cases = result.table("cases")
    assert cases.dropped["makulerad"] == cases.dropped["demo_region"] == 10
    for table, df in expected.items():
        accepted = result.table(table).accepted.drop("_row").select(df.columns)
        key = load_schema(area).table(table).key
        # a duplicated case_id takes its twin along; everything else that is clean is accepted
        kept = df.join(accepted.select(key), on=key, how="semi")
        assert kept.height >= df.height - 0.03 * df.height
        assert (
            accepted.join(kept.select(key), on=key, how="semi").sort(key).equals(kept.sort(key))
        ), table


def test_a_column_the_register_does_not_name_gets_a_generic_name() -> None:
    reg = REGISTERS["acc"]
    new = ColumnSpec(name="second_opinion_date", type="date", aliases=("andra_bedomning_datum",))
    assert reg.column_name("cases", new) == "a_andra_bedomning_datum"
    listed = ColumnSpec(name="second_opinion", type="bool", list_variable=True)
    assert reg.column_name("cases", listed) == "a_second_opinion_Varde"


def test_a_column_and_a_code_added_to_the_schema_just_work(tmp_path, monkeypatch) -> None:
    """A schema that gains a column (``second_opinion_date``):
    the generator writes the column empty under a generic register name and the profile names
    it."""
    folder = tmp_path / "schemas"
    shutil.copytree(ROOT / "schemas", folder)
    common = (folder / "common.yaml").read_text(encoding="utf-8")
    common = common.replace(
        "\n# The case table of every area",
        "\n  second_opinion_date:\n    type: date\n"
        "    aliases: [andra_bedomning_datum, second_opinion_datum]\n"
        "\n# The case table of every area",
    )
    (folder / "common.yaml").write_text(common, encoding="utf-8")
    net = (folder / "net.yaml").read_text(encoding="utf-8")
    net = net.replace("written_care_plan]", "written_care_plan, second_opinion_date]", 1)
    assert "second_opinion_date" in net
    (folder / "net.yaml").write_text(net, encoding="utf-8")
    schema = load_schema_files(folder / "common.yaml", folder / "net.yaml")
    assert "second_opinion_date" in schema.table("cases").columns

    def fake(area: str):
        return schema if area == "net" else load_schema.__wrapped__(area)

    for module in (
        "nhvmetrics.schema.model",
        "nhvmetrics.sample_register",
        "nhvmetrics.schema.draft",
    ):
        monkeypatch.setattr(f"{module}.load_schema", fake)
    frames = generate("net", 120, 2)
    assert frames["cases"]["second_opinion_date"].null_count() == 120
    out = render("net", frames, inca=True, seed=2)["cases"]
    assert "a_andra_bedomning_datum" in out.columns
    assert profile("net")["columns"]["second_opinion_date"] == "a_andra_bedomning_datum"
    write_frames("net", frames, tmp_path / "net_cases.csv", inca=True, seed=2)


# --------------------------------------------------------------------------------------------
# the indicators, once --mapping reads profiles


def _table_options(files: dict[str, Path]) -> list[str]:
    """``--table NAME=PATH`` for every table but the case table."""
    return [a for t, p in files.items() if t != "cases" for a in ("--table", f"{t}={p}")]


def _compute(files: dict[str, Path], area: str, out: Path, capsys, *extra: object) -> pl.DataFrame:
    tables = _table_options(files)
    code, _, err = run_cli(
        ["compute", files["cases"], *tables, "--area", area, "--year", "2025"]
        + ["--extract-date", EXTRACT_DATE.isoformat(), *extra, "-o", out],
        capsys,
    )
    assert code == 0, err
    return pl.read_csv(out, infer_schema=False)


def _both_samples(tmp_path: Path, area: str) -> tuple[dict[str, Path], dict[str, Path]]:
    """The canonical sample (checkbox unknowns read as false, as a blank checkbox is) and the
    register export of the same seed."""
    for sub in "cr":
        (tmp_path / sub).mkdir()
    frames = expected_frames_canonical_ids(area, generate(area, 600, 8))
    canonical = write_frames(area, frames, tmp_path / "c" / f"{area}_cases.csv")
    reg = write_sample(area, 600, 8, tmp_path / "r" / f"{area}_cases.csv", inca=True)
    return {t: p for t, (p, _) in canonical.items()}, {t: p for t, (p, _) in reg.items()}


@pytest.mark.slow
@pytest.mark.parametrize("area", AREAS)
def test_indicators_from_the_register_export_equal_the_canonical_ones(
    tmp_path, capsys, area
) -> None:
    """``compute --mapping`` on the register export gives the indicator table of the canonical
    sample of the same seed."""
    canonical, reg = _both_samples(tmp_path, area)
    want = _compute(canonical, area, tmp_path / "c.csv", capsys)
    got = _compute(reg, area, tmp_path / "r.csv", capsys, "--mapping", profile_path(reg["cases"]))
    assert want.height > 50
    assert got.equals(want)


@pytest.mark.slow
@pytest.mark.parametrize("area", AREAS)
def test_indicators_through_the_profile_equal_the_canonical_ones(tmp_path, capsys, area) -> None:
    """The same with the register export read through its profile by the independent reading
    of tests/fixtures/profiles.py, then ``compute`` on the canonical columns."""
    canonical, reg = _both_samples(tmp_path, area)
    prof = load(profile_path(reg["cases"]))
    (tmp_path / "a").mkdir()
    applied = {t: tmp_path / "a" / p.name for t, p in reg.items()}
    for t, p in reg.items():
        apply_profile(prof, read_export(p), area, t).write_csv(applied[t])
    want = _compute(canonical, area, tmp_path / "c.csv", capsys)
    got = _compute(applied, area, tmp_path / "a.csv", capsys)
    assert want.height > 50 and want["numerator"].drop_nulls().len() > 20
    assert got.equals(want)


@pytest.mark.slow
@pytest.mark.parametrize("area", AREAS)
def test_the_draft_of_map_gives_the_canonical_indicators(tmp_path, capsys, area) -> None:
    """Issue 11's promise end to end: a registrar drafts a profile with ``nhvmetrics map`` from the
    register export alone and computes through it; the indicator table is the canonical one. The
    draft leaves only code TODOs (a yes/no list's third answer, a code outside the list), which it
    reads as unknown until someone decides them, and no required column to fill in."""
    canonical, reg = _both_samples(tmp_path, area)
    draft = tmp_path / f"{area}.mapping.yaml"
    code, out, err = run_cli(
        ["map", reg["cases"], *_table_options(reg), "--area", area, "-o", draft], capsys
    )
    assert code == 0, err
    assert "every required column placed" in out.splitlines()
    todo = [line for line in draft.read_text(encoding="utf-8").splitlines() if "# TODO" in line]
    assert all(re.match(r'^\s+"?[^:#]+"?: null\s+# TODO ', line) for line in todo), todo
    want = _compute(canonical, area, tmp_path / "c.csv", capsys)
    got = _compute(reg, area, tmp_path / "d.csv", capsys, "--mapping", draft)
    assert want.height > 50 and want["numerator"].drop_nulls().len() > 20
    assert got.equals(want)


def expected_frames_canonical_ids(
    area: str, frames: dict[str, pl.DataFrame]
) -> dict[str, pl.DataFrame]:
    """The canonical frames with what a register export cannot say taken out (checkbox
    unknowns read as false); the ids stay canonical (indicators do not show them)."""
    reg = register(area)
    return {
        t: df.with_columns(pl.col(c).fill_null(False) for c in reg.checkboxes if c in df.columns)
        for t, df in frames.items()
    }


def test_the_committed_register_samples_have_their_profiles() -> None:
    folder = ROOT / "sample_data" / "register"
    for area in AREAS:
        path = folder / f"{area}_cases.mapping.yaml"
        assert load(path) == profile(area)
        assert (folder / f"{area}_cases.csv").is_file()
