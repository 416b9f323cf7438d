"""Run live: every chapter as a JupyterLite notebook, with Python running in the reader's browser.

This is the one place where the live copy differs from the notebooks in ``book/``:

* the chapters are copied into JupyterLite's contents with one extra first cell that installs
  ``matgrad`` and ``ipywidgets`` into the browser's Python (Pyodide) from wheels served by the
  site itself, and their MyST markup (roles, labels, directives) rewritten as the plain
  Markdown that JupyterLab renders (plain_markdown.py); the notebooks in ``book/`` stay as
  JupyterLab and nbval run them;
* those wheels (``matgrad`` built from this checkout, ``ipywidgets`` and the two packages it
  needs that Pyodide lacks, at the versions ``requirements.txt`` pins) are handed to
  jupyterlite-sphinx, which puts them in the lite app's package index;
* every chapter page gets a "Run live in your browser" link to its own notebook in the lite app,
  opened in a new tab. A link, not an embedded app: the static pages stay free of requests to
  other hosts; only the lite app fetches the Pyodide runtime, and only once a reader opens it.

jupyterlite-sphinx itself runs ``jupyter lite build`` when Sphinx finishes, into ``lite/``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import yaml

from plain_markdown import Book, plain_notebook, read_citations

LITE_APP = "lite/notebooks/index.html"
# Pure-Python packages the chapters import that the Pyodide distribution does not carry.
KERNEL_WHEELS = ("ipywidgets", "comm", "jupyterlab_widgets")
SETUP_CELL = (
    "# Only in the live copy: install the book's library and ipywidgets into this browser's\n"
    "# Python, from wheels served by the book's site (numpy and matplotlib come with Pyodide).\n"
    "%pip install matgrad ipywidgets"
)


def toc_notebooks(root: Path, toc_path: str) -> list[str]:
    """The toc's chapters that are notebooks, as paths relative to ``root`` without suffix."""
    toc = yaml.safe_load((root / toc_path).read_text())
    entries = [toc["root"]] + [
        chapter["file"]
        for part in toc.get("parts", [{"chapters": toc.get("chapters", [])}])
        for chapter in part["chapters"]
    ]
    return [entry for entry in entries if (root / f"{entry}.ipynb").exists()]


def build_wheels(root: Path, wheel_dir: Path) -> None:
    """``matgrad`` from this checkout, and the kernel's other wheels unless already there."""
    wheel_dir.mkdir(parents=True, exist_ok=True)
    for old in wheel_dir.glob("matgrad-*.whl"):
        old.unlink()
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheel_dir), str(root)],
        check=True,
        cwd=root,
    )
    missing = [
        f"{name}=={version(name)}"
        for name in KERNEL_WHEELS
        if not list(wheel_dir.glob(f"{name}-{version(name)}-*.whl"))
    ]
    if missing:  # from the package registry, once; later builds reuse them
        subprocess.run(
            [*pip, "download", "--no-deps", "--only-binary=:all:", "-d", str(wheel_dir), *missing],
            check=True,
        )


def write_contents(root: Path, chapters: list[str], content_dir: Path) -> None:
    """Each chapter notebook, with the set-up cell first and its Markdown made plain
    (plain_markdown.py), flat in the lite app's contents."""
    content_dir.mkdir(parents=True, exist_ok=True)
    notebooks = {
        Path(chapter).name: json.loads((root / f"{chapter}.ipynb").read_text())
        for chapter in chapters
    }
    book = Book(notebooks, read_citations(root / "book" / "references.bib"))
    for name, notebook in notebooks.items():
        notebook = plain_notebook(notebook, name, book)
        setup = {
            "cell_type": "code",
            "execution_count": None,
            "id": "live-setup",
            "metadata": {"tags": ["live-setup"]},
            "outputs": [],
            "source": SETUP_CELL,
        }
        notebook["cells"] = [setup, *notebook["cells"]]
        target = content_dir / f"{name}.ipynb"
        target.write_text(json.dumps(notebook, ensure_ascii=False, indent=1) + "\n")


def prepare(app, config):
    root = Path(app.srcdir)
    config.live_notebooks = toc_notebooks(root, config.external_toc_path or "_toc.yml")
    wheel_dir = Path(app.outdir).parent / "lite-wheels"
    build_wheels(root, wheel_dir)
    config.jupyterlite_build_command_options = {"piplite-wheels": str(wheel_dir)}
    # jupyterlite-sphinx empties this folder when the config is read (priority 500), so the
    # copies are written after it (priority 900).
    write_contents(root, config.live_notebooks, root / config.jupyterlite_content_dir)


def add_live_link(app, pagename, templatename, context, doctree):
    if pagename not in app.config.live_notebooks or "body" not in context:
        return
    href = f"{context['pathto'](LITE_APP, 1)}?path={Path(pagename).name}.ipynb"
    context["body"] = (
        '<p class="matgrad-live">'
        f'<a class="reference external" href="{href}" target="_blank" rel="noopener">'
        "▶ Run live in your browser</a> "
        "<span>this chapter as a notebook in JupyterLite: Python runs in this browser, and the "
        "first run downloads the Pyodide runtime (tens of MB) from its CDN.</span></p>\n"
    ) + context["body"]


def setup(app):
    app.add_config_value("live_notebooks", [], "html")
    app.connect("config-inited", prepare, priority=900)
    app.connect("html-page-context", add_live_link)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
