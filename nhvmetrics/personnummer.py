"""Personnummer and samordningsnummer: shape, Luhn, validity, masking and keyed pseudonyms.

The one place in nhvmetrics that knows what a Swedish personal identity number looks like. It
imports nothing else of nhvmetrics, so every layer uses it (``errors.py`` included); polars is
imported only inside the functions that work on whole columns, so the command line starts fast.

Two questions are asked of a personnummer, and they have different answers on purpose:

* **Masking** (:func:`find_personnummer`, :func:`mask_text`, :func:`mask_series`): is there a
  *personnummer-shaped token* anywhere in a text?  This is strict about shape and lenient about
  everything else, so that a number is never published because it was typed oddly:

  - 10 or 12 digits: ``YYMMDD`` or ``CCYYMMDD``, then ``NNN`` and a check character;
  - between date and number a hyphen or dash of any kind (``-``, U+2010–U+2015, U+2212), ``+``,
    a space (also no-break, narrow no-break, thin or figure space) or nothing;
  - the check character a digit *whatever its value* (the Luhn digit is not checked) or a letter
    (old systems wrote ``19470101000X``);
  - a plausible date: month 01–12, day 01–31, or 61–91 for a samordningsnummer (day + 60); any
    century in the 12-digit form;
  - token boundaries: not preceded by a digit and not followed by a digit (nor by a letter or
    digit after a letter check character);
  - not a personnummer: digits after ``<digit>.`` (the decimals of a number such as
    ``0.1912121212``), and a run of digits inside 32 or more hexadecimal characters (a SHA-256
    digest, a ``ps_`` pseudonym).

  ISO dates (``2025-01-31``) and timestamps, decimal numbers, row numbers, unit codes, digests and
  pseudonyms therefore never match, and the tests assert both directions.  What can match besides
  a personnummer is a compact ``YYYYMMDDhhmm`` timestamp or a 10/12-digit number whose middle
  reads as a date; those are masked too, which is the safe side.

* **Validation** (:func:`analyse`): is a ``patient_id`` a *valid* personnummer?  Only the forms a
  register writes are valid: ``YYMMDD-NNNC``, ``YYMMDD+NNNC``, ``YYYYMMDD-NNNC`` or the same
  without a separator, with a correct Luhn digit, a real date, a century 18/19/20 and a birth
  date not in the future.  A value that is personnummer-shaped in any other way (a space, an en
  dash, a letter check digit, a number inside other text) has an *invalid format*.

The masking rule is applied by one Python function (:func:`_tokens`); the column functions only
use a vectorised pre-filter (:data:`PREFILTER_RE`, a superset of every token) to find the few
values that need it, so a column of unit codes or dates costs one regex pass.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import polars as pl

MASK = "<personnummer>"
MASK_HTML = "&lt;personnummer&gt;"  # the same mask inside an HTML or XML document
MASK_FILE_NAME = "personnummer"  # in a file name ('<' and '>' are not allowed everywhere)

# --- the shape ---------------------------------------------------------------------------------

#: What may stand between the date and the birth number (besides nothing).
SEPARATORS = "-+ \u00a0\u2007\u2009\u202f\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
_SEP = "[" + SEPARATORS + "]"  # '-' first: a literal in both regex dialects
_MONTH = "(?:0[1-9]|1[0-2])"
_DAY = "(?:0[1-9]|[12][0-9]|3[01]|6[1-9]|[78][0-9]|9[01])"
_TOKEN_RE = re.compile(
    rf"(?<![0-9])(?:[0-9]{{2}})?[0-9]{{2}}{_MONTH}{_DAY}(?P<sep>{_SEP}?)[0-9]{{3}}"
    r"(?:[0-9](?![0-9])|[A-Za-z](?![0-9A-Za-z]))"
)
#: A superset of every token, for a vectorised first pass (Rust regex syntax, no look-around).
PREFILTER_RE = "[0-9]{6}" + _SEP + "?[0-9]{3}[0-9A-Za-z]"
#: A whole value that is one token (no blanks around it): vectorised, the same verdict as the rule.
WHOLE_TOKEN_RE = f"^(?:[0-9]{{2}})?[0-9]{{2}}{_MONTH}{_DAY}{_SEP}?[0-9]{{3}}[0-9A-Za-z]$"  # noqa: E501
#: A whole value (stripped) shaped like a personnummer in any of the forms above, date or not.
LOOSE_SHAPE_RE = "^(?:[0-9]{2})?[0-9]{6}" + _SEP + "?[0-9]{3}[0-9A-Za-z]$"
#: A whole value in a form a register writes: 10 or 12 digits, '-' or '+' or nothing before the
#: last four.
STRICT_SHAPE_RE = r"^(?:[0-9]{2})?[0-9]{6}[-+]?[0-9]{4}$"
_HEX = frozenset("0123456789abcdefABCDEF")
_DIGEST_CHARS = 32  # a run of this many hex characters is a digest or a pseudonym
_PREFILTER = re.compile(PREFILTER_RE)


def _tokens(text: str) -> list[re.Match[str]]:
    """The personnummer-shaped tokens of ``text`` (the masking rule; see the module docstring)."""
    if not _PREFILTER.search(text):
        return []
    out = []
    for m in _TOKEN_RE.finditer(text):
        start, end = m.span()
        if not m.group("sep"):
            if start >= 2 and text[start - 1] == "." and text[start - 2].isdigit():
                continue  # the decimals of a number
            if text[end - 1] in _HEX:
                i, j = start, end
                while i > 0 and text[i - 1] in _HEX:
                    i -= 1
                while j < len(text) and text[j] in _HEX:
                    j += 1
                if j - i >= _DIGEST_CHARS:
                    continue  # inside a digest or a keyed pseudonym
        out.append(m)
    return out


def find_personnummer(text: str) -> list[str]:
    """Every personnummer-shaped token in ``text``, in order (the rule of the module docstring).

    The tests scan every file the commands write with this function: it is the same rule that
    masks, so what the guard lets through the scanner would not find, and the other way round.
    """
    return [m.group(0) for m in _tokens(text)]


def contains_personnummer(text: str) -> bool:
    return bool(_tokens(text))


def mask_text(text: str, mask: str = MASK) -> str:
    """``text`` with every personnummer-shaped token replaced by ``mask``."""
    found = _tokens(text)
    if not found:
        return text
    parts, last = [], 0
    for m in found:
        parts.append(text[last : m.start()])
        parts.append(mask)
        last = m.end()
    parts.append(text[last:])
    return "".join(parts)


def is_personnummer_like(col: pl.Expr) -> pl.Expr:
    """True where a (stripped) value as a whole is shaped like a personnummer in any form."""
    return col.str.strip_chars().str.contains(LOOSE_SHAPE_RE)


def might_contain(col: pl.Expr) -> pl.Expr:
    """The vectorised pre-filter: False where a value certainly holds no token."""
    return col.str.contains(PREFILTER_RE)


def contains_series(values: pl.Series) -> pl.Series:
    """Boolean series: the value holds a personnummer-shaped token (null for null)."""
    import polars as pl

    s = values.cast(pl.String)
    hit = s.str.contains(PREFILTER_RE)
    if not hit.any():
        return hit
    whole = s.str.contains(WHOLE_TOKEN_RE)  # the common case, decided without Python
    rest = (hit & ~whole).fill_null(False)
    if not rest.any():
        return hit & whole
    candidates = s.filter(rest).unique().to_list()
    yes = [v for v in candidates if contains_personnummer(v)]
    return hit & (whole | s.is_in(pl.Series(yes, dtype=pl.String).implode()))


def mask_series(values: pl.Series, mask: str = MASK) -> pl.Series:
    """A String series with every token masked; values without one are left as they are."""
    import polars as pl

    hit = values.str.contains(PREFILTER_RE).fill_null(False)
    if not hit.any():
        return values
    whole = values.str.contains(WHOLE_TOKEN_RE).fill_null(False)
    out = values.zip_with(~whole, pl.Series([mask] * len(values), dtype=pl.String))
    rest = hit & ~whole
    if not rest.any():
        return out
    candidates = values.filter(rest).unique().to_list()
    changed = {v: m for v in candidates if (m := mask_text(v, mask)) != v}
    return out.replace(changed) if changed else out


# --- Luhn and validity -------------------------------------------------------------------------


def luhn_digit_expr(nine: pl.Expr) -> pl.Expr:
    """The Luhn check digit (weights 2-1-2-…) of ``YYMMDDNNN`` given as an integer expression.

    The one implementation of the check digit in nhvmetrics: the validation, the synthetic
    exports and :func:`luhn_digit` use it.
    """
    import polars as pl

    total = pl.lit(0, dtype=pl.Int64)
    for i in range(9):
        d = (nine // 10 ** (8 - i)) % 10
        if i % 2 == 0:
            d = d * 2
            d = d - pl.when(d > 9).then(9).otherwise(0)
        total = total + d
    return (10 - total % 10) % 10


def luhn_digit(nine: str) -> str:
    """The check digit of the nine digits ``YYMMDDNNN`` (for tests and single values)."""
    import polars as pl

    if len(nine) != 9 or not nine.isdigit():
        raise ValueError(f"luhn_digit takes nine digits, got {len(nine)} characters")
    return str(pl.select(luhn_digit_expr(pl.lit(int(nine), dtype=pl.Int64))).item())


REASON_FORMAT = (
    "an invalid format (write YYYYMMDD-NNNC: only '-' or '+' between date and number, "
    "and a digit as check digit)"
)
REASON_LUHN = "a wrong check digit"
REASON_DATE = "an impossible birth date"
REASON_CENTURY = "an impossible century"
REASON_FUTURE = "a birth date in the future"
REASON_SERIAL = "birth number 000 (never issued)"


def analyse(values: pl.Series, today: dt.date | None = None) -> pl.DataFrame:
    """For a String series of patient ids, a frame (same length and order) with ``shaped`` (bool:
    the value is or holds a personnummer, valid or not), ``reason`` (String: why it is not a
    valid one; null when valid or a pseudonym) and ``birth_date`` (Date, from a valid number).

    Whole-column integer arithmetic; only values that hold a token inside other text (rare) are
    looked at one by one.
    """
    import polars as pl

    today = today or dt.date.today()
    c = pl.col
    s = values.cast(pl.String)
    # each text operation once (a repeated string sub-expression costs as much as the rest):
    # the value stripped, whether it is loosely shaped, and (strict forms) its digits
    stripped = s.str.strip_chars()
    loose = stripped.str.contains(LOOSE_SHAPE_RE).fill_null(False)
    # a token inside other text ("P19121212-1212"): personnummer-shaped, and never a valid id
    inside = pl.repeat(False, len(s), dtype=pl.Boolean, eager=True)
    if (~loose).any():
        other = s.filter(~loose)
        inside = inside.scatter(loose.not_().arg_true(), contains_series(other).fill_null(False))
    lf = (
        pl.LazyFrame({"s": stripped, "loose": loose, "inside": inside})
        .with_columns(
            c("s").str.contains(STRICT_SHAPE_RE).fill_null(False).alias("strict"),
            (c("loose") | c("inside")).alias("shaped"),
        )
        .with_columns(
            # a strict form has at most one separator, '-' or '+'; 10 or 12 digits fit an Int64
            pl.when(c("strict"))
            .then(
                c("s")
                .str.replace("-", "", literal=True)
                .str.replace("+", "", literal=True)
                .cast(pl.Int64, strict=False)
            )
            .alias("num"),
            pl.when(c("strict")).then(c("s").str.len_bytes()).alias("width"),
            c("s").str.contains("+", literal=True).fill_null(False).alias("plus"),
            c("s").str.contains("-", literal=True).fill_null(False).alias("minus"),
        )
        .with_columns(
            (c("num") % 10_000_000_000).alias("ten"),
            (c("width") - (c("plus") | c("minus")).cast(pl.UInt32) == 12)
            .fill_null(False)
            .alias("n12"),
            (c("num") // 10_000_000_000).alias("cc"),
        )
        .with_columns(
            (luhn_digit_expr(c("ten") // 10) == c("ten") % 10).alias("luhn_ok"),
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
                c("strict")
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
            .when(~c("strict"))
            .then(pl.lit(REASON_FORMAT))
            .when(~c("century_ok"))
            .then(pl.lit(REASON_CENTURY))
            .when(c("birth").is_null())
            .then(pl.lit(REASON_DATE))
            .when(c("birth") > pl.lit(today))
            .then(pl.lit(REASON_FUTURE))
            .when((c("ten") // 10) % 1000 == 0)
            .then(pl.lit(REASON_SERIAL))
            .when(~c("luhn_ok"))
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


def valid(values: list[str | None], today: dt.date | None = None) -> list[bool | None]:
    """For tests and small lists: True valid, False invalid, None not a personnummer."""
    import polars as pl

    out = analyse(pl.Series("v", values, dtype=pl.String), today)
    return [None if not s else r is None for s, r in zip(out["shaped"], out["reason"], strict=True)]


# --- keyed pseudonyms --------------------------------------------------------------------------

KEY_ENV = "NHVMETRICS_PSEUDONYM_KEY"
MIN_KEY_BYTES = 16
PSEUDONYM_PREFIX = "ps_"
_STRICT = re.compile(r"((?:[0-9]{2})?[0-9]{6})([-+]?)([0-9]{4})")


def normalise_id(value: str) -> str:
    """Canonical form of a patient id before hashing: digits of a personnummer without separator.

    ``19121212-1212``, ``191212121212`` and ``121212-1212`` all become ``191212121212`` when
    the century can be told (a ``+`` separator means 100 years or older); other ids
    (registry pseudonyms) are only stripped of surrounding blanks.
    """
    v = value.strip()
    m = _STRICT.fullmatch(v)
    if not m:
        return v
    date, sep, tail = m.groups()
    if len(date) == 8:
        return date + tail
    return _century(date, sep) + date + tail


def _century(yymmdd: str, sep: str, today: dt.date | None = None) -> str:
    """The century of a 10-digit number, as Skatteverket defines it: the most recent date with
    these digits that is not in the future (``-``), or 100 years before it (``+``, aged 100 or
    more).  The whole date counts, not only the year, so a number keeps its century until the
    person's 100th birthday, when the separator becomes ``+``."""
    today = today or dt.date.today()
    yy, mm, dd = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6])
    if dd > 60:  # samordningsnummer: day + 60
        dd -= 60
    year = (today.year // 100) * 100 + yy
    try:
        future = dt.date(year, mm, dd) > today
    except ValueError:  # not a real date (29 February of another year, …): the year decides
        future = year > today.year
    if future:
        year -= 100
    if sep == "+":
        year -= 100
    return str(year // 100)


def pseudonym(value: str, key: bytes) -> str:
    """``ps_`` + the first 128 bits (hex) of HMAC-SHA-256 of the normalised id under ``key``."""
    digest = hmac.new(key, normalise_id(value).encode("utf-8"), hashlib.sha256).hexdigest()
    return PSEUDONYM_PREFIX + digest[:32]


def pseudonymize_frame(frame: pl.DataFrame, key: bytes, column: str = "patient_id") -> pl.DataFrame:
    """Replace ``column`` of a polars frame with keyed pseudonyms (each distinct id hashed once)."""
    import polars as pl

    if column not in frame.columns:
        return frame
    distinct = frame.get_column(column).cast(pl.String).drop_nulls().unique()
    mapping = pl.DataFrame(
        {column: distinct, "__ps": [pseudonym(v, key) for v in distinct.to_list()]},
        schema={column: pl.String, "__ps": pl.String},
    )
    return (
        frame.with_columns(pl.col(column).cast(pl.String))
        .join(mapping, on=column, how="left", maintain_order="left")
        .with_columns(pl.col("__ps").alias(column))
        .drop("__ps")
    )


def protect_patient_id(frame: pl.DataFrame, key: bytes | None) -> pl.DataFrame:
    """No personnummer leaves convert: keyed pseudonyms with a key, else first-appearance
    numbers."""
    import polars as pl

    if "patient_id" not in frame.columns:
        return frame
    if key is not None:
        return pseudonymize_frame(frame, key)
    pid = pl.col("patient_id").cast(pl.String)
    shaped = is_personnummer_like(pid).fill_null(False)
    digits = pid.str.strip_chars().str.replace_all("[" + SEPARATORS + "]", "")
    numbered = (
        frame.select(digits.alias("d"), shaped.alias("s"))
        .filter(pl.col("s"))
        .select(pl.col("d").str.slice(-10).alias("k"))  # one person, several spellings
        .unique(maintain_order=True)
        .with_row_index("n", offset=1)
        .with_columns(pl.format("pnr-{}", pl.col("n").cast(pl.String).str.zfill(6)).alias("ps"))
        .select("k", "ps")
    )
    if not numbered.height:
        return frame
    out = frame.with_columns(pl.when(shaped).then(digits.str.slice(-10)).alias("__k")).join(
        numbered, left_on="__k", right_on="k", how="left", maintain_order="left"
    )
    return out.with_columns(pl.coalesce("ps", "patient_id").alias("patient_id")).drop("__k", "ps")
