"""How long a reader of the static site waits for a live widget, and for each update after.

Drives Debian's Chromium against the built site served on 127.0.0.1 (``make build`` first) and
prints two tables:

- start-up: from clicking "Make this widget live" to the REPL's first executed cell and to the
  live widget on its page, cold (a new browser profile: nothing cached) and warm (the same
  profile, second visit: the runtime comes from the browser's cache); and the same for a
  chapter's live notebook (open, run all: first cell, last cell);
- updates: per widget, the median over repeated control changes of the time from the input
  event in the page (a key on a slider, a click on a button) to the widget's picture being
  replaced, in Pyodide; beside it the native update of the same widget in this Python
  (the widget's observer on the same control change, in-process: no browser, no comm).

Requests to any other host than 127.0.0.1 are counted (it must print 0); they are watched, not
routed, because Playwright switches the HTTP cache off on a routed context.

    .venv/bin/python benchmarks/live_book.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import matplotlib

matplotlib.use("Agg")

from _common import format_time, median_seconds, print_table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from lite_support import open_notebook, run_all
from site_support import CHROMIUM_ARGS, serve_site

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

# In the live REPL's frame: time from the next input event to the picture's replacement.
ARM = """() => { window.__update = new Promise((resolve) => {
  const image = document.querySelector('.jp-OutputArea-output .matgrad-picture');
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


def go_live(page, server, chapter):
    progress("making live:", chapter)
    page.goto(f"{server}/{chapter}.html")
    page.wait_for_selector(".matgrad-snapshot .jupyter-widgets", timeout=30_000)
    started = time.perf_counter()
    page.locator(".matgrad-go-live").first.click()
    frame = None
    first_cell = None
    while True:
        elapsed = time.perf_counter() - started
        if frame is None and page.locator(".matgrad-live-frame").count():
            frame = page.frames[-1]
        if first_cell is None and frame is not None:
            ran = frame.evaluate(
                "() => { const p = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
                " if (!p || !p.console) return false; const c = p.console.cells;"
                " return c.length > 0 && c.get(0).model.executionCount !== null; }"
            )
            first_cell = elapsed if ran else None
        if page.locator(".matgrad-live-widget.matgrad-is-live").count():
            return first_cell, elapsed, frame
        if page.locator(".matgrad-live-error").count() or elapsed > 300:
            raise RuntimeError(page.locator(".matgrad-live-status").first.inner_text())
        page.wait_for_timeout(100)


def pyodide_updates(page, frame, label, kind) -> float:
    if kind == "slider":
        control = frame.locator(".widget-slider", has_text=label).locator(".noUi-handle").first
        control.focus()
    else:
        control = frame.locator("button", has_text=label).first
    times = []
    progress("updating:", label)
    for i in range(REPEATS + 1):
        frame.evaluate(ARM)
        if kind == "slider":
            page.keyboard.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
        else:
            label_now = "next ▶" if i % 2 == 0 else "◀ previous"
            frame.locator("button", has_text=label_now).first.click()
        times.append(frame.evaluate("() => window.__update") / 1000)
    return statistics.median(times[1:])  # the first one warms up


def native_update(name) -> float:
    build, move = NATIVE[name]
    widget = build()
    counter = iter(range(10**6))
    return median_seconds(lambda: move(widget, next(counter)), repeats=REPEATS)


def main() -> int:
    from playwright.sync_api import sync_playwright

    server, httpd = serve_site()
    startup, updates = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        # No routes here: Playwright turns the browser's HTTP cache off on a context with
        # routes, and the warm start is the cached one. Requests are watched instead.
        context = browser.new_context(
            viewport={"width": 1280, "height": 1000}, service_workers="block"
        )
        local = urlparse(server).netloc
        outside = []
        context.on(
            "request",
            lambda r: outside.append(r.url) if urlparse(r.url).netloc not in (local, "") else None,
        )
        for visit in ("cold", "warm"):
            page = context.new_page()
            fetched = []  # everything the live widget loads sits under lite/

            def count(request, fetched=fetched):
                if "/lite/" in request.url and not request.failure:
                    fetched.append(request.sizes()["responseBodySize"])

            context.on("requestfinished", count)
            first, live, _ = go_live(page, server, "book/questions")
            context.remove_listener("requestfinished", count)
            startup.append(
                [
                    f"widget in its page ({visit})",
                    format_time(first),
                    format_time(live),
                    f"{sum(fetched) / 1e6:.1f} MB",
                ]
            )
            page.close()
        for visit in ("cold (runtime cached)", "warm"):
            page = context.new_page()
            started = time.perf_counter()
            open_notebook(page, server, "questions")
            result = run_all(page)
            opened = time.perf_counter() - started - result["all_cells_s"]
            startup.append(
                [
                    f"chapter notebook, run all ({visit})",
                    format_time(opened + result["first_cell_s"]),
                    format_time(opened + result["all_cells_s"]),
                    "",
                ]
            )
            page.close()
        for name, (chapter, label, kind) in WIDGETS.items():
            page = context.new_page()
            _, _, frame = go_live(page, server, chapter)
            pyodide = pyodide_updates(page, frame, label, kind)
            native = native_update(name)
            updates.append(
                [name, label, format_time(pyodide), format_time(native), f"{pyodide / native:.1f}x"]
            )
            page.close()
        browser.close()
    httpd.shutdown()
    print("start-up (from the click, or from opening the notebook)")
    print_table(["what", "first executed cell", "live widget / last cell", "transferred"], startup)
    print()
    print(f"widget updates, median of {REPEATS} control changes")
    print_table(
        ["widget", "control", "Pyodide, event to new picture", "native update", "ratio"], updates
    )
    print(f"\nrequests to other hosts: {len(outside)}")
    return 0 if not outside else 1


if __name__ == "__main__":
    sys.exit(main())
