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
REASON_SERIAL = "birth number 000 (never issued)"


def is_shaped(col: pl.Expr) -> pl.Expr:
    """True where the (stripped) value has the shape of a personnummer."""
    return col.str.contains(SHAPE_RE)


def analyse(values: pl.Series, today: dt.date | None = None) -> pl.DataFrame:
    """For a String series of patient ids, a frame (same length and order) with ``shaped`` (bool),
    ``reason`` (String: why a personnummer-shaped id is invalid; null when valid or a pseudonym)
    and ``birth_date`` (Date, from a valid number).

    Each intermediate is materialised once (successive ``with_columns`` in a lazy query), so the
    cost is a handful of integer operations per row.
    """
    today = today or dt.date.today()
    c = pl.col
    lf = (
        pl.LazyFrame({"v": values.cast(pl.String)})
        .with_columns(c("v").str.strip_chars().alias("s"))
        .with_columns(is_shaped(c("s")).fill_null(False).alias("shaped"))
        .with_columns(
            pl.when(c("shaped")).then(c("s").str.replace_all(r"[-+]", "")).alias("digits"),
            c("s").str.contains("+", literal=True).fill_null(False).alias("plus"),
        )
        .with_columns(
            c("digits").str.slice(-10).cast(pl.Int64, strict=False).alias("ten"),
            (c("digits").str.len_bytes() == 12).fill_null(False).alias("n12"),
            c("digits").str.slice(0, 2).cast(pl.Int64, strict=False).alias("cc"),
        )
        .with_columns(
            pl.sum_horizontal([_luhn_term(c("ten"), i) for i in range(10)]).alias("luhn_sum"),
            (c("ten") // 10_000).alias("yymmdd"),
        )
        .with_columns(
            (c("yymmdd") // 10_000).alias("yy"),
            ((c("yymmdd") // 100) % 100).alias("mm"),
            (c("yymmdd") % 100).alias("dd0"),
        )
        .with_columns(
            pl.when(c("dd0") > 60).then(c("dd0") - 60).otherwise(c("dd0")).alias("dd"),
            ((today.year // 100) * 100 + c("yy")).alias("base"),
        )
        .with_columns(
            pl.when(c("n12"))
            .then(c("cc") * 100 + c("yy"))
            .otherwise(
                pl.when(c("base") > today.year).then(c("base") - 100).otherwise(c("base"))
                - pl.when(c("plus")).then(100).otherwise(0)
            )
            .alias("year"),
            pl.when(c("n12")).then(c("cc").is_in([18, 19, 20])).otherwise(True).alias("century_ok"),
        )
        .with_columns(
            (((c("year") % 4 == 0) & (c("year") % 100 != 0)) | (c("year") % 400 == 0)).alias(
                "leap"
            ),
        )
        .with_columns(
            pl.when(c("mm") == 2)
            .then(pl.when(c("leap")).then(29).otherwise(28))
            .when(c("mm").is_in([4, 6, 9, 11]))
            .then(30)
            .otherwise(31)
            .alias("dim"),
        )
        .with_columns(
            (
                c("shaped")
                & c("century_ok")
                & (c("mm") >= 1)
                & (c("mm") <= 12)
                & (c("dd") >= 1)
                & (c("dd") <= c("dim"))
                & (c("year") >= 1800)
            )
            .fill_null(False)
            .alias("date_ok"),
        )
        .with_columns(
            # components clipped to a valid date so pl.date never raises; masked by date_ok
            pl.when(c("date_ok"))
            .then(
                pl.date(
                    c("year").clip(1800, 9999),
                    c("mm").clip(1, 12),
                    pl.min_horizontal(c("dd").clip(1, 31), c("dim").fill_null(28)),
                )
            )
            .alias("birth")
        )
        .with_columns(
            pl.when(~c("shaped"))
            .then(None)
            .when(~c("century_ok"))
            .then(pl.lit(REASON_CENTURY))
            .when(c("birth").is_null())
            .then(pl.lit(REASON_DATE))
            .when(c("birth") > pl.lit(today))
            .then(pl.lit(REASON_FUTURE))
            .when((c("ten") // 10) % 1000 == 0)
            .then(pl.lit(REASON_SERIAL))
            .when(c("luhn_sum") % 10 != 0)
            .then(pl.lit(REASON_LUHN))
            .otherwise(None)
            .cast(pl.String)
            .alias("reason")
        )
        .select(
            "shaped",
            "reason",
            pl.when(c("reason").is_null()).then(c("birth")).otherwise(None).alias("birth_date"),
        )
    )
    return lf.collect()


def _luhn_term(ten: pl.Expr, i: int) -> pl.Expr:
    d = (ten // 10 ** (9 - i)) % 10
    if i % 2:
        return d
    dd = d * 2
    return dd - pl.when(dd > 9).then(9).otherwise(0)


def mask_text(col: pl.Expr) -> pl.Expr:
    """Replace every personnummer-shaped digit run inside a text by ``<personnummer>``.

    Applied twice so that two numbers separated by a single character are both masked.
    """
    repl = "${1}" + MASK + "${2}"
    return col.str.replace_all(_ANYWHERE_RE, repl).str.replace_all(_ANYWHERE_RE, repl)


def mask_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Mask personnummer in every String column of a frame (only columns that hold one are rewritten)."""
    strings = [c for c, t in frame.schema.items() if t == pl.String]
    if not strings or not frame.height:
        return frame
    probe = frame.select(
        [pl.col(c).str.contains(_ANYWHERE_RE).any().alias(c) for c in strings]
    ).row(0, named=True)
    exprs = [mask_text(pl.col(c)).alias(c) for c in strings if probe[c]]
    return frame.with_columns(exprs) if exprs else frame


def valid(values: list[str | None], today: dt.date | None = None) -> list[bool | None]:
    """Convenience for tests and small lists: True valid, False invalid, None not a personnummer."""
    out = analyse(pl.Series("v", values, dtype=pl.String), today)
    return [None if not s else r is None for s, r in zip(out["shaped"], out["reason"])]
