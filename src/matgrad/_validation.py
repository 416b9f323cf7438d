"""Input checks shared by the library: every message says what was expected and what came."""

from __future__ import annotations

import math
import reprlib
from collections.abc import Iterable

import numpy as np


def describe(value) -> str:
    """A short description of an input for error messages: its shape if it has one."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    return f"{type(value).__name__} {reprlib.repr(value)}"


def amount(n: int) -> str:
    """A whole number for a message: ``1,234,567``, or ``about 10^k`` past 10^15."""
    return f"{n:,}" if n < 10**15 else f"about 10^{len(str(n)) - 1}"


def choice(kind: str, name, options: Iterable[str]) -> str:
    """Return ``name`` if it is one of ``options``, else raise a ValueError listing them."""
    options = tuple(options)
    if not isinstance(name, str) or name not in options:
        listed = ", ".join(repr(option) for option in options)
        raise ValueError(f"unknown {kind} {reprlib.repr(name)}: expected one of {listed}")
    return name


_FLOATS = (np.dtype(np.float64), np.dtype(np.float32))

# Objects that are not arrays of numbers at all (a TypeError); lists of text are a ValueError.
_NOT_ARRAYS = (type(None), str, bytes, dict, set, frozenset)


def _refuse_array_subclass(name: str, value) -> None:
    """np.matrix and masked arrays convert without complaint and then compute something else."""
    if isinstance(value, np.matrix):
        raise TypeError(
            f"{name} is an np.matrix: pass np.asarray({name}) instead. Matrix semantics change "
            "the arithmetic (* is a matrix product) and keep every result 2-D, which silently "
            "changes shapes and values"
        )
    if isinstance(value, np.ma.MaskedArray):
        raise TypeError(
            f"{name} is a masked array (np.ma.MaskedArray): matgrad would silently use its masked "
            f"entries as ordinary numbers. Fill them ({name}.filled(value)) or drop them (keep "
            "only the complete examples) and pass a plain array"
        )


def _refuse_dtype(name: str, array: np.ndarray, allow_complex: bool) -> None:
    """Raise unless ``array`` holds booleans, integers, float32/float64 (or complex if allowed)."""
    dtype = array.dtype
    if dtype.kind in "biu" or dtype in _FLOATS:
        return
    if dtype.kind == "c":
        if allow_complex and dtype in (np.dtype(np.complex64), np.dtype(np.complex128)):
            return
        if not allow_complex:
            raise ValueError(
                f"{name} must be real, got dtype {dtype}: matgrad takes complex numbers only "
                "inside complex-step differences, which make them itself"
            )
    if dtype.kind in "fc":
        if dtype.itemsize < 4:
            why = "float16 keeps about 3 significant digits, too few to check a gradient"
            cast = "np.float32"
        else:
            why = "extended precision is not supported"
            cast = "np.complex128" if dtype.kind == "c" else "np.float64"
        raise ValueError(
            f"{name} is {dtype}, but matgrad computes in float32 or float64 ({why}): "
            f"pass {name}.astype({cast})"
        )
    if dtype.kind == "O":
        kinds = sorted({type(entry).__name__ for entry in array.ravel()[:1000]})
        numbers = all(isinstance(entry, (int, float)) for entry in array.ravel()[:1000])
        hint = (
            f"pass np.asarray({name}, dtype=np.float64)"
            + (" (integers beyond int64 make numpy store Python objects)" if "int" in kinds else "")
            if numbers
            else "every entry must be a number"
        )
        raise ValueError(
            f"{name} must be a numeric array, got an array of Python objects (dtype object, "
            f"entries of type {', '.join(kinds) or 'none'}): {hint}"
        )
    what = "text" if dtype.kind in "US" else "values"
    raise ValueError(f"{name} must be a numeric array, got {what} of dtype {dtype}")


def _refuse_non_finite(name: str, array: np.ndarray) -> None:
    bad = ~np.isfinite(array)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        where = f" (at index {first})" if array.ndim else ""
        raise ValueError(
            f"{name} must be finite: it contains NaN or inf in {int(bad.sum())} of its "
            f"{array.size} entries{where}"
        )


def finite_array(name: str, value, *, allow_complex: bool = False) -> np.ndarray:
    """Convert ``value`` to a float (or complex) array, refusing NaN, inf and non-numbers.

    :func:`numeric_array`, and then NaN and inf refused too.
    """
    if type(value) is np.ndarray and value.dtype in _FLOATS:
        # The common case, kept cheap: a float array whose sum is finite has no NaN or inf
        # (a sum that overflows is rechecked entry by entry below).
        if not math.isfinite(value.sum()):
            _refuse_non_finite(name, value)
        return value
    array = numeric_array(name, value, allow_complex=allow_complex)
    _refuse_non_finite(name, array)
    return array


def numeric_array(name: str, value, *, allow_complex: bool = False) -> np.ndarray:
    """Convert ``value`` to a float (or complex) array, refusing what is not one.

    Array-likes (lists, tuples, integer and boolean arrays) are converted with
    ``np.asarray`` (integers and booleans to float64). Refused with a message in terms of
    ``name``: ``np.matrix`` and masked arrays (which would silently compute something
    else), float16 and other precisions matgrad does not compute in, arrays of Python
    objects or text, ragged lists, complex numbers unless ``allow_complex``. NaN and inf
    pass (a claimed gradient with a NaN is a wrong answer to report, not bad input).
    """
    if type(value) is np.ndarray and value.dtype in _FLOATS:  # the common case, nothing to refuse
        return value
    _refuse_array_subclass(name, value)
    if isinstance(value, _NOT_ARRAYS) or callable(value):
        raise TypeError(
            f"{name} must be a numeric array (a numpy array or a list of numbers), "
            f"got {describe(value)}"
        )
    if isinstance(value, (list, tuple)):
        for index, entry in enumerate(value):
            _refuse_array_subclass(f"{name}[{index}]", entry)
    try:
        array = np.asarray(value)
    except (ValueError, TypeError, OverflowError) as error:  # ragged lists and the like
        ragged = "inhomogeneous" in str(error) or "sequence" in str(error)
        hint = ": its nested lists have different lengths (ragged rows)" if ragged else ""
        raise ValueError(f"{name} must be a numeric array, got {describe(value)}{hint}") from error
    _refuse_dtype(name, array, allow_complex)
    if array.dtype.kind in "biu":
        array = array.astype(np.float64)
    return array


def index_array(name: str, value, size: int, what: str) -> np.ndarray:
    """``value`` as an integer array whose entries lie in ``0..size − 1``, else a clear error.

    For indices into ``size`` things (rows of a table, classes), ``what`` naming them in the
    message. Floats are refused even when whole, and so are booleans (numpy would read them
    as masks); a negative entry too, which numpy would silently count from the end.
    """
    _refuse_array_subclass(name, value)
    if isinstance(value, _NOT_ARRAYS) or callable(value):
        raise TypeError(f"{name} must be an array of integers, got {describe(value)}")
    try:
        array = np.asarray(value)
    except (ValueError, TypeError, OverflowError) as error:  # ragged lists and the like
        raise ValueError(f"{name} must be an array of integers, got {describe(value)}") from error
    if array.dtype.kind not in "iu":
        kinds = {"b": "booleans", "f": "floats", "c": "complex numbers", "U": "text"}
        whole = array.dtype.kind == "f"
        hint = f": pass {name}.astype(np.int64) if they are whole numbers" if whole else ""
        raise TypeError(
            f"{name} must be integers, got {kinds.get(array.dtype.kind, 'values')} "
            f"(dtype {array.dtype}){hint}"
        )
    bad = (array < 0) | (array >= size)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        where = f" at position {first}" if array.ndim else ""
        raise ValueError(
            f"{name} must lie in 0..{size - 1} ({what}), got {int(array[first])}{where}"
            + (" (negative indices are not counted from the end here)" if array[first] < 0 else "")
        )
    return array


def boolean(name: str, value) -> bool:
    """Return ``value`` if it is True or False (a string such as "no" is not)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {describe(value)}")
    return bool(value)


def float_dtype(name: str, dtype) -> np.dtype:
    """``dtype`` as a numpy dtype if it is float32 or float64, else a clear error."""
    try:
        resolved = np.dtype(dtype)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"{name} must be float32 or float64 (np.float32, np.float64 or their names), "
            f"got {describe(dtype)}"
        ) from error
    if resolved not in _FLOATS:
        raise ValueError(f"{name} must be float32 or float64, got {resolved}")
    return resolved


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


def non_negative_int(name: str, value) -> int:
    """Return ``value`` as an int if it is a whole number >= 0 (a seed, say).

    Check a seed with this before ``np.random.default_rng``: numpy crashes the interpreter
    on an ``np.matrix`` seed and answers others in its own words.
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be a whole number >= 0, got {describe(value)}")
    if value < 0:
        raise ValueError(f"{name} must be a whole number >= 0, got {value}")
    return int(value)


def non_negative_float(name: str, value) -> float:
    """Return ``value`` as a float if it is finite and >= 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number >= 0, got {describe(value)}")
    try:
        number = float(value)
    except OverflowError:  # an int beyond float's range
        raise ValueError(
            f"{name} must be a finite number >= 0, got {reprlib.repr(value)}"
        ) from None
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {number}")
    return number


def positive_float(name: str, value) -> float:
    """Return ``value`` as a float if it is finite and > 0."""
    value = non_negative_float(name, value)
    if value == 0:
        raise ValueError(f"{name} must be > 0, got 0")
    return value
