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

import contextlib
import json
import sys
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, cast

from nhvmetrics import __version__
from nhvmetrics.batch_config import (
    FALLBACK_SUMMARY_SUFFIX,
    REPORT_KEYS,
    TOP_KEYS,
    BatchConfig,
    ReportJob,
    load_config,
)
from nhvmetrics.errors import EXIT_INVALID, EXIT_OK, EXIT_USAGE, NhvError
from nhvmetrics.io.guard import clean_text, clean_value, echo

__all__ = [
    "REPORT_KEYS",
    "TOP_KEYS",
    "BatchConfig",
    "JobResult",
    "ReportJob",
    "load_config",
    "main",
    "run_batch",
]


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
    # indicators that could not be computed for the year, and why (a table the export lacks, a
    # column it lacks …); the report says so too
    not_computable: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # what a reader of the log should know
    seconds: float = 0.0


def _now() -> str:
    """The time now, ISO 8601 in UTC with seconds (``2026-02-15T03:00:12Z``)."""
    import datetime as dt

    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Log:
    """Progress: a rich progress bar on a terminal, plain lines on stderr otherwise; with
    ``log_format = "json"`` one JSON object a line (time, level, report, message) for a
    scheduler's log collector."""

    def __init__(
        self, total: int, interactive: bool | None = None, log_format: str = "text"
    ) -> None:
        self.json = log_format == "json"
        self.interactive = (sys.stderr.isatty() if interactive is None else interactive) and (
            not self.json
        )
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

    def record(self, level: str, report: str | None, message: str) -> None:
        """One JSON line (``log_format = "json"``)."""
        line = {"time": _now(), "level": level, "report": report, "message": message}
        echo(json.dumps(line, ensure_ascii=False), err=True)

    def start(self, i: int, n: int, job: ReportJob) -> None:
        if self.json:
            self.record("info", job.name, f"[{i}/{n}] started")
        elif self.progress is not None:
            self.progress.update(self.task, description=f"{job.name}")
        else:
            echo(f"nhvmetrics batch: [{i}/{n}] {job.name}: started", err=True)

    def done(self, i: int, n: int, res: JobResult) -> None:
        if res.status == "ok":
            line = f"[{i}/{n}] {res.name}: ok -> {', '.join(res.outputs)} ({res.seconds:.1f} s)"
        else:
            line = f"[{i}/{n}] {res.name}: FAILED (exit {res.exit_code}): {res.error}"
        if self.json:
            if res.status == "ok":
                self.record("info", res.name, f"[{i}/{n}] ok -> {', '.join(res.outputs)}")
            else:
                self.record(
                    "error", res.name, f"[{i}/{n}] failed (exit {res.exit_code}): {res.error}"
                )
            for w in res.warnings:
                self.record("warning", res.name, w)
            return
        for w in res.warnings:
            line += f"\n    warning: {w}"
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


def run_batch(
    config: BatchConfig, interactive: bool | None = None, log_format: str | None = None
) -> dict[str, Any]:
    """Run every job, write the run summary and return it (``summary["exit_code"]``).

    A stop (Ctrl-C, SIGTERM, SIGHUP) ends the run after the summary is written saying so; the
    report being written when it came keeps its previous files, whole.
    """
    from nhvmetrics import pipeline

    make_output_dir(config)
    log = _Log(len(config.jobs), interactive, log_format or config.log_format)
    results: list[JobResult] = []
    run_id, started = _run_id(), _now()
    validations: dict[int, pipeline.Validated] = {}  # one validation per [[report]], all years
    stopped: BaseException | None = None
    try:
        for i, job in enumerate(config.jobs, start=1):
            log.start(i, len(config.jobs), job)
            t0 = time.monotonic()
            res = JobResult(job.name, job.area, job.year, job.unit, "failed", EXIT_INVALID)
            s = job.settings
            try:
                options = pipeline.RunOptions(
                    area=pipeline.known_area(job.area_ref or job.area),
                    definitions=job.definitions,
                    coverage=job.coverage,
                    suppress=s.suppress,
                    params=s.params,
                    # the levels' names are Literal strings: a Mapping of str, read only
                    targets=cast(Mapping[str, Mapping[str, Any]], s.targets),
                    tables=job.inputs,
                    year=job.year,
                    extract_date=s.extract_date,
                    unit=s.unit,
                    lang=s.lang,
                    ci_method=s.ci_method,
                    min_count=s.min_count,
                    strict=s.strict,
                    max_quarantined=s.max_quarantined,
                    mapping=job.mapping,
                )
                validated = validations.get(job.entry)
                if validated is None:
                    validated = pipeline.validate(options, pipeline.Purpose.REPORT)
                    validations[job.entry] = validated
                pipeline.check_unit(validated, options.unit)
                rendered = pipeline.render(
                    options, pipeline.compute(options, validated), workbook=s.xlsx
                )
                html = config.output_dir / f"{job.name}.html"
                xlsx = config.output_dir / f"{job.name}.xlsx" if s.xlsx else None
                w = pipeline.write_report(rendered, html, xlsx)
                res.status, res.exit_code = "ok", EXIT_OK
                res.outputs = [_rel(p, config.output_dir) for p in w.outputs]
                res.rows_read, res.quarantined, res.dropped = w.rows_read, w.quarantined, w.dropped
                res.indicators, res.suppressed_cells = w.indicators, w.suppressed_cells
                res.extract_date, res.inputs = w.extract_date, w.inputs
                res.not_computable, res.warnings = _what_to_know(rendered, job.year)
                if rendered.problems:
                    res.status = "failed"
                    res.exit_code = pipeline.exit_code(rendered.problems)
                    res.error = "; ".join(p.message for p in rendered.problems) + (
                        "; the report was written, marked as such"
                    )
                elif s.strict and w.quarantined:
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
            except BaseException as exc:  # a stop: this report is not written, the run ends
                res.error = (
                    f"{describe_stop(exc)} while this report was made; its files are as before"
                )
                res.exit_code = getattr(exc, "exit_code", 130)
                raise
            finally:
                if res.error:  # a file name or a value quoted in an error may be a personnummer
                    res.error = clean_value(res.error)
                res.seconds = round(time.monotonic() - t0, 2)
                results.append(res)
            log.done(i, len(config.jobs), res)
    except BaseException as exc:
        stopped = exc
        raise
    finally:
        log.close()
        summary = _summary(config, results, stopped, run_id, started)
        if stopped is None:
            write_summary(config.summary, summary)
        else:  # already stopping: a failure to write the summary must not hide why
            with contextlib.suppress(Exception):
                write_summary(config.summary, summary)
    return summary


def _run_id() -> str:
    import uuid

    return uuid.uuid4().hex


def _what_to_know(rendered: Any, year: int) -> tuple[dict[str, str], list[str]]:
    """The indicators of the year that could not be computed and why, and the warnings a log
    should carry (rows quarantined, indicators not computable)."""
    import polars as pl

    table = rendered.computed.table
    rows = table.filter((pl.col("period") == year) & ~pl.col("computable")).unique(
        "indicator_id", keep="first", maintain_order=True
    )
    missing = {
        str(r["indicator_id"]): str(r["note"] or "").removeprefix("not computable: ")
        for r in rows.iter_rows(named=True)
    }
    warnings = [n.removeprefix("note: ") for n in rendered.computed.validated.notes]
    quarantined = rendered.computed.validated.quarantined
    if quarantined:
        warnings.append(
            f"{quarantined} row(s) quarantined by validation and left out of the figures"
        )
    if missing:
        warnings.append(
            f"{len(missing)} indicator(s) not computable: "
            + "; ".join(f"{i} ({why})" for i, why in missing.items())
        )
    return missing, warnings


def _summary(
    config: BatchConfig,
    results: list[JobResult],
    stopped: BaseException | None,
    run_id: str = "",
    started: str = "",
) -> dict[str, Any]:
    failed = sum(r.status != "ok" for r in results)
    error = None
    exit_code = EXIT_INVALID if failed else EXIT_OK
    if stopped is not None:
        done = sum(r.status == "ok" for r in results)
        error = (
            f"{describe_stop(stopped)} after {done} of {len(config.jobs)} report(s); "
            "the reports not listed in runs were not run"
        )
        exit_code = int(getattr(stopped, "exit_code", 130))
    return {
        "tool": "nhvmetrics",
        "version": __version__,
        "run_id": run_id,
        "started": started,
        "finished": _now(),
        "config": str(config.path),
        "output_dir": str(config.output_dir),
        "reports": len(results),
        "ok": len(results) - failed,
        "failed": failed,
        "exit_code": exit_code,
        "error": error,
        "runs": [asdict(r) for r in results],
    }


def describe_stop(exc: BaseException) -> str:
    from nhvmetrics.signals import describe_stop as describe

    return describe(exc)


def write_summary(target: Path, summary: dict[str, Any]) -> None:
    """The run summary as JSON, written atomically."""
    from nhvmetrics.io.atomic import write_text

    write_text(target, json.dumps(summary, indent=2, ensure_ascii=False) + "\n")


def make_output_dir(config: BatchConfig) -> None:
    """Create ``output_dir`` (and its parents); one sentence if that is not possible."""
    try:
        config.output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise NhvError(
            f"{config.path}: cannot create the output folder {config.output_dir} "
            f"({exc.strerror or type(exc).__name__}); check output_dir and its permissions."
        ) from None
    if not config.output_dir.is_dir():
        raise NhvError(
            f"{config.path}: top-level output_dir {config.output_dir} is not a folder; "
            "name a folder."
        )


def _rel(p: Path, base: Path) -> str:
    try:
        return str(Path(p).resolve().relative_to(base.resolve()))
    except ValueError:
        return str(p)


# ---------------------------------------------------------------- a config that fails


def config_error_summary(config_path: Path | str, message: str) -> Path | None:
    """Write the run summary of a run whose config failed (nothing was run): ``exit_code`` 2 and
    ``error`` saying why. Returns where it went, or None when there is no safe place.

    It goes where a good run would put it (``output_dir/summary``) when the file names those
    two keys well enough and that place is safe (inside ``output_dir``, not an input, not the
    config); otherwise beside the config file, named after it (``nhvmetrics.toml`` ->
    ``nhvmetrics.run-summary.json``); when neither can be written, nowhere (the error line on
    stderr and the exit code still say it).
    """
    path = Path(config_path)
    summary: dict[str, Any] = {
        "tool": "nhvmetrics",
        "version": __version__,
        "run_id": _run_id(),
        "started": _now(),
        "finished": _now(),
        "config": str(path),
        "output_dir": None,
        "reports": 0,
        "ok": 0,
        "failed": 0,
        "exit_code": EXIT_USAGE,
        "error": message,
        "runs": [],
    }
    for target, out_dir in _error_summary_places(path):
        summary["output_dir"] = str(out_dir) if out_dir is not None else None
        try:
            if out_dir is not None:
                out_dir.mkdir(parents=True, exist_ok=True)
            write_summary(target, summary)
        except (NhvError, OSError):
            continue
        return target
    return None


def _error_summary_places(cfg: Path) -> list[tuple[Path, Path | None]]:
    from nhvmetrics.batch_config import DEFAULT_OUTPUT_DIR, DEFAULT_SUMMARY, read_toml, summary_path

    base = cfg.resolve().parent
    raw: Any = None
    try:
        raw = read_toml(cfg)
    except NhvError:
        pass
    protected = {cfg.resolve()}
    places: list[tuple[Path, Path | None]] = []
    if isinstance(raw, dict):
        entries = raw.get("report")
        for e in entries if isinstance(entries, list) else []:
            if isinstance(e, dict):
                names = [e.get("cases")]
                if isinstance(e.get("tables"), dict):
                    names += list(e["tables"].values())
                protected |= {(base / n).resolve() for n in names if isinstance(n, str) and n}
        out = raw.get("output_dir", DEFAULT_OUTPUT_DIR)
        name = raw.get("summary", DEFAULT_SUMMARY)
        if isinstance(out, str) and out and isinstance(name, str) and name:
            out_dir = (base / out).resolve()
            try:
                target = summary_path(cfg, out_dir, name)
            except NhvError:
                target = None
            if target is not None and not (out_dir.exists() and not out_dir.is_dir()):
                places.append((target, out_dir))
    if base.is_dir():
        places.append((base / f"{cfg.stem or cfg.name}{FALLBACK_SUMMARY_SUFFIX}", None))
    return [(t, d) for t, d in places if t.resolve() not in protected]


def main(
    config_path: Path | str, interactive: bool | None = None, log_format: str | None = None
) -> int:
    """Load, run, print a one-line total; return the exit code (the CLI exits with it).

    A config that fails is an :class:`NhvError` (exit 2), raised after its run summary is
    written (see :func:`config_error_summary`).
    """
    try:
        config = load_config(config_path)
        make_output_dir(config)
    except NhvError as exc:
        with contextlib.suppress(Exception):  # the summary must never hide the config error
            config_error_summary(config_path, str(exc))
        raise
    summary = run_batch(config, interactive, log_format)
    line = (
        f"{summary['ok']} of {summary['reports']} report(s) written to {config.output_dir}; "
        f"{summary['failed']} failed; summary in {config.summary}"
    )
    if (log_format or config.log_format) == "json":
        level = "info" if summary["exit_code"] == EXIT_OK else "error"
        record = {"time": _now(), "level": level, "report": None, "message": line}
        echo(json.dumps(record, ensure_ascii=False), err=True)
    else:
        echo(f"nhvmetrics batch: {line}", err=True)
    return int(summary["exit_code"])
