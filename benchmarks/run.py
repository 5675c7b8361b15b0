"""The benchmark: one command, rerunnable by anyone.

    python benchmarks/run.py --sizes 1e5,1e6            # the standard run
    python benchmarks/run.py --quick                    # smoke run: 10^5 rows, 1 run each
    python benchmarks/run.py --sizes 1e5,1e6,1e7 --runs 3

For each size it generates (once, cached under benchmarks/data/) a wide INCA-style pelvic export as
CSV and Parquet, then times as whole processes — median wall time of --runs runs, median CPU time
(user + sys) and peak RSS of the process (os.wait4) — the product commands (validate, compute,
report), the peers (pandas, DuckDB SQL, DuckDB SQL running validation's checks) and the floors
(polars scan + count, polars read of the schema's columns, polars full read).  It checks that the
peers reproduce the engine's numbers on a clean export, and the checked peer on every dirty export
too (exit 1 if not), and measures start-up, a 300-row report paired with `import polars`, a
real-size report, validation of an export where every row fails, and a national roll-up over all
four areas and six years, validating and from stamped Parquet.  Writes benchmarks/RESULTS.md and
benchmarks/results.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import generate as gen  # noqa: E402

AREA = "pelvic"
YEAR = 2025
EXTRACT = gen.EXTRACT_DATE.isoformat()
GiB = 1024**3


# ------------------------------------------------------------------------------ measuring
def nhv() -> list[str]:
    """The ``nhvmetrics`` of the Python that runs the benchmark (its own environment's script,
    never another install found first on PATH)."""
    exe = Path(sys.executable).parent / "nhvmetrics"
    if exe.is_file():
        return [str(exe)]
    found = shutil.which("nhvmetrics", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "nhvmetrics"]


def byte_compile() -> None:
    """Byte-compile the nhvmetrics that is measured, as pip does when it installs a package: a
    process then loads the compiled modules instead of compiling them first (which it would do on
    every run where bytecode is not written, e.g. with PYTHONDONTWRITEBYTECODE)."""
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("nhvmetrics")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        compileall.compile_dir(folder, quiet=1)


def run_once(cmd: list[str], log: Path, timeout: float) -> dict:
    """Run one process through ``_measure.py``: wall time, peak RSS (wait4), exit code."""
    res = log.parent / "_last_measure.json"
    res.unlink(missing_ok=True)
    with open(log, "ab") as fh:
        fh.write(f"\n$ {' '.join(map(str, cmd))}\n".encode())
        fh.flush()
        t0 = time.perf_counter()
        try:
            subprocess.run(
                [sys.executable, HERE / "_measure.py", res, *[str(c) for c in cmd]],
                stdout=fh,
                stderr=fh,
                cwd=ROOT,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return {
                "wall": time.perf_counter() - t0,
                "cpu": None,
                "rss": 0,
                "rc": -9,
                "timeout": True,
            }
    r = json.loads(res.read_text())
    r["timeout"] = False
    return r


def measure(name: str, cmd: list[str], runs: int, log: Path, timeout: float, ok=(0,)) -> dict:
    res = []
    for _ in range(runs):
        r = run_once(cmd, log, timeout)
        res.append(r)
        if r["timeout"] or r["rc"] not in ok:
            break
    return summarise(name, cmd, res, ok)


def summarise(name: str, cmd: list[str], res: list[dict], ok=(0,)) -> dict:
    """Median wall and CPU time (user + sys of the process), peak RSS of the runs ``res``."""
    walls = [r["wall"] for r in res]
    cpus = [r["cpu"] for r in res if r.get("cpu") is not None]
    failed = [r for r in res if r["timeout"] or r["rc"] not in ok]
    out = {
        "name": name,
        "cmd": " ".join(map(str, cmd)),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "runs": len(res),
        "walls": walls,
        "cpus": cpus,
        "cpu": statistics.median(cpus) if cpus else None,
        "load": round(os.getloadavg()[0], 1),
        "median": statistics.median(walls),
        "rss": max(r["rss"] for r in res),
        "rc": [r["rc"] for r in res],
        "failed": bool(failed),
        "timeout": any(r["timeout"] for r in res),
    }
    flag = " FAILED" if failed else ""
    cpu = f"{out['cpu']:8.2f}s" if out["cpu"] is not None else "       –"
    print(
        f"  {name:<28} median {out['median']:8.2f}s  cpu {cpu}  peak {out['rss'] / GiB:6.2f} GiB  "
        f"runs {len(res)}  load {out['load']:.1f}{flag}",
        flush=True,
    )
    return out


def paired(
    a: tuple[str, list[str]], b: tuple[str, list[str]], runs: int, log: Path, timeout: float
) -> tuple[dict, dict, dict]:
    """Two commands in turn, A B A B …: each one's figures and the median of the ratios A/B pair
    by pair (wall and CPU), so a drift in the machine's speed does not bias the ratio."""
    ra, rb = [], []
    for _ in range(runs):
        ra.append(run_once(a[1], log, timeout))
        rb.append(run_once(b[1], log, timeout))
    ma, mb = summarise(a[0], a[1], ra), summarise(b[0], b[1], rb)
    walls = [x["wall"] / y["wall"] for x, y in zip(ra, rb, strict=True)]
    cpus = [
        x["cpu"] / y["cpu"] for x, y in zip(ra, rb, strict=True) if x.get("cpu") and y.get("cpu")
    ]
    ratio = {
        "wall": statistics.median(walls),
        "cpu": statistics.median(cpus) if cpus else None,
        "walls": walls,
        "pairs": runs,
    }
    print(
        f"  ratio {a[0]} / {b[0]}: wall {ratio['wall']:.2f}, cpu {ratio['cpu'] or 0:.2f}",
        flush=True,
    )
    return ma, mb, ratio


# ------------------------------------------------------------------------------ data
def ensure(
    area: str,
    rows: int,
    data: Path,
    *,
    stem: str,
    dirty: float = 0.01,
    fail_all: bool = False,
    formats=("csv", "parquet"),
    seed: int = 42,
) -> dict:
    mf = data / f"{stem}.json"
    if mf.exists():
        m = json.loads(mf.read_text(encoding="utf-8"))
        if (
            m.get("rows") == rows
            and m.get("dirty_fraction") == dirty
            and m.get("fail_all") == fail_all
            and m.get("seed") == seed
            and m.get("generator") == gen.GENERATOR_VERSION
            and all(Path(m["files"].get(f, "/nonexistent")).exists() for f in formats)
        ):
            return m
    print(f"  generating {stem} ({rows:,} rows, {'+'.join(formats)}) ...", flush=True)
    return gen.generate(
        area,
        rows,
        data,
        seed=seed,
        dirty=dirty,
        fail_all=fail_all,
        stem=stem,
        formats=tuple(formats),
        quiet=True,
    )


def label(rows: int) -> str:
    return gen._size_label(rows)


# ------------------------------------------------------------------------------ environment
def environment() -> dict:
    import importlib.metadata as md

    def v(p):
        try:
            return md.version(p)
        except md.PackageNotFoundError:
            return "-"

    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        commit = "-"
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem / GiB, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "versions": {
            p: v(p) for p in ("nhvmetrics", "polars", "pandas", "duckdb", "pyarrow", "numpy")
        },
        "commit": commit,
        "load_at_start": os.getloadavg(),
    }


# ------------------------------------------------------------------------------ the run
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="nhvmetrics benchmark (issue 15)")
    ap.add_argument("--sizes", default="1e5,1e6", help="rows, comma separated (e.g. 1e5,1e6,1e7)")
    ap.add_argument("--runs", type=int, default=3, help="runs per command (median reported)")
    ap.add_argument(
        "--big-runs",
        type=int,
        default=None,
        help="runs per command at sizes of 5*10^6 rows and more (default: --runs)",
    )
    ap.add_argument("--quick", action="store_true", help="10^5 rows, 1 run, small extra checks")
    ap.add_argument("--formats", default="csv,parquet")
    ap.add_argument("--data", type=Path, default=HERE / "data", help="where generated exports go")
    ap.add_argument("--out", type=Path, default=None, help="outputs and logs (default DATA/out)")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per process")
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--no-report", action="store_true", help="skip `report` at the benchmark sizes")
    ap.add_argument("--allfail-rows", type=float, default=1e6)
    ap.add_argument("--rollup-rows", type=float, default=2.5e5, help="rows per area in the roll-up")
    ap.add_argument(
        "--skip", default="", help="comma separated: startup,realsize,allfail,rollup,check"
    )
    ap.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    ap.add_argument(
        "--only",
        default="",
        help="measure only these of floor_count,floor_needed,floor_read,validate,compute,report,"
        "duckdb,duckdb_checked,pandas at the sizes (with --merge: the others are kept from the "
        "earlier run)",
    )
    ap.add_argument(
        "--merge",
        action="store_true",
        help="add to benchmarks/results.json of an earlier run (e.g. 10^7 run separately)",
    )
    a = ap.parse_args(argv)
    if a.quick:
        a.sizes, a.runs, a.allfail_rows, a.rollup_rows = "1e5", 1, 1e5, 2e4
    sizes = [int(float(s)) for s in a.sizes.split(",") if s]
    formats = [f for f in a.formats.split(",") if f]
    skip = {s for s in a.skip.split(",") if s}
    only = {s for s in a.only.split(",") if s}

    def want(key: str) -> bool:
        return not only or key in only

    data = a.data
    out = a.out or data / "out"
    out.mkdir(parents=True, exist_ok=True)
    log = out / "run.log"
    env = environment()
    print(
        f"nhvmetrics benchmark — {env['cpu']}, {env['cores']} cores, {env['memory_gib']} GiB; "
        f"sizes {sizes}, {a.runs} run(s)",
        flush=True,
    )
    results: dict = {
        "env": env,
        "args": vars(a) | {"data": str(a.data), "out": str(out), "results": str(a.results)},
        "sizes": {},
        "extra": {},
        "checks": {},
        "generator": {},
    }
    prev = json_path(a)
    if a.merge and prev.exists():
        old = json.loads(prev.read_text(encoding="utf-8"))
        for k in ("extra", "checks", "generator"):
            results[k] = old.get(k, {}) | results[k]
        results["sizes"] = old.get("sizes", {})
        results["earlier_runs"] = old.get("earlier_runs", []) + [
            {
                "date": old["env"]["date"],
                "sizes": old.get("args", {}).get("sizes"),
                "runs": old.get("args", {}).get("runs"),
                "load_at_start": old["env"].get("load_at_start"),
                "commit": old["env"].get("commit"),
                "elapsed": old.get("elapsed"),
            }
        ]
    N = nhv()
    py = sys.executable
    byte_compile()
    t_start = time.perf_counter()

    # -------- differential check on a clean export (exact agreement expected)
    if "check" not in skip and not a.no_peers:
        print("differential check (clean export, 10^5 rows):", flush=True)
        m = ensure(AREA, 100_000, data, stem="pelvic_clean_1e5", dirty=0.0)
        from compare import compare

        for fmt in formats:
            f = Path(m["files"][fmt])
            eng = out / f"check_engine_{fmt}.csv"
            run_once(
                [
                    *N,
                    "compute",
                    f,
                    "--area",
                    AREA,
                    "--year",
                    YEAR,
                    "--extract-date",
                    EXTRACT,
                    "-o",
                    eng,
                ],
                log,
                a.timeout,
            )
            for peer in ("pandas", "duckdb", "duckdb_checked"):
                po = out / f"check_{peer}_{fmt}.csv"
                run_once(
                    [
                        py,
                        HERE / "peers" / f"{peer}_peer.py",
                        f,
                        "--year",
                        YEAR,
                        "--extract-date",
                        EXTRACT,
                        "-o",
                        po,
                    ],
                    log,
                    a.timeout,
                )
                r = compare(eng, po)
                ok = not r["problems"]
                results["checks"][f"{peer}/{fmt}"] = {
                    "agree": ok,
                    "rows": r["rows_peer"],
                    "engine_rows": r["rows_engine"],
                    "problems": [(c, str(df)) for c, df in r["problems"]],
                }
                print(
                    f"  {peer:<7} {fmt:<8} {'agree' if ok else 'DISAGREE'} ({r['rows_peer']} rows)",
                    flush=True,
                )

    # -------- start-up and a real-size export
    if "startup" not in skip:
        print("start-up:", flush=True)
        results["extra"]["help"] = measure(
            "nhvmetrics --help", [*N, "--help"], max(5, a.runs), log, 60
        )
        results["extra"]["import_polars"] = measure(
            "python -c 'import polars'", [py, "-c", "import polars"], max(5, a.runs), log, 60
        )
    if "realsize" not in skip:
        print("a registrar's run: report on a 300-row export against `import polars`:", flush=True)
        m = ensure(AREA, 300, data, stem="pelvic_300", formats=("csv",))
        rep, imp, ratio = paired(
            (
                "report 300 rows csv",
                [
                    *N,
                    "report",
                    Path(m["files"]["csv"]),
                    "--area",
                    AREA,
                    "--year",
                    YEAR,
                    "--extract-date",
                    EXTRACT,
                    "-o",
                    out / "r300.html",
                    "--xlsx",
                    out / "r300.xlsx",
                ],
            ),
            ("python -c 'import polars' (paired)", [py, "-c", "import polars"]),
            max(7, a.runs),
            log,
            a.timeout,
        )
        results["extra"]["report_300"] = rep | {"vs_import_polars": ratio}
        results["extra"]["import_polars_paired"] = imp
        print("real-size area export (3 000 rows):", flush=True)
        m = ensure(AREA, 3000, data, stem="pelvic_3000", formats=("csv",))
        f = Path(m["files"]["csv"])
        results["extra"]["report_realsize"] = measure(
            "report 3000 rows csv",
            [
                *N,
                "report",
                f,
                "--area",
                AREA,
                "--year",
                YEAR,
                "--extract-date",
                EXTRACT,
                "-o",
                out / "real.html",
                "--xlsx",
                out / "real.xlsx",
            ],
            max(3, a.runs),
            log,
            a.timeout,
        )
        results["extra"]["compute_realsize"] = measure(
            "compute 3000 rows csv",
            [
                *N,
                "compute",
                f,
                "--area",
                AREA,
                "--year",
                YEAR,
                "--extract-date",
                EXTRACT,
                "-o",
                out / "real.csv",
            ],
            max(3, a.runs),
            log,
            a.timeout,
        )

    # -------- the sizes
    for rows in sizes:
        lab = label(rows)
        print(f"size {lab} ({rows:,} rows):", flush=True)
        m = ensure(AREA, rows, data, stem=f"{AREA}_{lab}", formats=formats)
        results["generator"][lab] = {
            "seconds": m["seconds"],
            "timings": m.get("timings"),
            "bytes": m["bytes"],
            "columns": m["columns"],
            "dirty_rows": m["dirty_rows"],
        }
        per: dict = results["sizes"].get(lab, {}) | {
            "rows": rows,
            "bytes": m["bytes"],
            "columns": m["columns"],
        }
        runs = a.big_runs if (a.big_runs and rows >= 5_000_000) else a.runs
        for fmt in formats:
            f = Path(m["files"][fmt])
            r: dict = dict(per.get(fmt, {}))
            o = out / f"{lab}_{fmt}"
            o.mkdir(exist_ok=True)
            if want("floor_count"):
                r["floor_count"] = measure(
                    f"{fmt} floor: scan+count",
                    [py, HERE / "floors.py", "count", f],
                    runs,
                    log,
                    a.timeout,
                )
            if want("floor_needed"):
                r["floor_needed"] = measure(
                    f"{fmt} floor: read schema cols",
                    [py, HERE / "floors.py", "needed", f],
                    runs,
                    log,
                    a.timeout,
                )
            # the full read of 325 columns needs ~4.6 GB per 10^6 rows as CSV: skip where it
            # cannot fit
            est = 5.0 * GiB * rows / 1e6
            if not want("floor_read"):
                pass
            elif est < 0.75 * env["memory_gib"] * GiB:
                r["floor_read"] = measure(
                    f"{fmt} floor: full read",
                    [py, HERE / "floors.py", "read", f],
                    runs,
                    log,
                    a.timeout,
                )
            else:  # every column of every row is still read and decoded, in batches dropped
                r["floor_read"] = measure(
                    f"{fmt} floor: full read, batched",
                    [py, HERE / "floors.py", "read", f, "--batched"],
                    runs,
                    log,
                    a.timeout,
                )
                r["floor_read"]["batched"] = (
                    f"the whole frame needs ~{est / GiB:.0f} GiB (> 75 % of RAM)"
                )
            if want("validate"):
                r["validate"] = measure(
                    f"{fmt} validate",
                    [
                        *N,
                        "validate",
                        f,
                        "--area",
                        AREA,
                        "--extract-date",
                        EXTRACT,
                        "--errors",
                        o / "findings.csv",
                    ],
                    runs,
                    log,
                    a.timeout,
                    ok=(0, 1),
                )
            if want("compute"):
                r["compute"] = measure(
                    f"{fmt} compute",
                    [
                        *N,
                        "compute",
                        f,
                        "--area",
                        AREA,
                        "--year",
                        YEAR,
                        "--extract-date",
                        EXTRACT,
                        "-o",
                        o / "engine.csv",
                    ],
                    runs,
                    log,
                    a.timeout,
                )
            if not a.no_report and want("report"):
                r["report"] = measure(
                    f"{fmt} report",
                    [
                        *N,
                        "report",
                        f,
                        "--area",
                        AREA,
                        "--year",
                        YEAR,
                        "--extract-date",
                        EXTRACT,
                        "-o",
                        o / "report.html",
                        "--xlsx",
                        o / "report.xlsx",
                    ],
                    runs,
                    log,
                    a.timeout,
                )
            if not a.no_peers:
                for peer in ("duckdb", "duckdb_checked", "pandas"):
                    if not want(peer):
                        continue
                    r[peer] = measure(
                        f"{fmt} {peer} peer",
                        [
                            py,
                            HERE / "peers" / f"{peer}_peer.py",
                            f,
                            "--year",
                            YEAR,
                            "--extract-date",
                            EXTRACT,
                            "-o",
                            o / f"{peer}.csv",
                        ],
                        runs,
                        log,
                        a.timeout,
                    )
                    # on the dirty export the engine leaves out quarantined rows, the peers do not:
                    # report how far apart the shares are (informational; the exact check is above)
                    ran = not r[peer]["failed"] and "compute" in r and not r["compute"]["failed"]
                    if ran and peer == "duckdb_checked":
                        # it runs the same checks: exact agreement on the dirty export too
                        from compare import compare

                        c = compare(o / "engine.csv", o / f"{peer}.csv")
                        results["checks"][f"{peer}/{fmt} {lab} (1 % dirty)"] = {
                            "agree": not c["problems"],
                            "rows": c["rows_peer"],
                            "engine_rows": c["rows_engine"],
                            "problems": [(k, str(df)) for k, df in c["problems"]],
                        }
                    elif ran:
                        r[peer]["deviation"] = deviation(o / "engine.csv", o / f"{peer}.csv")
            per[fmt] = r
        results["sizes"][lab] = per
        save(results, a)

    # -------- every row fails
    if "allfail" not in skip:
        rows = int(a.allfail_rows)
        lab = label(rows)
        print(f"every row failing ({lab} rows, CSV):", flush=True)
        m = ensure(AREA, rows, data, stem=f"{AREA}_{lab}_allfail", fail_all=True, formats=("csv",))
        f = Path(m["files"]["csv"])
        fo = out / f"allfail_{lab}_findings.csv"
        r = measure(
            f"validate all-fail {lab}",
            [*N, "validate", f, "--area", AREA, "--extract-date", EXTRACT, "--errors", fo],
            a.runs,
            log,
            a.timeout,
            ok=(0, 1),
        )
        r["rows"] = rows
        r.update(findings_completeness(fo, rows, f))
        results["extra"]["allfail"] = r
        save(results, a)

    # -------- national roll-up
    if "rollup" not in skip:
        rows = int(a.rollup_rows)
        print(
            f"national roll-up (4 areas x {rows:,} rows, years {YEAR - 5}-{YEAR}, Parquet, one "
            "process):",
            flush=True,
        )
        files = []
        for area in ("acc", "net", "anal", "pelvic"):
            m = ensure(area, rows, data, stem=f"rollup_{area}_{label(rows)}", formats=("parquet",))
            files.append(f"{area}={m['files']['parquet']}")
        r = measure(
            "roll-up",
            [
                py,
                HERE / "rollup.py",
                *files,
                "--first-year",
                YEAR - 5,
                "--year",
                YEAR,
                "--extract-date",
                EXTRACT,
                "-o",
                out / "rollup.csv",
            ],
            a.runs,
            log,
            a.timeout,
        )
        r["rows_total"] = 4 * rows
        results["extra"]["rollup"] = r
        # the same exports converted once (stamped Parquet): read + aggregate, no re-validation
        stamped = []
        for item in files:
            area, _, src = item.partition("=")
            dst = out / f"rollup_{area}.stamped.parquet"
            run_once(
                [*N, "convert", src, "--area", area, "--extract-date", EXTRACT, "-o", dst],
                log,
                a.timeout,
            )
            stamped.append(f"{area}={dst}")
        s = measure(
            "roll-up, stamped Parquet",
            [
                py,
                HERE / "rollup.py",
                *stamped,
                "--stamped",
                "--first-year",
                YEAR - 5,
                "--year",
                YEAR,
                "--extract-date",
                EXTRACT,
                "-o",
                out / "rollup_stamped.csv",
            ],
            a.runs,
            log,
            a.timeout,
        )
        s["rows_total"] = 4 * rows
        if not s["failed"] and not r["failed"]:  # the same indicator rows either way
            import polars as pl

            same = pl.read_csv(out / "rollup.csv").equals(pl.read_csv(out / "rollup_stamped.csv"))
            results["checks"]["rollup stamped/parquet (same rows as validating)"] = {
                "agree": bool(same),
                "rows": pl.read_csv(out / "rollup_stamped.csv").height,
                "engine_rows": pl.read_csv(out / "rollup.csv").height,
                "problems": [] if same else [("table", "the stamped roll-up differs")],
            }
        results["extra"]["rollup_stamped"] = s
        save(results, a)

    results["elapsed"] = time.perf_counter() - t_start
    save(results, a)
    from report_md import write_results

    write_results(results, a.results)
    print(f"wrote {a.results} ({results['elapsed'] / 60:.1f} min)")
    bad = [k for k, v in results["checks"].items() if not v["agree"]]
    if bad:
        print(f"PEERS DISAGREE WITH THE ENGINE: {', '.join(bad)}", file=sys.stderr)
        return 1
    return 0


def deviation(engine_csv: Path, peer_csv: Path) -> dict:
    """Largest difference between peer and engine on the dirty export (stratum all, ALL units)."""
    import polars as pl
    from compare import _load

    e = _load(engine_csv).filter(pl.col("stratum") == "all", pl.col("unit") == "ALL")
    p = _load(peer_csv).filter(pl.col("stratum") == "all", pl.col("unit") == "ALL")
    j = e.join(p, on=["indicator_id", "period", "unit", "stratum"], suffix="_p")
    prop = j.filter(pl.col("denominator").is_not_null() & pl.col("numerator").is_not_null())
    cnt = j.filter(pl.col("denominator").is_null() & pl.col("numerator").is_not_null())
    return {
        "max_share_diff": prop.select((pl.col("value") - pl.col("value_p")).abs().max()).item(),
        "max_count_rel_diff": cnt.select(
            ((pl.col("numerator") - pl.col("numerator_p")).abs() / pl.col("numerator_p")).max()
        ).item(),
    }


def findings_completeness(path: Path, rows: int, source: Path | None = None) -> dict:
    """Is every failing row in the findings file? (every row of the all-fail export has a bad
    personnummer, so each accepted-or-quarantined row must appear with that check)."""
    import polars as pl

    if not path.exists():
        return {"findings_file": None, "complete": False}
    size = path.stat().st_size
    expected = rows
    if source is not None:  # cancelled and demo-region rows are dropped before any check
        src = pl.scan_csv(source, separator=";", infer_schema=False).select(
            "MAKULERAD", "REGION_NAMN"
        )
        expected = (
            src.filter((pl.col("MAKULERAD") != "1") & (pl.col("REGION_NAMN") != "Region Demo"))
            .select(pl.len())
            .collect()
            .item()
        )
    try:
        lf = pl.scan_csv(path, infer_schema=False)
        n = lf.select(pl.len()).collect().item()
        pn = (
            lf.filter(pl.col("check") == "invalid_personnummer")
            .select(pl.col("row").n_unique())
            .collect()
            .item()
        )
    except Exception as exc:  # noqa: BLE001
        return {"findings_file": str(path), "bytes": size, "error": str(exc), "complete": False}
    return {
        "findings_file": str(path),
        "bytes": size,
        "findings": n,
        "rows_with_pnr_finding": pn,
        "rows_checked": expected,
        "complete": pn == expected,
    }


def json_path(a) -> Path:
    """benchmarks/results.json beside benchmarks/RESULTS.md; X.json beside any other
    --results X.md."""
    return (
        HERE / "results.json"
        if a.results == HERE / "RESULTS.md"
        else a.results.with_suffix(".json")
    )


def save(results: dict, a) -> None:
    """Write results.json and RESULTS.md after every stage, so an interrupted run still reports."""
    json_path(a).write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    from report_md import write_results

    write_results(results, a.results)


if __name__ == "__main__":
    raise SystemExit(main())
