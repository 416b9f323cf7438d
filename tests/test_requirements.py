"""The locks agree with the files people edit: Binder and `pip install -r requirements.txt`
read the inputs, the Makefile installs the locks (`make lock` makes them from the inputs)."""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.M)
LOCKS = {"requirements.txt": "requirements.lock", "requirements-test.txt": "requirements-test.lock"}


def name(package: str) -> str:
    return re.sub(r"[-_.]+", "-", package).lower()


def pins(path: str) -> dict[str, set[str]]:
    """Every package ``path`` pins with ==, with its versions (a lock may pin two, by marker)."""
    found: dict[str, set[str]] = {}
    for package, version in PIN.findall((ROOT / path).read_text()):
        found.setdefault(name(package), set()).add(version)
    return found


@pytest.mark.parametrize("inputs", LOCKS)
def test_the_lock_pins_what_its_input_pins(inputs):
    lock = pins(LOCKS[inputs])
    for package, versions in pins(inputs).items():
        assert lock.get(package) == versions, f"{package}: edited {inputs}? run `make lock`"


def test_the_tests_run_on_the_books_versions():
    book, tests = pins("requirements.lock"), pins("requirements-test.lock")
    assert {package: tests.get(package) for package in book} == book


def test_no_chapter_needs_tqdm():
    # requirements.txt leaves out tqdm (matgrad's optional progress bar): readers have none.
    for notebook in sorted((ROOT / "book").glob("*.ipynb")):
        for cell in json.loads(notebook.read_text())["cells"]:
            code = "".join(cell["source"]) if cell["cell_type"] == "code" else ""
            assert "tqdm" not in code and "progress=True" not in code, notebook.name
