"""Wall time of a clean book build and of the nbval run, on a fresh copy of the tracked files.

Run: python benchmarks/book_build.py   (from the repository, with .venv set up)

The copy lives in a temporary folder, so neither _build/ nor the jupyter-cache of the working
tree is touched, and nothing outside the temporary folder is deleted.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import describe_machine, print_table

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main():
    describe_machine()
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.split()
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "book"
        for name in files:
            target = copy / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target)
        # The live copy comes first (the book build reads it): its downloads, wheels and lite
        # app, with this environment (never reinstalled: -o).
        (copy / ".venv").symlink_to(ROOT / ".venv")
        live = timed(["make", "-o", ".venv/.installed-book", "live"], copy)
        build = timed(
            [str(BIN / "jupyter-book"), "build", "--all", "-W", "--keep-going", "."], copy
        )
        rebuild = timed(
            [str(BIN / "jupyter-book"), "build", "--all", "-W", "--keep-going", "."], copy
        )
        nbval = timed(
            [
                str(BIN / "python"),
                "-m",
                "pytest",
                "-q",
                "--nbval",
                "--nbval-sanitize-with",
                "tests/nbval_sanitize.cfg",
                "book",
            ],
            copy,
        )
    print()
    print_table(
        ["step", "wall time"],
        [
            ["make live (runtime download and checks, wheels, lite app)", f"{live:.1f} s"],
            ["clean book build (executes every notebook)", f"{build:.1f} s"],
            ["rebuild with the jupyter-cache warm", f"{rebuild:.1f} s"],
            ["nbval, strict, every notebook", f"{nbval:.1f} s"],
        ],
    )


if __name__ == "__main__":
    main()
