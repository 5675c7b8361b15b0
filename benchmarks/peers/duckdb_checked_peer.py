"""The like-for-like peer: DuckDB SQL that runs the row checks of validation, then aggregates.

    python benchmarks/peers/duckdb_checked_peer.py FILE --year 2025 --extract-date 2026-02-15 \
        -o out.csv

What ``nhvmetrics compute`` does before it aggregates, written the way an analyst would in SQL
(the schema's rules hard-coded for the pelvic area, ``schemas/common.yaml`` + ``pelvic.yaml``):
every column read as text from CSV (natural types from Parquet) and typed with ``TRY_CAST``;
missing-value words and the unknown codes 96/98/99 as NULL; cancelled and demo rows dropped;
then, evaluated on the typed values,

* the personnummer: shape (10 or 12 digits, ``-``/``+`` or nothing), century, a real date
  (samordningsnummer: day + 60), not in the future, a serial other than 000, the Luhn digit;
* the required columns present (patient, case id, unit, sex, referral date), the unit a 5–6 digit
  hospital code, sex 1/2;
* types (dates, integers), code lists (margin, Clavien-Dindo, treatment type, yes/no lists,
  county, indication range), the treating unit's code;
* dates after the extract date; dates before birth or after death; age at referral 0–110;
  date order (referral before first visit, treatment start and assessment; admission before
  discharge);
* duplicate case ids among the kept rows.

As validation does, a failure in a required column (or of the personnummer, or a duplicate id)
leaves the row out; any other failure reads that one cell as unknown (NULL) and keeps the row.
The aggregation is then :mod:`duckdb_peer`'s, on the same table ``c``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import args  # noqa: E402
from duckdb_peer import indicators_sql  # noqa: E402

LAN = ["01", "03", "04", "05", "06", "07", "08", "09", "10", "12", "13", "14", "17", "18"]
LAN += ["19", "20", "21", "22", "23", "24", "25"]
MISSING = ("", "uppgift saknas", "okänd", "okänt")
UNKNOWN = ("96", "98", "99")
DATES = {
    "FODELSEDATUM": "birth",
    "remissdatum": "referral",
    "bedomningsdatum": "assessment",
    "operationsdatum": "surgery",
    "behandlingsstart": "treatment_start",
    "inskrivningsdatum": "admission",
    "utskrivningsdatum": "discharge",
    "AVLIDDAT": "death",
    "VITALSTATUSDATUM": "vital",
    "forsta_besoksdatum": "first_visit",
    "diagnosdatum": "diagnosis",
}
CODES = {  # INCA column -> short name, for the coded and yes/no list variables
    "KON_VALUE": "sex_code",
    "indikation_Värde": "indication",
    "radikalitet_Värde": "margin_code",
    "clavien_dindo_Värde": "clavien",
    "behandlingstyp_Värde": "ttype_code",
    "reoperation_30d_Värde": "reop_code",
    "nationell_mdk_Värde": "mdk_code",
    "skriftlig_vardplan_Värde": "plan_code",
}
TEXT = {
    "PAT_ID": "pid",
    "REG_ID": "case_id",
    "SjukhusKod": "unit",
    "opererande_sjukhuskod": "treatment_unit",
    "LAN_VALUE": "home_region",
    "remitterande_region_Värde": "referring_region",
}


def source(path: Path, present: list[str]) -> str:
    p = str(path).replace("'", "''")
    if path.suffix.lower() == ".csv":  # every column as text, as validation reads it
        return f"read_csv('{p}', delim=';', header=true, all_varchar=true)"
    return f"read_parquet('{p}')"


def _text(col: str) -> str:
    """A cell as trimmed text, NULL for the missing-value words."""
    words = ", ".join(f"'{w}'" for w in MISSING)
    t = f'trim(CAST("{col}" AS VARCHAR))'
    return f"CASE WHEN lower({t}) IN ({words}) THEN NULL ELSE {t} END"


def _code(col: str) -> str:
    """A coded cell as an integer; NULL for missing words and the unknown codes; -1 when it is
    not a whole number (a wrong type, which the code checks then flag)."""
    unk = ", ".join(f"'{u}'" for u in UNKNOWN)
    t = _text(col)
    return (
        f"CASE WHEN ({t}) IS NULL OR ({t}) IN ({unk}) THEN NULL "
        f"ELSE coalesce(TRY_CAST(TRY_CAST(({t}) AS DOUBLE) AS INTEGER), -1) END"
    )


def _date(col: str) -> tuple[str, str]:
    """(the typed date, whether a value was given that is no date)."""
    t = _text(col)
    typed = f"TRY_CAST(({t}) AS DATE)"
    return typed, f"(({t}) IS NOT NULL AND {typed} IS NULL)"


def _luhn(d: str) -> str:
    """The Luhn check of a 10-digit text ``d`` (true when its last digit is right)."""
    terms = []
    for i in range(9):
        v = f"CAST(substr({d}, {i + 1}, 1) AS INTEGER)"
        w = 2 if i % 2 == 0 else 1
        terms.append(f"(({v} * {w}) // 10 + ({v} * {w}) % 10)")
    return f"((10 - ({' + '.join(terms)}) % 10) % 10 = CAST(substr({d}, 10, 1) AS INTEGER))"


def checked_sql(path: Path, columns: list[str], extract: str) -> str:
    ed = f"DATE '{extract}'"
    have = set(columns)
    today = "current_date"

    def col(inca: str, expr: str, short: str) -> str:
        return f"{expr} AS {short}" if inca in have else f"NULL AS {short}"

    typed = []
    for inca, short in TEXT.items():
        typed.append(col(inca, _text(inca), short))
    for inca, short in CODES.items():
        typed.append(col(inca, _code(inca), short))
    for inca, short in DATES.items():
        d, bad = _date(inca)
        typed.append(col(inca, d, short))
        typed.append(col(inca, bad, f"{short}_bad") if inca in have else f"false AS {short}_bad")
    drop = []
    if "MAKULERAD" in have:
        drop.append(f"coalesce(TRY_CAST({_text('MAKULERAD')} AS INTEGER), 0) <> 1")
    if "REGION_NAMN" in have:
        drop.append(f"coalesce({_text('REGION_NAMN')}, '') <> 'Region Demo'")
    where = " AND ".join(drop) or "true"
    # the personnummer, step by step on the digits
    pnr = """
    regexp_full_match(pid, '(?:[0-9]{2})?[0-9]{6}[-+]?[0-9]{4}') AS strict,
    regexp_full_match(pid, '(?:[0-9]{2})?[0-9]{6}[-+ ]?[0-9]{3}[0-9A-Za-z]') AS shaped,
    CASE WHEN regexp_full_match(pid, '(?:[0-9]{2})?[0-9]{6}[-+]?[0-9]{4}')
         THEN regexp_replace(pid, '[-+]', '', 'g') END AS digits,
    contains(coalesce(pid, ''), '+') AS plus"""
    pnr2 = """
    right(digits, 10) AS ten, length(digits) = 12 AS n12,
    TRY_CAST(left(digits, 2) AS INTEGER) AS cc"""
    pnr3 = f"""
    CAST(substr(ten, 1, 2) AS INTEGER) AS yy, CAST(substr(ten, 3, 2) AS INTEGER) AS mm,
    CAST(substr(ten, 5, 2) AS INTEGER) AS dd0, substr(ten, 7, 3) = '000' AS serial0,
    {_luhn("ten")} AS luhn_ok"""
    pnr4 = f"""
    CASE WHEN n12 THEN cc * 100 + yy
         ELSE (CASE WHEN (year({today}) // 100) * 100 + yy > year({today})
                    THEN (year({today}) // 100) * 100 + yy - 100
                    ELSE (year({today}) // 100) * 100 + yy END) - CASE WHEN plus THEN 100 ELSE 0 END
    END AS pyear,
    CASE WHEN n12 THEN cc IN (18, 19, 20) ELSE true END AS century_ok,
    CASE WHEN dd0 > 60 THEN dd0 - 60 ELSE dd0 END AS dd"""
    pnr5 = """
    CASE WHEN strict AND century_ok AND pyear >= 1800
         THEN try_strptime(printf('%04d%02d%02d', pyear, mm, dd), '%Y%m%d') END AS pbirth"""
    pnr_bad = (
        f"(shaped AND (NOT strict OR NOT century_ok OR pbirth IS NULL "
        f"OR CAST(pbirth AS DATE) > {today} OR serial0 OR NOT luhn_ok))"
    )
    dates = list(DATES.values())
    future = {d: f"coalesce({d} > {ed}, false)" for d in dates}
    before_birth = {d: f"coalesce({d} < birth, false)" for d in dates if d not in ("birth",)}
    after_death = {
        d: f"coalesce({d} > death, false)" for d in dates if d not in ("death", "vital", "birth")
    }
    age = (
        "(year(referral) - year(birth) - CASE WHEN month(referral) * 100 + day(referral)"
        " < month(birth) * 100 + day(birth) THEN 1 ELSE 0 END)"
    )
    order = {  # the later date of a date_order rule with on_fail: unknown
        "first_visit": "coalesce(first_visit < referral, false)",
        "treatment_start": "coalesce(treatment_start < referral, false)",
        "assessment": "coalesce(assessment < referral, false)",
        "discharge": "coalesce(discharge < admission, false)",
    }

    def unknown(d: str) -> str:
        """The cell of date ``d`` reads as unknown: no date, in the future, or a rule fails."""
        why = [f"{d}_bad", future[d]]
        if d in before_birth:
            why.append(before_birth[d])
        if d in after_death:
            why.append(after_death[d])
        if d in order:
            why.append(order[d])
        if d == "birth":
            why.append(f"coalesce({age} NOT BETWEEN 0 AND 110, false)")
        return " OR ".join(why)

    lan = ", ".join(f"'{x}'" for x in LAN)
    region = (
        "CASE WHEN regexp_full_match(home_region, '[0-9]') THEN '0' || home_region "
        "ELSE home_region END"
    )
    quarantine = [
        "pid IS NULL",
        pnr_bad,
        "case_id IS NULL",
        "unit IS NULL OR NOT regexp_full_match(unit, '[0-9]{5,6}')",
        "sex_code IS NULL OR sex_code NOT IN (1, 2)",
        "referral IS NULL",
        f"({unknown('referral')})",
        "dup",
    ]
    cell = {  # (typed value, the condition under which it is kept)
        "birth": f"CASE WHEN NOT ({unknown('birth')}) THEN birth END",
        **{
            d: f"CASE WHEN NOT ({unknown(d)}) THEN {d} END"
            for d in dates
            if d not in ("birth", "referral")
        },
    }
    return f"""
CREATE TABLE c AS
WITH typed AS (
  SELECT {", ".join(typed)} FROM {source(path, columns)} WHERE {where}
), p1 AS (SELECT *, {pnr} FROM typed),
p2 AS (SELECT *, {pnr2} FROM p1),
p3 AS (SELECT *, {pnr3} FROM p2),
p4 AS (SELECT *, {pnr4} FROM p3),
p5 AS (SELECT *, {pnr5}, count(*) OVER (PARTITION BY case_id) > 1 AND case_id IS NOT NULL AS dup
       FROM p4),
kept AS (SELECT * FROM p5 WHERE NOT ({" OR ".join(f"({q})" for q in quarantine)}))
SELECT
  pid AS patient,
  unit,
  CASE sex_code WHEN 1 THEN 'M' WHEN 2 THEN 'K' END AS sex,
  {cell["birth"]} AS birth,
  CASE WHEN ({region}) IN ({lan}) THEN ({region}) END AS home_region,
  referral,
  {cell["assessment"]} AS assessment,
  {cell["surgery"]} AS surgery,
  {cell["treatment_start"]} AS treatment_start,
  CASE ttype_code WHEN 1 THEN 'surgery' WHEN 2 THEN 'medical' WHEN 3 THEN 'radiotherapy'
    WHEN 4 THEN 'prrt' WHEN 5 THEN 'other' END AS ttype,
  CASE WHEN regexp_full_match(treatment_unit, '[0-9]{{5,6}}') THEN treatment_unit END
    AS treatment_unit,
  {cell["admission"]} AS admission,
  {cell["discharge"]} AS discharge,
  CASE margin_code WHEN 1 THEN 'R0' WHEN 2 THEN 'R1' WHEN 3 THEN 'R2' WHEN 4 THEN 'RX' END
    AS margin,
  CASE WHEN clavien BETWEEN 0 AND 7 THEN clavien END AS clavien,
  CASE reop_code WHEN 1 THEN true WHEN 0 THEN false END AS reop,
  CASE mdk_code WHEN 1 THEN true WHEN 0 THEN false END AS mdk,
  {cell["death"]} AS death,
  {cell["vital"]} AS vital,
  CASE WHEN indication BETWEEN 1 AND 7 THEN indication END AS indication,
  CASE WHEN ({region.replace("home_region", "referring_region")}) IN ({lan})
    THEN ({region.replace("home_region", "referring_region")}) END AS referring_region,
  {cell["first_visit"]} AS first_visit,
  {cell["diagnosis"]} AS diagnosis,
  CASE plan_code WHEN 1 THEN true WHEN 0 THEN false END AS written_care_plan
FROM kept
"""


def columns_of(con, path: Path) -> list[str]:
    p = str(path).replace("'", "''")
    if path.suffix.lower() == ".csv":
        rel = con.sql(f"SELECT * FROM read_csv('{p}', delim=';', header=true, all_varchar=true)")
    else:
        rel = con.sql(f"SELECT * FROM read_parquet('{p}')")
    return list(rel.columns)


def main(argv=None) -> int:
    a = args(argv)
    con = duckdb.connect()
    con.execute(checked_sql(a.file, columns_of(con, a.file), a.extract_date))
    n = con.execute("SELECT count(*) FROM c").fetchone()[0]
    out = str(a.output).replace("'", "''")
    con.execute(
        f"COPY ({indicators_sql(a.year, a.extract_date)}) TO '{out}' (HEADER, DELIMITER ',')"
    )
    rows = con.execute(f"SELECT count(*) FROM read_csv('{out}')").fetchone()[0]
    print(f"duckdb checked peer: {n} rows accepted, {rows} indicator rows -> {a.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
