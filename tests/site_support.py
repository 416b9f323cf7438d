"""What the browser tests share: where the site is, its pages, and how Chromium is started.

The ``server`` and ``browser`` fixtures that use these live in conftest.py, so that every test
module shares one server and one Chromium.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import io
import os
import shutil
import subprocess
import tarfile
import tempfile
import threading
import time
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
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def toc_pages() -> list[str]:
    """Every document of _toc.yml, root first, in reading order (without suffix): the pages
    the browser tests open, as book/_ext/reading_order.py reads them."""
    # Imported here, not at the top: benchmarks/live_book.py imports this module with only
    # tests/ on its path (pytest has book/_ext on it, see pyproject.toml).
    from reading_order import reading_order

    return reading_order(ROOT)


def page_html(document: str) -> str:
    """The built HTML of ``document`` (a page of _toc.yml, without suffix)."""
    return (SITE / f"{document}.html").read_text()


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


# axe-core, the accessibility engine the browser tests inject into each page (never served by
# the site): npm's package at a pinned version, its tarball checked against the registry's
# recorded SHA-512 before a byte of it runs.
AXE_VERSION = "4.14.1"
AXE_INTEGRITY = (
    "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPj"
    "CKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
)
TEST_ASSETS = ROOT / "_build" / "test-assets"


def integrity(data: bytes) -> str:
    """npm's Subresource-Integrity form of a SHA-512 digest (``dist.integrity``)."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


@functools.cache
def axe_script() -> str:
    """axe-core's ``axe.min.js``, fetched once by ``npm pack`` into _build/test-assets."""
    tarball = TEST_ASSETS / f"axe-core-{AXE_VERSION}.tgz"
    if not tarball.exists():
        if shutil.which("npm") is None:
            unavailable("npm is needed to fetch axe-core for the accessibility tests")
        TEST_ASSETS.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as folder:
            subprocess.run(
                ["npm", "pack", f"axe-core@{AXE_VERSION}", "--silent"],
                cwd=folder,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            shutil.move(next(Path(folder).glob("*.tgz")), tarball)
    data = tarball.read_bytes()
    if integrity(data) != AXE_INTEGRITY:
        tarball.unlink()
        raise AssertionError(f"axe-core {AXE_VERSION}: the tarball's checksum is not npm's")
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        return archive.extractfile("package/axe.min.js").read().decode()


def open_page(browser, url: str, *, viewport=(1280, 800), weigh: bool = False):
    """A new browser context showing ``url``, loaded to its ``load`` event: (context, page,
    response, seen). ``seen`` records every request, every failed one (an HTTP error or no
    answer), what the page logged as an error and, with ``weigh``, each response's size raw
    and gzip-compressed (level 6, as a web server would send it). The caller closes the
    context. Never ``networkidle``: it waits 500 ms after the last request on every load; a
    test waits for what it needs (``wait_for_network``, a rendered element)."""
    width, height = viewport
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    seen: dict = {"requests": [], "failed": [], "errors": [], "pending": set(), "transfer": {}}

    def requested(request):
        seen["requests"].append(request.url)
        seen["pending"].add(request)

    def failed(request):
        seen["failed"].append(request.url)
        seen["pending"].discard(request)

    def responded(response):
        if response.status >= 400:
            seen["failed"].append(f"{response.status} {response.url}")
        if weigh:
            try:
                body = response.body()
            except Exception:  # a redirect or an aborted request has no body to weigh
                return
            seen["transfer"][response.url] = (len(body), len(gzip.compress(body, 6)))

    page.on("request", requested)
    page.on("requestfailed", failed)
    page.on("requestfinished", lambda request: seen["pending"].discard(request))
    page.on("response", responded)
    page.on("console", lambda m: seen["errors"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: seen["errors"].append(str(error)))
    try:
        response = page.goto(url)
    except Exception:
        context.close()
        raise
    return context, page, response, seen


def wait_for_network(page, seen: dict, timeout_s: float = 20.0) -> None:
    """Until no request of the page is in flight; fails, naming them, after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while seen["pending"]:
        if time.monotonic() > deadline:
            urls = sorted(request.url for request in seen["pending"])
            raise AssertionError(f"requests still in flight after {timeout_s:.0f} s: {urls}")
        # Playwright delivers the page's events while the driver is waiting.
        page.wait_for_timeout(25)
