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
        bool,
        typer.Option(
            "--inca",
            help="Write the export as an INCA register does (its own variable names, codes, "
            "system columns) and its mapping profile beside it; the same as --dialect inca.",
        ),
    ] = False,
    dialect: Annotated[
        str | None,
        typer.Option(
            "--dialect",
            help="canonical (default), inca (as --inca) or aliases (an INCA export under the "
            "built-in names, read without a profile).",
        ),
    ] = None,
) -> None:
    """Make a synthetic export for an area (made-up patients, deterministic per seed).

    Referrals 2019-2025 at four units, extract date 2026-02-15.  --rows counts the case rows;
    anal cancer also gets about 4 episodes and 0.7 PREM answers per case.

    Files: the case table goes to OUTPUT.  For CSV and Parquet the other tables of anal go beside
    it: anal_cases.csv -> anal_episodes.csv, anal_prem.csv (a trailing _cases of the name is
    replaced; x.csv -> x_episodes.csv, x_prem.csv).  An .xlsx file gets one sheet per table
    (cases, episodes, prem).  A folder gets <area>_cases.csv etc.

    Without --inca: canonical column names, UTF-8, comma-separated, ISO dates, true/false,
    decimal point.  With --inca: the export as a register writes it - Windows-1252,
    semicolons, CRLF, decimal comma, the register's own variable names with form prefixes
    (a_rem_dat, op_pad_radikalitet_Varde, a_inr_sjhkod, R77T201_ID), PAT_ID beside PERSNR,
    <var>_Varde + <var>_Beskrivning with the register's codes, True/blank checkboxes, 96/98/99
    for unknown, INCA's system columns, made-up names in FNAMN/ENAMN, and a few MAKULERAD=1
    and 'Region Demo' rows on top of --rows that a reader must drop; its mapping profile is
    written beside it (acc_cases.csv -> acc_cases.mapping.yaml).  --dialect aliases writes
    the older INCA-style dialect whose variables carry the built-in names (PAT_ID, KON_VALUE,
    <var>_Värde ...), which nhvmetrics reads without a profile.

    --dirty F plants one error in about F of the rows of every table: bad Luhn check digit,
    referral after treatment, unknown code, future date, age over 110, duplicate case_id,
    unparsable date; acc: mitotane 250 mg/L; anal: RT end before start, orphan episodes,
    PREM answers out of range; pelvic: discharge before admission.

    Example: nhvmetrics sample --area acc --rows 300 --seed 1 -o acc_cases.csv
    """
    from nhvmetrics.areas import resolve_area, shipped_area_names
    from nhvmetrics.errors import NhvError
    from nhvmetrics.io.names import check_name
    from nhvmetrics.sample import dialect_of, write_sample

    chosen = resolve_area(area)
    if not chosen.shipped:
        raise NhvError(
            f"sample makes exports for the shipped areas ({', '.join(shipped_area_names())}), "
            f"not for the area folder {area}."
        )
    area = chosen.name
    name = dialect_of(inca, dialect)
    check_name(output, "output file")
    echo(f"generating {area}: {rows} case rows, seed {seed}, {name} dialect")

    def written(table: str, path: Path, n: int) -> None:
        if table == "profile":
            echo(f"wrote mapping profile: {path}")
            return
        extra = n - rows if table == "cases" and n > rows else 0
        note = f", {extra} of them MAKULERAD or Region Demo rows to drop" if extra else ""
        echo(f"wrote {table}: {path} ({n} rows{note})")

    write_sample(area, rows, seed, output, dirty=dirty, dialect=name, progress=written)
