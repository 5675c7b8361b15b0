"""Vectorised personnummer / samordningsnummer checks and masking (polars expressions).

A value is treated as a personnummer when it has the *shape* of one: 10 or 12 digits, optionally
with ``-`` or ``+`` before the last four (``YYMMDD-NNNC``, ``YYMMDDNNNC``, ``YYYYMMDD-NNNC``,
``YYYYMMDDNNNC``; ``+`` means 100 years or older).  Such a value must then be valid:

* Luhn check digit over the ten digits ``YYMMDDNNN`` + ``C``;
* a real calendar date, where a day of 61–91 is a samordningsnummer (day + 60);
* a century of 18, 19 or 20 in the 12-digit form, and a birth date not in the future.

Any other value (``PAT_ID`` integers, letters, other lengths) is a registry **pseudonym** and is
accepted as it is.  The checks are integer arithmetic on whole columns: no Python loop per row.

The PyPI ``personnummer`` package validates one string at a time in Python, about a microsecond
or more per value, which is too slow for 10^7 rows, so it is not used here.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

SHAPE_RE = r"^(?:[0-9]{2})?[0-9]{6}[-+]?[0-9]{4}$"
# a personnummer-shaped run of digits anywhere in a text, not part of a longer digit run
_ANYWHERE_RE = r"(^|[^0-9])(?:[0-9]{8}|[0-9]{6})[-+]?[0-9]{4}([^0-9]|$)"
MASK = "<personnummer>"

REASON_LUHN = "wrong check digit"
REASON_DATE = "impossible birth date"
REASON_CENTURY = "impossible century"
REASON_FUTURE = "birth date in the future"


def is_shaped(col: pl.Expr) -> pl.Expr:
    """True where the (stripped) value has the shape of a personnummer."""
    return col.str.contains(SHAPE_RE)


def analyse(col: pl.Expr, today: dt.date | None = None) -> pl.Expr:
    """A struct expression with ``shaped`` (bool), ``reason`` (String, null when valid or not shaped)
    and ``birth_date`` (Date, from a valid number) for a String column of patient ids."""
    today = today or dt.date.today()
    s = col.str.strip_chars()
    shaped = is_shaped(s).fill_null(False)
    digits = s.str.replace_all(r"[-+]", "", literal=False)
    n12 = digits.str.len_bytes() == 12
    ten = pl.when(shaped).then(digits.str.slice(-10)).cast(pl.Int64, strict=False)
    d = [(ten // 10 ** (9 - i)) % 10 for i in range(10)]
    total = pl.lit(0, dtype=pl.Int64)
    for i, di in enumerate(d):
        if i % 2 == 0:
            dd = di * 2
            total = total + pl.when(dd > 9).then(dd - 9).otherwise(dd)
        else:
            total = total + di
    luhn_ok = (total % 10) == 0
    yymmdd = ten // 10_000
    yy = yymmdd // 10_000
    mm = (yymmdd // 100) % 100
    day = yymmdd % 100
    day = pl.when(day > 60).then(day - 60).otherwise(day)
    century = pl.when(n12).then(digits.str.slice(0, 2).cast(pl.Int64, strict=False)).otherwise(None)
    base = (today.year // 100) * 100 + yy
    short_year = pl.when(base > today.year).then(base - 100).otherwise(base)
    short_year = pl.when(s.str.contains("+", literal=True)).then(short_year - 100).otherwise(short_year)
    year = pl.when(n12).then(century * 100 + yy).otherwise(short_year)
    century_ok = pl.when(n12).then(century.is_in([18, 19, 20])).otherwise(True)
    iso = pl.format(
        "{}-{}-{}",
        year.cast(pl.String).str.zfill(4),
        mm.cast(pl.String).str.zfill(2),
        day.cast(pl.String).str.zfill(2),
    )
    birth = pl.when(shaped & century_ok).then(iso.str.to_date("%Y-%m-%d", strict=False))
    reason = (
        pl.when(~shaped)
        .then(None)
        .when(~century_ok)
        .then(pl.lit(REASON_CENTURY))
        .when(birth.is_null())
        .then(pl.lit(REASON_DATE))
        .when(birth > pl.lit(today))
        .then(pl.lit(REASON_FUTURE))
        .when(~luhn_ok)
        .then(pl.lit(REASON_LUHN))
        .otherwise(None)
    )
    return pl.struct(
        shaped.alias("shaped"),
        reason.cast(pl.String).alias("reason"),
        pl.when(reason.is_null()).then(birth).otherwise(None).alias("birth_date"),
    )


def mask_text(col: pl.Expr) -> pl.Expr:
    """Replace every personnummer-shaped digit run inside a text by ``<personnummer>``.

    Applied twice so that two numbers separated by a single character are both masked.
    """
    repl = "${1}" + MASK + "${2}"
    return col.str.replace_all(_ANYWHERE_RE, repl).str.replace_all(_ANYWHERE_RE, repl)


def mask_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Mask personnummer in every String column of a frame."""
    exprs = [mask_text(pl.col(c)).alias(c) for c, t in frame.schema.items() if t == pl.String]
    return frame.with_columns(exprs) if exprs else frame


def valid(values: list[str | None], today: dt.date | None = None) -> list[bool | None]:
    """Convenience for tests and small lists: True valid, False invalid, None not a personnummer."""
    out = pl.DataFrame({"v": values}, schema={"v": pl.String}).select(analyse(pl.col("v"), today).alias("a"))
    res = []
    for row in out["a"].to_list():
        res.append(None if not row["shaped"] else row["reason"] is None)
    return res
