"""Small-cell suppression of the indicator table (primary + complementary).

Rule (applied by :func:`apply_suppression`, documented in docs/indicators.md):

1. **Primary.** A row is suppressed when the count it rests on is between 1 and
   ``min_count - 1`` (default 5, i.e. 1–4): the numerator for counts and for the categories of
   a distribution, the denominator for every other row (proportions, durations, survival,
   PREM questions).  Zero is never suppressed (nothing to identify) and rows that are not
   computable are never flagged.
2. **Complementary.** Within a group of rows that add up to a total shown beside them, a
   single hidden cell could be recovered by subtraction, so whenever exactly one member of
   such a group is suppressed, the smallest other member (ties: first in sort order) is
   suppressed too (a cell with a count above zero is preferred; a zero cell only when no
   other is left).  The groups are
   * the units of one indicator × period × stratum (they add up to ``unit = ALL``), and
   * the categories of one stratification variable within one indicator × period × unit ×
     the rest of the stratum (``sex=K``/``sex=M``/``sex=unknown`` add up to ``all``;
     ``referring_region=..`` categories add up to the distribution's total).
   ``measure=…`` and ``question=…`` rows are separate measures, not parts of a total, so they
   form no group.  The two rules are repeated until nothing changes (suppressing a unit may
   leave a single hidden category elsewhere).

The table keeps the raw numbers; the flag tells the report and the workbook what to hide.
"""

from __future__ import annotations

NON_PARTITION_VARS = frozenset({"measure", "question"})


def suppression_count(kind: str | None, numerator, denominator):
    """The count a row's primary suppression looks at."""
    if kind in ("count", "distribution"):
        return numerator
    return denominator


def apply_suppression(table, min_count: int = 5):
    """Return ``table`` with the ``suppressed`` column set by the primary + complementary rule.

    ``table`` is an indicator table (``compute_area(...).table``): it needs ``indicator_id,
    period, unit, stratum, numerator, denominator`` and uses ``kind`` and ``computable`` when
    present.  Works on any table of that shape, e.g. one filtered to a single unit's rows
    plus ``ALL`` (but then the complementary rule only sees those units).
    """
    import polars as pl

    if table.height == 0:
        return table.with_columns(pl.lit(False).alias("suppressed")) if "suppressed" not in table.columns else table
    kind = pl.col("kind") if "kind" in table.columns else pl.lit("proportion")
    n = (
        pl.when(kind.is_in(["count", "distribution"]))
        .then(pl.col("numerator"))
        .otherwise(pl.col("denominator"))
        .fill_null(0)
    )
    comp = pl.col("computable").fill_null(True) if "computable" in table.columns else pl.lit(True)
    t = table.with_row_index("__i").with_columns(
        __n=n.cast(pl.Int64),
        __ok=comp,
    )
    primary = (pl.col("__n") > 0) & (pl.col("__n") < min_count) & pl.col("__ok")
    t = t.with_columns(__s=primary)

    # group keys
    parts = t["stratum"].to_list()
    prefix, var = [], []
    for s in parts:
        if s is None or s == "all":
            prefix.append(None)
            var.append(None)
            continue
        items = s.split(";")
        last = items[-1].split("=", 1)[0]
        if last in NON_PARTITION_VARS:
            prefix.append(None)
            var.append(None)
        else:
            prefix.append(";".join(items[:-1]))
            var.append(last)
    t = t.with_columns(
        pl.Series("__prefix", prefix, dtype=pl.String), pl.Series("__var", var, dtype=pl.String)
    )
    t = t.with_columns(__unit_member=(pl.col("unit") != "ALL") & pl.col("__ok"))
    key_units = ["indicator_id", "period", "stratum"]
    key_cats = ["indicator_id", "period", "unit", "__prefix", "__var"]
    if "area" in t.columns:
        key_units = ["area", *key_units]
        key_cats = ["area", *key_cats]

    for _ in range(20):
        before = t["__s"].sum()
        t = _complement(t, key_units, pl.col("__unit_member"))
        t = _complement(t, key_cats, pl.col("__var").is_not_null() & pl.col("__ok"))
        if t["__s"].sum() == before:
            break
    out = t.sort("__i").with_columns(pl.col("__s").alias("suppressed"))
    return out.select(table.columns if "suppressed" in table.columns else [*table.columns, "suppressed"])


def _complement(t, keys, member):
    """Within each group where exactly one member is suppressed, suppress the smallest other."""
    import polars as pl

    m = t.filter(member)
    if m.height == 0:
        return t
    counts = m.group_by(keys).agg(pl.col("__s").sum().alias("__k"), pl.len().alias("__size"))
    single = counts.filter((pl.col("__k") == 1) & (pl.col("__size") > 1)).select(keys)
    if single.height == 0:
        return t
    cand = (
        m.join(single, on=keys, how="inner", nulls_equal=True)
        .filter(~pl.col("__s"))
        .with_columns(__zero=(pl.col("__n") <= 0))
        .sort(["__zero", "__n", "__i"])
        .group_by(keys, maintain_order=True)
        .first()
        .select("__i")
    )
    idx = set(cand["__i"].to_list())
    return t.with_columns(
        (pl.col("__s") | pl.col("__i").is_in(list(idx))).alias("__s")
    )
