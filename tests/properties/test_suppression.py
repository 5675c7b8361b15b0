"""Property tests: no suppressed cell can be derived from the published cells of the same table.

An attacker sees every cell that is not suppressed: the unit's figure, the national one (``ALL``),
every stratum (``sex=K``, ``age_band=…``, ``sex=K;age_band=…``) and every year.  The cells of a
table are tied by sums: the units add up to ``ALL``, the categories of one stratification variable
add up to the stratum without it (``sex=K;age_band=x`` + ``sex=M;age_band=x`` = ``age_band=x``, and
``sex=K;age_band=*`` add up to ``sex=K``).  :func:`derivable` applies those sums until nothing new
is learnt (a sum with exactly one unknown term gives it away, and so does an unknown total whose
terms are all known) and returns every suppressed cell that was recovered; it must be none.
Years are never added up in any output, so a year gives nothing away about another.
"""

from __future__ import annotations

import datetime as dt
import os

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from nhvmetrics.engine.suppression import NON_PARTITION_VARS, apply_suppression

# NHV_HYPOTHESIS_SCALE=N runs N× as many examples (the shared settings: conftest.py)
SETTINGS = settings(max_examples=150 * int(os.environ.get("NHV_HYPOTHESIS_SCALE", "1")))


def _items(stratum: str) -> tuple[tuple[str, str], ...]:
    if stratum in (None, "all"):
        return ()
    return tuple(tuple(s.split("=", 1)) for s in stratum.split(";"))


def _stratum(items) -> str:
    return ";".join(f"{k}={v}" for k, v in items) if items else "all"


def relations(table: pl.DataFrame) -> list[tuple[int, list[int]]]:
    """(total row, member rows) for every sum that holds in an indicator table."""
    idx = {}
    for i, r in enumerate(table.iter_rows(named=True)):
        idx[(r.get("area"), r["indicator_id"], r["period"], r["unit"], r["stratum"])] = i
    rels: dict[tuple, list[int]] = {}
    for (area, ind, period, unit, stratum), i in idx.items():
        # units add up to ALL
        if unit != "ALL":
            rels.setdefault(("u", area, ind, period, stratum), []).append(i)
        # the categories of each partitioning variable add up to the stratum without it
        items = _items(stratum)
        for j, (var, _v) in enumerate(items):
            if var in NON_PARTITION_VARS:
                continue
            rest = items[:j] + items[j + 1 :]
            rels.setdefault(("c", area, ind, period, unit, _stratum(rest), j, var), []).append(i)
    out = []
    for key, members in rels.items():
        if key[0] == "u":
            total = idx.get((key[1], key[2], key[3], "ALL", key[4]))
        else:
            total = idx.get((key[1], key[2], key[3], key[4], key[5]))
        if total is not None and len(members) >= 1:
            out.append((total, members))
    return out


def equal_counts(table: pl.DataFrame) -> list[list[int]]:
    """Rows of different indicators with the same count for the same unit, period and stratum:
    the attacker assumes they count the same patients (one known gives the others)."""
    kind = table["kind"].to_list() if "kind" in table.columns else ["proportion"] * table.height
    num, den = table["numerator"].to_list(), table["denominator"].to_list()
    area = table["area"].to_list() if "area" in table.columns else [None] * table.height
    same: dict[tuple, list[int]] = {}
    for i, (a, p, u, s) in enumerate(
        zip(
            area,
            table["period"].to_list(),
            table["unit"].to_list(),
            table["stratum"].to_list(),
            strict=True,
        )
    ):
        n = num[i] if kind[i] in ("count", "distribution") else den[i]
        if n:
            same.setdefault((a, p, u, s, n), []).append(i)
    return [v for v in same.values() if len(v) > 1]


def derivable(table: pl.DataFrame) -> list[dict]:
    """The suppressed rows an attacker can recover exactly from the published rows by the sums."""
    supp = table["suppressed"].to_list()
    known = [not s for s in supp]
    rels = relations(table)
    links = equal_counts(table)
    changed = True
    while changed:
        changed = False
        for cells in links:
            if any(known[i] for i in cells) and not all(known[i] for i in cells):
                for i in cells:
                    known[i] = True
                changed = True
        for total, members in rels:
            unknown = [m for m in members if not known[m]]
            if known[total] and len(unknown) == 1:
                known[unknown[0]] = changed = True
            elif not known[total] and not unknown:
                known[total] = changed = True
    rows = table.to_dicts()
    return [rows[i] for i, s in enumerate(supp) if s and known[i]]


# ------------------------------------------------------------------------------------------
# generated tables of the engine's shape


@st.composite
def indicator_tables(draw):
    n_units = draw(st.integers(1, 5))
    units = [f"U{i}" for i in range(n_units)]
    sexes = ["K", "M"] + (["unknown"] if draw(st.booleans()) else [])
    bands = draw(st.sampled_from([["0-39", "40-59", "60+"], ["a", "b"]]))
    periods = draw(
        st.lists(st.sampled_from([2023, 2024, 2025]), min_size=1, max_size=3, unique=True)
    )
    kind = draw(st.sampled_from(["proportion", "count", "median"]))
    small = st.one_of(st.integers(0, 6), st.integers(0, 40))
    rows = []
    for period in periods:
        # cell counts per unit × sex × band; everything else is their sum
        cells = {(u, s, b): draw(small) for u in units for s in sexes for b in bands}
        num_share = draw(st.floats(0, 1))
        for unit in [*units, "ALL"]:
            us = units if unit == "ALL" else [unit]
            strata = [((), (None, None))]
            strata += [((("sex", s),), (s, None)) for s in sexes]
            strata += [((("age_band", b),), (None, b)) for b in bands]
            strata += [((("sex", s), ("age_band", b)), (s, b)) for s in sexes for b in bands]
            for items, (s0, b0) in strata:
                den = sum(
                    v
                    for (u, s, b), v in cells.items()
                    if u in us and s0 in (None, s) and b0 in (None, b)
                )
                num = int(den * num_share)
                rows.append(
                    {
                        "indicator_id": "x.ind",
                        "period": period,
                        "unit": unit,
                        "stratum": _stratum(items),
                        "numerator": num if kind != "median" else None,
                        "denominator": den if kind != "count" else None,
                        "kind": kind,
                    }
                )
    return pl.DataFrame(
        rows,
        schema={
            "indicator_id": pl.String,
            "period": pl.Int64,
            "unit": pl.String,
            "stratum": pl.String,
            "numerator": pl.Int64,
            "denominator": pl.Int64,
            "kind": pl.String,
        },
    )


@SETTINGS
@given(indicator_tables(), st.integers(3, 11))
def test_no_suppressed_cell_is_derivable_from_the_published_cells(table, min_count) -> None:
    if table["kind"][0] == "count":
        # a count table: the count is the cell (numerator), as in acc.patients
        table = table.with_columns(
            pl.col("denominator").alias("numerator"), pl.lit(None, pl.Int64).alias("denominator")
        )
    out = apply_suppression(table, min_count)
    assert out.height == table.height
    leaked = derivable(out)
    assert not leaked, leaked[:3]
    # every primary cell is suppressed
    n = out["numerator"] if out["kind"][0] == "count" else out["denominator"]
    for v, s in zip(n.to_list(), out["suppressed"].to_list(), strict=True):
        if v is not None and 0 < v < min_count:
            assert s


def test_the_attack_finds_a_leak_when_suppression_is_only_primary() -> None:
    """The check above means something: primary suppression alone leaks by subtraction."""
    t = pl.DataFrame(
        {
            "indicator_id": ["x"] * 4,
            "period": [2025] * 4,
            "unit": ["ALL", "A", "B", "C"],
            "stratum": ["all"] * 4,
            "numerator": [10, 1, 4, 5],
            "denominator": [30, 3, 12, 15],
            "kind": ["proportion"] * 4,
            "suppressed": [False, True, False, False],
        }
    )
    assert [r["unit"] for r in derivable(t)] == ["A"]


def test_nested_strata_leak_is_closed() -> None:
    """sex=M;age_band=x could be got as age_band=x minus sex=K;age_band=x (a real case from the
    acc sample data before the complementary rule looked at every variable of a stratum)."""
    rows = [
        ("ALL", "all", 48),
        ("ALL", "sex=K", 33),
        ("ALL", "sex=M", 15),
        ("ALL", "age_band=a", 11),
        ("ALL", "age_band=b", 37),
        ("ALL", "sex=K;age_band=a", 7),
        ("ALL", "sex=K;age_band=b", 26),
        ("ALL", "sex=M;age_band=a", 4),
        ("ALL", "sex=M;age_band=b", 11),
    ]
    t = pl.DataFrame(
        {
            "indicator_id": ["acc.age"] * len(rows),
            "period": [2025] * len(rows),
            "unit": [r[0] for r in rows],
            "stratum": [r[1] for r in rows],
            "numerator": [r[2] for r in rows],
            "denominator": [48] * len(rows),
            "kind": ["count"] * len(rows),
        }
    )
    out = apply_suppression(t)
    assert out.filter(pl.col("stratum") == "sex=M;age_band=a")["suppressed"].item()
    assert not derivable(out)


def test_real_engine_output_leaks_nothing(tmp_path) -> None:
    """The whole indicator table of a generated export, as the report shows it: the sums within
    each indicator, and equal counts across indicators (net.patients and net.sex both count the
    patients of net_condition=2)."""
    from nhvmetrics.engine.compute import compute_area
    from nhvmetrics.schema.validate import validate_export

    for area in ("acc", "net", "pelvic"):
        files = _sample(area, tmp_path)
        r = validate_export(area, files, extract_date=dt.date(2026, 2, 15))
        table = compute_area(area, r.accepted, 2025, dt.date(2026, 2, 15)).table
        leaked = derivable(table.filter(pl.col("computable")))
        assert not leaked, [
            (x["indicator_id"], x["unit"], x["stratum"], x["period"]) for x in leaked[:5]
        ]


def _sample(area, folder):
    import contextlib
    import io

    from nhvmetrics.cli import main

    out = folder / f"{area}.csv"
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        try:
            main(["sample", "--area", area, "--rows", "300", "--seed", "7", "-o", str(out)])
        except SystemExit as exc:
            assert exc.code in (0, None)
    return {"cases": out}


# ------------------------------------------------------------------------------------------
# [v2] the cells policy: shares whose numerator or complement is small are hidden too


@st.composite
def share_tables(draw):
    """Proportion (or survival) tables whose numerators add up as the denominators do: each
    unit x sex x age band cell has its own cases and its own outcomes."""
    n_units = draw(st.integers(1, 5))
    units = [f"U{i}" for i in range(n_units)]
    sexes = ["K", "M"] + (["unknown"] if draw(st.booleans()) else [])
    bands = draw(st.sampled_from([["0-39", "40-59", "60+"], ["a", "b"]]))
    periods = draw(st.lists(st.sampled_from([2023, 2024]), min_size=1, max_size=2, unique=True))
    kind = draw(st.sampled_from(["proportion", "survival"]))
    rows = []
    for period in periods:
        cells = {}
        for key in [(u, s, b) for u in units for s in sexes for b in bands]:
            den = draw(st.one_of(st.integers(0, 8), st.integers(0, 40)))
            share = draw(st.sampled_from([0.0, 0.05, 0.1, 0.5, 0.9, 0.95, 1.0]))
            cells[key] = (den, min(den, round(den * share)))
        for unit in [*units, "ALL"]:
            us = units if unit == "ALL" else [unit]
            strata = [((), (None, None))]
            strata += [((("sex", s),), (s, None)) for s in sexes]
            strata += [((("age_band", b),), (None, b)) for b in bands]
            strata += [((("sex", s), ("age_band", b)), (s, b)) for s in sexes for b in bands]
            for items, (s0, b0) in strata:
                sel = [
                    v
                    for (u, s, b), v in cells.items()
                    if u in us and s0 in (None, s) and b0 in (None, b)
                ]
                rows.append(
                    {
                        "indicator_id": "x.share",
                        "period": period,
                        "unit": unit,
                        "stratum": _stratum(items),
                        "numerator": sum(n for _, n in sel),
                        "denominator": sum(d for d, _ in sel),
                        "kind": kind,
                    }
                )
    return pl.DataFrame(
        rows,
        schema={
            "indicator_id": pl.String,
            "period": pl.Int64,
            "unit": pl.String,
            "stratum": pl.String,
            "numerator": pl.Int64,
            "denominator": pl.Int64,
            "kind": pl.String,
        },
    )


@SETTINGS
@given(share_tables(), st.integers(3, 8))
def test_cells_policy_no_hidden_share_is_derivable(table, min_count) -> None:
    """With ``policy="cells"`` every share with 1 to min_count - 1 cases, outcomes or
    non-outcomes is hidden, and the attacker who applies every sum (numerators and
    denominators add up over the same sums) recovers none of them."""
    out = apply_suppression(table, min_count, policy="cells")
    assert out.height == table.height
    leaked = derivable(out)
    assert not leaked, leaked[:3]

    def small(v: int) -> bool:
        return 0 < v < min_count

    for r in out.iter_rows(named=True):
        num, den = r["numerator"], r["denominator"]
        if small(den) or small(num) or small(den - num):
            assert r["suppressed"], r


def test_real_engine_output_leaks_nothing_under_the_cells_policy(tmp_path) -> None:
    """The indicator tables of generated exports, computed with ``suppress="cells"``."""
    from nhvmetrics.engine.compute import compute_area
    from nhvmetrics.schema.validate import validate_export

    for area in ("acc", "net", "pelvic"):
        files = _sample(area, tmp_path)
        r = validate_export(area, files, extract_date=dt.date(2026, 2, 15))
        res = compute_area(area, r.accepted, 2025, dt.date(2026, 2, 15), suppress="cells")
        table = res.table.filter(pl.col("computable"))
        leaked = derivable(table)
        assert not leaked, [
            (x["indicator_id"], x["unit"], x["stratum"], x["period"]) for x in leaked[:5]
        ]
        shares = table.filter(pl.col("kind").is_in(["proportion", "survival"]))
        small = shares.filter(
            ((pl.col("numerator") > 0) & (pl.col("numerator") < 5))
            | (
                (pl.col("denominator") - pl.col("numerator") > 0)
                & (pl.col("denominator") - pl.col("numerator") < 5)
            )
        )
        assert small.height > 0 and small["suppressed"].all(), area
