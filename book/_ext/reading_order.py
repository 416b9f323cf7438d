"""The book's reading order: the one reader of the table of contents (``_toc.yml``).

The toc is parsed by ``sphinx_external_toc``, the parser Jupyter Book itself builds the site
with, so this order is the one the site's navigation shows; nothing else in the build glue or
the tests reads ``_toc.yml`` itself. The Sphinx build imports this module from book/_ext (a
``local_extensions`` folder, see _config.yml); the tests import it through pytest's
``pythonpath`` (pyproject.toml).
"""

from __future__ import annotations

from pathlib import Path

from sphinx_external_toc.api import Document, GlobItem, SiteMap, UrlItem
from sphinx_external_toc.parsing import parse_toc_yaml

# A toc entry may name its file with its suffix (``book/intro.ipynb``); Sphinx's docnames,
# and so the book's pages, have none. These are the suffixes of the book's sources.
SOURCE_SUFFIXES = (".ipynb", ".md", ".rst")


def docname(entry: str) -> str:
    """``entry`` without its source suffix, as Sphinx names the document."""
    for suffix in SOURCE_SUFFIXES:
        if entry.endswith(suffix):
            return entry[: -len(suffix)]
    return entry


def reading_order(root: Path, toc: str = "_toc.yml") -> list[str]:
    """Every document of the toc ``root / toc``, root first, then depth-first in reading order
    (a chapter, then its sections, then the next chapter), as docnames without suffix:
    ``["book/intro", "book/forward", ...]``.

    Links to other sites (``url:`` entries) are not documents and are left out. A ``glob:``
    entry raises ``ValueError``: which documents it stands for depends on the files Sphinx
    finds, so a list made here could miss some or order them differently.
    """
    site_map: SiteMap = parse_toc_yaml(Path(root) / toc)
    order: list[str] = []

    def visit(document: Document) -> None:
        order.append(docname(document.docname))
        for subtree in document.subtrees:
            for item in subtree.items:
                if isinstance(item, UrlItem):
                    continue
                if isinstance(item, GlobItem):  # a str too: test it before treating it as one
                    raise ValueError(f"{toc}: glob entries are not supported (found {item!r})")
                visit(site_map[item])

    visit(site_map.root)
    return order
