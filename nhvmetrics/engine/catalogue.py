"""The indicator catalogue, generated from the definition files (never written by hand).

    python -m nhvmetrics.engine.catalogue > docs/indicators.md

``tests/engine/test_catalogue.py`` fails when docs/indicators.md is out of date.
``definition_text`` is what ``nhvmetrics indicators show ID`` prints.
"""

from __future__ import annotations

from nhvmetrics.areas import resolve_area, shipped_area_names
from nhvmetrics.engine.definitions import Definition, load_definitions
from nhvmetrics.engine.provenance import Source


def area_title(area: str) -> str:
    """The heading of an area: ``Binjurebarkscancer (adrenocortical carcinoma)``, from the
    ``title`` of its schema (the name alone when it has none)."""
    schema = resolve_area(area).schema()
    sv, en = schema.title_sv, schema.title_en
    if sv and en:
        return f"{sv} ({en})"
    return sv or en or area


_COUNTING = """\
Every indicator the engine computes, with its operational definition. Conditions use the
canonical column names of docs/architecture.md and the condition language of
`nhvmetrics/engine/expr.py`; see docs/adding-an-indicator.md to add one. For each definition
the table below says what it counts (Period, Population, Counts), from which date (Period),
and where each number in it comes from (Parameters and Targets, each with its source).

## How the numbers are counted

* **Period.** A case belongs to period Y when its period date falls in Y (or in Y-k for an
  offset of k years). The period date is a date column, or the first present of several
  (`coalesce(treatment_start_date, surgery_date)`: a first treatment, else the operation).
  `compute` reports the year asked for and every earlier year present in the data.
* **Units.** One row per unit and one for all units together (`unit = ALL`).
* **Patients are people.** A count with `distinct: patient_id` counts people: a patient with
  two cases in the year counts once; a patient with cases at two units counts once at each
  unit and once in `ALL`, so the units can add up to more than `ALL` (and a patient with cases
  in two strata counts once in each). The cases are then a row of their own
  (`measure=cases`); where the seed counts referrals or operations, those are counted, with
  the patients as `measure=patients`.
* **Population.** A case of the year is counted when it meets the population; when it is
  unknown whether it does (a value the condition needs is missing, e.g. an unknown treatment
  intent) it is counted in `n_missing`, never left out silently. Anal cancer's indicators
  describe the defined care, curative-intent treatment: their population is
  `treatment_intent == 'curative'`, and the palliative cases are counted once, in
  `anal.outside_definition` (role data_quality: the report's data-quality section).
* **Strata.** `stratum` is `all`, a stratifier value (`sex=K`, `age_band=60-69`,
  `indication=3`, `net_condition=2`; `unknown` when the value is missing), a distribution
  category (`referring_region=12`), a named part of the indicator (`measure=within_x`), a
  PREM question (`question=q1`), or a combination joined by `;` (`net_condition=1;sex=K`).
  Age bands are completed years at the indicator's period date: 0-39, 40-49, 50-59,
  60-69, 70-79, 80+.
* **Proportions.** A case in the population is counted, in this order: numerator (the
  numerator condition is true - a case that already met a "within 14 days" target or already
  died within the window is never pending); `n_pending` (the pending condition is true: its
  follow-up window has not closed by the extract date, i.e. extract date < date + window, or
  the value may still come: no discharge yet, not yet assessed); `n_missing` (the numerator
  is unknown or the missing condition is true); otherwise denominator only. Pending and
  missing cases never enter the denominator. A missing Clavien-Dindo grade is unknown
  (`n_missing`), not "no complication": grade `0` is no complication. 95 % CI: Wilson score
  (default) or Clopper-Pearson, the exact interval RCC's own reports use
  (`--ci clopper-pearson`).
* **Durations and medians.** `value` is the median, `q1`/`q3` the quartiles, by linear
  interpolation between order statistics (Hyndman-Fan type 7, as R/numpy/Excel
  QUARTILE.INC); `denominator` = number of known values. A share within a threshold is a
  separate `measure=...` row.
* **Survival.** Kaplan-Meier at the horizon; time from the origin to death, or censored at
  the vital status date (or the extract date, never later). With delayed entry (left
  truncation; `acc.survival_1y` enters at `referral_date`) a case is at risk only after the
  day it entered: over (entry, time] in days, as R's `Surv(start, stop, event)` and lifelines'
  `KaplanMeierFitter(entry=...)` count, so an entry on the day of another patient's death does
  not count that patient at risk for it; a case referred on or before its diagnosis is at risk
  from day 0. A follow-up that ends on or before the day of entry (a death before the
  referral) has no time at risk and is `n_missing`. The horizon is a number of days (day 365
  closes the first year, not the anniversary: with a 29 February in between the anniversary
  is day 366). `numerator` = deaths up to the horizon, `denominator` = cases in the cohort,
  `n_pending` = censored before the horizon (they count in the estimate while followed). CI:
  log-log with Greenwood's variance; not defined when the estimate is 0 or 1 (then `ci_high`
  = 1 for an estimate of 1).
* **Registry coverage.** Cases registered in the year (numerator) over the expected number
  from an external source such as the cancer register (denominator), given as a CSV
  `area,year,unit,expected` (`nhvmetrics.engine.coverage.read_coverage`); `ALL` takes the
  file's `ALL` line, else the sum of the units' lines. Without the file it is not computable.
* **Parameters, targets and their sources.** Every parameter and every pair of target levels
  says where it comes from: the seed (its wording quoted), a named register target, a local
  assumption (`local`: not set by Socialstyrelsen - the seeds fix none of the day limits and
  no target level), a region's own decision (`region`), or a value set for the run
  (`override`). Titles show the values (`inom 14 dygn`). Target levels that are a local
  assumption are not shown in the report unless a region sets them (its own definitions, or
  targets for the run); every shipped level is such an assumption.
* **Extract date.** `--extract-date`, else the latest date in the data that is not in the
  future (exports are taken on the extract date, and the vital status date is normally that
  day). It is in every row (`extract_date`).
* **Not computable.** When a column an indicator needs is absent from the export (or an input
  it needs, such as the expected counts of registry coverage), the indicator gets rows with
  `computable = false` and the reason in `note`, never zeros.
* **Suppression.** Two policies. `denominator` (the default): `suppressed` is true when the
  count a row rests on (numerator for counts and distribution categories, denominator
  otherwise) is 1-4 (below `--min-count`, default 5). `cells` (as RCC's report tool's
  "hideLessThanCell"): also a share (proportion or survival) whose numerator or complement
  (denominator - numerator) is 1-4; 0 and 100 % are shown. The first fits a unit's own use
  and the registries' usual publication rule; the second fits publishing outcomes of small
  units, where "2 of 40 had a complication" or "38 of 40 survived" says something about each
  patient. Under both, registry coverage also hides a small registered count. Then
  complementary suppression hides the next smallest cell whenever exactly one cell of a sum
  shown in the table is hidden: the units of an indicator x period x stratum and their ALL,
  the categories of each stratification variable and their total (also within another
  variable: `sex=K;age_band=x` + `sex=M;age_band=x` = `age_band=x`), the total counted as a
  cell; and rows of different indicators with the same count for the same unit, period and
  stratum are hidden together. So no hidden cell can be recovered by adding or subtracting
  the cells shown beside it. See `nhvmetrics/engine/suppression.py` and
  [what nhvmetrics guarantees](guarantees.md).

## Output columns

`area, indicator_id, period, unit, stratum, numerator, denominator, value, ci_low, ci_high,
n_missing, n_pending, suppressed, definition_version, q1, q3, kind, computable, note,
parameters, parameter_sources, extract_date` - `kind` says what `value` is: `count`,
`proportion`, `median`, `distribution` (a category's share) or `survival`; `parameters` lists
the parameter values used (e.g. `x_days=14`), `parameter_sources` where each comes from
(`x_days=local`: seed, register, local, region or override).

## Changes

Each definition lists what changed in each of its versions (`Changes` below); a changed
definition gets a new `version`, which every output row carries (`definition_version`).

## Summary

| id | type | title | source |
|---|---|---|---|"""


def _period_text(d: Definition) -> str:
    if d.period_offset_years:
        return f"`{d.period_date}` in year Y-{d.period_offset_years} (reported as period Y)"
    return f"`{d.period_date}` in year Y"


def _source_text(src: Source | None) -> str:
    if src is None:
        return ""
    if src.type == "seed":
        where = f" ({src.document})" if src.document else ""
        return f'seed{where}: "{src.text}"'
    if src.type == "register":
        return f"register target: {src.text}" + (f' ("{src.quote}")' if src.quote else "")
    if src.type == "local":
        return f"local assumption, not set by Socialstyrelsen: {src.text}"
    if src.type == "region":
        return f"set by the region, not by Socialstyrelsen: {src.text}"
    return "set for this run"


def _rows(d: Definition) -> list[tuple[str, str]]:
    kind = d.kind
    own = kind.catalogue(d.spec, d.value_unit)
    rows: list[tuple[str, str]] = [
        ("Version", d.version),
        ("Type", f"{d.type} - {kind.type_text(d.type)}"),
        ("Title (sv)", d.title_sv),
        ("Title (en)", d.title_en),
        ("Source", f"seeds/{d.source_document}, {d.source_section}"),
    ]
    if d.role != "indicator":
        rows.append(("Role", f"{d.role} (shown in the data-quality section of the report)"))
    if d.description_sv:
        rows.append(("Description (sv)", d.description_sv))
    if d.description_en:
        rows.append(("Description (en)", d.description_en))
    if d.table != "cases":
        rows.append(("Table", d.table))
    if d.case_columns:
        cols = ", ".join(f"`{c}`" for c in d.case_columns)
        rows.append(("Case columns", f"{cols} of the case's row in `cases` (by `case_id`)"))
    rows.append(("Period", _period_text(d)))
    rows += own.counted
    if d.population is not None:
        rows.append(
            (
                "Population",
                f"`{d.population.text}` (unknown: counted in n_missing, not left out)",
            )
        )
    for x in d.exclusions:
        rows.append(("Exclusion", f"`{x.text}`"))
    rows += own.rule
    if d.optional_columns:
        rows.append(("Optional columns", ", ".join(f"`{c}`" for c in d.optional_columns)))
    rows += own.parts
    if d.params:
        ps = []
        for k, v in d.params.items():
            h = d.param_help.get(k)
            choices = d.param_choices.get(k)
            txt = f"`{k}` = {v}" + (f" ({h})" if h else "")
            if choices:
                txt += "; one of " + ", ".join(f"`{c}`" for c in choices)
            src = _source_text(d.param_sources.get(k))
            ps.append(txt + (f" - source: {src}" if src else ""))
        rows.append(("Parameters", "; ".join(ps)))
    rows.append(("Stratifiers", ", ".join(f"`{s}`" for s in d.stratifiers) or "none"))
    t = d.targets
    if t is not None and t.has_levels:
        shown = "shown" if t.shown else "not shown unless the region sets them"
        rows.append(
            (
                "Targets",
                f"intermediate {t.intermediate}, high {t.high} ({t.direction} is better; "
                f"{shown}) - source: {_source_text(t.source)}",
            )
        )
    elif t is not None:
        rows.append(("Targets", f"none ({t.direction} is better)"))
    if d.changes:
        rows.append(("Changes", "; ".join(f"version {c.version}: {c.text}" for c in d.changes)))
    rows.append(("Test cases", "; ".join(str(c.get("name")) for c in d.tests) or "none"))
    return rows


def origin_text(d: Definition) -> str:
    """Where a definition comes from, in words (``indicators show`` and ``list``)."""
    if not d.is_own:
        return "shipped with nhvmetrics"
    text = "own definition, not shipped with nhvmetrics"
    return f"{text} (replaces the area's {d.replaces})" if d.replaces else text


def definition_text(d: Definition) -> str:
    """A readable plain-text rendering of one definition."""
    out = [
        f"{d.id}  ({d.area}, {d.type}, version {d.version})",
        f"  file: {d.path}" if d.path else "",
        f"  origin: {origin_text(d)}",
    ]
    width = max(len(k) for k, _ in _rows(d))
    for k, v in _rows(d):
        out.append(f"  {k.replace('`', ''):<{width}}  {v.replace('`', '')}")
    return "\n".join(x for x in out if x)


def catalogue_markdown(defs: list[Definition] | None = None) -> str:
    defs = defs if defs is not None else load_definitions()
    lines = [
        "# Indicator catalogue",
        "",
        "<!-- Generated from indicators/**/*.yaml by `python -m nhvmetrics.engine.catalogue > "
        "docs/indicators.md`; do not edit by hand (tests/engine/test_catalogue.py checks it). -->",
        "",
        *_COUNTING.split("\n"),
    ]
    for d in defs:
        anchor = d.id.replace(".", "")
        lines.append(f"| [`{d.id}`](#{anchor}) | {d.type} | {d.title_en} | {d.source_document} |")
    names = list(shipped_area_names())
    names += sorted({d.area for d in defs} - set(names))
    for area in names:
        ad = [d for d in defs if d.area == area]
        if not ad:
            continue
        title = area_title(area) if area in shipped_area_names() else area
        lines += ["", f"## {area} - {title}"]
        for d in ad:
            lines += [
                "",
                f"### {d.id}",
                "",
                f"**{d.title_sv}** - {d.title_en}",
                "",
                "| | |",
                "|---|---|",
            ]
            for k, v in _rows(d):
                lines.append(f"| {k} | {v.replace('|', '/')} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    from nhvmetrics.io.guard import echo

    echo(catalogue_markdown().rstrip("\n"))


if __name__ == "__main__":
    main()
