"""Statistics of the indicator table: confidence intervals, quantiles, Kaplan–Meier.

* Proportions: 95 % Wilson score interval (default) or exact Clopper–Pearson interval
  (``scipy.stats.beta``), vectorised over numpy arrays.  ``n = 0`` gives NaN.
* Quartiles: linear interpolation between order statistics (Hyndman & Fan type 7, the
  default of R, numpy and Excel's QUARTILE.INC): for 1, 2, 3, 4 the median is 2.5, q1 1.75,
  q3 3.25.  The engine computes them from value counts per group (:func:`hist_quantiles`),
  by the same rule; :func:`quartiles` is the same over a plain list of values.
* Survival: Kaplan–Meier product-limit estimate at a horizon, deaths before censorings at
  tied times, Greenwood variance and a log-log ("exponential Greenwood") confidence interval,
  as R's ``survfit(conf.type = "log-log")``, with optional delayed entry (left truncation, at
  risk over ``(entry, time]`` as R's counting process and lifelines' ``entry=``); one
  implementation
  (:func:`kaplan_meier_at`, per group of a polars frame) for the engine and for
  :func:`kaplan_meier` over plain lists.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import polars as pl

Z95 = 1.959963984540054
CI_METHODS = ("wilson", "clopper-pearson")


def _arr(x) -> np.ndarray:
    return np.asarray(x, dtype="float64")


def wilson(x, n, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for x successes out of n (arrays or scalars)."""
    x, n = _arr(x), _arr(n)
    z = Z95 if level == 0.95 else _z(level)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n
        z2 = z * z
        denom = 1 + z2 / n
        centre = (p + z2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
        lo = np.clip(centre - half, 0.0, 1.0)
        hi = np.clip(centre + half, 0.0, 1.0)
    lo = np.where(n > 0, lo, np.nan)
    hi = np.where(n > 0, hi, np.nan)
    # exact ends: x = 0 gives lower 0, x = n gives upper 1 (rounding noise removed)
    lo = np.where((n > 0) & (x == 0), 0.0, lo)
    hi = np.where((n > 0) & (x == n), 1.0, hi)
    return lo, hi


def clopper_pearson(x, n, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Clopper–Pearson) interval from beta quantiles."""
    from scipy.stats import beta

    x, n = _arr(x), _arr(n)
    a = (1 - level) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        lo = np.where(x > 0, beta.ppf(a, np.maximum(x, 1e-12), n - x + 1), 0.0)
        hi = np.where(x < n, beta.ppf(1 - a, x + 1, np.maximum(n - x, 1e-12)), 1.0)
    lo = np.where(n > 0, lo, np.nan)
    hi = np.where(n > 0, hi, np.nan)
    return lo, hi


def proportion_ci(x, n, method: str = "wilson", level: float = 0.95):
    if method == "wilson":
        return wilson(x, n, level)
    if method in ("clopper-pearson", "clopper_pearson", "exact"):
        return clopper_pearson(x, n, level)
    raise ValueError(f"unknown CI method '{method}'; use one of: {', '.join(CI_METHODS)}")


def _z(level: float) -> float:
    from statistics import NormalDist  # stdlib: spares the default (Wilson) path a scipy import

    return float(NormalDist().inv_cdf(1 - (1 - level) / 2))


def quartiles(values) -> tuple[float, float, float]:
    """(q1, median, q3) with linear interpolation (type 7); NaN for no values."""
    v = _arr(values)
    v = v[~np.isnan(v)]
    if v.size == 0:
        return (math.nan, math.nan, math.nan)
    q = np.quantile(v, [0.25, 0.5, 0.75], method="linear")
    return float(q[0]), float(q[1]), float(q[2])


def hist_quantiles(res: pl.DataFrame, keys: list[str], vcol: str, wcol: str) -> pl.DataFrame:
    """Median and quartiles (type 7, linear) per group from value counts.

    ``res`` holds one row per group x distinct value with the count in ``wcol``; the result
    has ``keys``, ``vn`` (number of values), ``med``, ``q1`` and ``q3``.  For positions
    h = (n - 1) q the quantile is x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h]), with
    x the sorted values -- the same as numpy's and polars' "linear" rule.
    """
    import polars as pl

    w = (
        res.filter(pl.col(wcol) > 0)
        .sort([*keys, vcol], nulls_last=True)
        .with_columns(__cum=pl.col(wcol).cum_sum().over(keys), __n=pl.col(wcol).sum().over(keys))
    )
    aggs = [pl.col("__n").first().cast(pl.Int64).alias("vn")]
    for name, q in (("q1", 0.25), ("med", 0.5), ("q3", 0.75)):
        h = (pl.col("__n") - 1).cast(pl.Float64) * q
        j = h.floor()
        # x[k] is the first value whose cumulative count exceeds k (0-based)
        xj = pl.col(vcol).filter(pl.col("__cum") > j).first().cast(pl.Float64)
        xj1 = pl.col(vcol).filter(pl.col("__cum") > j + 1).first().cast(pl.Float64)
        frac = (h - j).first()
        aggs.append((xj + frac * (pl.coalesce(xj1, xj) - xj)).alias(name))
    if w.height == 0:
        return pl.DataFrame(
            schema={
                **{k: res.schema[k] for k in keys},
                "vn": pl.Int64,
                "q1": pl.Float64,
                "med": pl.Float64,
                "q3": pl.Float64,
            }
        )
    return w.group_by(keys, maintain_order=True).agg(aggs)


@dataclass(frozen=True)
class KMResult:
    survival: float
    ci_low: float
    ci_high: float
    n: int
    events: int  # events up to and including the horizon
    censored_before: int  # censored before the horizon (follow-up not complete)
    std_err: float  # Greenwood standard error of S


def kaplan_meier_at(
    frame: pl.DataFrame,
    keys: list[str],
    time: str,
    horizon: float,
    *,
    deaths: str = "d",
    cases: str = "c",
    entry: str | None = None,
    level: float = 0.95,
) -> pl.DataFrame:
    """Kaplan–Meier survival at ``horizon`` per group: the one implementation, used by the
    engine (per unit, period and stratum) and by :func:`kaplan_meier`.

    ``frame`` has one row per group (``keys``, at least one), time (``time``, not null) and, with
    delayed entry, entry time (``entry``, not null, below the time) with the number of deaths
    then (``deaths``) and of cases whose follow-up ends then (``cases``, the deaths included).
    Deaths at a time count before censorings at that time; an event at exactly the horizon
    counts; times after the horizon only count as at risk.  With ``entry`` a case is at risk
    at the times after its entry up to its own time, ``(entry, time]`` as R's counting process
    ``Surv(start, stop, event)`` and lifelines' ``entry=`` count it (an entry at t is not at
    risk for an event at t; every row needs ``entry < time``, and an entry before every time,
    e.g. -1, means "from the start"); without it every case is at risk from the start.  The
    number at risk at t is the cases entered before t minus the cases whose follow-up ended
    before t.  The result has ``keys`` and ``n`` (cases), ``events`` (deaths up to the
    horizon), ``censored`` (censored before the horizon), ``survival`` (the product of 1 - d/r
    over death times up to the horizon, computed as the exponential of the sum of its
    logarithms), ``greenwood`` (Greenwood's sum of d / (r (r - d))) and the log-log interval
    ``ci_low``, ``ci_high`` (see :func:`loglog_ci`).
    """
    import polars as pl

    t, d, c = pl.col(time), pl.col(deaths), pl.col(cases)
    if entry is None:
        at_risk = c.sum().over(keys) - c.cum_sum().over(keys) + c
        timeline = frame.sort([*keys, time], nulls_last=True).with_columns(__r=at_risk)
    else:
        # one timeline of entries and exits per group: at risk at t = entered before t minus
        # ended before t (an entry at t is at risk only after t, as (start, stop] in R)
        ends = frame.group_by([*keys, time]).agg(d.sum(), c.sum().alias("__x"))
        ins = frame.group_by([*keys, entry]).agg(c.sum().alias("__in")).rename({entry: time})
        timeline = (
            pl.concat(
                [
                    ends.with_columns(pl.lit(0, dtype=pl.Int64).alias("__in")),
                    ins.with_columns(
                        pl.lit(0, dtype=pl.Int64).alias(deaths),
                        pl.lit(0, dtype=pl.Int64).alias("__x"),
                    ),
                ],
                how="diagonal_relaxed",
            )
            .group_by([*keys, time])
            .agg(pl.col(deaths).sum(), pl.col("__x").sum(), pl.col("__in").sum())
            .sort([*keys, time])
            .with_columns(
                __r=(pl.col("__in").cum_sum().over(keys) - pl.col("__in"))
                - (pl.col("__x").cum_sum().over(keys) - pl.col("__x"))
            )
            .with_columns(pl.col("__x").alias(cases))
        )
    g = (
        timeline.group_by(keys)
        .agg(
            c.sum().alias("n"),
            d.filter(t <= horizon).sum().alias("events"),
            (c - d).filter(t < horizon).sum().alias("censored"),
            (1 - d / pl.col("__r")).log().filter((d > 0) & (t <= horizon)).sum().alias("__logs"),
            (d / (pl.col("__r") * (pl.col("__r") - d)))
            .filter((d > 0) & (pl.col("__r") > d) & (t <= horizon))
            .sum()
            .alias("greenwood"),
        )
        .with_columns(survival=pl.when(pl.col("n") > 0).then(pl.col("__logs").exp()))
        .drop("__logs")
    )
    lo, hi = loglog_ci(
        g["survival"].fill_null(float("nan")).to_numpy(),
        g["greenwood"].fill_null(0.0).to_numpy(),
        level,
    )
    return g.with_columns(
        pl.Series("ci_low", lo, dtype=pl.Float64), pl.Series("ci_high", hi, dtype=pl.Float64)
    )


def kaplan_meier(time, event, at: float, level: float = 0.95, entry=None) -> KMResult:
    """Kaplan–Meier survival at ``at`` (same unit as ``time``) with a log-log interval.

    ``event`` is 1 for death, 0 for censored; ``entry`` (optional) the time each subject
    enters (delayed entry: at risk over ``(entry, time]``, each entry below its time).  An event at
    exactly ``at`` counts.  The log-log interval is undefined when S is 0 or 1; then the bounds
    are NaN, except S = 1 which gets [NaN, 1] -> reported as NaN, 1.  One subject per element,
    through :func:`kaplan_meier_at`.
    """
    import polars as pl

    t, e = _arr(time), _arr(event).astype(bool)
    n = int(t.size)
    if n == 0:
        return KMResult(math.nan, math.nan, math.nan, 0, 0, 0, math.nan)
    cols = {"g": np.zeros(n, dtype="int8"), "t": t, "d": e.astype("int64")}
    group = ["g", "t"]
    if entry is not None:
        cols["e"] = _arr(entry)
        group.append("e")
    per_time = (
        pl.DataFrame(cols)
        .group_by(group)
        .agg(pl.col("d").sum(), pl.len().cast(pl.Int64).alias("c"))
    )
    r = kaplan_meier_at(
        per_time, ["g"], "t", at, level=level, entry="e" if entry is not None else None
    ).row(0, named=True)
    s = float(r["survival"])
    return KMResult(
        s,
        float(r["ci_low"]),
        float(r["ci_high"]),
        int(r["n"]),
        int(r["events"]),
        int(r["censored"]),
        s * math.sqrt(float(r["greenwood"])),
    )


def loglog_ci(s, greenwood_sum, level: float = 0.95):
    """Log-log CI for survival S with Greenwood sum Σ d/(n(n-d)); vectorised."""
    s, g = _arr(s), _arr(greenwood_sum)
    z = Z95 if level == 0.95 else _z(level)
    with np.errstate(divide="ignore", invalid="ignore"):
        ls = np.log(s)
        se = np.sqrt(g) / np.abs(ls)
        lo = s ** np.exp(z * se)
        hi = s ** np.exp(-z * se)
    ok = (s > 0) & (s < 1)
    lo = np.where(ok, lo, np.nan)
    hi = np.where(ok, hi, np.where(s == 1, 1.0, np.nan))
    if lo.ndim == 0:
        return float(lo), float(hi)
    return lo, hi
