"""The live copy's Markdown (book/_ext/plain_markdown.py): MyST rewritten for JupyterLab."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from plain_markdown import SOLUTION_CODE, Book, plain_notebook, read_citations
from reading_order import reading_order

ROOT = Path(__file__).resolve().parent.parent

MYST_ONLY = {
    "role": re.compile(r"\{[a-z:]+\}`"),
    "directive": re.compile(r"^```\{", re.MULTILINE),
    "target": re.compile(r"^\([\w-]+\)=", re.MULTILINE),
    "equation label": re.compile(r"\$\$[ \t]*\([\w-]+\)"),
}


def markdown(source: str) -> dict:
    return {"cell_type": "markdown", "id": "m", "metadata": {}, "source": source}


def code(source: str) -> dict:
    return {"cell_type": "code", "id": "c", "metadata": {}, "source": source, "outputs": []}


def notebook(*cells) -> dict:
    return {"cells": list(cells), "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


@pytest.fixture
def book():
    chapters = {
        "one": notebook(markdown("(one)=\n# Chapter one\n\n$$\na = b\n$$ (first-eq)")),
        "two": notebook(markdown("# Chapter two\n\n$$ c = d $$ (second-eq)\n")),
    }
    return Book(chapters, {"gbc": "Goodfellow et al. 2016", "mn": "Magnus & Neudecker 2019"})


def test_roles_become_links_citations_and_numbers(book):
    text = book.markdown(
        "See {doc}`one`, {doc}`the second <two>`, {doc}`references`, {cite}`gbc,mn`, "
        "{eq}`first-eq` and {eq}`second-eq`, and {prf:ref}`Algorithm 6.4 <alg-backward>`.",
        "two",
        [],
    )
    assert text == (
        "See [Chapter one](one.ipynb), [the second](two.ipynb), References, "
        "[Goodfellow et al. 2016; Magnus & Neudecker 2019], [(1)](one.ipynb) and (2), "
        "and Algorithm 6.4."
    )


def test_targets_go_and_labelled_equations_are_tagged_in_book_order(book):
    text = book.markdown("(one)=\n# Chapter one\n\n$$\na = b\n$$ (first-eq)", "one", [])
    assert text == "# Chapter one\n\n$$\na = b \\tag{1}$$"
    assert book.markdown("$$ c = d $$ (second-eq)", "two", []) == "$$ c = d \\tag{2}$$"


def test_an_algorithm_is_a_titled_block_quote(book):
    source = "```{prf:algorithm} Forward\n:label: alg\n:nonumber:\n\n1. $h = x$\n\n2. end\n```"
    assert book.markdown(source, "one", []) == (
        "> **Algorithm (Forward)**\n>\n> 1. $h = x$\n>\n> 2. end"
    )


def test_exercises_are_numbered_and_solutions_collapsed(book):
    chapter = notebook(
        markdown("```{exercise} First\n:label: ex-1\n\nShow it.\n```"),
        code("answer = None"),
        markdown("```{solution-start} ex-1\n:class: dropdown\n```\nBecause {doc}`one`."),
        code("print(42)"),
        markdown("```{solution-end}\n```\n\n```{exercise}\n:label: ex-2\n\nAgain.\n```"),
        markdown("```{solution-start} ex-2\n:class: dropdown\n```\nShort.\n```{solution-end}\n```"),
        markdown("After."),
    )
    cells = plain_notebook(chapter, "one", book)["cells"]
    sources = ["".join(cell["source"]) for cell in cells]
    folded = "<details>\n<summary>Show the solution</summary>\n\n{}\n\n</details>"
    assert sources == [
        "**Exercise 1** (First)\n\nShow it.",
        "answer = None",
        "**Solution to Exercise 1**",
        folded.format("Because [Chapter one](one.ipynb)."),
        SOLUTION_CODE + "print(42)",
        "**Exercise 2**\n\nAgain.",
        "**Solution to Exercise 2**",
        folded.format("Short."),
        "After.",
    ]
    collapsed = [hidden(cell) for cell in cells]
    assert collapsed == [False, False, False, False, True, False, False, False, False]
    assert cells[4]["metadata"]["jupyter"]["outputs_hidden"] is True
    assert len({cell["id"] for cell in cells}) == len(cells)
    assert chapter["cells"][0]["source"].startswith("```{exercise}"), "the input is not changed"


def test_every_chapter_keeps_its_code_and_loses_all_myst_only_markup():
    chapters = [page for page in reading_order(ROOT) if (ROOT / f"{page}.ipynb").exists()]
    notebooks = {
        Path(page).name: json.loads((ROOT / f"{page}.ipynb").read_text()) for page in chapters
    }
    book = Book(notebooks, read_citations(ROOT / "book" / "references.bib"))
    assert book.citations["goodfellow2016deep"] == "Goodfellow et al. 2016"
    assert book.citations["cs231n"] == "Karpathy et al. 2016"  # "Karpathy and others"
    assert book.citations["magnus2019matrix"] == "Magnus & Neudecker 2019"
    for name, original in notebooks.items():
        plain = plain_notebook(original, name, book)
        code_cells = [
            [
                ("".join(c["source"]).removeprefix(SOLUTION_CODE), c["outputs"])
                for c in notebook["cells"]
                if c["cell_type"] == "code"
            ]
            for notebook in (plain, original)
        ]
        assert code_cells[0] == code_cells[1], f"{name}: code or outputs changed"
        for cell in plain["cells"]:
            if cell["cell_type"] == "markdown":
                for what, pattern in MYST_ONLY.items():
                    assert not pattern.search(cell["source"]), f"{name}: {what} left"
    exercises = plain_notebook(notebooks["exercises"], "exercises", book)["cells"]
    solutions = [c for c in exercises if "".join(c["source"]).startswith("**Solution to")]
    assert len(solutions) == 9
    folded = [c for c in exercises if "".join(c["source"]).startswith("<details>")]
    assert len(folded) >= 9 and all(c["cell_type"] == "markdown" for c in folded)
    for cell in exercises:  # what a collapsed cell shows is its first line: no answer there
        if hidden(cell):
            assert "".join(cell["source"]).startswith(SOLUTION_CODE)


def hidden(cell: dict) -> bool:
    return cell.get("metadata", {}).get("jupyter", {}).get("source_hidden", False)
