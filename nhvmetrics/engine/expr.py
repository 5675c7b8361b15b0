"""A small, restricted condition language for indicator definitions, compiled to polars.

Conditions in ``indicators/**/*.yaml`` are written so that a registrar can read them::

    first_visit_date is not null and days(referral_date, first_visit_date) <= x_days
    resection_margin in ['R1', 'R2']
    not is_null(death_date) and days(surgery_date, death_date) <= 30

The text is parsed with Python's :mod:`ast` (SQL spellings ``AND``/``OR``/``NOT``, ``=``,
``<>``, ``IS NULL``/``IS NOT NULL``, ``true``/``false``/``null`` are accepted and rewritten
first) and only these constructs are allowed:

* names: canonical column names of the table, parameter names of the definition, and
  ``extract_date`` (the extract date of the run);
* literals: integers, decimals, 'strings', ``true``/``false``/``null``, lists ``[...]``;
* ``and``, ``or``, ``not``; comparisons ``== != < <= > >=`` (chains such as
  ``14 <= x <= 20`` too); ``in [...]`` / ``not in [...]``; ``+ - * /``;
* functions: ``is_null(x)``, ``not_null(x)``, ``days(a, b)`` (whole days from date ``a`` to
  date ``b``, i.e. ``b - a``), ``add_days(d, n)``, ``year(d)``, ``age(birth, at)`` (completed
  years), ``coalesce(a, b, ...)``, ``least(a, b, ...)``, ``greatest(a, b, ...)``,
  ``if_else(cond, a, b)``, ``date('2024-01-01')``.

Logic is SQL's three-valued logic (polars' Kleene logic): a comparison with a missing value is
unknown (null). The engine decides separately what an unknown numerator means (``n_missing``).
"""

from __future__ import annotations

import ast
import datetime as dt
import io
import re
import tokenize
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

FUNCTIONS: dict[str, tuple[int, int | None, str]] = {
    # name: (min args, max args or None, help)
    "is_null": (1, 1, "is_null(x): x is missing"),
    "not_null": (1, 1, "not_null(x): x is present"),
    "days": (2, 2, "days(a, b): whole days from date a to date b (b - a)"),
    "add_days": (2, 2, "add_days(d, n): date d plus n days"),
    "year": (1, 1, "year(d): calendar year of date d"),
    "age": (2, 2, "age(birth, at): completed years of age at date 'at'"),
    "coalesce": (2, None, "coalesce(a, b, ...): first value that is not missing"),
    "least": (2, None, "least(a, b, ...): smallest of the values"),
    "greatest": (2, None, "greatest(a, b, ...): largest of the values"),
    "if_else": (3, 3, "if_else(cond, a, b): a where cond is true, else b"),
    "date": (1, 1, "date('YYYY-MM-DD'): a fixed date"),
}

SPECIAL_NAMES = ("extract_date",)


class ExprError(ValueError):
    """A condition that cannot be parsed or refers to something unknown."""


@dataclass
class Parsed:
    """A parsed condition: its syntax tree and the names it uses."""

    text: str
    tree: ast.expr
    columns: set[str] = field(default_factory=set)
    params: set[str] = field(default_factory=set)
    specials: set[str] = field(default_factory=set)


_SQL_WORDS = {
    "AND": "and",
    "OR": "or",
    "NOT": "not",
    "IN": "in",
    "TRUE": "True",
    "FALSE": "False",
    "NULL": "None",
    "true": "True",
    "false": "False",
    "null": "None",
}


def _normalise(text: str) -> str:
    """Rewrite SQL-ish spellings into Python syntax, token by token (strings untouched)."""
    text = " ".join(str(text).split())
    try:
        toks = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except tokenize.TokenError:
        raise ExprError(f"cannot read '{text}': a bracket or a quote is not closed") from None
    except IndentationError as exc:  # pragma: no cover - whitespace is normalised first
        raise ExprError(f"cannot read '{text}': {exc.msg}") from None
    out: list[tuple[int, str]] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        if t.type == tokenize.NAME and t.string.upper() == "IS":
            # x IS [NOT] NULL  ->  is_null(x) is rewritten at the AST level: use markers
            nxt = [x for x in toks[i + 1 : i + 3]]
            words = [x.string.upper() for x in nxt]
            if words[:1] == ["NULL"]:
                out.append((tokenize.OP, "=="))
                out.append((tokenize.NAME, "__NULL__"))
                i += 2
                continue
            if words[:2] == ["NOT", "NULL"]:
                out.append((tokenize.OP, "!="))
                out.append((tokenize.NAME, "__NULL__"))
                i += 3
                continue
            raise ExprError("'is' may only be used as 'x is null' or 'x is not null'")
        if t.type == tokenize.NAME and t.string in _SQL_WORDS:
            out.append((tokenize.NAME, _SQL_WORDS[t.string]))
        elif t.type == tokenize.OP and t.string == "=":
            out.append((tokenize.OP, "=="))
        elif t.type == tokenize.OP and t.string == "<>":
            out.append((tokenize.OP, "!="))
        elif (
            t.string == "<"
            and i + 1 < len(toks)
            and toks[i + 1].string == ">"
            and toks[i + 1].start == t.end
        ):
            # SQL's <> (Python reads it as < followed by >)
            out.append((tokenize.OP, "!="))
            i += 2
            continue
        elif t.type == tokenize.ERRORTOKEN and t.string == "<":
            out.append((tokenize.OP, "<"))
        elif t.type in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER):
            pass
        else:
            out.append((t.type, t.string))
        i += 1
    return tokenize.untokenize(out).strip()


_ALLOWED_CMP = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn)
_ALLOWED_BIN = (ast.Add, ast.Sub, ast.Mult, ast.Div)


def parse(
    text: str, columns: set[str] | frozenset[str], params: Mapping[str, Any] | set[str]
) -> Parsed:
    """Parse and check a condition; raise :class:`ExprError` with a readable reason."""
    if not isinstance(text, (str, int, float, bool)):
        raise ExprError(f"a condition must be text, got {type(text).__name__}")
    src = _normalise(str(text))
    if not src:
        raise ExprError("the condition is empty")
    try:
        tree = ast.parse(src, mode="eval").body
    except SyntaxError as exc:
        raise ExprError(f"cannot parse '{text}': {exc.msg}") from None
    parsed = Parsed(text=str(text), tree=tree)
    _check(tree, parsed, set(columns), set(params))
    return parsed


def _check(node: ast.AST, p: Parsed, columns: set[str], params: set[str]) -> None:
    if isinstance(node, ast.BoolOp):
        for v in node.values:
            _check(v, p, columns, params)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.USub)):
        _check(node.operand, p, columns, params)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, _ALLOWED_BIN):
        _check(node.left, p, columns, params)
        _check(node.right, p, columns, params)
    elif isinstance(node, ast.Compare):
        for op in node.ops:
            if not isinstance(op, _ALLOWED_CMP):
                raise ExprError(f"operator '{type(op).__name__}' is not allowed")
        _check(node.left, p, columns, params)
        for op, c in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, (ast.In, ast.NotIn)):
                if not isinstance(c, (ast.List, ast.Tuple)):
                    raise ExprError("'in' must be followed by a list such as ['R1', 'R2']")
                for elt in c.elts:
                    if not isinstance(elt, ast.Constant):
                        raise ExprError("the list after 'in' may hold only literal values")
            else:
                _check(c, p, columns, params)
    elif isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            name = getattr(node.func, "id", "?")
            raise ExprError(
                f"unknown function '{name}'; use one of: {', '.join(sorted(FUNCTIONS))}"
            )
        if node.keywords:
            raise ExprError(f"{node.func.id}() takes no keyword arguments")
        lo, hi, helptext = FUNCTIONS[node.func.id]
        n = len(node.args)
        if n < lo or (hi is not None and n > hi):
            raise ExprError(f"wrong number of arguments: {helptext}")
        if node.func.id == "date":
            arg = node.args[0]
            if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                raise ExprError("date() takes a literal 'YYYY-MM-DD'")
            try:
                dt.date.fromisoformat(arg.value)
            except ValueError:
                raise ExprError(f"date('{arg.value}') is not a valid date") from None
            return
        for a in node.args:
            _check(a, p, columns, params)
    elif isinstance(node, ast.Name):
        if node.id in ("__NULL__",):
            return
        if node.id in SPECIAL_NAMES:
            p.specials.add(node.id)
        elif node.id in params:
            p.params.add(node.id)
        elif node.id in columns:
            p.columns.add(node.id)
        else:
            raise ExprError(f"unknown column or parameter '{node.id}'")
    elif isinstance(node, ast.Constant):
        if not isinstance(node.value, (int, float, str, bool, type(None))):
            raise ExprError(f"literal {node.value!r} is not allowed")
    elif isinstance(node, (ast.List, ast.Tuple)):
        raise ExprError("a list is only allowed after 'in'")
    else:
        raise ExprError(f"'{ast.unparse(node)}' is not allowed in a condition")


# ---------------------------------------------------------------- compilation to polars


def compile_expr(parsed: Parsed, params: Mapping[str, Any], extract_date: dt.date | None = None):
    """Turn a parsed condition into a polars expression (parameters become literals)."""
    import polars as pl

    def lit(v: Any):
        if isinstance(v, dt.date):
            return pl.lit(v, dtype=pl.Date)
        if v is None:
            return pl.lit(None)
        return pl.lit(v)

    def c(node: ast.AST):
        if isinstance(node, ast.BoolOp):
            parts = [c(v) for v in node.values]
            out = parts[0]
            for q in parts[1:]:
                out = (out & q) if isinstance(node.op, ast.And) else (out | q)
            return out
        if isinstance(node, ast.UnaryOp):
            inner = c(node.operand)
            return ~inner if isinstance(node.op, ast.Not) else -inner
        if isinstance(node, ast.BinOp):
            a, b = c(node.left), c(node.right)
            op = node.op
            if isinstance(op, ast.Add):
                return a + b
            if isinstance(op, ast.Sub):
                return a - b
            if isinstance(op, ast.Mult):
                return a * b
            return a / b
        if isinstance(node, ast.Compare):
            result = None
            left_node = node.left
            for cmp_op, right_node in zip(node.ops, node.comparators, strict=True):
                part = _cmp(left_node, cmp_op, right_node)
                result = part if result is None else (result & part)
                left_node = right_node
            return result
        if isinstance(node, ast.Call):
            return _call(node)
        if isinstance(node, ast.Name):
            if node.id == "extract_date":
                if extract_date is None:
                    raise ExprError("extract_date is needed but not known")
                return lit(extract_date)
            if node.id in params:
                return lit(params[node.id])
            return pl.col(node.id)
        if isinstance(node, ast.Constant):
            return lit(node.value)
        raise ExprError(f"cannot compile '{ast.unparse(node)}'")  # pragma: no cover

    def _is_null_name(n: ast.AST) -> bool:
        return (
            isinstance(n, ast.Name)
            and n.id == "__NULL__"
            or (isinstance(n, ast.Constant) and n.value is None)
        )

    def _cmp(left: ast.AST, op: ast.cmpop, right: ast.AST):
        if isinstance(op, (ast.In, ast.NotIn)):
            values = [e.value for e in right.elts]  # type: ignore[attr-defined]
            e = c(left)
            res = (
                pl.when(e.is_null()).then(pl.lit(None, dtype=pl.Boolean)).otherwise(e.is_in(values))
            )
            return ~res if isinstance(op, ast.NotIn) else res
        if _is_null_name(right) and isinstance(op, (ast.Eq, ast.NotEq)):
            e = c(left)
            return e.is_null() if isinstance(op, ast.Eq) else e.is_not_null()
        a, b = c(left), c(right)
        if isinstance(op, ast.Eq):
            return a == b
        if isinstance(op, ast.NotEq):
            return a != b
        if isinstance(op, ast.Lt):
            return a < b
        if isinstance(op, ast.LtE):
            return a <= b
        if isinstance(op, ast.Gt):
            return a > b
        return a >= b

    def _call(node: ast.Call):
        name = node.func.id  # type: ignore[attr-defined]
        if name == "date":
            return lit(dt.date.fromisoformat(node.args[0].value))  # type: ignore[attr-defined]
        args = [c(a) for a in node.args]
        if name == "is_null":
            return args[0].is_null()
        if name == "not_null":
            return args[0].is_not_null()
        if name == "days":
            return (args[1] - args[0]).dt.total_days()
        if name == "add_days":
            return args[0] + pl.duration(days=args[1])
        if name == "year":
            return args[0].dt.year().cast(pl.Int64)
        if name == "age":
            return age_years(args[0], args[1])
        if name == "coalesce":
            return pl.coalesce(args)
        if name == "least":
            return pl.min_horizontal(args)
        if name == "greatest":
            return pl.max_horizontal(args)
        if name == "if_else":
            return pl.when(args[0]).then(args[1]).otherwise(args[2])
        raise ExprError(f"unknown function '{name}'")  # pragma: no cover

    return c(parsed.tree)


def age_years(birth, at):
    """Completed years between two date expressions (a birthday counts on its day).

    Uses the exact integer rule ``(YYYYMMDD(at) - YYYYMMDD(birth)) // 10000``; someone born
    on 29 February turns a year older on 1 March in common years.
    """
    import polars as pl

    return ((ymd_int(at) - ymd_int(birth)) // 10000).cast(pl.Int64)


def ymd_int(e):
    """A date expression as the integer YYYYMMDD (null stays null).

    Computed through a lookup table over the range of dates present (numpy), which is several
    times faster than extracting year, month and day for every row.
    """
    import polars as pl

    return e.map_batches(_ymd_batch, return_dtype=pl.Int32, is_elementwise=True)


def _ymd_batch(s):
    import numpy as np
    import polars as pl

    if s.dtype != pl.Date:
        s = s.cast(pl.Date)
    days = s.to_physical()
    valid = days.is_not_null()
    if not valid.any():
        return pl.Series(s.name, [None] * s.len(), dtype=pl.Int32)
    lo, hi = int(days.min()), int(days.max())
    span = np.arange(lo, hi + 1, dtype="int64").astype("datetime64[D]")
    years = span.astype("datetime64[Y]")
    months = span.astype("datetime64[M]")
    table = (
        (years.astype("int64") + 1970) * 10000
        + (months.astype("int64") % 12 + 1) * 100
        + (span - months).astype("int64")
        + 1
    ).astype("int32")
    idx = days.fill_null(lo).to_numpy().astype("int64") - lo
    out = pl.Series(s.name, table[idx], dtype=pl.Int32)
    return out if valid.all() else pl.select(pl.when(valid).then(out)).to_series().alias(s.name)


_IDENT = re.compile(r"^[a-z][a-z0-9_]*$")


def is_identifier(name: str) -> bool:
    return bool(_IDENT.match(name))
