"""Shared pytest set-up.

- hypothesis runs are derandomized, so CI never meets an example no one has seen;
- ``problem_4_5_3``, the network and minibatch most unit tests of the studies share;
- one server of the built site and one Chromium per test process for the browser tests;
- the markers that split the suite into tiers (``make check`` runs what needs none of them);
- ``--screenshots``: keep screenshots of what the browser tests saw, for people to look at.
"""

import numpy as np
import pytest
from hypothesis import settings
from site_support import CHROMIUM, CHROMIUM_ARGS, serve_site, unavailable

settings.register_profile("matgrad", derandomize=True, deadline=None, max_examples=60)
settings.load_profile("matgrad")


@pytest.fixture
def problem_4_5_3():
    """A 4-5-3 tanh network with λ = 0.1 and a seeded minibatch of m = 5 examples:
    ``(net, x, y)``, with ``P = 43`` parameters."""
    import matgrad as mg

    net = mg.MLP([4, 5, 3], seed=0, lam=0.1)
    rng = np.random.default_rng(0)
    return net, rng.normal(size=(4, 5)), rng.normal(size=(3, 5))


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


def pytest_addoption(parser):
    parser.addoption(
        "--screenshots",
        action="store_true",
        help="save screenshots of every page, size and mode, of JupyterLab and of the live "
        "widgets in tests/screenshots/ (for people to look at: no assertion reads them)",
    )


@pytest.fixture(scope="session")
def screenshots(request) -> bool:
    """Whether this run keeps screenshots (``--screenshots``)."""
    return request.config.getoption("--screenshots")


# What a test needs besides Python, read from the fixtures it uses (directly or through
# others), and so which tier runs it: ``make check`` deselects all three markers.
NEEDS = {
    "server": "site",
    "lite_built": "site",
    "live_context": "pyodide",
    "withholding_context": "pyodide",
    "slow_site": "pyodide",
    "jupyterlab": "jupyterlab",
}


def pytest_itemcollected(item):
    # As each test is collected, so before any collection_modifyitems hook (pytest-xdist's
    # reads the groups in its own, and -m deselects in pytest's).
    fixtures = set(getattr(item, "fixturenames", ()))
    for fixture, marker in NEEDS.items():
        if fixture in fixtures:
            item.add_marker(marker)
    if item.get_closest_marker("pyodide") or item.get_closest_marker("jupyterlab"):
        item.add_marker("site")
