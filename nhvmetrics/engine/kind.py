"""The protocol every indicator kind follows, and what the generic runner hands it.

An indicator *kind* (``proportion``, ``duration``, ``count``, ``distribution``, ``survival``,
``prem``) is one module in :mod:`nhvmetrics.engine.kinds` holding one :class:`Kind` subclass,
registered by name.  The kind owns everything that differs between kinds:

* **parsing** its own part of a definition file (:meth:`Kind.parse`) into its own frozen
  dataclass (a :class:`KindSpec`); the common part (id, version, titles, source, period,
  params, population, exclusions, stratifiers, targets, tests) is parsed once by
  :mod:`nhvmetrics.engine.definitions` into the shared ``Definition``, which holds the spec;
* **planning** the computation (:meth:`Kind.plan`): a :class:`Plan` dataclass with the
  expressions it adds to the table, its aggregations over the joint key (unit, period, every
  stratifier, and the plan's own ``keys``), the sums its margins add up, and
  :meth:`Plan.rows`, which turns one margin (per unit or ``ALL`` × stratum) into output rows;
* **describing** itself to the report and the catalogue: the kind of its main row
  (:meth:`Kind.row_kind`), what its value measures (:meth:`Kind.value_axis`), its named
  sub-rows (:meth:`Kind.sub_strata`, :meth:`Kind.stratum_titles`) and its catalogue text
  (:meth:`Kind.type_text`, :meth:`Kind.catalogue`).

The runner (:mod:`nhvmetrics.engine.compute`) does the rest, the same way for every kind: the
base frame, the passes over it, the margins, the rows every unit and period gets even when
empty, confidence intervals, order and suppression.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, Generic, NoReturn, TypeVar

import polars as pl

from nhvmetrics.engine.expr import ExprError, Parsed, compile_expr, parse
from nhvmetrics.engine.strata import DERIVED_STRATIFIERS, age_band_column

if TYPE_CHECKING:
    from nhvmetrics.engine.definitions import Definition

ALL = "ALL"

#: the kinds of rows in the indicator table (its ``kind`` column: how a row's value reads)
ROW_KINDS = ("count", "proportion", "median", "distribution", "survival")

#: the columns (and types) of the rows a plan returns; the runner adds the rest
ROW_TYPES: dict[str, Any] = {
    "unit": pl.String,
    "period": pl.Int64,
    "stratum": pl.String,
    "numerator": pl.Int64,
    "denominator": pl.Int64,
    "value": pl.Float64,
    "q1": pl.Float64,
    "q3": pl.Float64,
    "n_missing": pl.Int64,
    "n_pending": pl.Int64,
    "kind": pl.String,
    "ci_low": pl.Float64,
    "ci_high": pl.Float64,
}


class DefinitionProblem(Exception):
    """A problem in one part of a definition; the loader puts the file name in front of it."""


# ---------------------------------------------------------------- parsing


@dataclass(frozen=True)
class KindSpec:
    """A kind's own part of a definition (each kind subclasses it as a frozen dataclass)."""

    def expressions(self) -> tuple[Parsed, ...]:
        """Every condition and expression of the part (their columns are read)."""
        return ()

    def columns(self) -> frozenset[str]:
        """Canonical columns of the definition's table this part reads."""
        out: set[str] = set()
        for p in self.expressions():
            out |= p.columns
        return frozenset(out)

    def derived(self) -> frozenset[str]:
        """Derived strata (``age_band``) this part reads besides the stratifiers."""
        return frozenset()

    def distinct_columns(self) -> frozenset[str]:
        """Columns whose distinct values the part counts (``patient_id``).  The runner gives
        the plan each as an exact integer code (:func:`nhvmetrics.engine.compute.id_codes`),
        whatever its type in the input."""
        return frozenset()


@dataclass(frozen=True)
class ParseContext:
    """What a kind's parser is given: the raw mapping and the checked common part."""

    raw: Mapping[str, Any]
    type_name: str  # the ``type:`` as written (a kind's name or one of its aliases)
    area: str
    table: str
    columns: Mapping[str, str]  # canonical column -> schema type (string, int, date ...)
    params: Mapping[str, Any]
    period_date: str

    @staticmethod
    def fail(message: str) -> NoReturn:
        """Stop with one sentence about the definition (the loader adds the file)."""
        raise DefinitionProblem(message)

    def expr(self, key: str, text: Any) -> Parsed:
        """Parse a condition or expression of field ``key`` against the table's columns."""
        try:
            return parse(text, set(self.columns), self.params)
        except ExprError as exc:
            raise DefinitionProblem(f"{key}: {exc}.") from None

    def optional_expr(self, key: str, src: Mapping[str, Any] | None = None) -> Parsed | None:
        v = (self.raw if src is None else src).get(key)
        return None if v in (None, "") else self.expr(key, v)

    def is_date(self, column: Any) -> bool:
        return isinstance(column, str) and self.columns.get(column) == "date"

    @property
    def stratifier_columns(self) -> set[str]:
        """Columns a stratifier or a category may name: the table's and the derived ones."""
        return set(self.columns) | set(DERIVED_STRATIFIERS)


@dataclass(frozen=True)
class CatalogueRows:
    """A kind's lines in the catalogue and ``indicators show``, in three places: what it
    counts (after the period), its rule (after population and exclusions) and its named parts
    (after the optional columns)."""

    counted: tuple[tuple[str, str], ...] = ()
    rule: tuple[tuple[str, str], ...] = ()
    parts: tuple[tuple[str, str], ...] = ()


# ---------------------------------------------------------------- planning


@dataclass(frozen=True)
class Period:
    """A column that places a case in a period (the year of its date plus the offset).

    ``shared`` periods are the bare year of the period date: the plan folds the population
    into its aggregations, so every such plan over the same date shares one pass over the table
    (the runner fuses them).  Other periods are null outside the population.
    """

    name: str
    expr: pl.Expr
    shared: bool = False
    #: columns set for the cases of this period only (an event that sets its own stratum)
    columns: tuple[pl.Expr, ...] = ()


@dataclass(frozen=True)
class PlanContext:
    """What a kind's planner is given for one definition."""

    index: int  # the definition's position in the pass: makes its column names unique
    definition: Definition
    params: Mapping[str, Any]  # the parameter values of this run
    extract_date: dt.date
    #: inputs of the run besides the export, by name (``coverage``: the expected counts)
    inputs: Mapping[str, Any] = field(default_factory=dict)

    def compile(self, parsed: Parsed) -> pl.Expr:
        return compile_expr(parsed, self.params, self.extract_date)

    def name(self, stem: str) -> str:
        """A column name of this definition's own (``__s3``, ``__v3_x`` ...)."""
        return f"__{stem}{self.index}"

    @property
    def has_population(self) -> bool:
        d = self.definition
        return d.population is not None or bool(d.exclusions)

    @cached_property
    def _excluded(self) -> pl.Expr:
        out = pl.lit(False)
        for ex in self.definition.exclusions:
            out = out | self.compile(ex).fill_null(False)
        return out

    @cached_property
    def population(self) -> pl.Expr:
        """True where the case meets ``population`` and no ``exclusions`` (unknown: false)."""
        d = self.definition
        pop = pl.lit(True)
        if d.population is not None:
            pop = pop & self.compile(d.population).fill_null(False)
        return pop & ~self._excluded

    @cached_property
    def population_unknown(self) -> pl.Expr:
        """True where it is unknown whether the case belongs to the population (the condition
        needs a value the case lacks, e.g. an unknown treatment intent) and no exclusion holds:
        such a case belongs to the year but cannot be counted, so every kind counts it in
        ``n_missing``, never silently leaves it out."""
        d = self.definition
        if d.population is None:
            return pl.lit(False)
        return self.compile(d.population).is_null() & ~self._excluded

    def year_of(self, column: str | None = None) -> pl.Expr:
        """The period a date places a case in: its year plus the definition's offset
        (``column`` None: the definition's period date, a column or an expression)."""
        off = self.definition.period_offset_years
        date = self.definition.period_expr() if column is None else pl.col(column)
        return (date.dt.year().cast(pl.Int16) + off).cast(pl.Int16)

    def own_period(
        self,
        column: str | None = None,
        *,
        when: pl.Expr | None = None,
        suffix: str = "",
        unknown: bool = False,
    ) -> Period:
        """This definition's period column: the period of ``column`` (default the period
        date) where the case is in the population (and ``when`` holds), else null.  With
        ``unknown``, cases whose population is unknown get their period too: the plan then
        counts them in ``n_missing`` (see :attr:`population_unknown`)."""
        ok = self.population if when is None else self.population & when
        if unknown:
            ok = ok | (self.population_unknown if when is None else self.population_unknown & when)
        year = self.year_of(column)
        return Period(self.name("p") + suffix, pl.when(ok).then(year))

    def shared_period(self) -> Period:
        """The bare period of the period date, shared by every plan over the same date."""
        d = self.definition
        name = f"__y_{d.period_key}_{d.period_offset_years}"
        return Period(name, self.year_of().alias(name), shared=True)

    @property
    def age_band_column(self) -> str:
        return age_band_column(self.definition.period_key)


@dataclass(frozen=True)
class Margin:
    """One margin of a plan's joint result: its sums per (unit,) period (, stratum value)
    (, the plan's keys).  ``frame`` has no ``unit`` column in the margin over all units."""

    frame: pl.DataFrame
    period: str  # the column holding the period
    stratifier: str | None = None  # sex, age_band ... (None: the ``all`` stratum)
    column: str | None = None  # the column holding the stratifier's value

    @property
    def keys(self) -> list[str]:
        """The group of one output row: (unit,) period (, stratum value)."""
        unit = ["unit"] if "unit" in self.frame.columns else []
        return unit + [self.period] + ([self.column] if self.column else [])

    def label(self, extra: str | None = None) -> pl.Expr:
        """The ``stratum`` text: a named part first, then the stratifier (``sex=K``)."""
        return stratum_label(self.stratifier, self.column, extra)

    def period_expr(self) -> pl.Expr:
        return pl.col(self.period).cast(pl.Int64).alias("period")


def stratum_label(strat: str | None, scol: str | None, extra: str | None = None) -> pl.Expr:
    """``all``, ``sex=K``, ``measure=x``, ``measure=x;sex=K`` (a missing value: ``unknown``)."""
    parts: list[pl.Expr] = []
    if extra:
        parts.append(pl.lit(extra))
    if strat is not None and scol is not None:
        parts.append(
            pl.format("{}={}", pl.lit(strat), pl.col(scol).cast(pl.String).fill_null("unknown"))
        )
    if not parts:
        return pl.lit("all")
    if len(parts) == 1:
        return parts[0]
    return pl.concat_str(parts, separator=";")


def unit_of(frame: pl.DataFrame) -> pl.Expr:
    """The ``unit`` of output rows made from ``frame`` (``ALL`` in the margin over units)."""
    return pl.col("unit") if "unit" in frame.columns else pl.lit(ALL).alias("unit")


def row_frame(df: pl.DataFrame) -> pl.DataFrame:
    """Output rows with every column of :data:`ROW_TYPES` (absent ones null), in order."""
    return df.select(
        [
            pl.col(c).cast(t) if c in df.columns else pl.lit(None, dtype=t).alias(c)
            for c, t in ROW_TYPES.items()
        ]
    )


@dataclass(frozen=True, kw_only=True)
class Plan(ABC):
    """How one definition is computed; each kind subclasses it with what its rows need.

    The runner adds ``exprs`` and the period column(s) to the table, keeps the cases whose
    period is known and not after the reporting year, groups them by unit, period, every
    stratifier and ``keys``, and aggregates ``aggs``.  From that joint result it builds every
    margin (per unit and ``ALL`` × each stratifier) by adding up the :attr:`sums` over the
    keys the margin drops, and hands each to :meth:`rows`.  Statistics that do not add up
    (medians, survival) keep what they need in ``keys`` (the value, the time) and are computed
    in :meth:`rows` from the margin's value counts.

    Several ``periods`` (a count of several kinds of events) give one group-by per period
    column, stacked under the first period's name.
    """

    periods: tuple[Period, ...]
    exprs: tuple[pl.Expr, ...] = ()
    aggs: tuple[pl.Expr, ...] = ()
    keys: tuple[str, ...] = ()
    #: how a margin is made from the joint result, when not by summing ``sums`` over the
    #: dropped keys: aggregations over the margin's keys alone (the plan's ``keys`` are then
    #: aggregated away, e.g. counted as distinct patients)
    margin_aggs: tuple[pl.Expr, ...] = ()
    #: with ``margin_aggs`` and one key: the same aggregations over the cases of keys that
    #: have no other case in their period (a patient with one case in the year), as sums that
    #: add up over any keys, each named as the margin's column; they read ``row_values``. The
    #: runner adds those cases up once, and only the keys with several cases in a period get
    #: joint rows and go through ``margin_aggs`` (a joint row per patient, and ``n_unique``
    #: over millions of patients once per margin, are costly)
    single_sums: tuple[pl.Expr, ...] = ()
    #: with ``single_sums``: per case, the value each of ``aggs`` takes over that case alone,
    #: named as the aggregation
    row_values: tuple[pl.Expr, ...] = ()

    @property
    def period(self) -> str:
        """The name of the period column in the joint result and every margin."""
        return self.periods[0].name

    @property
    def fusable(self) -> bool:
        """The plan may share its pass with other plans over the same period date."""
        return len(self.periods) == 1 and self.periods[0].shared

    @property
    def sums(self) -> tuple[str, ...]:
        """The aggregated columns; a margin is their sum over the keys it drops."""
        return tuple(a.meta.output_name() for a in self.aggs)

    @abstractmethod
    def rows(self, m: Margin) -> pl.DataFrame:
        """The output rows of one margin (columns of :data:`ROW_TYPES`)."""


# ---------------------------------------------------------------- the kind

S = TypeVar("S", bound=KindSpec)


class Kind(ABC, Generic[S]):
    """One kind of indicator.  Subclasses set the class attributes and implement the hooks;
    :func:`nhvmetrics.engine.kinds.register` makes one available by its name (and aliases)."""

    #: the ``type:`` of a definition file
    name: ClassVar[str]
    #: other names accepted for ``type:`` (written back as the definition's ``type``)
    aliases: ClassVar[tuple[str, ...]] = ()
    #: the definition fields this kind reads besides the common ones
    fields: ClassVar[frozenset[str]] = frozenset()
    #: target levels are shares in 0-1 (the loader checks them)
    share_targets: ClassVar[bool] = False
    #: the numerator counts patients against a denominator that does not (registry coverage:
    #: expected cases from another register), so suppression looks at the numerator too
    suppress_on_numerator: ClassVar[bool] = False

    def needs_inputs(self, spec: S) -> tuple[str, ...]:
        """Inputs of the run besides the export the kind needs (``coverage``); without one the
        indicator is not computable."""
        return ()

    @abstractmethod
    def parse(self, ctx: ParseContext) -> S:
        """This kind's part of a definition; ``ctx.fail`` on the first problem."""

    @abstractmethod
    def plan(self, spec: S, ctx: PlanContext) -> Plan:
        """How to compute one definition of this kind."""

    @abstractmethod
    def row_kind(self, spec: S) -> str:
        """The kind of the main (``all``) row: count, proportion, median or survival."""

    def value_axis(self, spec: S) -> str:
        """What the main row's value measures, as a chart's axis says it: ``share``,
        ``survival``, ``days`` (a median number of days), ``median`` (a median of another
        measure) or ``count``."""
        return {"proportion": "share", "survival": "survival", "median": "median"}.get(
            self.row_kind(spec), "count"
        )

    def sub_strata(self, spec: S) -> tuple[tuple[str, str], ...]:
        """(stratum, row kind) of the named sub-rows (``measure=x``, ``question=q1``) every
        unit and period gets, even when empty."""
        return ()

    def stratum_titles(self, spec: S) -> tuple[tuple[str, str, str], ...]:
        """(stratum, Swedish title, English title) of named sub-rows that have titles."""
        return ()

    @abstractmethod
    def type_text(self, type_name: str) -> str:
        """What the rows of this kind hold, for the catalogue's ``Type`` line."""

    def catalogue(self, spec: S, value_unit: str | None) -> CatalogueRows:
        """This kind's lines in the catalogue."""
        return CatalogueRows()
