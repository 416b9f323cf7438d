"""Refresh the JavaScript the static site serves itself: MathJax, RequireJS, the widget manager.

Run: python scripts/vendor_assets.py   (needs npm; writes book/_vendor/, then commit it)

Every file comes from the npm registry at a pinned version (``npm pack``), so the site makes
no request to a CDN and works offline. Only the files a page can load are kept. Licences are
copied beside them and ``book/_vendor/README.md`` records where each came from.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "book" / "_vendor"

PACKAGES = {
    # npm package: (version, folder under book/_vendor, files or folders kept from package/)
    "mathjax": (
        "3.2.2",
        "mathjax",
        [
            "LICENSE",
            "es5/tex-mml-chtml.js",
            "es5/input/tex/extensions",
            "es5/output/chtml/fonts/woff-v2",
            "es5/ui",
            "es5/a11y",
            "es5/sre",
        ],
    ),
    "requirejs": ("2.3.8", "requirejs", ["require.js"]),
    "@jupyter-widgets/html-manager": ("1.0.15", "html-manager", ["dist"]),
}
# Not loaded by the AMD embedder. The standard embedder (embed.js, no RequireJS) is not
# enough here (html-manager 1.0.15): it exposes no HTMLManager, which the live widgets build
# their comm-backed models with (book/_vendor/live-widgets.js), it renders only from a
# window "load" listener, which has fired before a deferred load of it, and it falls back to
# a CDN for modules it lacks. So RequireJS stays, for embed-amd.js alone.
DROPPED = ("embed.js", "embed.js.map", "libembed-amd.js")


def vendored_folders(vendor: Path = VENDOR) -> list[Path]:
    """The folders a refresh replaces: one per npm package. Everything else in book/_vendor
    (the book's own scripts and styles, the live widgets' worker and bridge) is left as it is:
    a list of our own files to keep had fallen behind them."""
    return [vendor / target for _, target, _ in PACKAGES.values() if (vendor / target).is_dir()]


def npm_pack(name: str, version: str, folder: Path) -> Path:
    subprocess.run(
        ["npm", "pack", f"{name}@{version}", "--silent"],
        cwd=folder,
        check=True,
        stdout=subprocess.PIPE,
    )
    (tarball,) = folder.glob("*.tgz")
    return tarball


def main() -> int:
    if shutil.which("npm") is None:
        print("npm is needed to refresh the vendored assets", file=sys.stderr)
        return 1
    for folder in vendored_folders():
        shutil.rmtree(folder)
    VENDOR.mkdir(parents=True, exist_ok=True)
    for name, (version, target, keep) in PACKAGES.items():
        with tempfile.TemporaryDirectory() as folder:
            tarball = npm_pack(name, version, Path(folder))
            with tarfile.open(tarball) as archive:
                archive.extractall(folder, filter="data")
            package = Path(folder) / "package"
            for item in keep:
                source, destination = package / item, VENDOR / target / Path(item).name
                if item.startswith("es5/") and item.count("/") > 1:
                    destination = VENDOR / target / Path(item).relative_to("es5")
                destination.parent.mkdir(parents=True, exist_ok=True)
                if source.is_dir():
                    shutil.copytree(source, destination, ignore=shutil.ignore_patterns(*DROPPED))
                else:
                    shutil.copy2(source, destination)
        print(f"{name}@{version} -> book/_vendor/{target}")
    # html-manager is part of ipywidgets (BSD-3-Clause); its npm tarball carries no licence
    # file, so take the licence from the ipywidgets wheel this project already installs.
    licence = next(
        file for file in metadata.files("ipywidgets") if file.name in ("LICENSE", "LICENSE.txt")
    )
    shutil.copy2(licence.locate(), VENDOR / "html-manager" / "LICENSE")
    return 0


if __name__ == "__main__":
    sys.exit(main())
