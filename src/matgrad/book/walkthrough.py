"""Algorithm 6.4 one executed line at a time, as the backward-pass stepper shows it.

Used in: backward (``backward_frames``) and the backward-pass stepper widget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from matgrad.book.examples import DEFAULT_WIDTHS, example_problem
from matgrad.network import ALGORITHM_6_4


@dataclass
class Frame:
    """One line of Algorithm 6.4 as the stepper shows it."""

    line: int
    k: int | None
    statement: str
    result: str
    value: np.ndarray
    g: np.ndarray
    gradients: dict[str, np.ndarray] = field(default_factory=dict)


def backward_frames(
    widths: Sequence[int] = DEFAULT_WIDTHS, *, lam: float = 0.1, m: int = 1, seed: int = 0
) -> list[Frame]:
    """Every executed line of Algorithm 6.4 on a seeded example, with the gradients so far."""
    net, x, y = example_problem(widths, lam=lam, m=m, seed=seed)
    trace = net.backward(net.forward(x, y), y).trace
    frames, done = [], {}
    for step in trace:
        if step.result.startswith("∇"):
            done = {**done, step.result: step.value}
        frames.append(
            Frame(
                step.line,
                step.k,
                ALGORITHM_6_4[step.line].strip(),
                step.result,
                step.value,
                step.g,
                done,
            )
        )
    return frames
