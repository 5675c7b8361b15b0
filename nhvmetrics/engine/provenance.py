"""Where each parameter value and target level of a definition comes from, and titles that show
the values.

Every parameter and every pair of target levels in a definition file carries a ``source:``, a
mapping with exactly one of these keys:

* ``seed: "<the seed's wording, quoted>"`` — the seed document fixes it (``document:`` names
  another seed file than the definition's own);
* ``register: "<register and target>"`` — a named register target (``quote:`` may quote it);
* ``local: "<why this value>"`` — a local assumption of the shipped definition, not set by
  Socialstyrelsen (the seeds fix none of the day limits and no target level);
* ``region: "<who decided>"`` — set by the region or unit itself (its own definition files).

A value set for one run (``compute_area(params=...)``, ``targets=...``; the batch
configuration) gets the source ``override``.  Target levels that are a ``local`` assumption are
carried but **not shown** (:attr:`Targets.shown`): a region shows levels by setting them itself.

Titles and descriptions may hold ``{name}`` placeholders for parameters; :func:`fill` puts the
run's value in (``inom {x_days} dygn`` → ``inom 14 dygn``), a parameter with ``choices`` its
label in the text's language.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: the source types a definition file may give, and what each needs
SOURCE_TYPES = ("seed", "register", "local", "region")
#: the source of a value set for one run (batch configuration, ``params=`` / ``targets=``)
OVERRIDE = "override"
#: source types whose values are assumptions, not set by Socialstyrelsen or a register
ASSUMPTIONS = ("local", "region", OVERRIDE)

_LABELS = {
    "sv": {
        "seed": "sakkunnigunderlaget",
        "register": "registrets mål",
        "local": "lokalt antagande – ej fastställt av Socialstyrelsen",
        "region": "fastställt av regionen – ej av Socialstyrelsen",
        OVERRIDE: "satt för denna körning – ej fastställt av Socialstyrelsen",
    },
    "en": {
        "seed": "the expert group's document",
        "register": "register target",
        "local": "local assumption – not set by Socialstyrelsen",
        "region": "set by the region – not by Socialstyrelsen",
        OVERRIDE: "set for this run – not set by Socialstyrelsen",
    },
}

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_BARE_X = re.compile(r"(?<![\w{])X(?![\w}])")


class SourceError(ValueError):
    """A ``source:`` that is not one of the accepted forms (the loader names the field)."""


@dataclass(frozen=True)
class Source:
    """Where a parameter value or a pair of target levels comes from."""

    type: str  # seed | register | local | region | override
    text: str  # the quoted wording (seed), the register target (register), the reason (others)
    quote: str = ""  # register: the target's wording, if quoted
    document: str = ""  # seed: the seed file, if not the definition's own

    @property
    def is_assumption(self) -> bool:
        """True unless the seed or a named register target fixes the value."""
        return self.type in ASSUMPTIONS

    def label(self, lang: str = "sv") -> str:
        """The kind of source in words (``lokalt antagande – ej fastställt av …``)."""
        return _LABELS.get(lang, _LABELS["en"])[self.type]

    def describe(self, lang: str = "sv") -> str:
        """The source in one line: its kind and what it says."""
        if self.type == "seed":
            return (
                f"{self.label(lang)}: ”{self.text}”"
                if lang == "sv"
                else f'{self.label(lang)}: "{self.text}"'
            )
        if self.type == "register":
            return f"{self.label(lang)}: {self.text}" + (f" (”{self.quote}”)" if self.quote else "")
        return f"{self.label(lang)} ({self.text})" if self.text else self.label(lang)

    def as_dict(self) -> dict[str, str]:
        out = {self.type: self.text}
        if self.quote:
            out["quote"] = self.quote
        if self.document:
            out["document"] = self.document
        return out


def parse_source(raw: Any) -> Source:
    """A ``source:`` mapping of a parameter or the targets; raise :class:`SourceError`."""
    forms = "seed: '<quote>', register: '<target>', local: '<why>' or region: '<who decided>'"
    if not isinstance(raw, Mapping):
        raise SourceError(f"needs a 'source' mapping with one of {forms}")
    kinds = [k for k in SOURCE_TYPES if k in raw]
    extra = sorted(set(raw) - set(SOURCE_TYPES) - {"quote", "document"})
    if len(kinds) != 1 or extra:
        what = f"unknown key '{extra[0]}'" if extra else "exactly one kind of source"
        raise SourceError(f"source: {what}; write one of {forms}")
    kind = kinds[0]
    text = raw[kind]
    if not isinstance(text, str) or not text.strip():
        raise SourceError(f"source: '{kind}' needs text (the wording, the target or the reason)")
    if "quote" in raw and kind != "register":
        raise SourceError("source: 'quote' goes with 'register' (a seed source is the quote)")
    if "document" in raw and kind != "seed":
        raise SourceError("source: 'document' goes with 'seed'")
    return Source(
        type=kind,
        text=" ".join(text.split()),
        quote=" ".join(str(raw.get("quote", "")).split()),
        document=str(raw.get("document", "")),
    )


OVERRIDE_SOURCE = Source(OVERRIDE, "")


@dataclass(frozen=True)
class Targets:
    """Target levels of a definition: two levels, which direction is better, their source."""

    intermediate: float | None = None
    high: float | None = None
    direction: str = "higher"
    source: Source | None = None

    @property
    def has_levels(self) -> bool:
        return self.intermediate is not None or self.high is not None

    @property
    def shown(self) -> bool:
        """Levels are shown unless they are a local assumption of the shipped definition (a
        region shows levels by setting them: its own definition, or ``targets=`` for a run)."""
        return self.has_levels and (self.source is None or self.source.type != "local")

    @property
    def higher_is_better(self) -> bool:
        return self.direction != "lower"

    def get(self, key: str, default: Any = None) -> Any:
        """Mapping-style reading (``targets.get("intermediate")``), as the report reads them."""
        return getattr(self, key, default)


# ---------------------------------------------------------------- texts with parameter values


def placeholders(text: str) -> list[str]:
    """The ``{name}`` placeholders of a text, in order."""
    return _PLACEHOLDER.findall(text or "")


def has_bare_x(text: str) -> bool:
    """True when a title says a bare ``X`` where the value belongs (``inom X dygn``)."""
    return bool(_BARE_X.search(text or ""))


def format_value(value: Any, lang: str = "sv") -> str:
    """A parameter value as a text shows it: ``14``, ``0,5`` in Swedish, ``0.5`` in English."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        s = f"{value:g}"
        return s.replace(".", ",") if lang == "sv" else s
    return str(value)


def fill(
    text: str,
    params: Mapping[str, Any],
    choices: Mapping[str, Mapping[str, tuple[str, str]]] | None = None,
    lang: str = "sv",
) -> str:
    """``text`` with every ``{name}`` replaced by the parameter's value (a choice by its label
    in ``lang``); a placeholder that names no parameter is left as it is."""
    if not text or "{" not in text:
        return text

    def one(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in params:
            return m.group(0)
        value = params[name]
        labels = (choices or {}).get(name, {}).get(str(value))
        if labels:
            return labels[0] if lang == "sv" else labels[1]
        return format_value(value, lang)

    return _PLACEHOLDER.sub(one, text)


def sources_text(sources: Mapping[str, Source], names: Any) -> str:
    """``x_days=local;horizon_days=seed`` for the indicator table's ``parameter_sources``."""
    return ";".join(f"{k}={sources[k].type}" for k in names if k in sources)
