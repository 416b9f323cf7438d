"""How long a reader of the static site waits for a live widget, for each update after, and
for a page with widgets to paint.

Drives Debian's Chromium against the built site served on 127.0.0.1 (``make build`` first) and
prints four tables:

- start-up of a widget in its page, from the press of "Make this widget live" to each stage of
  the page's Python (book/_vendor/live-worker.js reports them: every file downloaded, Python
  started, its modules imported, the widget's cell run) and to the live widget: cold (a new
  browser profile: nothing cached), warm (the same profile, a new page: the runtime and the
  previous start's bytecode in the browser's cache), warm after pointing at the button for
  2 s first (the start on intent), warm after the widget has been in view for 3 s (in a
  browser that holds the runtime, a widget in view starts Python), and a second widget on
  the same page (the first widget's cell copied below it: it runs on the same Python); then
  a chapter's live notebook in JupyterLite (open, run all: first cell, last cell);
- a start over a connection of 2 Mbit/s (a server that sends no faster), which must go live
  without a false failure: the time limit counts from the last progress;
- first paint (First Contentful Paint) of a page of text and of a page with widgets, and when
  the widgets' snapshots have rendered, at 10 Mbit/s (Chromium's network emulation);
- updates: per widget, the median over repeated control changes of the time from the input
  event in the page (a key on a slider, a click on a button) to the widget's picture being
  replaced, in Pyodide; beside it the native update of the same widget in this Python.

Requests to any other host than 127.0.0.1 are counted (it must print 0); they are watched, not
routed, because Playwright switches the HTTP cache off on a routed context.

    .venv/bin/python benchmarks/live_book.py [--no-slow]
"""

from __future__ import annotations

import functools
import json
import os
import statistics
import sys
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import matplotlib
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

matplotlib.use("Agg")

from _common import format_time, median_seconds, print_table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from lite_support import COPY_WIDGET, open_notebook, run_all
from site_support import CHROMIUM_ARGS, SITE, QuietHandler, serve_site

from matgrad.book import widgets

REPEATS = 9
# page, the widget's control and how a reader moves it, and the same move in Python
WIDGETS = {
    "shape explorer": ("book/why-transpose", "batch size m", "slider"),
    "backward stepper": ("book/backward", "next ▶", "button"),
    "gradient checker": ("book/questions", "seed", "slider"),
    "step-size explorer": ("book/checking-gradients", "step h", "slider"),
}
NATIVE = {
    "shape explorer": (
        widgets.make_shape_explorer,
        lambda w, i: setattr(w.batch, "value", 1 + i % 2),
    ),
    "backward stepper": (
        widgets.make_backward_stepper,
        lambda w, i: w._move(1 if i % 2 == 0 else -1),
    ),
    "gradient checker": (
        widgets.make_gradient_checker,
        lambda w, i: setattr(w.seed, "value", i % 2),
    ),
    "step-size explorer": (
        widgets.make_step_size_explorer,
        lambda w, i: setattr(w.step, "value", 1e-5 if i % 2 else 1e-4),
    ),
}
# The stages of a start (live-worker.js's timeline), as the table's columns.
STAGES = {
    "downloaded": "all downloaded",
    "unpacking": "Python started",
    "ready": "imports done",
    "cell ran": "cell ran",
    "live": "live widget",
}
LIVE = ".matgrad-live-output"

# In the page: time from the next input event to the picture's replacement.
ARM = """() => { window.__update = new Promise((resolve) => {
  const image = document.querySelector('.matgrad-live-output .matgrad-picture');
  let start = null;
  const mark = () => { if (start === null) start = performance.now(); };
  document.addEventListener('keydown', mark, { capture: true, once: true });
  document.addEventListener('pointerdown', mark, { capture: true, once: true });
  const observer = new MutationObserver(() => {
    if (start !== null) { observer.disconnect(); resolve(performance.now() - start); }
  });
  // The picture is an <img> in an HTML widget (widgets.Picture): an update replaces it.
  observer.observe(image, { childList: true, subtree: true });
}); }"""


def progress(*words) -> None:
    print(*words, file=sys.stderr, flush=True)


def open_widget_page(page, server, chapter):
    page.goto(f"{server}/{chapter}.html")
    page.wait_for_selector(".matgrad-snapshot .jupyter-widgets", timeout=60_000)


def go_live(page, index: int = 0, hover_s: float = 0.0, view_s: float = 0.0) -> dict:
    """Press widget ``index``'s button (after pointing at it for ``hover_s``, or after its
    widget has been in view for ``view_s``: a reader reading); wait until it is live.
    Returns the seconds from the press to each stage and to the live widget."""
    button = page.locator(".matgrad-go-live").nth(index)
    if view_s:
        page.locator(".matgrad-snapshot").nth(index).scroll_into_view_if_needed()
        page.wait_for_timeout(view_s * 1000)
    if hover_s:
        button.hover()
        page.wait_for_timeout(hover_s * 1000)
    button.click()
    page.wait_for_function(
        "i => { const p = document.querySelectorAll('.matgrad-live-widget')[i];"
        " return p.classList.contains('matgrad-is-live')"
        " || p.querySelector('.matgrad-live-error'); }",
        arg=index,
        timeout=600_000,
        polling=50,
    )
    panel = page.locator(".matgrad-live-widget").nth(index)
    status = panel.locator(".matgrad-live-status").inner_text()
    if not status.startswith("Live"):
        raise RuntimeError(status)
    timeline = json.loads(panel.get_attribute("data-timeline"))
    return {stage: ms / 1000 for stage, ms in timeline}


def stage_row(what: str, times: dict, transferred: str) -> list[str]:
    # A stage passed before the press (a start on intent) counts as done at the press.
    return [
        what,
        *(format_time(max(times[s], 0.0)) if s in times else "–" for s in STAGES),
        transferred,
    ]


def count_bytes(context) -> list[int]:
    """Bytes of every finished response of ``context`` (its pages and workers), from now."""
    sizes: list[int] = []

    def finished(request):
        try:
            size = request.sizes()["responseBodySize"]
        except PlaywrightError:  # its page closed first: it belongs to no row any more
            return
        sizes.append(max(size, 0))

    context.on("requestfinished", finished)
    return sizes


def widget_starts(browser, server, outside) -> list[list[str]]:
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, service_workers="block")
    watch(context, server, outside)
    rows = []
    chapter = "book/questions"
    for what, hover_s, view_s in (
        ("cold: new profile", 0.0, 0.0),
        ("warm: same profile, new page", 0.0, 0.0),
        ("warm, button pointed at 2 s before the press", 2.0, 0.0),
        ("warm, widget in view 3 s before the press", 0.0, 3.0),
    ):
        progress("making live:", what)
        sizes = count_bytes(context)
        page = context.new_page()
        open_widget_page(page, server, chapter)
        before = sum(sizes)
        times = go_live(page, hover_s=hover_s, view_s=view_s)
        if what.startswith("cold"):
            # What the first start keeps for the next one is stored after the widget is live.
            page.wait_for_function(
                "() => document.documentElement.dataset.matgradWarmStartKept", timeout=120_000
            )
        rows.append(stage_row(f"widget in its page, {what}", times, mb(sum(sizes) - before)))
        if what.startswith("warm: same profile"):
            progress("making live: a second widget on the page")
            page.evaluate(COPY_WIDGET)
            before = sum(sizes)
            second = go_live(page, index=1)
            rows.append(
                stage_row("second widget on the same page", second, mb(sum(sizes) - before))
            )
        page.close()
    for visit in ("runtime cached", "warm"):
        progress("chapter notebook:", visit)
        page = context.new_page()
        started = time.perf_counter()
        open_notebook(page, server, "questions")
        result = run_all(page)
        opened = time.perf_counter() - started - result["all_cells_s"]
        rows.append(
            [
                f"chapter notebook in JupyterLite, run all ({visit})",
                "",
                "",
                "",
                f"first cell {format_time(opened + result['first_cell_s'])}",
                f"last cell {format_time(opened + result['all_cells_s'])}",
                "",
            ]
        )
        page.close()
    context.close()
    return rows


def mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


class ThrottledHandler(QuietHandler):
    """Serves the site no faster than ``rate`` bytes per second in all (a slow connection)."""

    rate = 2e6 / 8
    lock = threading.Lock()
    next_free = 0.0

    def copyfile(self, source, outputfile):
        while chunk := source.read(16_384):
            with self.lock:
                now = time.monotonic()
                start = max(now, ThrottledHandler.next_free)
                ThrottledHandler.next_free = start + len(chunk) / self.rate
            time.sleep(max(0.0, start - now))
            outputfile.write(chunk)


def throttled_start(browser, outside) -> list[str]:
    handler = functools.partial(ThrottledHandler, directory=str(SITE))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    server = f"http://127.0.0.1:{httpd.server_address[1]}"
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, service_workers="block")
    watch(context, server, outside)
    page = context.new_page()
    progress("making live at 2 Mbit/s (about two minutes)")
    open_widget_page(page, server, "book/why-transpose")
    try:
        times = go_live(page)
        row = stage_row("widget in its page, cold, at 2 Mbit/s", times, "")
        row[-1] = "live, no failure"
    except RuntimeError as failure:
        row = ["widget in its page, cold, at 2 Mbit/s", "", "", "", "", "", f"FAILED: {failure}"]
    context.close()
    httpd.shutdown()
    return row


# First Contentful Paint, and when every stored widget has rendered, in ms from navigation.
PAINTED = """() => {
  const paint = performance.getEntriesByName('first-contentful-paint')[0];
  return paint ? paint.startTime : null;
}"""


def first_paints(browser, server, outside) -> tuple[list[list[str]], int]:
    """Median first contentful paint of 3 loads of each page at 10 Mbit/s, and how many loads
    stalled: under Chromium's throttling about one load in ten stays "loading" with no body
    (never unthrottled, nor with a larger listen backlog; cause not found). A stalled load is
    counted, shown, and loaded again in a fresh context, never timed."""
    rows, stalled = [], 0
    for what, chapter in (("text page (intro)", "book/intro"), ("widget page", "book/questions")):
        times, rendered = [], []
        while len(times) < 3:
            if stalled > 10:
                raise RuntimeError("more than 10 throttled loads stalled")
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            watch(context, server, outside)
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send(
                "Network.emulateNetworkConditions",
                {
                    "offline": False,
                    "latency": 20,
                    "downloadThroughput": 10e6 / 8,
                    "uploadThroughput": 10e6 / 8,
                },
            )
            page.goto(f"{server}/{chapter}.html", wait_until="commit")
            try:
                page.wait_for_function(f"() => ({PAINTED})() !== null", timeout=20_000)
            except PlaywrightTimeoutError:
                stalled += 1
                context.close()
                continue
            times.append(page.evaluate(PAINTED) / 1000)
            if "questions" in chapter:
                page.wait_for_selector(".matgrad-snapshot .jupyter-widgets", timeout=60_000)
                rendered.append(page.evaluate("() => performance.now()") / 1000)
            context.close()
        rows.append(
            [
                what,
                format_time(statistics.median(times)),
                format_time(statistics.median(rendered)) if rendered else "",
            ]
        )
    return rows, stalled


def widget_index(page, label) -> int:
    """The index of the page's first widget whose snapshot shows ``label`` (a page may open
    with another widget, such as an answer box)."""
    index = page.evaluate(
        "label => [...document.querySelectorAll('.matgrad-snapshot')]"
        ".findIndex((s) => s.textContent.includes(label))",
        label,
    )
    if index < 0:
        raise RuntimeError(f"no widget on the page shows {label!r}")
    return index


def pyodide_updates(page, label, kind) -> float:
    live = page.locator(LIVE)
    if kind == "slider":
        control = live.locator(".widget-slider", has_text=label).locator(".noUi-handle").first
        control.focus()
    else:
        control = live.locator("button", has_text=label).first
    times = []
    progress("updating:", label)
    for i in range(REPEATS + 1):
        page.evaluate(ARM)
        if kind == "slider":
            page.keyboard.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
        else:
            label_now = "next ▶" if i % 2 == 0 else "◀ previous"
            live.locator("button", has_text=label_now).first.click()
        waited = page.evaluate(
            "() => Promise.race([window.__update,"
            " new Promise((resolve) => setTimeout(() => resolve(null), 30000))])"
        )
        if waited is None:
            raise RuntimeError(f"{label}: no new picture 30 s after the change {i + 1}")
        times.append(waited / 1000)
    return statistics.median(times[1:])  # the first one warms up


def native_update(name) -> float:
    build, move = NATIVE[name]
    widget = build()
    counter = iter(range(10**6))
    return median_seconds(lambda: move(widget, next(counter)), repeats=REPEATS)


def updates(browser, server, outside) -> list[list[str]]:
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, service_workers="block")
    watch(context, server, outside)
    rows = []
    for name, (chapter, label, kind) in WIDGETS.items():
        page = context.new_page()
        open_widget_page(page, server, chapter)
        go_live(page, widget_index(page, label))
        pyodide = pyodide_updates(page, label, kind)
        native = native_update(name)
        rows.append(
            [name, label, format_time(pyodide), format_time(native), f"{pyodide / native:.1f}x"]
        )
        page.close()
    context.close()
    return rows


def watch(context, server, outside: list[str]) -> None:
    local = urlparse(server).netloc
    context.on(
        "request",
        lambda r: outside.append(r.url) if urlparse(r.url).netloc not in (local, "") else None,
    )


def main() -> int:
    from playwright.sync_api import sync_playwright

    slow = "--no-slow" not in sys.argv
    if "--updates" in sys.argv:  # only the updates table (a quick look)
        server, httpd = serve_site()
        outside: list[str] = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
            )
            print_table(
                ["widget", "control", "Pyodide", "native", "ratio"],
                updates(browser, server, outside),
            )
        httpd.shutdown()
        return 0
    server, httpd = serve_site()
    outside: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        paints, stalled = first_paints(browser, server, outside)
        startup = widget_starts(browser, server, outside)
        throttled = throttled_start(browser, outside) if slow else None
        update_rows = updates(browser, server, outside)
        browser.close()
    httpd.shutdown()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end")
    print("start-up, seconds from the press of “Make this widget live” to each stage")
    headers = ["what", *STAGES.values(), "transferred"]
    print_table(headers, startup + ([throttled] if throttled else []))
    print()
    print("first paint at 10 Mbit/s (median of 3 loads, nothing cached)")
    print_table(["page", "first contentful paint", "snapshots rendered"], paints)
    print(f"(throttled loads that stalled before any paint, loaded again: {stalled})")
    print()
    print(f"widget updates, median of {REPEATS} control changes")
    print_table(
        ["widget", "control", "Pyodide, event to new picture", "native update", "ratio"],
        update_rows,
    )
    print(f"\nrequests to other hosts: {len(outside)}")
    return 0 if not outside else 1


if __name__ == "__main__":
    sys.exit(main())
