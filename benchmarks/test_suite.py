"""Where the test suite's time goes: the time of each test file, from a JUnit XML report.

Run either on a report pytest already wrote, or let the script run the tier itself:

    .venv/bin/python benchmarks/test_suite.py REPORT.xml [BEFORE.xml]
    .venv/bin/python benchmarks/test_suite.py --run check    # make check's pytest, timed
    .venv/bin/python benchmarks/test_suite.py --run test     # make test's pytest (site built)

``make test`` and ``make check`` write their reports to _build/pytest-test.xml and
_build/pytest-check.xml, so after either a plain ``benchmarks/test_suite.py
_build/pytest-test.xml`` prints its table. Given a second report (an earlier run, another
branch), the table puts the two side by side with their ratio.

A file's time is the sum of its tests' times (set-up and teardown included), so under
pytest-xdist the file times add up to about the wall time times the workers; the wall time
of the whole run is printed apart. nbval's items are grouped by notebook folder.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

from _common import describe_machine, print_table

ROOT = Path(__file__).resolve().parent.parent


def file_times(report: Path) -> tuple[dict[str, float], dict[str, int], float]:
    """Seconds and test counts per test file in a JUnit report, and the run's own time."""
    tree = ET.parse(report)
    seconds: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    wall = 0.0
    for suite in tree.iter("testsuite"):
        wall = max(wall, float(suite.get("time", 0)))
        for case in suite.iter("testcase"):
            # nbval names its items by the notebook (book.forward); tests by module.
            name = case.get("file") or case.get("classname", "?").replace(".", "/") + ".py"
            if name.startswith("book/"):
                name = "book/*.ipynb (nbval)"
            seconds[name] += float(case.get("time", 0))
            counts[name] += 1
    return seconds, counts, wall


def run_tier(tier: str) -> Path:
    """Run ``make TIER`` and return the report it wrote."""
    report = ROOT / "_build" / f"pytest-{tier}.xml"
    start = time.perf_counter()
    subprocess.run(["make", tier], cwd=ROOT, check=False)
    print(f"make {tier}: {time.perf_counter() - start:.0f} s wall, set-up and build included")
    return report


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reports", nargs="*", type=Path, help="JUnit XML (after, before)")
    parser.add_argument("--run", choices=["check", "test"], help="run this make tier first")
    args = parser.parse_args()
    reports = ([run_tier(args.run)] if args.run else []) + args.reports
    if not reports:
        parser.error("give a JUnit XML report, or --run check / --run test")
    describe_machine()
    tables = [file_times(report) for report in reports[:2]]
    names = sorted(
        set().union(*(seconds for seconds, _, _ in tables)),
        key=lambda name: -tables[0][0].get(name, 0.0),
    )
    headers = ["test file", "tests", "seconds"]
    if len(tables) == 2:
        headers += ["before: tests", "before: seconds", "after / before"]
    rows = []
    for name in names:
        row = [name]
        for seconds, counts, _ in tables:
            row += [counts.get(name, 0), f"{seconds.get(name, 0.0):.1f}"]
        if len(tables) == 2:
            after, before = tables[0][0].get(name, 0.0), tables[1][0].get(name, 0.0)
            row.append(f"{after / before:.2f}" if before else "new")
        rows.append(row)
    total, wall = ["total (sum over workers)"], ["pytest wall time"]
    for seconds, counts, run in tables:
        total += [sum(counts.values()), f"{sum(seconds.values()):.1f}"]
        wall += ["", f"{run:.1f}"]
    if len(tables) == 2:
        total.append(f"{sum(tables[0][0].values()) / sum(tables[1][0].values()):.2f}")
        wall.append(f"{tables[0][2] / tables[1][2]:.2f}")
    rows += [total, wall]
    print()
    print_table(headers, rows)


if __name__ == "__main__":
    sys.exit(main())
