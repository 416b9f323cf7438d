"""Algorithms 6.3 and 6.4: shapes, the trace, examples vs minibatches, from_weights."""

import numpy as np
import pytest

import matgrad as mg


def data(widths, m, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(widths[0], m)), rng.normal(size=(widths[-1], m))


def test_forward_record_has_the_books_shapes_and_cost():
    net = mg.MLP([3, 5, 4, 2], seed=1, lam=0.3)
    x, y = data(net.widths, m=6)
    record = net.forward(x, y)
    assert sorted(record.h) == [0, 1, 2, 3] and sorted(record.a) == [1, 2, 3]
    for k, n in enumerate(net.widths):
        assert record.h[k].shape == (n, 6)
        if k:
            assert record.a[k].shape == (n, 6)
            np.testing.assert_allclose(record.a[k], net.b[k] + net.W[k] @ record.h[k - 1])
            np.testing.assert_allclose(record.h[k], np.tanh(record.a[k]))
    assert record.yhat is record.h[3] and record.m == 6
    expected_loss = np.mean(0.5 * np.sum((record.yhat - y) ** 2, axis=0))
    expected_penalty = sum(0.5 * np.sum(net.W[k] ** 2) for k in (1, 2, 3))
    assert record.loss == pytest.approx(expected_loss)
    assert record.penalty == pytest.approx(expected_penalty)
    assert record.J == pytest.approx(expected_loss + 0.3 * expected_penalty)


def test_weights_have_shape_n_k_by_n_k_minus_1_and_gradients_match():
    net = mg.MLP([4, 3, 2], seed=0)
    assert net.l == 2 and net.widths == (4, 3, 2) and net.parameter_count == 3 * 4 + 3 + 2 * 3 + 2
    assert net.W[1].shape == (3, 4) and net.W[2].shape == (2, 3)
    assert net.b[1].shape == (3, 1) and net.b[2].shape == (2, 1)
    x, y = data(net.widths, m=1)
    gradients = net.gradients(x, y)
    for name, k in net.parameters():
        assert gradients.parameter(name, k).shape == net.parameter(name, k).shape


def test_trace_follows_the_lines_of_algorithm_6_4_with_the_shapes_of_g():
    net = mg.MLP([4, 3, 2], seed=0, lam=0.1)
    x, y = data(net.widths, m=5)
    trace = net.gradients(x, y).trace
    assert [(step.line, step.k) for step in trace] == [
        (0, None),
        (2, 2),
        (3, 2),
        (4, 2),
        (5, 2),
        (2, 1),
        (3, 1),
        (4, 1),
        (5, 1),
    ]
    assert [step.g.shape for step in trace] == [
        (2, 5),  # ∇ŷ J: n_l × m
        (2, 5),  # ∇a(2) J
        (2, 5),
        (2, 5),
        (3, 5),  # ∇h(1) J: n_1 × m
        (3, 5),  # ∇a(1) J
        (3, 5),
        (3, 5),
        (4, 5),  # ∇h(0) J = ∇x J, never used by the algorithm
    ]
    assert trace[3].result == "∇W(2) J" and trace[3].value.shape == (2, 3)
    assert trace[3].statement == "∇W(k) J = g h(k-1)ᵀ + λ ∇W(k) Ω(θ)"
    assert trace[0].statement.startswith("g ← ∇ŷ J")


def test_weight_gradient_is_g_h_transpose_plus_lambda_W():
    net = mg.MLP([3, 4, 2], seed=3, lam=0.7, activation="sigmoid")
    x, y = data(net.widths, m=1)
    record = net.forward(x, y)
    gradients = net.backward(record, y)
    g_at_a = {step.k: step.g for step in gradients.trace if step.line == 2}
    for k in (1, 2):
        expected = g_at_a[k] @ record.h[k - 1].T + 0.7 * net.W[k]
        np.testing.assert_allclose(gradients.W[k], expected)
        np.testing.assert_allclose(gradients.b[k], g_at_a[k])


@pytest.mark.parametrize("shape", [(3,), (3, 1)])
def test_one_example_as_vector_or_column_gives_identical_results(shape):
    net = mg.MLP([3, 4, 2], seed=0, lam=0.2)
    x, y = np.arange(3.0) / 3, np.array([0.5, -0.5])
    reference = net.gradients(x, y)
    gradients = net.gradients(x.reshape(shape), y.reshape((2, *shape[1:])))
    for k in (1, 2):
        np.testing.assert_array_equal(gradients.W[k], reference.W[k])
        np.testing.assert_array_equal(gradients.b[k], reference.b[k])


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_minibatch_gradient_is_the_sum_or_mean_of_per_example_outer_products(reduction):
    net = mg.MLP([3, 4, 2], seed=0, reduction=reduction, lam=0.0)
    X, Y = data(net.widths, m=7, seed=5)
    batch = net.gradients(X, Y)
    singles = [net.gradients(X[:, i], Y[:, i]) for i in range(7)]
    scale = 1 / 7 if reduction == "mean" else 1.0
    for k in (1, 2):
        np.testing.assert_allclose(batch.W[k], scale * sum(s.W[k] for s in singles))
        np.testing.assert_allclose(batch.b[k], scale * sum(s.b[k] for s in singles))


def test_from_weights_round_trip_and_dict_input():
    net = mg.MLP([2, 3, 1], seed=4, activation="relu", lam=0.5, reduction="sum")
    copy = mg.MLP.from_weights(
        [net.W[1], net.W[2]],
        {1: net.b[1].ravel(), 2: net.b[2]},
        activation="relu",
        lam=0.5,
        reduction="sum",
    )
    x, y = data(net.widths, m=3)
    assert copy.forward(x, y).J == net.forward(x, y).J
    copy.W[1][0, 0] += 1.0
    assert copy.W[1][0, 0] != net.W[1][0, 0], "from_weights must copy the arrays"


def test_output_activation_replaces_f_at_layer_l_only():
    net = mg.MLP([3, 4, 2], activation="tanh", output_activation="identity")
    x, y = data(net.widths, m=2)
    record = net.forward(x, y)
    np.testing.assert_allclose(record.h[1], np.tanh(record.a[1]))
    np.testing.assert_array_equal(record.yhat, record.a[2])
    assert "output_activation='identity'" in repr(net)


def test_softmax_cross_entropy_output_gradient_is_softmax_minus_y():
    net = mg.MLP([3, 4, 3], output_activation="identity", loss="softmax_cross_entropy")
    x = np.array([0.2, -1.0, 0.5])
    y = np.array([0.0, 1.0, 0.0])
    record = net.forward(x, y)
    g = net.gradients(x, y).trace[0].g
    np.testing.assert_allclose(g, mg.softmax(record.yhat) - y[:, None])
    np.testing.assert_allclose(mg.softmax(record.yhat).sum(axis=0), 1.0)
    expected = -np.log(mg.softmax(record.yhat)[1, 0])
    assert record.loss == pytest.approx(expected)


def test_softmax_is_stable_for_huge_logits():
    z = np.array([[1000.0], [0.0], [-1000.0]])
    np.testing.assert_allclose(mg.softmax(z)[:, 0], [1.0, 0.0, 0.0])


def test_with_parameter_leaves_the_original_untouched():
    net = mg.MLP([2, 2, 1], seed=0)
    original = net.W[1].copy()
    other = net.with_parameter("W", 1, np.zeros((2, 2)))
    np.testing.assert_array_equal(net.W[1], original)
    np.testing.assert_array_equal(other.W[1], 0.0)
    assert other.W[2] is net.W[2]


def test_float32_network_computes_in_float32_and_is_checked_in_float64():
    net = mg.MLP([3, 4, 2], seed=0, dtype=np.float32, lam=0.1)
    x, y = data(net.widths, m=3)
    assert net.dtype == np.float32
    # x and y come in float64 and are taken in the network's precision.
    assert net.forward(x, y).h[2].dtype == np.float32
    assert net.gradients(x, y).W[1].dtype == np.float32
    report = mg.gradient_check(net, x, y)
    assert report.tolerance == mg.default_tolerance("central", np.float64)
    assert report.details[0].startswith("float32 network: differences on a float64 copy")
    # Each parameter's tolerance adds float32's rounding of backprop, measured.
    assert all(check.tolerance > report.tolerance for check in report.checks)
    assert report.passed, report
    alone = mg.gradient_check(net, x, y, in_float64=False)
    assert alone.tolerance == mg.default_tolerance("central", np.float32) and alone.passed


def test_astype_copies_a_network_into_another_precision():
    net = mg.MLP([3, 2], seed=0, lam=0.1, activation="sigmoid")
    single = net.astype(np.float32)
    assert single.dtype == np.float32 and net.dtype == np.float64
    assert single.activation is net.activation and single.lam == net.lam
    np.testing.assert_array_equal(single.W[1], net.W[1].astype(np.float32))
    assert net.astype(np.float64) is net
    with pytest.raises(ValueError, match="dtype must be float32 or float64"):
        net.astype(np.float16)


def test_seeds_make_networks_reproducible_and_distinct():
    assert np.array_equal(mg.MLP([3, 2], seed=7).W[1], mg.MLP([3, 2], seed=7).W[1])
    assert not np.array_equal(mg.MLP([3, 2], seed=7).W[1], mg.MLP([3, 2], seed=8).W[1])
