"""The plain data behind a report: what the renderers (HTML, workbook) are given.

Everything here is a frozen dataclass of plain Python values (str, int, float, date, tuples),
so a report can be built by hand (see ``tests/fixtures/report_example.py``) and rendered without
polars, the engine or the validator. :func:`nhvmetrics.report.build.report_data_from_results`
(run by :func:`nhvmetrics.pipeline.render`) fills it from a real export.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

#: the indicator types of the engine's definitions
INDICATOR_TYPES = ("count", "proportion", "duration", "distribution", "survival", "prem")
#: the kinds of rows in the engine's indicator table (how a row's value reads)
ROW_KINDS = ("count", "proportion", "median", "distribution", "survival")
#: the mark of an indicator whose definition did not ship with nhvmetrics (a region's own)
OWN_DEFINITION_NOTE = {
    "sv": "egen definition – ej del av nhvmetrics",
    "en": "own definition, not shipped with nhvmetrics",
}


@dataclass(frozen=True)
class IndicatorInfo:
    """One indicator definition, as the report shows it."""

    id: str
    version: str
    title_sv: str
    title_en: str
    type: str  # count / proportion / duration / distribution / survival
    definition: str = ""  # the operational definition in words
    definition_en: str = ""
    source: str = ""  # where in the seed document it comes from
    params: tuple[tuple[str, str], ...] = ()  # (name, value) as shown, in a stable order
    target_intermediate: float | None = None
    target_high: float | None = None
    higher_is_better: bool = True
    value_unit: str = ""  # of a median or count: days, years, mg/L …
    period: str = ""  # the date that puts a case in a year, e.g. "referral_date"
    period_offset: int = 0  # 1: cases dated in Y−1 count in Y (a one-year follow-up)
    # titles of named sub-measures: (stratum, title_sv, title_en), e.g. ("measure=leak", …)
    stratum_titles: tuple[tuple[str, str, str], ...] = ()
    # every category a stratification variable can take, from the area schema's code list
    # (variable, (category, …)), e.g. ("sex", ("K", "M")): a breakdown lists them all, so
    # which categories are listed says nothing about which ones had cases
    categories: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # what the indicator's kind says (report.build fills them from the engine's definition):
    row_kind: str = ""  # the kind of its main row: count / proportion / median / survival
    value_axis: str = ""  # what that row's value measures: share / days / median / count / survival
    # where each parameter value comes from: (parameter, source type, what the source says);
    # source types: seed, register, local (not set by Socialstyrelsen), region, override
    param_sources: tuple[tuple[str, str, str], ...] = ()
    # the source of the target levels shown (type, text); empty when none are shown
    target_source: tuple[str, str] | tuple[()] = ()
    role: str = "indicator"  # or "data_quality": a count the data-quality section shows
    own: bool = False  # the definition came from outside the package (a region's own file)
    table: str = "cases"  # the table whose rows it counts: cases, episodes, prem …
    # names of categories where the area schema gives them: (variable, ((code, name), …)),
    # e.g. ("referring_region", (("01", "Stockholm"), …))
    category_names: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()

    # Every text of the definition is shown with its parameters filled in ("inom {x_days}
    # dygn" -> "inom 14 dygn"; nhvmetrics.report.placeholders).
    def fill(self, text: str, lang: str) -> str:
        from nhvmetrics.report.placeholders import fill_params

        return fill_params(text, self.params, lang)

    def title(self, lang: str) -> str:
        return self.fill(self.title_en if lang == "en" and self.title_en else self.title_sv, lang)

    def definition_text(self, lang: str) -> str:
        text = self.definition_en if lang == "en" and self.definition_en else self.definition
        return self.fill(text, lang)

    def source_text(self, lang: str) -> str:
        return self.fill(self.source, lang)

    def origin_note(self, lang: str) -> str:
        """The mark of a region's own definition (empty for one shipped with nhvmetrics)."""
        return OWN_DEFINITION_NOTE.get(lang, OWN_DEFINITION_NOTE["sv"]) if self.own else ""

    def stratum_title(self, stratum: str, lang: str) -> str | None:
        for key, sv, en in self.stratum_titles:
            if key == stratum:
                return self.fill(en if lang == "en" and en else sv, lang)
        return None

    def category_name(self, variable: str, code: str) -> str | None:
        for var, names in self.category_names:
            if var == variable:
                return dict(names).get(code)
        return None

    @property
    def main_kind(self) -> str:
        """The kind of the indicator's ``all`` row (the engine's ``kind`` column): as the
        indicator's kind says, else (an info made by hand) read from its type."""
        if self.row_kind:
            return self.row_kind
        return {"duration": "median", "prem": "count", "distribution": "count"}.get(
            self.type, self.type
        )

    def unit_text(self, lang: str) -> str:
        """The value's unit in ``lang`` (days -> dygn …), empty for shares."""
        words = {"sv": {"days": "dygn", "years": "år", "year": "år", "day": "dygn"}, "en": {}}
        u = self.value_unit.strip()
        if not u or u.startswith("share"):
            return ""
        return words.get(lang, {}).get(u, u)

    @property
    def has_targets(self) -> bool:
        return self.target_intermediate is not None or self.target_high is not None

    @property
    def rests_on_assumptions(self) -> bool:
        """True when a parameter value or the target levels shown are not set by the seed or a
        register (a local assumption, or set by the region or for the run)."""
        kinds = [t for _, t, _ in self.param_sources] + list(self.target_source[:1])
        return any(t in ("local", "region", "override") for t in kinds)

    def provenance_text(self, lang: str = "sv") -> str:
        """Where each parameter value and the target levels come from, in one line (empty when
        the definition has neither): ``x_days = 14: lokalt antagande – ej fastställt av
        Socialstyrelsen``."""
        from nhvmetrics.engine.provenance import Source

        values = dict(self.params)
        parts = []
        for name, kind, text in self.param_sources:
            src = Source(kind, text)
            shown = src.describe(lang) if kind in ("seed", "register") else src.label(lang)
            parts.append(f"{name} = {values.get(name, '?')}: {shown}")
        if self.target_source and self.has_targets:
            kind, text = self.target_source
            src = Source(kind, text)
            shown = src.describe(lang) if kind in ("seed", "register") else src.label(lang)
            parts.append(f"{'målnivåer' if lang == 'sv' else 'target levels'}: {shown}")
        if not parts:
            return ""
        return ("Källa: " if lang == "sv" else "Source: ") + "; ".join(parts)


@dataclass(frozen=True)
class IndicatorRow:
    """One row of the engine's indicator table (SPEC §4), raw numbers kept.

    ``suppressed`` is the engine's flag (primary and complementary suppression); the renderers
    hide value, CI and counts of a suppressed row.
    """

    indicator_id: str
    period: int
    unit: str
    stratum: str = "all"
    numerator: int | None = None
    denominator: int | None = None
    value: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    q1: float | None = None
    q3: float | None = None
    n_missing: int | None = None
    n_pending: int | None = None
    suppressed: bool = False
    computable: bool = True
    note: str = ""
    definition_version: str = ""
    kind: str = ""  # count / proportion / median / distribution / survival (engine's ``kind``)

    @property
    def has_value(self) -> bool:
        return self.value is not None and not (
            isinstance(self.value, float) and math.isnan(self.value)
        )


@dataclass(frozen=True)
class Completeness:
    column: str
    filled: int
    total: int

    @property
    def share(self) -> float | None:
        return self.filled / self.total if self.total else None


@dataclass(frozen=True)
class TableQuality:
    """Rows read / accepted / quarantined / dropped for one input table."""

    name: str  # cases, episodes, prem …
    file_name: str
    sha256: str
    rows_read: int
    accepted: int
    quarantined: int
    dropped: tuple[tuple[str, int], ...] = ()  # (reason, count)
    unknown_columns: tuple[str, ...] = ()
    completeness: tuple[Completeness, ...] = ()
    unknown_cells: tuple[tuple[str, int], ...] = ()  # (column, cells read as unknown)

    @property
    def dropped_total(self) -> int:
        return sum(n for _, n in self.dropped)


@dataclass(frozen=True)
class FindingCount:
    """Validation findings summarised: how many rows failed one check on one column."""

    table: str
    check: str
    severity: str  # error (row quarantined) / warning (row kept)
    column: str
    count: int


@dataclass(frozen=True)
class Provenance:
    extract_date: dt.date
    extract_date_source: str  # "option" (--extract-date) or "data"
    tool_version: str
    parameters: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ReportData:
    """Everything one area's annual report shows."""

    area: str
    year: int
    indicators: tuple[IndicatorInfo, ...]
    rows: tuple[IndicatorRow, ...]  # every period present (trend), every unit, every stratum
    quality: tuple[TableQuality, ...]
    findings: tuple[FindingCount, ...]
    provenance: Provenance
    unit: str | None = None  # the reporting unit (--unit), shown beside the national figure
    min_count: int = 5
    national: str = "ALL"
    _index: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    _by_indicator: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    # -- look-ups used by the renderers -------------------------------------------------
    def _rows_by_key(self) -> dict:
        if not self._index:
            idx: dict = {}
            for r in self.rows:
                idx.setdefault((r.indicator_id, r.period, r.unit, r.stratum), r)
            self._index.update(idx)
        return self._index

    def rows_of(self, indicator_id: str) -> list[IndicatorRow]:
        """Every row of one indicator (all periods, units and strata), in ``rows`` order."""
        if not self._by_indicator:
            by: dict = {}
            for r in self.rows:
                by.setdefault(r.indicator_id, []).append(r)
            self._by_indicator.update(by)
        return self._by_indicator.get(indicator_id, [])

    def row(self, indicator_id: str, unit: str, period: int | None = None, stratum: str = "all"):
        """The row of one indicator for one unit (default: the report year, stratum all)."""
        return self._rows_by_key().get(
            (indicator_id, self.year if period is None else period, unit, stratum)
        )

    def kind(self, info: IndicatorInfo) -> str:
        """How the indicator's main (``all``) row reads, from the table (else the definition)."""
        r = self.row(info.id, self.national)
        if r is not None and r.kind:
            return r.kind
        for r in self.rows_of(info.id):
            if r.stratum == "all" and r.kind:
                return r.kind
        return info.main_kind

    def periods(self, indicator_id: str) -> list[int]:
        return sorted({r.period for r in self.rows_of(indicator_id)})

    def units(self, indicator_id: str, period: int | None = None) -> list[IndicatorRow]:
        """Rows of every unit (not the national total), stratum all, for one period."""
        p = self.year if period is None else period
        out = [
            r
            for r in self.rows_of(indicator_id)
            if r.period == p and r.stratum == "all" and r.unit != self.national
        ]
        return sorted(out, key=lambda r: r.unit)

    def strata(self, indicator_id: str, unit: str, period: int | None = None) -> list[IndicatorRow]:
        p = self.year if period is None else period
        out = [
            r
            for r in self.rows_of(indicator_id)
            if r.period == p and r.unit == unit and r.stratum != "all"
        ]
        return sorted(out, key=lambda r: _stratum_key(r.stratum))

    @property
    def total_files(self) -> int:
        return len(self.quality)


def _stratum_key(stratum: str) -> tuple:
    name, _, val = stratum.partition("=")
    # numeric-looking values sort as numbers (indication=2 before indication=10), age bands by start
    head = val.split("-")[0].split("–")[0].strip().rstrip("+")
    try:
        return (name, 0, float(head), val)
    except ValueError:
        return (name, 1, 0.0, val)
