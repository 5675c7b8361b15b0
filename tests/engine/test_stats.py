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
    # censored before the horizon is pending; followed up to it is not; a death after it is no event
    km = kaplan_meier([100, 365, 500], [0, 0, 1], at=365)
    assert (km.survival, km.events, km.censored_before, km.n) == (1.0, 0, 1, 3)
    lo, hi = loglog_ci(np.array([0.5, 1.0]), np.array([0.01, 0.0]))
    assert 0 < lo[0] < 0.5 < hi[0] < 1 and hi[1] == 1.0


def test_kaplan_meier_per_group_by_hand():
    import polars as pl

    from nhvmetrics.engine.stats import kaplan_meier_at

    # x: deaths at 10 (4 at risk) and 30 (2 at risk), censored at 20 and 40; y: a death at 5
    # (2 at risk) and one followed past the horizon
    frame = pl.DataFrame(
        {
            "g": ["x", "x", "x", "x", "y", "y"],
            "t": [10, 20, 30, 40, 5, 400],
            "d": [1, 0, 1, 0, 1, 0],
            "c": [1, 1, 1, 1, 1, 1],
        }
    )
    res = {r["g"]: r for r in kaplan_meier_at(frame, ["g"], "t", 365).iter_rows(named=True)}
    x, y = res["x"], res["y"]
    assert x["survival"] == pytest.approx(3 / 4 * 1 / 2)
    assert (x["n"], x["events"], x["censored"]) == (4, 2, 2)
    assert x["greenwood"] == pytest.approx(1 / (4 * 3) + 1 / (2 * 1))
    assert x["ci_low"] < 3 / 8 < x["ci_high"]
    assert (y["survival"], y["n"], y["events"], y["censored"]) == (0.5, 2, 1, 0)
    # one row per time with several cases gives the same as one row per case
    grouped = pl.DataFrame({"g": ["x", "x"], "t": [10, 20], "d": [1, 0], "c": [2, 2]})
    one = kaplan_meier_at(grouped, ["g"], "t", 365).row(0, named=True)
    assert one["survival"] == pytest.approx(
        kaplan_meier([10, 10, 20, 20], [1, 0, 0, 0], 365).survival
    )


def test_the_engine_and_kaplan_meier_share_one_implementation(monkeypatch):
    import datetime as dt

    import polars as pl

    from nhvmetrics.engine import stats
    from nhvmetrics.engine.compute import compute_area
    from nhvmetrics.engine.definitions import load_definitions
    from nhvmetrics.engine.kinds import survival

    calls = []
    real = stats.kaplan_meier_at

    def spy(*args, **kwargs):
        calls.append(args[2])
        return real(*args, **kwargs)

    monkeypatch.setattr(stats, "kaplan_meier_at", spy)
    monkeypatch.setattr(survival, "kaplan_meier_at", spy)
    kaplan_meier([1, 2], [1, 0], at=365)
    assert calls == ["t"]
    d = [x for x in load_definitions("acc") if x.type == "survival"]
    cases = pl.DataFrame(
        {
            "unit": ["A"],
            "diagnosis_date": [dt.date(2023, 3, 1)],
            "referral_date": [dt.date(2023, 3, 1)],
            "death_date": [None],
        },
        schema_overrides={"death_date": pl.Date},
    )
    compute_area("acc", {"cases": cases}, 2024, dt.date(2025, 1, 1), definitions=d)
    assert len(calls) > 1 and all(c.startswith("__t") for c in calls[1:])


# ---------------------------------------------------------------- delayed entry [v2]

# (entry, time, event) in days from the origin; entry 0 = at risk from the start
TRUNCATED = [
    (0, 30, 1),
    (0, 80, 0),
    (0, 120, 1),
    (0, 400, 0),
    (45, 60, 1),
    (45, 200, 1),
    (90, 150, 0),
    (90, 500, 0),
    (10, 365, 1),
    (200, 300, 1),
    (0, 365, 0),
    (120, 125, 1),  # enters on the day of another's death: not at risk for it
]


def _brute_force_km(data, at):
    """Product-limit by hand: at each death time t <= at, the cases at risk are those with
    entry < t <= time (at risk from the start when entry is 0)."""
    s = 1.0
    for t in sorted({time for _, time, ev in data if ev and time <= at}):
        at_risk = sum(1 for e, time, _ in data if (e < t or e == 0) and time >= t)
        deaths = sum(1 for e, time, ev in data if ev and time == t)
        s *= 1 - deaths / at_risk
    return s


def test_kaplan_meier_with_delayed_entry_matches_lifelines_and_a_product_limit_by_hand():
    """Left truncation: at risk over (entry, time], as R's Surv(start, stop, event) and
    lifelines' KaplanMeierFitter(entry=...) count. The reference values are lifelines 0.30.0's
    ``KaplanMeierFitter().fit(time, event, entry=entry)`` on these cases (survival at 365 and
    its exponential-Greenwood 95 % interval)."""
    entry = [e if e > 0 else -1 for e, _, _ in TRUNCATED]  # -1: at risk from the start
    time = [t for _, t, _ in TRUNCATED]
    event = [ev for _, _, ev in TRUNCATED]
    km = kaplan_meier(time, event, 365, entry=entry)
    assert km.survival == pytest.approx(0.2518950437317785, abs=1e-12)
    assert km.ci_low == pytest.approx(0.05197284482058745, abs=1e-12)
    assert km.ci_high == pytest.approx(0.5257913569908285, abs=1e-12)
    assert km.survival == pytest.approx(_brute_force_km(TRUNCATED, 365), abs=1e-12)
    assert (km.n, km.events) == (12, 7)
    # ignoring the delayed entry gives another (higher) estimate: the bias it removes
    naive = kaplan_meier(time, event, 365)
    assert naive.survival == pytest.approx(
        _brute_force_km([(0, t, ev) for _, t, ev in TRUNCATED], 365)
    )
    assert naive.survival > km.survival


def test_an_entry_on_a_death_day_is_not_at_risk_for_that_death():
    # b enters on day 50, when a dies: at risk for a's death only a and c (1 - 1/2), then b
    # dies on day 60 with b and c at risk (1 - 1/2)
    km = kaplan_meier([50, 60, 100], [1, 1, 0], 365, entry=[-1, 50, -1])
    assert km.survival == pytest.approx(0.25)
    counted_at_entry = kaplan_meier([50, 60, 100], [1, 1, 0], 365, entry=[-1, 49, -1])
    assert counted_at_entry.survival == pytest.approx(2 / 3 * 1 / 2)
