"""Parameter values in the words of a definition: ``inom {x_days} dygn`` -> ``inom 14 dygn``.

A definition's titles, descriptions, sub-measure titles and source section may name a parameter
as ``{name}``; the report fills it with the value the indicator was computed with, so a title
never reads "inom X dygn" while the figure used 14. Older definitions (and a region's own) still
write a bare ``X``; it is filled with the indicator's *X parameter* — the one named ``x`` or
``x_…`` (``x_days``), else its only parameter — and ``X = 28`` (a value written into the text)
becomes the parameter's value. A bare ``X`` with no such parameter is left as it is (and
:func:`unfilled` finds it).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

#: ``{name}``: a parameter named in a text
PLACEHOLDER_RE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
#: a bare ``X`` as a word of its own (not the X of ``RX``, ``X-ray`` or ``{x}``), optionally with
#: the value the text gives it (``X = 28``)
BARE_X_RE = re.compile(r"(?<![\w{\-])X(?![\w}\-])(?:\s*=\s*\d+(?:[.,]\d+)?)?")
_NUMBER_RE = re.compile(r"^-?\d+\.\d+$")


def show_value(value: str, lang: str) -> str:
    """A parameter value as the report's language writes it (``0.5`` -> ``0,5`` in Swedish)."""
    if lang == "sv":
        return ", ".join(
            part.replace(".", ",") if _NUMBER_RE.match(part) else part for part in value.split(", ")
        )
    return value


def x_param(params: Sequence[tuple[str, str]]) -> str | None:
    """The parameter a bare ``X`` stands for: ``x`` or ``x_…``, else the only parameter."""
    names = [k for k, _ in params]
    for k in names:
        if k.lower() == "x" or k.lower().startswith("x_"):
            return k
    return names[0] if len(names) == 1 else None


def fill_params(text: str, params: Sequence[tuple[str, str]], lang: str = "sv") -> str:
    """``text`` with every ``{name}`` of a parameter (and a bare ``X``) replaced by its value."""
    if not text or ("{" not in text and "X" not in text):
        return text
    values = {k: show_value(v, lang) for k, v in params}

    def named(m: re.Match[str]) -> str:
        return values.get(m.group(1), m.group(0))

    out = PLACEHOLDER_RE.sub(named, text)
    x = x_param(params)
    if x is not None and "X" in out:
        out = BARE_X_RE.sub(lambda _m: values[x], out)
    return out


def unfilled(text: str) -> list[str]:
    """What is left to fill in a text: ``{name}`` placeholders and bare ``X`` words."""
    return [m.group(0) for m in PLACEHOLDER_RE.finditer(text)] + [
        m.group(0) for m in BARE_X_RE.finditer(text)
    ]
