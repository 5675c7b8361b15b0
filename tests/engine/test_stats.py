"""Statistics against known values and hand computations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nhvmetrics.engine.stats import (
    clopper_pearson,
    kaplan_meier,
    loglog_ci,
    proportion_ci,
    quartiles,
    wilson,
)


@pytest.mark.parametrize(
    ("x", "n", "lo", "hi"),
    [
        (5, 10, 0.236593, 0.763407),  # textbook Wilson interval
        (0, 10, 0.0, 0.277533),
        (10, 10, 0.722467, 1.0),
        (81, 263, 0.255289, 0.366210),  # Newcombe (1998) example 81/263: 0.2553-0.3662
        (1, 1, 0.206549, 1.0),
    ],
)
def test_wilson_known_values(x, n, lo, hi):
    a, b = wilson(x, n)
    assert float(a) == pytest.approx(lo, abs=1e-6)
    assert float(b) == pytest.approx(hi, abs=1e-6)


@pytest.mark.parametrize(
    ("x", "n", "lo", "hi"),
    [
        (5, 10, 0.187086, 0.812914),
        (0, 10, 0.0, 0.308497),
        (10, 10, 0.691503, 1.0),
        (1, 20, 0.001265, 0.248733),
    ],
)
def test_clopper_pearson_known_values(x, n, lo, hi):
    a, b = clopper_pearson(x, n)
    assert float(a) == pytest.approx(lo, abs=1e-6)
    assert float(b) == pytest.approx(hi, abs=1e-6)


def test_ci_vectorised_and_empty():
    lo, hi = proportion_ci(np.array([0, 5, 3]), np.array([0, 10, 3]), "wilson")
    assert math.isnan(lo[0]) and math.isnan(hi[0])
    assert lo[1] == pytest.approx(0.236593, abs=1e-6)
    assert hi[2] == 1.0
    lo, hi = proportion_ci([2], [4], "clopper-pearson")
    assert lo[0] < 0.5 < hi[0]
    with pytest.raises(ValueError):
        proportion_ci([1], [2], "agresti")


def test_quartile_convention_is_linear_type7():
    assert quartiles([1, 2, 3, 4]) == (1.75, 2.5, 3.25)
    assert quartiles([7]) == (7.0, 7.0, 7.0)
    q1, med, q3 = quartiles([33, 59, 60, 74])
    assert (q1, med, q3) == (52.5, 59.5, 63.5)
    assert all(math.isnan(v) for v in quartiles([]))


def test_kaplan_meier_by_hand():
    # deaths at 100 and 300, censored at 200, alive at 400 and 500
    time = [100, 200, 300, 400, 500]
    event = [1, 0, 1, 0, 0]
    km = kaplan_meier(time, event, at=365)
    s = (1 - 1 / 5) * (1 - 1 / 3)
    assert km.survival == pytest.approx(s)
    gw = 1 / (5 * 4) + 1 / (3 * 2)  # Greenwood: sum d / (n (n - d))
    se_loglog = math.sqrt(gw) / abs(math.log(s))
    assert km.ci_low == pytest.approx(s ** math.exp(1.959964 * se_loglog), rel=1e-5)
    assert km.ci_high == pytest.approx(s ** math.exp(-1.959964 * se_loglog), rel=1e-5)
    assert km.ci_low == pytest.approx(0.068330, abs=1e-5)
    assert km.ci_high == pytest.approx(0.863070, abs=1e-5)
    assert (km.n, km.events, km.censored_before) == (5, 2, 1)
    assert km.std_err == pytest.approx(s * math.sqrt(gw))


def test_kaplan_meier_ties_and_edges():
    # a death and a censoring at the same time: the censored case is still at risk
    km = kaplan_meier([10, 10, 20], [1, 0, 0], at=365)
    assert km.survival == pytest.approx(2 / 3)
    # an event exactly at the horizon counts; after it does not
    assert kaplan_meier([365, 400], [1, 0], at=365).survival == pytest.approx(0.5)
    assert kaplan_meier([366, 400], [1, 0], at=365).survival == 1.0
    everyone = kaplan_meier([5, 6], [1, 1], at=365)
    assert everyone.survival == 0.0 and math.isnan(everyone.ci_low)
    nobody = kaplan_meier([400, 500], [0, 0], at=365)
    assert nobody.survival == 1.0 and math.isnan(nobody.ci_low) and nobody.ci_high == 1.0
    assert math.isnan(kaplan_meier([], [], at=365).survival)
    lo, hi = loglog_ci(np.array([0.5, 1.0]), np.array([0.01, 0.0]))
    assert 0 < lo[0] < 0.5 < hi[0] < 1 and hi[1] == 1.0
