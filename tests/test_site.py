"""The built site as a reader sees it: every page of _toc.yml in a real headless Chromium.

`make test` builds the site first (`jupyter-book build --all -W`). The site is served from
_build/html on 127.0.0.1 and driven by Debian's /usr/bin/chromium through Playwright (never
a downloaded browser). Under CI (CI=true) a missing build or browser is a failure, not a skip.
Full-page screenshots land in tests/screenshots/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import json
import re
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urldefrag, urlparse

import pytest
from site_support import SCREENSHOTS, SITE, WIDGET_STATE, WIDGET_VIEW, toc_pages


@pytest.fixture(scope="session")
def visited():
    """Internal links seen on every page, checked once at the end."""
    return set()


def open_page(browser, url):
    """Load a page, recording console errors, failed requests and every requested URL."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    seen = {"requests": [], "errors": [], "failed": []}
    page.on("request", lambda request: seen["requests"].append(request.url))
    page.on("requestfailed", lambda request: seen["failed"].append(request.url))
    page.on(
        "response",
        lambda response: (
            seen["failed"].append(f"{response.status} {response.url}")
            if response.status >= 400
            else None
        ),
    )
    page.on(
        "console",
        lambda message: seen["errors"].append(message.text) if message.type == "error" else None,
    )
    page.on("pageerror", lambda error: seen["errors"].append(str(error)))
    response = page.goto(url, wait_until="networkidle")
    return page, response, seen


@pytest.mark.parametrize("document", toc_pages())
def test_page_as_a_reader_sees_it(document, server, browser, visited):
    html = (SITE / f"{document}.html").read_text()
    page, response, seen = open_page(browser, f"{server}/{document}.html")
    try:
        assert response.status == 200
        # Maths: every math node typeset by the site's own MathJax.
        math_nodes = len(re.findall(r'class="math[ "]', html))
        if math_nodes:
            page.wait_for_function("() => window.MathJax && window.MathJax.startup")
            page.evaluate("() => window.MathJax.startup.promise")
            typeset = page.locator("mjx-container").count()
            assert typeset >= math_nodes, f"{typeset} of {math_nodes} maths typeset"
        text = page.locator("article").inner_text()
        assert "$$" not in text and "\\(" not in text and "\\[" not in text
        # Widgets: every placeholder rendered from the stored state, with live controls.
        placeholders = html.count(WIDGET_VIEW)
        if placeholders:
            assert WIDGET_STATE in html, "widget views without stored widget state render blank"
            page.wait_for_function(
                f"() => document.querySelectorAll('.jupyter-widgets.widget-container,"
                f" .cell_output .jupyter-widgets').length >= {placeholders}",
                timeout=20000,
            )
            page.wait_for_load_state("networkidle")
            state = json.loads(
                re.search(
                    rf'<script type="{re.escape(WIDGET_STATE)}">(.*?)</script>', html, re.S
                ).group(1)
            )
            models = {model["model_name"] for model in state["state"].values()}
            if models & {"IntSliderModel", "FloatSliderModel", "FloatLogSliderModel"}:
                sliders = page.locator(".widget-slider")
                assert sliders.count() > 0
                assert page.locator(".widget-slider .slider-container").count() > 0
        # Images: every one loaded.
        broken = page.evaluate(
            "() => [...document.images].filter(i => !(i.complete && i.naturalWidth > 0))"
            ".map(i => i.src)"
        )
        assert broken == []
        # Code a reader must read fits the text column (book/ruff.toml, matgrad.css).
        scrolling = page.evaluate(
            "() => [...document.querySelectorAll('article .cell_input pre')]"
            ".filter(pre => pre.scrollWidth > pre.clientWidth + 1)"
            ".map(pre => pre.innerText.slice(0, 60))"
        )
        assert scrolling == [], f"code cells that scroll sideways: {scrolling}"
        # Nothing left the machine, nothing failed, nothing complained.
        host = urlparse(server).netloc
        outside = sorted({urlparse(u).netloc for u in seen["requests"]} - {host, ""})
        assert outside == [], f"requests to other hosts: {outside}"
        assert seen["failed"] == []
        assert seen["errors"] == []
        for href in page.evaluate("() => [...document.links].map(a => a.href)"):
            if urlparse(href).netloc == host:
                visited.add(urldefrag(href)[0])
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{Path(document).name}.png"), full_page=True)
    finally:
        page.close()


def test_every_internal_link_resolves(server, browser, visited):
    # Runs after the page tests (file order), which collect the links.
    for document in toc_pages():
        visited.add(f"{server}/{document}.html")
    for url in sorted(visited):
        try:
            with urllib.request.urlopen(url) as reply:
                assert reply.status == 200, url
        except urllib.error.HTTPError as error:
            pytest.fail(f"{url}: HTTP {error.code}")


def test_algorithms_are_typeset_and_cross_referenced(server):
    pages = {document: (SITE / f"{document}.html").read_text() for document in toc_pages()}
    algorithms = {d: html.count('class="proof algorithm') for d, html in pages.items()}
    assert algorithms["book/forward"] == 1 and algorithms["book/backward"] == 1, algorithms
    # Other chapters name an algorithm by its number and link to the chapter that holds it
    # ([Algorithm 6.4](backward.ipynb), which JupyterLab resolves too).
    for number, chapter in (("6.3", "forward"), ("6.4", "backward")):
        links = [
            (href, text)
            for html in pages.values()
            for href, text in re.findall(r'<a [^>]*href="([^"]*)"[^>]*>(.*?)</a>', html, re.S)
            if re.sub(r"<[^>]+>", "", text).strip() == f"Algorithm {number}"
        ]
        assert links, f"nothing links to Algorithm {number}"
        for href, _ in links:
            assert href.split("#")[0] in ("", f"{chapter}.html"), href


def test_no_page_loads_the_vendored_libraries_it_does_not_use():
    # Jupyter Book injects every .js under a folder named _static into every page; the
    # vendored folder avoids that name, so MathJax's many components stay unlisted.
    for document in toc_pages():
        html = (SITE / f"{document}.html").read_text()
        assert "_static/mathjax/input" not in html and "_static/mathjax/sre" not in html
        assert "cdn.jsdelivr.net" not in html and "cdnjs.cloudflare.com" not in html


def test_every_vendored_file_is_committed():
    # A clean clone must serve what this checkout serves: a too-broad ignore rule (`dist/`)
    # once kept the widget manager's bundle out of git, and every widget page went blank in CI.
    vendor = SITE.parent.parent / "book" / "_vendor"
    if not (SITE.parent.parent / ".git").exists():
        pytest.skip("not a git checkout")
    listed = subprocess.run(
        ["git", "ls-files", "--others", "--ignored", "--exclude-standard", str(vendor)],
        capture_output=True,
        text=True,
        check=True,
        cwd=vendor,
    ).stdout.split()
    assert listed == [], f"vendored files ignored by git: {listed[:5]}"
    assert (vendor / "html-manager" / "dist" / "embed-amd.js").exists()


def test_no_link_shows_raw_tex():
    # A {doc} link without its own text borrows the chapter's title, and a title's maths
    # then shows as TeX source ("g\,h^{(k-1)\top}") in the middle of a sentence.
    for document in toc_pages():
        html = (SITE / f"{document}.html").read_text()
        article = html[html.find("<article") :]
        for text in re.findall(r'<a class="reference internal"[^>]*>(.*?)</a>', article, re.S):
            plain = re.sub(r"<[^>]+>", "", text)
            # Maths between \( \) is typeset by MathJax (the page test checks none is left).
            plain = re.sub(r"\\\(.*?\\\)", "", plain)
            assert "\\" not in plain and "^{" not in plain, f"{document}: link text {plain!r}"


# Words learners type when they arrive from a course or a framework, and the page whose text
# answers them: the site's own search (search.html, searchindex.js) must list that page.
SEARCHES = [
    ("dZ", "notation-bridges"),
    ("dscores", "notation-bridges"),
    ("sigmoid", "notation-bridges"),
    ("nn.Linear", "notation-bridges"),
    ("dropout", "random-costs"),
    ("inverse", "backward"),
    ("Jacobian", "questions"),
]


@pytest.mark.parametrize(("words", "answer"), SEARCHES)
def test_site_search_finds_the_page_that_answers(words, answer, server, browser):
    page, response, seen = open_page(browser, f"{server}/search.html?q={words}")
    try:
        assert response.status == 200
        # Sphinx writes its summary ("Search finished, found N pages…") when it is done.
        page.wait_for_function(
            "() => document.querySelector('#search-results .search-summary')"
            "?.innerText.trim().length > 0",
            timeout=20000,
        )
        found = page.evaluate(
            "() => [...document.querySelectorAll('#search-results li a')]"
            ".map(a => new URL(a.href).pathname)"
        )
        assert any(path.endswith(f"/book/{answer}.html") for path in found), (words, found)
        host = urlparse(server).netloc
        assert {urlparse(u).netloc for u in seen["requests"]} <= {host, ""}
    finally:
        page.close()
