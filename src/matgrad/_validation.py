"""Input checks shared by the library: every message says what was expected and what came."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np


def describe(value) -> str:
    """A short description of an input for error messages: its shape if it has one."""
    shape = getattr(value, "shape", None)
    if shape is not None:
        return f"an array of shape {tuple(shape)}"
    return f"{type(value).__name__} {value!r}"


def choice(kind: str, name, options: Iterable[str]) -> str:
    """Return ``name`` if it is one of ``options``, else raise a ValueError listing them."""
    options = tuple(options)
    if not isinstance(name, str) or name not in options:
        listed = ", ".join(repr(option) for option in options)
        raise ValueError(f"unknown {kind} {name!r}: expected one of {listed}")
    return name


_FLOATS = (np.dtype(np.float64), np.dtype(np.float32))


def finite_array(name: str, value, *, allow_complex: bool = False) -> np.ndarray:
    """Convert ``value`` to a float (or complex) array, refusing NaN, inf and non-numbers."""
    if isinstance(value, np.ndarray) and value.dtype in _FLOATS:
        # The common case, kept cheap: a float array whose sum is finite has no NaN or inf
        # (a sum that overflows is rechecked entry by entry below).
        if math.isfinite(value.sum()) or np.all(np.isfinite(value)):
            return value
        raise ValueError(f"{name} must be finite: it contains NaN or inf")
    try:
        array = np.asarray(value)
    except Exception as error:  # ragged lists and the like
        raise ValueError(f"{name} must be a numeric array, got {describe(value)}") from error
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise ValueError(f"{name} must be a numeric array, got dtype {array.dtype}")
    if np.iscomplexobj(array) and not allow_complex:
        raise ValueError(f"{name} must be real, got dtype {array.dtype}")
    if not np.iscomplexobj(array) and not np.issubdtype(array.dtype, np.floating):
        array = array.astype(np.float64)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite: it contains NaN or inf")
    return array


def column_batch(name: str, value, rows: int) -> np.ndarray:
    """One example ``(rows,)`` / ``(rows, 1)`` or a minibatch ``(rows, m)`` as a 2-D array.

    The book writes examples as column vectors, so a 1-D input becomes one column.
    """
    array = finite_array(name, value)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2 or array.shape[0] != rows or array.shape[1] < 1:
        raise ValueError(
            f"{name} must have shape ({rows},) for one example or ({rows}, m) for a "
            f"minibatch of m examples as columns, got shape {np.shape(value)}"
        )
    return array


def positive_int(name: str, value) -> int:
    """Return ``value`` as an int if it is a whole number >= 1."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be a whole number >= 1, got {describe(value)}")
    if value < 1:
        raise ValueError(f"{name} must be a whole number >= 1, got {value}")
    return int(value)


def non_negative_float(name: str, value) -> float:
    """Return ``value`` as a float if it is finite and >= 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number >= 0, got {describe(value)}")
    value = float(value)
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value}")
    return value


def positive_float(name: str, value) -> float:
    """Return ``value`` as a float if it is finite and > 0."""
    value = non_negative_float(name, value)
    if value == 0:
        raise ValueError(f"{name} must be > 0, got 0")
    return value
