"""The grader: a reader types a gradient, the book checks it against the cost and names the
mistake.

Used in: no chapter yet (issue 25 adds the pages that ask); the tests and
benchmarks/grader_latency.py call it.

``grade("weight", "g hᵀ + λ W")`` reads the answer (numpy or the book's notation,
:mod:`matgrad.book.answers`) and grades it on problems of :data:`QUESTIONS`
(:mod:`matgrad.book.problems`) in three steps:

1. **shape**: the answer is evaluated on problem 0 (fixed, non-square sizes) and on
   :data:`PROBLEMS` freshly drawn ones (other sizes); a product whose shapes clash, or a value
   without the shape of what is differentiated, is a FAIL that says which shapes and why;
2. **numbers**: on each drawn problem, :func:`matgrad.check` compares the value with finite
   differences of the cost itself (``J`` as a function of ``W(k)``, ``h(k-1)``, ...). Its
   verdict is the grade's: FAIL if any problem fails, else UNRESOLVED if any is unresolved,
   else PASS. The problems are drawn from a hash of the answer as read, so grading is
   deterministic, and their distinct widths and random data leave no room for an answer
   right only by coincidence (a square layer, symmetric data, numbers copied from a problem);
3. **diagnosis**: a FAIL's value is compared with the classic mistakes of the question, the
   true gradient transformed (transposed, sign, ``λ`` term missing, ...) on the same problems,
   and the grade names the one it matches (:data:`MISTAKES_CATALOGUE`, with a hint and the
   section that explains it). An answer whose shapes clash is compared on square problems,
   where the mistaken products can be formed.

A :class:`Grade` prints as text and as HTML in a notebook. An answer that cannot be read is
``INVALID``, with what was not understood and how to write it.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

import matgrad as mg
from matgrad._text import html_text
from matgrad.book.answers import ShapeClash, read, shape_text
from matgrad.book.notation import Invalid, names_text
from matgrad.book.problems import QUESTIONS, Problem, Question

__all__ = ["INVALID", "MISTAKES_CATALOGUE", "QUESTIONS", "Grade", "grade", "grade_function"]

PASS, FAIL, UNRESOLVED, INVALID = "PASS", "FAIL", "UNRESOLVED", "INVALID"
PROBLEMS = 3
"""Freshly drawn problems on which the numbers are checked."""
SQUARES = 2
"""Square problems on which an answer whose shapes clash is compared with the mistakes."""
MATCH = 1e-6
"""Relative error (:func:`matgrad.relative_error`) under which a value *is* a mistake's."""

_BOTTOM = "minibatches.html#sum-or-mean-and-what-that-does-to-lambda"
_LINE3 = "backward.html#line-3-through-the-activation-g-odot-f-a-k"
_LINE6 = "backward.html#line-6-the-second-transpose-w-k-top-g"
_ATTENTION = "attention-norms.html#attention"
MISTAKES_CATALOGUE: dict[str, tuple[str, str]] = {
    # Names shared with matgrad.MISTAKES (the bug zoo's Algorithm 6.4) mean the same mistake.
    "h_g_transpose": (
        "The right numbers, transposed: the transpose sits on the wrong factor. Entry (i, j) "
        "of a gradient belongs to entry (i, j) of what it differentiates, so it has its shape.",
        "why-transpose.html#derivation-2-shapes-the-only-product-that-fits",
    ),
    "sign": (
        "The sign is flipped: a gradient points the way J grows. Gradient descent subtracts "
        "it; the gradient itself carries no minus.",
        "why-transpose.html#derivation-1-index-notation-one-weight-at-a-time",
    ),
    "missing_lambda": (
        "The penalty's term λ ∇W(k) Ω = λ W(k) is missing: J contains λ Ω, so its gradient "
        "does too.",
        "regularizer.html#the-term-alone",
    ),
    "double_lambda": (
        "2λ W(k) is the gradient of λ Σ W², but here Ω = ½ Σ‖W‖², whose gradient is W: the "
        "½ cancels the 2.",
        "regularizer.html#l2-weight-decay-lambda-w-or-2-lambda-w",
    ),
    "regularized_bias": (
        "λ b(k) is the gradient of a bias penalty that J does not contain: Ω sums over the "
        "weights only.",
        "regularizer.html#why-the-biases-are-left-out",
    ),
    "sum_for_mean": (
        "The 1/m is missing: J averages the losses, and G, the gradient of their sum, has no "
        "1/m in it.",
        _BOTTOM,
    ),
    "double_mean": ("The 1/m is applied twice: the mean divides the losses' term once.", _BOTTOM),
    "mean_penalty": (
        "The 1/m divides λ W(k) too: averaging divides the losses' term only; λ Ω stands "
        "outside the mean.",
        _BOTTOM,
    ),
    "summed_cost": (
        "This is the gradient of the summed cost Σ L_i + m λ Ω, m times the gradient of this "
        "J, which averages.",
        _BOTTOM,
    ),
    "missing_f_prime": (
        "The factor f′(a(k)) is missing: h(k) = f(a(k)), so the chain rule multiplies g by "
        "f′(a(k)), entry by entry.",
        _LINE3,
    ),
    "f_for_f_prime": (
        "f(a(k)) stands where its derivative f′(a(k)) belongs: the chain rule multiplies by "
        "the slope of f, not by its value.",
        _LINE3,
    ),
    "wrong_layer": (
        "h(k) is the layer's output; W(k) multiplies the layer's input h(k-1), and the "
        "gradient pairs g with what W(k) multiplies.",
        "backward.html#line-5-the-weight-gradient-g-h-k-1-top",
    ),
    "inverse_for_transpose": (
        "An inverse (W⁻¹, or the pseudo-inverse W⁺) stands where the transpose belongs: the "
        "gradient travels back along the adjoint Wᵀ, which exists for every shape.",
        "backward.html#the-transpose-is-an-adjoint-not-an-inverse",
    ),
    "wrong_side": (
        "gᵀ W(k) puts W(k) on the wrong side: it is the gradient transposed, a row, where the "
        "book's column convention keeps a column.",
        _LINE6,
    ),
    "dropped_transpose": (
        "W(k) g drops the transpose: W(k) maps layer k-1 to layer k, and the gradient travels "
        "the other way.",
        _LINE6,
    ),
    "wrong_product": (
        "An entrywise product where a matrix product belongs, or the reverse: ⊙ multiplies "
        "entries at the same position, a matrix product sums over a shared index.",
        "why-transpose.html#derivation-1-index-notation-one-weight-at-a-time",
    ),
    "column_rule": (
        "A formula of the column convention applied to arrays with examples as rows: with "
        "Y = X Wᵀ the transposes sit on other factors.",
        "minibatches.html#the-row-convention-y-x-w-top-b",
    ),
    "gradient_in_yhat": (
        "−y ⊘ ŷ is the gradient with respect to ŷ; z reaches J through ŷ = softmax(z), and "
        "the chain rule through the softmax simplifies it a great deal.",
        "backward.html#line-1-the-gradient-on-the-output",
    ),
    "product_sides": (
        "Each factor of a product Y = A B keeps its side of G: ∇A J = G Bᵀ has B on the "
        "right, ∇B J = Aᵀ G has A on the left, each transposed so that the shapes fit.",
        _ATTENTION,
    ),
    "through_softmax": (
        "P ⊙ (…) is the softmax's Jacobian at work, the gradient on the scores one step "
        "further back; ∇P J stops before it, with P's entries free.",
        _ATTENTION,
    ),
    "rows_for_table": (
        "G holds one gradient per lookup (m rows); the table's gradient has one row per row of "
        "W, where each row of G lands on the row it was read from, repeats adding up.",
        "attention-norms.html#embeddings",
    ),
}
"""Mistake name → (a one-line hint in the book's names, the section that explains it)."""


@dataclass(frozen=True)
class Grade:
    """A graded answer: ``verdict`` (``PASS``, ``FAIL``, ``UNRESOLVED`` or ``INVALID``), the
    ``mistake`` it matches (a key of :data:`MISTAKES_CATALOGUE`, or None), a ``message`` in
    plain words, ``python`` (the numpy expression the answer was read as), ``link`` (the
    section to read) and ``reports`` (:func:`matgrad.check`'s, one per problem checked)."""

    question: str
    answer: str
    verdict: str
    message: str
    mistake: str | None = None
    python: str | None = None
    link: str | None = None
    reports: tuple = ()

    def __str__(self) -> str:
        title = self.verdict + (f" ({self.mistake})" if self.mistake else "")
        lines = [f"{title}: {self.message}"]
        if self.python is not None:
            lines.append(f"Read as: {self.python}")
        if self.link:
            lines.append(f"See: {self.link}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        title = html.escape(self.verdict + (f" ({self.mistake})" if self.mistake else ""))
        parts = [f"<p><b>{title}</b>: {html_text(self.message)}</p>"]
        if self.python is not None:
            parts.append(f"<p>Read as <code>{html.escape(self.python)}</code></p>")
        if self.link:
            link = html.escape(self.link, quote=True)
            parts.append(f'<p><a href="{link}">Read why</a></p>')
        return f'<div class="matgrad-grade">{"".join(parts)}</div>'


def _question(question_id) -> Question:
    if not isinstance(question_id, str) or question_id not in QUESTIONS:
        raise ValueError(
            f"unknown question {question_id!r}: expected one of {', '.join(map(repr, QUESTIONS))}"
        )
    return QUESTIONS[question_id]


def grade(question_id: str, answer: str) -> Grade:
    """Grade ``answer``, a reader's typed gradient, for the question ``question_id``.

    ``answer`` is numpy (``g @ h.T + lam * W``) or the book's notation (``g hᵀ + λ W``) in
    the names the question lists. Raises ValueError for an unknown question (listing the
    ids) and TypeError for an answer that is not a string.
    """
    question = _question(question_id)
    if not isinstance(answer, str):
        raise TypeError(f"answer must be a string such as 'g @ h.T', got {type(answer).__name__}")
    try:
        expression = read(answer, question.symbols)
    except Invalid as why:
        return Grade(question.id, answer, INVALID, f"The answer could not be read: {why}.")
    return _grade(question, answer, expression.python, expression.names, expression.evaluate)


def grade_function(
    question_id: str, function: Callable[[dict], object], *, text: str = ""
) -> Grade:
    """Grade the value ``function(values)`` computes from a problem's ``values`` (name →
    array, number or function, the names of the question's symbols) as an answer, by the
    same steps as :func:`grade`. ``text`` seeds the problems (answers with one text meet the
    same problems)."""
    question = _question(question_id)
    seed_text = text or getattr(function, "__qualname__", "")  # never an address: deterministic
    return _grade(question, text, None, frozenset(), function, seed_text=seed_text)


@lru_cache(maxsize=512)
def _problem(question_id: str, seed: int, square: bool) -> Problem:
    return QUESTIONS[question_id].draw(seed, square)


def _seeds(question: Question, text: str) -> list[int]:
    """:data:`PROBLEMS` seeds (≥ 1; problem 0 has seed 0) from a hash of the answer as read."""
    digest = hashlib.sha256(f"{question.id}\n{text}".encode()).digest()
    return [1 + int.from_bytes(digest[4 * i : 4 * i + 4], "little") for i in range(PROBLEMS)]


def _frozen(values: dict) -> dict:
    """Read-only copies of a problem's arrays: an answer must not change the problem."""
    frozen = {}
    for name, value in values.items():
        if isinstance(value, np.ndarray):
            value = value.copy()
            value.flags.writeable = False
        frozen[name] = value
    return frozen


def _grade(question, answer, python, names, evaluate, *, seed_text=None) -> Grade:
    """Steps 1 to 3 of the module docstring, on problem 0 and the drawn problems."""
    seeds = [0, *_seeds(question, python if seed_text is None else seed_text)]
    problems = [_problem(question.id, seed, False) for seed in seeds]
    result = dict(question=question.id, answer=answer, python=python)
    values = []
    for index, problem in enumerate(problems):  # 1. shapes, on every problem
        try:
            value = np.asarray(evaluate(_frozen(problem.values)), dtype=np.float64)
        except Invalid as why:
            return Grade(
                verdict=INVALID, message=f"The answer could not be computed: {why}.", **result
            )
        except ShapeClash as clash:
            message = f"The shapes do not fit ({_where(problem, index)}): {clash}."
            return _failed(question, message, _on_squares(question, evaluate), result)
        values.append(value)
        if value.shape != problem.point.shape:
            message = _shape_message(question, problem, index, value, names, python)
            return _failed(question, message, _matches(question, problems, values), result)
        if not np.all(np.isfinite(value)):
            message = f"The answer holds NaN or ±inf ({_where(problem, index)})."
            return Grade(verdict=FAIL, message=message, link=question.section, **result)
    reports = []
    for index in range(1, len(problems)):  # 2. numbers, on the drawn problems
        problem = problems[index]
        label = problem.label
        reports.append(mg.check(problem.cost, {label: problem.point}, {label: values[index]}))
        if reports[-1].verdict == FAIL:
            message = (
                f"The answer has the shape of {question.label} but not the gradient's values: "
                f"on {_where(problem, index)}, against the cost's own finite differences, "
                f"{reports[-1].summary()}."
            )
            if not names and python is not None:
                message += _NO_NAMES.format(names=names_text(question.symbols))
            match = _matches(question, problems, values)  # 3. the diagnosis
            return _failed(question, message, match, result, reports)
    sizes = "; ".join(problem.sizes for problem in problems[1:])
    if any(report.verdict == UNRESOLVED for report in reports):
        message = (
            f"The finite differences cannot decide on every problem ({sizes}): nothing says the "
            "answer is wrong, nor that it is right. "
            + " ".join(r.summary() for r in reports if r.verdict == UNRESOLVED)
        )
        verdict = UNRESOLVED
    else:
        message = (
            f"This is ∇{question.label} J: it agrees with the cost's own finite differences on "
            f"{len(reports)} problems of different sizes ({sizes})."
        )
        verdict = PASS
    return Grade(
        verdict=verdict, message=message, link=question.section, reports=tuple(reports), **result
    )


_NO_NAMES = (
    " The answer uses none of the question's names ({names}): numbers typed in are right on one "
    "problem at most."
)


def _where(problem: Problem, index: int) -> str:
    return f"problem {index}: {problem.sizes}"


def _shape_message(question, problem, index, value, names, python) -> str:
    produced = {0: "a number", 1: f"a flat array of {value.size} entries"}.get(
        value.ndim, shape_text(value.shape)
    )
    message = (
        f"The answer is {produced}, but a gradient has the shape of what it "
        f"differentiates: {question.label} is {question.shape}, here "
        f"{shape_text(problem.point.shape)} ({_where(problem, index)})."
    )
    if value.size == problem.point.size and value.ndim < problem.point.ndim:
        message += " Keep the column: np.sum(..., keepdims=True) keeps it."
    if index > 0:
        message += " Its shape does not follow the problem's sizes, which differ from problem 0's."
    if not names and python is not None:
        message += _NO_NAMES.format(names=names_text(question.symbols))
    return message


def _failed(question, message, match, result, reports=()) -> Grade:
    """A FAIL, with the mistake ``match`` names (or none) and the section to read."""
    if match is None:
        return Grade(
            verdict=FAIL,
            message=message + " It matches no classic mistake.",
            link=question.section,
            reports=tuple(reports),
            **result,
        )
    if match == "square":
        return Grade(
            verdict=FAIL,
            message=message + " It would be right only where the layer is square: the shapes "
            "are what tell the right product from the wrong ones.",
            link=question.section,
            reports=tuple(reports),
            **result,
        )
    name, formula = match
    hint, link = MISTAKES_CATALOGUE[name]
    return Grade(
        verdict=FAIL,
        message=f"{message} It equals {formula}, a classic mistake ({name}): {hint}",
        mistake=name,
        link=link,
        reports=tuple(reports),
        **result,
    )


def _same(value: np.ndarray, reference: np.ndarray) -> bool:
    return (
        value.shape == reference.shape
        and bool(np.all(np.isfinite(value)))
        and mg.relative_error(value, reference) <= MATCH
    )


def _matches(question: Question, problems, values):
    """The first of the question's mistakes that the values equal on every problem."""
    for name, formula, mistake in question.mistakes:
        try:
            if all(_same(v, mistake(p.values)) for p, v in zip(problems, values, strict=False)):
                return name, formula
        except (ValueError, np.linalg.LinAlgError):  # the mistake's own shapes clash here
            continue
    return None


def _on_squares(question: Question, evaluate):
    """For an answer whose shapes clash: the mistake it is on square problems, "square" if
    it is right there, or None."""
    problems = [_problem(question.id, seed, True) for seed in range(1, SQUARES + 1)]
    try:
        values = [np.asarray(evaluate(_frozen(p.values)), dtype=np.float64) for p in problems]
    except (Invalid, ShapeClash):
        return None
    if all(_same(v, p.truth) for p, v in zip(problems, values, strict=True)):
        return "square"
    return _matches(question, problems, values)
