"""The seeded example networks and data the chapters, widgets and tests share.

Used in: questions and checking-gradients (``example_problem``), the widgets that run a
network (the gradient checker also reads the widths a reader types with ``parse_widths``),
and the tests.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from matgrad.network import MLP

DEFAULT_WIDTHS = (3, 4, 2)
"""The widgets' network: ``n_0 = 3`` inputs, ``n_1 = 4`` hidden units, ``n_2 = 2`` outputs."""


def one_hot(n: int, m: int, rng: np.random.Generator) -> np.ndarray:
    """``m`` one-hot columns of ``n`` classes, ``(n, m)``, with labels drawn from ``rng``:
    targets for softmax cross-entropy."""
    return np.eye(n)[:, rng.integers(0, n, size=m)]


def example_problem(
    widths: Sequence[int],
    *,
    activation: str = "tanh",
    loss: str = "squared_error",
    lam: float = 0.1,
    m: int = 1,
    seed: int = 0,
    **options,
) -> tuple[MLP, np.ndarray, np.ndarray]:
    """A seeded network and minibatch: ``x`` is ``(n_0, m)``, ``y`` ``(n_l, m)``.

    ``x`` and a squared-error ``y`` are standard normal; for softmax cross-entropy ``y`` is
    one-hot and the output layer defaults to the identity (its outputs are logits).
    ``options`` are further keywords of :class:`matgrad.MLP` (``output_activation``,
    ``regularizer``, ``reduction``, ``dtype``); ``x`` and ``y`` come in the network's dtype.
    """
    softmax = loss == "softmax_cross_entropy"
    options.setdefault("output_activation", "identity" if softmax else None)
    net = MLP(list(widths), seed=seed, activation=activation, loss=loss, lam=lam, **options)
    rng = np.random.default_rng(seed + 1)
    x = rng.normal(size=(widths[0], m))
    y = one_hot(widths[-1], m, rng) if softmax else rng.normal(size=(widths[-1], m))
    return net, x.astype(net.dtype), y.astype(net.dtype)


def parse_widths(text: str, *, max_width: int = 12, max_depth: int = 5) -> list[int]:
    """``"3-4-2"`` (or ``"3, 4, 2"``) → ``[3, 4, 2]``, with a clear ``ValueError`` otherwise.

    Separators are ``-``, ``,`` or spaces, one at a time (spaces around a separator are
    fine). A separator at either end or two in a row is refused rather than skipped, and
    a ``-`` that starts a number is read as a sign: ``"-3-2"``, ``"3--2"`` and ``"3, -2"``
    are errors (a width cannot be negative), never ``[3, 2]``. Non-text is a ValueError
    too, so the widget's text box can show every message.
    """
    if not isinstance(text, str):
        raise ValueError(f"widths are text like 3-4-2; got {type(text).__name__} {text!r}")
    example = "whole numbers separated by '-', like 3-4-2"
    stripped = text.strip()
    if not stripped:
        raise ValueError(f"widths are {example}; got nothing")
    # A '-' that starts a number (at the start, or after a separator or a space) is a sign.
    negative = re.search(r"(?:^|[-,\s])-(\d+)", stripped)
    if negative:
        raise ValueError(
            f"widths are {example}; got {text!r}: a width cannot be negative (-{negative[1]})"
        )
    # One separator between widths: '-' or ',' (spaces around it allowed), or spaces alone.
    parts = re.split(r"\s*[-,]\s*|\s+", stripped)
    if "" in parts:
        raise ValueError(
            f"widths are {example}; got {text!r}: a separator at the start or end, or two in a row"
        )
    if not all(part.isascii() and part.isdigit() for part in parts):
        raise ValueError(f"widths are {example}; got {text!r}")
    if any(len(part) > 6 for part in parts):  # int() refuses over 4300 digits, with its own text
        raise ValueError(f"each width must be 1 to {max_width}; got {text!r}")
    widths = [int(part) for part in parts]
    if not 2 <= len(widths) <= max_depth + 1:
        raise ValueError(f"give 2 to {max_depth + 1} widths (an input, up to {max_depth} layers)")
    if not all(1 <= n <= max_width for n in widths):
        raise ValueError(f"each width must be 1 to {max_width}; got {widths}")
    return widths
