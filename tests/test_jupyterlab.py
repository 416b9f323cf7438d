"""The book as a reader sees it in JupyterLab: every page opened in JupyterLab (with
jupyterlab-myst, requirements.txt) in Debian's Chromium.

A rendered Markdown cell must show no MyST source (roles, directives, fences, targets, raw
TeX), no reference jupyterlab-myst could not resolve (it marks those "Not Found", or drops
unknown roles and directives silently: tests/test_notebooks.py keeps the source to what it
resolves), no empty box, and every link must open a notebook of the book or a section that
exists. JupyterLab serves a copy of the notebooks, so nothing it saves reaches book/; every
request of the browser must stay on 127.0.0.1.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from lite_support import (
    IDS,
    LINKS_RESOLVED,
    RENDERED,
    first_answer_box,
    grade_in_answer_box,
    markdown_problems,
    record_requests,
    run_all,
)
from site_support import SCREENSHOTS, SITE, toc_pages, unavailable

ROOT = Path(__file__).resolve().parent.parent
PAGES = [page for page in toc_pages() if (ROOT / f"{page}.ipynb").exists()]
# One JupyterLab server and one app for the whole module: its tests share a pytest-xdist worker.
pytestmark = pytest.mark.xdist_group("jupyterlab")

# What JupyterLab must not do while it is tested: window the notebook (cells outside the
# viewport would not be rendered, so not checked), keep a kernel when its tab closes, or ask
# the reader about news (a dialog over the page; the news come from outside).
SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {
        "windowingMode": "none",
        "kernelShutdown": True,
    },
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    """JupyterLab on 127.0.0.1, serving a copy of the book's notebooks, in its own
    configuration, settings and workspace folders (nothing of the user's)."""
    if shutil.which("chromium", path="/usr/bin") is None:
        unavailable("Debian's Chromium is not installed at /usr/bin/chromium")
    home = tmp_path_factory.mktemp("jupyterlab")
    book = home / "book"
    book.mkdir()
    for notebook in (ROOT / "book").glob("*.ipynb"):
        shutil.copy(notebook, book)
    for name, values in SETTINGS.items():
        path = home / "settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    port = free_port()
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--allow-root",
            "--ip=127.0.0.1",
            f"--port={port}",
            f"--ServerApp.root_dir={book}",
            "--IdentityProvider.token=",
            "--ServerApp.password=",
            "--LabApp.expose_app_in_browser=True",
            f"--LabApp.user_settings_dir={home / 'settings'}",
            f"--LabApp.workspaces_dir={home / 'workspaces'}",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(home / "server.log").open("w"),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status", timeout=5) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not start:\n{(home / 'server.log').read_text()}")
            time.sleep(0.5)
        yield url, book
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


@pytest.fixture(scope="module")
def lab(jupyterlab, browser):
    """One JupyterLab app in Chromium (no saved workspace), which opens the notebooks in
    turn: (its page, the requests it made to other hosts)."""
    url, _ = jupyterlab
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    outside = record_requests(context, url)
    page = context.new_page()
    page.goto(f"{url}/lab?reset")
    page.wait_for_function("() => window.jupyterapp", timeout=60_000)
    page.evaluate("() => window.jupyterapp.restored.then(() => true)")
    yield page, outside
    context.close()


# The element ids of each notebook as JupyterLab rendered it, read once per test process: the
# sections another notebook's links may open.
SECTIONS: dict[str, set[str]] = {}


def open_in_jupyterlab(page, name: str):
    """Close what the app shows, open ``name`` and wait until every Markdown cell of it is
    rendered and its links resolved. The app then shows only this notebook, so what the
    tests read from the page is this notebook's."""
    page.evaluate("() => window.jupyterapp.commands.execute('application:close-all')")
    page.wait_for_function("() => !document.querySelector('.jp-NotebookPanel')")
    # Closing a notebook leaves its kernel running, and reopening it reconnects to that
    # kernel, whose widget manager then restores its models while run-all makes new ones
    # ("Error displaying widget: model not found"); nineteen idle kernels also load the
    # machine. Each notebook opens with a kernel of its own.
    page.evaluate("() => window.jupyterapp.serviceManager.sessions.shutdownAll()")
    page.evaluate(
        # Not the opened widget: its object graph cannot be serialized back to Python.
        "name => { window.jupyterapp.commands.execute('docmanager:open', {path: name}); }",
        name,
    )
    markdown = sum(
        cell["cell_type"] == "markdown"
        for cell in json.loads((ROOT / "book" / name).read_text())["cells"]
    )
    page.wait_for_function(
        f"() => document.querySelectorAll('.jp-MarkdownCell .myst').length === {markdown}",
        timeout=60_000,
    )
    page.wait_for_function(LINKS_RESOLVED, timeout=30_000)


# Each display equation as jupyterlab-myst shows it: its number and its TeX.
LAB_EQUATIONS = """() => [...document.querySelectorAll('.jp-MarkdownCell .myst .katex-display')]
  .map((display) => {
    const block = display.closest('.flex-grow').parentElement;
    const number = [...block.querySelectorAll('a')]
      .map((a) => a.textContent.trim()).find((text) => /^\\(\\d+\\)$/.test(text));
    const tex = display.querySelector('annotation[encoding="application/x-tex"]');
    return [number || null, tex ? tex.textContent : null];
  })"""
SITE_EQUATION = re.compile(
    r'<div class="math notranslate nohighlight"[^>]*>\s*(?:<span class="eqno">\((\d+)\).*?</span>)?'
    r"\s*\\\[(.*?)\\\]\s*</div>",
    re.S,
)


def same_tex(tex: str) -> str:
    """TeX without spaces and without the split environment Sphinx puts around aligned lines."""
    return re.sub(r"\s+|\\(begin|end)\{split\}", "", tex)


def site_equations(page: str) -> list[tuple[str | None, str]]:
    """Each display equation of a page of the built site: its number, and its TeX."""
    path = SITE / f"{page}.html"
    if not path.exists():
        unavailable(f"the site is not built ({path} is missing): run `make build`")
    return [
        (f"({number})" if number else None, html.unescape(tex))
        for number, tex in SITE_EQUATION.findall(path.read_text())
    ]


@pytest.mark.parametrize("page", PAGES)
def test_a_page_in_jupyterlab_is_typeset_and_its_links_resolve(page, jupyterlab, lab, screenshots):
    url, book = jupyterlab
    tab, outside = lab
    name = f"{Path(page).name}.ipynb"
    open_in_jupyterlab(tab, name)
    cells = tab.evaluate(RENDERED)
    if screenshots:
        SCREENSHOTS.mkdir(exist_ok=True)
        tab.screenshot(path=str(SCREENSHOTS / f"jupyterlab-{Path(page).name}.png"))
    ids = set(tab.evaluate(IDS))
    equations = tab.evaluate(LAB_EQUATIONS)
    # One number names one equation: JupyterLab numbers every display, and the site every
    # labelled one, which is every one (test_notebooks.py), from (1) on each page.
    site = site_equations(page)
    assert [number for number, _ in equations] == [number for number, _ in site]
    assert [same_tex(tex or "") for _, tex in equations] == [same_tex(tex) for _, tex in site]
    problems, sections = markdown_problems(cells, ids, f"{url}/files/", book)
    assert problems == [], f"{name}:\n" + "\n".join(problems)
    SECTIONS[name] = ids
    for target, wanted in sections.items():
        if target not in SECTIONS:
            open_in_jupyterlab(tab, target)
            SECTIONS[target] = set(tab.evaluate(IDS))
        missing = wanted - SECTIONS[target]
        assert not missing, f"{name} links to sections {missing} that {target} does not have"
    assert outside == [], f"requests to other hosts: {sorted(set(outside))}"


def test_a_link_to_another_chapter_opens_it_in_jupyterlab(lab):
    tab, outside = lab
    open_in_jupyterlab(tab, "layouts.ipynb")
    tab.locator(".jp-MarkdownCell .myst a[href*='/files/backward.ipynb']").first.click()
    tab.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget.context.path === 'backward.ipynb'",
        timeout=30_000,
    )
    tab.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget.node"
        ".querySelectorAll('.jp-MarkdownCell .myst').length > 0",
        timeout=60_000,
    )
    assert outside == []


def test_a_reader_s_own_answer_is_graded_in_jupyterlab(lab):
    """The chapter runs in JupyterLab's own kernel, and its answer box grades: a classic
    mistake FAILs with its hint and a link to the notebook's section, an edit clears the
    verdict, the right answer PASSes."""
    tab, outside = lab
    open_in_jupyterlab(tab, "minibatches.ipynb")
    result = run_all(tab, limit_s=240)
    errors = [cell["errors"] for cell in result["state"]["cells"] if cell["errors"]]
    assert errors == []
    box = first_answer_box(tab)
    grade_in_answer_box(box, "batch-weight")
    box.locator("input").fill("G Hᵀ")
    box.locator("button", has_text="Check").click()
    link = box.locator('[role="status"] a')
    link.wait_for(timeout=30_000)
    section = link.get_attribute("href")
    assert re.fullmatch(r"[\w-]+\.ipynb#[\w-]+", section), section
    name, anchor = section.split("#")
    assert name == "minibatches.ipynb", section  # the section of this very chapter
    assert tab.locator(f".jp-MarkdownCell [id='{anchor}']").count() >= 1, section
    assert outside == []
