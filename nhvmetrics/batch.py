"""Batch reports for a region's scheduled job: ``nhvmetrics report --config nhvmetrics.toml``.

The TOML file names the output folder, the defaults, and one ``[[report]]`` table per export
(area, case table, extra tables, years, unit). Every report of every year is run; a failing one
is recorded and the others carry on; a JSON run summary is written; the exit code is 1 if any
report failed (0 otherwise, 2 for a bad config file). Progress is a rich progress bar on a
terminal and plain log lines (stderr) otherwise. The format is documented in docs/batch.md.

Example file::

    output_dir = "reports"
    years = [2025]
    xlsx = true

    [[report]]
    area = "acc"
    cases = "exports/acc_cases.csv"

    [[report]]
    area = "anal"
    cases = "exports/anal_cases.csv"
    tables = { episodes = "exports/anal_episodes.csv", prem = "exports/anal_prem.csv" }
    unit = "11001"
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from nhvmetrics import AREAS, __version__
from nhvmetrics.errors import EXIT_INVALID, EXIT_OK, NhvError
from nhvmetrics.io.guard import clean_text, clean_value, echo, safe_file_name

TOP_KEYS = {
    "output_dir",
    "years",
    "lang",
    "min_count",
    "xlsx",
    "extract_date",
    "unit",
    "summary",
    "ci_method",
    "strict",
    "report",
}
REPORT_KEYS = {
    "area",
    "cases",
    "tables",
    "years",
    "unit",
    "lang",
    "min_count",
    "xlsx",
    "extract_date",
    "name",
    "ci_method",
    "strict",
}


@dataclass
class ReportJob:
    """One report of the batch: one export, one year."""

    name: str  # output file stem, e.g. acc-2025 or acc-2025-11001
    area: str
    year: int
    cases: Path
    tables: dict[str, Path]
    unit: str | None
    lang: str
    min_count: int
    xlsx: bool
    extract_date: str | None
    ci_method: str
    entry: int
    strict: bool = False  # a report with quarantined rows counts as failed (exit 1)  # index of its [[report]] table (jobs of one entry share one validation)


@dataclass
class BatchConfig:
    path: Path
    output_dir: Path
    summary: Path
    jobs: list[ReportJob]


@dataclass
class JobResult:
    name: str
    area: str
    year: int
    unit: str | None
    status: str  # ok / failed
    exit_code: int
    error: str | None = None
    outputs: list[str] = field(default_factory=list)
    rows_read: int | None = None
    quarantined: int | None = None
    dropped: int | None = None
    indicators: int | None = None
    suppressed_cells: int | None = None
    extract_date: str | None = None
    inputs: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


def _fail(cfg: Path, msg: str) -> NhvError:
    return NhvError(f"{cfg}: {msg}")


def _years(cfg: Path, where: str, value: Any) -> list[int]:
    if isinstance(value, int) and not isinstance(value, bool):
        return [value]
    if (
        isinstance(value, list)
        and value
        and all(isinstance(y, int) and not isinstance(y, bool) for y in value)
    ):
        return sorted(set(value))
    raise _fail(cfg, f"{where}years must be a year or a list of years, e.g. years = [2024, 2025].")


def load_config(path: Path | str) -> BatchConfig:
    """Read and check a batch TOML file; paths in it are relative to the file's folder."""
    import tomllib

    path = Path(path)
    if not path.is_file():
        raise NhvError(f"the config file {path} does not exist; check the path.")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise _fail(path, f"not valid TOML ({exc}); see docs/batch.md for the format.") from None
    unknown = sorted(set(raw) - TOP_KEYS)
    if unknown:
        raise _fail(
            path,
            f"unknown setting(s) {', '.join(unknown)}; allowed: {', '.join(sorted(TOP_KEYS))}.",
        )
    base = path.resolve().parent
    entries = raw.get("report")
    if not isinstance(entries, list) or not entries:
        raise _fail(path, "needs at least one [[report]] table with area and cases.")
    out_dir = (base / str(raw.get("output_dir", "reports"))).resolve()
    summary = out_dir / str(raw.get("summary", "run-summary.json"))
    defaults = {
        "years": raw.get("years"),
        "lang": raw.get("lang", "sv"),
        "min_count": raw.get("min_count", 5),
        "xlsx": raw.get("xlsx", True),
        "extract_date": raw.get("extract_date"),
        "unit": raw.get("unit"),
        "ci_method": raw.get("ci_method", "wilson"),
        "strict": raw.get("strict", False),
    }
    jobs: list[ReportJob] = []
    names: set[str] = set()
    for i, e in enumerate(entries, start=1):
        where = f"[[report]] number {i}: "
        if not isinstance(e, dict):
            raise _fail(path, f"{where}must be a table.")
        bad = sorted(set(e) - REPORT_KEYS)
        if bad:
            raise _fail(
                path,
                f"{where}unknown key(s) {', '.join(bad)}; allowed: {', '.join(sorted(REPORT_KEYS))}.",
            )
        area = str(e.get("area", "")).lower()
        if area not in AREAS:
            raise _fail(
                path, f"{where}area must be one of {', '.join(AREAS)}, got '{e.get('area', '')}'."
            )
        if not e.get("cases"):
            raise _fail(path, f'{where}needs cases = "path/to/cases.csv".')
        tables = e.get("tables", {})
        if not isinstance(tables, dict):
            raise _fail(
                path, f'{where}tables must be a table such as tables = {{ episodes = "ep.csv" }}.'
            )
        s = {**defaults, **{k: v for k, v in e.items() if k in defaults}}
        if s["years"] is None:
            raise _fail(
                path, f"{where}no years: set years = [2025] at the top or in the [[report]]."
            )
        years = _years(path, where, s["years"])
        unit = str(s["unit"]) if s["unit"] not in (None, "") else None
        for y in years:
            stem = e.get("name") or f"{area}-{y}" + (f"-{unit}" if unit else "")
            if e.get("name") and len(years) > 1:
                stem = f"{e['name']}-{y}"
            stem = safe_file_name(str(stem))  # a unit code may be a personnummer
            if stem in names:
                raise _fail(
                    path,
                    f'{where}two reports would both write {stem}.html; give one a name = "...".',
                )
            names.add(stem)
            jobs.append(
                ReportJob(
                    name=str(stem),
                    area=area,
                    year=y,
                    cases=base / str(e["cases"]),
                    tables={str(k).lower(): base / str(v) for k, v in tables.items()},
                    unit=unit,
                    lang=str(s["lang"]),
                    min_count=int(s["min_count"]),
                    xlsx=bool(s["xlsx"]),
                    extract_date=str(s["extract_date"]) if s["extract_date"] else None,
                    ci_method=str(s["ci_method"]),
                    entry=i,
                    strict=bool(s["strict"]),
                )
            )
    return BatchConfig(path=path, output_dir=out_dir, summary=summary, jobs=jobs)


class _Log:
    """Progress: a rich progress bar on a terminal, plain lines on stderr otherwise."""

    def __init__(self, total: int, interactive: bool | None = None) -> None:
        self.interactive = sys.stderr.isatty() if interactive is None else interactive
        self.progress = None
        if self.interactive:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self.progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self.progress.start()
            self.task = self.progress.add_task("nhvmetrics batch", total=total)

    def start(self, i: int, n: int, job: ReportJob) -> None:
        if self.progress is not None:
            self.progress.update(self.task, description=f"{job.name}")
        else:
            echo(f"nhvmetrics batch: [{i}/{n}] {job.name}: started", err=True)

    def done(self, i: int, n: int, res: JobResult) -> None:
        if res.status == "ok":
            line = f"[{i}/{n}] {res.name}: ok -> {', '.join(res.outputs)} ({res.seconds:.1f} s)"
        else:
            line = f"[{i}/{n}] {res.name}: FAILED (exit {res.exit_code}): {res.error}"
        if self.progress is not None:
            style = "green" if res.status == "ok" else "bold red"
            from rich.markup import escape

            self.progress.console.print(f"[{style}]{escape(clean_text(line))}[/{style}]")
            self.progress.advance(self.task)
        else:
            echo(f"nhvmetrics batch: {line}", err=True)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()


def run_batch(config: BatchConfig, interactive: bool | None = None) -> dict[str, Any]:
    """Run every job, write the run summary and return it (``summary["exit_code"]``)."""
    from nhvmetrics.report.api import make_report, parse_date

    config.output_dir.mkdir(parents=True, exist_ok=True)
    log = _Log(len(config.jobs), interactive)
    results: list[JobResult] = []
    validations: dict[int, Any] = {}
    try:
        for i, job in enumerate(config.jobs, start=1):
            log.start(i, len(config.jobs), job)
            t0 = time.monotonic()
            res = JobResult(job.name, job.area, job.year, job.unit, "failed", EXIT_INVALID)
            try:
                validation = validations.get(job.entry)
                if validation is None:
                    from nhvmetrics.schema.validate import validate_export

                    for name, p in {"cases": job.cases, **job.tables}.items():
                        if not p.is_file():
                            raise NhvError(
                                f"the {name} table {p} does not exist; check the path.", 2
                            )
                    validation = validate_export(
                        job.area,
                        {"cases": job.cases, **job.tables},
                        parse_date(job.extract_date, "extract_date"),
                        contract=False,
                    )
                    validations[job.entry] = validation
                html = config.output_dir / f"{job.name}.html"
                xlsx = config.output_dir / f"{job.name}.xlsx" if job.xlsx else None
                w = make_report(
                    job.cases,
                    area=job.area,
                    year=job.year,
                    output=html,
                    xlsx=xlsx,
                    extract_date=job.extract_date,
                    tables=job.tables,
                    unit=job.unit,
                    lang=job.lang,
                    min_count=job.min_count,
                    ci_method=job.ci_method,
                    validation=validation,
                )
                res.status, res.exit_code = "ok", EXIT_OK
                res.outputs = [_rel(p, config.output_dir) for p in w.outputs]
                res.rows_read, res.quarantined, res.dropped = w.rows_read, w.quarantined, w.dropped
                res.indicators, res.suppressed_cells = w.indicators, w.suppressed_cells
                res.extract_date, res.inputs = w.extract_date, w.inputs
                if job.strict and w.quarantined:
                    res.status, res.exit_code = "failed", EXIT_INVALID
                    res.error = (
                        f"{w.quarantined} row(s) quarantined by validation (strict = true); "
                        "the report was written, fix the rows in the registry"
                    )
            except NhvError as exc:
                res.error, res.exit_code = str(exc), exc.exit_code or EXIT_INVALID
            except Exception as exc:  # noqa: BLE001 - one area's bug must not stop the others
                res.error = f"internal error {type(exc).__name__}: {exc}"
                res.exit_code = EXIT_INVALID
            if res.error:  # a file name or a value quoted in an error may be a personnummer
                res.error = clean_value(res.error)
            res.seconds = round(time.monotonic() - t0, 2)
            results.append(res)
            log.done(i, len(config.jobs), res)
    finally:
        log.close()
    failed = sum(r.status != "ok" for r in results)
    summary = {
        "tool": "nhvmetrics",
        "version": __version__,
        "config": str(config.path),
        "output_dir": str(config.output_dir),
        "reports": len(results),
        "ok": len(results) - failed,
        "failed": failed,
        "exit_code": EXIT_INVALID if failed else EXIT_OK,
        "runs": [asdict(r) for r in results],
    }
    from nhvmetrics.io.atomic import write_text

    write_text(config.summary, json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    return summary


def _rel(p: Path, base: Path) -> str:
    try:
        return str(Path(p).resolve().relative_to(base.resolve()))
    except ValueError:
        return str(p)


def main(config_path: Path | str, interactive: bool | None = None) -> int:
    """Load, run, print a one-line total; return the exit code (the CLI exits with it)."""
    config = load_config(config_path)
    summary = run_batch(config, interactive)
    echo(
        f"nhvmetrics batch: {summary['ok']} of {summary['reports']} report(s) written to "
        f"{config.output_dir}; {summary['failed']} failed; summary in {config.summary}",
        err=True,
    )
    return int(summary["exit_code"])
