"""Re-execute notebooks in place and drop the execution timestamps nbclient stores.

    .venv/bin/python scripts/execute_notebooks.py            # every notebook in book/
    .venv/bin/python scripts/execute_notebooks.py book/x.ipynb

Run it after editing a chapter, then `make test`: nbval compares the stored outputs with a
fresh run. Any CPU will do: the chapters print noise-level numbers, such as the error of a
correct gradient, as the bound they lie below (matgrad.noise_floor), never their digits,
which depend on the CPU's SIMD kernels and BLAS build.
"""

import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent


def main(paths: list[str]) -> None:
    notebooks = [Path(p) for p in paths] or sorted((ROOT / "book").glob("*.ipynb"))
    jupyter = Path(sys.executable).parent / "jupyter"
    for notebook in notebooks:
        print(f"executing {notebook}", flush=True)
        subprocess.run([str(jupyter), "execute", "--inplace", str(notebook)], check=True)
        drop_timings(notebook)


def drop_timings(notebook: Path) -> None:
    """Remove the per-cell execution timestamps nbclient stores: they change every run."""
    content = nbformat.read(notebook, as_version=4)
    for cell in content.cells:
        cell.metadata.pop("execution", None)
    nbformat.write(content, notebook)


if __name__ == "__main__":
    main(sys.argv[1:])
