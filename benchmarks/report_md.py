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
    t = f"{m['median']:.2f} s / {m['rss'] / GiB:.2f} GiB" + (
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


def targets(r: dict) -> list[dict]:
    """Every target of issue 6 with its measured figure, at the largest size that was run."""
    labs = sorted(r["sizes"], key=lambda k: r["sizes"][k]["rows"])
    big = "1e7" if "1e7" in labs else (labs[-1] if labs else None)
    note_big = "" if big == "1e7" else f" (measured at {big}: 10^7 not run)"
    out = []

    def add(tid, what, figure, bar, ok, where=""):
        out.append(
            {"id": tid, "target": what, "figure": figure, "bar": bar, "ok": ok, "where": where}
        )

    def ratio(a, b):
        return None if (a is None or b is None) else a["median"] / b["median"]

    for fmt, bar, tid in (
        ("parquet", 1.0, "compute-vs-duckdb-parquet"),
        ("csv", 1 / 1.3, "compute-vs-duckdb-csv"),
    ):
        c, d = _med(r, big, fmt, "compute"), _med(r, big, fmt, "duckdb")
        x = ratio(c, d)
        txt = "compute / DuckDB peer" + (
            " ≤ 1.0" if fmt == "parquet" else " ≤ 0.77 (DuckDB ≥ 1.3× slower)"
        )
        add(
            tid,
            f"{txt}, {fmt}",
            "–" if x is None else f"{x:.2f} (DuckDB/compute = {1 / x:.2f}×)",
            f"≤ {bar:.2f}",
            None if x is None else x <= bar,
            big + note_big,
        )
    for fmt in ("parquet", "csv"):
        c, d = _med(r, big, fmt, "compute"), _med(r, big, fmt, "duckdb_checked")
        x = ratio(c, d)
        add(
            f"compute-vs-checked-{fmt}",
            f"compute / DuckDB peer running the same checks ≤ 0.5, {fmt}",
            "–" if x is None else f"{x:.2f}",
            "≤ 0.50",
            None if x is None else x <= 0.5,
            big or "",
        )
    for fmt in ("parquet", "csv"):
        c, p = _med(r, big, fmt, "compute"), _med(r, big, fmt, "pandas")
        x = ratio(p, c)
        add(
            f"compute-vs-pandas-{fmt}",
            f"pandas peer / compute ≥ 7, {fmt}",
            "–" if x is None else f"{x:.2f}×",
            "≥ 7",
            None if x is None else x >= 7,
            big + note_big,
        )
    for fmt in ("parquet", "csv"):
        c = _med(r, big, fmt, "compute")
        if c is not None and big != "1e7":  # extrapolate linearly; the status stays 'not measured'
            rows = r["sizes"][big]["rows"]
            add(
                f"compute-memory-{fmt}",
                f"compute peak memory ≤ 2 GiB, {fmt}",
                f"{c['rss'] / GiB:.2f} GiB at {big}; ≈ {c['rss'] * 1e7 / rows / GiB:.1f} GiB at 10^7 if linear",
                "≤ 2 GiB",
                None,
                big + note_big,
            )
            continue
        add(
            f"compute-memory-{fmt}",
            f"compute peak memory ≤ 2 GiB, {fmt}",
            "–" if c is None else f"{c['rss'] / GiB:.2f} GiB",
            "≤ 2 GiB",
            None if c is None else c["rss"] <= 2 * GiB,
            big + note_big,
        )
    for fmt in ("parquet", "csv"):
        v = _med(r, big, fmt, "validate")
        fl = _med(r, big, fmt, "floor_read")
        which = "full read"
        if fl is not None and fl.get("batched"):
            which = "full read in batches (the whole frame does not fit)"
        if fl is None:
            fl, which = (
                _med(r, big, fmt, "floor_needed"),
                "read of the schema's columns (full read does not fit)",
            )
        x = ratio(v, fl)
        add(
            f"validate-vs-read-{fmt}",
            f"validate / polars {which} ≤ 2.5, {fmt}",
            "–" if x is None else f"{x:.2f}",
            "≤ 2.5",
            None if x is None else x <= 2.5,
            big + note_big,
        )
    if big != "1e6" and "1e6" in labs:  # the full read still fits at 10^6: the bar as written
        for fmt in ("parquet", "csv"):
            v, fl = _med(r, "1e6", fmt, "validate"), _med(r, "1e6", fmt, "floor_read")
            x = ratio(v, fl)
            add(
                f"validate-vs-read-{fmt}",
                f"validate / polars full read (all 325 columns) ≤ 2.5, {fmt}",
                "–" if x is None else f"{x:.2f}",
                "≤ 2.5",
                None if x is None else x <= 2.5,
                "1e6",
            )
    af = r["extra"].get("allfail")
    if af:
        okm = (not af.get("failed")) and af["rss"] < 2 * GiB
        add(
            "allfail-memory",
            f"validate, {af['rows']:,} rows all failing: peak memory < 2 GiB",
            f"{af['rss'] / GiB:.2f} GiB, {af['median']:.1f} s",
            "< 2 GiB",
            okm,
        )
        add(
            "allfail-complete",
            "… and the findings file complete",
            f"{af.get('rows_with_pnr_finding', '–')} of {af.get('rows_checked', '–')} checked rows, "
            f"{af.get('findings', '–')} findings, {af.get('bytes', 0) / 1e6:.0f} MB",
            "every row",
            af.get("complete"),
        )
    h = r["extra"].get("help")
    if h:
        add(
            "startup-help",
            "`nhvmetrics --help`",
            f"{h['median']:.3f} s",
            "≤ 0.3 s",
            h["median"] <= 0.3,
        )
    rr = r["extra"].get("report_realsize")
    if rr:
        add(
            "report-realsize",
            "`report` on a real-size export (3 000 rows, 325 columns, CSV)",
            f"{rr['median']:.2f} s",
            "≤ 2 s",
            (not rr.get("failed")) and rr["median"] <= 2.0,
        )
    # linear growth: seconds per row at the largest size vs 10^6
    if "1e6" in labs and big != "1e6":
        for fmt in ("parquet", "csv"):
            for cmd in ("compute", "validate"):
                a, b = _med(r, big, fmt, cmd), _med(r, "1e6", fmt, cmd)
                if a and b:
                    x = (a["median"] / r["sizes"][big]["rows"]) / (
                        b["median"] / r["sizes"]["1e6"]["rows"]
                    )
                    add(
                        f"linear-{cmd}-{fmt}",
                        f"{cmd} time per row, {big} vs 1e6, {fmt}",
                        f"{x:.2f}",
                        "≤ 1.2",
                        x <= 1.2,
                    )
    else:
        add("linear", "time per row, 10^7 vs 10^6", "–", "≤ 1.2", None, "needs sizes 1e6 and 1e7")
    ru = r["extra"].get("rollup")
    if ru:
        add(
            "rollup",
            f"national roll-up: 4 areas × 6 years, {ru['rows_total']:,} rows of Parquet, one process",
            f"{ru['median']:.1f} s, {ru['rss'] / GiB:.2f} GiB",
            "report the figure",
            None if ru.get("failed") else True,
        )
    return out


def render(r: dict) -> str:
    env = r["env"]
    v = env["versions"]
    L = []
    L.append("# Benchmark results\n")
    L.append(
        "Generated by `python benchmarks/run.py` — do not edit by hand (notes for missed targets live in "
        "`benchmarks/NOTES.md`). How to rerun: [docs/benchmark.md](../docs/benchmark.md).\n"
    )
    a = r.get("args", {})
    L.append(
        f"* run: {env['date']}, sizes `{a.get('sizes')}`, {a.get('runs')} run(s) per command "
        f"(median wall time of whole processes; peak RSS of the process), "
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
        f"* versions: nhvmetrics {v['nhvmetrics']} (commit {env['commit']}), Python {env['python']}, "
        f"polars {v['polars']}, pandas {v['pandas']}, duckdb {v['duckdb']}, pyarrow {v['pyarrow']}, "
        f"numpy {v['numpy']}"
    )
    L.append(
        "* data: `benchmarks/generate.py`, area `pelvic` (14 indicators), wide INCA-style export "
        "(325 columns of which 27 are in the schema), 1 % dirty rows, years 2015–2025, reporting year "
        "2025, extract date 2026-02-15; CSV with `;` and decimal comma, Parquet (zstd) with natural types\n"
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

    L.append("## Timings (median wall time / peak memory)\n")
    L.append("| rows | format | file | " + " | ".join(h for _, h in COLUMNS) + " |")
    L.append("|---|---|---|" + "---|" * len(COLUMNS))
    for lab, per in sorted(r["sizes"].items(), key=lambda kv: kv[1]["rows"]):
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
    for lab, per in sorted(r["sizes"].items(), key=lambda kv: kv[1]["rows"]):
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
        "Ratios at each size (compute vs peers and floors; > 1 means compute is faster for peer/compute):\n"
    )
    L.append(
        "| rows | format | DuckDB / compute | pandas / compute | compute / read schema cols | "
        "validate / full read | validate / read schema cols |"
    )
    L.append("|---|---|---|---|---|---|---|")
    for lab, per in sorted(r["sizes"].items(), key=lambda kv: kv[1]["rows"]):
        for fmt in ("csv", "parquet"):
            if fmt not in per:
                continue
            g = per[fmt]

            def q(a, b):
                x, y = g.get(a), g.get(b)
                if (
                    not x
                    or not y
                    or "skipped" in x
                    or "skipped" in y
                    or x.get("failed")
                    or y.get("failed")
                ):
                    return "–"
                return f"{x['median'] / y['median']:.2f}"

            L.append(
                f"| {per['rows']:,} | {fmt} | {q('duckdb', 'compute')} | {q('pandas', 'compute')} | "
                f"{q('compute', 'floor_needed')} | {q('validate', 'floor_read')} | {q('validate', 'floor_needed')} |"
            )
    L.append("")

    L.append("## Peers agree with the engine\n")
    if r["checks"]:
        L.append(
            "Exact check on a clean export (10^5 rows, no dirty rows): every (indicator, year, unit, "
            "stratum) row the peer computes — all 14 pelvic indicators, stratum `all`, the measures and "
            "the categories of the distributions, every unit and `ALL`, every year 2015–2025 — has the "
            "same numerator, denominator, value, q1, q3, n_missing and n_pending as `nhvmetrics compute`. "
            "The DuckDB checked peer runs the row checks of validation, so it must also agree on the "
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
            "On the 1 %-dirty benchmark exports the engine leaves out the quarantined rows and the peers "
            "(which do not validate) keep them, so the figures differ slightly (unit `ALL`, stratum `all`):\n"
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
            f"| {lab} | {g['columns']} | {g['dirty_rows']:,} | {g['bytes'].get('csv', 0) / 1e6:,.0f} MB | "
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
