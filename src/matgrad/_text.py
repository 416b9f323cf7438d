"""Plain text the library prints: shapes and aligned tables (the report of a gradient check).

The book's chapters print their tables with the same function, through
:mod:`matgrad.book.text`; it lives here because the core's reports need it and the core
never imports the book's layer.
"""

from __future__ import annotations

from collections.abc import Sequence


def shape_text(shape: Sequence[int]) -> str:
    """``(4, 3)`` → ``"4×3"``, the way the book writes a shape in a table."""
    return "×".join(map(str, shape))


def format_table(
    header: Sequence[object], rows: Sequence[Sequence[object]], *, rule: bool = True
) -> str:
    """A plain-text table with left-aligned columns, two spaces apart, and no trailing spaces.

    ``rule`` draws a line of dashes under the header. Every row needs as many cells as the
    header; cells are converted with ``str``.
    """
    header = [str(cell) for cell in header]
    rows = [[str(cell) for cell in row] for row in rows]
    if any(len(row) != len(header) for row in rows):
        raise ValueError(f"every row needs {len(header)} cells, like the header")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in [header, *rows]
    ]
    if rule:
        lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)
