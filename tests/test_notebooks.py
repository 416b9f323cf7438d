"""What every stored notebook must be, beyond nbval's output comparison."""

import json
import re
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


# The chapters that answer the book's question each state Algorithm 6.4's weight gradient and
# check it numerically with a regularizer switched on (λ ≠ 0), as a readable report.
ANSWER_CHAPTERS = ["intro", "forward", "backward", "why-transpose", "layouts", "questions"]
SEED_FORMULA = re.compile(
    r"\\nabla_\{W\^\{\(k\)\}\}\s*J\s*=\s*g\s*(\\,)?\s*h\^\{\(k-1\)\s*\\top\}"
    r"\s*\+\s*\\lambda\s*\\nabla_\{W\^\{\(k\)\}\}\s*\\Omega"
)


@pytest.mark.parametrize("chapter", ANSWER_CHAPTERS)
def test_answer_chapters_state_and_check_the_weight_gradient_with_a_regularizer(chapter):
    content = json.loads((ROOT / "book" / f"{chapter}.ipynb").read_text())
    markdown = "".join(
        "".join(cell["source"]) for cell in content["cells"] if cell["cell_type"] == "markdown"
    )
    assert SEED_FORMULA.search(markdown), "the formula of Algorithm 6.4 is not stated"
    code = "".join(
        "".join(cell["source"]) for cell in content["cells"] if cell["cell_type"] == "code"
    )
    assert re.search(r"lam\s*=\s*0*\.?0*[1-9]", code), "no network with λ ≠ 0"
    reports = [
        output
        for cell in content["cells"]
        if cell["cell_type"] == "code" and "gradient_check(" in "".join(cell["source"])
        for output in cell["outputs"]
    ]
    assert any("PASS" in json.dumps(output) for output in reports), "no passing check shown"
