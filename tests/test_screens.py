"""Every page on every reader's screen: a phone, a tablet and a laptop, in light and dark mode.

For each page of _toc.yml at 390×844, 768×1024 and 1280×800, in Debian's Chromium:

- the page never scrolls sideways; a display equation, table, algorithm or output wider than
  the column scrolls inside a box of its own, which shows that it scrolls (a shadow at the
  edge that hides more) and that a keyboard can reach;
- every widget control is on screen and usable: a slider's track at least 120 px, buttons,
  drop-downs and labels showing their whole text;
- every image says what it shows (alt text, not a file name);
- axe-core (npm, pinned; see site_support.axe_script) finds no serious or critical violation,
  in the theme's light mode and again in its dark mode (the reader's system setting);
- the page's compressed transfer stays under its budget.

Screenshots of every page, size and mode land in tests/screenshots/screens/ (git-ignored), with
a JSON record per page and size (axe's findings by rule, the page weight) that
``python tests/screens_report.py`` turns into tables.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
from site_support import SCREENSHOTS, SITE, WIDGET_VIEW, axe_script, toc_pages

SIZES = {"phone": (390, 844), "tablet": (768, 1024), "desktop": (1280, 800)}
SHOTS = SCREENSHOTS / "screens"
# Compressed bytes a page may transfer (gzip, level 6, as a web server would send them). A
# widget page also carries the widget manager, which renders the stored widget views.
BUDGET = {"text": 1_200_000, "widgets": 2_500_000}
MIN_SLIDER_TRACK = 120  # px: a thumb on a shorter track cannot pick values one by one
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

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
    src: img.getAttribute('src'), alt: (img.getAttribute('alt') || '').trim()}));
  const pageScroll = document.documentElement.scrollWidth - width;
  quiet.remove();
  return {
    pageScroll,
    clipped, noCue, controls: controls.length, tooSmall, images,
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


def page_kind(document: str) -> str:
    return "widgets" if WIDGET_VIEW in (SITE / f"{document}.html").read_text() else "text"


def wait_until_rendered(page, document: str) -> None:
    html = (SITE / f"{document}.html").read_text()
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
    # The theme gives scrollable blocks their tab stops 300 ms after a layout change.
    page.wait_for_timeout(400)


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


@pytest.fixture(scope="module")
def report_folder():
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("document", toc_pages())
def test_page_on_every_screen_in_both_modes(document, size, server, browser, report_folder):
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    transfer = {}

    def record(response):
        try:
            body = response.body()
        except Exception:  # a redirect or an aborted request has no body to weigh
            return
        transfer[response.url] = (len(body), len(gzip.compress(body, compresslevel=6)))

    page.on("response", record)
    name = Path(document).name
    record_file = report_folder / f"{name}-{size}.json"
    try:
        page.goto(f"{server}/{document}.html", wait_until="networkidle")
        wait_until_rendered(page, document)
        layout = page.evaluate(LAYOUT_JS)
        light = run_axe(page)
        page.screenshot(path=str(report_folder / f"{name}-{size}-light.png"), full_page=True)
        # The theme's default mode follows the reader's system setting.
        page.emulate_media(color_scheme="dark")
        page.wait_for_function("() => document.documentElement.dataset.theme === 'dark'")
        # The theme fades some colours in: measure contrast once every transition has ended.
        page.evaluate(SETTLED_JS)
        dark = run_axe(page)
        page.screenshot(path=str(report_folder / f"{name}-{size}-dark.png"), full_page=True)
        kind = page_kind(document)
        weight = {
            "kind": kind,
            "raw": sum(raw for raw, _ in transfer.values()),
            "gzip": sum(packed for _, packed in transfer.values()),
            "largest": sorted(
                ((packed, urlparse(url).path) for url, (_, packed) in transfer.items()),
                reverse=True,
            )[:5],
        }
        record_file.write_text(
            json.dumps(
                {
                    "page": name,
                    "size": size,
                    "layout": layout,
                    "axe": {"light": light, "dark": dark},
                    "weight": weight,
                },
                indent=1,
            )
        )
        assert layout["pageScroll"] <= 0, f"the page scrolls sideways by {layout['pageScroll']} px"
        assert layout["clipped"] == [], f"clipped, with no scroll box: {layout['clipped']}"
        assert layout["noCue"] == [], f"scroll boxes without a cue or tab stop: {layout['noCue']}"
        assert layout["tooSmall"] == [], f"widget controls: {layout['tooSmall']}"
        assert alt_text_problems(layout["images"]) == []
        for mode, violations in (("light", light), ("dark", dark)):
            serious = [v for v in violations if v["impact"] in ("serious", "critical")]
            assert serious == [], f"axe, {mode} mode: {serious}"
        assert weight["gzip"] < BUDGET[kind], f"{weight['gzip']:,} bytes gzip ({kind} page)"
    finally:
        context.close()


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
        page.goto(f"{server}/{document}.html", wait_until="networkidle")
        wait_until_rendered(page, document)
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


def test_the_theme_switch_works_from_the_keyboard(server, browser):
    # The switch cycles auto, dark, light; a keyboard reader presses it again and again, so
    # the focus must stay on it (sphinx-book-theme blurs it after every click, for the mouse).
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto(f"{server}/book/intro.html", wait_until="networkidle")
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
