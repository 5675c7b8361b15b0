"""``nhvmetrics sample``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nhvmetrics.cli import app
from nhvmetrics.cli._common import AreaOpt
from nhvmetrics.io.guard import echo


@app.command()
def sample(
    area: AreaOpt,
    rows: Annotated[int, typer.Option("--rows", "-n", help="Number of case rows.")],
    seed: Annotated[
        int, typer.Option("--seed", help="Random seed; the same seed gives the same files.")
    ],
    output: Annotated[
        Path,
        typer.Option(
            "-o",
            "--output",
            help="Case-table file (.csv, .parquet or .xlsx), or an existing folder; "
            "anal's episodes and prem tables are written beside it.",
        ),
    ],
    dirty: Annotated[
        float, typer.Option("--dirty", help="Fraction of rows with planted errors (0-1).")
    ] = 0.0,
    inca: Annotated[
        bool, typer.Option("--inca", help="Write the INCA export dialect (Swedish names, codes).")
    ] = False,
) -> None:
    """Make a synthetic export for an area (made-up patients, deterministic per seed).

    Referrals 2019-2025 at four units, extract date 2026-02-15.  --rows counts the case rows;
    anal cancer also gets about 4 episodes and 0.7 PREM answers per case.

    Files: the case table goes to OUTPUT.  For CSV and Parquet the other tables of anal go beside
    it: anal_cases.csv -> anal_episodes.csv, anal_prem.csv (a trailing _cases of the name is
    replaced; x.csv -> x_episodes.csv, x_prem.csv).  An .xlsx file gets one sheet per table
    (cases, episodes, prem).  A folder gets <area>_cases.csv etc.

    Without --inca: canonical column names, UTF-8, comma-separated, ISO dates, true/false,
    decimal point.  With --inca: the INCA dialect - Windows-1252, semicolons, CRLF, decimal comma,
    INCA names (PAT_ID, KON_VALUE 1/2, <var>_Värde + <var>_Beskrivning, ...), 1/0 booleans with
    some Ja/Nej, some 98/99 unknowns, dates sometimes with a time part, and a few MAKULERAD=1 and
    'Region Demo' rows on top of --rows that a reader must drop.

    --dirty F plants one error in about F of the rows of every table: bad Luhn check digit,
    referral after treatment, unknown code, future date, age over 110, duplicate case_id,
    unparsable date; acc: mitotane 250 mg/L; anal: RT end before start, orphan episodes,
    PREM answers out of range; pelvic: discharge before admission.

    Example: nhvmetrics sample --area acc --rows 300 --seed 1 -o acc_cases.csv
    """
    from nhvmetrics.areas import resolve_area, shipped_area_names
    from nhvmetrics.errors import NhvError
    from nhvmetrics.io.names import check_name
    from nhvmetrics.sample import write_sample

    chosen = resolve_area(area)
    if not chosen.shipped:
        raise NhvError(
            f"sample makes exports for the shipped areas ({', '.join(shipped_area_names())}), "
            f"not for the area folder {area}."
        )
    area = chosen.name
    check_name(output, "output file")
    from nhvmetrics.progress import working

    with working(f"writing a sample export of {rows} rows"):
        written = write_sample(area, rows, seed, output, dirty=dirty, inca=inca)
    for table, (path, n) in written.items():
        extra = n - rows if table == "cases" and n > rows else 0
        note = f", {extra} of them MAKULERAD or Region Demo rows to drop" if extra else ""
        echo(f"wrote {table}: {path} ({n} rows{note})")
