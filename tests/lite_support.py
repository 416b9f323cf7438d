"""Driving the live copy (JupyterLite in the built site) from Playwright: shared by
tests/test_live.py and benchmarks/live_book.py.

The lite app exposes itself as ``window.jupyterapp`` (``exposeAppInBrowser`` in
book/_lite/jupyter-lite.json), so a notebook's cells, outputs and kernel are read from its
models rather than from its pages (a notebook renders only the cells near the viewport).
"""

from __future__ import annotations

import time
from urllib.parse import urlparse

# The notebook open in the lite app: its kernel status and, per code cell, its execution
# count, the types of its outputs, the error's name and value and what went to stderr.
NOTEBOOK_STATE = """() => {
  const app = window.jupyterapp;
  const panel = app && app.shell && app.shell.currentWidget;
  if (!panel || !panel.content || !panel.content.model) return null;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const cells = [];
  const list = panel.content.model.cells;
  for (let i = 0; i < list.length; i++) {
    const cell = list.get(i);
    if (cell.type !== "code") continue;
    const outputs = cell.outputs.toJSON();
    cells.push({
      count: cell.executionCount,
      types: outputs.map((o) => o.output_type),
      errors: outputs.filter((o) => o.output_type === "error")
        .map((o) => o.ename + ": " + o.evalue),
      stderr: outputs.filter((o) => o.output_type === "stream" && o.name === "stderr")
        .map((o) => Array.isArray(o.text) ? o.text.join("") : o.text),
    });
  }
  return { kernel: kernel ? kernel.status : null, cells };
}"""


def record_requests(context, server: str) -> list[str]:
    """Abort and list every request of ``context`` (pages and their workers) to another host
    than ``server``; service workers must be blocked on the context, or they would bypass it."""
    local = urlparse(server).netloc
    outside: list[str] = []

    def route(request_route):
        url = request_route.request.url
        if urlparse(url).netloc not in (local, ""):
            outside.append(url)
            request_route.abort()
        else:
            request_route.continue_()

    context.route("**/*", route)
    return outside


def open_notebook(page, server: str, name: str) -> None:
    page.goto(f"{server}/lite/notebooks/index.html?path={name}.ipynb")
    page.wait_for_function(f"() => ({NOTEBOOK_STATE})() !== null", timeout=60_000)


def run_all(page, limit_s: float = 300) -> dict:
    """Run every cell of the open notebook; wait until each code cell has run, or one failed.

    Returns the final state and when (seconds after the call) the first code cell and the
    whole notebook finished.
    """
    started = time.perf_counter()
    page.wait_for_function(
        "() => { const p = window.jupyterapp.shell.currentWidget;"
        " return p.sessionContext.session && p.sessionContext.session.kernel; }",
        timeout=60_000,
    )
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
    first = None
    while True:
        state = page.evaluate(NOTEBOOK_STATE)
        elapsed = time.perf_counter() - started
        counts = [cell["count"] for cell in state["cells"]]
        if first is None and counts and counts[0] is not None:
            first = elapsed
        failed = any(cell["errors"] for cell in state["cells"])
        if failed or all(count is not None for count in counts) or state["kernel"] == "dead":
            break
        if elapsed > limit_s:
            break
        page.wait_for_timeout(250)
    return {"state": state, "first_cell_s": first, "all_cells_s": elapsed}
