"""pytest set-up for both trees, tests/ and book/ (tests/conftest.py has the tests' own).

nbval runs a notebook's cells in order in one kernel: under pytest-xdist (``make test``,
``make check``: ``--dist loadgroup``) they must stay on one worker. A conftest applies its
per-item hooks only below its folder, hence this one at the root, for the notebooks in book/.
"""

import pytest


def pytest_itemcollected(item):
    # As each item is collected: before pytest-xdist reads the groups.
    if type(item).__module__.startswith("nbval"):
        item.add_marker(pytest.mark.xdist_group(f"nbval-{item.path.stem}"))
