"""The pelvic indicators as DuckDB SQL, the way an analyst writes them.

    python benchmarks/peers/duckdb_peer.py FILE --year 2025 --extract-date 2026-02-15 -o out.csv

One ``CREATE TABLE`` of the needed columns (cancelled and demo rows dropped, INCA codes mapped),
then one query per indicator with ``GROUPING SETS ((unit, period), (period))`` for the unit rows
and the ``ALL`` rows, every year up to the reporting year, ``UNION ALL``-ed into one result.
No validation: on a clean export its numbers equal ``nhvmetrics compute``'s.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import AGE_BANDS, DATE_COLUMNS, OUTPUT, PARAMS, STRING_COLUMNS, args  # noqa: E402


def source(path: Path) -> str:
    p = str(path).replace("'", "''")
    if path.suffix.lower() == ".csv":
        types = {c: "VARCHAR" for c in STRING_COLUMNS} | {c: "DATE" for c in DATE_COLUMNS}
        t = ", ".join(f"'{k}': '{v}'" for k, v in types.items())
        return f"read_csv('{p}', delim=';', decimal_separator=',', header=true, types={{{t}}})"
    return f"read_parquet('{p}')"


def load_sql(path: Path) -> str:
    return f"""
CREATE TABLE c AS
SELECT
  "PAT_ID" AS patient,
  "SjukhusKod" AS unit,
  CASE "KON_VALUE" WHEN 1 THEN 'M' WHEN 2 THEN 'K' END AS sex,
  "FODELSEDATUM" AS birth,
  "LAN_VALUE" AS home_region,
  "remissdatum" AS referral,
  "bedomningsdatum" AS assessment,
  "operationsdatum" AS surgery,
  "behandlingsstart" AS treatment_start,
  CASE "behandlingstyp_Värde" WHEN 1 THEN 'surgery' WHEN 2 THEN 'medical' WHEN 3 THEN 'radiotherapy'
    WHEN 4 THEN 'prrt' WHEN 5 THEN 'other' END AS ttype,
  "opererande_sjukhuskod" AS treatment_unit,
  "inskrivningsdatum" AS admission,
  "utskrivningsdatum" AS discharge,
  CASE "radikalitet_Värde" WHEN 1 THEN 'R0' WHEN 2 THEN 'R1' WHEN 3 THEN 'R2' WHEN 4 THEN 'RX'
    END AS margin,
  "clavien_dindo_Värde" AS clavien,          -- 0 none, 1 I, 2 II, 3 IIIa, 4 IIIb, 5 IVa, 6 IVb, 7 V
  CASE "reoperation_30d_Värde" WHEN 1 THEN true WHEN 0 THEN false END AS reop,
  CASE "nationell_mdk_Värde" WHEN 1 THEN true WHEN 0 THEN false END AS mdk,
  "AVLIDDAT" AS death,
  "VITALSTATUSDATUM" AS vital
FROM {source(path)}
WHERE coalesce(CAST("MAKULERAD" AS INTEGER), 0) <> 1
  AND coalesce("REGION_NAMN", '') <> 'Region Demo'
"""


def _unit():
    return "CASE WHEN grouping(unit) = 1 THEN 'ALL' ELSE unit END"


def count(ind: str, date: str, y: int) -> str:
    return f"""
SELECT '{ind}' AS indicator_id, year({date}) AS period, {_unit()} AS unit, 'all' AS stratum,
       count(*) AS numerator, NULL AS denominator, CAST(count(*) AS DOUBLE) AS value,
       NULL AS q1, NULL AS q3, 0 AS n_missing, 0 AS n_pending
FROM c WHERE {date} IS NOT NULL AND year({date}) <= {y}
GROUP BY GROUPING SETS ((unit, year({date})), (year({date})))"""


def duration(
    ind: str, date: str, value: str, y: int, base: str = "c", pending: str = "false"
) -> str:
    return f"""
SELECT '{ind}', year({date}), {_unit()}, 'all',
       NULL, count(v), quantile_cont(v, 0.5), quantile_cont(v, 0.25), quantile_cont(v, 0.75),
       count_if(v IS NULL AND NOT p), count_if(v IS NULL AND p)
FROM (SELECT *, {value} AS v, coalesce(({pending}), false) AS p FROM {base}) t
WHERE {date} IS NOT NULL AND year({date}) <= {y}
GROUP BY GROUPING SETS ((unit, year({date})), (year({date})))"""


def distinct(ind: str, stratum: str, date: str, column: str, y: int) -> str:
    return f"""
SELECT '{ind}', year({date}), {_unit()}, '{stratum}',
       count(DISTINCT {column}), NULL, CAST(count(DISTINCT {column}) AS DOUBLE), NULL, NULL, 0, 0
FROM c WHERE {date} IS NOT NULL AND year({date}) <= {y}
GROUP BY GROUPING SETS ((unit, year({date})), (year({date})))"""


def treatments(ind: str, y: int) -> str:
    """Operations by their date and other first treatments by theirs, counted together."""
    other = (
        "(ttype <> 'surgery' OR "
        "(ttype IS NULL AND (surgery IS NULL OR treatment_start <> surgery)))"
    )
    return f"""
SELECT '{ind}', year(d), {_unit()}, 'all',
       count(*), NULL, CAST(count(*) AS DOUBLE), NULL, NULL, 0, 0
FROM (SELECT unit, surgery AS d FROM c WHERE surgery IS NOT NULL
      UNION ALL
      SELECT unit, treatment_start FROM c WHERE treatment_start IS NOT NULL AND {other}) t
WHERE year(d) <= {y}
GROUP BY GROUPING SETS ((unit, year(d)), (year(d)))"""


def proportion(
    ind: str,
    stratum: str,
    date: str,
    num: str,
    y: int,
    pending: str = "NULL",
    missing: str = "NULL",
) -> str:
    status = (
        f"CASE WHEN coalesce(({num}), false) THEN 1 WHEN coalesce(({pending}), false) THEN 3 "
        f"WHEN ({num}) IS NULL OR coalesce(({missing}), false) THEN 2 ELSE 0 END"
    )
    return f"""
SELECT '{ind}', year({date}), {_unit()}, '{stratum}',
       count_if(s = 1), count_if(s <= 1),
       CASE WHEN count_if(s <= 1) > 0 THEN count_if(s = 1) / count_if(s <= 1) END,
       NULL, NULL, count_if(s = 2), count_if(s = 3)
FROM (SELECT *, {status} AS s FROM c) t
WHERE {date} IS NOT NULL AND year({date}) <= {y}
GROUP BY GROUPING SETS ((unit, year({date})), (year({date})))"""


def distribution(ind: str, name: str, cat: str, y: int) -> str:
    return f"""
SELECT '{ind}', year(referral), {_unit()}, 'all',
       count({cat}), NULL, CAST(count({cat}) AS DOUBLE), NULL, NULL, count(*) - count({cat}), 0
FROM c WHERE referral IS NOT NULL AND year(referral) <= {y}
GROUP BY GROUPING SETS ((unit, year(referral)), (year(referral)))
UNION ALL
SELECT '{ind}', period, unit, '{name}=' || cat, n, den, n / den, NULL, NULL, 0, 0
FROM (
  SELECT year(referral) AS period, {_unit()} AS unit, {cat} AS cat, count(*) AS n,
         sum(count(*)) OVER (PARTITION BY year(referral), {_unit()}) AS den
  FROM c WHERE referral IS NOT NULL AND year(referral) <= {y} AND {cat} IS NOT NULL
  GROUP BY GROUPING SETS ((unit, year(referral), {cat}), (year(referral), {cat}))
)"""


def indicators_sql(y: int, extract: str) -> str:
    ed = f"DATE '{extract}'"
    age = (
        "(year(referral) - year(birth) - CASE WHEN month(referral) * 100 + day(referral)"
        " < month(birth) * 100 + day(birth) THEN 1 ELSE 0 END)"
    )
    band = (
        "CASE "
        + " ".join(f"WHEN {age} >= {lo} THEN '{label}'" for lo, label in reversed(AGE_BANDS))
        + " END"
    )
    since = f"datediff('day', surgery, {ed})"
    w = PARAMS["window_days"]
    cd3 = "clavien >= 3"  # a grade not recorded is unknown (NULL); 0 = no complication
    first = "coalesce(treatment_start, surgery)"  # the first treatment or procedure
    parts = [
        count("pelvic.referrals", "referral", y),
        distinct("pelvic.referrals", "measure=patients", "referral", "patient", y),
        treatments("pelvic.treatments", y),
        duration(
            "pelvic.length_of_stay",
            "coalesce(discharge, surgery)",
            "datediff('day', admission, discharge)",
            y,
            pending=f"discharge IS NULL AND {since} <= {PARAMS['admitted_days']}",
        ),
        duration(
            "pelvic.referral_to_assessment_days",
            "coalesce(assessment, referral)",
            "datediff('day', referral, assessment)",
            y,
            pending=(
                f"assessment IS NULL AND datediff('day', referral, {ed}) <= "
                f"{PARAMS['pending_days']}"
            ),
        ),
        duration(
            "pelvic.referral_to_treatment_days", first, f"datediff('day', referral, {first})", y
        ),
        proportion(
            "pelvic.referral_to_treatment_days",
            "measure=within_x",
            first,
            f"datediff('day', referral, {first}) <= {PARAMS['x_days']}",
            y,
        ),
        proportion("pelvic.treated_at_other_unit", "all", "surgery", "treatment_unit <> unit", y),
        *[
            proportion(
                f"pelvic.mortality_{n}d",
                "all",
                "surgery",
                f"death IS NOT NULL AND datediff('day', surgery, death) <= {n}",
                y,
                pending=f"{since} < {n}",
                missing=f"death IS NULL AND datediff('day', surgery, vital) < {n}",
            )
            for n in (30, 90)
        ],
        proportion(
            "pelvic.r0",
            "all",
            "surgery",
            "margin = 'R0'",
            y,
            missing="margin NOT IN ('R0', 'R1', 'R2')",
        ),
        proportion(
            "pelvic.complications", "all", "surgery", f"{cd3} OR reop", y, pending=f"{since} < {w}"
        ),
        proportion(
            "pelvic.complications",
            "measure=clavien_3a_plus",
            "surgery",
            cd3,
            y,
            pending=f"{since} < {w}",
        ),
        proportion(
            "pelvic.complications",
            "measure=reoperation_30d",
            "surgery",
            "reop",
            y,
            pending=f"{since} < {w}",
        ),
        proportion("pelvic.national_mdk", "all", "referral", "mdk", y),
        distribution("pelvic.sex", "sex", "sex", y),
        distribution("pelvic.home_region", "home_region", "home_region", y),
        duration("pelvic.age", "referral", age, y),
        distribution("pelvic.age", "age_band", band, y).split("UNION ALL", 1)[1],
    ]
    cols = ", ".join(OUTPUT)
    order = "ORDER BY indicator_id, period, unit, stratum"
    return f"SELECT * FROM (\n{' UNION ALL '.join(parts)}\n) AS r({cols}) {order}"


def main(argv=None) -> int:
    a = args(argv)
    con = duckdb.connect()
    con.execute(load_sql(a.file))
    n = con.execute("SELECT count(*) FROM c").fetchone()[0]
    out = str(a.output).replace("'", "''")
    con.execute(
        f"COPY ({indicators_sql(a.year, a.extract_date)}) TO '{out}' (HEADER, DELIMITER ',')"
    )
    rows = con.execute(f"SELECT count(*) FROM read_csv('{out}')").fetchone()[0]
    print(f"duckdb peer: {n} rows, {rows} indicator rows -> {a.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
