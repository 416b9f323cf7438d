"""Every widget driven headlessly: set its controls, read what it shows."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

from matgrad import explore, widgets


def test_shape_explorer_follows_its_controls_and_clamps_the_layer():
    explorer = widgets.make_shape_explorer()
    assert explorer.widths == [3, 4, 2]
    assert "g h(k-1)ᵀ" in explorer.summary.value and "4 × 3" in explorer.summary.value
    first_picture = explorer.image.value
    explorer.batch.value = 5
    assert explorer.layer_shapes.shapes["g"] == (4, 5)
    assert explorer.image.value != first_picture
    explorer.layer.value = 2
    assert explorer.layer_shapes.shapes["W(k)"] == (2, 4)
    explorer.depth.value = 1  # k = 2 no longer exists: clamped to 1
    assert explorer.layer.value == 1 and explorer.layer.max == 1
    assert len(explorer.widths_box.children) == 2
    explorer.candidate.value = "h(k-1) gᵀ"
    assert "✗" in explorer.summary.value and "transpose of the answer" in explorer.summary.value
    assert not explorer.verdict.correct


def test_backward_stepper_moves_line_by_line():
    stepper = widgets.make_backward_stepper()
    assert stepper.frame.line == 0 and "background" in stepper.algorithm.value
    stepper.next.click()
    stepper.next.click()
    stepper.next.click()
    assert stepper.frame.result == "∇W(2) J"
    assert "∇W(2) J" in stepper.summary.value and "2×4" in stepper.summary.value
    stepper.previous.click()
    assert stepper.frame.result == "∇b(2) J"
    stepper.reset.click()
    assert stepper.position.value == 0
    stepper.previous.click()  # clamped at the first line, no error
    assert stepper.position.value == 0
    stepper.position.value = stepper.position.max
    assert stepper.frame.result == "g = ∇h(0) J"
    for _ in range(3):
        stepper.next.click()
    assert stepper.position.value == stepper.position.max


def test_gradient_checker_turns_pass_into_fail_with_a_wrong_formula():
    checker = widgets.make_gradient_checker()
    assert checker.verdict == "PASS" and "PASS" in checker.summary.value
    checker.widths.value = "3-3-3"
    for mistake in ("h_g_transpose", "missing_f_prime", "missing_lambda", "sum_for_mean"):
        checker.mistake.value = mistake
        assert checker.verdict == "FAIL", mistake
        assert "FAIL" in checker.summary.value
    checker.mistake.value = explore.CORRECT
    assert checker.verdict == "PASS"
    checker.parameter.value = "b(2)"
    assert bytes(checker.image.value).startswith(b"\x89PNG")


def test_gradient_checker_shows_a_message_and_keeps_the_last_good_state():
    checker = widgets.make_gradient_checker()
    good = checker.outcome
    checker.activation.value = "relu"
    checker.method.value = "complex"
    assert "Not possible" in checker.summary.value and "ReLU" in checker.summary.value
    assert checker.outcome is not None and checker.outcome.report.passed
    checker.widths.value = "3-x"
    assert "whole numbers" in checker.summary.value
    checker.widths.value = "3-4-2"
    checker.activation.value = "tanh"
    assert checker.verdict == "PASS" and checker.outcome is not good
    checker.mistake.value = "dropped_transpose"
    assert "dropped transpose fails" in checker.summary.value


def test_changing_the_method_resets_the_step_to_its_theoretical_best():
    checker = widgets.make_gradient_checker()
    checker.method.value = "forward"
    assert checker.step.value == pytest.approx(1.49e-8, rel=1e-2)
    assert checker.outcome.report.method == "forward"


def test_step_size_explorer_marks_the_chosen_step_and_skips_complex_for_relu():
    explorer = widgets.make_step_size_explorer()
    assert set(explorer.curves) == {"forward", "central", "complex"}
    explorer.step.value = 1e-5
    assert "At h = 1e-05" in explorer.summary.value
    assert explorer.chosen_errors["central"] < 1e-8
    explorer.step.value = 1e-1
    assert explorer.chosen_errors["central"] > 1e-4
    explorer.activation.value = "relu"
    assert "complex" not in explorer.curves and "not shown for ReLU" in explorer.summary.value


def test_no_figures_are_left_open_after_many_updates():
    checker = widgets.make_gradient_checker()
    explorer = widgets.make_shape_explorer()
    for seed in range(12):  # 24 figures drawn: past matplotlib's warning at 20 open
        checker.seed.value = seed % 21
        explorer.batch.value = 1 + seed % 8
    assert plt.get_fignums() == []


def test_text_reprs_are_short_and_describe_the_state():
    # Notebooks store this text, and nbval compares it: it must not carry images or ids.
    assert repr(widgets.make_shape_explorer()) == (
        "ShapeExplorer(widths 3-4-2, m = 1, k = 1: g h(k-1)ᵀ fits)"
    )
    assert repr(widgets.make_backward_stepper()).startswith("BackwardStepper(line 1 of")
    assert repr(widgets.make_gradient_checker()).endswith("-> PASS)")
    assert "chosen step 1e-05" in repr(widgets.make_step_size_explorer())
