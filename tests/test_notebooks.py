"""What every stored notebook must be, beyond nbval's output comparison."""

import json
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", [{"chapters": toc.get("chapters", [])}]):
        files += [chapter["file"] for chapter in part["chapters"]]
    return files


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_is_executed_in_order_without_timings_or_errors(notebook):
    content = json.loads(notebook.read_text())
    code = [cell for cell in content["cells"] if cell["cell_type"] == "code"]
    assert code, "a chapter notebook without code"
    assert [cell["execution_count"] for cell in code] == list(range(1, len(code) + 1)), (
        "run the notebook top to bottom (scripts/execute_notebooks.py)"
    )
    for cell in code:
        assert "execution" not in cell["metadata"], "execution timestamps are stored"
        assert all(output["output_type"] != "error" for output in cell["outputs"])


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.name)
def test_every_notebook_is_a_chapter_in_the_toc(notebook):
    assert f"book/{notebook.stem}" in toc_files()
