"""The report's words: every period date, stratification variable and category has a label in
both languages, and the period line speaks the reader's language."""

from __future__ import annotations

import dataclasses

import pytest

from nhvmetrics.engine.definitions import load_definitions
from nhvmetrics.report.build import _variables, indicator_info
from nhvmetrics.report.labels import (
    CATEGORY_NAMES,
    DATE_NAMES,
    EN,
    SV,
    category_name,
    check_name,
)
from nhvmetrics.report.present import period_text, question_label, stratum_label
from nhvmetrics.schema.model import load_schema

AREAS = ("acc", "net", "anal", "pelvic")
DEFS = load_definitions()


def _date_columns() -> set[str]:
    cols = {"mdk_date"}
    for area in AREAS:
        for table in load_schema(area).tables.values():
            cols |= {c for c, spec in table.columns.items() if spec.type == "date"}
    return cols


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_every_date_column_has_a_name(lang: str) -> None:
    missing = sorted(c for c in _date_columns() if c not in DATE_NAMES[lang])
    assert missing == []
    assert all("_" not in name for name in DATE_NAMES[lang].values())


@pytest.mark.parametrize("d", DEFS, ids=lambda d: d.id)
def test_the_period_line_names_the_date_in_words(d) -> None:
    info = indicator_info(d, d.area)
    sv, en = period_text(info, 2025, "sv"), period_text(info, 2025, "en")
    assert d.period_date not in sv and d.period_date not in en
    year = str(2025 - d.period_offset_years)
    assert year in sv and year in en
    if d.period_offset_years:
        assert "före rapportåret" in sv and "before the reporting year" in en


def test_the_period_line() -> None:
    info = indicator_info(next(d for d in DEFS if d.id == "acc.visit_within_x"), "acc")
    assert period_text(info, 2025, "sv") == "fall med remissdatum under 2025"
    assert period_text(info, 2025, "en") == "cases whose referral date falls in 2025"
    late = dataclasses.replace(info, period="diagnosis_date", period_offset=2, table="cases")
    assert period_text(late, 2025, "sv") == (
        "fall med diagnosdatum under 2023 (två år före rapportåret)"
    )
    prem = indicator_info(next(d for d in DEFS if d.id == "anal.prem"), "anal")
    assert period_text(prem, 2025, "sv") == "enkätsvar med svarsdatum under 2025"


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_every_stratification_variable_and_code_has_words(lang: str) -> None:
    t = SV if lang == "sv" else EN
    for d in DEFS:
        info = indicator_info(d, d.area)
        for var in _variables(d):
            assert f"strat_{var}" in t, (d.id, var)
            for var2, codes in info.categories:
                if var2 != var or var in ("age_band",):
                    continue
                for code in codes:
                    # a code is shown with a name (01 Stockholm, 3 bäckenrecidiv …) or a word
                    # (kvinnor, kurativ, ja): the report's own, or the area schema's
                    named = (
                        f"strat_{var}_{code}" in t
                        or category_name(var, code, lang) is not None
                        or info.category_name(var, code) is not None
                        or code in ("true", "false")
                    )
                    assert named, (d.id, var, code, stratum_label(f"{var}={code}", lang, info))


def test_categories_read_as_words() -> None:
    pelvic = indicator_info(next(d for d in DEFS if d.id == "pelvic.referrals"), "pelvic")
    assert stratum_label("indication=3", "sv", pelvic) == (
        "Indikation: 3 bäckenrecidiv av kolorektalcancer"
    )
    assert stratum_label("indication=3", "en", pelvic) == (
        "Indication: 3 pelvic recurrence of colorectal cancer"
    )
    region = indicator_info(next(d for d in DEFS if d.id == "acc.referring_region"), "acc")
    assert stratum_label("referring_region=25", "sv", region) == (
        "Remitterande region: 25 Norrbotten"
    )
    assert stratum_label("sex=K;age_band=60-69", "en") == "Sex: women, Age: 60–69"
    assert stratum_label("referring_region=unknown", "sv", region) == (
        "Remitterande region: uppgift saknas"
    )
    assert set(CATEGORY_NAMES["sv"]) == set(CATEGORY_NAMES["en"])


def test_prem_questions_are_labels_not_column_names() -> None:
    prem = indicator_info(next(d for d in DEFS if d.id == "anal.prem"), "anal")
    assert stratum_label("question=q1", "sv", prem) == "Fråga 1: andel som svarat 4 eller 5"
    assert stratum_label("question=q4", "en", prem) == "Question 4: share answering 4 or 5"
    three = dataclasses.replace(prem, params=(("positive_min", "3"),))
    assert question_label("q2", "sv", three) == "Fråga 2: andel som svarat 3, 4 eller 5"
    assert question_label("q2", "en") == "Question 2: share of positive answers"


def test_checks_have_names_in_both_languages() -> None:
    assert check_name("date_order", "sv") == "datum i fel ordning"
    assert check_name("date_order", "en") == "dates in the wrong order"
    assert check_name("something_new", "sv") == ""
