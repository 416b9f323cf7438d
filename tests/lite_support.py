"""Driving the live copy (JupyterLite in the built site) and the live widgets from Playwright:
shared by tests/test_live.py and benchmarks/live_book.py; and what a rendered Markdown cell
must be in JupyterLite and in JupyterLab (tests/test_jupyterlab.py), both rendered by
jupyterlab-myst.

The lite app exposes itself as ``window.jupyterapp`` (``exposeAppInBrowser`` in
book/_lite/jupyter-lite.json), so a notebook's cells, outputs and kernel are read from its
models rather than from its pages (a notebook renders only the cells near the viewport).
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

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
    """List every request of ``context`` (its pages and their workers) to another host than
    ``server``. The requests are watched, not routed: Playwright turns the HTTP cache off on a
    routed context, and every live start would then fetch the whole runtime again. Nothing
    outside answers here anyway; the list is what a test asserts empty. Service workers must
    be blocked on the context (``service_workers="block"``), or they would fetch unseen."""
    local = urlparse(server).netloc
    outside: list[str] = []

    def watch(request):
        if urlparse(request.url).netloc not in (local, ""):
            outside.append(request.url)

    context.on("request", watch)
    return outside


def open_notebook(page, server: str, name: str) -> None:
    page.goto(f"{server}/lite/notebooks/index.html?path={name}.ipynb")
    page.wait_for_function(f"() => ({NOTEBOOK_STATE})() !== null", timeout=60_000)


# Whether the open notebook is done: every code cell ran, or one failed, or the kernel died.
NOTEBOOK_DONE = f"""() => {{
  const state = ({NOTEBOOK_STATE})();
  return state.cells.every((cell) => cell.count !== null)
    || state.cells.some((cell) => cell.errors.length) || state.kernel === "dead";
}}"""
FIRST_CELL_RAN = f"() => ({NOTEBOOK_STATE})().cells[0]?.count != null"


def run_all(page, limit_s: float = 300) -> dict:
    """Run every cell of the open notebook; wait until each code cell has run, or one failed.

    Returns the final state and when (seconds after the call) the first code cell and the
    whole notebook finished. Past ``limit_s`` Playwright's wait fails, saying so.
    """
    started = time.perf_counter()
    # The kernel connected and idle, not merely there: the widget manager restores its models
    # when the kernel's connection opens, and a widget made before that is lost to it ("Error
    # displaying widget: model not found"; jupyter-widgets/ipywidgets#3231).
    page.wait_for_function(
        "() => { const p = window.jupyterapp.shell.currentWidget;"
        " const kernel = p.sessionContext.session && p.sessionContext.session.kernel;"
        " return kernel && kernel.connectionStatus === 'connected'"
        " && kernel.status === 'idle'; }",
        timeout=60_000,
    )
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
    page.wait_for_function(
        f"() => ({FIRST_CELL_RAN})() || ({NOTEBOOK_DONE})()",
        timeout=limit_s * 1000,
        polling=100,
    )
    first = time.perf_counter() - started
    page.wait_for_function(NOTEBOOK_DONE, timeout=limit_s * 1000, polling=100)
    state = page.evaluate(NOTEBOOK_STATE)
    return {"state": state, "first_cell_s": first, "all_cells_s": time.perf_counter() - started}


# The text of each rendered Markdown cell, with its maths removed (KaTeX keeps the TeX source
# in an annotation), its folded parts included; its links; what jupyterlab-myst marks as not
# found; the boxes (exercises, solutions, algorithms, admonitions) that have no content.
RENDERED = """() => {
  const cells = [...document.querySelectorAll('.jp-MarkdownCell')];
  return cells.map((cell) => {
    const myst = cell.querySelector('.myst');
    if (!myst) return null;
    const copy = myst.cloneNode(true);
    copy.querySelectorAll('.katex, .katex-display, script, style').forEach((e) => e.remove());
    return {
      text: copy.textContent,
      links: [...myst.querySelectorAll('a')].map((a) => a.getAttribute('href') || ''),
      notFound: [...myst.querySelectorAll('[title*="Not Found"]')].map((e) => e.textContent),
      empty: [...myst.querySelectorAll('[class*="-body"]')]
        .filter((body) => !body.textContent.trim() && !body.querySelector('.katex'))
        .map((body) => body.parentElement.textContent.trim().slice(0, 80)),
    };
  });
}"""
# jupyterlab-myst first writes a link to another notebook as written (``forward.ipynb``), then
# resolves it to the app's address of that file: wait for that before reading the links.
LINKS_RESOLVED = """() => [...document.querySelectorAll('.jp-MarkdownCell .myst a')]
  .every((a) => /^(#|https?:|mailto:)/.test(a.getAttribute('href') || '#'))"""
IDS = "() => [...document.querySelectorAll('.jp-Notebook [id]')].map((e) => e.id)"

MYST_SOURCE = {
    "a role or directive name": re.compile(r"\{[a-z][\w:-]*\}"),
    "a code fence": re.compile(r"```|:::"),
    "a target": re.compile(r"\([\w-]+\)="),
    "a directive option": re.compile(r"^\s*:[a-z-]+:", re.MULTILINE),
    "raw TeX": re.compile(r"\$\$|\\[a-zA-Z]+\b|\\[,;!]"),
}


def markdown_problems(
    cells: list[dict | None], ids: set[str] | None, files_url: str, files: Path
) -> tuple[list[str], dict[str, set[str]]]:
    """What is wrong with the Markdown cells ``RENDERED`` read from a notebook whose element
    ids are ``ids``, in an app that serves the book's notebooks (the folder ``files``) under
    ``files_url``; and the sections of other notebooks its links open, to look for there.
    A cell not rendered (outside a windowed notebook's viewport) is None and is skipped; so
    are links within the notebook when ``ids`` is None (a windowed notebook has no element
    yet for a cell further down)."""
    problems: list[str] = []
    sections: dict[str, set[str]] = {}
    for number, cell in enumerate(cells):
        if cell is None:
            continue
        where = f"Markdown cell {number + 1}"
        for what, pattern in MYST_SOURCE.items():
            found = pattern.search(cell["text"])
            if found:
                shown = cell["text"][max(found.start() - 40, 0) :][:100]
                problems.append(f"{where} shows {what}: …{shown}")
        problems += [f"{where}: not resolved: {text}" for text in cell["notFound"]]
        problems += [f"{where}: an empty box: {text}" for text in cell["empty"]]
        for href in cell["links"]:
            if href.startswith(("https://", "http://")) and "127.0.0.1" not in href:
                continue  # a source outside the book (a citation's address): not followed
            if href in ("", "#"):
                problems.append(f"{where}: an empty link")
            elif href.startswith("#"):
                if ids is not None and href[1:] not in ids:
                    problems.append(f"{where}: no section {href} in this notebook")
            elif not href.startswith(files_url):
                problems.append(f"{where}: {href} is not a file of the book")
            else:
                parsed = urlparse(href)
                target = unquote(parsed.path.removeprefix(urlparse(files_url).path))
                if not (target.endswith(".ipynb") and (files / target).exists()):
                    problems.append(f"{where}: {href} does not open a notebook of the book")
                elif parsed.fragment:
                    sections.setdefault(target, set()).add(parsed.fragment)
    return problems, sections


# A second live widget on the page: the first widget's cell, copied (snapshot, panel and
# all) below it, as a chapter with two widgets would have it.
COPY_WIDGET = """() => {
  const cell = document.querySelector('.matgrad-live-widget').closest('.cell');
  const copy = cell.cloneNode(true);
  copy.querySelectorAll('.matgrad-live-output').forEach((el) => el.remove());
  copy.querySelector('.matgrad-snapshot').hidden = false;
  copy.querySelector('.matgrad-snapshot-label').hidden = false;
  const panel = copy.querySelector('.matgrad-live-widget');
  panel.classList.remove('matgrad-is-live');
  panel.querySelector('.matgrad-go-live').disabled = false;
  panel.querySelector('.matgrad-live-status').textContent = '';
  delete panel.dataset.said;
  cell.after(copy);
}"""


# JupyterLab 4's windowed notebook (the lite app's) draws only the cells near its viewport:
# scroll to the first cell whose source holds the text given, so that it is drawn.
SCROLL_TO_CELL = """async text => {
  const notebook = window.jupyterapp.shell.currentWidget.content;
  const index = notebook.widgets.findIndex(cell => cell.model.sharedModel.getSource()
    .includes(text));
  await notebook.scrollToItem(index, 'center');
  return index;
}"""


CELL_OUTPUT_TEXT = """text => {
  const notebook = window.jupyterapp.shell.currentWidget.content;
  const cell = notebook.widgets.find(cell => cell.model.sharedModel.getSource().includes(text));
  return cell ? (cell.outputArea ? cell.outputArea.node.innerText : '(no output area)') : null;
}"""


def first_answer_box(page):
    """The notebook's first answer box once drawn, its cell scrolled to: the widget view
    is created after the cell has run (a round trip to the kernel, slow on a loaded machine),
    so the wait is long; on failure it says what the cell shows instead."""
    page.evaluate(SCROLL_TO_CELL, "make_answer_box")
    box = page.locator(".matgrad-answer-box").first
    try:
        box.wait_for(timeout=90_000)
    except PlaywrightTimeoutError:
        shown = page.evaluate(CELL_OUTPUT_TEXT, "make_answer_box")
        raise AssertionError(f"no answer box drawn after 90 s; its cell shows: {shown!r}") from None
    return box


# A reader's answers to each question of matgrad.book.grader, typed as readers type them: the
# right one and a classic mistake, with the hint the box must show for it (MISTAKES_CATALOGUE).
ANSWERS = {
    "weight": ("g hᵀ + λ W", "h gᵀ + λ Wᵀ", "h_g_transpose"),
    "bias": ("g", "g + λ b", "regularized_bias"),
    "back": ("Wᵀ g", "W g", "dropped_transpose"),
    "pre": ("g ⊙ f'(a)", "g", "missing_f_prime"),
    "batch-weight": ("(1/m) G Hᵀ + λ W", "G Hᵀ + λ W", "sum_for_mean"),
    "row-weight": ("Gᵀ X", "Xᵀ G", "h_g_transpose"),
    "row-input": ("G W", "G Wᵀ", "column_rule"),
    "softmax-ce": ("ŷ - y", "y - ŷ", "sign"),
    "linear-weight": ("Gᵀ X", "Xᵀ G", "h_g_transpose"),
    "attention-v": ("Pᵀ G", "P G", "product_sides"),
    "attention-p": ("G Vᵀ", "P ⊙ (G Vᵀ)", "through_softmax"),
    "embedding-weight": ("Eᵀ G", "G", "rows_for_table"),
}


def grade_in_answer_box(box, question: str) -> None:
    """In a live answer box (a Playwright locator of ``.matgrad-answer-box``, wherever it is
    drawn): a classic mistake FAILs with its hint; an edit clears the verdict at once; the
    right answer PASSes."""
    from matgrad.book.grader import MISTAKES_CATALOGUE

    right, wrong, mistake = ANSWERS[question]
    hint = MISTAKES_CATALOGUE[mistake][0]
    text, status = box.locator("input"), box.locator('[role="status"]')
    text.fill(wrong)
    box.locator("button", has_text="Check").click()
    status.filter(has_text="FAIL").wait_for(timeout=60_000)
    shown = " ".join(status.inner_text().split())
    assert " ".join(hint.split())[:60] in shown, shown
    text.press("End")
    text.press_sequentially(" ")
    status.filter(has_text="Type your answer").wait_for(timeout=30_000)
    assert "FAIL" not in status.inner_text()
    text.fill(right)
    box.locator("button", has_text="Check").click()
    status.filter(has_text="PASS").wait_for(timeout=60_000)
