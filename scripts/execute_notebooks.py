"""Re-execute notebooks in place, without the execution timestamps nbclient would store.

    .venv/bin/python scripts/execute_notebooks.py            # every notebook in book/
    .venv/bin/python scripts/execute_notebooks.py book/x.ipynb

Run it after editing a chapter, then `make test`: nbval compares the stored outputs with a
fresh run. Any CPU will do: the chapters print noise-level numbers, such as the error of a
correct gradient, as the bound they lie below (matgrad.noise_floor), never their digits,
which depend on the CPU's SIMD kernels and BLAS build.
"""

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent


def main(paths: list[str]) -> None:
    notebooks = [Path(p) for p in paths] or sorted((ROOT / "book").glob("*.ipynb"))
    for notebook in notebooks:
        print(f"executing {notebook}", flush=True)
        execute(notebook)


def execute(notebook: Path) -> None:
    """Run ``notebook`` top to bottom in its own folder and store the outputs, as
    `jupyter execute --inplace` does, but with no per-cell timestamps (record_timing):
    they would change every run (tests/test_notebooks.py rejects them).
    """
    content = nbformat.read(notebook, as_version=4)
    resources = {"metadata": {"path": str(notebook.resolve().parent)}}
    NotebookClient(content, resources=resources, record_timing=False).execute()
    nbformat.write(content, notebook)


if __name__ == "__main__":
    main(sys.argv[1:])
