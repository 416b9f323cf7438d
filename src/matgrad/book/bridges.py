"""Other courses' backpropagation, set beside Algorithm 6.4's numbers.

Used in: notation-bridges. The chapter writes each course's code in the course's own notation;
this module only reads Algorithm 6.4's running ``g`` out of a trace and prints the
comparison, so that every check there is one short table.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from matgrad._text import format_table, shape_text
from matgrad.book.text import self_check
from matgrad.network import Gradients

SAME = {"rtol": 1e-10, "atol": 1e-12}
"""How close two arrays must be to be "the same numbers": rounding apart, nothing more
(the two computations add the same terms in different orders)."""


def running_g(gradients: Gradients, line: int, k: int) -> np.ndarray:
    """Algorithm 6.4's ``g`` right after ``line`` (numbered 1..7 as the book prints them).

    ``line`` 3 gives ``∇a(k) J`` and ``line`` 6 gives ``∇h(k-1) J``, both ``(n, m)`` with
    examples as columns; ``k`` is the layer of the loop (line 1 runs before the loop: any
    ``k`` is ignored there). A ValueError names the lines that set ``g`` otherwise.
    """
    if line not in (1, 3, 6):
        raise ValueError(f"g is set by lines 1, 3 and 6 of Algorithm 6.4, not line {line!r}")
    for step in gradients.trace:
        if step.line == line - 1 and (line == 1 or step.k == k):
            return step.g
    raise ValueError(f"the trace has no line {line} at layer k = {k!r}")


@dataclass(frozen=True)
class Comparison:
    """What :func:`compare` found: a one-line ``summary`` and the whole ``table``.

    In a notebook the summary shows and the table folds under it (a ``<details>`` box), so
    that a page of comparisons reads as a list of findings; printed, both show.
    """

    summary: str
    table: str

    def __str__(self) -> str:
        return f"{self.summary}\n{self.table}"

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return (
            f"<details><summary>{html.escape(self.summary)}</summary>"
            f"<pre>{html.escape(self.table)}</pre></details>"
        )


def compare(rows: Sequence[tuple[str, object, str, object]], source: str) -> Comparison:
    """A table: each of ``source``'s quantities beside Algorithm 6.4's, and whether they agree.

    ``rows`` holds ``(their name, their array, the book's name, the book's array)``. The
    last column says ``yes`` when the shapes match and the numbers agree to rounding
    (:data:`SAME`), otherwise ``NO`` and why (the shapes, or the largest difference). The
    summary counts the rows that agree and names those that do not.
    """
    table, differ = [], []
    for their_name, theirs, book_name, book in rows:
        theirs, book = np.asarray(theirs, dtype=float), np.asarray(book, dtype=float)
        if theirs.shape != book.shape:
            verdict = "NO: shapes differ"
        elif np.allclose(theirs, book, **SAME):
            verdict = "yes"
        else:
            verdict = f"NO: differ by up to {np.max(np.abs(theirs - book)):.1e}"
        if verdict != "yes":
            differ.append(f"{their_name} ({verdict[4:]})")
        table.append([their_name, _shape(theirs), book_name, _shape(book), verdict])
    same = len(table) - len(differ)
    summary = f"{source} and Algorithm 6.4: {same} of {len(table)} the same numbers"
    summary += f"; not {', '.join(differ)}" if differ else ", same shapes"
    header = [source, "shape", "Algorithm 6.4", "shape", "same numbers"]
    return Comparison(summary, format_table(header, table))


def _shape(array: np.ndarray) -> str:
    return shape_text(array.shape) if array.ndim else "scalar"


def differences(rows: Sequence[tuple[str, object, object]]) -> str:
    """A table: each ``(name, gradient, finite differences)`` and its verdict.

    The verdict is :func:`matgrad.book.text.self_check`'s (``PASS`` below a relative
    error of ``1e-06``), so a correct gradient prints the same text on every machine.
    """
    table = []
    for name, gradient, numerical in rows:
        gradient = np.asarray(gradient, dtype=float)
        table.append([name, _shape(gradient), self_check(gradient, numerical)])
    return format_table(["gradient", "shape", "vs finite differences"], table)
