"""The live copy of the book: JupyterLite inside the built site (book/_ext/live_notebooks.py).

The first tests read the built files; the last one opens a chapter in the lite app in headless
Chromium, served from 127.0.0.1, and records every request to another host.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from site_support import SCREENSHOTS, SITE, toc_pages

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "book" / "_ext"))
from plain_markdown import SOLUTION_CODE

ROOT = Path(__file__).resolve().parent.parent
LITE = SITE / "lite"
KERNEL_SETTINGS = "@jupyterlite/pyodide-kernel-extension:kernel"


def chapters() -> list[str]:
    return [page for page in toc_pages() if (ROOT / f"{page}.ipynb").exists()]


def pyodide_url() -> str:
    """Where the lite kernel loads Python from: the pyodide-kernel's documented default."""
    schema = next(LITE.glob("extensions/@jupyterlite/pyodide-kernel-extension/static/schema/*"))
    return json.loads(schema.read_text())["properties"]["pyodideUrl"]["default"]


@pytest.fixture(scope="module")
def lite_built(server):  # the server fixture skips (or fails on CI) without a build
    if not (LITE / "jupyter-lite.json").exists():
        pytest.fail("the site was built without its lite app (book/_ext/live_notebooks.py)")


def test_every_chapter_notebook_is_in_the_lite_app_with_its_set_up_cell(lite_built):
    for chapter in chapters():
        original = json.loads((ROOT / f"{chapter}.ipynb").read_text())
        live = json.loads((LITE / "files" / f"{Path(chapter).name}.ipynb").read_text())
        setup, *cells = live["cells"]
        assert "%pip install matgrad ipywidgets" in "".join(setup["source"])
        # The same code; the Markdown made plain for JupyterLab (tests/test_plain_markdown.py).
        code = [
            [
                "".join(cell["source"]).removeprefix(SOLUTION_CODE)
                for cell in notebook
                if cell["cell_type"] == "code"
            ]
            for notebook in (cells, original["cells"])
        ]
        assert code[0] == code[1]
        markdown = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        assert "{doc}`" not in markdown and "{cite}`" not in markdown


def test_the_lite_kernel_installs_matgrad_and_ipywidgets_from_the_site_only(lite_built):
    index = json.loads((LITE / "pypi" / "all.json").read_text())
    assert {"matgrad", "ipywidgets", "comm", "jupyterlab-widgets"} <= {
        name.replace("_", "-") for name in index
    }
    for name in index:
        for release in index[name]["releases"].values():
            for wheel in release:
                assert (LITE / "pypi" / Path(urlparse(wheel["url"]).path).name).exists()
    config = json.loads((LITE / "jupyter-lite.json").read_text())["jupyter-config-data"]
    settings = config["litePluginSettings"][KERNEL_SETTINGS]
    assert settings["disablePyPIFallback"] is True
    assert any(url.startswith("./pypi/all.json") for url in settings["pipliteUrls"])
    extensions = {extension["name"] for extension in config["federated_extensions"]}
    assert "@jupyter-widgets/jupyterlab-manager" in extensions  # widgets render in the lite app


@pytest.mark.parametrize("chapter", chapters())
def test_each_chapter_page_links_to_its_own_live_notebook(chapter, lite_built):
    html = (SITE / f"{chapter}.html").read_text()
    links = re.findall(r'<a [^>]*href="([^"]*lite/notebooks/index.html\?path=[^"]*)"', html)
    assert len(links) == 1, "one 'Run live' link per chapter page"
    target = urlparse(links[0])
    assert (SITE / Path(chapter).parent / target.path).resolve() == (
        LITE / "notebooks" / "index.html"
    ).resolve()
    notebook = parse_qs(target.query)["path"][0]
    assert notebook == f"{Path(chapter).name}.ipynb" and (LITE / "files" / notebook).exists()
    assert "Run live in your browser" in html


def test_a_chapter_opens_in_the_lite_app_and_only_the_python_runtime_comes_from_outside(
    lite_built,
    server,
    browser,
):
    """The lite app loads from 127.0.0.1 and shows the chapter's cells.

    The kernel cannot start here: it loads Pyodide (Python compiled to WebAssembly, with its
    numpy and matplotlib) from the CDN in ``pyodideUrl``, and this machine reaches no host but
    the package registries, and no test may depend on an outside host. So every request to
    another host is recorded and aborted, and the test asserts that they are exactly the
    documented runtime fetch, nothing else.
    """
    runtime = urlparse(pyodide_url())
    # Routes on the context, not the page, also see the kernel's Web Worker; service workers
    # are blocked because requests they make would bypass the routes.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
    outside, errors = [], []  # errors: responses of the site with an HTTP error
    local = urlparse(server).netloc

    def route(request_route):
        url = request_route.request.url
        if urlparse(url).netloc not in (local, ""):
            outside.append(url)
            request_route.abort()
        else:
            request_route.continue_()

    context.route("**/*", route)
    page = context.new_page()
    # The page logs errors once the runtime fetch is refused; what must not fail is the site's
    # own files.
    context.on("response", lambda reply: errors.append(reply.url) if reply.status >= 400 else None)
    try:
        chapter = chapters()[0]
        name = Path(chapter).name
        page.goto(f"{server}/lite/notebooks/index.html?path={name}.ipynb")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60000)
        first_cell = page.locator(".jp-Notebook .jp-Cell").first.inner_text()
        assert "%pip install matgrad ipywidgets" in first_cell
        notebook = json.loads((ROOT / f"{chapter}.ipynb").read_text())
        first_markdown = next(c for c in notebook["cells"] if c["cell_type"] == "markdown")
        title = next(
            line.lstrip("# ").strip()
            for line in "".join(first_markdown["source"]).splitlines()
            if line.startswith("# ")
        )
        page.locator(".jp-RenderedMarkdown h1", has_text=title).first.wait_for(timeout=30000)
        for _ in range(60):  # the kernel starts once the notebook is open: give it 30 s
            if outside:
                break
            page.wait_for_timeout(500)
        page.wait_for_timeout(2000)  # and whatever else it would fetch right after
        assert outside, "the kernel never asked for its runtime"
        hosts = {urlparse(url).netloc for url in outside}
        assert hosts == {runtime.netloc}, f"unexpected outside requests: {sorted(set(outside))}"
        runtime_folder = runtime.path.rsplit("/", 1)[0] + "/"
        assert all(urlparse(url).path.startswith(runtime_folder) for url in outside), outside
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "lite.png"))
        assert errors == [], f"files of the site that failed to load: {errors}"
    finally:
        context.close()
