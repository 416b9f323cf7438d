"""Shared pieces of the gradient-check honesty benchmarks (cases and sweep).

Both scripts run against the gradient check before and after issue 12: the old report has
only ``passed``; the new one has ``verdict`` (PASS, FAIL or UNRESOLVED). An exception is an
outcome too, recorded by its type and the start of its message.
"""

from __future__ import annotations

import inspect
import os
import platform
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import matgrad as mg

PASS, FAIL, UNRESOLVED = "PASS", "FAIL", "UNRESOLVED"
VERDICTS = (PASS, FAIL, UNRESOLVED)


def verdict_of(report) -> str:
    """The report's verdict on either API (the old one has only ``passed``)."""
    return getattr(report, "verdict", PASS if report.passed else FAIL)


def check_keywords() -> set[str]:
    """The keyword arguments ``matgrad.gradient_check`` accepts in the code under test."""
    return set(inspect.signature(mg.gradient_check).parameters)


@dataclass
class Outcome:
    """What a call gave: a report (and its verdict), another value, or an exception."""

    verdict: str | None = None
    report: object = None
    value: object = None
    error: BaseException | None = None

    @property
    def raised(self) -> bool:
        return self.error is not None

    def text(self, width: int = 90) -> str:
        if self.error is not None:
            return shorten(describe_error(self.error), width)
        if self.report is not None:
            summary = self.report.summary()
            if not summary.startswith(self.verdict):  # say the verdict whatever the summary says
                summary = f"{self.verdict}; summary: {summary}"
            return shorten(summary, width)
        return shorten(f"returned {self.value!r}", width)


def attempt(call) -> Outcome:
    """Run ``call()``; a gradient-check report gives its verdict, an exception is kept."""
    try:
        value = call()
    except (Exception, MemoryError) as error:  # every exception is an outcome here
        return Outcome(error=error)
    if hasattr(value, "passed") and hasattr(value, "checks"):
        return Outcome(verdict=verdict_of(value), report=value)
    return Outcome(value=value)


def describe_error(error: BaseException, width: int = 70) -> str:
    message = " ".join(str(error).split())
    return f"{type(error).__name__}: {shorten(message, width)}"


def shorten(text: str, width: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def markdown_table(headers: list[str], rows: list[list[object]]) -> str:
    def cell(value) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = [
        "| " + " | ".join(map(cell, headers)) + " |",
        "|" + "|".join("---" for _ in headers) + "|",
    ]
    lines += ["| " + " | ".join(map(cell, row)) + " |" for row in rows]
    return "\n".join(lines)


def describe_run() -> str:
    """One line on what was measured: the matgrad under test, its API, and the machine."""
    source = Path(mg.__file__).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(source), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "-C", str(source), "log", "-1", "--format=%h", "--", "."],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        commit = f"HEAD {commit} (src/matgrad last changed in {changed})"
        dirty = subprocess.run(
            ["git", "-C", str(source), "status", "--porcelain", "--", "."],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        commit += " (uncommitted changes in src/matgrad)" if dirty else ""
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown commit"
    api = "new API (report.verdict)" if hasattr(mg, "UNRESOLVED") else "old API (report.passed)"
    keywords = ", ".join(sorted(check_keywords() - {"net", "x", "y"}))
    return (
        f"matgrad from {source} at {commit}; {api}; gradient_check keywords: {keywords}. "
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"numpy {np.__version__}."
    )


def float64_copy(net):
    """The same network (same weights, upcast) in float64: the reference for true gradients.

    Built with ``from_weights``, not ``MLP.astype``, so that the benchmarks also run against
    the matgrad of before issue 12, which had no ``astype``.
    """
    return mg.MLP.from_weights(
        [net.W[k].astype(np.float64) for k in range(1, net.l + 1)],
        [net.b[k].astype(np.float64) for k in range(1, net.l + 1)],
        activation=net.activation,
        output_activation=net.output_activation,
        loss=net.loss,
        regularizer=net.regularizer,
        lam=net.lam,
        reduction=net.reduction,
    )


def true_gradients(net, x, y):
    """Algorithm 6.4 in float64 on a float64 copy of ``net`` and of ``(x, y)``."""
    reference = float64_copy(net)
    return reference.gradients(np.asarray(x, np.float64), np.asarray(y, np.float64))


def with_changed(gradients, name: str, k: int, value) -> mg.Gradients:
    """A copy of ``gradients`` with ``∇name(k) J`` replaced by ``value``."""
    W, b = dict(gradients.W), dict(gradients.b)
    {"W": W, "b": b}[name][k] = value
    return mg.Gradients(W=W, b=b)


@dataclass
class Tally:
    """How the checks of a group of cases came out (gradient_check_sweep.py,
    gradient_check_unresolved.py): correct and wrong gradients, the lies (a wrong one
    passed, a correct one failed), UNRESOLVED ones of each, exceptions, cases skipped as
    harmless or not applicable, and the seconds the checks took."""

    correct: int = 0
    wrong: int = 0
    false_pass: int = 0
    false_fail: int = 0
    unresolved_correct: int = 0
    unresolved_wrong: int = 0
    raised: int = 0
    harmless: int = 0
    not_applicable: int = 0
    seconds: float = 0.0

    def add(self, other: Tally) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))
