"""The built site as a reader sees it: every page of _toc.yml in a real headless Chromium.

`make test` builds the site first (`jupyter-book build --all -W`). The site is served from
_build/html on 127.0.0.1 and driven by Debian's /usr/bin/chromium through Playwright (never
a downloaded browser). Under CI (CI=true) a missing build or browser is a failure, not a skip.
tests/test_screens.py takes the screenshots of every page (phone, tablet, desktop; light, dark).
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
from site_support import SITE, WIDGET_STATE, WIDGET_VIEW, toc_pages

# Files no page requests: the theme's Font Awesome script (it only swaps icons for inline SVG;
# the theme's stylesheet draws them from the web font), sphinx-design's assets (no page uses its
# components), Thebe and jupyterlite-sphinx's page assets (no page uses their directives).
NEVER_REQUESTED = (
    "scripts/fontawesome.js",
    "sphinx-design.min.css",
    "design-tabs.js",
    "thebe",
    "jupyterlite_sphinx",
)
# What renders stored widget views (_config.yml's nb_ipywidgets_js): 1 MB gzip a text page
# must not carry.
WIDGET_MANAGER = ("requirejs/require.js", "widgets-bridge.js", "html-manager/dist/embed-amd.js")


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
        # Nothing the page does not use (book/_ext/offline_site.py, book/_templates), and the
        # widget manager only where stored widget state needs it.
        paths = [urlparse(u).path for u in seen["requests"]]
        assert [p for p in paths if any(name in p for name in NEVER_REQUESTED)] == []
        manager = {part for part in WIDGET_MANAGER for p in paths if part in p}
        if WIDGET_STATE in html:
            assert manager == set(WIDGET_MANAGER), f"widget manager files loaded: {manager}"
        else:
            assert manager == set(), f"a page without widgets loads {manager}"
        for href in page.evaluate("() => [...document.links].map(a => a.href)"):
            if urlparse(href).netloc == host:
                visited.add(urldefrag(href)[0])
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


# Icons a reader meets in the header bar, the sidebars and the page footer at 1280 px.
ICONS = [
    "fa-bars",
    "fa-download",
    "fa-expand",
    "fa-circle-half-stroke",
    "fa-magnifying-glass",
    "fa-list",
    "fa-angle-right",
]
# Every visible Font Awesome icon: the glyph its ::before draws, the font it draws it in, and
# whether that font (a FontFace of the page, not a fallback) has loaded.
ICON_GLYPHS_JS = """
() => [...document.querySelectorAll('i[class*="fa-"], span[class*="fa-"]')]
  .filter(el => el.getClientRects().length && getComputedStyle(el).visibility !== 'hidden')
  .map(el => {
    const before = getComputedStyle(el, '::before');
    const family = before.fontFamily.split(',')[0].replace(/["']/g, '').trim();
    return {
      icon: [...el.classList].filter(c => c.startsWith('fa-') && !/^fa-(solid|lg)$/.test(c))
        .join(' '),
      switch: el.classList.contains('theme-switch'),
      width: el.getBoundingClientRect().width,
      glyph: before.content !== 'none' && before.content !== 'normal' && before.content !== '""',
      family,
      loaded: [...document.fonts].some(f => f.family.replace(/["']/g, '') === family
        && f.status === 'loaded'),
    };
  })
"""


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


@pytest.mark.parametrize("document", ["book/intro", "book/why-transpose"])
def test_every_icon_shows_its_glyph_in_light_and_dark_mode(document, server, browser):
    # A text page and a widget page (whose widget manager brings Font Awesome 5 styles too).
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        page.goto(f"{server}/{document}.html", wait_until="networkidle")
        page.evaluate("() => document.fonts.ready")
        for mode in ("light", "dark"):
            page.emulate_media(color_scheme=mode)
            page.wait_for_function(f"() => document.documentElement.dataset.theme === '{mode}'")
            icons = page.evaluate(ICON_GLYPHS_JS)
            shown = {name for icon in icons for name in icon["icon"].split()}
            assert set(ICONS) <= shown, f"{mode}: icons not on screen: {set(ICONS) - shown}"
            bad = [i for i in icons if not (i["glyph"] and i["loaded"] and i["width"] > 0)]
            assert bad == [], f"{mode}: icons without a glyph from a loaded icon font: {bad}"
            assert all("Font Awesome" in icon["family"] for icon in icons), icons
        # The theme switch cycles through its three icons: each one drawn when it shows.
        cycle = set()
        for _ in range(3):
            page.click(".bd-header-article .theme-switch-button")
            page.wait_for_timeout(100)
            switch = [i for i in page.evaluate(ICON_GLYPHS_JS) if i["switch"]]
            assert len(switch) == 1 and switch[0]["glyph"] and switch[0]["loaded"], switch
            cycle.add(switch[0]["icon"])
        assert cycle == {"fa-sun", "fa-moon", "fa-circle-half-stroke"}, cycle
    finally:
        context.close()


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


def test_algorithm_lines_wrap_under_their_text_on_a_phone(server, browser):
    # At 390 px Algorithm 6.4's line 5 is wider than the column. The theme clips every inline
    # formula at the column's edge (it was cut at "Ω("); matgrad.css lets an algorithm's
    # formulas wrap, the continuation indented under the line's text, never under its number.
    page = browser.new_page(viewport={"width": 390, "height": 844})
    try:
        for chapter in ("forward", "backward"):
            page.goto(f"{server}/book/{chapter}.html", wait_until="networkidle")
            page.evaluate("() => MathJax.startup.promise")
            lines = page.evaluate(
                """() => [...document.querySelectorAll('div.proof.algorithm li > p')].map(p => {
                  const box = p.closest('div.proof.algorithm').getBoundingClientRect();
                  const rects = [...p.querySelectorAll('mjx-container, strong')]
                    .flatMap(el => [...el.getClientRects()]);
                  const first = Math.min(...rects.map(r => r.top));
                  const left = p.getBoundingClientRect().left;
                  return {
                    text: p.innerText.slice(0, 40),
                    overflow: Math.max(...rects.map(r => r.right)) - box.right,
                    clipped: [...p.querySelectorAll('span.math')]
                      .some(s => s.scrollWidth > s.clientWidth + 1),
                    continued: rects.filter(r => r.top > first + r.height / 2)
                      .map(r => r.left - left),
                    indent: parseFloat(getComputedStyle(p).fontSize),
                  };
                })"""
            )
            assert len(lines) == 7, (chapter, lines)
            for line in lines:
                assert line["overflow"] <= 0 and not line["clipped"], (chapter, line)
                assert all(x >= line["indent"] for x in line["continued"]), (chapter, line)
    finally:
        page.close()


# The effective contrast of each text in a widget panel, as the reader sees it: colours
# composited over what lies behind them, through the snapshot's opacity and saturate() filter
# (axe skips a snapshot's text: it is inert).
PANEL_CONTRAST_JS = """() => {
  const rgba = (c) => {
    const p = c.match(/[\\d.]+/g).map(Number);
    return p.length > 3 ? p : [...p, 1];
  };
  const over = (top, bottom) => [0, 1, 2].map(i => top[i] * top[3] + bottom[i] * (1 - top[3]));
  const linear = (v) => (v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  const lum = (c) => c.map(linear).reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const ratio = (a, b) => {
    const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  const worst = [];
  for (const panel of document.querySelectorAll('.matgrad-live-widget, .matgrad-snapshot')) {
    const walker = document.createTreeWalker(panel, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const el = walker.currentNode.parentElement;
      if (!walker.currentNode.textContent.trim() || !el.checkVisibility()
          || el.closest('script, mjx-assistive-mml')) continue;
      const chain = []; for (let e = el; e; e = e.parentElement) chain.unshift(e);
      let bg = [255, 255, 255], opacity = 1, sat = 1, behind = null;
      for (const e of chain) {
        const style = getComputedStyle(e);
        if (parseFloat(style.opacity) < 1 && !behind) behind = bg;
        opacity *= parseFloat(style.opacity);
        const s = style.filter.match(/saturate\\(([\\d.]+)\\)/); if (s) sat *= parseFloat(s[1]);
        bg = over(rgba(style.backgroundColor), bg);
      }
      let text = over(rgba(getComputedStyle(el).color), bg);
      const seen = (c) => {
        const d = behind ? c.map((v, i) => v * opacity + behind[i] * (1 - opacity)) : c;
        const [r, g, b] = d, k = 1 - sat;
        return [r - k * (0.787 * r - 0.715 * g - 0.072 * b),
                g - k * (-0.213 * r + 0.285 * g - 0.072 * b),
                b - k * (-0.213 * r - 0.715 * g + 0.928 * b)]
          .map(v => Math.min(255, Math.max(0, v)));
      };
      const contrast = Math.round(ratio(seen(text), seen(bg)) * 100) / 100;
      worst.push([contrast, el.textContent.trim().slice(0, 40)]);
    }
  }
  return worst.sort((a, b) => a[0] - b[0]).slice(0, 3);
}"""


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_widget_panels_keep_aa_contrast_in_both_modes(mode, server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=mode)
    page = context.new_page()
    try:
        for document in toc_pages():
            html = (SITE / f"{document}.html").read_text()
            if WIDGET_VIEW not in html:
                continue
            page.goto(f"{server}/{document}.html", wait_until="networkidle")
            page.wait_for_function(
                "n => document.querySelectorAll('.matgrad-snapshot .jupyter-widgets').length >= n",
                arg=html.count(WIDGET_VIEW),
                timeout=20000,
            )
            assert page.evaluate("() => document.documentElement.dataset.theme") == mode
            worst = page.evaluate(PANEL_CONTRAST_JS)
            assert worst and worst[0][0] >= 4.5, (document, mode, worst)
    finally:
        context.close()
