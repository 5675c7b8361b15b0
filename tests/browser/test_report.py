"""The report in a real browser: headless Chromium, driven over the DevTools protocol.

Checks what a reader's browser does with the page: no request leaves it (everything is
inline), no console errors (the Content-Security-Policy blocks nothing the page needs), every
chart renders with a non-zero size, and it prints to PDF. A screenshot is saved for a person to
look at (``NHV_SCREENSHOT_DIR``, default the test's tmp folder).

No websocket library is needed: Chromium speaks the protocol over a pipe
(``--remote-debugging-pipe``: commands on fd 3, replies on fd 4, NUL-separated JSON).
Without a browser (``/usr/bin/chromium``, ``chromium``, ``chromium-browser`` or
``google-chrome`` on PATH, or ``NHV_CHROMIUM``) the test is skipped and says so.

Run by hand on any report:
    python tests/browser/test_report.py report.html shot.png [out.pdf or -] [width]

``test_every_sample_report_at_desktop_and_phone_width`` looks at the reports of all four areas
(sample_data/ and sample_data/inca/, national and for a unit) at 1400 px and at 400 px: nothing
requested, no error, the page never wider than the screen (wide tables scroll in their own box),
the phone gets the narrow charts and their smallest text is drawn at 11 px or more. Its
screenshots (``<area>-<dialect>-<unit|national>-<width>.png``) are saved to
``NHV_SCREENSHOT_DIR`` for a person to look at.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
    "--remote-debugging-pipe",
]


def find_chromium() -> str | None:
    env = os.environ.get("NHV_CHROMIUM")
    if env and Path(env).exists():
        return env
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


class Chromium:
    """A headless Chromium and one page, over the DevTools pipe."""

    def __init__(self, exe: str, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="nhv-chromium-")
        to_chrome_r, self._w = os.pipe()
        self._r, from_chrome_w = os.pipe()
        # Chromium reads commands on fd 3 and writes replies on fd 4 (moved there in the child;
        # the high copies keep one dup2 from clobbering the other)
        hi_r = os.dup2(to_chrome_r, 1001, inheritable=True)
        hi_w = os.dup2(from_chrome_w, 1002, inheritable=True)

        def _fds() -> None:
            os.dup2(hi_r, 3)
            os.dup2(hi_w, 4)

        self.proc = subprocess.Popen(
            [exe, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(3, 4, hi_r, hi_w),
            preexec_fn=_fds,
        )
        for fd in (to_chrome_r, from_chrome_w, hi_r, hi_w):
            os.close(fd)
        self._buf = b""
        self._id = 0
        self.events: list[dict] = []
        self.session: str | None = None

    # -- protocol ---------------------------------------------------------------------
    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("Chromium did not answer in time")
            ready, _, _ = select.select([self._r], [], [], left)
            if ready:
                chunk = os.read(self._r, 1 << 20)
                if not chunk:
                    raise RuntimeError("Chromium closed the DevTools pipe")
                self._buf += chunk
        raw, _, self._buf = self._buf.partition(b"\0")
        return json.loads(raw)

    def send(self, method: str, params: dict | None = None, *, session: bool = True) -> dict:
        self._id += 1
        msg: dict = {"id": self._id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def wait_for(self, method: str) -> dict:
        for ev in self.events:
            if ev["method"] == method:
                return ev
        deadline = time.monotonic() + self.timeout
        while True:
            ev = self._read_message(deadline)
            if "method" in ev:
                self.events.append(ev)
                if ev["method"] == method:
                    return ev

    def open_page(self) -> None:
        target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)
        att = self.send(
            "Target.attachToTarget",
            {"targetId": target["targetId"], "flatten": True},
            session=False,
        )
        self.session = att["sessionId"]
        for domain in ("Page", "Network", "Runtime", "Log"):
            self.send(f"{domain}.enable")

    def close(self) -> None:
        try:
            self.send("Browser.close", session=False)
        except Exception:  # noqa: BLE001 - closing is best effort
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._r, self._w):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)


LAYOUT_JS = r"""
(() => {
  const charts = [];
  for (const s of document.querySelectorAll('figure.chart svg')) {
    const r = s.getBoundingClientRect();
    let smallest = 1e9;
    for (const t of s.querySelectorAll('text')) {
      smallest = Math.min(smallest, parseFloat(t.getAttribute('font-size')));
    }
    // the size a text of the chart is drawn at on the screen, in CSS pixels
    const px = r.width ? smallest * r.width / s.viewBox.baseVal.width : 0;
    charts.push([s.getAttribute('class'), r.width, r.height, px]);
  }
  return JSON.stringify({
    charts: charts,
    scrollWidth: document.documentElement.scrollWidth,
    height: document.documentElement.scrollHeight,
  });
})()
"""


def inspect_page(
    b: Chromium,
    html: Path,
    screenshot: Path | None = None,
    width: int = 1200,
    pdf_path: Path | None = None,
    pdf: bool = True,
    shot_height: int = 16000,
) -> dict:
    """Load ``html`` in the open page at ``width`` and return what the browser saw (requests,
    console errors, chart sizes and the size their text is drawn at, the page's width)."""
    b.send(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600},
    )
    url = html.resolve().as_uri()
    b.events.clear()
    b.send("Page.navigate", {"url": url})
    b.wait_for("Page.loadEventFired")
    facts = json.loads(
        b.send("Runtime.evaluate", {"expression": LAYOUT_JS, "returnByValue": True})["result"][
            "value"
        ]
    )
    height = facts["height"]
    if screenshot is not None:
        # a viewport as tall as the shot: much faster than capturing beyond the viewport
        b.send(
            "Emulation.setDeviceMetricsOverride",
            {
                "width": width,
                "height": max(1, min(int(height), shot_height)),
                "deviceScaleFactor": 1,
                "mobile": width < 600,
            },
        )
        shot = b.send("Page.captureScreenshot", {"format": "png"})
        screenshot.write_bytes(base64.b64decode(shot["data"]))
    pdf_bytes = 0
    if pdf:
        printed = b.send("Page.printToPDF", {"printBackground": True, "preferCSSPageSize": True})
        raw = base64.b64decode(printed["data"])
        pdf_bytes = len(raw)
        if pdf_path is not None:
            pdf_path.write_bytes(raw)
    requests = [
        ev["params"]["request"]["url"]
        for ev in b.events
        if ev["method"] == "Network.requestWillBeSent"
    ]
    failed = [ev["params"] for ev in b.events if ev["method"] == "Network.loadingFailed"]
    errors = [
        ev["params"]["entry"]["text"]
        for ev in b.events
        if ev["method"] == "Log.entryAdded" and ev["params"]["entry"]["level"] == "error"
    ]
    errors += [
        json.dumps(ev["params"]["args"])
        for ev in b.events
        if ev["method"] == "Runtime.consoleAPICalled" and ev["params"]["type"] == "error"
    ]
    errors += [
        ev["params"]["exceptionDetails"].get("text", "exception")
        for ev in b.events
        if ev["method"] == "Runtime.exceptionThrown"
    ]
    shown = [c for c in facts["charts"] if c[1] > 0]
    return {
        "url": url,
        "requests": requests,
        "failed": failed,
        "errors": errors,
        "charts": facts["charts"],
        "chart_sizes": [(c[1], c[2]) for c in shown],
        "shown_layouts": sorted({c[0] for c in shown}),
        "smallest_text_px": min((c[3] for c in shown), default=0.0),
        "scroll_width": facts["scrollWidth"],
        "height": height,
        "pdf_bytes": pdf_bytes,
    }


def inspect_report(
    exe: str,
    html: Path,
    screenshot: Path | None = None,
    width: int = 1200,
    pdf_path: Path | None = None,
) -> dict:
    """Load ``html`` in a fresh browser and return what it saw (see :func:`inspect_page`)."""
    b = Chromium(exe)
    try:
        b.open_page()
        return inspect_page(b, html, screenshot, width, pdf_path)
    finally:
        b.close()


# -- the test ------------------------------------------------------------------------------

CHROMIUM = find_chromium()
needs_browser = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no headless Chromium found (install Debian's 'chromium' package, or set NHV_CHROMIUM)",
)


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    from nhvmetrics.report.html import render_html
    from tests.fixtures.report_example import example_report_data

    return {
        "sv": render_html(example_report_data("SE100"), "sv"),
        "en": render_html(example_report_data(None), "en"),
    }


@needs_browser
@pytest.mark.parametrize("lang", ["sv", "en"])
def test_report_renders_in_chromium_without_requests_or_errors(
    tmp_path: Path, lang: str, pages: dict[str, str]
) -> None:
    html = tmp_path / f"report-{lang}.html"
    html.write_text(pages[lang], encoding="utf-8")
    shots = Path(os.environ.get("NHV_SCREENSHOT_DIR", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    shot = shots / f"report-{lang}.png"

    seen = inspect_report(CHROMIUM, html, shot)

    outside = [u for u in seen["requests"] if u != seen["url"]]
    assert outside == [], f"the page requested {outside}"
    assert seen["failed"] == [], f"failed loads: {seen['failed']}"
    assert seen["errors"] == [], f"console errors: {seen['errors']}"
    n_charts = html.read_text(encoding="utf-8").count("<svg ")
    # every chart is drawn twice (wide and narrow); the page shows one of each
    assert n_charts > 0 and len(seen["chart_sizes"]) == n_charts // 2
    assert seen["shown_layouts"] == ["chart-wide"]
    for w, h in seen["chart_sizes"]:
        assert w > 100 and h > 50, f"a chart rendered at {w}×{h}"
    assert seen["pdf_bytes"] > 10_000, "printing to PDF gave (almost) nothing"
    assert shot.stat().st_size > 10_000


if __name__ == "__main__":  # python tests/browser/test_report.py report.html [shot.png [out.pdf]]
    exe = find_chromium()
    if exe is None:
        sys.exit("no chromium found")
    out = inspect_report(
        exe,
        Path(sys.argv[1]),
        Path(sys.argv[2]) if len(sys.argv) > 2 else None,
        width=int(sys.argv[4]) if len(sys.argv) > 4 else 1200,
        pdf_path=Path(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[3] != "-" else None,
    )
    print(
        json.dumps({k: v for k, v in out.items() if k not in ("chart_sizes", "charts")}, indent=1)
    )
    print("charts:", out["chart_sizes"])


@needs_browser
def test_the_harness_sees_requests_and_csp_blocks(tmp_path: Path, pages: dict[str, str]) -> None:
    """Negative control: an external image is noticed (and, with the page's CSP, blocked)."""
    html = pages["sv"]
    probe = '<img alt="" src="http://127.0.0.1:9/probe.png">'  # loopback only
    with_csp = tmp_path / "with-csp.html"
    with_csp.write_text(html.replace("<main>", "<main>" + probe, 1), encoding="utf-8")
    seen = inspect_report(CHROMIUM, with_csp)
    assert any("Content Security Policy" in e or "Refused" in e for e in seen["errors"]), seen[
        "errors"
    ]

    no_csp = tmp_path / "no-csp.html"
    no_csp.write_text(
        html.replace("<main>", "<main>" + probe, 1).replace(
            "Content-Security-Policy", "x-removed", 1
        ),
        encoding="utf-8",
    )
    seen = inspect_report(CHROMIUM, no_csp)
    assert any(u.startswith("http://127.0.0.1:9/") for u in seen["requests"]), seen["requests"]


SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "acc_cases.csv"


@needs_browser
@pytest.mark.skipif(not SAMPLE.exists(), reason="sample_data/acc_cases.csv is missing")
def test_real_report_on_sample_data_renders(tmp_path: Path) -> None:
    """The engine's real output (every indicator of an area) renders cleanly too."""
    from nhvmetrics import pipeline

    html = tmp_path / "acc.html"
    options = pipeline.RunOptions(area="acc", tables={"cases": SAMPLE}, year=2025, unit="11001")
    pipeline.write_report(pipeline.render(options), html)
    shots = Path(os.environ.get("NHV_SCREENSHOT_DIR", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    seen = inspect_report(CHROMIUM, html, shots / "report-acc-sample.png")
    assert [u for u in seen["requests"] if u != seen["url"]] == []
    assert seen["errors"] == [] and seen["failed"] == []
    assert 2 * len(seen["chart_sizes"]) == html.read_text(encoding="utf-8").count("<svg ") >= 40
    assert all(w > 100 and h > 50 for w, h in seen["chart_sizes"])


WIDTHS = (1400, 400)


@needs_browser
def test_every_sample_report_at_desktop_and_phone_width(tmp_path: Path) -> None:
    """All four areas, both dialects, with and without --unit, at desktop and phone width."""
    from nhvmetrics.report.html import render_html
    from tests.fixtures.sample_reports import every_sample_report

    shots = Path(os.environ.get("NHV_SCREENSHOT_DIR", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    # the whole page (up to 16 000 px) for a person who asked for the screenshots, else the top
    tall = 16000 if "NHV_SCREENSHOT_DIR" in os.environ else 2400
    b = Chromium(CHROMIUM)
    try:
        b.open_page()
        for name, data in every_sample_report():
            html = tmp_path / f"{name}.html"
            html.write_text(render_html(data, "sv"), encoding="utf-8")
            n_svg = html.read_text(encoding="utf-8").count("<svg ")
            for width in WIDTHS:
                shot = shots / f"{name}-{width}.png"
                seen = inspect_page(b, html, shot, width, pdf=False, shot_height=tall)
                where = f"{name} at {width} px"
                assert [u for u in seen["requests"] if u != seen["url"]] == [], where
                assert seen["errors"] == [] and seen["failed"] == [], where
                assert seen["scroll_width"] <= width, f"{where}: the page scrolls sideways"
                assert 2 * len(seen["chart_sizes"]) == n_svg > 0, where
                layout = "chart-narrow" if width < 600 else "chart-wide"
                assert seen["shown_layouts"] == [layout], where
                assert all(w > 100 and h > 50 for w, h in seen["chart_sizes"]), where
                # legible: on the phone no chart text below 11 px, on the desktop 10 px
                assert seen["smallest_text_px"] >= (11 if width < 600 else 10), (
                    where,
                    seen["smallest_text_px"],
                )
                assert shot.stat().st_size > 10_000
    finally:
        b.close()
