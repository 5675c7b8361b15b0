"""report/build.py: what the report takes from a definition comes from the definition's kind."""

from __future__ import annotations

import dataclasses

import pytest

from nhvmetrics.engine.definitions import load_definitions
from nhvmetrics.report.build import indicator_info
from nhvmetrics.report.charts import _axis_label

DEFS = {d.id: d for d in load_definitions()}


@pytest.mark.parametrize(
    ("iid", "main_kind", "axis"),
    [
        ("acc.visit_within_x", "proportion", "share"),
        ("acc.patients", "count", "count"),
        ("acc.age", "median", "median"),  # a distribution with a value: its all row is a median
        ("acc.referring_region", "count", "count"),
        ("acc.mitotane_level_1y", "median", "median"),  # type: median (mg/L)
        ("pelvic.length_of_stay", "median", "days"),  # type: duration
        ("acc.survival_1y", "survival", "survival"),
        ("anal.prem", "count", "count"),
    ],
)
def test_the_kind_says_what_the_main_row_is(iid, main_kind, axis):
    info = indicator_info(DEFS[iid])
    assert (info.main_kind, info.value_axis) == (main_kind, axis)
    assert info.type == DEFS[iid].type


def test_sub_measure_titles_come_from_the_kind():
    info = indicator_info(DEFS["net.complications_30d"])
    keys = [k for k, _, _ in info.stratum_titles]
    assert keys and all(k.startswith("measure=") for k in keys)
    assert indicator_info(DEFS["anal.prem"]).stratum_titles == ()


def test_a_median_axis_says_days_only_for_durations():
    days = indicator_info(DEFS["anal.rt_duration_days"])
    assert _axis_label("median", days, "en") == "Median (days)"  # its value unit first
    bare = dataclasses.replace(days, value_unit="")
    assert _axis_label("median", bare, "en") == "Days (median)"
    other = dataclasses.replace(bare, value_axis="median")
    assert _axis_label("median", other, "en") == "Median"


# ---------------------------------------------------------------- provenance of values [v2]


def test_titles_show_the_values_and_the_run_changes_them():
    info = indicator_info(DEFS["acc.visit_within_x"])
    assert (
        info.title_sv
        == "Andel patienter som besöker NHV-enheten inom 14 dygn efter inkommen remiss"
    )
    assert "within 14 days" in info.title_en and "{" not in info.definition
    run = indicator_info(DEFS["acc.visit_within_x"].with_run({"x_days": 10}))
    assert "inom 10 dygn" in run.title_sv and "högst 10 dygn" in run.definition
    assert ("x_days", "override", "") in run.param_sources
    # a measure's title too, and a parameter with choices shows its label in each language
    rtt = DEFS["pelvic.referral_to_treatment_days"].with_run({"origin": "assessment", "x_days": 42})
    info = indicator_info(rtt)
    assert info.title_sv == "Tid (i dagar) från bedömning till behandling/åtgärd"
    assert info.title_en == "Days from assessment to treatment"
    assert info.stratum_title("measure=within_x", "sv") == "Andel behandlade inom 42 dagar"


def test_every_parameter_says_where_its_value_comes_from():
    info = indicator_info(DEFS["acc.survival_1y"])
    assert info.param_sources == (("horizon_days", "seed", "Överlevnad efter 1 år"),)
    assert not info.rests_on_assumptions
    assert info.provenance_text("sv") == (
        "Källa: horizon_days = 365: sakkunnigunderlaget: ”Överlevnad efter 1 år”"
    )
    visit = indicator_info(DEFS["acc.visit_within_x"])
    assert visit.rests_on_assumptions
    assert visit.provenance_text("sv") == (
        "Källa: x_days = 14: lokalt antagande – ej fastställt av Socialstyrelsen"
    )
    assert visit.provenance_text("en") == (
        "Source: x_days = 14: local assumption – not set by Socialstyrelsen"
    )
    assert indicator_info(DEFS["acc.patients"]).provenance_text("sv") == ""


def test_local_target_levels_are_not_shown_unless_the_region_sets_them():
    d = DEFS["acc.visit_within_x"]
    assert d.targets.intermediate == 0.8 and d.targets.source.type == "local"
    info = indicator_info(d)
    assert not info.has_targets and info.target_source == ()
    # set for the run (batch configuration): shown, and said to be set for the run
    run = indicator_info(d.with_run(targets={"intermediate": 0.75, "high": 0.9}))
    assert (run.target_intermediate, run.target_high) == (0.75, 0.9)
    assert run.target_source == ("override", "")
    assert run.provenance_text("sv").endswith(
        "målnivåer: satt för denna körning – ej fastställt av Socialstyrelsen"
    )
    # a region's own definition with levels it decided: shown
    own = dataclasses.replace(
        d,
        targets=dataclasses.replace(
            d.targets, source=dataclasses.replace(d.targets.source, type="region")
        ),
    )
    assert indicator_info(own).has_targets


def test_every_shipped_target_level_is_hidden_by_default():
    """The seeds set no target level: every shipped level is a local assumption, not shown."""
    for d in DEFS.values():
        if d.targets is not None and d.targets.has_levels:
            assert d.targets.source.type == "local", d.id
            assert not indicator_info(d).has_targets, d.id


def test_the_anal_palliative_count_is_marked_for_the_data_quality_section():
    assert indicator_info(DEFS["anal.outside_definition"]).role == "data_quality"
    assert indicator_info(DEFS["anal.patients"]).role == "indicator"


def test_an_age_distribution_lists_every_age_band() -> None:
    """acc.age breaks the cases down by age band: the report names all six bands (empty ones
    included, so a band without cases can read as hidden), and sex by its code list."""
    from nhvmetrics.report.build import stratum_categories

    categories = dict(stratum_categories(DEFS["acc.age"], "acc"))
    assert categories["age_band"] == ("0-39", "40-49", "50-59", "60-69", "70-79", "80+")
    assert "sex" in categories
