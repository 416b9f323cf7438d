"""What every stored notebook must be, beyond nbval's output comparison."""

import ast
import json
import re
from pathlib import Path

import pytest
from reading_order import reading_order

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))


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
    assert f"book/{notebook.stem}" in reading_order(ROOT)


def test_the_reading_order_is_the_tocs():
    # The toc's entries in the order its lines list them: its parts have no sections, so
    # that is the reading order (the root, the chapters of the three parts, the appendices).
    listed = re.findall(r"^\s*(?:root|- file):\s*(\S+)\s*$", (ROOT / "_toc.yml").read_text(), re.M)
    order = reading_order(ROOT)
    assert order == listed
    assert order[0] == "book/intro"
    assert order[-2:] == ["book/appendix-notation", "book/references"]
    # The root and the 12 chapters of the first two parts are the notebooks, each once.
    assert sorted(order[:13]) == sorted(f"book/{path.stem}" for path in NOTEBOOKS)
    assert len(set(order)) == len(order) == 15


def test_reading_order_walks_sections_depth_first_without_suffixes(tmp_path):
    (tmp_path / "toc.yml").write_text(
        "format: jb-book\n"
        "root: intro.md\n"
        "parts:\n"
        "  - caption: One\n"
        "    chapters:\n"
        "      - file: a.ipynb\n"
        "        sections:\n"
        "          - file: a/first\n"
        "            sections:\n"
        "              - file: a/deeper.md\n"
        "          - url: file:///another/site.html\n"
        "          - file: a/second\n"
        "      - file: b\n"
        "  - caption: Two\n"
        "    chapters:\n"
        "      - file: c\n"
    )
    expected = ["intro", "a", "a/first", "a/deeper", "a/second", "b", "c"]  # no url, no suffix
    assert reading_order(tmp_path, "toc.yml") == expected
    (tmp_path / "glob.yml").write_text(
        "format: jb-book\nroot: intro\nchapters:\n  - file: a\n  - glob: more/*\n"
    )
    with pytest.raises(ValueError, match="glob"):
        reading_order(tmp_path, "glob.yml")


def test_the_live_copy_and_the_browser_tests_take_the_reading_order(monkeypatch):
    import live_notebooks
    import reading_order as module
    import site_support

    assert live_notebooks.toc_notebooks(ROOT, "_toc.yml") == reading_order(ROOT)[:13]
    assert site_support.toc_pages() == reading_order(ROOT)
    # Built on reading_order, not on a reader of their own: they follow whatever it says.
    shuffled = ["book/references", "book/layouts", "book/intro", "book/no-such-page"]

    def fake_order(root, toc="_toc.yml"):
        return shuffled

    monkeypatch.setattr(module, "reading_order", fake_order)  # site_support imports it late
    monkeypatch.setattr(live_notebooks, "reading_order", fake_order)
    assert live_notebooks.toc_notebooks(ROOT, "_toc.yml") == ["book/layouts", "book/intro"]
    assert site_support.toc_pages() == shuffled


FOLDERS_OF_CODE = ["book/_ext", "tests", "scripts", "benchmarks"]


def test_only_reading_order_reads_the_toc():
    """One reader of _toc.yml: no other module of the build glue, the tests, the scripts or
    the benchmarks parses it (the old per-file walkers read it with yaml)."""
    readers = set()
    for path in (p for folder in FOLDERS_OF_CODE for p in (ROOT / folder).glob("*.py")):
        text = path.read_text()
        imported = {
            name
            for node in ast.walk(ast.parse(text))
            if isinstance(node, ast.Import | ast.ImportFrom)
            for name in (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
            )
        }
        parses = any("yaml" in name or "sphinx_external_toc" in name for name in imported)
        if parses and "_toc" in text:
            readers.add(path.relative_to(ROOT).as_posix())
    assert readers == {"book/_ext/reading_order.py"}


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
