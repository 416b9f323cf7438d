"""Shared pytest set-up.

- hypothesis runs are derandomized, so CI never meets an example no one has seen;
- one server of the built site and one Chromium for all the browser tests.
"""

import pytest
from hypothesis import settings
from site_support import CHROMIUM, CHROMIUM_ARGS, serve_site, unavailable

settings.register_profile("matgrad", derandomize=True, deadline=None, max_examples=60)
settings.load_profile("matgrad")


@pytest.fixture(scope="session")
def server():
    """The built site, served on 127.0.0.1 for the whole test session."""
    url, httpd = serve_site()
    yield url
    httpd.shutdown()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, driven by Playwright (never a browser Playwright downloads)."""
    if not CHROMIUM.exists():
        unavailable("Debian's Chromium is not installed at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
