"""The built site's files, and its search as a reader uses it.

`make test` builds the site first (`jupyter-book build --all -W`). The site is served from
_build/html on 127.0.0.1 and driven by Debian's /usr/bin/chromium through Playwright (never
a downloaded browser). Under CI (CI=true) a missing build or browser is a failure, not a skip.
tests/test_screens.py opens every page at every size: what a reader sees there is checked
there, in one load per page and size.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from urllib.parse import urlparse

import pytest
from site_support import ICONS, SITE, open_page, toc_pages

pytestmark = pytest.mark.site


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


def test_theme_icons_need_no_script():
    # The theme's layout imports static/webpack-macros.html; book/_templates overrides it to
    # pass every macro through but the Font Awesome script. A theme release that renames the
    # macros or stops loading the script must fail here, not break every page's <head>.
    import pydata_sphinx_theme

    theme = Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme"
    macros = (theme / "static" / "webpack-macros.html").read_text()
    assert set(re.findall(r"{% macro (\w+)\(\) %}", macros)) == {
        "head_pre_assets",
        "head_js_preload",
        "body_post",
    }
    assert "scripts/fontawesome.js" in macros, (
        "the theme no longer loads the script: drop the override"
    )
    # The icons then come from the theme's stylesheet and the web font it names.
    css = (SITE / "_static" / "styles" / "pydata-sphinx-theme.css").read_text()
    assert re.search(r"@font-face{[^}]*Font Awesome\\ 6 Free[^}]*fa-solid-900\.woff2", css)
    assert (
        SITE / "_static" / "vendor" / "fontawesome" / "webfonts" / "fa-solid-900.woff2"
    ).exists()
    for icon in [*ICONS, "fa-sun", "fa-moon", "fa-arrow-up", "fa-angle-left", "fa-outdent"]:
        assert f".{icon}:before" in css, f"the theme's stylesheet has no glyph for {icon}"
    for document in toc_pages():
        html = (SITE / f"{document}.html").read_text()
        assert "fontawesome.js" not in html, document
        assert "_static/scripts/bootstrap.js" in html and "pydata-sphinx-theme.js" in html


def test_theme_controls_are_named_by_their_visible_text():
    # book/_templates and book/_ext/offline_site.py drop the aria-labels that replaced the
    # visible text of these controls (axe's label-content-name-mismatch); if the theme or
    # myst-nb change their markup, these checks fail instead of the labels coming back.
    for document in toc_pages():
        html = (SITE / f"{document}.html").read_text()
        fields = re.findall(r'<button class="btn search-button-field[^>]*>.*?</button>', html, re.S)
        assert fields, document
        for field in fields:
            assert "aria-label" not in field and "search-button__default-text" in field
        assert re.search(
            r'<nav class="matgrad-home" aria-label="Home">\s*<a class="navbar-brand', html
        )
        for summary in re.findall(r"<summary[^>]*>.*?</summary>", html, re.S):
            assert summary.startswith("<summary>"), (document, summary[:80])
            if " and Algorithm 6.4: " in summary:
                continue  # bridges.compare's own line, its table folded under it
            assert re.search(r'class="collapsed admonition-title">Show code cell', summary)


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
    # What tools leave beside the files (ruff's cache for book/_vendor/ruff.toml, bytecode)
    # is ignored on purpose and served by nobody.
    listed = [name for name in listed if not name.startswith((".ruff_cache/", "__pycache__/"))]
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
    context, page, response, seen = open_page(browser, f"{server}/search.html?q={words}")
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
        context.close()
