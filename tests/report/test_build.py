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
