"""Plain text the library prints: shapes, aligned tables and noise-level numbers (the report
of a gradient check).

The book's chapters print with the same functions, through :mod:`matgrad.book.text`; they
live here because the core's reports need them and the core never imports the book's layer.
"""

from __future__ import annotations

import html
import math
import re
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


def decade_above(value: float) -> float:
    """The smallest power of ten strictly above a positive, finite ``value``.

    ``3e-4 → 1e-3`` and ``1e-3 → 1e-2``. The result is the float nearest that power of ten
    (``float("1e-3")``), the number its text ``"1e-03"`` denotes, so that a bound printed
    with it is the bound that was compared.
    """
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"value must be positive and finite, got {value!r}")
    exponent = math.floor(math.log10(value)) + 1
    # log10 can be off by one next to a power of ten: settle it on the floats themselves.
    while float(f"1e{exponent - 1}") > value:
        exponent -= 1
    while float(f"1e{exponent}") <= value:
        exponent += 1
    return float(f"1e{exponent}")


def format_bounded(value: float, bound: float | None) -> str:
    """``value`` to one significant digit, or ``"< bound"`` when it lies below ``bound``.

    For numbers whose digits are rounding noise, such as the error of a correct gradient:
    their value differs between CPUs (SIMD kernels and BLAS builds sum in other orders),
    the statement that they lie below a bound does not, as long as the bound sits well above
    the noise. The bound is compared as printed, to one digit, so the text never claims
    more than was computed; a value at or above it (or with no bound) prints as itself.
    """
    if bound is not None:
        shown = f"{bound:.0e}"
        if value < float(shown):
            return f"< {shown}"
    return f"{value:.0e}"


# A number that a narrow column would break: one in e-notation ("2e-01", after the exponent's
# minus) or one after a comparison ("< 1e-09", "≈ 0.5", after the space).
_NUMBER = re.compile(
    r"[<>≤≥≈]=?\s[-−]?\d+(?:\.\d+)?(?:e[-+]\d+)?|(?<![\w.])[-−]?\d+(?:\.\d+)?e[-+]\d+"
)


def html_text(text: str) -> str:
    """``text`` escaped for HTML, with each number a narrow column would break kept on one
    line: a phone's column broke ``"< 1e-09"`` after the ``<`` or after the exponent's minus
    (``"< 1e-"`` above ``"09"``)."""
    parts, start = [], 0
    for match in _NUMBER.finditer(text):
        parts.append(html.escape(text[start : match.start()]))
        parts.append(f'<span style="white-space:nowrap">{html.escape(match.group())}</span>')
        start = match.end()
    parts.append(html.escape(text[start:]))
    return "".join(parts)
