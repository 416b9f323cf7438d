"""MyST markup the site understands, rewritten as the plain Markdown that JupyterLab shows.

The chapters are written for Jupyter Book (Sphinx + MyST): ``{doc}`` and ``{cite}`` roles,
``(label)=`` targets, labelled equations, ``prf:algorithm`` and ``exercise`` directives.
JupyterLab and JupyterLite render Markdown cells with marked, which shows all of that as raw
text, so the live copy (live_notebooks.py) passes every Markdown cell through
:func:`plain_notebook`. Only Markdown changes; code cells and their outputs are untouched.

What each construct becomes:

* ``(label)=`` lines are dropped; ``{doc}`` links point at the other chapter notebook
  (``[Title](chapter.ipynb)``), or are plain text where the target is not a notebook;
* ``{cite}`key``` reads "[Goodfellow et al. 2016]", from ``references.bib``;
* ``$$ ... $$ (label)`` gets ``\\tag{n}``, numbered through the book as the site numbers them, and
  ``{eq}`label``` becomes "(n)" (a link to the chapter when the equation is in another one);
* ``{prf:ref}`text <label>``` is its text; an algorithm is a block quote under its title;
* exercises are numbered "Exercise n (title)"; each solution is announced, its text folded
  into ``<details>`` (click to show) and its code cells collapsed (``jupyter.source_hidden``),
  under a first comment line, which is all a collapsed cell shows of its source.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

TARGET = re.compile(r"^\([\w-]+\)=[ \t]*\n?", re.MULTILINE)
ROLE = re.compile(r"\{(doc|cite|eq|prf:ref|ref)\}`([^`]*)`")
LABELLED_MATH = re.compile(r"\$\$(.*?)\$\$[ \t]*\(([\w-]+)\)", re.DOTALL)
DIRECTIVE = re.compile(
    r"^```\{(prf:algorithm|exercise)\}[ \t]*([^\n]*)\n((?::[\w-]+:[^\n]*\n)*)\n?(.*?)^```[ \t]*$",
    re.DOTALL | re.MULTILINE,
)
SOLUTION_START = re.compile(r"^```\{solution-start\}[ \t]*([\w-]*)\n(?::[\w-]+:.*\n)*```\n?", re.M)
SOLUTION_CODE = "# The solution's check (click the dots to show it; try the exercise first).\n"
SOLUTION_END = re.compile(r"^```\{solution-end\}[ \t]*\n```[ \t]*\n?", re.MULTILINE)


def short_citation(entry) -> str:
    """'Goodfellow et al. 2016' from a pybtex entry."""
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    names = [" ".join(person.last_names) for person in people] or [entry.fields.get("title", "")]
    et_al = len(names) > 2 or "others" in names  # BibTeX's "and others" is a person too
    who = f"{names[0]} et al." if et_al else " & ".join(names)
    return f"{who} {entry.fields.get('year', 'n.d.')}".replace("{", "").replace("}", "")


def read_citations(bib_file: Path) -> dict[str, str]:
    from pybtex.database import parse_file

    return {key: short_citation(entry) for key, entry in parse_file(str(bib_file)).entries.items()}


def chapter_title(notebook: dict) -> str:
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown":
            match = re.search(r"^# (.+)$", "".join(cell["source"]), re.MULTILINE)
            if match:
                return match.group(1).strip()
    return ""


def equation_labels(notebook: dict) -> list[str]:
    """Labels of a chapter's labelled display equations, in reading order."""
    return [
        label
        for cell in notebook["cells"]
        if cell["cell_type"] == "markdown"
        for _, label in LABELLED_MATH.findall("".join(cell["source"]))
    ]


class Book:
    """What a chapter's references resolve against: every chapter, its title and equations."""

    def __init__(self, notebooks: dict[str, dict], citations: dict[str, str]):
        # notebooks: chapter name (file name without suffix) -> notebook, in toc order
        self.titles = {name: chapter_title(notebook) for name, notebook in notebooks.items()}
        # The site numbers labelled equations on from one chapter to the next, in toc order.
        labels = [(name, label) for name, nb in notebooks.items() for label in equation_labels(nb)]
        self.equations = {
            label: (name, number) for number, (name, label) in enumerate(labels, start=1)
        }
        self.citations = citations

    def role(self, kind: str, content: str, chapter: str) -> str:
        text, target = content, content
        explicit = re.fullmatch(r"(.*?)\s*<([^<>]+)>", content, re.DOTALL)
        if explicit:
            text, target = explicit.groups()
        if kind == "doc":
            name = Path(target).name
            if name in self.titles:
                return f"[{text if explicit else self.titles[name]}]({name}.ipynb)"
            return text if explicit else name.replace("-", " ").capitalize()
        if kind == "cite":
            keys = [key.strip() for key in content.split(",")]
            return "[" + "; ".join(self.citations.get(key, key) for key in keys) + "]"
        if kind == "eq":
            where, number = self.equations[target]
            return f"({number})" if where == chapter else f"[({number})]({where}.ipynb)"
        return text  # prf:ref and ref: the words the author chose

    def markdown(self, source: str, chapter: str, exercises: list[int]) -> str:
        """One Markdown cell in plain Markdown; ``exercises`` counts the chapter's exercises."""

        def tag(match):
            body, label = match.groups()
            return f"$${body.rstrip()} \\tag{{{self.equations[label][1]}}}$$"

        def directive(match):
            kind, title, _options, body = match.groups()
            if kind == "exercise":
                exercises.append(len(exercises) + 1)
                heading = f"**Exercise {exercises[-1]}**" + (f" ({title.strip()})" if title else "")
                return f"{heading}\n\n{body.rstrip()}"
            quoted = "\n".join(f"> {line}" if line else ">" for line in body.rstrip().split("\n"))
            return f"> **Algorithm ({title.strip()})**\n>\n{quoted}"

        source = TARGET.sub("", source)
        source = LABELLED_MATH.sub(tag, source)
        source = DIRECTIVE.sub(directive, source)
        return ROLE.sub(lambda match: self.role(*match.groups(), chapter), source)


def plain_notebook(notebook: dict, chapter: str, book: Book) -> dict:
    """A copy of ``notebook`` whose Markdown JupyterLab renders as the site does."""
    notebook = copy.deepcopy(notebook)
    exercises: list[int] = []
    cells, in_solution = [], False
    for cell in notebook["cells"]:
        if cell["cell_type"] != "markdown":
            if in_solution:
                cell.setdefault("metadata", {})["jupyter"] = {
                    "source_hidden": True,
                    "outputs_hidden": True,
                }
                cell["source"] = SOLUTION_CODE + "".join(cell["source"])
            cells.append(cell)
            continue
        source = "".join(cell["source"])
        parts = SOLUTION_END.split(source, maxsplit=1)
        if len(parts) == 2 and in_solution:  # the solution ends inside this cell
            before, source = parts[0], parts[1].lstrip("\n")
            if before.strip():
                cells.append(hidden_markdown(before, chapter, book, exercises))
            in_solution = False
        start = SOLUTION_START.search(source)
        if start:
            visible, solution = source[: start.start()], source[start.end() :]
            number = exercises[-1] if exercises else ""
            announcement = f"**Solution to Exercise {number}**"
            if visible.strip():
                announcement = book.markdown(visible, chapter, exercises) + "\n\n" + announcement
            cells.append(markdown_cell(cell, announcement))
            in_solution = True
            parts = SOLUTION_END.split(solution, maxsplit=1)
            if solution.strip() or len(parts) == 2:
                cells.append(hidden_markdown(parts[0], chapter, book, exercises))
            if len(parts) == 2:
                in_solution = False
                if parts[1].strip():
                    after = book.markdown(parts[1].lstrip("\n"), chapter, exercises)
                    cells.append(markdown_cell(cell, after))
            continue
        if in_solution:
            cells.append(hidden_markdown(source, chapter, book, exercises))
        else:
            cells.append(markdown_cell(cell, book.markdown(source, chapter, exercises)))
    seen: set[str] = set()
    for number, cell in enumerate(cells):  # new cells have no id; split ones share one
        cell_id = cell.get("id") or f"plain-{number}"
        cell["id"] = f"{cell_id}-{number}" if cell_id in seen else cell_id
        seen.add(cell["id"])
    notebook["cells"] = cells
    return notebook


def markdown_cell(original: dict, source: str) -> dict:
    cell = {key: value for key, value in original.items() if key not in ("source", "attachments")}
    cell["source"] = source
    cell["metadata"] = dict(original.get("metadata", {}))
    return cell


def hidden_markdown(source: str, chapter: str, book: Book, exercises: list[int]) -> dict:
    """Part of a solution: folded, so that the reader tries the exercise first."""
    text = book.markdown(source, chapter, exercises).strip("\n")
    return {
        "cell_type": "markdown",
        "id": "",
        "metadata": {},
        "source": f"<details>\n<summary>Show the solution</summary>\n\n{text}\n\n</details>",
    }
