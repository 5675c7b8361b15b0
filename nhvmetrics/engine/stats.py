"""Statistics of the indicator table: confidence intervals, quantiles, Kaplan–Meier.

* Proportions: 95 % Wilson score interval (default) or exact Clopper–Pearson interval
  (``scipy.stats.beta``), vectorised over numpy arrays.  ``n = 0`` gives NaN.
* Quartiles: linear interpolation between order statistics (Hyndman & Fan type 7, the
  default of R, numpy and Excel's QUARTILE.INC): for 1, 2, 3, 4 the median is 2.5, q1 1.75,
  q3 3.25.  The engine uses polars ``quantile(q, "linear")``, which follows the same rule.
* Survival: Kaplan–Meier product-limit estimate at a horizon, deaths before censorings at
  tied times, Greenwood variance and a log-log ("exponential Greenwood") confidence interval,
  as R's ``survfit(conf.type = "log-log")``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

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


@dataclass(frozen=True)
class KMResult:
    survival: float
    ci_low: float
    ci_high: float
    n: int
    events: int  # events up to and including the horizon
    censored_before: int  # censored before the horizon (follow-up not complete)
    std_err: float  # Greenwood standard error of S


def kaplan_meier(time, event, at: float, level: float = 0.95) -> KMResult:
    """Kaplan–Meier survival at ``at`` (same unit as ``time``) with a log-log interval.

    ``event`` is 1 for death, 0 for censored.  An event at exactly ``at`` counts.
    The log-log interval is undefined when S is 0 or 1; then the bounds are NaN, except
    S = 1 which gets [NaN, 1] -> reported as NaN, 1.
    """
    t, e = _arr(time), _arr(event).astype(bool)
    n = int(t.size)
    if n == 0:
        return KMResult(math.nan, math.nan, math.nan, 0, 0, 0, math.nan)
    d_at, n_at = _km_table(t, e)
    s, var_sum = 1.0, 0.0
    for ti in sorted(d_at):
        d, r = d_at[ti], n_at[ti]
        if ti > at or d == 0:
            continue
        s *= 1 - d / r
        if r > d:
            var_sum += d / (r * (r - d))
    lo, hi = loglog_ci(s, var_sum, level)
    events = int(np.sum(e & (t <= at)))
    censored_before = int(np.sum(~e & (t < at)))
    return KMResult(s, lo, hi, n, events, censored_before, s * math.sqrt(var_sum))


def _km_table(t: np.ndarray, e: np.ndarray) -> tuple[dict[float, int], dict[float, int]]:
    times = np.unique(t)
    d_at, n_at = {}, {}
    for ti in times:
        d_at[float(ti)] = int(np.sum(e & (t == ti)))
        n_at[float(ti)] = int(np.sum(t >= ti))
    return d_at, n_at


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
