"""The words of the report in Swedish (default) and English.

Templates read these through ``t.<key>``; with StrictUndefined a missing key fails the render,
so both languages must carry every key (a test checks that they do).
"""

from __future__ import annotations

import re

SV: dict[str, str] = {
    "lang": "sv",
    "report_title": "Årsrapport NHV-uppföljning",
    "area": "Område",
    "year": "Rapportår",
    "extract_date": "Uttagsdatum",
    "extract_from_option": "angivet med --extract-date",
    "extract_from_data": "hämtat ur data",
    "unit": "Enhet",
    "national": "Riket (alla enheter)",
    "national_short": "Riket",
    "contents": "Innehåll",
    "summary": "Sammanfattning",
    "summary_intro": (
        "Alla uppföljningsmått för rapportåret. Värden med ett underlag under {n} visas inte."
    ),
    "indicator": "Uppföljningsmått",
    "value": "Värde",
    "ci": "95 % KI",
    "counts": "n/N",
    "n": "Antal",
    "target": "Målnivå",
    "target_met": "Målnivå",
    "target_high": "Hög nivå",
    "target_intermediate": "Mellannivå",
    "target_not_met": "Ej uppnådd",
    "target_none": "Ingen målnivå",
    "target_levels": "Målnivåer",
    "target_level_intermediate": "mellannivå",
    "target_level_high": "hög nivå",
    "suppressed": "otillräckligt underlag",
    "not_computable": "kan inte beräknas",
    "no_data": "inga data",
    "definition": "Definition",
    "source": "Källa",
    "type": "Typ",
    "type_count": "antal",
    "type_proportion": "andel",
    "type_duration": "tid i dygn (median och kvartiler)",
    "type_distribution": "fördelning",
    "type_survival": "överlevnad (Kaplan–Meier)",
    "type_prem": "patientenkät (PREM)",
    "type_median": "median och kvartiler",
    "period": "Period",
    "period_text": "{rows} med {date} under {y}",
    "period_offset_1": "året före rapportåret",
    "period_offset_2": "två år före rapportåret",
    "period_offset_n": "{n} år före rapportåret",
    "rows_cases": "fall",
    "rows_episodes": "vårdtillfällen",
    "rows_prem": "enkätsvar",
    "left_out": "ej med i nämnaren",
    "left_out_missing": "{n} där uppgift saknas",
    "left_out_pending": "{n} där uppföljningstiden inte löpt ut vid uttaget",
    "strat_sex": "Kön",
    "strat_sex_K": "kvinnor",
    "strat_sex_M": "män",
    "strat_age_band": "Ålder",
    "strat_referring_region": "Remitterande region",
    "strat_home_region": "Hemregion",
    "strat_net_condition": "Tillstånd",
    "strat_indication": "Indikation",
    "strat_treatment_type": "Behandling",
    "strat_treatment_intent": "Behandlingsavsikt",
    "strat_question": "Fråga",
    "strat_measure": "Delmått",
    "strat_unknown": "uppgift saknas",
    "or": "eller",
    "strat_true": "ja",
    "strat_false": "nej",
    "question_n": "Fråga {n}: andel som svarat {answers}",
    "question_positive": "Fråga {n}: andel positiva svar",
    "version": "version",
    "version_col": "Version",
    "ci_wilson": "Wilson",
    "ci_clopper-pearson": "Clopper–Pearson (exakt)",
    "trend": "Utveckling över åren",
    "comparison": "Jämförelse mellan enheter",
    "funnel_note": (
        "Trattdiagram: varje punkt är en enhet; linjerna visar 95 % och 99,8 % kontrollgränser "
        "kring riksvärdet."
    ),
    "forest_note": (
        "Varje enhets värde med 95 % konfidensintervall; den streckade linjen är riksvärdet."
    ),
    "forest_note_median": (
        "Varje enhets median med kvartiler (25:e–75:e percentilen); den streckade linjen är "
        "riksvärdet."
    ),
    "bar_note": "Antal per enhet.",
    "strata": "Fördelning",
    "stratum": "Grupp",
    "notes": "Anmärkningar",
    "n_missing": "uppgift saknas",
    "n_pending": "uppföljningstiden inte löpt ut vid uttaget",
    "parameters": "Parametrar",
    "no_parameters": "inga",
    "no_chart": "För få år eller enheter med tillräckligt underlag för ett diagram.",
    "quality": "Datakvalitet",
    "quality_intro": (
        "Rader som lästs in, godkänts, satts i karantän (fel som måste rättas i registret) och "
        "tagits bort (makulerade registreringar och demoregion)."
    ),
    "table": "Tabell",
    "file": "Fil",
    "rows_read": "Inlästa",
    "accepted": "Godkända",
    "quarantined": "Karantän",
    "dropped": "Borttagna",
    "reason": "Orsak",
    "unknown_columns": "Okända kolumner (ignorerade)",
    "unknown_cells": "Värden lästa som okända (felaktiga, raden behölls)",
    "completeness": "Fullständighet per variabel",
    "variable": "Variabel",
    "filled": "Ifyllda",
    "share_filled": "Andel ifyllda",
    "findings": "Valideringsfynd",
    "findings_none": "Inga valideringsfynd.",
    "findings_hint": "Radnummer och case_id för varje fynd: nhvmetrics validate … --errors fel.csv",
    "check": "Kontroll",
    "check_code": "Kod",
    "severity": "Allvarlighet",
    "severity_error": "fel (rad i karantän)",
    "severity_warning": "varning (rad behållen)",
    "severity_info": "uppgift (ingen rad berörd)",
    "column": "Kolumn",
    "rows": "Rader",
    "provenance": "Proveniens",
    "provenance_intro": "Samma indata och parametrar ger exakt samma rapport.",
    "sha256": "SHA-256",
    "tool_version": "Programversion",
    "definitions": "Definitioner",
    "definition_id": "Id",
    "privacy_note": (
        "Uppgifter med färre än {n} fall visas som ”otillräckligt underlag”; även närliggande "
        "uppgifter döljs när det behövs för att de inte ska kunna räknas fram. Inga personnummer "
        "förekommer i rapporten."
    ),
    "year_axis": "År",
    "share_axis": "Andel (%)",
    "days_axis": "Dygn (median)",
    "median_axis": "Median",
    "count_axis": "Antal",
    "survival_axis": "Överlevnad (%)",
    "denominator_axis": "Antal i nämnaren",
    "legend_target_high": "Mål: hög nivå",
    "legend_target_intermediate": "Mål: mellannivå",
    "limit95": "95 % gräns",
    "limit998": "99,8 % gräns",
    "units_label": "Enheter",
    "unlabelled": "Utan etikett i diagrammet (för tätt)",
    "stratum_all": "Samtliga",
    "workbook_blanks": (
        "En tom sifferkolumn betyder att uppgiften inte visas; kolumnen ”ej visat, orsak” "
        "säger varför. Andelar är tal mellan 0 och 1 formaterade som procent."
    ),
    "generated_by": "Framtagen med nhvmetrics",
    "quartiles": "kvartiler",
    "drop_makulerad": "makulerade",
    "drop_demo_region": "demoregion",
    "drop_empty_row": "tomma rader",
    "param_year": "Rapportår",
    "param_unit": "Enhet",
    "param_ci_method": "Metod för konfidensintervall",
    "param_min_count": "Minsta antal (röjandeskydd)",
    "param_trend_years": "År i trenddiagrammen",
    "param_mapping": "Mappningsprofil (SHA-256)",
    "unit_col": "Enhet {u}",
    "not_in_data": "ingen rad i data",
    "yes": "ja",
    "no": "nej",
}

EN: dict[str, str] = {
    "lang": "en",
    "report_title": "NHV follow-up annual report",
    "area": "Area",
    "year": "Reporting year",
    "extract_date": "Extract date",
    "extract_from_option": "given with --extract-date",
    "extract_from_data": "taken from the data",
    "unit": "Unit",
    "national": "National (all units)",
    "national_short": "National",
    "contents": "Contents",
    "summary": "Summary",
    "summary_intro": (
        "Every follow-up indicator for the reporting year. Figures based on fewer than {n} cases "
        "are not shown."
    ),
    "indicator": "Indicator",
    "value": "Value",
    "ci": "95% CI",
    "counts": "n/N",
    "n": "Count",
    "target": "Target",
    "target_met": "Target",
    "target_high": "High",
    "target_intermediate": "Intermediate",
    "target_not_met": "Not met",
    "target_none": "No target",
    "target_levels": "Target levels",
    "target_level_intermediate": "intermediate",
    "target_level_high": "high",
    "suppressed": "insufficient data",
    "not_computable": "not computable",
    "no_data": "no data",
    "definition": "Definition",
    "source": "Source",
    "type": "Type",
    "type_count": "count",
    "type_proportion": "proportion",
    "type_duration": "days (median and quartiles)",
    "type_distribution": "distribution",
    "type_survival": "survival (Kaplan–Meier)",
    "type_prem": "patient survey (PREM)",
    "type_median": "median and quartiles",
    "period": "Period",
    "period_text": "{rows} whose {date} falls in {y}",
    "period_offset_1": "the year before the reporting year",
    "period_offset_2": "two years before the reporting year",
    "period_offset_n": "{n} years before the reporting year",
    "rows_cases": "cases",
    "rows_episodes": "care episodes",
    "rows_prem": "survey responses",
    "left_out": "left out of the denominator",
    "left_out_missing": "{n} with the outcome unknown",
    "left_out_pending": "{n} whose follow-up had not closed at the extract date",
    "strat_sex": "Sex",
    "strat_sex_K": "women",
    "strat_sex_M": "men",
    "strat_age_band": "Age",
    "strat_referring_region": "Referring region",
    "strat_home_region": "Home region",
    "strat_net_condition": "Condition",
    "strat_indication": "Indication",
    "strat_treatment_type": "Treatment",
    "strat_treatment_intent": "Treatment intent",
    "strat_question": "Question",
    "strat_measure": "Sub-measure",
    "strat_unknown": "not known",
    "or": "or",
    "strat_true": "yes",
    "strat_false": "no",
    "question_n": "Question {n}: share answering {answers}",
    "question_positive": "Question {n}: share of positive answers",
    "version": "version",
    "version_col": "Version",
    "ci_wilson": "Wilson",
    "ci_clopper-pearson": "Clopper–Pearson (exact)",
    "trend": "Trend over the years",
    "comparison": "Comparison between units",
    "funnel_note": (
        "Funnel plot: each point is a unit; the lines are the 95% and 99.8% control limits around "
        "the national value."
    ),
    "forest_note": (
        "Each unit's value with its 95% confidence interval; the dashed line is the national value."
    ),
    "forest_note_median": (
        "Each unit's median with its quartiles (25th–75th percentile); the dashed line is the "
        "national value."
    ),
    "bar_note": "Count per unit.",
    "strata": "Breakdown",
    "stratum": "Group",
    "notes": "Notes",
    "n_missing": "outcome unknown",
    "n_pending": "follow-up not closed at the extract date",
    "parameters": "Parameters",
    "no_parameters": "none",
    "no_chart": "Too few years or units with sufficient data for a chart.",
    "quality": "Data quality",
    "quality_intro": (
        "Rows read, accepted, quarantined (errors to fix in the registry) and dropped (cancelled "
        "registrations and the demo region)."
    ),
    "table": "Table",
    "file": "File",
    "rows_read": "Read",
    "accepted": "Accepted",
    "quarantined": "Quarantined",
    "dropped": "Dropped",
    "reason": "Reason",
    "unknown_columns": "Unknown columns (ignored)",
    "unknown_cells": "Values read as unknown (invalid, the row was kept)",
    "completeness": "Completeness per variable",
    "variable": "Variable",
    "filled": "Filled in",
    "share_filled": "Share filled in",
    "findings": "Validation findings",
    "findings_none": "No validation findings.",
    "findings_hint": (
        "Row number and case_id of each finding: nhvmetrics validate … --errors errors.csv"
    ),
    "check": "Check",
    "check_code": "Code",
    "severity": "Severity",
    "severity_error": "error (row quarantined)",
    "severity_warning": "warning (row kept)",
    "severity_info": "note (no row affected)",
    "column": "Column",
    "rows": "Rows",
    "provenance": "Provenance",
    "provenance_intro": "The same inputs and parameters give exactly the same report.",
    "sha256": "SHA-256",
    "tool_version": "Tool version",
    "definitions": "Definitions",
    "definition_id": "Id",
    "privacy_note": (
        "Figures based on fewer than {n} cases read “insufficient data”; neighbouring figures are "
        "hidden too where needed so that they cannot be worked out. The report contains no "
        "personal identity numbers."
    ),
    "year_axis": "Year",
    "share_axis": "Share (%)",
    "days_axis": "Days (median)",
    "median_axis": "Median",
    "count_axis": "Count",
    "survival_axis": "Survival (%)",
    "denominator_axis": "Cases in the denominator",
    "legend_target_high": "Target: high",
    "legend_target_intermediate": "Target: intermediate",
    "limit95": "95% limit",
    "limit998": "99.8% limit",
    "units_label": "Units",
    "unlabelled": "Not labelled in the chart (too close)",
    "stratum_all": "All",
    "workbook_blanks": (
        "An empty number cell means the figure is not shown; the column “not shown, reason” "
        "says why. Shares are numbers between 0 and 1 formatted as percentages."
    ),
    "generated_by": "Made with nhvmetrics",
    "quartiles": "quartiles",
    "drop_makulerad": "cancelled",
    "drop_demo_region": "demo region",
    "drop_empty_row": "empty rows",
    "param_year": "Reporting year",
    "param_unit": "Unit",
    "param_ci_method": "Confidence interval method",
    "param_min_count": "Minimum count (disclosure control)",
    "param_trend_years": "Years in the trend charts",
    "param_mapping": "Mapping profile (SHA-256)",
    "unit_col": "Unit {u}",
    "not_in_data": "no row in the data",
    "yes": "yes",
    "no": "no",
}

#: the date columns that can put a row in a year, as the period line names them
DATE_NAMES = {
    "sv": {
        "referral_date": "remissdatum",
        "first_visit_date": "datum för första besök",
        "diagnosis_date": "diagnosdatum",
        "treatment_start_date": "datum för behandlingsstart",
        "death_date": "dödsdatum",
        "vital_status_date": "vitalstatusdatum",
        "mdk_date": "datum för beslut vid nationell MDK",
        "birth_date": "födelsedatum",
        "surgery_date": "operationsdatum",
        "oncology_start_date": "datum för start av onkologisk behandling",
        "prrt_start_date": "datum för start av PRRT",
        "rt_start_date": "datum för start av strålbehandling",
        "rt_end_date": "datum för avslutad strålbehandling",
        "visit_date": "besöksdatum",
        "response_date": "svarsdatum",
        "assessment_date": "bedömningsdatum",
        "admission_date": "inskrivningsdatum",
        "discharge_date": "utskrivningsdatum",
    },
    "en": {
        "referral_date": "referral date",
        "first_visit_date": "first visit date",
        "diagnosis_date": "diagnosis date",
        "treatment_start_date": "treatment start date",
        "death_date": "date of death",
        "vital_status_date": "vital status date",
        "mdk_date": "date of the national MDK decision",
        "birth_date": "birth date",
        "surgery_date": "surgery date",
        "oncology_start_date": "oncological treatment start date",
        "prrt_start_date": "PRRT start date",
        "rt_start_date": "radiotherapy start date",
        "rt_end_date": "radiotherapy end date",
        "visit_date": "visit date",
        "response_date": "response date",
        "assessment_date": "assessment date",
        "admission_date": "admission date",
        "discharge_date": "discharge date",
    },
}

#: names of coded categories that the area schemas number or name only in Swedish (the
#: conditions of the NHV definitions in their order, the kinds of first treatment)
CATEGORY_NAMES = {
    "sv": {
        "indication": {
            "1": "primär lokalt avancerad rektal- eller koloncancer med engagemang av bäckenorgan",
            "2": "lokalt avancerad urinblåscancer med respons efter induktionsterapi",
            "3": "bäckenrecidiv av kolorektalcancer",
            "4": "recidiv/resttumör efter kurativt syftande strålbehandling av analcancer",
            "5": "recidiv/resttumör i bäckenet av gynekologisk cancer efter kurativt syftande "
            "strålbehandling",
            "6": "recidiv/resttumör efter kurativt syftande strålbehandling av prostata- eller "
            "urinblåscancer",
            "7": "ovanliga eller oklara tumörformer i bäckenet",
        },
        "net_condition": {
            "1": "metastaserande tunntarms-NET med tilläggskriterium",
            "2": "inoperabel rektal-NET",
            "3": "pankreas-, duodenum- och höga jejunum-NET",
            "4": "nydiagnostiserad MEN 1 eller NET vid von Hippel–Lindaus syndrom",
        },
        "treatment_type": {
            "surgery": "kirurgi",
            "medical": "medicinsk behandling",
            "radiotherapy": "strålbehandling",
            "prrt": "PRRT",
            "other": "annan",
        },
        "treatment_intent": {"curative": "kurativ", "palliative": "palliativ"},
    },
    "en": {
        "indication": {
            "1": "primary locally advanced rectal or colon cancer involving pelvic organs",
            "2": "locally advanced bladder cancer responding to induction therapy",
            "3": "pelvic recurrence of colorectal cancer",
            "4": "recurrence/residual tumour after curative radiotherapy for anal cancer",
            "5": "pelvic recurrence/residual tumour of gynaecological cancer after curative "
            "radiotherapy",
            "6": "recurrence/residual tumour after curative radiotherapy for prostate or "
            "bladder cancer",
            "7": "rare or unclear tumour types in the pelvis",
        },
        "net_condition": {
            "1": "metastatic small-intestinal NET with an additional criterion",
            "2": "inoperable rectal NET",
            "3": "pancreatic, duodenal and high jejunal NET",
            "4": "newly diagnosed MEN 1, or NET with von Hippel–Lindau syndrome",
        },
        "treatment_type": {
            "surgery": "surgery",
            "medical": "medical treatment",
            "radiotherapy": "radiotherapy",
            "prrt": "PRRT",
            "other": "other",
        },
        "treatment_intent": {"curative": "curative", "palliative": "palliative"},
    },
}

#: the validation checks in words (the findings table shows the word and the check's code)
CHECK_NAMES = {
    "sv": {
        "wrong_type": "fel format",
        "missing_value": "obligatoriskt värde saknas",
        "missing_required_column": "obligatorisk kolumn saknas",
        "invalid_code": "kod utanför kodlistan",
        "invalid_personnummer": "ogiltigt personnummer",
        "personnummer_in_wrong_column": "personnummer i fel kolumn",
        "duplicate_id": "id förekommer flera gånger",
        "validation_stamp": "validerad vid konverteringen (filens valideringsstämpel)",
        "duplicate_column": "kolumnen förekommer två gånger",
        "date_order": "datum i fel ordning",
        "future_date": "datum efter uttaget",
        "before_birth": "datum före födelsen",
        "not_before_birth": "datum före födelsen",
        "after_death": "datum efter dödsdatum",
        "not_after_death": "datum efter dödsdatum",
        "implausible_age": "orimlig ålder",
        "out_of_range": "värde utanför tillåtet intervall",
        "orphan_row": "rad utan motsvarande fall",
        "control_character": "osynligt tecken eller styrtecken",
        "code_as_number": "kod lagrad som tal",
        "unknown_column": "okänd kolumn",
        "identifying_column": "identifierande kolumn (läses inte)",
        "input_note": "anmärkning om filen",
    },
    "en": {
        "wrong_type": "wrong format",
        "missing_value": "required value missing",
        "missing_required_column": "required column missing",
        "invalid_code": "code outside the code list",
        "invalid_personnummer": "invalid personal identity number",
        "personnummer_in_wrong_column": "personal identity number in the wrong column",
        "duplicate_id": "id occurs more than once",
        "validation_stamp": "validated when converted (the file's validation stamp)",
        "duplicate_column": "column occurs twice",
        "date_order": "dates in the wrong order",
        "future_date": "date after the extract",
        "before_birth": "date before birth",
        "not_before_birth": "date before birth",
        "after_death": "date after death",
        "not_after_death": "date after death",
        "implausible_age": "implausible age",
        "out_of_range": "value out of range",
        "orphan_row": "row without a matching case",
        "control_character": "invisible or control character",
        "code_as_number": "code stored as a number",
        "unknown_column": "unknown column",
        "identifying_column": "identifying column (not read)",
        "input_note": "note about the file",
    },
}

AREA_NAMES = {
    "sv": {
        "acc": "Binjurebarkscancer",
        "net": "Neuroendokrina tumörer i buken",
        "anal": "Analcancer",
        "pelvic": "Avancerad bäckenkirurgi",
    },
    "en": {
        "acc": "Adrenocortical cancer",
        "net": "Abdominal neuroendocrine tumours",
        "anal": "Anal cancer",
        "pelvic": "Advanced pelvic surgery",
    },
}

LANGS = ("sv", "en")


def labels(lang: str) -> dict[str, str]:
    """The label set for ``lang`` (sv or en)."""
    if lang not in LANGS:
        from nhvmetrics.errors import NhvError

        raise NhvError(f"unknown language '{lang}'; use sv or en.")
    return SV if lang == "sv" else EN


_DATE_CALL = re.compile(r"^\s*(coalesce|least|greatest)\((.*)\)\s*$")
_DATE_CALL_WORDS = {
    "sv": {"coalesce": "annars", "least": "det tidigaste av", "greatest": "det senaste av"},
    "en": {"coalesce": "else", "least": "the earliest of", "greatest": "the latest of"},
}


def date_name(column: str, lang: str) -> str:
    """A date column as the period line names it (``referral_date`` -> ``remissdatum``); a
    period date made of several (``coalesce(discharge_date, surgery_date)``) in words:
    ``utskrivningsdatum, annars operationsdatum``."""
    names = DATE_NAMES.get(lang, DATE_NAMES["sv"])
    m = _DATE_CALL.match(column)
    if not m:
        return names.get(column, column)
    parts = [names.get(p.strip(), p.strip()) for p in m.group(2).split(",") if p.strip()]
    word = _DATE_CALL_WORDS.get(lang, _DATE_CALL_WORDS["sv"])[m.group(1)]
    if m.group(1) == "coalesce":
        return f", {word} ".join(parts)
    return f"{word} {' och '.join(parts) if lang == 'sv' else ' and '.join(parts)}"


def category_name(variable: str, code: str, lang: str) -> str | None:
    """The report's own name of a coded category in ``lang``, if it has one."""
    return CATEGORY_NAMES.get(lang, CATEGORY_NAMES["sv"]).get(variable, {}).get(code)


def table_label(table: str, lang: str) -> str:
    """An input table as the data-quality section names it: ``fall (cases)``."""
    word = labels(lang).get(f"rows_{table}")
    return f"{word} ({table})" if word else table


def check_name(check: str, lang: str) -> str:
    """A validation check in words (empty for a check this table does not know)."""
    return CHECK_NAMES.get(lang, CHECK_NAMES["sv"]).get(check, "")


def area_name(area: str, lang: str) -> str:
    return AREA_NAMES.get(lang, AREA_NAMES["sv"]).get(area, area)
