"""Small-cell suppression of the indicator table (primary + complementary).

Rule (applied by :func:`apply_suppression`, documented in docs/indicators.md):

1. **Primary.** Two policies (``policy=``):

   * ``denominator`` (the default, the registries' usual rule): a row is suppressed when the
     count it rests on is between 1 and ``min_count - 1`` (default 5, i.e. 1–4): the numerator
     for counts and for the categories of a distribution, the denominator for every other row
     (proportions, durations, survival, PREM questions).
   * ``cells`` (RCC's report tool's "hideLessThanCell"): the denominator rule, and also every
     share (a proportion or a survival row) whose numerator or complement (denominator −
     numerator) is between 1 and ``min_count - 1``: 2 of 40 patients with a complication, or
     38 of 40, tells each of the 40 something about the 2.  A numerator of 0 or a share of 100 %
     is shown (nothing hides among 1–4 patients there).

   Under both, the numerator is looked at as well for the indicators in ``on_numerator``
   (registry coverage: registered cases over an expected count from another register), zero
   is never suppressed (nothing to identify) and rows that are not computable are never
   flagged.
2. **Complementary.** The rows of a table are tied by sums shown beside each other, and a
   sum with exactly one hidden cell gives that cell away by subtraction (or, when the hidden
   cell is the total, by addition).  So whenever exactly one cell of a sum is suppressed —
   its terms and its total counted alike — the smallest other term (ties: first in sort
   order; a term with a count above zero is preferred, a zero term only when no other is
   left; the total only when every term is hidden already) is suppressed too.  The sums are
   * the units of one indicator × period × stratum (they add up to ``unit = ALL``), and
   * the categories of one stratification variable within one indicator × period × unit ×
     the rest of the stratum (``sex=K``/``sex=M``/``sex=unknown`` add up to ``all``;
     ``referring_region=..`` categories add up to the distribution's total).  In a stratum of
     several variables **every** variable forms such a sum, not only the last:
     ``sex=K;age_band=x`` is a term of the sexes within ``age_band=x`` (they add up to
     ``age_band=x``) and of the age bands within ``sex=K``; otherwise ``sex=M;age_band=x``
     could be recovered as ``age_band=x`` − ``sex=K;age_band=x``.
   ``measure=…`` and ``question=…`` rows are separate measures, not parts of a total, so they
   form no sum over their own variable.  Numerators and denominators add up over the same
   sums, and a row is hidden whole (numerator, denominator, value, interval), so the same rule
   protects the numerators of the ``cells`` policy.
3. **Across indicators.** Rows of different indicators with the same count for the same unit,
   period and stratum (``net.patients`` and ``net.sex`` both count the patients of
   ``net_condition=2``) are hidden together, else a cell hidden in one would be read off the
   other.  (Equal counts of different patients are hidden together too: more hidden, never less.)

Rules 2 and 3 are repeated until no sum has exactly one hidden cell and no such pair is half
hidden (suppressing a unit may leave a single hidden category elsewhere).  Years are
never added up in any output, so they form no sum.  tests/properties/test_suppression.py
checks the result against an attacker who applies every sum until nothing new is learnt.

The table keeps the raw numbers; the flag tells the report and the workbook what to hide.
"""

from __future__ import annotations

from collections.abc import Collection

NON_PARTITION_VARS = frozenset({"measure", "question"})
#: the disclosure policies of :func:`apply_suppression`
POLICIES = ("denominator", "cells")
#: row kinds that are shares of patients with an outcome (the ``cells`` policy looks at them)
SHARE_KINDS = ("proportion", "survival")


def suppression_count(kind: str | None, numerator, denominator):
    """The count a row's primary suppression looks at."""
    if kind in ("count", "distribution"):
        return numerator
    return denominator


def apply_suppression(
    table,
    min_count: int = 5,
    policy: str = "denominator",
    on_numerator: Collection[str] = (),
):
    """Return ``table`` with the ``suppressed`` column set by the primary + complementary rule.

    ``table`` is an indicator table (``compute_area(...).table``): it needs ``indicator_id,
    period, unit, stratum, numerator, denominator`` and uses ``kind`` and ``computable`` when
    present.  ``policy`` is ``denominator`` (hide a row whose count is 1 to ``min_count - 1``)
    or ``cells`` (also hide a share whose numerator or complement is); ``on_numerator`` names
    indicators whose numerator is looked at under both (registry coverage).  Works on any
    table of that shape, e.g. one filtered to a single unit's rows plus ``ALL`` (but then the
    complementary rule only sees those units).
    """
    import polars as pl

    if policy not in POLICIES:
        raise ValueError(
            f"unknown suppression policy '{policy}'; use one of: {', '.join(POLICIES)}"
        )
    if table.height == 0:
        return (
            table.with_columns(pl.lit(False).alias("suppressed"))
            if "suppressed" not in table.columns
            else table
        )
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

    def small(e: pl.Expr) -> pl.Expr:
        return (e > 0) & (e < min_count)

    primary = small(pl.col("__n"))
    num = pl.col("numerator").fill_null(0).cast(pl.Int64)
    rest = (pl.col("denominator").fill_null(0) - pl.col("numerator").fill_null(0)).cast(pl.Int64)
    if policy == "cells":
        share = kind.is_in(list(SHARE_KINDS)) & pl.col("denominator").is_not_null()
        primary = primary | (share & (small(num) | small(rest)))
    if on_numerator:
        primary = primary | (pl.col("indicator_id").is_in(list(on_numerator)) & small(num))
    t = t.with_columns(__s=primary.fill_null(False) & pl.col("__ok"))

    flags = _complementary(t, t["__s"].to_list())
    t = t.with_columns(pl.Series("__s", flags, dtype=pl.Boolean))
    out = t.sort("__i").with_columns(pl.col("__s").alias("suppressed"))
    return out.select(
        table.columns if "suppressed" in table.columns else [*table.columns, "suppressed"]
    )


def _groups(t) -> list[tuple[list[int], int | None]]:
    """Every sum that holds in the table: (row indices of its terms, row index of its total)."""
    units = t["unit"].to_list()
    strata = t["stratum"].to_list()
    ok = t["__ok"].to_list()
    base = list(
        zip(
            t["area"].to_list() if "area" in t.columns else [None] * t.height,
            t["indicator_id"].to_list(),
            t["period"].to_list(),
            strict=True,
        )
    )
    index = {}
    for i in range(t.height):
        if ok[i]:
            index[(*base[i], units[i], strata[i] or "all")] = i
    members: dict[tuple, list[int]] = {}
    totals: dict[tuple, int | None] = {}
    key: tuple  # ("u", ...) for a unit's row, ("c", ...) for a category's row
    for i in range(t.height):
        if not ok[i]:
            continue
        stratum = strata[i] or "all"
        if units[i] != "ALL":
            key = ("u", *base[i], stratum)
            members.setdefault(key, []).append(i)
            totals[key] = index.get((*base[i], "ALL", stratum))
        if stratum == "all":
            continue
        items = stratum.split(";")
        for j, item in enumerate(items):
            var = item.split("=", 1)[0]
            if var in NON_PARTITION_VARS:
                continue
            rest = ";".join(items[:j] + items[j + 1 :]) or "all"
            key = ("c", *base[i], units[i], var, rest)
            members.setdefault(key, []).append(i)
            totals[key] = index.get((*base[i], units[i], rest))
    return [(m, totals.get(key)) for key, m in members.items()]


def _links(t, n: list[int]) -> list[list[int]]:
    """Rows of different indicators that show the same count for the same unit, period and
    stratum (``net.patients`` and ``net.sex`` of ``net_condition=2`` count the same patients):
    they are hidden together, else a cell hidden in one indicator is read off another."""
    ok = t["__ok"].to_list()
    keys = zip(
        t["area"].to_list() if "area" in t.columns else [None] * t.height,
        t["period"].to_list(),
        t["unit"].to_list(),
        t["stratum"].to_list(),
        n,
        strict=True,
    )
    same: dict[tuple, list[int]] = {}
    for i, key in enumerate(keys):
        if ok[i] and key[-1] > 0:
            same.setdefault(key, []).append(i)
    return [v for v in same.values() if len(v) > 1]


def _complementary(t, flags: list[bool]) -> list[bool]:
    """Suppress more cells until no sum has exactly one hidden term (its total counted as one)."""
    n = [int(v) for v in t["__n"].to_list()]
    groups = []
    for terms, total in _groups(t):
        cells = terms + ([total] if total is not None else [])
        if len(cells) > 1:
            groups.append((terms, cells))
    links = _links(t, n)
    flags = list(flags)
    for _ in range(100):
        changed = False
        for cells in links:
            if any(flags[i] for i in cells) and not all(flags[i] for i in cells):
                for i in cells:
                    flags[i] = True
                changed = True
        for terms, cells in groups:
            hidden = sum(flags[i] for i in cells)
            if hidden != 1:
                continue
            # prefer hiding a term over hiding the total
            candidates = [i for i in terms if not flags[i]] or [i for i in cells if not flags[i]]
            pick = min(candidates, key=lambda i: (n[i] <= 0, n[i], i))
            flags[pick] = changed = True
        if not changed:
            break
    return flags
