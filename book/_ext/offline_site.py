"""Sphinx glue that keeps every page of the book self-contained, light and accessible.

* MathJax on every page: chapter titles in the navigation carry maths, so a page whose own
  text has none still needs it (Sphinx would otherwise load MathJax only where the page
  body has maths, leaving raw ``\\(\\lambda\\)`` in the sidebar).
* No Thebe: Jupyter Book always enables sphinx-thebe, which injects its configuration
  script twice (a console error) and points at a CDN; this book has no Thebe buttons, so
  its scripts are dropped from every page.
* sphinx-design's stylesheet and tab script only on a page that uses one of its components:
  Jupyter Book always enables sphinx-design, and no chapter has tabs, cards or grids.
* myst-nb's "Show code cell source" toggles are named by what they show. myst-nb labels each
  ``<summary>`` "Toggle hidden content", which replaces the visible words as its accessible
  name, so a speech-input user saying "Show code cell source" names nothing (WCAG 2.5.3, axe's
  label-content-name-mismatch). Its own visitor still writes the toggle; only that label goes.

The theme's own markup is changed by the templates in book/_templates (each says why).
"""

from __future__ import annotations

import re

THEBE_MARKERS = ("THEBE_JS_URL", "sphinx-thebe.js", "unpkg.com/thebe")
UNUSED_ASSETS = ("sphinx-thebe.css",)
DESIGN_ASSETS = ("sphinx-design.min.css", "design-tabs.js")
# sphinx-design gives every element it renders a class starting "sd-".
DESIGN_MARKUP = re.compile(r'class="(?:[^"]*\s)?sd-')
HIDDEN_CELL_SUMMARY = '<summary aria-label="Toggle hidden content">\n'


def unused_on(body: str) -> tuple[str, ...]:
    """Assets this page does not use, by (part of) their file name."""
    if DESIGN_MARKUP.search(body):
        return UNUSED_ASSETS
    return UNUSED_ASSETS + DESIGN_ASSETS


def drop_unused_assets(app, pagename, templatename, context, doctree):
    unused = unused_on(context.get("body", ""))
    for key in ("script_files", "css_files"):
        files = context.get(key)
        if files:
            context[key] = [
                asset
                for asset in files
                if not any(
                    marker in (str(asset) + str(getattr(asset, "attributes", {}).get("body", "")))
                    for marker in THEBE_MARKERS
                )
                and not any(name in str(asset) for name in unused)
                and not str(getattr(asset, "filename", asset)).startswith(("http:", "https:", "//"))
            ]


def visit_hidden_cell(translator, node):
    from myst_nb.sphinx_ import visit_HideCellInput

    start = len(translator.body)
    visit_HideCellInput(translator, node)
    written = translator.body[start:]
    if HIDDEN_CELL_SUMMARY not in written:
        # Fail the build rather than silently keep (or mangle) a changed myst-nb toggle.
        raise RuntimeError(f"myst-nb's hidden-cell toggle changed: {''.join(written)!r}")
    translator.body[start + written.index(HIDDEN_CELL_SUMMARY)] = "<summary>\n"


def setup(app):
    app.set_html_assets_policy("always")
    # After sphinx-thebe and the theme have added their assets.
    app.connect("html-page-context", drop_unused_assets, priority=900)
    # myst-nb registers the toggle's node first; this replaces its HTML visitor only.
    app.setup_extension("myst_nb")
    from myst_nb.sphinx_ import HideCodeCellNode, depart_HideCellInput

    app.add_node(HideCodeCellNode, override=True, html=(visit_hidden_cell, depart_HideCellInput))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
