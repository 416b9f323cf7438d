"""The chapters' plain text: tables, errors and an exercise's verdict.

Used in: ``format_table`` by backward, bug-zoo, checking-gradients, close-enough,
cost-of-gradients, intro, layouts, questions and why-transpose; ``format_error`` by
bug-zoo, minibatches, regularizer and the shapes helpers; ``self_check`` by backward,
exercises, layouts, questions and why-transpose. Every number is printed to one
significant digit, so that stored outputs do not depend on the last bits of rounding,
which differ between machines.
"""

from __future__ import annotations

import numpy as np

from matgrad._text import format_table, shape_text
from matgrad.checks import relative_error

__all__ = ["format_error", "format_table", "self_check", "shape_text"]


def format_error(error: float, tolerance: float | None = None) -> str:
    """An error as text, to one significant digit: ``"3e-11"``, and ``"wrong shape"`` for
    ``inf`` (how a report marks a gradient of the wrong shape). With a ``tolerance``,
    ``"3e-11 ok"`` within it and ``"4e-01 FAIL"`` above it.
    """
    if np.isinf(error):
        return "wrong shape"
    text = f"{error:.0e}"
    return text if tolerance is None else (f"{text} ok" if error <= tolerance else f"{text} FAIL")


def self_check(answer, reference, *, tolerance: float = 1e-6) -> str:
    """An exercise's verdict on ``answer`` against a ``reference`` (often finite differences).

    ``None`` means not attempted yet. The verdict names the relative error only when it
    fails, so that a passing answer prints the same text on every machine.
    """
    if answer is None:
        return "not attempted yet: fill in your answer and re-run this cell"
    answer, reference = np.asarray(answer, dtype=float), np.asarray(reference, dtype=float)
    if answer.shape != reference.shape:
        return f"wrong shape: expected {reference.shape}, got {answer.shape}"
    error = relative_error(answer, reference)
    if error <= tolerance:
        return f"PASS: relative error below {tolerance:.0e}"
    return f"FAIL: relative error {error:.0e}"
