"""Row checks as polars expressions: each is a boolean mask plus the finding it produces.

A check never loops over rows in Python: :func:`row_checks` returns :class:`RowCheck` objects whose
``mask`` is evaluated over the whole table at once; the findings are then built as polars frames
from the rows where the mask is true.

Check names (the ``check`` column of the findings):

==========================  ========  =====================================================
check                       severity  meaning
==========================  ========  =====================================================
missing_required_column     error     a required column is absent (every row quarantined)
missing_value               error     a required column is empty in this row
wrong_type                  error     not a date / number / yes-no value
invalid_code                error     a code outside the column's code list
out_of_range                error     a number outside the column's range (e.g. mitotane 0–100 mg/L)
invalid_personnummer        error     a personnummer-shaped id with a bad check digit, date or format
personnummer_in_wrong_column error    a personnummer in a column that must not hold one (unit, case id …)
future_date                 error     a date after the extract date (or today)
before_birth                error     a date before ``birth_date``
after_death                 error     a date after ``death_date``
implausible_age             error     age at referral outside 0–110
date_order                  per rule  e.g. referral after treatment start, discharge before admit
duplicate_id                error     the table key (``case_id`` …) occurs more than once
orphan_row                  error     a secondary-table row whose ``case_id`` is not in cases
unknown_column              warning   a column the schema does not know (left out of the outputs)
duplicate_column            error     two input columns for the same canonical column (every row)
control_character           error     a control, zero-width or bidi character in an id or a code
code_as_number              warning   an id or padded code stored as numbers (leading zeros lost)
input_note                  warning   a remark of the reader (e.g. invalid UTF-8 replaced)
==========================  ========  =====================================================
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from nhvmetrics.schema.model import TableSpec
from nhvmetrics.schema.normalize import BIRTH_REPLACED, CONTROL_RE, HIDDEN, PNR_INSIDE, PNR_REASON

RAW = "__raw__"  # prefix of the cleaned-string copy of a column in the work frame
DUPLICATE = "__dup__"  # precomputed duplicate flag of a key column (see duplicated())


def raw(name: str) -> pl.Expr:
    return pl.col(RAW + name)


@dataclass(frozen=True)
class RowCheck:
    check: str
    severity: str
    column: str | None
    mask: pl.Expr  # true where the row fails
    value: pl.Expr  # String: the offending value (masked later)
    message: str | pl.Expr


def _fmt_range(lo, hi) -> str:
    if lo is not None and hi is not None:
        return f"between {lo:g} and {hi:g}"
    if lo is not None:
        return f"at least {lo:g}"
    return f"at most {hi:g}"


def _character_names() -> dict[str, str]:
    """How a finding names each character of :data:`CONTROL_RE` (``U+200B ZERO WIDTH SPACE``)."""
    import unicodedata

    special = {0x00: "NUL", 0x1B: "ESC", 0x7F: "DEL", 0x9B: "CSI"}
    codes = [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)]
    codes += [*range(0x200B, 0x200E), 0x2060, 0xFEFF, *range(0x202A, 0x202F)]
    codes += [*range(0x2066, 0x206A)]
    out = {}
    for cp in codes:
        name = special.get(cp) or unicodedata.name(chr(cp), "control character")
        out[chr(cp)] = f"U+{cp:04X} {name}"
    return out


CHARACTER_NAMES = _character_names()


def _first_hidden(value: pl.Expr) -> pl.Expr:
    """The name of the first control, zero-width or bidi character in ``value``."""
    return (
        value.str.extract(f"({CONTROL_RE})", 1)
        .replace_strict(CHARACTER_NAMES, default="a control character", return_dtype=pl.String)
        .fill_null("a control character")
    )


def _hidden_message(name: str, what: str) -> pl.Expr:
    return pl.format(
        "{} contains a control or invisible character ({}); " + what,
        pl.lit(name),
        _first_hidden(raw(name)),
    )


def row_checks(
    table: TableSpec,
    present: list[str],
    extract_date: dt.date,
    today: dt.date,
    parent_ids: pl.Series | None = None,
    birth_replaced: bool = False,
    flagged: frozenset[str] | set[str] = frozenset(),
) -> list[RowCheck]:
    """Every row check that applies to the columns present in a table.  ``flagged`` names the
    precomputed columns of the work frame (``__hidden__<column>`` of coded columns)."""
    checks: list[RowCheck] = []
    cols = table.columns
    has = set(present)

    for name in present:
        spec = cols[name]
        if spec.required:
            checks.append(
                RowCheck(
                    "missing_value",
                    "error",
                    name,
                    raw(name).is_null(),
                    pl.lit(None, pl.String),
                    f"{name} is required but empty",
                )
            )
        failed = raw(name).is_not_null() & pl.col(name).is_null()
        if spec.type == "string" and (spec.codes is not None or spec.values):
            allowed = ", ".join(spec.codes or sorted(set(spec.values.values())))
            hidden = (HIDDEN + name) in flagged
            checks.append(
                RowCheck(
                    "invalid_code",
                    "error",
                    name,
                    (failed & ~pl.col(HIDDEN + name)) if hidden else failed,
                    raw(name),
                    f"{name} must be one of: {allowed}",
                )
            )
            if hidden:  # K + U+200B looks like K: say why the code is not read
                checks.append(
                    RowCheck(
                        "control_character",
                        "error",
                        name,
                        failed & pl.col(HIDDEN + name),
                        raw(name),  # the output guard shows the character as text
                        _hidden_message(
                            name,
                            f"the code cannot be read (it must be one of: {allowed}): remove "
                            "the character in the register and export again",
                        ),
                    )
                )
        elif spec.type != "string":
            expected = {
                "date": "a date YYYY-MM-DD",
                "int": "a whole number",
                "float": "a number",
                "bool": "yes/no (1/0, Ja/Nej, True/False)",
            }[spec.type]
            message: str | pl.Expr = f"{name} must be {expected}"
            if spec.type == "date":
                # 45660 is how Excel stores 2025-01-03: say so rather than only "must be a date"
                serial = raw(name).str.contains(r"^[1-9][0-9]{4}(\.[0-9]+)?$")
                message = (
                    pl.when(serial)
                    .then(
                        pl.lit(
                            f"{name} must be {expected}; the value looks like an Excel serial "
                            "date number: format the column as a date (YYYY-MM-DD) before "
                            "exporting"
                        )
                    )
                    .otherwise(pl.lit(message))
                )
            checks.append(RowCheck("wrong_type", "error", name, failed, raw(name), message))
        if spec.identifier:
            # an id or code whose exact characters matter: a NUL or ESC means a damaged file, a
            # zero-width or bidi character an id that looks like another one
            bad = raw(name).str.contains(CONTROL_RE).fill_null(False)
            checks.append(
                RowCheck(
                    "control_character",
                    "error",
                    name,
                    bad,
                    raw(name),  # the output guard shows the character as text
                    _hidden_message(
                        name,
                        "the value cannot be trusted as an id (it may look like another one, or "
                        "the file is damaged): remove the character in the register and export "
                        "again",
                    ),
                )
            )
        if spec.range is not None and spec.type in ("int", "float"):
            lo, hi = spec.range
            cond = pl.lit(False)
            if lo is not None:
                cond = cond | (pl.col(name) < lo)
            if hi is not None:
                cond = cond | (pl.col(name) > hi)
            checks.append(
                RowCheck(
                    "out_of_range",
                    "error",
                    name,
                    cond.fill_null(False),
                    raw(name),
                    f"{name} must be {_fmt_range(lo, hi)}",
                )
            )
        if spec.check == "personnummer":
            reason = pl.col(PNR_REASON + name)  # precomputed once by normalize_table
            checks.append(
                RowCheck(
                    "invalid_personnummer",
                    "error",
                    name,
                    reason.is_not_null(),
                    raw(name),
                    pl.format("{} looks like a personnummer but has {}", pl.lit(name), reason),
                )
            )
        elif spec.type == "string":
            checks.append(
                RowCheck(
                    "personnummer_in_wrong_column",
                    "error",
                    name,
                    pl.col(PNR_INSIDE + name),
                    raw(name),
                    f"{name} holds a personnummer, which belongs in patient_id only; correct the "
                    "value in the register",
                )
            )
        if spec.type == "date":
            checks.append(
                RowCheck(
                    "future_date",
                    "error",
                    name,
                    (pl.col(name) > pl.lit(extract_date)).fill_null(False),
                    raw(name),
                    f"{name} is after the extract date {extract_date.isoformat()}",
                )
            )

    if "birth_date" in has and birth_replaced:
        checks.append(
            RowCheck(
                "wrong_type",
                "warning",
                "birth_date",
                pl.col(BIRTH_REPLACED),
                raw("birth_date"),
                "birth_date must be a date YYYY-MM-DD; the birth date of the personnummer is used",
            )
        )

    dates = [c for c in present if cols[c].type == "date"]
    for rule in table.rules:
        p = rule.params
        sev = rule.severity
        if rule.check == "not_before_birth" and p["birth"] in has:
            b = p["birth"]
            for c in dates:
                if c == b:
                    continue
                checks.append(
                    RowCheck(
                        "before_birth",
                        sev,
                        c,
                        (pl.col(c) < pl.col(b)).fill_null(False),
                        _pair(c, b),
                        f"{c} is before {b}",
                    )
                )
        elif rule.check == "not_after_death" and p["death"] in has:
            d = p["death"]
            skip = {d, *(p.get("except") or [])}
            for c in dates:
                if c in skip:
                    continue
                checks.append(
                    RowCheck(
                        "after_death",
                        sev,
                        c,
                        (pl.col(c) > pl.col(d)).fill_null(False),
                        _pair(c, d),
                        f"{c} is after {d}",
                    )
                )
        elif rule.check == "date_order" and p["before"] in has and p["after"] in has:
            a, b = p["before"], p["after"]
            checks.append(
                RowCheck(
                    "date_order",
                    sev,
                    b,
                    (pl.col(a) > pl.col(b)).fill_null(False),
                    _pair(a, b),
                    f"{a} is after {b}",
                )
            )
        elif rule.check == "age_range" and p["birth"] in has and p["at"] in has:
            b, at = p["birth"], p["at"]
            age = _age(pl.col(b), pl.col(at))
            checks.append(
                RowCheck(
                    "implausible_age",
                    sev,
                    at,
                    ((age < p["min"]) | (age > p["max"])).fill_null(False),
                    pl.format("age {}", age),
                    f"age at {at} must be between {p['min']} and {p['max']} years",
                )
            )

    if table.key and table.key in has:
        k = table.key
        checks.append(
            RowCheck(
                "duplicate_id",
                "error",
                k,
                pl.col(DUPLICATE + k),
                raw(k),
                f"{k} occurs more than once in the table",
            )
        )
    if table.parent and parent_ids is not None and table.parent[1] in has:
        ptable, pcol = table.parent
        checks.append(
            RowCheck(
                "orphan_row",
                "error",
                pcol,
                (raw(pcol).is_not_null() & ~raw(pcol).is_in(parent_ids.implode())),
                raw(pcol),
                f"{pcol} is not in the {ptable} table",
            )
        )
    return checks


def _pair(a: str, b: str) -> pl.Expr:
    return pl.format(
        "{}={}, {}={}",
        pl.lit(a),
        pl.col(a).dt.strftime("%Y-%m-%d"),
        pl.lit(b),
        pl.col(b).dt.strftime("%Y-%m-%d"),
    )


def _age(birth: pl.Expr, at: pl.Expr) -> pl.Expr:
    """Whole years between two dates (birthday not yet reached → one less)."""
    years = at.dt.year() - birth.dt.year()
    before_birthday = (at.dt.month() * 100 + at.dt.day()) < (
        birth.dt.month() * 100 + birth.dt.day()
    )
    return years.cast(pl.Int64) - before_birthday.cast(pl.Int64)


def duplicated(values: pl.Series) -> pl.Series:
    """True where a non-null value occurs more than once.

    Hashes first (a 64-bit hash per value is much cheaper to compare than the strings), then
    confirms the candidates exactly, so a hash collision can never produce a finding.
    """
    n = values.len()
    h = values.hash()
    # equal hashes are neighbours once sorted: a sort of 8-byte integers is several times faster
    # than a hash table over them (≈ 0.25 s against ≈ 1.1 s at 10^7 rows)
    order = h.arg_sort()
    sh = h.gather(order)
    same = (sh == sh.shift(1)).fill_null(False) | (sh == sh.shift(-1)).fill_null(False)
    cand = pl.repeat(False, n, dtype=pl.Boolean, eager=True).scatter(order.filter(same), True)
    cand = (cand & values.is_not_null()).alias(values.name)
    if not cand.any():
        return cand
    idx = cand.arg_true()
    exact = values.gather(idx).is_duplicated()
    return cand.scatter(idx.filter(~exact), False)
