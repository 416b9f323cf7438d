"""The live book: every chapter as a JupyterLite notebook and every widget live in its page,
with Python (Pyodide) running in the reader's browser from files the site serves itself.

This is the one place where the live copy differs from the notebooks in ``book/``:

* the chapters are copied into JupyterLite's contents with one extra first cell
  (:func:`setup_cell`) that installs ``matgrad`` with its widgets' dependencies, and without
  stored outputs (:func:`live_copy`); pages without code (the appendix, the references) are
  copied as they are, so that links to them open there too. Their MyST renders in the lite
  app as in JupyterLab, through the same jupyterlab-myst extension (requirements.txt), which
  ``jupyter lite build`` takes from the environment. The same copies are what a reader
  downloads from a chapter page, so that a downloaded chapter can install ``matgrad`` too;
* the wheels the set-up cell installs (``matgrad`` built from this checkout, ``ipywidgets``
  and the two packages it needs that Pyodide lacks, at the versions ``requirements.txt`` pins)
  go to the lite app's package index;
* the Python runtime (Pyodide and its packages, pyodide_runtime.py) is staged into the lite
  app's ``static/pyodide``, where jupyterlite-pyodide-kernel's own addon serves it from and
  points the kernel at it; the build fails if a served runtime file differs from its recorded
  sha256;
* every widget output on a static page is a *snapshot* of its stored state: inert (no control
  can change it) and labelled so, with a button that makes that widget live in place
  (book/_vendor/live-widgets.js): the page's own Python, Pyodide in a Web Worker shared by
  every widget on the page, runs the widget's cell, and the page's widget manager draws it.
  No kernel, no JupyterLite app and no package resolution: the worker loads exactly the files
  that ``_static/live-runtime.json`` lists (:func:`live_manifest`: Pyodide's core, numpy,
  matplotlib and traitlets with what they depend on, the site's wheels of matgrad, ipywidgets
  and comm, and the bridge between ipywidgets and the page, book/_vendor/live_bridge.py),
  each with the size the page counts its progress in and the sha256 the worker checks;
* the widget manager that draws the snapshots is taken out of the page's head
  (:func:`defer_widget_manager`): live-widgets.js loads it after the page's first paint;
* every chapter page with code links to its own live notebook (``Run live``), opened in a new
  tab.

The static pages make no request for the runtime until a reader asks for it.

Two steps of ``make live`` run before the book build, which downloads and packages nothing:
scripts/prepare_live.py builds the wheels, downloads and assembles the runtime (once, into
``_build/runtime-cache``) and writes the live copies, and ``jupyter lite build`` makes the
lite app of them in ``lite/`` of the site. This extension reads what they made (and fails,
naming ``make live``, if it is missing or older than the chapters), and checks what is served
when Sphinx finishes (:func:`finish`).
"""

from __future__ import annotations

import copy
import html
import json
import shutil
import textwrap
from importlib.metadata import version
from pathlib import Path

from docutils import nodes
from sphinx.errors import SphinxError

import pyodide_runtime
from reading_order import reading_order

LITE = "lite"
LITE_NOTEBOOK = f"{LITE}/notebooks/index.html"
RUNTIME = "static/pyodide"  # inside the lite app: where the pyodide-kernel addon serves it from
# The runtime's recorded sha256 sums, in _build (scripts/prepare_live.py writes them).
RUNTIME_SUMS = "live-runtime-sums.json"
PREPARE_STEP = "`make live` (scripts/prepare_live.py, then `jupyter lite build`)"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# In the browser `%pip` is piplite: matgrad and ipywidgets come from the site's package index,
# numpy and matplotlib (matgrad's `widgets` extra) from the runtime the site serves.
INSTALL = '%pip install -q "matgrad[widgets]"'
# What a widget cell may assume when it runs live (tests/test_live.py runs every one so).
WIDGET_PRELUDE = "from matgrad.book import widgets"
# What the in-page live widgets load (live_manifest): Pyodide's core files (pyodide.js itself
# is loaded as a script), the runtime's packages with everything they depend on in its lock,
# the site's own wheels, and the bridge to the page. Not IPython: ipywidgets imports only
# three names from it, which live_bridge.py provides (IPython's import took 2-3 s).
LIVE_CORE = ("pyodide.asm.js", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json")
LIVE_PACKAGES = ("numpy", "matplotlib", "traitlets")
LIVE_WHEELS = ("matgrad", "ipywidgets", "comm")
LIVE_BRIDGE = "live_bridge.py"  # in book/_vendor, served from _static
LIVE_MANIFEST = "live-runtime.json"  # in _static
# Imported once Python has started, before any cell runs (each a step of the progress shown).
LIVE_IMPORTS = ("matgrad.book.widgets",)


class LiveCopyNotPrepared(SphinxError):
    category = "The live copy is not prepared"


def wheel_url(html_baseurl: str | None) -> str | None:
    """Where a downloaded chapter installs matgrad from: the site's package index, if the
    site's address is configured (html.baseurl)."""
    base = (html_baseurl or "").rstrip("/")
    return f"{base}/{LITE}/pypi" if base else None


def setup_cell(wheel_url: str | None) -> str:
    """The first cell of a live or downloaded chapter: nothing to do where ``matgrad`` is
    installed (the book's repository, Binder), piplite in the browser, else the site's wheel."""
    wheel = f"matgrad-{version('matgrad')}-py3-none-any.whl"
    if wheel_url:
        elsewhere = f'%pip install -q "matgrad[widgets] @ {wheel_url}/{wheel}"'
    else:  # the site's address is not configured (html.baseurl): say what to do
        elsewhere = (
            "raise ModuleNotFoundError(\n"
            '    "This chapter needs matgrad, the book\'s library: pip install the wheel "\n'
            f'    "{LITE}/pypi/{wheel} that the book\'s site serves, "\n'
            '    "with its [widgets] extra (or, in the book\'s repository, "\n'
            "    \"pip install -e '.[widgets]').\"\n"
            ")"
        )
    return (
        "# Set-up of this copy of the chapter: matgrad, the book's library, and what its\n"
        "# widgets need (nothing to do where matgrad is installed already).\n"
        "try:\n"
        "    import matgrad\n"
        "except ModuleNotFoundError:\n"
        "    import sys\n\n"
        '    if sys.platform == "emscripten":  # live in the browser: from the site itself\n'
        f"        {INSTALL}\n"
        "    else:\n" + textwrap.indent(elsewhere, " " * 8) + "\n"
    )


def toc_notebooks(root: Path, toc_path: str = "_toc.yml") -> list[str]:
    """The toc's documents that are notebooks, in reading order (reading_order.py), as paths
    relative to ``root`` without suffix."""
    return [doc for doc in reading_order(root, toc_path) if (root / f"{doc}.ipynb").exists()]


def has_code(notebook: dict) -> bool:
    """Whether a notebook has anything to run (the appendix and the references do not)."""
    return any(cell["cell_type"] == "code" for cell in notebook["cells"])


def live_copy(notebook: dict, setup: str) -> str:
    """A notebook page's live copy, as the lite app serves it: the set-up cell first (if it
    has code) and no stored outputs.

    No stored outputs: a live copy shows only what it has computed itself. (Stored widget
    views would even render from the saved widget state and look live before anything ran.)
    """
    notebook = copy.deepcopy(notebook)
    notebook["metadata"].pop("widgets", None)
    if has_code(notebook):
        for code in (c for c in notebook["cells"] if c["cell_type"] == "code"):
            code["outputs"], code["execution_count"] = [], None
        cell = {
            "cell_type": "code",
            "execution_count": None,
            "id": "live-setup",
            "metadata": {"tags": ["live-setup"]},
            "outputs": [],
            "source": setup,
        }
        notebook["cells"] = [cell, *notebook["cells"]]
    return json.dumps(notebook, ensure_ascii=False, indent=1) + "\n"


def live_manifest(runtime: Path, wheels: Path, bridge: Path) -> dict:
    """What the in-page live widgets load (book/_vendor/live-worker.js reads it as
    ``_static/live-runtime.json``): every file's path relative to ``_static/``, its size and
    its sha256, from the staged runtime folder ``runtime``, the site's wheels in ``wheels`` and
    the ``bridge`` module; the packages to load from the runtime's lock, the wheels, the
    modules to import; and the name of the browser cache that keeps this build's files."""
    lock = json.loads((runtime / pyodide_runtime.LOCK).read_text())
    packages = pyodide_runtime.closure(lock, LIVE_PACKAGES)
    served = f"../{LITE}/{RUNTIME}/"
    files = {f"{served}{name}": runtime / name for name in LIVE_CORE}
    for name in packages:
        file_name = lock["packages"][name]["file_name"]
        files[f"{served}{file_name}"] = runtime / file_name
    site_wheels = []
    for name in LIVE_WHEELS:
        (wheel,) = wheels.glob(f"{name}-{version(name)}-*.whl")
        site_wheels.append(f"../{LITE}/pypi/{wheel.name}")
        files[site_wheels[-1]] = wheel
    files[LIVE_BRIDGE] = bridge
    entries = {
        path: {"size": source.stat().st_size, "sha256": pyodide_runtime.sha256(source.read_bytes())}
        for path, source in files.items()
    }
    fingerprint = pyodide_runtime.sha256(json.dumps(entries, sort_keys=True).encode())
    return {
        "cache": f"matgrad-live-{fingerprint[:16]}",
        "runtime": served,
        "packages": list(LIVE_PACKAGES),
        "wheels": site_wheels,
        "bridge": LIVE_BRIDGE,
        "imports": list(LIVE_IMPORTS),
        "files": entries,
    }


def prepare(app, config):
    """Read what ``make live`` made: the lite app in ``lite/`` of the site, with the live copy
    of every notebook page as it is now, and the runtime's recorded sums."""
    root, out = Path(app.srcdir), Path(app.outdir)
    pages = toc_notebooks(root, config.external_toc_path or "_toc.yml")
    notebooks = {page: json.loads((root / f"{page}.ipynb").read_text()) for page in pages}
    config.lite_pages = pages
    config.live_notebooks = [page for page in pages if has_code(notebooks[page])]
    lite, sums = out / LITE, out.parent / RUNTIME_SUMS
    if not (lite / "jupyter-lite.json").exists() or not sums.exists():
        raise LiveCopyNotPrepared(f"no lite app in {lite}: run {PREPARE_STEP} first")
    setup = setup_cell(wheel_url(config.html_baseurl))
    stale = [
        page
        for page, notebook in notebooks.items()
        if not (served := lite / "files" / f"{Path(page).name}.ipynb").exists()
        or served.read_text() != live_copy(notebook, setup)
    ]
    if stale:
        raise LiveCopyNotPrepared(
            f"the live copies of {', '.join(stale)} in {lite} are not those of the chapters "
            f"now: run {PREPARE_STEP} again"
        )
    app.live_runtime_sums = json.loads(sums.read_text())
    app.live_manifest = live_manifest(
        lite / RUNTIME, lite / "pypi", root / "book" / "_vendor" / LIVE_BRIDGE
    )


def widget_cells(doctree) -> list[tuple[nodes.Element, nodes.Element, str]]:
    """(cell, its output container, its code) for every cell whose output is a widget view."""
    found = []
    for cell in doctree.findall(nodes.container):
        if "cell" not in cell["classes"]:
            continue
        outputs = [c for c in cell.children if "cell_output" in c.get("classes", [])]
        code = [c for c in cell.children if "cell_input" in c.get("classes", [])]
        if outputs and code and WIDGET_VIEW in outputs[0].astext():
            found.append((cell, outputs[0], code[0].astext()))
    return found


# data-start-limit-ms: how long the start may go without any progress (bytes arriving, a
# stage passed) before the reader is told it stopped; not a limit on the whole start, which
# on a slow connection takes as long as the download.
SNAPSHOT_LABEL = (
    '<div class="matgrad-live-widget" data-code="{code}" data-start-limit-ms="180000">'
    '<p class="matgrad-snapshot-label"><strong>Snapshot.</strong> This widget shows its saved '
    "state: its controls do nothing until it is live. "
    '<button type="button" class="matgrad-go-live">▶ Make this widget live</button> '
    '<span class="matgrad-live-note">Python starts in your browser from files this site '
    "serves (about {megabytes} MB the first time, kept for later).</span></p>"
    '<p class="matgrad-live-status" role="status" aria-live="polite"></p>'
    '<p class="matgrad-live-progress"></p></div>'
)


# A snapshot can be taller than the screen, far below its label: its badge stays in view over
# all of it (matgrad.css), so that no part of it looks live.
SNAPSHOT_OPEN = (
    '<div class="matgrad-snapshot" inert><p class="matgrad-snapshot-badge">Snapshot: not live</p>'
)


def live_code(code: str) -> str:
    """What the live widget runs: the widget's cell after the one import it may assume."""
    return f"{WIDGET_PRELUDE}\n{code}"


def mark_widgets(app, doctree, docname):
    """Each widget output becomes an inert snapshot with a button that makes it live."""
    size = sum(entry["size"] for entry in app.live_manifest["files"].values())
    for cell, output, code in widget_cells(doctree):
        label = SNAPSHOT_LABEL.format(
            code=html.escape(live_code(code), quote=True), megabytes=round(size / 1e6)
        )
        cell.insert(cell.index(output), nodes.raw("", label, format="html"))
        # `inert`: no click, focus or key reaches the stored controls, so nothing a reader does
        # can make the snapshot look as if it had recomputed.
        output.insert(0, nodes.raw("", SNAPSHOT_OPEN, format="html"))
        output.append(nodes.raw("", "</div>", format="html"))


def defer_widget_manager(app, pagename, templatename, context, doctree):
    """The widget manager's scripts (_config.yml's ``nb_ipywidgets_js``, which myst-nb puts
    in the head of a page with widgets, where 3.6 MB would hold up its first paint) are left
    out of the page: live-widgets.js loads them, in the same order, after the first paint."""
    manager = set(app.config.nb_ipywidgets_js)
    if context.get("script_files"):
        context["script_files"] = [
            script
            for script in context["script_files"]
            # Sphinx names a static file by its path in the site: _static/requirejs/require.js
            if str(getattr(script, "filename", script)).removeprefix("_static/") not in manager
        ]


def add_live_link(app, pagename, templatename, context, doctree):
    if pagename not in app.config.live_notebooks or "body" not in context:
        return
    href = f"{context['pathto'](LITE_NOTEBOOK, 1)}?path={Path(pagename).name}.ipynb"
    context["body"] = (
        '<p class="matgrad-live">'
        f'<a class="reference external matgrad-run-live" href="{href}" target="_blank" '
        'rel="noopener">▶ Run live in your browser</a> '
        "<span>this chapter as a notebook in JupyterLite: Python runs in this browser, from "
        "files this site serves (about 40 MB the first time).</span></p>\n"
    ) + context["body"]


def finish(app, exception):
    """Fail the build if a served runtime file is not the one recorded; make each chapter's
    download the live copy, whose first cell installs ``matgrad``."""
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir)
    pyodide_runtime.verify(out / LITE / RUNTIME, app.live_runtime_sums)
    settings = json.loads((out / LITE / "jupyter-lite.json").read_text())["jupyter-config-data"]
    kernel = settings["litePluginSettings"]["@jupyterlite/pyodide-kernel-extension:kernel"]
    if kernel.get("pyodideUrl") != f"./{RUNTIME}/pyodide.js":
        raise pyodide_runtime.RuntimeFileError(f"the lite kernel loads Pyodide from {kernel}")
    write_live_manifest(out, app.live_manifest)
    for chapter in app.config.lite_pages:
        download = out / "_sources" / f"{chapter}.ipynb"
        if download.exists():
            shutil.copyfile(out / LITE / "files" / f"{Path(chapter).name}.ipynb", download)


def write_live_manifest(out: Path, manifest: dict) -> None:
    """Write ``_static/live-runtime.json``, once every file it lists is served as recorded."""
    static = out / "_static"
    for path, entry in manifest["files"].items():
        served = (static / path).resolve()
        if not served.is_file() or pyodide_runtime.sha256(served.read_bytes()) != entry["sha256"]:
            raise pyodide_runtime.RuntimeFileError(f"{served} differs from what the widgets load")
    (static / LIVE_MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")


def setup(app):
    app.add_config_value("lite_pages", [], "html")  # every notebook page, in the lite app
    app.add_config_value("live_notebooks", [], "html")  # the pages with code: "Run live"
    app.connect("config-inited", prepare)
    app.connect("doctree-resolved", mark_widgets)
    app.connect("html-page-context", add_live_link)
    # After myst-nb has added the page's widget scripts (its handler has the default 500).
    app.connect("html-page-context", defer_widget_manager, priority=950)
    app.connect("build-finished", finish)
    app.add_js_file("live-widgets.js", loading_method="defer")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
