"""Every page on every reader's screen: a phone, a tablet and a laptop, in light and dark mode.

For each page of _toc.yml at 390×844, 768×1024 and 1280×800, in Debian's Chromium:

- the page never scrolls sideways; a display equation, table, algorithm or output wider than
  the column scrolls inside a box of its own, which shows that it scrolls (a shadow at the
  edge that hides more) and that a keyboard can reach;
- every widget control is on screen and usable: a slider's track at least 120 px, buttons,
  drop-downs and labels showing their whole text;
- no number is broken across lines ("< 1e-" above "09"); a table an output prints or a
  widget writes keeps each cell on one line, apart from the next;
- every image says what it shows (alt text, not a file name); at phone size, the values a
  heat map writes in its cells are at least 10 px;
- axe-core (npm, pinned; see site_support.axe_script) finds no serious or critical violation,
  in the theme's light mode and again in its dark mode (the reader's system setting);
- the page's compressed transfer stays under its budget (measured once, at desktop size);
- what any reader must never meet: maths left as TeX, a stored widget that did not render, a
  broken image, a request to another host or one that failed, an error in the console, a
  file the page does not use (the widget manager only on widget pages);
- at desktop size: code cells fit the column, every link within the site resolves, the
  icons draw their glyphs, widget panels keep AA contrast in both modes; at phone size:
  the algorithms' long lines wrap under their text.

Besides: the keyboard reaches everything a reader can act on and no formula that does not
scroll, and a skip link takes it to a page's first widget; a snapshot taller than the window
says it is one all the way down, and a click on it finds the button that makes it live; the
gradient checker's longest verdict reads row by row on a phone.

One load of a page at a size serves all of its checks, and every check runs even when an
earlier one found a problem: the failure lists them all. Loads wait for conditions (maths
typeset, widgets rendered, fonts and images loaded, no request in flight), never for network
idleness or a fixed time.

A JSON record per page and size (axe's findings by rule, the layout, the page weight) lands
in tests/screenshots/screens/ (git-ignored), which ``python tests/screens_report.py`` turns
into tables; with ``pytest --screenshots`` screenshots of every page, size and mode too.
"""

from __future__ import annotations

import base64
import functools
import io
import json
import re
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urldefrag, urlparse

import numpy as np
import PIL.Image
import pytest
from playwright.sync_api import expect
from site_support import (
    ICONS,
    SCREENSHOTS,
    SITE,
    WIDGET_STATE,
    WIDGET_VIEW,
    axe_script,
    open_page,
    page_html,
    toc_pages,
    wait_for_network,
)

SIZES = {"phone": (390, 844), "tablet": (768, 1024), "desktop": (1280, 800)}
SHOTS = SCREENSHOTS / "screens"
RECORDS = SHOTS  # one JSON record per page and size (always), and the screenshots (on request)
# Compressed bytes a page may transfer (gzip, level 6, as a web server would send them). A
# widget page also carries the widget manager, which renders the stored widget views.
BUDGET = {"text": 1_200_000, "widgets": 2_500_000}
MIN_SLIDER_TRACK = 120  # px: a thumb on a shorter track cannot pick values one by one
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
# Files no page requests: the theme's Font Awesome script (it only swaps icons for inline SVG;
# the theme's stylesheet draws them from the web font), sphinx-design's assets (no page uses its
# components) and Thebe's.
NEVER_REQUESTED = ("scripts/fontawesome.js", "sphinx-design.min.css", "design-tabs.js", "thebe")
# What renders stored widget views (_config.yml's nb_ipywidgets_js): 1 MB gzip a text page
# must not carry.
WIDGET_MANAGER = ("requirejs/require.js", "widgets-bridge.js", "html-manager/dist/embed-amd.js")

pytestmark = pytest.mark.site

# What a reader's screen shows, measured in the page. Each list names the offenders.
LAYOUT_JS = """
() => {
  // MathJax's speech markup (mjx-assistive-mml) is clipped to nothing on screen but still
  // counts in scrollWidth: leave it out while measuring what a reader sees.
  const quiet = document.createElement('style');
  quiet.textContent = 'mjx-assistive-mml { display: none !important; }';
  document.head.append(quiet);
  const width = document.documentElement.clientWidth;
  const column = document.querySelector('article.bd-article') || document.querySelector('main');
  const limit = column.getBoundingClientRect().right + 1;
  const scrollBox = (el) => {
    for (let box = el; box && box !== column; box = box.parentElement) {
      const style = getComputedStyle(box);
      if (['auto', 'scroll'].includes(style.overflowX) && box.scrollWidth > box.clientWidth + 1)
        return box;
    }
    return null;
  };
  const describe = (el) => (el.getAttribute('aria-label') || el.innerText || el.tagName)
    .replace(/\\s+/g, ' ').slice(0, 50);
  // A block wider than the column must scroll in its own box: visible, within the column,
  // with a cue (a scroll shadow: a background image) and a tab stop for the keyboard.
  const blocks = [...column.querySelectorAll(
    'mjx-container[display="true"], table, .cell_output pre, .cell_input pre,'
    + ' .proof section, .math-wrapper, .widget-html-content, span.math, .cell_output > img')];
  const clipped = [], noCue = [];
  for (const el of blocks) {
    const rect = el.getBoundingClientRect();
    if (rect.width === 0) continue;
    const box = scrollBox(el);
    if (box) {
      const style = getComputedStyle(box);
      const cue = style.backgroundImage !== 'none';
      if (box.getBoundingClientRect().right > limit) clipped.push(describe(el));
      else if (!(cue && box.tabIndex >= 0)) noCue.push(describe(el));
    } else if (el.matches('span.math')) {
      // The theme clips an inline formula at the column; its MathJax box says how wide it is.
      const math = el.querySelector('mjx-math');
      const clips = getComputedStyle(el).overflowX !== 'visible';
      if (math && clips && math.getBoundingClientRect().width > rect.width + 2)
        clipped.push(describe(el));
    } else if (rect.right > limit || el.scrollWidth > el.clientWidth + 1) {
      clipped.push(describe(el));
    }
  }
  // Widget controls: on screen, whole, big enough.
  const controls = [];
  const tooSmall = [];
  const textWidth = (el, text) => {
    const style = getComputedStyle(el);
    const canvas = textWidth.canvas || (textWidth.canvas = document.createElement('canvas'));
    const context = canvas.getContext('2d');
    context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    return context.measureText(text).width;
  };
  for (const el of column.querySelectorAll(
      '.jupyter-widgets button, .jupyter-widgets select, .jupyter-widgets input,'
      + ' .jupyter-widgets .slider-container, .jupyter-widgets .widget-label')) {
    const rect = el.getBoundingClientRect();
    if (getComputedStyle(el).display === 'none' || el.type === 'hidden') continue;
    if (el.matches('.widget-label') && !el.innerText.trim()) continue;
    controls.push(el);
    const name = describe(el);
    if (rect.width === 0 || rect.left < -1 || rect.right > width + 1) {
      tooSmall.push(`${name}: off screen`);
    } else if (el.matches('.slider-container') && rect.width < %(track)d) {
      tooSmall.push(`slider track ${Math.round(rect.width)} px`);
    } else if (el.matches('select')) {
      const text = el.selectedOptions[0] ? el.selectedOptions[0].text : '';
      if (textWidth(el, text) + 24 > el.clientWidth) tooSmall.push(`drop-down "${text}" cut`);
    } else if (el.matches('button, .widget-label') && el.scrollWidth > el.clientWidth + 1) {
      tooSmall.push(`${name} cut`);
    }
  }
  const images = [...column.querySelectorAll('img')].map(img => ({
    src: img.getAttribute('src'), alt: (img.getAttribute('alt') || '').trim(),
    url: img.currentSrc, natural: img.naturalWidth, shown: img.getBoundingClientRect().width}));
  // The lines a text node's characters from `start` to `end` are drawn on.
  const lines = (node, start, end) => {
    const range = document.createRange();
    range.setStart(node, start);
    range.setEnd(node, end);
    return [...range.getClientRects()].filter(r => r.width > 0);
  };
  const texts = function* (root) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const parent = walker.currentNode.parentElement;
      if (walker.currentNode.textContent.trim() && parent.checkVisibility()
          && !parent.closest('pre, script, style, mjx-container')) yield walker.currentNode;
    }
  };
  // A number a narrow column would break ("< 1e-" above "09"), drawn on two lines.
  const number = new RegExp(/[<>≤≥≈]=?\\s[-−]?\\d+(?:\\.\\d+)?(?:e[-+]\\d+)?/.source
    + '|' + /(?<![\\w.])[-−]?\\d+(?:\\.\\d+)?e[-+]\\d+/.source, 'g');
  const brokenNumbers = [];
  for (const node of texts(column)) {
    for (const match of node.textContent.matchAll(number)) {
      const rects = lines(node, match.index, match.index + match[0].length);
      if (new Set(rects.map(r => Math.round(r.top))).size > 1) brokenNumbers.push(match[0]);
    }
  }
  // A table an output prints or a widget writes: each cell on one line, its text at least
  // half an em from the next cell's ("< 1e-091e-07" ran together on a phone).
  const crowdedCells = [];
  for (const table of column.querySelectorAll('.cell_output table')) {
    if (!table.checkVisibility()) continue;
    for (const row of table.rows) {
      let before = null;
      for (const cell of row.cells) {
        const rects = [...texts(cell)].flatMap(node => lines(node, 0, node.length));
        if (!rects.length) continue;
        const text = cell.innerText.trim().slice(0, 30);
        if (new Set(rects.map(r => Math.round(r.top))).size > 1)
          crowdedCells.push(`"${text}" wraps`);
        const left = Math.min(...rects.map(r => r.left));
        const gap = 0.5 * parseFloat(getComputedStyle(cell).fontSize);
        if (before && left - before.right < gap)
          crowdedCells.push(`"${before.text}" runs into "${text}"`);
        before = {text, right: Math.max(...rects.map(r => r.right))};
      }
    }
  }
  const pageScroll = document.documentElement.scrollWidth - width;
  quiet.remove();
  return {
    pageScroll,
    clipped, noCue, controls: controls.length, tooSmall, images, brokenNumbers, crowdedCells,
  };
}
""".replace("%(track)d", str(MIN_SLIDER_TRACK))


# The transitions of what is on screen, ended. One inside a closed <details> never runs (its
# content is not rendered), and a cancelled one rejects: neither is waited for. The cap only
# keeps a stuck transition from hanging the run; no check depends on it.
SETTLED_JS = """
() => Promise.race([
  Promise.all(document.getAnimations()
    .filter(a => a.effect && a.effect.target && a.effect.target.checkVisibility())
    .map(a => a.finished.catch(() => null))),
  new Promise(resolve => setTimeout(resolve, 3000)),
]).then(() => true)
"""
# pydata-sphinx-theme 0.17 gives these blocks a tab stop when they scroll, 300 ms after the
# last change to the page (a debounced MutationObserver): every one of them agrees with its
# size once the theme has caught up with the typeset maths and the rendered widgets.
TAB_STOPS_SETTLED_JS = """
() => [...document.querySelectorAll(['pre', '.nboutput > .output_area',
    '.cell_output > .output', '.jp-RenderedHTMLCommon', '.pst-scrollable-table-container']
    .join(', '))].every(el => el.tabIndex === (el.scrollWidth > el.clientWidth
      || el.scrollHeight > el.clientHeight ? 0 : -1))
"""
IMAGES_LOADED_JS = """
() => [...document.images].every(i => i.complete)
"""


def page_kind(document: str) -> str:
    return "widgets" if WIDGET_VIEW in page_html(document) else "text"


def wait_until_rendered(page, document: str) -> None:
    """Maths typeset, stored widgets rendered, fonts and images loaded, the theme's tab stops
    caught up: each a condition, each failing loudly if it never holds."""
    html = page_html(document)
    if re.search(r'class="math[ "]', html):
        page.wait_for_function("() => window.MathJax && window.MathJax.startup")
        page.evaluate("() => window.MathJax.startup.promise")
    views = html.count(WIDGET_VIEW)
    if views:
        page.wait_for_function(
            f"() => document.querySelectorAll('.jupyter-widgets.widget-container,"
            f" .cell_output .jupyter-widgets').length >= {views}",
            timeout=20000,
        )
    # Typeset maths and rendered widgets fetch their fonts last.
    page.evaluate("() => document.fonts.ready.then(() => true)")
    page.wait_for_function(IMAGES_LOADED_JS, timeout=20000)
    page.wait_for_function(TAB_STOPS_SETTLED_JS, timeout=5000)


def run_axe(page) -> list[dict]:
    if not page.evaluate("() => !!window.axe"):
        page.add_script_tag(content=axe_script())
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes:"
        " ['violations']})",
        AXE_TAGS,
    )
    return [
        {
            "rule": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "nodes": [node["target"] for node in violation["nodes"]][:8],
            "count": len(violation["nodes"]),
        }
        for violation in result["violations"]
    ]


def alt_text_problems(images: list[dict]) -> list[str]:
    problems = []
    for image in images:
        alt, name = image["alt"], Path(urlparse(image["src"] or "").path).name
        if not alt or alt == name or re.fullmatch(r"[\w./-]+\.(png|svg|jpe?g)", alt):
            problems.append(f"{name}: alt {alt!r}")
    return problems


def reader_problems(page, document: str, seen: dict, server: str) -> list[str]:
    """What a reader of any page at any size must never meet: maths left as TeX, a stored
    widget that did not render, a broken image, a request to another host, a failed request,
    an error in the console, a file the page does not use."""
    html = page_html(document)
    problems = []
    math_nodes = len(re.findall(r'class="math[ "]', html))
    typeset = page.locator("mjx-container").count()
    if typeset < math_nodes:
        problems.append(f"{typeset} of {math_nodes} maths typeset")
    text = page.locator("article").inner_text()
    if "$$" in text or "\\(" in text or "\\[" in text:
        problems.append("TeX source shows in the text")
    if WIDGET_VIEW in html:
        if WIDGET_STATE not in html:
            problems.append("widget views without stored widget state render blank")
        state = json.loads(
            re.search(rf'<script type="{re.escape(WIDGET_STATE)}">(.*?)</script>', html, re.S)[1]
        )
        models = {model["model_name"] for model in state["state"].values()}
        sliders = {
            "IntSliderModel",
            "FloatSliderModel",
            "FloatLogSliderModel",
            "SelectionSliderModel",
        }
        if models & sliders and not (page.locator(".widget-slider .slider-container").count()):
            problems.append("stored sliders did not render")
    broken = page.evaluate(
        "() => [...document.images].filter(i => !(i.complete && i.naturalWidth > 0))"
        ".map(i => i.src)"
    )
    if broken:
        problems.append(f"broken images: {broken}")
    host = urlparse(server).netloc
    outside = sorted({urlparse(u).netloc for u in seen["requests"]} - {host, ""})
    if outside:
        problems.append(f"requests to other hosts: {outside}")
    if seen["failed"]:
        problems.append(f"failed requests: {seen['failed']}")
    if seen["errors"]:
        problems.append(f"console errors: {seen['errors']}")
    # Nothing the page does not use (book/_ext/offline_site.py, book/_templates), and the
    # widget manager only where stored widget state needs it.
    paths = [urlparse(u).path for u in seen["requests"]]
    unused = [p for p in paths if any(name in p for name in NEVER_REQUESTED)]
    if unused:
        problems.append(f"loads what it does not use: {unused}")
    manager = {part for part in WIDGET_MANAGER for p in paths if part in p}
    wanted = set(WIDGET_MANAGER) if WIDGET_STATE in html else set()
    if manager != wanted:
        problems.append(f"widget manager files loaded: {sorted(manager)}, wanted {wanted}")
    return problems


def desktop_problems(page, server: str, checked_links: set[str]) -> list[str]:
    """At 1280 px: code a reader must read fits the text column (book/ruff.toml,
    matgrad.css), and every link within the site resolves (each checked once per run)."""
    problems = []
    scrolling = page.evaluate(
        "() => [...document.querySelectorAll('article .cell_input pre')]"
        ".filter(pre => pre.scrollWidth > pre.clientWidth + 1)"
        ".map(pre => pre.innerText.slice(0, 60))"
    )
    if scrolling:
        problems.append(f"code cells that scroll sideways: {scrolling}")
    host = urlparse(server).netloc
    for href in page.evaluate("() => [...document.links].map(a => a.href)"):
        url = urldefrag(href)[0]
        if urlparse(url).netloc != host or url in checked_links:
            continue
        checked_links.add(url)
        try:
            with urllib.request.urlopen(url) as reply:
                if reply.status != 200:
                    problems.append(f"{url}: HTTP {reply.status}")
        except urllib.error.HTTPError as error:
            problems.append(f"{url}: HTTP {error.code}")
    return problems


@pytest.fixture(scope="session")
def checked_links() -> set[str]:
    """Links within the site already followed in this test process."""
    return set()


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("document", toc_pages())
def test_page_on_every_screen_in_both_modes(
    document, size, server, browser, screenshots, checked_links
):
    """One load of the page at this size serves every check of it: what any reader must
    never meet, the layout, alt text, axe in light and dark mode, and at desktop size the
    code column, the links, the weight (measured once per page), the icons and the widget
    panels' contrast; at phone size the algorithms' wrapped lines."""
    weigh = size == "desktop"
    context, page, response, seen = open_page(
        browser, f"{server}/{document}.html", viewport=SIZES[size], weigh=weigh
    )
    name = Path(document).name
    try:
        assert response.status == 200
        wait_until_rendered(page, document)
        wait_for_network(page, seen)
        problems = {"reader": reader_problems(page, document, seen, server)}
        layout = page.evaluate(LAYOUT_JS)
        problems["layout"] = [
            *(
                [f"the page scrolls sideways by {layout['pageScroll']} px"]
                * (layout["pageScroll"] > 0)
            ),
            *[f"clipped, with no scroll box: {what}" for what in layout["clipped"]],
            *[f"scroll box without a cue or tab stop: {what}" for what in layout["noCue"]],
            *[f"widget control: {what}" for what in layout["tooSmall"]],
            *alt_text_problems(layout["images"]),
            *[f"a number broken across lines: {what}" for what in layout["brokenNumbers"]],
            *[f"a table's cell: {what}" for what in layout["crowdedCells"]],
        ]
        if size == "desktop":
            problems["desktop"] = desktop_problems(page, server, checked_links)
        if size == "phone" and name in ALGORITHM_PAGES:
            problems["algorithm lines"] = algorithm_line_problems(page)
        if size == "phone":
            problems["heat-map values"] = heat_map_label_problems(layout["images"])
        axe = {}
        for mode in ("light", "dark"):
            if mode == "dark":
                # The theme's default mode follows the reader's system setting.
                page.emulate_media(color_scheme="dark")
                page.wait_for_function("() => document.documentElement.dataset.theme === 'dark'")
                # The theme fades some colours in: measure once every transition has ended.
                page.evaluate(SETTLED_JS)
            axe[mode] = run_axe(page)
            serious = [v for v in axe[mode] if v["impact"] in ("serious", "critical")]
            problems[f"axe, {mode} mode"] = serious
            if size == "desktop" and name in ICON_PAGES:
                problems[f"icons, {mode} mode"] = icon_problems(page)
            if size == "desktop" and page_kind(document) == "widgets":
                problems[f"widget panel contrast, {mode} mode"] = contrast_problems(page)
            if screenshots:
                SHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SHOTS / f"{name}-{size}-{mode}.png"), full_page=True)
        if size == "desktop" and name in ICON_PAGES:
            problems["theme switch icons"] = theme_switch_problems(page)
        weight = None
        if weigh:
            kind = page_kind(document)
            transfer = seen["transfer"]
            weight = {
                "kind": kind,
                "raw": sum(raw for raw, _ in transfer.values()),
                "gzip": sum(packed for _, packed in transfer.values()),
                "largest": sorted(
                    ((packed, urlparse(url).path) for url, (_, packed) in transfer.items()),
                    reverse=True,
                )[:5],
            }
            if weight["gzip"] >= BUDGET[kind]:
                problems["weight"] = [f"{weight['gzip']:,} bytes gzip ({kind} page)"]
        RECORDS.mkdir(parents=True, exist_ok=True)
        (RECORDS / f"{name}-{size}.json").write_text(
            json.dumps(
                {"page": name, "size": size, "layout": layout, "axe": axe, "weight": weight},
                indent=1,
            )
        )
        problems = {check: found for check, found in problems.items() if found}
        assert problems == {}, json.dumps(problems, indent=1, ensure_ascii=False)
    finally:
        context.close()


# At 390 px Algorithm 6.4's line 5 is wider than the column. The theme clips every inline
# formula at the column's edge (it was cut at "Ω("); matgrad.css lets an algorithm's formulas
# wrap, the continuation indented under the line's text, never under its number.
ALGORITHM_PAGES = {"forward": 7, "backward": 7}  # the page, and its algorithm's line count
ALGORITHM_LINES_JS = """() => [...document.querySelectorAll('div.proof.algorithm li > p')]
  .map(p => {
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
      continued: rects.filter(r => r.top > first + r.height / 2).map(r => r.left - left),
      indent: parseFloat(getComputedStyle(p).fontSize),
    };
  })"""


def algorithm_line_problems(page) -> list:
    lines = page.evaluate(ALGORITHM_LINES_JS)
    if len(lines) != 7:
        return [f"{len(lines)} algorithm lines, not 7"]
    return [
        line
        for line in lines
        if line["overflow"] > 0
        or line["clipped"]
        or not all(x >= line["indent"] for x in line["continued"])
    ]


# Heat maps that write their values in their cells (matgrad.book.figures), known by their alt
# text: on a phone those values must stay readable, at least MIN_HEAT_MAP_VALUE_PX (the font
# size as the page shows the picture). They were 4 px: an 8 in figure, scaled to the column.
MIN_HEAT_MAP_VALUE_PX = 10


@functools.cache
def heat_map_values() -> dict[str, tuple[float, float]]:
    """For each heat map with values, by the start of its alt text: the values' font size in
    points and the dpi the figure is drawn at (as the figure code makes them)."""
    import matplotlib

    matplotlib.use("Agg")
    from matgrad.book import figures

    outer = figures.plot_outer_product(np.ones(3), np.ones(4))
    vector = figures.VectorFigure().update(np.ones((2, 1)), "g")
    found = {
        "Three heat maps with their values written in the cells": (
            min(text.get_fontsize() for ax in outer.axes for text in ax.texts),
            outer.dpi,
        ),
        "Heat map of ": (min(text.get_fontsize() for text in vector.ax.texts), vector.figure.dpi),
    }
    figures.pyplot().close(outer)
    return found


def png_dpi(url: str) -> float | None:
    """The dpi a PNG of the site (a file or a data URI) records, if it records one."""
    if url.startswith("data:"):
        data = base64.b64decode(url.partition(",")[2])
    else:
        data = (SITE / urlparse(url).path.lstrip("/")).read_bytes()
    dpi = PIL.Image.open(io.BytesIO(data)).info.get("dpi")
    return dpi[0] if dpi else None


def heat_map_label_problems(images: list[dict]) -> list[str]:
    problems = []
    for image in images:
        for start, (points, dpi) in heat_map_values().items():
            if not image["alt"].startswith(start) or not image["natural"]:
                continue
            dpi = png_dpi(image["url"]) or dpi
            shown = points / 72 * dpi * image["shown"] / image["natural"]
            if shown < MIN_HEAT_MAP_VALUE_PX:
                problems.append(f"{image['alt'][:40]}…: values {shown:.1f} px")
    return problems


# Icons a reader meets in the header bar, the sidebars and the page footer at 1280 px, on a
# text page and a widget page (whose widget manager brings Font Awesome 5 styles too).
ICON_PAGES = {"intro", "why-transpose"}
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


def icon_problems(page) -> list:
    page.evaluate("() => document.fonts.ready.then(() => true)")
    icons = page.evaluate(ICON_GLYPHS_JS)
    shown = {name for icon in icons for name in icon["icon"].split()}
    problems = [f"icons not on screen: {sorted(set(ICONS) - shown)}"] * bool(set(ICONS) - shown)
    problems += [
        f"no glyph from a loaded icon font: {icon}"
        for icon in icons
        if not (icon["glyph"] and icon["loaded"] and icon["width"] > 0)
        or "Font Awesome" not in icon["family"]
    ]
    return problems


def theme_switch_problems(page) -> list:
    """The theme switch cycles through its three icons: each one drawn when it shows."""
    problems, cycle = [], set()
    for _ in range(3):
        before = page.evaluate("() => document.documentElement.dataset.mode")
        page.click(".bd-header-article .theme-switch-button")
        page.wait_for_function(
            "before => document.documentElement.dataset.mode !== before", arg=before
        )
        page.evaluate("() => document.fonts.ready.then(() => true)")
        switch = [i for i in page.evaluate(ICON_GLYPHS_JS) if i["switch"]]
        if not (len(switch) == 1 and switch[0]["glyph"] and switch[0]["loaded"]):
            problems.append(f"the switch's icon: {switch}")
        else:
            cycle.add(switch[0]["icon"])
    if cycle != {"fa-sun", "fa-moon", "fa-circle-half-stroke"}:
        problems.append(f"the switch showed {sorted(cycle)}")
    return problems


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


def contrast_problems(page) -> list:
    worst = page.evaluate(PANEL_CONTRAST_JS)
    if not worst:
        return ["no text found in the widget panels"]
    return [] if worst[0][0] >= 4.5 else [f"below AA (4.5:1): {worst}"]


# Everything a reader can act on in the text, as the browser's tab order reaches it.
FOCUSABLE_JS = """
() => [...document.querySelectorAll(
    'article a[href], article button, article summary, article select, article input,'
    + ' article [tabindex]')]
  .filter(el => !el.closest('[inert]') && el.tabIndex >= 0 && !el.disabled
    && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden'
    // The content of a closed <details> waits for its summary to open it.
    && !(el.closest('details:not([open])') && !el.matches('details:not([open]) > summary')))
  .map((el, i) => { el.dataset.matgradTab = String(i); return String(i); })
"""


@pytest.mark.parametrize("document", ["book/why-transpose", "book/checking-gradients"])
def test_the_keyboard_reaches_everything_a_reader_can_act_on(document, server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto(f"{server}/{document}.html")
        wait_until_rendered(page, document)
        # A formula is read, not acted on: MathJax's menu made each a tab stop (hundreds on a
        # page); only a display formula that scrolls sideways keeps one, to scroll it.
        stops = page.evaluate(FORMULA_STOPS_JS)
        assert stops == [], f"formulas in the tab order: {len(stops)}, such as {stops[:3]}"
        wanted = set(page.evaluate(FOCUSABLE_JS))
        assert wanted, "nothing to act on?"
        reached = set()
        # Each press moves the focus once; twice as many presses as elements on the whole page
        # is plenty (the header and sidebar have a few dozen more).
        for _ in range(3 * len(wanted) + 100):
            page.keyboard.press("Tab")
            tab = page.evaluate("() => document.activeElement?.dataset.matgradTab ?? null")
            if tab is not None:
                reached.add(tab)
            if reached == wanted:
                break
        missing = page.evaluate(
            "ids => ids.map(i => document.querySelector(`[data-matgrad-tab='${i}']`))"
            ".map(el => el.outerHTML.slice(0, 80))",
            sorted(wanted - reached),
        )
        assert missing == [], f"the keyboard never reaches: {missing}"
    finally:
        context.close()


# A formula that is a tab stop although it does not scroll sideways.
IDLE_FORMULA_JS = """
  const idle = (m) => m.matches('mjx-container')
    && !(m.matches('[display="true"]') && m.scrollWidth > m.clientWidth);
"""
FORMULA_STOPS_JS = f"""() => {{ {IDLE_FORMULA_JS}
  return [...document.querySelectorAll('mjx-container')]
    .filter(m => m.tabIndex >= 0 && idle(m)).map(m => m.textContent.slice(0, 30));
}}"""
FOCUSED_JS = f"""() => {{ {IDLE_FORMULA_JS}
  const el = document.activeElement, box = el.getBoundingClientRect();
  return {{text: el.innerText || '', live: el.matches('.matgrad-go-live'),
    first: el === document.querySelector('.matgrad-go-live'), formula: idle(el),
    inView: box.top >= 0 && box.bottom <= innerHeight}};
}}"""


@pytest.mark.parametrize("document", ["book/questions", "book/why-transpose"])
def test_a_keyboard_reader_reaches_the_first_widget_from_the_top_of_the_page(
    document, server, browser
):
    """Tab from the top of the page meets no formula on the way to the first widget, and the
    page's second tab stop, a skip link, takes the keyboard straight to its button."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto(f"{server}/{document}.html")
        wait_until_rendered(page, document)
        formulas, presses = [], 0
        while not page.evaluate(FOCUSED_JS)["live"] and presses < 1000:
            page.keyboard.press("Tab")
            presses += 1
            focused = page.evaluate(FOCUSED_JS)
            formulas += [focused["text"][:30]] * focused["formula"]
        assert focused["first"], f"no widget's button after {presses} presses"
        assert formulas == [], f"{len(formulas)} formulas on the way, such as {formulas[:3]}"
        # The skip link: Tab (the theme's "Skip to main content"), Tab, Enter.
        page.goto(f"{server}/{document}.html")
        wait_until_rendered(page, document)
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        assert re.fullmatch(
            r"Skip to the (widget|first of \d+ widgets)", page.evaluate(FOCUSED_JS)["text"]
        ), page.evaluate(FOCUSED_JS)
        page.keyboard.press("Enter")
        focused = page.evaluate(FOCUSED_JS)
        assert focused["first"] and focused["inView"], focused
    finally:
        context.close()


# Where the snapshot is on screen, and whether its badge is in view: below the theme's sticky
# header and above the window's bottom edge.
SNAPSHOT_IN_VIEW_JS = """() => {
  const snapshot = document.querySelector('.matgrad-snapshot');
  const badge = snapshot.querySelector('.matgrad-snapshot-badge');
  const header = document.querySelector('.bd-header-article').getBoundingClientRect().bottom;
  const box = snapshot.getBoundingClientRect(), mark = badge && badge.getBoundingClientRect();
  return {top: box.top, bottom: box.bottom, header,
    badge: Boolean(mark && badge.checkVisibility({opacityProperty: true, visibilityProperty: true})
      && mark.top >= header - 1 && mark.bottom <= innerHeight && mark.height > 0),
    text: badge ? badge.innerText : ''};
}"""


# The gradient checker's text, in place of what its snapshot shows: the verdict paragraph's
# height in lines, once the page has caught up (keyboard.js's tab stops follow in a frame).
SHOW_IN_CHECKER_JS = """html => new Promise(done => {
  const text = [...document.querySelectorAll('.matgrad-snapshot .widget-html-content')]
    .find(el => el.innerText.includes('max relative error'));
  text.innerHTML = html;
  requestAnimationFrame(() => requestAnimationFrame(() => {
    const verdict = text.querySelector('p');
    done(verdict.getBoundingClientRect().height / parseFloat(getComputedStyle(verdict).lineHeight));
  }));
})"""


def test_a_failing_gradient_check_reads_row_by_row_on_a_phone(server, browser):
    """What the live gradient checker says of the formula h gᵀ (each W's shape transposed), the
    longest of its verdicts, shown at 390 px in its snapshot's place: each row of its table on
    one line (it wrapped two words to a 28 px line, 500 px in all), the table scrolling in
    its own box, no number broken."""
    from matgrad.book import widgets

    checker = widgets.make_gradient_checker()
    checker.mistake.value = "h_g_transpose"
    assert checker.verdict == "FAIL" and "(shape (3, 4), but" in checker.summary.value
    document = "book/questions"
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto(f"{server}/{document}.html")
        wait_until_rendered(page, document)
        lines = page.evaluate(SHOW_IN_CHECKER_JS, checker.summary.value)
        layout = page.evaluate(LAYOUT_JS)
        problems = {
            key: layout[key]
            for key in ("clipped", "noCue", "brokenNumbers", "crowdedCells")
            if layout[key]
        }
        assert problems == {}, problems
        assert lines <= 4, f"the verdict takes {lines:.0f} lines"
    finally:
        context.close()


# A phone, and a laptop's window below its browser's bars: both shorter than the snapshot.
SNAPSHOT_WINDOWS = {"phone": SIZES["phone"], "laptop": (1280, 700)}


@pytest.mark.parametrize("size", SNAPSHOT_WINDOWS)
def test_a_snapshot_says_so_all_the_way_down_and_a_click_on_it_finds_its_button(
    size, server, browser
):
    """The gradient checker's snapshot (700 px) and its label above it are taller than the
    window. Scrolled to the snapshot's bottom, the label out of view, it still says it is a
    snapshot; a click on one of its controls brings the button that makes it live into view,
    with the keyboard's focus and a word why (a click on its picture does nothing). The page
    stays clean for axe in both modes."""
    document = "book/questions"
    width, height = SNAPSHOT_WINDOWS[size]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    try:
        page.goto(f"{server}/{document}.html")
        wait_until_rendered(page, document)
        snapshot = page.locator(".matgrad-snapshot").first
        before = snapshot.inner_html()
        # The snapshot's bottom at the window's bottom: its top is then above the window.
        page.evaluate(
            "() => { const box = document.querySelector('.matgrad-snapshot')"
            ".getBoundingClientRect(); window.scrollBy(0, box.bottom - innerHeight + 10); }"
        )
        seen = page.evaluate(SNAPSHOT_IN_VIEW_JS)
        assert seen["bottom"] <= height, seen
        assert page.locator(".matgrad-go-live").first.evaluate(
            "(b, header) => b.getBoundingClientRect().bottom <= header", seen["header"]
        ), "the label is in view: nothing here looks live"
        assert seen["badge"] and "Snapshot" in seen["text"], seen
        # A click on its picture asked for nothing: the page stays where it is.
        picture = snapshot.locator("img").last.bounding_box()
        scrolled = page.evaluate("() => scrollY")
        page.mouse.click(picture["x"] + picture["width"] / 2, picture["y"] + 10)
        assert page.evaluate("() => [scrollY, document.activeElement.tagName]") == [
            scrolled,
            "BODY",
        ]
        # A click on a control low on the snapshot, which does nothing until it is live.
        control = snapshot.locator("select").last.bounding_box()
        page.mouse.click(control["x"] + control["width"] / 2, control["y"] + control["height"] / 2)
        button = page.locator(".matgrad-go-live").first
        expect(button).to_be_focused()
        expect(button).to_be_in_viewport()
        status = page.locator(".matgrad-live-status").first
        expect(status).to_contain_text("snapshot")
        assert snapshot.inner_html() == before
        for mode in ("light", "dark"):
            if mode == "dark":
                page.emulate_media(color_scheme="dark")
                page.wait_for_function("() => document.documentElement.dataset.theme === 'dark'")
                page.evaluate(SETTLED_JS)
            # Scrolling up to the widget's button shows the theme's "Back to top" button too:
            # axe judges it here (matgrad.css gives it black text on its orange).
            axe = run_axe(page)
            serious = [v for v in axe if v["impact"] in ("serious", "critical")]
            assert serious == [], (mode, serious)
            assert contrast_problems(page) == [], mode
    finally:
        context.close()


def test_the_theme_switch_works_from_the_keyboard(server, browser):
    # The switch cycles auto, dark, light; a keyboard reader presses it again and again, so
    # the focus must stay on it (sphinx-book-theme blurs it after every click, for the mouse).
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto(f"{server}/book/intro.html")
        wait_until_rendered(page, "book/intro")
        page.locator(".theme-switch-button:visible").first.focus()
        themes = []
        for _ in range(3):
            page.keyboard.press("Enter")
            themes.append(page.evaluate("() => document.documentElement.dataset.theme"))
            assert page.evaluate(
                "() => document.activeElement.classList.contains('theme-switch-button')"
            ), "the theme switch lost the keyboard's focus"
        assert {"light", "dark"} <= set(themes), themes
    finally:
        context.close()
