"""Differential test: the vectorised personnummer check agrees with the `personnummer` package.

nhvmetrics checks personnummer with polars expressions (the package checks one value at a time,
too slow for 10^7 rows); here the package is the reference on random numbers of every form.
Known policy difference, excluded: nhvmetrics rejects a birth date in the future.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest

pytest.importorskip("personnummer")
from personnummer import personnummer as reference  # noqa: E402

from nhvmetrics.personnummer import luhn_digit as _luhn
from nhvmetrics.personnummer import valid  # noqa: E402


def _numbers(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        year = rng.randint(1900, 2025)
        month = rng.randint(1, 13)  # 13: an impossible month
        day = rng.randint(1, 31)
        if rng.random() < 0.2:
            day += 60  # samordningsnummer
        serial = f"{rng.randint(0, 999):03d}"
        nine = f"{year % 100:02d}{month:02d}{day:02d}{serial}"
        check = _luhn(nine) if rng.random() < 0.8 else str(rng.randint(0, 9))
        form = rng.randint(0, 3)
        if form == 0:
            out.append(f"{year}{month:02d}{day:02d}{serial}{check}")
        elif form == 1:
            out.append(f"{year}{month:02d}{day:02d}-{serial}{check}")
        else:
            # 10 digits: '+' for 100 years or older (as the package reads it today)
            sep = "+" if dt.date.today().year - year >= 100 else "-"
            out.append(f"{nine}{sep}{check}" if form == 2 else f"{nine[:6]}{sep}{nine[6:]}{check}")
    return out


@pytest.mark.slow
def test_agrees_with_the_personnummer_package() -> None:
    numbers = [
        x for x in _numbers(3000, seed=7) if len(x.replace("-", "").replace("+", "")) in (10, 12)
    ]
    ours = valid(numbers)
    theirs = [reference.valid(x) for x in numbers]
    differ = [
        (x, a, b) for x, a, b in zip(numbers, ours, theirs, strict=True) if bool(a) != bool(b)
    ]
    assert sum(theirs) > 500 and len(numbers) - sum(theirs) > 500  # both kinds are exercised
    assert not differ, f"{len(differ)} disagreements, e.g. {differ[:5]}"
