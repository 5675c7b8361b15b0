"""Write benchmarks/RESULTS.md from the results of ``run.py`` (never edit RESULTS.md by hand).

    python benchmarks/report_md.py [benchmarks/results.json]   # re-render without re-running

Notes for missed targets come from ``benchmarks/NOTES.md`` (one ``## <target id>`` section each),
so the analysis survives regeneration.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
GiB = 1024**3

COLUMNS = [
    ("floor_count", "scan+count"),
    ("floor_needed", "read schema cols"),
    ("floor_read", "full read"),
    ("validate", "validate"),
    ("compute", "compute"),
    ("report", "report"),
    ("duckdb", "DuckDB peer"),
    ("duckdb_checked", "DuckDB checked peer"),
    ("pandas", "pandas peer"),
]


def _cell(m: dict | None) -> str:
    if not m:
        return "–"
    if "skipped" in m:
        return "skipped"
    cpu = f" (CPU {m['cpu']:.2f} s)" if m.get("cpu") is not None else ""
    t = f"{m['median']:.2f} s{cpu} / {m['rss'] / GiB:.2f} GiB" + (
        f" (×{m['runs']})" if m.get("runs", 3) < 3 else ""
    )
    if m.get("timeout"):
        return f"> {m['median']:.0f} s (timeout)"
    if m.get("failed"):
        return f"{t} (exit {m['rc'][-1]})"
    return t


def _ok(flag: bool | None) -> str:
    return {True: "**met**", False: "**missed**", None: "not measured"}[flag]


def _notes() -> dict[str, str]:
    p = HERE / "NOTES.md"
    if not p.exists():
        return {}
    out: dict[str, str] = {}
    cur = None
    for line in p.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^## (\S+)", line)
        if m:
            cur = m.group(1)
            out[cur] = ""
        elif cur:
            out[cur] += line + "\n"
    # one paragraph per note inside a bullet; blank lines keep paragraphs (for the profile)
    return {k: re.sub(r"(?<!\n)\n(?!\n)(?!\* )[ \t]*", " ", v.strip()) for k, v in out.items()}


def _med(r: dict, lab: str, fmt: str, key: str) -> dict | None:
    m = r["sizes"].get(lab, {}).get(fmt, {}).get(key)
    if not m or "skipped" in m or m.get("failed"):
        return None
    return m


def _at(r: dict, lab: str, m: dict | None) -> str:
    """Where a figure was measured: the size, and the run when it is not this one (--merge)."""
    date = (m or {}).get("date")
    this = r["env"]["date"]
    return lab if not date or date[:10] == this[:10] else f"{lab} (run of {date})"


def targets(r: dict) -> list[dict]:
    """Every target of issue 15 with its measured figure. A target set at 10^7 rows is "not
    measured" unless 10^7 was run; the ratio at the largest size run is shown beside it."""
    labs = sorted(r["sizes"], key=lambda k: r["sizes"][k]["rows"])
    big = labs[-1] if labs else ""
    at7 = "1e7" in labs
    out = []

    def add(tid, what, figure, bar, ok, where=""):
        out.append(
            {"id": tid, "target": what, "figure": figure, "bar": bar, "ok": ok, "where": where}
        )

    def ratio(a, b):
        return None if (a is None or b is None) else a["median"] / b["median"]

    def cpu_ratio(a, b):
        if a is None or b is None or not a.get("cpu") or not b.get("cpu"):
            return None
        return a["cpu"] / b["cpu"]

    def shown(x, xc):
        if x is None:
            return "–"
        return f"{x:.2f}" + ("" if xc is None else f" (CPU {xc:.2f})")

    # compute, validating every row, against the plain DuckDB peer at 10^7
    for fmt, bar in (("parquet", 1.0), ("csv", 0.7)):
        lab = "1e7" if at7 else big
        c, d = _med(r, lab, fmt, "compute"), _med(r, lab, fmt, "duckdb")
        x = ratio(c, d)
        where = _at(r, lab, c) if at7 else f"not measured at 1e7; {big} shown"
        add(
            f"compute-vs-duckdb-{fmt}",
            f"compute / plain DuckDB peer at 10^7 rows, {fmt}",
            shown(x, cpu_ratio(c, d)),
            f"≤ {bar:.1f}",
            (x <= bar if x is not None else None) if at7 else None,
            where,
        )

    def largest(fmt: str, a: str, b: str) -> str:
        """The largest size at which both figures were measured (else the largest size)."""
        got = [x for x in labs if _med(r, x, fmt, a) and _med(r, x, fmt, b)]
        return got[-1] if got else big

    # against the peer that runs the same checks
    for fmt in ("parquet", "csv"):
        lab = largest(fmt, "compute", "duckdb_checked")
        c, d = _med(r, lab, fmt, "compute"), _med(r, lab, fmt, "duckdb_checked")
        x = ratio(c, d)
        add(
            f"compute-vs-checked-{fmt}",
            f"compute / DuckDB peer running the same checks, {fmt}",
            shown(x, cpu_ratio(c, d)),
            "≤ 0.5",
            None if x is None else x <= 0.5,
            _at(r, lab, c),
        )
    for fmt in ("parquet", "csv"):
        lab = "1e7" if at7 else big
        c = _med(r, lab, fmt, "compute")
        add(
            f"compute-memory-{fmt}",
            f"compute peak memory at 10^7 rows, {fmt}",
            "–" if c is None else f"{c['rss'] / GiB:.2f} GiB",
            "≤ 2 GiB",
            (None if c is None else c["rss"] <= 2 * GiB) if at7 else None,
            _at(r, lab, c) if at7 else f"not measured at 1e7; {big} shown",
        )
    for fmt in ("parquet", "csv"):
        lab = largest(fmt, "validate", "floor_needed")
        v, fl = _med(r, lab, fmt, "validate"), _med(r, lab, fmt, "floor_needed")
        x = ratio(v, fl)
        add(
            f"validate-vs-needed-{fmt}",
            f"validate / polars read of the columns the schema names, {fmt}",
            shown(x, cpu_ratio(v, fl)),
            "≤ 2.0",
            None if x is None else x <= 2.0,
            _at(r, lab, v),
        )
    rp = r["extra"].get("report_300")
    if rp and rp.get("vs_import_polars"):
        q = rp["vs_import_polars"]
        imp = r["extra"].get("import_polars_paired", {})
        add(
            "report-300",
            "`report` (HTML + workbook) on a 300-row export / `python -c 'import polars'`, "
            "end to end",
            f"{q['wall']:.2f} (CPU {q['cpu']:.2f}; {rp['median']:.2f} s against "
            f"{imp.get('median', 0):.2f} s, {q['pairs']} pairs)",
            "≤ 2.5",
            (not rp.get("failed")) and q["wall"] <= 2.5,
        )
    else:
        add("report-300", "`report` on a 300-row export / `import polars`", "–", "≤ 2.5", None)
    h = r["extra"].get("help")
    add(
        "startup-help",
        "`nhvmetrics --help`",
        "–" if not h else f"{h['median']:.3f} s (CPU {h.get('cpu') or 0:.3f} s)",
        "≤ 0.3 s",
        None if not h else h["median"] <= 0.3,
    )
    rs, ru = r["extra"].get("rollup_stamped"), r["extra"].get("rollup")
    if rs:
        versus = ""
        if ru and not ru.get("failed"):
            versus = (
                f"; validating the same exports: {ru['median']:.1f} s "
                f"(CPU {ru.get('cpu') or 0:.1f} s)"
            )
        add(
            "rollup-stamped",
            f"national roll-up of converted (stamped) Parquet: 4 areas × 6 years, "
            f"{rs['rows_total']:,} rows, read + aggregate, one process",
            f"{rs['median']:.1f} s (CPU {rs.get('cpu') or 0:.1f} s), {rs['rss'] / GiB:.2f} GiB"
            + versus,
            "report the figure",
            None if rs.get("failed") else True,
        )
    else:
        add("rollup-stamped", "national roll-up of stamped Parquet", "–", "report the figure", None)
    return out


def render(r: dict) -> str:
    env = r["env"]
    v = env["versions"]
    L = []
    L.append("# Benchmark results\n")
    L.append(
        "Generated by `python benchmarks/run.py` — do not edit by hand (notes for missed targets "
        "live in "
        "`benchmarks/NOTES.md`). How to rerun: [docs/benchmark.md](../docs/benchmark.md).\n"
    )
    a = r.get("args", {})
    L.append(
        f"* run: {env['date']}, sizes `{a.get('sizes')}`, {a.get('runs')} run(s) per command"
        + (
            f" ({a['big_runs']} at 5·10^6 rows and more)"
            if a.get("big_runs") not in (None, a.get("runs"))
            else ""
        )
        + " "
        "(median wall time and median CPU time, user + sys, of whole processes; "
        "peak RSS of the process), "
        f"{r.get('elapsed', 0) / 60:.0f} min in all"
    )
    for e in r.get("earlier_runs", []):
        L.append(
            f"* merged with an earlier run: {e['date']}, sizes `{e['sizes']}`, {e['runs']} run(s), "
            f"commit {e.get('commit')}, load average at start "
            f"{', '.join(f'{x:.1f}' for x in (e.get('load_at_start') or []))}"
        )
    L.append(
        f"* machine: {env['cpu']}, {env['cores']} cores, {env['memory_gib']} GiB RAM, {env['os']}; "
        f"load average at start {', '.join(f'{x:.1f}' for x in env['load_at_start'])}"
    )
    L.append(
        f"* versions: nhvmetrics {v['nhvmetrics']} (commit {env['commit']}), Python "
        f"{env['python']}, "
        f"polars {v['polars']}, pandas {v['pandas']}, duckdb {v['duckdb']}, pyarrow "
        f"{v['pyarrow']}, "
        f"numpy {v['numpy']}"
    )
    L.append(
        "* data: `benchmarks/generate.py`, area `pelvic` (14 indicators), wide INCA-style export "
        "(325 columns of which 27 are in the schema), 1 % dirty rows, years 2015–2025, reporting "
        "year "
        "2025, extract date 2026-02-15; CSV with `;` and decimal comma, Parquet (zstd) with "
        "natural types\n"
    )

    L.append("## Targets\n")
    notes = _notes()
    L.append("| target | measured | bar | status | at |")
    L.append("|---|---|---|---|---|")
    tl = targets(r)
    for t in tl:
        L.append(f"| {t['target']} | {t['figure']} | {t['bar']} | {_ok(t['ok'])} | {t['where']} |")
    L.append("")
    missed = [t for t in tl if t["ok"] is not True]
    if missed:
        L.append("### Why a target is missed and what would close it\n")
        for t in missed:
            key = t["id"]
            note = notes.get(key) or next((notes[k] for k in notes if key.startswith(k)), None)
            L.append(f"* **{t['target']}** ({_ok(t['ok'])}): {note or 'no note yet.'}")
        L.append("")

    L.append("## Timings (median wall time, median CPU time user + sys, peak memory)\n")
    L.append("| rows | format | file | " + " | ".join(h for _, h in COLUMNS) + " |")
    L.append("|---|---|---|" + "---|" * len(COLUMNS))
    for _lab, per in sorted(r["sizes"].items(), key=lambda kv: kv[1]["rows"]):
        for fmt in ("csv", "parquet"):
            if fmt not in per:
                continue
            size = per["bytes"].get(fmt, 0) / 1e6
            L.append(
                f"| {per['rows']:,} | {fmt} | {size:,.0f} MB | "
                + " | ".join(_cell(per[fmt].get(k)) for k, _ in COLUMNS)
                + " |"
            )
    L.append("")
    L.append("Time per 10^6 rows (s):\n")
    L.append("| rows | format | " + " | ".join(h for _, h in COLUMNS) + " |")
    L.append("|---|---|" + "---|" * len(COLUMNS))
    for _lab, per in sorted(r["sizes"].items(), key=lambda kv: kv[1]["rows"]):
        for fmt in ("csv", "parquet"):
            if fmt not in per:
                continue
            cells = []
            for k, _ in COLUMNS:
                m = per[fmt].get(k)
                cells.append(
                    "–"
                    if not m or "skipped" in m or m.get("failed")
                    else f"{m['median'] / per['rows'] * 1e6:.2f}"
                )
            L.append(f"| {per['rows']:,} | {fmt} | " + " | ".join(cells) + " |")
    L.append("")
    L.append(
        "Ratios at each size, wall time (CPU time in brackets); for peer / compute > 1 means "
        "compute is faster:\n"
    )
    pairs = [
        ("duckdb", "compute", "DuckDB / compute"),
        ("duckdb_checked", "compute", "checked DuckDB / compute"),
        ("pandas", "compute", "pandas / compute"),
        ("compute", "floor_needed", "compute / read schema cols"),
        ("validate", "floor_needed", "validate / read schema cols"),
        ("validate", "floor_read", "validate / full read"),
    ]
    L.append("| rows | format | " + " | ".join(h for _, _, h in pairs) + " |")
    L.append("|---|---|" + "---|" * len(pairs))

    def q(g: dict, a: str, b: str) -> str:
        x, y = g.get(a), g.get(b)
        if not x or not y or "skipped" in x or "skipped" in y or x.get("failed") or y.get("failed"):
            return "–"
        cpu = ""
        if x.get("cpu") and y.get("cpu"):
            cpu = f" ({x['cpu'] / y['cpu']:.2f})"
        return f"{x['median'] / y['median']:.2f}{cpu}"

    for _lab, per in sorted(r["sizes"].items(), key=lambda kv: kv[1]["rows"]):
        for fmt in ("csv", "parquet"):
            if fmt in per:
                cells = " | ".join(q(per[fmt], a, b) for a, b, _ in pairs)
                L.append(f"| {per['rows']:,} | {fmt} | {cells} |")
    L.append("")

    L.append("## Peers agree with the engine\n")
    if r["checks"]:
        L.append(
            "Exact check on a clean export (10^5 rows, no dirty rows): every (indicator, year, "
            "unit, "
            "stratum) row the peer computes — all 14 pelvic indicators, stratum `all`, the "
            "measures and "
            "the categories of the distributions, every unit and `ALL`, every year 2015–2025 — "
            "has the "
            "same numerator, denominator, value, q1, q3, n_missing and n_pending as `nhvmetrics "
            "compute`. "
            "The DuckDB checked peer runs the row checks of validation, so it must also agree on "
            "the "
            "1 %-dirty export of every size (rows marked *dirty*).\n"
        )
        L.append("| peer | format | result | rows compared |")
        L.append("|---|---|---|---|")
        for k, c in r["checks"].items():
            peer, fmt = k.split("/", 1)
            L.append(
                f"| {peer} | {fmt} | {'agree' if c['agree'] else '**DISAGREE**'} | {c['rows']} |"
            )
        L.append("")
    devs = []
    for lab, per in sorted(r["sizes"].items(), key=lambda kv: kv[1]["rows"]):
        for fmt in ("csv", "parquet"):
            for peer in ("duckdb", "pandas"):
                d = per.get(fmt, {}).get(peer, {}).get("deviation") if fmt in per else None
                if d:
                    devs.append(
                        f"{lab} {fmt} {peer}: largest share difference "
                        f"{(d['max_share_diff'] or 0):.4f}, largest count difference "
                        f"{100 * (d['max_count_rel_diff'] or 0):.2f} %"
                    )
    if devs:
        L.append(
            "On the 1 %-dirty benchmark exports the engine leaves out the quarantined rows and "
            "the peers "
            "(which do not validate) keep them, so the figures differ slightly (unit `ALL`, "
            "stratum `all`):\n"
        )
        L += [f"* {d}" for d in devs]
        L.append("")

    L.append("## Generator\n")
    L.append("| rows | columns | dirty rows | CSV | Parquet | seconds (build / CSV / Parquet) |")
    L.append("|---|---|---|---|---|---|")
    for lab, g in sorted(
        r.get("generator", {}).items(), key=lambda kv: float(kv[0]) if kv[0][0].isdigit() else 0
    ):
        t = g.get("timings") or {}
        L.append(
            f"| {lab} | {g['columns']} | {g['dirty_rows']:,} | "
            f"{g['bytes'].get('csv', 0) / 1e6:,.0f} MB | "
            f"{g['bytes'].get('parquet', 0) / 1e6:,.0f} MB | {g['seconds']:.1f} "
            f"({t.get('generate', '–')} / {t.get('csv', '–')} / {t.get('parquet', '–')}) |"
        )
    L.append("")
    if "generator" in notes:
        L.append(notes["generator"])
        L.append("")
    ex = r.get("extra", {})
    if ex:
        L.append("## Other measurements\n")
        for k, m in ex.items():
            L.append(
                f"* {m['name']}: {_cell(m)}" + (f" — `{m['cmd']}`" if k not in ("rollup",) else "")
            )
        L.append("")
    if "profile" in notes:
        L.append("## Where the time and memory go\n")
        L.append(notes["profile"])
        L.append("")
    return "\n".join(L) + "\n"


def write_results(r: dict, path: Path) -> None:
    path.write_text(render(r), encoding="utf-8")


if __name__ == "__main__":
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "results.json"
    write_results(json.loads(src.read_text(encoding="utf-8")), HERE / "RESULTS.md")
    print(f"wrote {HERE / 'RESULTS.md'}")
