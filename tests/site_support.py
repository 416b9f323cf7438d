"""What the browser tests share: where the site is, its pages, and how Chromium is started.

The ``server`` and ``browser`` fixtures that use these live in conftest.py, so that every test
module shares one server and one Chromium.
"""

from __future__ import annotations

import functools
import os
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "_build" / "html"
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def toc_pages() -> list[str]:
    """Every document of _toc.yml, root first, in reading order (without suffix): the pages
    the browser tests open, as book/_ext/reading_order.py reads them."""
    # Imported here, not at the top: benchmarks/live_book.py imports this module with only
    # tests/ on its path (pytest has book/_ext on it, see pyproject.toml).
    from reading_order import reading_order

    return reading_order(ROOT)


def unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI must run the browser tests)")
    pytest.skip(reason)


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve_site():
    """Serve _build/html on a free port of 127.0.0.1: (base URL, server to shut down)."""
    if not (SITE / "index.html").exists():
        unavailable("the site is not built: run `make build` first")
    handler = functools.partial(QuietHandler, directory=str(SITE))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{httpd.server_address[1]}", httpd
