"""What every stored notebook must be, beyond nbval's output comparison."""

import ast
import itertools
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
    # Only the reference pages are prose alone (notebooks so that JupyterLab renders them).
    assert code or notebook.stem in ("appendix-notation", "references"), "a chapter without code"
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
    # Every page is a notebook, each once (so that JupyterLab renders every one of them):
    # however many pages the toc lists, book/ holds those and no others.
    assert sorted(order) == sorted(f"book/{path.stem}" for path in NOTEBOOKS)
    assert len(set(order)) == len(order)


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

    assert live_notebooks.toc_notebooks(ROOT, "_toc.yml") == reading_order(ROOT)
    assert site_support.toc_pages() == reading_order(ROOT)
    # Built on reading_order, not on a reader of their own: they follow whatever it says.
    shuffled = ["book/references", "book/layouts", "book/intro", "book/no-such-page"]

    def fake_order(root, toc="_toc.yml"):
        return shuffled

    monkeypatch.setattr(module, "reading_order", fake_order)  # site_support imports it late
    monkeypatch.setattr(live_notebooks, "reading_order", fake_order)
    assert live_notebooks.toc_notebooks(ROOT, "_toc.yml") == shuffled[:3]  # the notebooks
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


# The one markup of the chapters: what Jupyter Book resolves in the site and jupyterlab-myst
# resolves in JupyterLab and the live copy. jupyterlab-myst resolves a role only to a label of
# the same notebook, drops an unknown role or directive without a word and shows a title's
# maths as TeX, so the source keeps to this (tests/test_jupyterlab.py looks at the result).
DIRECTIVES = {"exercise", "solution", "prf:algorithm", "note", "tip", "warning", "important"}
ROLES = {"eq", "prf:ref"}
LINK = re.compile(r"\]\(([^)\s]+)\)")
CROSS_EQUATION = re.compile(r"equation \((\d+)\) of \[[^\]]*\]\(([\w-]+\.ipynb)\)")


def markdown_of(path: Path) -> list[str]:
    cells = json.loads(path.read_text())["cells"]
    return ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown"]


def labels_of(markdown: str) -> set[str]:
    """Labels of directives (``:label: x``) and of display equations (``$$ (x)``)."""
    return set(re.findall(r"^:label:\s*([\w-]+)", markdown, re.M)) | set(
        re.findall(r"\$\$[ \t]*\(([\w-]+)\)", markdown)
    )


def display_labels(markdown: str) -> list[str | None]:
    """The label of every display equation (``$$ … $$``), in order; None where there is none."""
    blocks = re.findall(r"\$\$(.*?)\$\$([ \t]*\(([\w-]+)\))?", markdown, re.S)
    return [label or None for _, _, label in blocks]


def heading_slugs(path: Path) -> set[str]:
    from myst_parser.mdit_to_docutils.base import default_slugify

    headings = re.findall(r"^#{1,3} (.+)$", "\n".join(markdown_of(path)), re.M)
    # Not a heading with maths: the site makes its anchor from the typeset text, another
    # slug than the source's, so a link to it breaks the -W build (link the chapter instead).
    return {default_slugify(heading) for heading in headings if "$" not in heading}


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.name)
def test_markup_is_what_both_the_site_and_jupyterlab_resolve(notebook):
    cells = markdown_of(notebook)
    markdown = "\n".join(cells)
    labels = labels_of(markdown)
    for role, content in re.findall(r"\{([\w:-]+)\}`([^`]*)`", markdown):
        assert role in ROLES, f"{{{role}}}: jupyterlab-myst cannot resolve it; use a link"
        target = re.sub(r"^.*<([^<>]+)>$", r"\1", content, flags=re.S)
        assert target in labels, f"{{{role}}}`{content}`: no such label in this notebook"
    for directive, argument in re.findall(r"^(?:`{3,}|:{3,})\{([\w:-]+)\}(.*)$", markdown, re.M):
        assert directive in DIRECTIVES, f"{{{directive}}} does not render in JupyterLab"
        if directive == "solution":
            assert argument.strip() in labels, f"a solution to no exercise here: {argument}"
    # A solution has its text inside its box (a box opened in one cell and closed in another
    # shows empty in JupyterLab).
    assert not re.search(r"\{solution\}[^\n]*\n(:[\w-]+:[^\n]*\n)*\s*```", markdown)
    # No (label)= targets: the site would give that heading the label as an extra id, but
    # jupyterlab-myst gives it only the label, so a link to its slug would fail there.
    assert not re.search(r"^\([\w-]+\)=", markdown, re.M)
    title = re.search(r"^# (.+)$", markdown, re.M).group(1)
    assert "$" not in title, f"jupyterlab-myst shows a title's maths as TeX: {title}"
    for href in LINK.findall(markdown):
        if re.match(r"(https?|mailto):", href):
            continue
        path, _, section = href.partition("#")
        target = notebook.parent / path if path else notebook
        assert path == "" or (path.endswith(".ipynb") and target.exists()), (
            f"{href}: link a chapter by its notebook file (JupyterLab opens it, the site too)"
        )
        if section:
            assert section in heading_slugs(target), f"{href}: no such heading"
            # jupyterlab-myst puts "id-" before a slug that starts with a digit; the site does not.
            assert not section[0].isdigit(), f"{href}: a heading that starts with a digit"
    # jupyterlab-myst numbers every display equation, the site every labelled one: with a
    # label on each, both number them alike, per page (math_numfig: false), and another
    # chapter's equation can be named by its number there.
    unlabelled = [n for n, label in enumerate(display_labels(markdown), 1) if label is None]
    assert unlabelled == [], f"display equations without a label, numbers {unlabelled}"
    for number, chapter in CROSS_EQUATION.findall(markdown):
        displays = display_labels("\n".join(markdown_of(notebook.parent / chapter)))
        assert 1 <= int(number) <= len(displays), f"{chapter} has no equation ({number})"


def test_a_solution_s_check_is_folded_in_the_site_and_in_jupyterlab():
    cells = json.loads((ROOT / "book" / "exercises.ipynb").read_text())["cells"]
    checks = [
        after
        for before, after in itertools.pairwise(cells)
        if before["cell_type"] == "markdown"
        and "".join(before["source"]).startswith("```{solution}")
    ]
    assert len(checks) == 9
    for cell in checks:
        assert cell["cell_type"] == "code"
        assert "hide-cell" in cell["metadata"]["tags"]  # the site: behind a toggle
        assert cell["metadata"]["jupyter"] == {"source_hidden": True, "outputs_hidden": True}


IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/svg+xml")


def image_outputs(notebook: Path):
    """(cell, output, mime type) for every stored image output of ``notebook``."""
    for cell in json.loads(notebook.read_text())["cells"]:
        for output in cell.get("outputs", []):
            for mime in IMAGE_TYPES:
                if mime in output.get("data", {}):
                    yield cell, output, mime


def test_the_book_has_figures_to_check():
    assert sum(len(list(image_outputs(notebook))) for notebook in NOTEBOOKS) >= 9


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.name)
def test_every_figure_says_what_it_shows(notebook):
    # A screen reader reads an image's alt text in its place. The figure cells display
    # through figures.show, which stores the alt text in the output's metadata (IPython's and
    # nbconvert's convention) and as its text/plain (which nbval then compares on every run);
    # myst-nb takes an image's alt text only from its cell's metadata (mystnb: image: alt:),
    # so that holds the same words. Without them the site writes the image's file name.
    for cell, output, mime in image_outputs(notebook):
        alt = output.get("metadata", {}).get(mime, {}).get("alt")
        where = "".join(cell["source"])[:60]
        assert alt, f"a figure without alt text (display it with figures.show): {where!r}"
        assert len(alt.split()) >= 8 and not re.search(r"\.(png|jpe?g|svg|gif)\b", alt), alt
        assert output["data"].get("text/plain") in (alt, [alt]), where
        site = cell["metadata"].get("mystnb", {}).get("image", {}).get("alt")
        assert site == alt, (
            f"copy the output's alt text into the cell's metadata mystnb.image.alt: {where!r}"
        )
