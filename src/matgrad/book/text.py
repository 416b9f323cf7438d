"""The chapters' plain text: tables, errors and an exercise's verdict.

Used in: ``format_table`` by backward, bug-zoo, checking-gradients, close-enough,
cost-of-gradients, intro, layouts, questions and why-transpose; ``format_error`` by
bug-zoo, checking-gradients, close-enough, minibatches and regularizer; ``self_check`` by
backward, exercises, layouts, questions, random-costs and why-transpose; ``source`` by
attention-norms and convolution. Numbers are printed to one
significant digit, and an error that is rounding noise as the bound it lies below, so that
stored outputs do not depend on the last bits of rounding, which differ between machines.
"""

from __future__ import annotations

import ast
import inspect
import textwrap

import numpy as np

from matgrad._text import format_bounded, format_table, shape_text
from matgrad.checks import noise_floor, relative_error

__all__ = ["format_error", "format_table", "self_check", "shape_text", "source"]


def format_error(
    error: float, tolerance: float | None = None, *, method: str = "central", dtype=np.float64
) -> str:
    """A relative error against ``method`` differences in ``dtype`` as text.

    One significant digit (``"2e-02"``), or, below the differences' noise floor
    (:func:`matgrad.noise_floor`: ``1e-09`` for the default, central differences in
    float64), the bound: ``"< 1e-09"``, since the digits of a correct gradient's error
    differ between CPUs. ``"wrong shape"`` for ``inf`` (how a report marks a gradient of
    the wrong shape). With a ``tolerance``, ``"< 1e-09 ok"`` within it and ``"4e-01 FAIL"``
    above it: a FAIL prints its value, whatever the floor.
    """
    if np.isinf(error):
        return "wrong shape"
    if tolerance is not None and error > tolerance:
        return f"{error:.0e} FAIL"
    text = format_bounded(error, noise_floor(method, dtype))
    return text if tolerance is None else f"{text} ok"


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


def source(function) -> str:
    """The code of ``function`` without its docstring: the library's lines, shown in a
    chapter beside the derivation they implement."""
    code = textwrap.dedent(inspect.getsource(function))
    body = ast.parse(code).body[0].body
    if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        lines = code.splitlines()
        del lines[body[0].lineno - 1 : body[0].end_lineno]
        code = "\n".join(lines)
    return code.rstrip()
