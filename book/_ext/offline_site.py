"""Sphinx glue that keeps every page of the book self-contained.

* MathJax on every page: chapter titles in the navigation carry maths, so a page whose own
  text has none still needs it (Sphinx would otherwise load MathJax only where the page
  body has maths, leaving raw ``\\(\\lambda\\)`` in the sidebar).
* No Thebe: Jupyter Book always enables sphinx-thebe, which injects its configuration
  script twice (a console error) and points at a CDN; this book has no Thebe buttons, so
  its scripts are dropped from every page.
"""

from __future__ import annotations

THEBE_MARKERS = ("THEBE_JS_URL", "sphinx-thebe.js", "unpkg.com/thebe")


def drop_thebe(app, pagename, templatename, context, doctree):
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
                and "sphinx-thebe.css" not in str(asset)
            ]


def setup(app):
    app.set_html_assets_policy("always")
    # After sphinx-thebe and the theme have added their assets.
    app.connect("html-page-context", drop_thebe, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
