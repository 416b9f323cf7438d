"""The answer box ("Your turn"), driven headlessly: type, press Check, read the panel."""

import html
import json
import re
import sys
from pathlib import Path

import ipywidgets as w
import pytest
from test_book_widgets import PHONE_COLUMN, _all_parts, _px

from matgrad.book import grader, widgets

ROOT = Path(__file__).resolve().parent.parent
# A right answer to every question, as a reader might type it (numpy or the notation).
RIGHT = {
    "weight": "g hᵀ + λ W",
    "bias": "g",
    "back": "W(k)ᵀ g",
    "pre": "g ⊙ f′(a(k))",
    "batch-weight": "G @ H.T / m + lam * W",
    "row-weight": "Gᵀ X",
    "row-input": "G W",
    "softmax-ce": "ŷ - y",
    "linear-weight": "Gᵀ X",
    "attention-v": "Pᵀ G",
    "attention-p": "G Vᵀ",
    "embedding-weight": "Eᵀ G",
}


def _text(panel: str) -> str:
    """What a reader sees in the panel: its text, tags removed, entities read."""
    return " ".join(html.unescape(re.sub(r"<[^>]*>", " ", panel)).split())


def _typed(question_id: str, answer: str) -> widgets.AnswerBox:
    box = widgets.make_answer_box(question_id)
    box.answer.value = answer
    box.check_button.click()
    return box


def test_every_question_has_a_box_and_its_right_answer_passes():
    assert set(RIGHT) == set(grader.QUESTIONS)
    for question_id, question in grader.QUESTIONS.items():
        box = widgets.make_answer_box(question_id)
        assert box.question is question and box.grade is None and box.verdict is None
        assert box.answer.description == f"∇{question.label} J ="
        prompt = _text(box.prompt.value)
        assert question.prompt in prompt
        for symbol in question.symbols:  # every name, with its shape where it has one
            assert symbol.book in prompt and symbol.meaning in prompt
        box.answer.value = RIGHT[question_id]
        box.check_button.click()
        assert box.verdict == "PASS", (question_id, box.grade.message)
        assert widgets.VERDICT_COLOURS["PASS"] in box.panel.value


def test_a_classic_mistake_fails_with_its_name_its_hint_and_the_section_to_read():
    box = _typed("weight", "h(k-1) gᵀ")
    assert box.verdict == "FAIL" and box.grade.mistake == "h_g_transpose"
    hint, link = grader.MISTAKES_CATALOGUE["h_g_transpose"]
    shown = _text(box.panel.value)
    assert "FAIL (h_g_transpose)" in shown
    assert f"Hint: {hint}" in shown and shown.count(hint) == 1  # said once
    assert "W(k) is n_k × n_(k-1)" in shown  # the grader's message, after the hint
    assert "Read as h @ g.T" in shown
    assert widgets.VERDICT_COLOURS["FAIL"] in box.panel.value
    assert widgets.VERDICT_COLOURS["PASS"] not in box.panel.value
    href = re.search(r'<a href="([^"]+)"', box.panel.value)[1]
    assert href == widgets.section_href(link)
    assert repr(box) == "AnswerBox(weight: ∇W(k) J = 'h(k-1) gᵀ' -> FAIL (h_g_transpose))"


@pytest.mark.parametrize("question_id", list(grader.QUESTIONS))
def test_each_questions_first_mistake_is_named_in_the_box(question_id):
    name, formula, _ = grader.QUESTIONS[question_id].mistakes[0]
    box = _typed(question_id, formula)
    assert box.verdict == "FAIL" and box.grade.mistake == name
    assert grader.MISTAKES_CATALOGUE[name][0] in _text(box.panel.value)


def test_any_edit_clears_the_verdict_at_once():
    box = _typed("back", "W(k)ᵀ g")
    assert box.verdict == "PASS"
    box.answer.value = "W(k)ᵀ g "  # one space more: not the answer that was graded
    assert box.grade is None and box.verdict is None
    assert box.panel.value == widgets._note(widgets.INSTRUCTIONS)
    for stale in ("PASS", "FAIL", "Read as"):
        assert stale not in box.panel.value
    assert repr(box) == "AnswerBox(back: ∇h(k-1) J = 'W(k)ᵀ g ' -> not checked)"
    box.check_button.click()
    assert box.verdict == "PASS"
    box.answer.value = "W(k) g"
    box.check_button.click()
    assert box.verdict == "FAIL" and box.grade.mistake == "dropped_transpose"


def test_an_answer_that_cannot_be_read_is_invalid_and_says_why():
    box = _typed("weight", "g @@ h")
    assert box.verdict == "INVALID" and box.grade.mistake is None
    shown = _text(box.panel.value)
    assert shown.split()[0] == "INVALID" and "could not be read" in shown
    assert widgets.VERDICT_COLOURS["INVALID"] in box.panel.value
    assert "<a " not in box.panel.value  # no section: nothing was graded


@pytest.mark.parametrize("empty", ["", "   ", "\n\t"])
def test_an_empty_answer_gets_a_plain_message_not_a_grade(empty):
    box = _typed("bias", empty)
    assert box.grade is None and box.verdict is None
    assert box.panel.value == widgets._note(widgets.EMPTY)
    assert repr(box) == f"AnswerBox(bias: ∇b(k) J = {empty!r} -> empty)"


def test_whatever_the_grader_raises_is_a_message_never_a_traceback(monkeypatch):
    box = _typed("weight", "g hᵀ + λ W")
    assert box.verdict == "PASS"

    def broken(*args):
        raise KeyError("problem 2")

    monkeypatch.setattr(grader, "grade", broken)
    box.answer.value = "g hᵀ + λ W(k)"
    box.check_button.click()  # must not raise
    assert box.grade is None and box.verdict is None
    shown = _text(box.panel.value)
    assert "could not be checked" in shown and "KeyError" in shown and "PASS" not in shown
    monkeypatch.undo()
    box.check_button.click()
    assert box.verdict == "PASS"


def test_enter_in_the_box_checks_like_the_button():
    box = widgets.make_answer_box("pre")
    box.answer.value = "g"
    box.answer._handle_custom_msg({"event": "submit"}, [])  # what the view sends on Enter
    assert box.verdict == "FAIL" and box.grade.mistake == "missing_f_prime"
    box.answer._handle_custom_msg({"event": "something else"}, [])
    assert box.verdict == "FAIL"


def test_the_first_panel_tells_how_to_check_on_the_site_and_in_jupyter():
    box = widgets.make_answer_box("softmax-ce")
    shown = _text(box.panel.value)
    assert "press Check" in shown and "“Make this widget live”" in shown
    assert len(shown.split()) < 40  # short: the snapshot on the site shows it
    assert repr(box) == "AnswerBox(softmax-ce: ∇z J = '' -> empty)"


def test_the_placeholder_shows_the_notation_and_is_no_answer():
    for question_id in grader.QUESTIONS:
        box = widgets.make_answer_box(question_id)
        assert box.answer.placeholder == widgets.PLACEHOLDER and box.answer.continuous_update
        for example in re.findall(r"  (\S+ \S+)", widgets.PLACEHOLDER):  # a @ b.T, a bᵀ
            assert grader.grade(question_id, example).verdict != "PASS"


# --- where the links go ---------------------------------------------------------------------

SECTION = "backward.html#line-6-the-second-transpose-w-k-top-g"


def test_a_sections_link_in_each_place_the_widget_runs():
    assert widgets.section_href(SECTION, "page") == SECTION
    assert widgets.section_href(SECTION, "jupyter") == (
        "backward.ipynb#line-6-the-second-transpose-wktop-g"  # jupyterlab-myst's id
    )
    assert widgets.section_href(SECTION, "lite") == "../../" + SECTION
    assert widgets.section_href("regularizer.html", "jupyter") == "regularizer.ipynb"
    with pytest.raises(ValueError, match="page, lite, jupyter"):
        widgets.section_href(SECTION, "colab")


def test_every_link_the_box_can_show_opens_its_heading_on_the_site_and_in_jupyterlab():
    from docutils.nodes import make_id
    from myst_parser.mdit_to_docutils.base import default_slugify

    sections = {q.section for q in grader.QUESTIONS.values()}
    sections |= {link for _, link in grader.MISTAKES_CATALOGUE.values()}
    for section in sections:
        page, _, site_id = section.partition("#")
        notebook, _, notebook_id = widgets.section_href(section, "jupyter").partition("#")
        cells = json.loads((ROOT / "book" / notebook).read_text())["cells"]
        markdown = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        # The site's id of a heading, and the slug jupyterlab-myst (and the chapters' own
        # links, tests/test_notebooks.py) use: level 1 or 2 (myst_heading_anchors: 2).
        ids = {
            make_id(heading.replace("$", "")): default_slugify(heading)
            for heading in re.findall(r"^#{1,2} (.+)$", markdown, re.M)
        }
        assert page == notebook.replace(".ipynb", ".html") and ids.get(site_id) == notebook_id
    # Some headings have maths, where the two ids differ; no entry is left over.
    assert widgets.NOTEBOOK_ANCHORS
    assert set(widgets.NOTEBOOK_ANCHORS) <= {section.partition("#")[2] for section in sections}


def test_the_runtime_is_read_from_the_python_the_widget_runs_in(monkeypatch):
    assert widgets.runtime() == "jupyter"  # the tests' Python: a kernel's
    monkeypatch.setattr(sys, "platform", "emscripten")
    assert widgets.runtime() == "lite"  # Pyodide in JupyterLite's kernel
    monkeypatch.setitem(sys.modules, "live_bridge", object())
    assert widgets.runtime() == "page"  # Pyodide in the page's worker, with its bridge
    box = _typed("back", "W(k) g")
    link = grader.MISTAKES_CATALOGUE["dropped_transpose"][1]
    assert f'<a href="{link}" target="_blank" rel="noopener"' in box.panel.value
    monkeypatch.undo()
    box.check_button.click()
    assert '<a href="backward.ipynb#' in box.panel.value


# --- keyboard, screen reader, phone, colours -------------------------------------------------


def test_the_box_has_a_label_a_real_button_and_a_live_region():
    box = widgets.make_answer_box("weight")
    assert isinstance(box.answer, w.Text) and box.answer.description.strip()
    assert isinstance(box.check_button, w.Button) and box.check_button.description == "Check"
    for panel in (box.panel.value, _typed("weight", "g").panel.value):
        assert panel.startswith('<div role="status" aria-live="polite"')
    # ipywidgets' Text draws its description as a <label for> its <input>, which axe accepts as
    # the input's name: checked in the widget manager the site serves.
    manager = (ROOT / "book/_vendor/html-manager/dist/embed-amd.js").read_text()
    assert 'this.label=document.createElement("label")' in manager
    assert "this.textbox.id=this.label.htmlFor=" in manager


def test_the_box_fits_a_phone_and_its_controls_wrap():
    box = widgets.make_answer_box("batch-weight")
    for part in _all_parts(box):
        for length in (part.layout.width, part.layout.min_width):
            assert _px(length) <= PHONE_COLUMN, (part, length)
        if isinstance(part, w.HBox):
            assert part.layout.flex_flow == "row wrap"
        if isinstance(part, w.Button):
            assert part.layout.width == "auto"
    assert box.answer.layout.max_width == widgets.MAX_CONTROL
    assert box.answer.style.description_width == "initial"  # the label is never cut


def _luminance(colour: str) -> float:
    channels = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(one: str, other: str) -> float:
    light, dark = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_contrast_helper_can_fail():
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#1a9850", "#ffffff") < 4.5  # the PASS green the book dropped


def test_the_panels_text_reads_on_white_and_on_the_dark_modes_card():
    css = (ROOT / "book/_vendor/matgrad.css").read_text()
    card = re.search(
        r'html\[data-theme="dark"\] \.bd-article div\.cell_output \.widget-subarea \{'
        r"\s*background-color: (#[0-9a-f]{3,6});",
        css,
    )[1]
    card = "#" + "".join(c * 2 for c in card[1:]) if len(card) == 4 else card
    for background in ("#ffffff", widgets.PANEL_BACKGROUND, card):
        for colour in [*widgets.VERDICT_COLOURS.values(), widgets.PANEL_TEXT, widgets.LINK_COLOUR]:
            assert contrast(colour, background) >= 4.5, (colour, background)
    assert widgets.VERDICT_COLOURS["INVALID"] not in (
        widgets.VERDICT_COLOURS[v] for v in ("PASS", "FAIL", "UNRESOLVED")
    )


def test_an_unknown_question_is_refused_with_the_list_of_ids():
    with pytest.raises(ValueError, match="'weight', 'bias'"):
        widgets.make_answer_box("wieght")


def test_the_answer_box_and_the_probe_never_import_pyplot():
    # In the browser's Python, importing pyplot costs about a second of a live widget's start.
    import subprocess

    code = (
        "import sys\n"
        "from matgrad.book import widgets\n"
        "box = widgets.make_answer_box('weight')\n"
        "box.answer.value = 'h gᵀ'\n"
        "box.check_button.click()\n"
        "widgets.make_adjoint_probe()\n"
        "print(box.verdict, 'matplotlib.pyplot' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "FAIL False"
