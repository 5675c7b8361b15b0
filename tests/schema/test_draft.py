"""Drafting a mapping profile (``nhvmetrics.schema.draft``): names, values, the assignment, the
value maps, and a YAML that holds column names and codes only."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest
import yaml

from nhvmetrics import AREAS
from nhvmetrics.personnummer import find_personnummer
from nhvmetrics.sample import output_paths
from nhvmetrics.sample_register import profile, profile_path
from nhvmetrics.schema.draft import (
    Candidate,
    confidence,
    draft_from_frames,
    draft_profile,
    name_score,
    rank_candidates,
    read_code,
    read_name,
    render_profile,
    shape_of,
)
from nhvmetrics.schema.model import load_schema

ROOT = Path(__file__).resolve().parents[2]
REGISTER = ROOT / "sample_data" / "register"
ALIASES = ROOT / "sample_data" / "inca"
SPEC_KEYS = {"area", "columns", "values", "checkboxes", "unknown_codes", "dates"}


def _names(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _draft(folder: Path, area: str):
    return draft_profile(area, output_paths(area, folder / f"{area}_cases.csv"))


# --------------------------------------------------------------------------------------------
# on the register exports of sample_data/register


@pytest.mark.parametrize("area", AREAS)
def test_map_places_the_register_samples(area) -> None:
    """Every required column right, and at least 90 % of the canonical columns the export has
    (the sample's own profile is the truth; today all of them)."""
    draft = _draft(REGISTER, area)
    truth = profile(area)["columns"]
    assert draft.missing_required == []
    schema = load_schema(area)
    for t in schema.tables.values():
        for c in t.required:
            assert draft.placements[c].columns == _names(truth[c]), c
    right = [
        c
        for c, want in truth.items()
        if c in draft.placements and draft.placements[c].columns == _names(want)
    ]
    share = len(right) / len(truth)
    assert share >= 0.9, (share, sorted(set(truth) - set(right)))
    assert share == 1.0  # what the samples give today; a change of the heuristics shows here


@pytest.mark.parametrize("area", AREAS)
def test_map_places_the_aliases_samples_by_their_aliases(area) -> None:
    draft = _draft(ALIASES, area)
    schema = load_schema(area)
    for t in schema.tables.values():
        for c in t.columns.values():
            if c.name == "patient_id":
                assert draft.placements[c.name].columns == ["PAT_ID"]
                continue
            p = draft.placements[c.name]
            assert p.columns == [c.inca_name], c.name
            assert (
                "a built-in alias" in p.candidates[0].reasons
                or "the canonical name" in p.candidates[0].reasons
            )


def test_the_draft_of_a_register_sample_explains_itself() -> None:
    text = render_profile(_draft(REGISTER, "acc"))
    line = next(ln for ln in text.splitlines() if ln.startswith("  referral_date:"))
    assert "a_rem_dat" in line and "rem = referral" in line and "dat = date" in line
    assert "values: dates (ISO)" in line and "high (" in line
    line = next(ln for ln in text.splitlines() if ln.startswith("  patient_id:"))
    assert "[PERSNR, PAT_ID]" in line and "personnummer (by their shape)" in line
    line = next(ln for ln in text.splitlines() if ln.startswith("  case_id:"))
    assert "R77T201_ID" in line and "a register id" in line
    line = next(ln for ln in text.splitlines() if ln.startswith("  postop_hypocortisolism:"))
    assert "checkbox (True or blank)" in line
    assert "checkboxes: [postop_hypocortisolism]" in text
    assert re.search(r"identifying.*\n#\s+FNAMN, ENAMN", text)
    system = text.split("INCA system columns")[1].split("identifying")[0]
    assert "SKAPAD_AV" in system and "REGDATUM" in system and "PERSNR" not in system
    assert re.search(r"free text.*\n#\s+a_kommentar", text)
    assert re.search(r"no canonical column.*\n#\s+a_alder, a_ensat_Varde, a_inrappdatum", text)


def test_the_value_map_reads_codes_through_their_texts() -> None:
    draft = _draft(REGISTER, "net")
    cd = {v.code: v for v in draft.placements["clavien_dindo"].values}
    assert cd["31"].value == "IIIa" and cd["32"].value == "IIIb" and cd["5"].value == "V"
    assert cd["5"].how == "its text names V (code 5 is IVa built in)"
    assert cd["96"].known and cd["96"].value is None
    mdk = {v.code: v for v in draft.placements["national_mdk"].values}
    assert mdk["1"].value is True and mdk["0"].value is False
    assert not mdk["2"].known and mdk["2"].text == "Ej nödvändigt enligt vårdprogram"
    text = render_profile(draft)
    assert re.search(r'"31": IIIa\s+# "Grad IIIa" — its text is the label', text)
    assert re.search(r'"2": null\s+# TODO "Ej nödvändigt enligt vårdprogram"', text)
    # a checkbox gets no value map, a code list does
    assert (
        "anastomotic_leak" in draft.checkboxes and not draft.placements["anastomotic_leak"].values
    )


@pytest.mark.parametrize("area", AREAS)
def test_the_draft_is_spec_yaml(area) -> None:
    draft = _draft(REGISTER, area)
    data = yaml.safe_load(render_profile(draft))
    assert set(data) == SPEC_KEYS and data["area"] == area
    assert set(data["dates"]) == {"formats", "partial"}
    assert data["dates"] == {"formats": ["%Y-%m-%d"], "partial": "unknown"}
    assert data["unknown_codes"][:3] == ["96", "98", "99"]
    assert all(isinstance(v, (str, list)) for v in data["columns"].values())
    assert data["columns"] == profile(area)["columns"]
    for col, vmap in data["values"].items():
        assert col in data["columns"] and all(isinstance(k, str) for k in vmap)
    assert data["checkboxes"] == profile(area)["checkboxes"]
    # the sample's value maps are what the draft proposes (the draft also lists the codes the
    # built-in reading knows, and leaves the third yes/no code to the registrar)
    for col, vmap in profile(area)["values"].items():
        seen = [code for code in vmap if code in data["values"][col]]
        assert len(seen) >= len(vmap) - 2, (col, seen)  # a small export lacks a rare code
        for code in seen:
            if code != "2" or col == "clavien_dindo":
                assert data["values"][col][code] == vmap[code], (col, code)


@pytest.mark.parametrize("area", AREAS)
def test_the_draft_is_the_same_for_the_same_export(area) -> None:
    a = render_profile(_draft(REGISTER, area))
    b = render_profile(_draft(REGISTER, area))
    assert a == b


@pytest.mark.parametrize("area", AREAS)
@pytest.mark.slow
def test_the_draft_holds_no_patient_values(area) -> None:
    """Column names and the codes of coded columns only: no personnummer, no name, no date, no
    free text from the data (the sample has all four)."""
    paths = output_paths(area, REGISTER / f"{area}_cases.csv")
    text = render_profile(draft_profile(area, paths))
    assert find_personnummer(text) == []
    assert not re.search(r"\d{4}-\d\d-\d\d", text) and not re.search(r"\b(?:19|20)\d{6}\b", text)
    cases = pl.read_csv(paths["cases"], separator=";", encoding="windows-1252", infer_schema=False)
    for col in ("FNAMN", "ENAMN", "PERSNR", "PAT_ID", "a_kommentar", "LKF_VALUE", "SKAPAD_AV"):
        if col not in cases.columns:
            continue
        for value in cases[col].drop_nulls().unique().to_list():
            assert not re.search(rf"(?<![\w-]){re.escape(value)}(?![\w-])", text), (col, value)


def test_texts_that_are_not_code_labels_are_left_out() -> None:
    """A _Beskrivning that holds a personnummer, a date or a number is not quoted; the writer's
    guard would mask a personnummer anyway."""
    frame = pl.DataFrame(
        {
            "PERSNR": ["19121212-1212", "19770101-0001"],
            "R1T1_ID": ["1", "2"],
            "a_sjhkod": ["11001", "11001"],
            "KON_VALUE": ["1", "2"],
            "KON_BESKRIVNING": ["19121212-1212", "2024-01-31"],
            "a_remdat": ["2024-01-02", "2024-02-03"],
            "a_behtyp_Varde": ["1", "2"],
            "a_behtyp_Beskrivning": ["Kirurgi 20240102 kl 10", "Medicinsk"],
        }
    )
    text = render_profile(draft_from_frames("acc", {"cases": frame}))
    assert "1212" not in text and "2024" not in text
    assert '"Medicinsk"' in text  # a label is quoted


# --------------------------------------------------------------------------------------------
# a hand-written register header (names as in RCC's public scripts)

HEADER = [
    "PAT_ID",
    "PERSNR",
    "R44T139_ID",
    "a_inrappsjh",
    "a_inrappklk",
    "a_remdat",
    "a_besok",
    "a_besldat",
    "a_diadat",
    "a_cytdat",
    "b_op1dat",
    "b_op2dat",
    "b_stralstart",
    "b_brachystart",
    "a_alder",
    "a_lkf",
    "KON_VALUE",
    "a_multkonf_Beskrivning",
    "a_stadium_Beskrivning",
    "a_icd10_gruppnamn",
]


def _hand_written(tmp_path: Path, rows: int = 40) -> Path:
    import random

    r = random.Random(5)
    lines = [";".join(HEADER)]
    for i in range(rows):
        d = f"2024-{1 + i % 12:02d}-{1 + i % 27:02d}"
        lines.append(
            ";".join(
                [
                    str(5000 + i),
                    f"19{50 + i % 40}0{1 + i % 9}1{i % 9}-9{i % 10:02d}{i % 7}",
                    str(900 + i),
                    r.choice(["11001", "51001", "641010"]),
                    r.choice(["101", "301"]),
                    d,
                    d,
                    d,
                    d,
                    d,
                    d if i % 3 else "",
                    d if i % 7 == 0 else "",
                    d if i % 2 else "",
                    "",
                    str(40 + i),
                    str(180100 + i),
                    str(1 + i % 2),
                    r.choice(["Ja", "Nej"]),
                    r.choice(["Stadium I", "Stadium II"]),
                    "Analcancer C21",
                ]
            )
        )
    path = tmp_path / "export.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    return path


def test_a_hand_written_register_header_is_placed_with_reasons(tmp_path) -> None:
    path = _hand_written(tmp_path)
    draft = draft_profile("anal", {"cases": path})
    got = {c: p.columns for c, p in draft.placements.items()}
    assert got["patient_id"][0] == "PERSNR" and got["case_id"] == ["R44T139_ID"]
    assert got["unit"] == ["a_inrappsjh"]  # the hospital, not the clinic (a_inrappklk)
    assert got["referral_date"] == ["a_remdat"]
    assert got["first_visit_date"] == ["a_besok"]
    assert got["diagnosis_date"] == ["a_diadat"]
    assert got["rt_start_date"] == ["b_stralstart"]
    assert got["sex"] == ["KON_VALUE"]
    assert got["national_mdk"] == ["a_multkonf_Beskrivning"]  # only the text was exported
    assert draft.missing_required == []
    reasons = {c: " ".join(p.candidates[0].reasons) for c, p in draft.placements.items()}
    assert "inrapp = reporting, sjh = unit" in reasons["unit"]
    assert "rem = referral, dat = date" in reasons["referral_date"]
    assert "besok = visit" in reasons["first_visit_date"] and "dates" in reasons["first_visit_date"]
    unmapped = draft.tables["cases"].unmapped
    for c in ("a_besldat", "a_cytdat", "a_alder", "a_lkf", "a_inrappklk"):
        assert c in unmapped, c
    # acc has operations: b_op1dat (the first operation) is its surgery date
    acc = draft_profile("acc", {"cases": path})
    assert acc.placements["surgery_date"].columns == ["b_op1dat"]
    assert "op = surgery" in " ".join(acc.placements["surgery_date"].candidates[0].reasons)


def test_a_header_without_a_required_column_gets_a_todo_line(tmp_path) -> None:
    path = _hand_written(tmp_path)
    frame = pl.read_csv(path, separator=";", encoding="windows-1252", infer_schema=False)
    draft = draft_from_frames("acc", {"cases": frame.drop("a_remdat", "a_inrappsjh")})
    assert draft.missing_required == ["unit", "referral_date"]
    text = render_profile(draft)
    assert "  # TODO unit (required): no export column found" in text
    assert "  # referral_date: <export column>" in text
    data = yaml.safe_load(text)
    assert "unit" not in data["columns"] and "referral_date" not in data["columns"]


# --------------------------------------------------------------------------------------------
# the pieces


def test_reading_names() -> None:
    r = read_name("op_pad_radikalitet_Varde")
    assert r.prefix == "op" and r.list_value and r.base == "op_pad_radikalitet"
    assert r.concepts["margin"] == 1.0 and r.concepts["surgery"] < 0.7
    assert [t.text for t in read_name("a_remdat").tokens] == ["rem", "dat"]
    assert [t.text for t in read_name("a_inrappsjh").tokens] == ["inrapp", "sjh"]
    assert [t.text for t in read_name("b_op1dat").tokens][1:] == ["op", "1", "dat"]
    assert read_name("SjukhusKod").concepts.get("unit") == 1.0
    assert read_name("a_stadium_Beskrivning").description
    assert set(read_name("R44T139_ID").concepts) == {"id"}
    # the form prefix carries the name when nothing else does: op_dat is the operation date
    assert read_name("op_dat").concepts["surgery"] == 1.0
    assert read_name("u_respons6m").concepts["#6"] >= 0.7


def test_name_scores_prefer_the_right_column() -> None:
    def best(export: str, *canonical: str) -> str:
        e = read_name(export)
        return max(canonical, key=lambda c: name_score(e, read_name(c, export=False)))

    assert best("b_stralslut", "rt_start_date", "rt_end_date") == "rt_end_date"
    assert best("op_inskrdat", "surgery_date", "admission_date") == "admission_date"
    assert best("enk_fraga_3", "q1", "q2", "q3", "q4") == "q3"
    assert best("op_kompl_anastomos", "complication_30d", "anastomotic_leak") == "anastomotic_leak"
    # a word nobody knows counts against a match
    assert name_score(read_name("b_brachystart"), read_name("behandlingsstart", False)) < 0.8
    assert name_score(read_name("b_behstart"), read_name("behandlingsstart", False)) == 1.0


def test_value_shapes() -> None:
    s = shape_of(["2024-01-02", "2024-01-03 00:00:00", None, "20240105", "19850500"])
    assert s.date == 1.0 and set(s.date_forms) == {"iso", "compact", "partial"}
    assert shape_of(["19121212-1212", "191212121212"]).personnummer == 1.0
    box = shape_of(["True", None, "", "True"])
    assert box.checkbox and not shape_of(["True", "False", None]).checkbox
    assert shape_of(["1", "0", "Ja", "99", "2"]).boolish
    ids = shape_of([str(i) for i in range(100)])
    assert ids.unique and ids.repeats == 0 and ids.codes == ()
    text = shape_of(["Remiss kompletterad av klinik", "Se journalanteckning i dag"])
    assert text.text == 1.0
    assert shape_of([None, ""]).empty


def test_values_veto_a_name() -> None:
    """A column named like a date but holding codes is no date, and the other way round."""
    sample = {"a_remdat": ["1", "2", "1"], "a_rem_dat": ["2024-01-02", "2024-01-03", ""]}
    got = rank_candidates("referral_date", list(sample), sample, area="acc")
    assert [c.column for c in got] == ["a_rem_dat"]
    sample = {"a_rem_lan_Varde": ["2024-01-02"] * 3}
    assert rank_candidates("referring_region", list(sample), sample, area="acc") == []


def test_reading_codes() -> None:
    schema = load_schema("acc").table("cases")
    margin = schema.column("resection_margin")
    assert read_code(margin, "1") == (True, "R0", "the built-in code")
    assert read_code(margin, "7", "Radikal, R0")[:2] == (True, "R0")
    assert read_code(margin, "96", "Kan ej bedömas")[:2] == (True, None)
    assert read_code(margin, "8", "Något annat")[0] is False
    mdk = schema.column("national_mdk")
    assert read_code(mdk, "Ja")[:2] == (True, True) and read_code(mdk, "J")[:2] == (True, True)
    net = load_schema("net").table("cases").column("net_condition")
    assert read_code(net, "3")[:2] == (True, 3) and read_code(net, "5")[0] is False


def test_rank_candidates_is_callable_with_a_name_alone() -> None:
    """The API a validation hint uses: the likeliest export columns for a canonical column,
    from the names alone or with some values; best first, deterministic, with reasons."""
    cols = ["a_besok", "a_remdat", "a_rem_lan_Varde", "LOPNR"]
    got = rank_candidates("referral_date", cols)
    assert got[0].column == "a_remdat" and got[0].confidence == "high"
    assert all(isinstance(c, Candidate) and c.reasons for c in got)
    assert "LOPNR" not in [c.column for c in got]
    spec = load_schema("acc").table("cases").column("referral_date")
    assert [c.column for c in rank_candidates(spec, cols, limit=1)] == ["a_remdat"]
    assert rank_candidates("referral_date", cols) == rank_candidates("referral_date", cols)
    assert rank_candidates("unit", ["SjukhusKod", "a_sjhkod"], area="acc")[0].column == "SjukhusKod"
    assert confidence(0.8) == "high" and confidence(0.6) == "medium" and confidence(0.59) == "low"


def test_a_personnummer_in_a_header_is_masked_in_the_draft(tmp_path) -> None:
    from nhvmetrics.schema.draft import write_profile

    frame = pl.DataFrame(
        {"19121212-1212": ["x"], "a_remdat": ["2024-01-02"], "PERSNR": ["19121212-1212"]}
    )
    target = tmp_path / "p.yaml"
    write_profile(draft_from_frames("acc", {"cases": frame}), target)
    text = target.read_text(encoding="utf-8")
    assert find_personnummer(text) == [] and "<personnummer>" in text


def test_the_committed_profiles_are_the_samples_profiles() -> None:
    for area in AREAS:
        assert yaml.safe_load(
            profile_path(REGISTER / f"{area}_cases.csv").read_text("utf-8")
        ) == profile(area)


@pytest.mark.parametrize(
    "area,canonical,best",
    [
        ("anal", "rt_start_date", "p_datstartrt"),  # SPEC §2's example
        ("anal", "rt_end_date", "p_datslutrt"),
        ("pelvic", "surgery_date", "op_opdat"),
        ("pelvic", "admission_date", "op_inlaggningsdat"),
        ("pelvic", "discharge_date", "op_utskrivningsdat"),
        ("pelvic", "assessment_date", "a_bedomdat"),
        ("pelvic", "clavien_dindo", "u_clavien_dindo_Varde"),
        ("pelvic", "reoperation_30d", "op_reop30_Varde"),
        ("pelvic", "national_mdk", "a_multidiskkonf_Varde"),
        ("net", "valve_surgery", "op_klaff"),
        ("pelvic", "treatment_unit", "op_sjhkod"),
    ],
)
def test_names_of_other_registers_rank_first(area, canonical, best) -> None:
    """Names the sample registers do not use, from the name alone."""
    cols = [
        "p_datstartrt",
        "p_datslutrt",
        "op_opdat",
        "op_komplikation_Varde",
        "op_inlaggningsdat",
        "op_utskrivningsdat",
        "a_bedomdat",
        "u_clavien_dindo_Varde",
        "op_reop30_Varde",
        "a_multidiskkonf_Varde",
        "op_klaff",
        "op_sjhkod",
        "a_remisssjhkod",
    ]
    got = rank_candidates(canonical, cols, area=area)
    assert got[0].column == best and got[0].confidence == "high", got[:2]
    assert len(got) == 1 or got[1].score < got[0].score - 0.3  # and clearly so
