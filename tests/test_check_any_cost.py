"""``mg.check``: the gradient check of any scalar cost with respect to any named arrays.

The same engine as ``mg.gradient_check`` (the property suite and the sweep benchmark run through
both doors: test_check_properties.py, ``benchmarks/gradient_check_sweep.py --entry check``).
Here: what only the generic door does. It evaluates ``f`` itself, one entry at a time, estimates
the rounding of ``J`` from ``J``'s own values, refuses a cost that cannot be checked with a
message that names it, and never vouches for a float32 claim it cannot tell from a mistake.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

import matgrad as mg

PASS, FAIL, UNRESOLVED = "PASS", "FAIL", "UNRESOLVED"


def layer_cost(W, h, y, lam):
    """``J(W) = ½‖tanh(W h) − y‖² + λ ½‖W‖²`` and its true gradient ``g hᵀ + λ W``."""

    def f(values):
        a = values["W"] @ h
        return 0.5 * np.sum((np.tanh(a) - y) ** 2) + lam * 0.5 * np.sum(values["W"] ** 2)

    a = W @ h
    g = (np.tanh(a) - y) * (1 - np.tanh(a) ** 2)
    return f, g @ h.T + lam * W, g


@pytest.fixture
def problem():
    rng = np.random.default_rng(7)
    W, h, y = rng.normal(size=(3, 5)), rng.normal(size=(5, 1)), rng.normal(size=(3, 1))
    f, true, g = layer_cost(W, h, y, lam=0.1)
    return SimpleNamespace(f=f, W=W, h=h, true=true, g=g)


def test_the_true_gradient_passes_and_classic_mistakes_fail(problem):
    f, W, h, true, g = problem.f, problem.W, problem.h, problem.true, problem.g
    assert mg.check(f, {"W": W}, {"W": true}).verdict == PASS
    for wrong in (-true, 1.05 * true, g @ h.T, g @ h.T + 2 * 0.1 * W, 0 * true):
        report = mg.check(f, {"W": W}, {"W": wrong})
        assert report.verdict == FAIL, report
        assert report["W"].rel_error > report["W"].tolerance


def test_a_gradient_of_the_wrong_shape_fails_and_says_which_shapes(problem):
    f, W, h, g = problem.f, problem.W, problem.h, problem.g
    report = mg.check(f, {"W": W}, {"W": h @ g.T})
    assert report.verdict == FAIL
    assert "(5, 3)" in report["W"].note and "(3, 5)" in report["W"].note


def test_an_input_in_any_memory_order_is_differentiated_entry_by_entry():
    X = (np.arange(6.0).reshape(2, 3) + 1).T  # a transposed view: Fortran order

    def f(values):
        return np.sum(values["X"] ** 2) + values["X"][2, 0]

    claimed = 2 * X
    claimed[2, 0] += 1
    assert mg.check(f, {"X": X}, {"X": claimed}).verdict == PASS
    assert mg.check(f, {"X": X}, {"X": 2 * X}).verdict == FAIL


def test_several_inputs_get_a_row_each_and_unclaimed_inputs_stay_fixed():
    rng = np.random.default_rng(1)
    A, B = rng.normal(size=(2, 3)), rng.normal(size=(3, 4))
    G = rng.normal(size=(2, 4))

    def f(values):  # J = G : (A B), so ∇A J = G Bᵀ and ∇B J = Aᵀ G
        return np.sum(G * (values["A"] @ values["B"]))

    report = mg.check(f, {"A": A, "B": B}, {"A": G @ B.T, "B": A.T @ G})
    assert [row.name for row in report.checks] == ["A", "B"]
    assert [row.key for row in report.checks] == ["A", "B"]  # an input's key is its name
    assert report.verdict == PASS, report
    only = mg.check(f, {"A": A, "B": B}, {"B": A.T @ G})
    assert [row.name for row in only.checks] == ["B"] and only.passed
    one_wrong = mg.check(f, {"A": A, "B": B}, {"A": G @ B.T, "B": 1.1 * A.T @ G})
    assert one_wrong["A"].verdict == PASS and one_wrong["B"].verdict == FAIL
    assert one_wrong.verdict == FAIL


def test_complex_step_is_used_only_for_an_f_that_says_it_is_analytic(problem):
    f, W, true = problem.f, problem.W, problem.true
    f.analytic = True
    report = mg.check(f, {"W": W}, {"W": true}, method="complex")
    assert report.verdict == PASS and report.method == "complex"
    assert mg.check(f, {"W": W}, {"W": 1.05 * true}, method="complex").verdict == FAIL
    f.analytic = False
    with pytest.raises(ValueError, match="analytic"):
        mg.check(f, {"W": W}, {"W": true}, method="complex")


def test_an_f_that_drops_the_imaginary_part_is_refused_not_believed():
    W = np.arange(6.0).reshape(2, 3)

    def f(values):
        return float(np.sum(values["W"] ** 2)) + 0 * np.sum(values["W"])

    with pytest.raises(ValueError, match="imaginary part"):
        mg.check(f, {"W": W}, {"W": 2 * W}, method="complex")

    def g(values):
        return abs(np.sum(values["W"] ** 2))

    with pytest.raises(ValueError, match="imaginary part"):
        mg.check(g, {"W": W}, {"W": 2 * W}, method="complex")


def test_a_float32_claim_is_held_to_float32_rounding_and_never_passed_when_5_percent_off(problem):
    f, W, h, g = problem.f, problem.W, problem.h, problem.g
    W32 = W.astype(np.float32)
    claim32 = (g @ h.T + 0.1 * W).astype(np.float32)
    report = mg.check(f, {"W": W32}, {"W": claim32})
    assert report.verdict == PASS, report
    assert any("float32" in line for line in report.details)
    for wrong in (1.05 * claim32, -claim32):
        assert mg.check(f, {"W": W32}, {"W": wrong}).verdict != PASS


def test_noise_in_the_cost_makes_a_check_unresolved_never_a_false_verdict():
    rng = np.random.default_rng(3)
    x = rng.normal(size=4)
    noise = np.random.default_rng(4)

    def f(values):  # a tiny gradient under noise a million times the cost's last digit
        return 1e-12 * np.sum(values["x"] ** 2) + 1e-10 * noise.normal()

    assert mg.cost_noise(f, {"x": x}) > 1e-11
    report = mg.check(f, {"x": x}, {"x": 2e-12 * x})
    assert report.verdict == UNRESOLVED, report
    assert report["x"].note


def test_a_cost_that_does_not_depend_on_its_input_is_unresolved_and_says_so():
    # Σ (x − mean x) is 0 for every x, to rounding: a zero claim is "right" only in the
    # sense that nothing can be wrong; the check must not vouch for it, and must say why.
    rng = np.random.default_rng(4)
    x = rng.normal(size=(8, 5))

    def flat(p):
        return float(np.sum(p["x"] - p["x"].mean(axis=0)))

    (row,) = mg.check(flat, {"x": x}, {"x": np.zeros_like(x)}).checks
    assert row.verdict == mg.UNRESOLVED, row
    assert "does not change beyond its rounding" in row.note, row.note
    # A tiny nonzero claim may be a small gradient: no claim that J is flat.
    (row,) = mg.check(flat, {"x": x}, {"x": np.full_like(x, 1e-12)}).checks
    assert row.verdict == mg.UNRESOLVED, row
    assert "does not change" not in row.note, row.note
    (row,) = mg.check(flat, {"x": x}, {"x": np.ones_like(x)}).checks
    assert row.verdict == mg.FAIL, row


def test_the_noise_estimate_finds_the_noise_added_to_a_smooth_cost():
    x = np.linspace(-1, 1, 5)
    for level in (1e-13, 1e-10, 1e-7):
        noise = np.random.default_rng(0)

        def f(values, level=level, noise=noise):
            return np.sum(np.sin(values["x"])) + level * noise.normal()

        estimate = mg.cost_noise(f, {"x": x})
        assert level / 3 < estimate < 30 * level, (level, estimate)
    smooth = mg.cost_noise(lambda v: np.sum(np.sin(v["x"])), {"x": x})
    assert 0 < smooth < 1e-13


def test_sample_checks_that_many_entries_and_says_so(problem):
    f, W, true = problem.f, problem.W, problem.true
    wrong = true.copy()
    wrong[2, 4] += 1.0
    report = mg.check(f, {"W": W}, {"W": wrong}, sample=4, seed=2)
    assert report["W"].numerical.shape == (4,)
    assert any("sampled 4 entries" in line for line in report.details)
    assert mg.check(f, {"W": W}, {"W": wrong}).verdict == FAIL


def test_a_network_cost_checks_the_same_as_gradient_check():
    net = mg.MLP([4, 3, 2], lam=0.1, seed=2)
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(4, 3)), rng.normal(size=(2, 3))
    cost = mg.NetworkCost(net, x, y)
    gradients = net.gradients(x, y)
    claimed = {label: gradients.parameter(*key) for label, key in cost.names.items()}
    assert list(cost.inputs) == ["W(1)", "b(1)", "W(2)", "b(2)"]
    assert abs(cost(cost.inputs) - net.cost(x, y)) <= 1e-15 * abs(net.cost(x, y))
    report = mg.check(cost, cost.inputs, claimed)
    assert report.verdict == PASS
    assert [row.name for row in report.checks] == [
        row.name for row in mg.gradient_check(net, x, y).checks
    ]
    claimed["W(2)"] = -claimed["W(2)"]
    assert mg.check(cost, cost.inputs, claimed)["W(2)"].verdict == FAIL
    with pytest.raises(ValueError, match="not a parameter"):
        cost({"W(3)": np.zeros((2, 3))})


@pytest.mark.parametrize(
    ("f", "inputs", "claimed", "error", "match"),
    [
        ("J", {"W": np.ones(2)}, {"W": np.ones(2)}, TypeError, "f must be a function"),
        (None, [np.ones(2)], {"W": np.ones(2)}, TypeError, "inputs must be a dict"),
        (None, {}, {"W": np.ones(2)}, ValueError, "inputs is empty"),
        (None, {1: np.ones(2)}, {"W": np.ones(2)}, TypeError, "keyed by names"),
        (None, {"W": [1.0, np.nan]}, {"W": np.ones(2)}, ValueError, r"inputs\['W'\]"),
        (None, {"W": ["a", "b"]}, {"W": np.ones(2)}, ValueError, r"inputs\['W'\]"),
        (None, {"W": np.ones(2)}, {"V": np.ones(2)}, ValueError, "'V'"),
        (None, {"W": np.ones(2)}, {"W": "2 W"}, TypeError, r"claimed\['W'\]"),
        (None, {"W": np.ones(2)}, {}, ValueError, "claimed is empty"),
    ],
)
def test_bad_input_is_refused_in_the_names_given(f, inputs, claimed, error, match):
    f = (lambda values: np.sum(values["W"] ** 2)) if f is None else f
    with pytest.raises(error, match=match):
        mg.check(f, inputs, claimed)


@pytest.mark.parametrize(
    ("f", "match"),
    [
        (lambda values: values["W"], "one number J"),
        (lambda values: "J", "one number J"),
        (lambda values: np.log(values["W"][0] - 5), "must be finite"),
        (lambda values: values["V"], "f failed at the inputs"),
        (lambda values: 1 / 0, "f failed at the inputs: ZeroDivisionError"),
        (lambda values: 1j * np.sum(values["W"]), "real number"),
    ],
)
def test_a_cost_that_cannot_be_checked_is_refused_with_what_it_did(f, match):
    with np.errstate(all="ignore"), pytest.raises(ValueError, match=match):
        mg.check(f, {"W": np.ones(2)}, {"W": np.ones(2)})
