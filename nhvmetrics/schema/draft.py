"""Draft a mapping profile from an export (``nhvmetrics map``): which export column holds which
canonical column, why, and how sure we are.

A register names its own variables (``a_rem_dat``, ``op_pad_radikalitet_Varde``,
``R77T201_ID``…), so the built-in aliases of ``schemas/*.yaml`` rarely fit.  This module reads
the header and a sample of the values of an export and proposes, for every canonical column, the
export column that most likely holds it:

1. **names** — an export name is split into tokens: the list suffix (``_Varde``, ``_Värde``,
   ``_VALUE``) and the form prefix (``a_`` anmälan, ``op_``/``p_`` operation or primary
   treatment, ``b_`` behandling, ``u_`` uppföljning) are taken off, camelCase and glued
   abbreviations are split (``remdat`` → ``rem`` + ``dat``, ``inrappsjh`` → ``inrapp`` +
   ``sjh``), and every token is read through a vocabulary of register abbreviations and the
   English words of the canonical names (:data:`VOCABULARY`: ``rem``/``remiss`` → referral,
   ``dat``/``datum`` → date, ``besok`` → visit, ``op``/``kir`` → surgery, ``pad``/``radikal`` →
   margin, ``sjhkod`` → unit …).  The canonical name and each built-in alias are read the same
   way, so a new column or alias in a schema is understood without code.  Two readings are
   compared by their *core* concepts (the strong ones: referral, visit, surgery …) and, with a
   smaller weight, by all of them (date, start, first, the prefix …).  An exact alias scores 1.
2. **values** — a sample of each column is classified (:class:`ColumnShape`): dates (ISO, compact
   ``YYYYMMDD``, partial), personnummer (:mod:`nhvmetrics.personnummer`), checkboxes
   (``True``/blank), yes/no codes, integers, decimals, unique per row, free text.  A candidate whose
   values cannot be the canonical column's (text for a date, a date for a code) is dropped; a
   coded column scores by how many of its codes read as the canonical code list (through the
   built-in value maps, the code list itself, or the ``_Beskrivning`` text against the labels).
3. **register conventions** — ``R44T139_ID``-style ids unique per row are the table's key
   (``case_id``), and not unique in a secondary table the case reference; personnummer-shaped
   values are ``patient_id``, with ``PAT_ID`` after them (``[PERSNR, PAT_ID]``, the order of
   RCC's ``incadata``); INCA's system columns and the identifying columns (names, addresses)
   are never proposed.

Then every table's columns are assigned at once (best score first, each export column once),
the coded values of every placed column are listed against the code list as a draft value map,
checkbox columns are listed, and :func:`render_profile` writes it all as the SPEC §2a YAML with a
comment per line.  The draft holds column names and the codes of coded columns only — never a
personnummer, a name, a date or free text from the data — and is the same for the same export.

Other modules use :func:`rank_candidates` (the likeliest export columns for one canonical column,
with reasons); ``validate``'s hint for a missing required column is built on it.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nhvmetrics.errors import NhvError
from nhvmetrics.schema.model import AreaSchema, ColumnSpec, TableSpec, load_schema

if TYPE_CHECKING:  # pragma: no cover
    import polars as pl

    from nhvmetrics.areas import Area

SAMPLE_ROWS = 50_000  # rows of each table looked at for value shapes and codes
MAX_CODES = 60  # more distinct values than this: not a code list
MIN_SCORE = 0.30  # a candidate below this is not worth naming
PLACE_SCORE = 0.50  # ... and below this it is not placed in the draft
HIGH, MEDIUM = 0.80, 0.60  # confidence: high >= 0.80 > medium >= 0.60 > low
AMBIGUOUS = 0.05  # a column that scores within this of its best for another column is ambiguous
DEFAULT_UNKNOWN_CODES = ("96", "98", "99")

# --------------------------------------------------------------------------------------------
# the vocabulary

STRONG = 0.7  # concepts of at least this weight are a name's core


def _vocabulary() -> dict[str, tuple[str, float]]:
    spec: dict[str, tuple[float, str]] = {
        # concept: (weight, tokens)
        "patient": (1.0, "patient pat persnr pnr personnummer personnr pn"),
        "id": (0.5, "id nr nummer"),
        "case": (1.0, "case arende ärende registrering"),
        "unit": (1.0, "unit enhet enhetskod sjh sjhkod sjukhus sjukhuskod hospital"),
        "clinic": (1.0, "klinik klk kli klinikkod"),
        "code": (0.2, "kod code koder"),
        "reporting": (0.3, "inr inrapp inrapportering inrapporterande rapp rapporterande"),
        "notification": (0.3, "anm anmalan anmälan"),
        "referral": (1.0, "rem remiss remitterande remitt referral referring"),
        "county": (1.0, "lan län lanskod region county"),
        "home": (0.5, "hem home folkbokforing folkbokföring bostad"),
        "sex": (1.0, "kon kön sex gender"),
        "birth": (1.0, "fodelse födelse fod född fodd birth"),
        "date": (0.5, "dat datum date dag dt day"),
        "first": (0.3, "forsta första first ny"),
        "visit": (1.0, "besok besök visit bes"),
        "diagnosis": (1.0, "dia diag diagnos diagnosis dx"),
        "treatment": (1.0, "beh behandling behandlings treatment therapy terapi ther"),
        "medical": (1.0, "med medicinsk medical"),
        "start": (0.7, "start starts startad borjan början begin"),
        "end": (0.7, "slut end avslut stopp stop"),
        "type": (0.7, "typ type"),
        "death": (1.0, "dod död dods döds avlid avliden death dead"),
        "vital": (1.0, "vital"),
        "status": (0.3, "status"),
        "national": (0.5, "nat nationell nationella national riks"),
        "mdk": (1.0, "mdk multkonf multidisk multidiskkonf mdt konferens terapikonferens"),
        "written": (0.3, "skriftlig written"),
        "care": (0.5, "vard vård care"),
        "plan": (1.0, "plan"),
        "surgery": (
            1.0,
            "op operation operations kir kirurgi kirurgisk surgery opererande operated",
        ),
        "intent": (1.0, "syfte intent avsikt"),
        "margin": (1.0, "radikal radikalitet marginal margin"),
        "resection": (0.5, "resektion resektions resection"),
        "pathology": (0.2, "pad patologi"),
        "hypocortisolism": (1.0, "hypokortisolism hypocortisolism kortisol binjurebarksvikt"),
        "postop": (0.3, "postop postoperativ"),
        "oncology": (1.0, "onk onkologisk onkologi oncology"),
        "mitotane": (1.0, "mitotan mitotane lysodren"),
        "level": (0.5, "niva nivå level koncentration konc"),
        "satisfaction": (1.0, "nojdhet nöjdhet satisfaction"),
        "qol": (1.0, "livskval livskvalitet qol"),
        "followup": (0.3, "uppfoljd uppföljd uppfoljning uppföljning followed up fu"),
        "condition": (1.0, "tillstand tillstånd condition"),
        "complication": (0.5, "kompl komplikation komplikationer complication"),
        "leak": (1.0, "anastomos anastomotic lackage läckage leak"),
        "pancreas": (0.5, "pankreas pancreatic"),
        "fistula": (1.0, "fistel fistula popf"),
        "clavien": (1.0, "clavien dindo"),
        "prrt": (1.0, "prrt lutetium"),
        "valve": (1.0, "klaff valve"),
        "heart": (0.3, "hjart hjärt"),
        "rt": (1.0, "rt stral strål radioterapi radiotherapy brachy brachyterapi"),
        "response": (1.0, "respons response svar svars"),
        "indication": (1.0, "indikation indication"),
        "assessment": (1.0, "bed bedomning bedömning bedomnings bedömnings assessment"),
        "admission": (1.0, "inskr inskrivning inskrivnings inlagg inlaggning inläggning admission"),
        "discharge": (1.0, "utskr utskrivning utskrivnings discharge"),
        "reoperation": (1.0, "reop reoperation"),
        "episode": (0.5, "vardtillfalle vårdtillfälle vtf episode"),
        "question": (1.0, "fraga fråga q question"),
        "prem": (0.3, "enk enkat enkät prem survey"),
        "decision": (1.0, "besl beslut"),
        "age": (1.0, "alder ålder age"),
    }
    out: dict[str, tuple[str, float]] = {}
    for concept, (weight, tokens) in spec.items():
        for t in tokens.split():
            out[t] = (concept, weight)
    return out


#: token -> (concept, weight): register abbreviations and the words of the canonical names.
VOCABULARY: dict[str, tuple[str, float]] = _vocabulary()

#: Form prefixes of INCA registers and what they add (weakly) to a name.
FORM_PREFIXES: dict[str, str | None] = {
    "a": None,  # anmälan (blankett 1): says nothing about the variable
    "op": "surgery",
    "p": "treatment",
    "b": "treatment",
    "u": "followup",
}
_PREFIX_WEIGHT = 0.3
_GENERIC = {"date", "code", "id", "status", "first"}  # concepts that name no variable by themselves
_SHORT_PIECES = {"op", "rt"}  # two-letter words that are found inside glued names (op1dat)
_NUMBER_UNITS = {
    "d": "",
    "dagar": "",
    "dygn": "",
    "m": "",
    "man": "",
    "mån": "",
    "ar": "",
    "år": "",
}
_NUMBER_UNITS.update({"y": "", "v": "", "veckor": ""})
_LIST_SUFFIXES = ("_varde", "_värde", "_vaerde", "_value")
_TEXT_SUFFIX = "_beskrivning"
_REGISTER_ID = re.compile(r"^r\d+t\d+_id$", re.IGNORECASE)

#: INCA's system columns (RCC's incadata and register exports): normal, never a canonical column
#: unless a schema alias names one.
INCA_SYSTEM_COLUMNS = (
    "PAT_ID PERSNR PNR KON_VALUE KON_BESKRIVNING LAN_VALUE LAN_BESKRIVNING LKF_VALUE FODELSEDATUM "
    "AVLIDDAT VITALSTATUS VITALSTATUSDATUM VITALSTATUSDATUM_ESTIMAT NAVETDATUM REGION_NAMN "
    "REGION_ID REGDATUM SKAPAD_AV SKAPAD_DATUM LOPNR SEKRETESS_VALUE REG_NAME REGTYPE_NAME "
    "AVGMARK_VALUE IS_VERSION MAKULERAD userunitcode userparentunitcode klinikbehorighet "
    "regionbehorighet"
).split()
_IDENTITY_ORDER = ("persnr", "pnr", "personnummer", "pat_id", "pn", "id")  # incadata's id()
# words of a column name that make it identifying (a person's name or address)
_NAME_WORDS = frozenset(
    "namn fnamn enamn mnamn fornamn förnamn efternamn mellannamn patientnamn tilltalsnamn adress "
    "gatuadress coadress postnr postnummer postort telefon telefonnr telefonnummer mobil mobilnr "
    "epost email".split()
)


@lru_cache(maxsize=1 << 16)
def _norm(name: str) -> str:
    return unicodedata.normalize("NFC", str(name)).strip().lower()


# --------------------------------------------------------------------------------------------
# reading a name


@dataclass(frozen=True)
class Token:
    text: str
    concept: str | None
    weight: float


@dataclass(frozen=True)
class NameReading:
    """What a column name says: its tokens and concepts (concept -> weight)."""

    name: str
    base: str  # lower case, without the list suffix
    tokens: tuple[Token, ...]
    prefix: str | None = None  # the form prefix taken off (a, op, p, b, u)
    list_value: bool = False  # ends in _Varde / _Värde / _VALUE
    description: bool = False  # ends in _Beskrivning

    @cached_property
    def concepts(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for t in self.tokens:
            if t.concept is not None:
                out[t.concept] = max(out.get(t.concept, 0.0), t.weight)
        return out

    def explain(self) -> str:
        """``rem = referral, dat = date`` (the tokens that meant something)."""
        seen: list[str] = []
        for t in self.tokens:
            if t.concept is not None and t.concept.startswith("?"):
                continue
            if t.concept is not None and not t.concept.startswith("#"):
                part = f"{t.text} = {t.concept.replace('qol', 'quality of life')}"
                if part not in seen:
                    seen.append(part)
            elif t.concept is not None:
                seen.append(f"{t.text} = number {t.concept[1:]}")
        return ", ".join(seen)


def _segment(word: str) -> list[str]:
    """Split a glued word into vocabulary words (``remdat`` → ``rem``, ``dat``), covering as
    many letters as possible with as few pieces as possible; unknown letters stay as one piece."""
    n = len(word)
    # best[i] = (uncovered letters, pieces) for word[:i], and the split
    best: list[tuple[tuple[int, int], list[str]] | None] = [None] * (n + 1)
    best[0] = ((0, 0), [])
    for i in range(n):
        cur = best[i]
        if cur is None:
            continue
        (miss, pieces), parts = cur
        for j in range(i + 1, n + 1):
            piece = word[i:j]
            known = piece in VOCABULARY and (len(piece) >= 3 or piece in _SHORT_PIECES)
            if not known and j - i > 1:
                continue
            cost = (miss + (0 if known else 1), pieces + 1)
            if best[j] is None or cost < best[j][0]:  # type: ignore[index]
                best[j] = (cost, parts + [piece])
    result = best[n]
    assert result is not None
    # join runs of unknown single letters back into one piece
    out: list[str] = []
    run = ""
    for piece in result[1]:
        if piece in VOCABULARY and (len(piece) >= 3 or piece in _SHORT_PIECES):
            if run:
                out.append(run)
                run = ""
            out.append(piece)
        else:
            run += piece
    if run:
        out.append(run)
    return out


def _unknown(word: str) -> Token:
    """A word the vocabulary does not know: it still says something (``brachy``, ``cyt``), so
    it counts against a match unless the other name has it too; one or two letters do not."""
    return Token(word, "?" + word, STRONG) if len(word) >= 3 else Token(word, None, 0.0)


def _word_tokens(word: str) -> list[Token]:
    if word in VOCABULARY:
        concept, weight = VOCABULARY[word]
        return [Token(word, concept, weight)]
    pieces = _segment(word)
    if not any(p in VOCABULARY for p in pieces):
        return [_unknown(word)]
    return [Token(p, *VOCABULARY[p]) if p in VOCABULARY else _unknown(p) for p in pieces]


def read_name(name: str, export: bool = True) -> NameReading:
    """Read a column name.  ``export=False`` for canonical names and aliases (no form prefix)."""
    raw = unicodedata.normalize("NFC", str(name)).strip()
    if export and _REGISTER_ID.match(raw):
        return NameReading(name=str(name), base=raw.lower(), tokens=(Token("id", "id", 0.5),))
    spaced = re.sub(r"(?<=[a-zåäö])(?=[A-ZÅÄÖ])", "_", raw)  # camelCase: SjukhusKod
    low = spaced.lower()
    list_value = False
    description = False
    for suffix in _LIST_SUFFIXES:
        if low.endswith(suffix) and len(low) > len(suffix):
            low = low[: -len(suffix)]
            list_value = True
            break
    if low.endswith(_TEXT_SUFFIX) and len(low) > len(_TEXT_SUFFIX):
        low = low[: -len(_TEXT_SUFFIX)]
        description = True
    base = raw.lower()
    for suffix in _LIST_SUFFIXES:
        if base.endswith(suffix):
            base = base[: -len(suffix)]
            break
    parts = [p for p in re.split(r"[_\-\s.]+", low) if p]
    prefix = None
    if export and len(parts) > 1 and parts[0] in FORM_PREFIXES:
        prefix = parts.pop(0)
    tokens: list[Token] = []
    for part in parts:
        for chunk in re.findall(r"[0-9]+|[^0-9]+", part):
            if chunk.isdigit():
                tokens.append(Token(chunk, f"#{int(chunk)}", STRONG))
            elif (
                tokens
                and tokens[-1].concept
                and tokens[-1].concept.startswith("#")
                and (chunk in _NUMBER_UNITS)
            ):
                continue  # the unit of a number: 30d, 6m, 1ar
            else:
                tokens.extend(_word_tokens(chunk))
    if prefix is not None and FORM_PREFIXES[prefix]:
        # op_dat: the prefix is all there is to the name (besides a date, a code, a number)
        alone = all(
            t.concept is None or t.concept in _GENERIC or t.concept[0] == "#" for t in tokens
        )
        weight = 1.0 if alone else _PREFIX_WEIGHT
        tokens.insert(0, Token(prefix + "_", FORM_PREFIXES[prefix], weight))
    return NameReading(
        name=str(name),
        base=base,
        tokens=tuple(tokens),
        prefix=prefix,
        list_value=list_value,
        description=description,
    )


def _numbers(concepts: Mapping[str, float]) -> set[str]:
    return {c for c in concepts if c.startswith("#")}


def name_score(export: NameReading, canonical: NameReading) -> float:
    """How well two readings agree (0–1): 0.8 × the overlap of their core concepts plus 0.2 × the
    weighted overlap of all of them.  A number counts only when both names have one (``op1``
    is the first operation, not a different column); the form prefix counts for the core only
    when the canonical name has its concept (``op_sjhkod`` is the operating unit)."""
    if export.concepts.keys().isdisjoint(canonical.concepts):
        return 0.0
    e = dict(export.concepts)
    s = dict(canonical.concepts)
    if not (_numbers(e) and _numbers(s)):
        for c in _numbers(e) | _numbers(s):
            e.pop(c, None)
            s.pop(c, None)
    if not e or not s:
        return 0.0
    s_only_unknown = {c for c in s if c.startswith("?") and c not in e}
    keys = (set(e) | set(s)) - s_only_unknown
    weighted = sum(min(e.get(k, 0), s.get(k, 0)) for k in keys) / sum(
        max(e.get(k, 0), s.get(k, 0)) for k in keys
    )
    es = {c for c, w in e.items() if w >= STRONG}
    ss = {c for c, w in s.items() if w >= STRONG}
    if es and export.prefix and FORM_PREFIXES.get(export.prefix) in ss:
        es.add(FORM_PREFIXES[export.prefix])  # type: ignore[arg-type]  # op_klaff: valve surgery
    # a word the vocabulary does not know counts in the export's name, and in the canonical
    # name only where the export has it too (net_tillstand ~ net_condition's alias)
    ss_known = {c for c in ss if not c.startswith("?")} | (ss & es)
    if es or ss_known:
        core = len(es & ss) / len(es | ss_known)
    else:
        core = weighted
    return round(0.8 * core + 0.2 * weighted, 4)


# --------------------------------------------------------------------------------------------
# reading values

_ISO = (
    r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
    r"(?:\s?(?:Z|[+-]\d{2}:?\d{2}|[A-Z]{2,5}))?$"
)
_COMPACT = r"^(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])$"
_PARTIAL = r"^(?:18|19|20)\d{2}-?(?:(?:0[1-9]|1[0-2])-?00|00-?00)$"
_INT = r"^[+-]?\d+$"
_NUMBER = r"^[+-]?(?:\d+(?:[.,]\d+)?|[.,]\d+)$"
BOOLISH = {
    "1": True,
    "0": False,
    "ja": True,
    "nej": False,
    "j": True,
    "n": False,
    "true": True,
    "false": False,
    "sant": True,
    "falskt": False,
    "yes": True,
    "no": False,
    "y": True,
}


@dataclass(frozen=True)
class ColumnShape:
    """What a sample of a column's values looks like (shares are of the non-empty values)."""

    rows: int = 0
    filled: int = 0
    distinct: int = 0
    unique: bool = False  # (nearly) every row filled and (nearly) no value twice
    repeats: int = 0  # rows whose value an earlier row has
    date: float = 0.0  # ISO, compact YYYYMMDD or partial dates
    date_forms: tuple[str, ...] = ()  # iso, compact, partial (those seen)
    personnummer: float = 0.0
    integer: float = 0.0
    number: float = 0.0  # decimal point or comma
    checkbox: bool = False  # only True (and blanks)
    boolish: bool = False  # only yes/no codes (1/0, Ja/Nej, True/False) and unknown codes
    text: float = 0.0  # free text: letters and blanks, longer than a code
    max_len: int = 0
    codes: tuple[str, ...] = ()  # the distinct values, when few enough to be a code list

    @property
    def empty(self) -> bool:
        return self.filled == 0


def shape_of(values: pl.Series | Sequence[str | None]) -> ColumnShape:
    """Classify a column's values (a polars Series or a list of texts; blanks are missing)."""
    import polars as pl

    from nhvmetrics.personnummer import is_personnummer_like

    s = values if isinstance(values, pl.Series) else pl.Series(list(values), dtype=pl.String)
    s = s.cast(pl.String).str.strip_chars()
    rows = s.len()
    v = s.filter(s.is_not_null() & (s != ""))
    filled = v.len()
    if filled == 0:
        return ColumnShape(rows=rows)
    distinct = v.n_unique()
    frame = pl.DataFrame({"v": v})
    x = pl.col("v")
    stats = frame.select(
        x.str.contains(_ISO).mean().alias("iso"),
        x.str.contains(_COMPACT).mean().alias("compact"),
        x.str.contains(_PARTIAL).mean().alias("partial"),
        is_personnummer_like(x).mean().alias("pnr"),
        x.str.contains(_INT).mean().alias("int"),
        x.str.contains(_NUMBER).mean().alias("num"),
        (x.str.contains(r"[A-Za-zÅÄÖåäö]{2,}") & x.str.contains(r"\s") & (x.str.len_chars() > 12))
        .mean()
        .alias("text"),
        x.str.len_chars().max().alias("len"),
    ).row(0, named=True)
    lower = set(v.str.to_lowercase().unique().to_list()) if distinct <= MAX_CODES else set()
    forms = tuple(
        f for f, share in (("iso", stats["iso"]), ("compact", stats["compact"])) if share > 0
    ) + (("partial",) if stats["partial"] > 0 else ())
    codes: tuple[str, ...] = ()
    if distinct <= MAX_CODES:
        codes = tuple(sorted(v.unique().to_list(), key=_code_order))
    pnr = float(stats["pnr"])
    return ColumnShape(
        rows=rows,
        filled=filled,
        distinct=distinct,
        unique=filled >= 0.98 * rows and distinct >= 0.98 * filled,
        repeats=filled - distinct,
        date=min(1.0, float(stats["iso"] + stats["compact"] + stats["partial"])),
        date_forms=forms,
        personnummer=pnr,
        integer=float(stats["int"]),
        number=float(stats["num"]),
        checkbox=bool(lower) and lower == {"true"},
        boolish=bool(lower) and lower <= set(BOOLISH) | set(DEFAULT_UNKNOWN_CODES) | {"2"},
        text=float(stats["text"]),
        max_len=int(stats["len"] or 0),
        codes=codes if pnr == 0 and stats["iso"] == 0 else (),
    )


def _code_order(code: str) -> tuple[int, float, str]:
    try:
        return (0, float(code.replace(",", ".")), code)
    except ValueError:
        return (1, 0.0, code)


# --------------------------------------------------------------------------------------------
# reading codes


def _words(text: str) -> list[str]:
    return re.findall(r"[0-9a-zåäöéü]+", _norm(text))


def read_code(spec: ColumnSpec, code: str, description: str | None = None) -> tuple[bool, Any, str]:
    """What an export code (and its ``_Beskrivning`` text) means for a canonical column:
    ``(known, canonical value or None, how)``; ``known`` is False when the draft cannot tell."""
    low = _norm(code)
    text = _norm(description or "")
    if low in DEFAULT_UNKNOWN_CODES:
        return True, None, "an unknown code"
    if spec.type == "bool":
        for probe, how in ((low, "a yes/no code"), (text, "its text")):
            if probe in BOOLISH:
                return True, BOOLISH[probe], how
        return False, None, ""
    if spec.type == "int":
        for value, label in spec.labels.items():
            if text and text == _norm(label):
                return True, int(value), "its text is the label"
        if re.fullmatch(r"[+-]?\d+", low):
            n = int(low)
            lo, hi = spec.range or (None, None)
            if (lo is None or n >= lo) and (hi is None or n <= hi):
                return True, n, "a value of the range"
        return False, None, ""
    by_text = _read_text(spec, text) if text else None
    by_code: tuple[Any, str] | None = None
    if low in spec.values:
        by_code = (spec.values[low], "the built-in code")
    else:
        for c in spec.codes or ():
            if low == c.lower():
                by_code = (c, "the code itself")
                break
    if by_text is not None:
        if by_code is not None and by_code[0] != by_text[0]:
            # the register's own text says what its code means
            return True, by_text[0], f"{by_text[1]} (code {code} is {by_code[0]} built in)"
        return True, by_text[0], by_text[1]
    if by_code is not None:
        return True, by_code[0], by_code[1]
    return False, None, ""


def _read_text(spec: ColumnSpec, text: str) -> tuple[Any, str] | None:
    """What a code's ``_Beskrivning`` says, read against the labels and the code list."""
    for value, label in spec.labels.items():
        if text == _norm(label):
            return value, "its text is the label"
    words = _words(text)
    for c in sorted(spec.codes or (), key=len, reverse=True):
        if c.lower() in words:
            return c, f"its text names {c}"
    if text in spec.values:
        return spec.values[text], "its text is a built-in name"
    return None


def _code_match(spec: ColumnSpec, shape: ColumnShape, texts: Mapping[str, str]) -> float | None:
    """Share of a column's codes (unknown codes aside) that read as the canonical code list."""
    codes = [c for c in shape.codes if _norm(c) not in DEFAULT_UNKNOWN_CODES]
    if not codes:
        return None
    known = sum(1 for c in codes if read_code(spec, c, texts.get(c))[0])
    return known / len(codes)


# --------------------------------------------------------------------------------------------
# ranking


@dataclass(frozen=True)
class Candidate:
    """An export column proposed for a canonical column."""

    column: str
    score: float  # 0–1
    reasons: tuple[str, ...]

    @property
    def confidence(self) -> str:
        return confidence(self.score)


def confidence(score: float) -> str:
    """``high`` (≥ 0.80), ``medium`` (≥ 0.60) or ``low``."""
    return "high" if score >= HIGH else "medium" if score >= MEDIUM else "low"


@dataclass
class _Context:
    """What ranking knows about an export table (computed once per table)."""

    columns: list[str]
    shapes: dict[str, ColumnShape]
    texts: dict[str, dict[str, str]]  # value column -> code -> its _Beskrivning text
    readings: dict[str, NameReading]
    system: set[str]
    identifying: set[str]
    table: TableSpec | None = None
    paired_texts: set[str] = field(default_factory=set)  # _Beskrivning columns beside a code column
    normed: dict[str, str] = field(default_factory=dict)  # column -> its name in lower case


def _canonical_readings(spec: ColumnSpec) -> tuple[NameReading, ...]:
    return _readings_of((spec.name, *spec.aliases))


@lru_cache(maxsize=4096)
def _readings_of(names: tuple[str, ...]) -> tuple[NameReading, ...]:
    return tuple(read_name(n, export=False) for n in names)


@lru_cache(maxsize=4096)
def _normed(names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(_norm(n) for n in names)


def _identifying(name: str, listed: set[str], system: set[str] = frozenset()) -> bool:  # type: ignore[assignment]
    """A column that identifies a person: listed in the schema, or named like a name or an
    address (``PATIENTNAMN``, ``Gatuadress``) and no system column (``REGION_NAMN``)."""
    n = _norm(name)
    if n in listed:
        return True
    if n in system or n.endswith(_TEXT_SUFFIX):
        return False
    return not _NAME_WORDS.isdisjoint(re.split(r"[_\-\s.]+", n))


def _context(
    columns: Sequence[str],
    sample: Mapping[str, Sequence[str | None]] | pl.DataFrame | None,
    schema: AreaSchema | None,
    table: TableSpec | None,
) -> _Context:
    import polars as pl

    cols = [c for c in columns if c != "_row"]
    shapes: dict[str, ColumnShape] = {}
    if sample is not None:
        for c in cols:
            if c in sample:
                values = sample[c]
                shapes[c] = shape_of(values if isinstance(values, pl.Series) else list(values))
    system = {_norm(s) for s in INCA_SYSTEM_COLUMNS}
    identifying: set[str] = set()
    if schema is not None:
        system |= {_norm(s) for s in schema.system_columns}
        system |= {_norm(d.column) for d in schema.drop_rows}
        identifying = {_norm(s) for s in schema.identifying_columns}
    by_norm = {_norm(c): c for c in cols}
    texts = _description_pairs(cols, sample, by_norm)
    paired = {d for c in cols if (d := _description_of(c, cols, by_norm)) is not None}
    return _Context(
        paired_texts=paired,
        normed={c: _norm(c) for c in cols},
        columns=cols,
        shapes=shapes,
        texts=texts,
        readings={c: read_name(c) for c in cols},
        system=system,
        identifying=identifying,
        table=table,
    )


def _description_of(
    value_column: str, columns: Iterable[str], by_norm: Mapping[str, str] | None = None
) -> str | None:
    """The ``_Beskrivning`` column beside a list variable's value column, if any."""
    if by_norm is None:
        by_norm = {_norm(c): c for c in columns}
    low = _norm(value_column)
    for suffix in _LIST_SUFFIXES:
        if low.endswith(suffix):
            cand = low[: -len(suffix)] + _TEXT_SUFFIX
            if cand in by_norm:
                return by_norm[cand]
    return None


def _description_pairs(
    columns: Sequence[str],
    sample: Mapping[str, Sequence[str | None]] | pl.DataFrame | None,
    by_norm: Mapping[str, str] | None = None,
) -> dict[str, dict[str, str]]:
    """code -> text for each list variable whose texts are consistent (one text per code) and
    look like a code list's labels (short, no digits that could be a date or a number)."""
    import polars as pl

    out: dict[str, dict[str, str]] = {}
    if sample is None:
        return out
    by_norm = by_norm if by_norm is not None else {_norm(c): c for c in columns}
    for c in columns:
        d = _description_of(c, columns, by_norm)
        if d is None or c not in sample or d not in sample:
            continue
        frame = pl.DataFrame({"c": _texts(sample[c]), "d": _texts(sample[d])}).drop_nulls()
        frame = frame.filter((pl.col("c") != "") & (pl.col("d") != ""))
        pairs = frame.unique().sort("c", "d")
        if pairs.height > MAX_CODES or pairs["c"].n_unique() != pairs.height:
            continue
        texts = {}
        for code, text in pairs.iter_rows():
            if len(text) <= 60 and not re.search(r"\d{4,}", text):
                texts[code] = text
        out[c] = texts
    return out


def _texts(values: Any) -> pl.Series:
    import polars as pl

    s = values if isinstance(values, pl.Series) else pl.Series(list(values), dtype=pl.String)
    return s.cast(pl.String).str.strip_chars()


def _score(spec: ColumnSpec, column: str, ctx: _Context) -> Candidate | None:
    """Score one export column for one canonical column (None: it cannot be that column)."""
    reading = ctx.readings[column]
    n = ctx.normed[column]
    if reading.description and column in ctx.paired_texts:
        return None  # the text beside a list variable's code column, never a column of its own
    names = _normed((spec.name, *spec.aliases))
    is_alias = n in names or (reading.list_value and reading.base in names)
    if not is_alias and (n in ctx.system or _identifying(column, ctx.identifying, ctx.system)):
        return None
    reasons: list[str] = []
    if is_alias:
        score = 1.0
        reasons.append("the canonical name" if n == names[0] else "a built-in alias")
    else:
        stripped = "_".join(t.text for t in reading.tokens if not t.text.endswith("_"))
        bare = _norm(re.sub(r"^(?:a|op|p|b|u)_", "", reading.base))
        if bare in names and reading.prefix:
            score = 0.95
            reasons.append(f"a built-in alias ({bare}) after the form prefix {reading.prefix}_")
        else:
            best = max(name_score(reading, c) for c in _canonical_readings(spec))
            score = best
            if best > 0 and not _REGISTER_ID.match(column):
                reasons.append(f"name: {reading.explain() or stripped}")
    shape = ctx.shapes.get(column)
    key = ctx.table is not None and spec.name == ctx.table.key
    parent = ctx.table is not None and ctx.table.parent and spec.name == ctx.table.parent[1]
    register_id = bool(_REGISTER_ID.match(column))
    if register_id and ctx.table is not None:
        if key and (shape is None or shape.unique):
            score = max(score, 0.95)
            reasons.append("a register id (R…T…_ID)")
        elif parent and (shape is None or not shape.unique):
            score = max(score, 0.90)
            reasons.append("the register id of the parent table (a case reference)")
    if shape is not None:
        verdict = _shape_verdict(spec, shape, ctx.texts.get(column, {}), key=bool(key))
        if verdict is None:
            return None
        factor, why, floor = verdict
        score = max(score * factor, floor if score > 0 or floor >= 0.9 else 0)
        if why:
            reasons.append(why)
    score = round(min(score, 1.0), 2)
    if score < MIN_SCORE:
        return None
    return Candidate(column=column, score=score, reasons=tuple(reasons))


def _shape_verdict(
    spec: ColumnSpec, shape: ColumnShape, texts: Mapping[str, str], key: bool
) -> tuple[float, str, float] | None:
    """(score factor, reason, score floor) from the values, or None: they cannot be the column."""
    if shape.empty:
        return 0.9, "values: the sample is empty", 0.0
    dates = shape.date >= 0.8
    if spec.type == "date":
        if not dates:
            return None
        forms = " and ".join(
            {"iso": "ISO", "compact": "YYYYMMDD", "partial": "partial"}[f] for f in shape.date_forms
        )
        return 1.0, f"values: dates ({forms})", 0.0
    if dates and shape.date > 0.95:
        return None  # a date column is no code, id or measurement
    if spec.name == "patient_id" or spec.check == "personnummer":
        if shape.personnummer >= 0.9:
            return 1.0, "values: personnummer (by their shape)", 0.95
        if shape.integer >= 0.99 and shape.distinct >= 0.5 * shape.filled:
            return 0.9, "values: patient numbers", 0.0
        return 0.4, "", 0.0
    if shape.personnummer >= 0.5:
        return None  # personnummer are no code or unit
    if spec.type == "bool":
        if shape.checkbox:
            return 1.0, "values: a checkbox (True or blank)", 0.0
        if shape.boolish:
            return 1.0, "values: yes/no codes", 0.0
        return None
    if spec.type == "float":
        if shape.number >= 0.9:
            return 1.0, "values: numbers", 0.0
        return None
    if spec.type == "int":
        ok = [c for c in shape.codes if _norm(c) not in DEFAULT_UNKNOWN_CODES]
        if shape.codes and not ok:
            return 0.8, "values: unknown codes only", 0.0
        if not shape.codes or not all(re.fullmatch(r"[+-]?\d+", c) for c in ok):
            return None
        inside = sum(1 for c in ok if read_code(spec, c)[0]) / len(ok)
        if inside < 0.8:
            return 0.6, f"values: {len(ok)} codes, some outside {_range_text(spec)}", 0.0
        return 1.0, f"values: codes within {_range_text(spec)}", 0.0
    if spec.codes is not None or spec.values:
        if not shape.codes:
            return None  # too many distinct values for a code list
        match = _code_match(spec, shape, texts)
        if match is None:
            return 0.8, "values: unknown codes only", 0.0
        known = round(match * len([c for c in shape.codes if c not in DEFAULT_UNKNOWN_CODES]))
        total = len([c for c in shape.codes if c not in DEFAULT_UNKNOWN_CODES])
        return 0.6 + 0.4 * match, f"values: {known} of {total} codes read as the code list", 0.0
    # identifiers and unit codes
    if key:
        if shape.unique and shape.repeats:
            return 1.0, f"values: unique per row but {shape.repeats} repeated", 0.0
        if shape.unique:
            return 1.0, "values: unique per row", 0.0
        return 0.5, "values: not unique per row", 0.0
    if spec.identifier and shape.max_len <= 12 and shape.distinct <= max(200, shape.filled // 20):
        return 1.0, f"values: {shape.distinct} short codes", 0.0
    return 0.7, "", 0.0


def _range_text(spec: ColumnSpec) -> str:
    lo, hi = spec.range or (None, None)
    return f"{lo:g}–{hi:g}" if lo is not None and hi is not None else "the range"


def rank_candidates(
    canonical: ColumnSpec | str,
    columns: Sequence[str],
    sample: Mapping[str, Sequence[str | None]] | pl.DataFrame | None = None,
    *,
    area: str | None = None,
    table: str = "cases",
    limit: int | None = None,
) -> list[Candidate]:
    """The export columns likeliest to hold a canonical column, best first.

    ``canonical`` is a :class:`~nhvmetrics.schema.model.ColumnSpec` or a canonical name (looked
    up in ``area``'s schema when given, else read from the name alone); ``columns`` are the
    export's column names; ``sample`` (optional) maps column names to some of their values (a
    polars frame will do) and lets the values decide between names.  Each
    :class:`Candidate` has a score (0–1, see :func:`confidence`) and the reasons in words.
    Candidates below :data:`MIN_SCORE` are left out; the order is deterministic (score, then the
    export's column order).

        >>> [c.column for c in rank_candidates("referral_date", ["a_besok", "a_remdat"])]
        ['a_remdat']
    """
    schema = load_schema(area) if area is not None else None
    tspec = schema.table(table) if schema is not None else None
    if isinstance(canonical, ColumnSpec):
        spec = canonical
    elif tspec is not None and canonical in tspec.columns:
        spec = tspec.column(canonical)
    else:
        spec = ColumnSpec(name=str(canonical), type=_guess_type(str(canonical)))
    ctx = _context(columns, sample, schema, tspec)
    found = [c for c in (_score(spec, col, ctx) for col in ctx.columns) if c is not None]
    order = {c: i for i, c in enumerate(ctx.columns)}
    found.sort(key=lambda c: (-c.score, order[c.column]))
    return found[:limit] if limit is not None else found


def _guess_type(name: str) -> str:
    return "date" if name.endswith("_date") else "string"


# --------------------------------------------------------------------------------------------
# the draft


@dataclass(frozen=True)
class ValueProposal:
    code: str
    known: bool
    value: Any  # canonical value, or None (unknown / not applicable)
    how: str
    text: str | None = None  # the register's _Beskrivning of the code


@dataclass
class Placement:
    """Where a canonical column was found (per table), and the draft's value map for it."""

    canonical: str
    tables: list[str]
    columns: list[str]  # export columns, in priority order
    candidates: list[Candidate]  # the chosen ones, same order
    alternatives: list[Candidate] = field(default_factory=list)  # runners-up
    values: list[ValueProposal] = field(default_factory=list)
    checkbox: bool = False

    @property
    def score(self) -> float:
        return min(c.score for c in self.candidates)


@dataclass
class TableDraft:
    name: str
    path: Path | None
    rows: int
    columns: list[str]
    shapes: dict[str, ColumnShape]
    placed: dict[str, list[Candidate]]  # canonical -> chosen export columns
    alternatives: dict[str, list[Candidate]]
    missing_required: list[str]
    missing_optional: list[str]
    unmapped: dict[str, str]  # export column -> why it is left out (system, identifying …)


@dataclass
class Draft:
    """A drafted mapping profile (render it with :func:`render_profile`)."""

    area: str | Area  # a shipped area's name, or the area (named by its name)
    tables: dict[str, TableDraft]
    placements: dict[str, Placement]  # canonical -> placement, in schema order
    unknown_codes: list[str]
    date_formats: list[str]
    partial_dates: list[str]  # canonical columns where partial dates were seen

    @property
    def canonical_total(self) -> int:
        names: set[str] = set()
        schema = load_schema(self.area)
        for t in self.tables:
            names |= set(schema.table(t).columns)
        return len(names)

    @property
    def missing_required(self) -> list[str]:
        out: list[str] = []
        for t in self.tables.values():
            out += [c for c in t.missing_required if c not in out]
        return out

    @property
    def checkboxes(self) -> list[str]:
        return [p.canonical for p in self.placements.values() if p.checkbox]


def _assign(
    spec: TableSpec, ctx: _Context
) -> tuple[dict[str, list[Candidate]], dict[str, list[Candidate]]]:
    """Each canonical column gets the best export column that no better pair has taken."""
    pairs: list[tuple[float, int, int, str, Candidate]] = []
    order = {c: i for i, c in enumerate(ctx.columns)}
    canon = list(spec.columns)
    ranked: dict[str, list[Candidate]] = {}
    for ci, name in enumerate(canon):
        col = spec.column(name)
        found = [c for c in (_score(col, x, ctx) for x in ctx.columns) if c is not None]
        found.sort(key=lambda c: (-c.score, order[c.column]))
        ranked[name] = found
        for cand in found:
            if cand.score >= PLACE_SCORE:
                pairs.append((-cand.score, ci, order[cand.column], name, cand))
    pairs.sort(key=lambda p: (p[0], p[1], p[2]))
    placed: dict[str, list[Candidate]] = {}
    taken: set[str] = set()
    for _, _, _, name, cand in pairs:
        if cand.column in taken:
            continue
        if name in placed:
            if name == "patient_id" and _identity_column(cand, ctx):
                placed[name].append(cand)  # PERSNR and PAT_ID: a priority list
                taken.add(cand.column)
            continue
        if name == "patient_id" and not _identity_column(cand, ctx) and cand.score < HIGH:
            continue
        placed[name] = [cand]
        taken.add(cand.column)
    if "patient_id" in placed:
        placed["patient_id"].sort(key=lambda c: _identity_rank(c, ctx))
    # a column that fits another canonical column about as well, which nothing better took, is
    # a guess between the two: at most medium, and the draft says so
    for name, cands in placed.items():
        for i, cand in enumerate(cands):
            rivals = []
            for other in canon:
                if other == name:
                    continue
                mine = next((c for c in ranked[other] if c.column == cand.column), None)
                if mine is None or mine.score < cand.score - AMBIGUOUS:
                    continue
                if other in placed and placed[other][0].score >= mine.score:
                    continue
                rivals.append(f"also fits {other} ({mine.score:.2f})")
            if rivals:
                cands[i] = Candidate(
                    cand.column, min(cand.score, HIGH - 0.01), (*cand.reasons, *rivals)
                )
    alternatives = {
        name: [c for c in ranked[name] if c.column not in {p.column for p in placed.get(name, [])}][
            :2
        ]
        for name in canon
    }
    return placed, alternatives


def _identity_column(cand: Candidate, ctx: _Context) -> bool:
    shape = ctx.shapes.get(cand.column)
    n = _norm(cand.column)
    return n in _IDENTITY_ORDER or (shape is not None and shape.personnummer >= 0.9)


def _identity_rank(cand: Candidate, ctx: _Context) -> tuple[int, int, str]:
    shape = ctx.shapes.get(cand.column)
    pnr = 0 if shape is not None and shape.personnummer >= 0.9 else 1
    n = _norm(cand.column)
    pos = _IDENTITY_ORDER.index(n) if n in _IDENTITY_ORDER else len(_IDENTITY_ORDER)
    return (pnr, pos, n)


def _why_unmapped(column: str, ctx: _Context, placed_columns: set[str]) -> str:
    reading = ctx.readings[column]
    n = _norm(column)
    shape = ctx.shapes.get(column)
    if reading.description:
        base = _norm(column)[: -len(_TEXT_SUFFIX)]
        value_cols = {
            _norm(c)[: -len(s)]
            for c in placed_columns
            for s in _LIST_SUFFIXES
            if _norm(c).endswith(s)
        }
        return (
            "list text" if base in value_cols or base in {"kon", "lan"} else "list text (unplaced)"
        )
    if _identifying(column, ctx.identifying, ctx.system):
        return "identifying"
    if n in ctx.system:
        return "system"
    if shape is not None and shape.text >= 0.5:
        return "free text"
    return "unknown"


def draft_profile(
    area: str | Area, tables: Mapping[str, Path | str], *, sample_rows: int = SAMPLE_ROWS
) -> Draft:
    """Read an export (``{"cases": path, ...}``; CSV, XLSX or Parquet through the project's
    readers) and draft its mapping profile.  Unreadable input raises
    :class:`~nhvmetrics.errors.InputError` (exit 2)."""
    from nhvmetrics.io.readers import read_table

    schema = load_schema(area)
    frames: dict[str, pl.DataFrame] = {}
    paths: dict[str, Path] = {}
    for name, path in tables.items():
        if name not in schema.tables:
            raise NhvError(
                f"area '{area}' has no table '{name}'; use one of: {', '.join(schema.tables)}."
            )
        spec = schema.table(name)
        known = {c.name.lower() for c in spec.columns.values()}
        known |= {a.lower() for c in spec.columns.values() for a in c.aliases}
        raw = read_table(Path(path), table=name, sheets=spec.sheets, known_names=known)
        frames[name] = raw.frame.head(sample_rows).drop("_row", strict=False)
        paths[name] = Path(path)
    return draft_from_frames(area, frames, paths=paths)


def draft_from_frames(
    area: str | Area,
    frames: Mapping[str, pl.DataFrame],
    *,
    paths: Mapping[str, Path] | None = None,
) -> Draft:
    """Draft a profile from export tables already in memory (names and values as exported)."""
    import polars as pl

    schema = load_schema(area)
    drafts: dict[str, TableDraft] = {}
    placements: dict[str, Placement] = {}
    formats: list[str] = []
    partial: list[str] = []
    extra_unknown: list[str] = []
    for tname in schema.tables:
        if tname not in frames:
            continue
        frame = frames[tname].select(pl.all().cast(pl.String))
        spec = schema.table(tname)
        ctx = _context(frame.columns, frame, schema, spec)
        placed, alternatives = _assign(spec, ctx)
        used = {c.column for cands in placed.values() for c in cands}
        drafts[tname] = TableDraft(
            name=tname,
            path=(paths or {}).get(tname),
            rows=frame.height,
            columns=list(ctx.columns),
            shapes=ctx.shapes,
            placed=placed,
            alternatives=alternatives,
            missing_required=[c for c in spec.required if c not in placed],
            missing_optional=[
                c for c in spec.columns if c not in placed and c not in spec.required
            ],
            unmapped={c: _why_unmapped(c, ctx, used) for c in ctx.columns if c not in used},
        )
        for name, cands in placed.items():
            col = spec.column(name)
            p = placements.get(name)
            if p is None:
                p = placements[name] = Placement(name, [], [], [], alternatives.get(name, []))
            for cand in cands:
                if cand.column not in p.columns:
                    p.columns.append(cand.column)
                    p.candidates.append(cand)
            p.tables.append(tname)
            shape = ctx.shapes.get(cands[0].column, ColumnShape())
            if col.type == "bool" and shape.checkbox:
                p.checkbox = True
            elif _has_code_list(col) and shape.codes:
                texts = ctx.texts.get(cands[0].column, {})
                seen = {v.code for v in p.values}
                for code in shape.codes:
                    if code in seen or len(code) > 30:
                        continue
                    known, value, how = read_code(col, code, texts.get(code))
                    p.values.append(ValueProposal(code, known, value, how, texts.get(code)))
                    if _looks_unknown(texts.get(code)) and not known and code not in extra_unknown:
                        extra_unknown.append(code)
            if col.type == "date":
                for form in shape.date_forms:
                    fmt = {"iso": "%Y-%m-%d", "compact": "%Y%m%d", "partial": ""}[form]
                    if fmt and fmt not in formats:
                        formats.append(fmt)
                    if form == "partial" and name not in partial:
                        partial.append(name)
    order = [c for t in schema.tables.values() for c in t.columns]
    placements = {c: placements[c] for c in dict.fromkeys(order) if c in placements}
    formats.sort(key=lambda f: f != "%Y-%m-%d")
    if (
        partial
        and "%Y%m%d" not in formats
        and any(
            "compact" in drafts[t].shapes.get(c, ColumnShape()).date_forms
            for t in drafts
            for c in drafts[t].columns
        )
    ):
        formats.append("%Y%m%d")
    for p in placements.values():
        p.values.sort(key=lambda v: _code_order(v.code))
    return Draft(
        area=area,
        tables=drafts,
        placements=placements,
        unknown_codes=list(DEFAULT_UNKNOWN_CODES)
        + [c for c in extra_unknown if c not in DEFAULT_UNKNOWN_CODES],
        date_formats=formats or ["%Y-%m-%d"],
        partial_dates=partial,
    )


def _has_code_list(col: ColumnSpec) -> bool:
    return (
        (col.type in ("bool", "int") and (col.type == "bool" or col.range is not None))
        or col.codes is not None
        or bool(col.values)
    )


_UNKNOWN_WORDS = ("uppgift saknas", "okänt", "okänd", "kan ej bedömas", "ej tillämpligt", "saknas")


def _looks_unknown(text: str | None) -> bool:
    return bool(text) and any(w in _norm(text or "") for w in _UNKNOWN_WORDS)


# --------------------------------------------------------------------------------------------
# YAML

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


def yaml_scalar(value: Any) -> str:
    """A value as YAML: plain names, quoted everything else; lists in flow style."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(yaml_scalar(v) for v in value) + "]"
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _YAML_WORDS:
        return text
    return json.dumps(text, ensure_ascii=False)


def yaml_key(key: str) -> str:
    return yaml_scalar(str(key))


def _pad(line: str, comment: str, width: int = 44) -> str:
    if not comment:
        return line
    return f"{line.ljust(width)} # {comment}" if len(line) < width else f"{line}  # {comment}"


def _candidate_note(c: Candidate) -> str:
    return f"{'; '.join(c.reasons)}; {c.confidence} ({c.score:.2f})"


def render_profile(draft: Draft, *, command: str | None = None) -> str:
    """The draft as the SPEC §2a YAML, each choice explained in a comment."""
    schema = load_schema(draft.area)
    lines: list[str] = [
        f"# Mapping profile for area {draft.area}, drafted by `nhvmetrics map` from:",
    ]
    for t in draft.tables.values():
        where = t.path.name if t.path is not None else "(a frame)"
        lines.append(f"#   {t.name}: {where} ({len(t.columns)} columns, {t.rows} rows looked at)")
    lines += [
        "# Every line is a proposal: check it against the register's variable list, fix what is",
        "# wrong, fill in the TODO lines, then pass the file with --mapping, e.g.",
        "#   " + (command or f"nhvmetrics validate EXPORT --area {draft.area} --mapping PROFILE"),
        "# Confidence: high = name and values agree; medium = check it; low = a guess, check it.",
        f"area: {draft.area}",
        "",
        "# canonical column: export column (a list: the first present and non-empty wins)",
        "columns:" if draft.placements else "columns: {}  # nothing placed",
    ]
    for tname, t in draft.tables.items():
        spec = schema.table(tname)
        lines.append(f"  # {tname} table" + (" (required first)" if spec.required else ""))
        ordered = list(spec.required) + [c for c in spec.columns if c not in spec.required]
        for name in ordered:
            if name not in t.placed:
                continue
            p = draft.placements[name]
            if p.tables[0] != tname:
                continue  # written where it was first placed
            cols = p.columns
            value = cols[0] if len(cols) == 1 else cols
            notes = (
                [f"{c.column}: {_candidate_note(c)}" for c in p.candidates]
                if len(cols) > 1
                else [_candidate_note(p.candidates[0])]
            )
            if len(p.tables) > 1:
                notes.append(f"tables: {', '.join(p.tables)}")
            alt = [a for a in p.alternatives if a.score >= PLACE_SCORE - 0.1]
            if p.score < HIGH and alt:
                notes.append("or: " + ", ".join(f"{a.column} ({a.score:.2f})" for a in alt))
            lines.append(_pad(f"  {yaml_key(name)}: {yaml_scalar(value)}", " | ".join(notes)))
        for name in t.missing_required:
            lines.append(
                f"  # TODO {name} (required): no export column found; name it and remove the '#':"
            )
            lines.append(f"  # {name}: <export column>")
        optional = [c for c in t.missing_optional if c not in draft.placements]
        if optional:
            lines.append("  # not found (optional; add a line if the export has them):")
            lines += _wrap(", ".join(optional), "  #   ")
    lines += _values_section(draft, schema)
    lines += [
        "",
        "# bool columns exported as True or blank: a blank is read as false (take a column out",
        "# of the list if a blank there means 'not filled in')",
        f"checkboxes: {yaml_scalar(draft.checkboxes)}",
        "# codes read as unknown in every coded column",
        f"unknown_codes: {yaml_scalar(draft.unknown_codes)}",
        "dates:",
        f"  formats: {yaml_scalar(draft.date_formats)}"
        + ("" if draft.date_formats != ["%Y-%m-%d"] else "  # the forms the dates were in"),
    ]
    if draft.partial_dates:
        lines.append(
            "  partial: unknown  # day or month 00 seen in "
            + ", ".join(draft.partial_dates)
            + "; unknown | first | middle"
        )
    else:
        lines.append("  partial: unknown  # a date with day or month 00: unknown | first | middle")
    lines += _unmapped_section(draft)
    return "\n".join(lines) + "\n"


def _wrap(text: str, lead: str, width: int = 96) -> list[str]:
    out: list[str] = []
    line = ""
    for word in text.split(" "):
        if line and len(lead) + len(line) + 1 + len(word) > width:
            out.append(lead + line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        out.append(lead + line)
    return out


def _values_section(draft: Draft, schema: AreaSchema) -> list[str]:
    coded = [p for p in draft.placements.values() if p.values and not p.checkbox]
    if not coded:
        return ["", "values: {}"]
    lines = [
        "",
        "# export code -> canonical value (null: unknown / not applicable); the codes seen",
        "values:",
    ]
    for p in coded:
        col = next(
            schema.table(t).column(p.canonical)
            for t in p.tables
            if p.canonical in schema.table(t).columns
        )
        allowed = _allowed(col)
        lines.append(_pad(f"  {yaml_key(p.canonical)}:", f"{p.columns[0]}; canonical: {allowed}"))
        for v in p.values:
            text = f'"{v.text}"' if v.text else ""
            if v.known:
                note = f"{text} — {v.how}" if text else v.how
            else:
                note = f"TODO {text}: set the canonical value, or null for unknown".replace(
                    "  ", " "
                )
            lines.append(_pad(f"    {yaml_scalar(v.code)}: {yaml_scalar(v.value)}", note, 30))
    return lines


def _allowed(col: ColumnSpec) -> str:
    if col.type == "bool":
        return "true, false"
    if col.type == "int":
        return _range_text(col)
    return ", ".join(col.codes or sorted(set(col.values.values())))


_UNMAPPED_TITLES = {
    "system": "INCA system columns (not needed)",
    "identifying": "identifying (names, addresses): never read",
    "list text": "texts of the list variables above (_Beskrivning)",
    "list text (unplaced)": "texts of list variables not placed",
    "free text": "free text (never read)",
    "unknown": "no canonical column found (register variables the indicators do not use?)",
}


def _unmapped_section(draft: Draft) -> list[str]:
    lines = ["", "# Export columns not mapped:"]
    any_left = False
    for t in draft.tables.values():
        groups: dict[str, list[str]] = {}
        for c, why in t.unmapped.items():
            groups.setdefault(why, []).append(c)
        if not groups:
            continue
        any_left = True
        if len(draft.tables) > 1:
            lines.append(f"#  {t.name} table:")
        for why in _UNMAPPED_TITLES:
            if why in groups:
                lines.append(f"#   {_UNMAPPED_TITLES[why]}:")
                lines += _wrap(", ".join(groups[why]), "#     ")
    if not any_left:
        lines.append("#   none")
    return lines


def write_profile(draft: Draft, target: Path | str, *, command: str | None = None) -> None:
    """Write the draft through the output guard (:func:`nhvmetrics.io.atomic.write_text`)."""
    from nhvmetrics.io.atomic import write_text

    write_text(target, render_profile(draft, command=command))
