"""matgrad's two floors: the core never imports the book's teaching layer, and each module of
the teaching layer names the chapters that use it, truthfully."""

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "matgrad"
BOOK = PACKAGE / "book"
# The core's only dependency; tqdm is the optional progress bar (matgrad[progress]).
CORE_ALLOWED = {"numpy", "tqdm"}
# What each teaching module may need besides numpy and the core (book/__init__.py's table).
BOOK_ALLOWED = {
    # IPython only to display a figure with its alt text (figures.show), when it is there.
    "figures": {"matplotlib", "PIL", "IPython"},
    "widgets": {"ipywidgets", "matplotlib", "PIL"},
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}
CORE = sorted(name for name in MODULES if not name.startswith("matgrad.book"))
TEACHING = sorted(name for name in MODULES if name.startswith("matgrad.book."))


def imports(name: str) -> set[str]:
    """Every module ``name`` imports, at the top or inside a function, as absolute names."""
    tree = ast.parse(MODULES[name].read_text())
    package = name if MODULES[name].name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1]])
                base = f"{base}.{node.module}" if node.module else base
            found.add(base)
            # `from matgrad.book import widgets` imports the submodule matgrad.book.widgets
            found |= {f"{base}.{alias.name}" for alias in node.names} & MODULES.keys()
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", "") == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            found.add(node.args[0].value)
    return found


def reachable(name: str) -> set[str]:
    """The matgrad modules that importing ``name`` may import, directly or through others."""
    seen, todo = set(), [name]
    while todo:
        current = todo.pop()
        for imported in imports(current):
            # importing a.b.c imports its packages a and a.b first
            parts = imported.split(".")
            for depth in range(1, len(parts) + 1):
                module = ".".join(parts[:depth])
                if module in MODULES and module not in seen:
                    seen.add(module)
                    todo.append(module)
    return seen


def third_party(name: str) -> set[str]:
    roots = {imported.split(".")[0] for imported in imports(name)}
    return roots - set(sys.stdlib_module_names) - {"matgrad", "__future__"}


def test_the_package_has_a_core_and_a_teaching_layer():
    assert {"matgrad.network", "matgrad.checks", "matgrad.finite_differences"} <= set(CORE)
    assert {"matgrad.book.widgets", "matgrad.book.figures", "matgrad.book.text"} <= set(TEACHING)


@pytest.mark.parametrize("name", CORE)
def test_no_core_module_reaches_the_teaching_layer(name):
    assert not {module for module in reachable(name) if module.startswith("matgrad.book")}


@pytest.mark.parametrize("name", CORE)
def test_the_core_needs_numpy_only(name):
    assert third_party(name) <= CORE_ALLOWED


@pytest.mark.parametrize("name", TEACHING)
def test_teaching_modules_need_only_what_their_table_says(name):
    # A module of a package (matgrad.book.figures.graph) may need what its package may.
    top = name.split(".")[2]
    assert third_party(name) <= {"numpy"} | BOOK_ALLOWED.get(top, set())


def test_the_import_graph_sees_a_forbidden_import():
    # The test above must be able to fail: a core module that imported the book would show.
    tree = ast.parse("from matgrad.book import text\n")
    node = tree.body[0]
    assert isinstance(node, ast.ImportFrom) and node.module == "matgrad.book"
    assert "matgrad.book" in reachable("matgrad.book.widgets")
    assert "matgrad.book.figures" in reachable("matgrad.book.widgets")


def test_importing_the_whole_core_loads_neither_the_book_nor_its_dependencies():
    code = (
        "import importlib, sys\n"
        f"for name in {CORE!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules\n"
        "    if m.startswith(('matgrad.book', 'matplotlib', 'ipywidgets', 'PIL'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# --- each teaching module says which chapters use it -------------------------------------------


def chapter_code() -> dict[str, str]:
    code = {}
    for notebook in sorted((ROOT / "book").glob("*.ipynb")):
        cells = json.loads(notebook.read_text())["cells"]
        code[notebook.stem] = "\n".join(
            "".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"
        )
    return code


def public_names(name: str) -> set[str]:
    """The names a module defines at its top level, without the private ones (``_name``)."""
    names = set()
    for node in ast.parse(MODULES[name].read_text()).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    return {name for name in names if not name.startswith("_")}


def used_as(name: str) -> tuple[str, str]:
    """How a chapter uses teaching module ``name``: the name it imports from matgrad.book and
    a pattern for its use. A chapter reaches a module of a package (matgrad.book.figures.graph)
    through the package, as ``figures.plot_computational_graph``: one of the module's names."""
    parts = name.split(".")[2:]
    if len(parts) == 1:
        return parts[0], rf"(?<![\w.]){parts[0]}\.\w"
    package, names = parts[0], "|".join(sorted(public_names(name))) or "(?!)"
    return package, rf"(?<![\w.]){package}\.(?:{names})\b"


def test_a_module_of_a_package_is_used_through_its_package_s_names():
    assert {"plot_computational_graph", "computational_graph_alt"} <= public_names(
        "matgrad.book.figures.graph"
    )
    imported, pattern = used_as("matgrad.book.figures.graph")
    assert imported == "figures"
    assert re.search(pattern, "figures.plot_computational_graph(l=2)")
    assert not re.search(pattern, "figures.plot_step_errors(steps, errors)")


def teaching_imports(source: str) -> set[str]:
    """The teaching modules a chapter's code imports (``from matgrad.book import a, b``, on
    one line or in parentheses)."""
    return {
        alias.name
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom) and node.module == "matgrad.book"
        for alias in node.names
    }


@pytest.mark.parametrize("name", TEACHING)
def test_each_teaching_module_names_exactly_the_chapters_that_use_it(name):
    docstring = ast.get_docstring(ast.parse(MODULES[name].read_text())) or ""
    used_in = re.search(r"Used in:(.*?)(?:\n\n|\Z)", docstring, re.S)
    assert used_in, f"{name}'s docstring must say where it is used ('Used in: ...')"
    code = chapter_code()
    named = {chapter for chapter in code if re.search(rf"\b{chapter}\b", used_in[1])}
    imported, use = used_as(name)
    using = {
        chapter
        for chapter, source in code.items()
        if imported in teaching_imports(source) and re.search(use, source)
    }
    assert named == using, (
        f"the 'Used in:' paragraph of {MODULES[name].relative_to(ROOT)}'s docstring must name "
        f"the chapters that import and use it: add {sorted(using - named) or 'none'}, "
        f"remove {sorted(named - using) or 'none'}"
    )
