"""How long a reader waits for the grader: one typed answer graded, per question.

    PYTHONPATH=src .venv/bin/python benchmarks/grader_latency.py [--browser]

For every question of ``matgrad.book.grader.QUESTIONS`` this grades three answers: a correct
one (the slowest path: shape checks, then ``mg.check`` on every drawn problem), a wrong one
(a classic mistake: a FAIL on the first drawn problem, then the diagnosis) and an INVALID one
(refused before anything is computed), and prints a Markdown table of the median and worst
time over repeats, with the verdict each got.

Every timed call starts with the grader's problem cache emptied, so each one draws its
problems (networks, Algorithms 6.3 and 6.4) from scratch, as a reader's first answer does:
the times are an upper bound for a reader's next answers. The goal is well under 50 ms
natively (the live book runs the grader in Pyodide, several times slower).

``--browser`` times the same answers as a reader of the website meets them (the built site in
_build/html, served on 127.0.0.1, in Debian's Chromium): on the first page that has the
question's answer box, made live (Pyodide in the page's worker), from the press of Check to
the verdict drawn in the box. The first grade of an answer draws its problems; the next
ones (the median of the rest) find them drawn. The goal is under 300 ms.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from pathlib import Path

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
    "softmax-ce": ("ŷ - y", "y - ŷ", "f'{yhat}'"),
    "linear-weight": ("Gᵀ X", "G.T @ X / m", "W.grad"),
    "attention-v": ("Pᵀ G", "P @ G", "P[0]"),
    "attention-p": ("G Vᵀ", "P * (G @ V.T)", "g Vᵀ"),
    "embedding-weight": ("Eᵀ G", "np.linalg.pinv(E) @ G", "onehot(indices)"),
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


# From the press of Check (in the page, so no round trip to Playwright is timed) until the
# box's status shows a verdict word.
TIME_CHECK = """async box => {
  const status = () => box.querySelector('[role="status"]').innerText;
  const started = performance.now();
  box.querySelector('button').click();
  while (!/^(PASS|FAIL|UNRESOLVED|INVALID)/m.test(status())) {
    await new Promise(requestAnimationFrame);
  }
  return [performance.now() - started, status().split('\\n')[0]];
}"""


def answer_boxes() -> dict[str, tuple[str, int]]:
    """Question → (the first page with its answer box, the box's index among its widgets)."""
    root = Path(__file__).resolve().parent.parent
    sys.path[:0] = [str(root / "tests"), str(root / "book" / "_ext")]
    from site_support import WIDGET_VIEW, toc_pages

    found = {}
    for page in toc_pages():
        path = root / f"{page}.ipynb"
        if not path.exists():
            continue
        cells = json.loads(path.read_text())["cells"]
        codes = [
            "".join(cell["source"])
            for cell in cells
            if any(WIDGET_VIEW in out.get("data", {}) for out in cell.get("outputs", []))
        ]
        for index, code in enumerate(codes):
            named = re.search(r'make_answer_box\("([\w-]+)"\)', code)
            if named and named.group(1) not in found:
                found[named.group(1)] = (page, index)
    return found


def browser_main() -> None:
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from site_support import CHROMIUM_ARGS, serve_site

    describe_machine()
    url, httpd = serve_site()
    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        page = browser.new_page()
        shown = None
        for question, (chapter, index) in sorted(answer_boxes().items(), key=lambda i: i[1]):
            if chapter != shown:
                page.goto(f"{url}/{chapter}.html")
                shown = chapter
            panel = page.locator(".matgrad-live-widget").nth(index)
            panel.locator("button.matgrad-go-live").click()
            cell = panel.locator(
                "xpath=ancestor::*[contains(concat(' ', @class, ' '), ' cell ')][1]"
            )
            box = cell.locator(".matgrad-live-output .matgrad-answer-box")
            box.wait_for(timeout=300_000)
            for kind, answer in zip(
                ("correct", "wrong", "invalid"), ANSWERS[question], strict=True
            ):
                seconds, verdict = [], ""
                box.locator("input").fill(answer)
                for _ in range(6):
                    box.locator('[role="status"]', has_text="Type your answer").wait_for()
                    ms, verdict = box.evaluate(TIME_CHECK)
                    seconds.append(ms / 1000)
                    box.locator("input").press("End")
                    box.locator("input").press_sequentially(" ")  # an edit: the box clears
                rows.append(
                    [
                        question,
                        kind,
                        f"`{answer}`",
                        verdict,
                        format_time(seconds[0]),
                        format_time(statistics.median(seconds[1:])),
                        format_time(max(seconds)),
                    ]
                )
        browser.close()
    httpd.shutdown()
    print()
    header = ["question", "answer", "typed", "grade", "first", "median after", "worst"]
    print(markdown_table(header, rows))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--browser", action="store_true", help="in Chromium, on the live site")
    if parser.parse_args().browser:
        browser_main()
    else:
        main()
