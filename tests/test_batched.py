"""Batched finite differences give the reference loop's gradients, in bounded memory."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import matgrad as mg
from matgrad.book.examples import example_problem


@given(
    widths=st.lists(st.integers(1, 6), min_size=2, max_size=4),
    m=st.integers(1, 4),
    seed=st.integers(0, 1000),
    activation=st.sampled_from(list(mg.ACTIVATIONS)),
    loss=st.sampled_from(["squared_error", "softmax_cross_entropy"]),
    reduction=st.sampled_from(["mean", "sum"]),
    lam=st.sampled_from([0.0, 0.4]),
    regularizer=st.sampled_from(["l2", "l1", "none"]),
    method=st.sampled_from(["forward", "central", "complex"]),
)
def test_batched_equals_the_reference_loop(
    widths, m, seed, activation, loss, reduction, lam, regularizer, method
):
    net, x, y = example_problem(
        widths,
        m=m,
        seed=seed,
        activation=activation,
        output_activation="identity" if loss == "softmax_cross_entropy" else activation,
        loss=loss,
        reduction=reduction,
        lam=lam,
        regularizer=regularizer,
    )
    if method == "complex" and not net.analytic:
        with pytest.raises(ValueError, match="analytic"):
            mg.batched_parameter_gradient(net, x, y, "W", 1, method=method)
        return
    step = mg.default_step(method)
    # Both evaluate J with rounding error about ε|J|; a difference divides that by the step.
    noise = 20 * np.finfo(np.float64).eps * max(1.0, abs(net.cost(x, y))) / step
    for name, k in net.parameters():
        reference = mg.parameter_gradient(net, x, y, name, k, method=method, batched=False)
        batched = mg.batched_parameter_gradient(net, x, y, name, k, method=method)
        assert batched.shape == reference.shape and batched.dtype == reference.dtype
        np.testing.assert_allclose(batched, reference, rtol=1e-12, atol=noise)


def test_float32_networks_stay_float32_and_agree():
    net, x, y = example_problem([3, 4, 2], m=3, seed=0, dtype=np.float32, lam=0.1)
    batched = mg.batched_parameter_gradient(net, x, y, "W", 1)
    reference = mg.parameter_gradient(net, x, y, "W", 1, batched=False)
    assert batched.dtype == np.float32
    np.testing.assert_allclose(batched, reference, atol=1e-2)


@pytest.mark.parametrize("method", ["forward", "central", "complex"])
def test_chunking_gives_the_same_results(method):
    net, x, y = example_problem([5, 7, 3], m=4, seed=1, lam=0.2)
    whole = mg.batched_parameter_gradient(net, x, y, "W", 1, method=method)
    itemsize = 16 if method == "complex" else 8
    column = 4 * itemsize * 7  # one example of one copy: 4 arrays of the widest layer
    # Chunks of copies, every example at once: the same operations, bit for bit.
    for copies in (1, 3, 100):
        memory = copies * 4 * column
        chunked = mg.batched_parameter_gradient(net, x, y, "W", 1, method=method, memory=memory)
        np.testing.assert_array_equal(chunked, whole)
    # Chunks of examples too: the sum over examples is taken in parts, equal to rounding.
    for memory in (1, column):
        chunked = mg.batched_parameter_gradient(net, x, y, "W", 1, method=method, memory=memory)
        np.testing.assert_allclose(chunked, whole, rtol=1e-9, atol=1e-12)


def test_memory_budget_bounds_every_chunk_for_any_batch_size(monkeypatch):
    net, x, y = example_problem([6, 8, 4], m=5, seed=2, lam=0.0)
    seen = []
    original = mg.finite_differences._perturbed_losses

    def spy(net, record, y, k, rows, row_shifts, cols, dtype):
        seen.append(row_shifts.shape)
        return original(net, record, y, k, rows, row_shifts, cols, dtype)

    monkeypatch.setattr(mg.finite_differences, "_perturbed_losses", spy)
    budget = 4 * 8 * 5 * 8 * 3  # room for three copies of (4 arrays × 8 bytes × m × widest)
    mg.batched_parameter_gradient(net, x, y, "W", 1, method="forward", memory=budget)
    assert max(copies for copies, _ in seen) == 3
    assert sum(copies for copies, _ in seen) == net.W[1].size
    assert all(examples == 5 for _, examples in seen)
    # A budget smaller than one copy of all m examples: chunks of examples as well.
    seen.clear()
    budget = 4 * 8 * 8 * 2  # two examples of one copy
    mg.batched_parameter_gradient(net, x, y, "W", 1, method="forward", memory=budget)
    assert {shape for shape in seen} == {(1, 2), (1, 1)}
    assert sum(examples for _, examples in seen) == 5 * net.W[1].size


def test_gradient_check_verdicts_agree_batched_and_looped():
    net, x, y = example_problem([3, 3, 3], m=4, seed=3, lam=0.3)
    record = net.forward(x, y)
    for gradients in (None, mg.backward_with_mistake(net, record, y, "missing_lambda")):
        batched = mg.gradient_check(net, x, y, gradients=gradients)
        looped = mg.gradient_check(net, x, y, gradients=gradients, batched=False)
        assert [c.passed for c in batched.checks] == [c.passed for c in looped.checks]
        assert batched.max_rel_error == pytest.approx(looped.max_rel_error, rel=1e-3, abs=1e-9)


def test_bad_memory_budget_is_refused():
    net, x, y = example_problem([3, 2], m=1, seed=0, lam=0.0)
    with pytest.raises(ValueError, match="memory must be a whole number >= 1"):
        mg.batched_parameter_gradient(net, x, y, "W", 1, memory=0)


def test_a_regularizer_whose_terms_are_not_elementwise_is_refused():
    from matgrad.functions import Regularizer

    summed = Regularizer("summed", lambda W: np.sum(W * W), lambda W: 2 * W)
    net, x, y = example_problem([3, 2], m=2, seed=0, regularizer=summed, lam=0.1)
    with pytest.raises(ValueError, match="one term ω\\(W_ij\\) per entry"):
        mg.batched_parameter_gradient(net, x, y, "W", 1)


def test_all_parameters_at_once_give_each_parameters_own_differences():
    # cost_changes takes W(k) and b(k) of a layer as one set of copies, each entry with its
    # parameter's steps: the same numbers as each parameter alone, bit for bit.
    net, x, y = example_problem([4, 5, 3, 2], m=3, seed=4, activation="relu", lam=0.2)
    record = net.forward(x, y)
    entries = {key: np.arange(net.parameter(*key).size) for key in net.parameters()}
    entries["W", 2] = np.array([1, 7, 8])  # a sample of W(2)
    sizes = np.geomspace(1e-6, 1e-3, len(entries)).tolist()
    steps = {key: [s, -s, 2 * s] for key, s in zip(entries, sizes, strict=True)}
    together = mg.finite_differences.cost_changes(net, record, y, entries, steps)
    for key in entries:
        changes, crossed = mg.finite_differences.cost_changes(
            net, record, y, {key: entries[key]}, {key: steps[key]}
        )[key]
        np.testing.assert_array_equal(together[key][0], changes)
        np.testing.assert_array_equal(together[key][1], crossed)


@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("method", ["forward", "central", "complex"])
@pytest.mark.parametrize("sample", [None, 3])
def test_the_check_s_differences_are_parameter_gradient_s_bit_for_bit(batched, method, sample):
    # One implementation: the check divides the changes of J as batched_parameter_gradient
    # does (finite_differences.quotients), and its reference loop keeps numerical_gradient's
    # quotients as parameter_gradient(batched=False) returns them.
    net, x, y = example_problem([4, 5, 3, 2], m=3, seed=5, activation="sigmoid", lam=0.2)
    report = mg.gradient_check(net, x, y, method=method, batched=batched, sample=sample)
    for check in report.checks:
        N = mg.parameter_gradient(
            net, x, y, *check.key, method=method, step=check.step, batched=batched
        )
        if check.entries is not None:
            N = N.ravel()[check.entries]
        np.testing.assert_array_equal(check.numerical, N)
