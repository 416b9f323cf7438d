"""The studies behind the skill chapters: each result checked against an independent fact."""

import re

import numpy as np
import pytest

import matgrad as mg
from matgrad import studies as st


@pytest.fixture
def problem():
    net = mg.MLP([4, 5, 3], seed=0, lam=0.1)
    rng = np.random.default_rng(0)
    return net, rng.normal(size=(4, 5)), rng.normal(size=(3, 5))


def test_parameter_vector_round_trips_and_matches_the_gradient_layout(problem):
    net, x, y = problem
    theta = st.parameter_vector(net)
    assert theta.shape == (net.parameter_count,)
    assert theta[:20] == pytest.approx(net.W[1].ravel())
    rebuilt = st.with_parameter_vector(net, 2 * theta)
    assert rebuilt.W[2] == pytest.approx(2 * net.W[2])
    assert rebuilt.b[1] == pytest.approx(2 * net.b[1])
    gradients = net.gradients(x, y)
    vector = st.gradient_vector(net, gradients)
    assert vector[20:25] == pytest.approx(gradients.b[1].ravel())


def test_numerical_gradient_vector_agrees_with_backprop(problem):
    net, x, y = problem
    claimed = st.gradient_vector(net, net.gradients(x, y))
    assert st.numerical_gradient_vector(net, x, y) == pytest.approx(claimed, rel=1e-7, abs=1e-9)


def test_bad_vectors_raise_value_error(problem):
    net, x, y = problem
    with pytest.raises(ValueError, match="P = 43"):
        st.with_parameter_vector(net, np.ones(3))
    wrong = mg.backward_with_mistake(net, net.forward(x, y), y, "h_g_transpose")
    with pytest.raises(ValueError, match=r"W\(1\) must have shape \(5, 4\)"):
        st.gradient_vector(net, wrong)
    with pytest.raises(ValueError, match="u must have shape"):
        st.directional_derivatives(net, x, y, np.ones(4))


def test_step_error_curve_is_v_shaped_for_central_and_flat_for_complex_step(problem):
    net, x, y = problem
    steps = np.logspace(-1, -12, 12)
    central = st.step_error_curve(net, x, y, steps, method="central")
    complex_step = st.step_error_curve(net, x, y, steps, method="complex")
    step, error = st.best_step(steps, central)
    # truncation O(h²) on the left, rounding O(ε/h) on the right, minimum near ε^(1/3)
    assert 1e-7 <= step <= 1e-3 and error < 1e-8
    assert central[0] > 100 * error and central[-1] > 100 * error
    # from h = 1e-1 to 1e-2 the O(h²) truncation error falls a hundredfold
    assert central[1] == pytest.approx(central[0] / 100, rel=0.2)
    assert np.all(complex_step[7:] < 1e-14)
    assert complex_step[-1] < central[-1] / 1e3


def test_best_step_picks_the_minimum_and_rejects_mismatched_input():
    assert st.best_step([1e-1, 1e-2, 1e-3], [3.0, 1.0, 2.0]) == (1e-2, 1.0)
    with pytest.raises(ValueError, match="one length"):
        st.best_step([1e-1, 1e-2], [1.0])


@pytest.mark.parametrize(
    "method, expected",
    [
        ("central", lambda P, arrays: 2 * P),
        ("complex", lambda P, arrays: P),
        ("forward", lambda P, arrays: P + arrays),
    ],
)
def test_forward_passes_are_counted_per_method(problem, method, expected):
    net, x, y = problem
    assert st.count_forward_passes(net, x, y, method=method) == expected(43, 4)
    assert net.parameter_count == 5 * 4 + 5 + 3 * 5 + 3  # = 43


def test_counting_cost_counts_calls_and_keeps_the_analytic_flag():
    cost = st.CountingCost(lambda X: float(np.sum(X**2)))
    for _ in range(3):
        cost(np.ones(2))
    assert cost.calls == 3 and cost.analytic
    with pytest.raises(TypeError, match="callable"):
        st.CountingCost(3)


def test_multiply_adds_follow_the_layer_shapes():
    assert st.multiply_adds([3, 4, 2], m=5) == {"forward": (12 + 8) * 5, "backward": 2 * 100}
    with pytest.raises(ValueError, match="widths"):
        st.multiply_adds([3])


def test_cs231n_relative_error_is_elementwise_with_zero_for_two_zeros():
    errors = st.cs231n_relative_error([1.0, 0.0, -2.0], [1.1, 0.0, 2.0])
    assert errors == pytest.approx([0.1 / 1.1, 0.0, 2.0])
    assert st.cs231n_verdict(1e-9).startswith("happy")
    assert st.cs231n_verdict(1e-3).startswith("uncomfortable")
    assert st.cs231n_verdict(0.5).startswith("probably wrong")


def test_mml_relative_error_and_allclose_violation():
    assert st.mml_relative_error([3.0, 4.0], [3.0, 4.0]) == 0.0
    assert st.mml_relative_error([1.0, 0.0], [0.0, 1.0]) == pytest.approx(1.0)
    # |1.002 − 1| = 2e-3 > 1e-5 + 1e-3 · 1: allclose fails; 1.0005 passes
    assert st.allclose_violation([1.002], [1.0], atol=1e-5, rtol=1e-3) > 0
    assert st.allclose_violation([1.0005], [1.0], atol=1e-5, rtol=1e-3) < 0
    with pytest.raises(ValueError, match="one shape"):
        st.mml_relative_error([1.0], [1.0, 2.0])


def test_every_criterion_passes_correct_code_but_the_mml_forward_difference(problem):
    net, x, y = problem
    verdicts = st.criteria_verdicts(net, x, y)
    assert verdicts == {
        "CS231n": True,
        "MML §5.2": False,  # the O(h) error of a forward difference with h = 1e-4
        "torch gradcheck": True,
        "jax check_grads": True,
        "matgrad": True,
    }


@pytest.mark.parametrize("mistake", ["missing_f_prime", "regularized_bias", "h_g_transpose"])
def test_every_criterion_fails_a_wrong_gradient(problem, mistake):
    net, x, y = problem
    wrong = mg.backward_with_mistake(net, net.forward(x, y), y, mistake)
    assert not any(st.criteria_verdicts(net, x, y, gradients=wrong).values())


def test_projection_checks_pass_correct_code_and_can_miss_a_small_bug(problem):
    net, x, y = problem
    assert st.projection_pass_rate(net, x, y, trials=20) == 1.0
    big = mg.backward_with_mistake(net, net.forward(x, y), y, "sum_for_mean")
    assert st.projection_pass_rate(net, x, y, gradients=big, trials=50) == 0.0
    small_net = mg.MLP([4, 5, 3], seed=0, lam=0.01)
    small = mg.backward_with_mistake(small_net, small_net.forward(x, y), y, "regularized_bias")
    rate = st.projection_pass_rate(small_net, x, y, gradients=small, trials=100)
    assert 0.05 < rate < 0.9


def test_torch_fast_direction_is_non_negative_with_unit_length():
    u = st.torch_fast_direction(10, np.random.default_rng(0))
    assert np.all(u >= 0) and np.linalg.norm(u) == pytest.approx(1.0)


def test_mistake_patterns_show_which_parameters_a_bug_breaks():
    net = mg.MLP([3, 3, 3], seed=1, lam=0.1)
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    patterns = st.mistake_patterns(net, x, y, ["regularized_bias", "dropped_transpose"])
    bias = patterns["regularized_bias"]
    assert bias["b(1)"] > 1e-4 and bias["b(2)"] > 1e-4
    assert bias["W(1)"] < 1e-7 and bias["W(2)"] < 1e-7
    dropped = patterns["dropped_transpose"]
    # the top layer's gradients come before the dropped transpose is ever used
    assert dropped["W(2)"] < 1e-7 and dropped["b(2)"] < 1e-7 and dropped["W(1)"] > 1e-3
    wide = mg.MLP([4, 5, 3], seed=0)
    message = st.mistake_patterns(
        wide, rng.normal(size=4), rng.normal(size=3), ["dropped_transpose"]
    )["dropped_transpose"]
    assert "dropped transpose" in message


def test_kink_distance_finds_the_pre_activation_nearest_zero():
    W = [np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[1.0, 1.0]])]
    b = [np.array([0.0, 0.0]), np.array([0.0])]
    net = mg.MLP.from_weights(W, b, activation="relu", output_activation="identity")
    assert st.kink_distance(net, np.array([0.3, -1e-6])) == pytest.approx(1e-6)
    assert st.kink_distance(mg.MLP([2, 1]), np.ones(2)) == np.inf


def test_format_helpers():
    assert st.format_error(3.2e-11) == "3e-11"
    assert st.format_error(np.inf) == "wrong shape"
    assert st.format_error(2e-3, 1e-7) == "2e-03 FAIL"
    table = st.format_table(["a", "bb"], [["1", "2"], ["333", "4"]])
    assert table.splitlines() == ["a    bb", "---  --", "1    2", "333  4"]
    with pytest.raises(ValueError, match="2 cells"):
        st.format_table(["a", "b"], [["1"]])


@pytest.mark.parametrize("layout", ["column", "transposed", "row", "framework"])
def test_weight_gradient_matches_finite_differences_for_a_non_square_layer(layout):
    rng = np.random.default_rng(2)
    n_in, n_out, m = 4, 3, 5
    W = rng.normal(size=(n_in, n_out) if layout in ("transposed", "row") else (n_out, n_in))
    inputs = rng.normal(size=(n_in, m) if layout in ("column", "transposed") else (m, n_in))
    C = mg.linear(layout, W, inputs)  # a fixed G: J = Σ C ⊙ A has ∂J/∂A = C
    claimed = mg.weight_gradient(layout, inputs, C)
    numerical = mg.numerical_gradient(lambda V: np.sum(C * mg.linear(layout, V, inputs)), W)
    assert claimed.shape == W.shape
    assert mg.relative_error(claimed, numerical) < 1e-8


def test_weight_gradient_rejects_mismatched_examples():
    with pytest.raises(ValueError, match="same number of examples"):
        mg.weight_gradient("framework", np.ones((5, 4)), np.ones((6, 3)))


def test_self_check_verdicts():
    reference = np.array([1.0, 2.0])
    assert studies_text(None, reference).startswith("not attempted")
    assert studies_text([1.0, 2.0 + 1e-9], reference) == "PASS: relative error below 1e-06"
    assert studies_text([1.0, 2.5], reference) == "FAIL: relative error 1e-01"  # 0.5 / 4.5
    assert studies_text([[1.0, 2.0]], reference).startswith("wrong shape")


def studies_text(answer, reference):
    return st.self_check(answer, reference)


def test_candidate_verdicts_pass_only_the_books_weight_gradient():
    rng = np.random.default_rng(0)
    non_square = mg.MLP([3, 4, 2], seed=0, lam=0.1)
    x, y = rng.normal(size=(3, 1)), rng.normal(size=(2, 1))
    verdicts = st.candidate_verdicts(non_square, x, y)
    assert verdicts == {
        "g h(k-1)ᵀ": "PASS",
        "h(k-1)": "wrong shape",
        "h(k-1)ᵀ": "wrong shape",
        "h(k-1) gᵀ": "wrong shape",
        "gᵀ h(k-1)": "cannot be formed",
    }
    # Square layers and m = n: every candidate has W's shape, and only the book's passes.
    square = mg.MLP([3, 3, 3], seed=0, lam=0.1)
    xs, ys = rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
    verdicts = st.candidate_verdicts(square, xs, ys)
    assert verdicts.pop("g h(k-1)ᵀ") == "PASS"
    assert all(re.fullmatch(r"FAIL \(\de[-+]\d\d\)", verdict) for verdict in verdicts.values())
