"""How long a reader waits for the grader: one typed answer graded, per question.

    PYTHONPATH=src .venv/bin/python benchmarks/grader_latency.py

For every question of ``matgrad.book.grader.QUESTIONS`` this grades three answers: a correct
one (the slowest path: shape checks, then ``mg.check`` on every drawn problem), a wrong one
(a classic mistake: a FAIL on the first drawn problem, then the diagnosis) and an INVALID one
(refused before anything is computed), and prints a Markdown table of the median and worst
time over repeats, with the verdict each got.

Every timed call starts with the grader's problem cache emptied, so each one draws its
problems (networks, Algorithms 6.3 and 6.4) from scratch, as a reader's first answer does:
the times are an upper bound for a reader's next answers. The goal is well under 50 ms
natively (the live book runs the grader in Pyodide, several times slower).
"""

from __future__ import annotations

import statistics
import time

from _common import describe_machine, format_time
from _honesty import markdown_table

from matgrad.book import grader

ANSWERS = {  # question: (correct, wrong, invalid)
    "weight": ("g hᵀ + λ W", "h @ g.T + lam * W", "__import__('os')"),
    "bias": ("g", "g + lam * b", "g.__class__"),
    "back": ("W(k)ᵀ g", "W @ g", "np.zeros((5, 1))"),
    "pre": ("g ⊙ f'(a)", "g * f(a)", "lambda a: a"),
    "batch-weight": ("(1/m) G Hᵀ + λ W", "G @ H.T + lam * W", "9**9**9"),
    "row-weight": ("G.T @ X", "X.T @ G", "open('x')"),
    "row-input": ("G @ W", "G @ W.T", "G[0]"),
    "softmax-ce": ("p - y", "y - p", "f'{p}'"),
}
REPEATS = 25


def times(question: str, answer: str) -> tuple[list[float], str]:
    seconds, verdict = [], ""
    for _ in range(REPEATS):
        grader._problem.cache_clear()  # a first answer: every problem drawn from scratch
        start = time.perf_counter()
        result = grader.grade(question, answer)
        seconds.append(time.perf_counter() - start)
        verdict = result.verdict + (f" ({result.mistake})" if result.mistake else "")
    return seconds, verdict


def main() -> None:
    describe_machine()
    grader.grade("weight", "g hᵀ + λ W")  # imports and first calls out of the way
    rows, worst = [], 0.0
    for question, answers in ANSWERS.items():
        for kind, answer in zip(("correct", "wrong", "invalid"), answers, strict=True):
            seconds, verdict = times(question, answer)
            worst = max(worst, max(seconds))
            rows.append(
                [
                    question,
                    kind,
                    f"`{answer}`",
                    verdict,
                    format_time(statistics.median(seconds)),
                    format_time(max(seconds)),
                ]
            )
    print()
    print(markdown_table(["question", "answer", "typed", "grade", "median", "worst"], rows))
    print(f"\n{REPEATS} runs each; the worst of all: {format_time(worst)}")


if __name__ == "__main__":
    main()
