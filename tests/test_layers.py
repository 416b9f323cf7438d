"""matgrad.layers: every layer's forward and backward against an independent autodiff, through
the gradient check, against the tempting wrong backwards, and on bad input.

The oracle is autograd differentiating reference forwards written afresh in autograd.numpy:
the convolution as a sum over kernel offsets of shifted slices (no im2col), attention with its
own softmax, the embedding as a one-hot product, the norms naively. Each compares the cost
``J = Σ G ⊙ output`` for a random ``G``. PyTorch's agreement is measured in
benchmarks/layers_vs_torch.py (torch is not a test requirement).
"""

from __future__ import annotations

import math

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import make_vjp
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import matgrad as mg
from matgrad import layers

# Modest runs: every example builds a reference and differentiates it; the whole file stays
# within seconds.
EXAMPLES = settings(max_examples=40, deadline=None)
DTYPES = st.sampled_from([np.float32, np.float64])
SEEDS = st.integers(0, 2**32 - 1)

# The largest error allowed, relative to the reference's largest entry. The reference runs in
# float64 on the same numbers, so it is exact to ~1e-16 and the error is ours. Every output and
# gradient here is a sum of at most ~100 products of entries of order 1 (the convolution's
# C_in kh kw ≤ 27 terms, attention's d and S ≤ 5, rows of ≤ 6), each rounded by at most ε: at
# most ~100 ε of the largest entry, and about √n ε in practice (Higham, Accuracy and Stability
# of Numerical Algorithms, §2.8). So ~100 ε: 1e-5 in float32 (ε = 1.2e-7), 2e-14 in float64
# (ε = 2.2e-16). Relative to the size of the terms summed (they can cancel: a bias gradient
# Σ G may be near 0) and scaled where rounding has another cause (the norms' σ, the logits'
# size), as the tests below say, the worst error measured over 1,000 random examples per test
# is 21 ε (a norm's ∇γ, a sum over up to 16 rows), most within 2 ε.
RTOL = {np.float32: 1e-5, np.float64: 2e-14}


def oracle(forward, G, inputs, **fixed):
    """The reference output and autograd's ``∇ J`` for each input (a dict), all in float64."""
    as64 = {name: np.asarray(value, dtype=np.float64) for name, value in inputs.items()}
    vjp, output = make_vjp(lambda values: forward(**values, **fixed))(as64)
    return output, vjp(np.asarray(G, dtype=np.float64))


def term_sizes(forward, G, inputs, **fixed):
    """For a layer linear in each input (linear, conv2d, embedding): the largest entry of each
    output and gradient with every number replaced by its size, that is of ``Σ |terms|``, the
    size of the terms each entry sums. Rounding is relative to that, however they cancel."""
    sizes = {name: np.abs(value) for name, value in inputs.items()}
    output, gradients = oracle(forward, np.abs(G), sizes, **fixed)
    return float(np.max(output)), {name: float(np.max(g)) for name, g in gradients.items()}


def assert_close(ours, reference, dtype, what, condition=1.0, floor=0.0):
    """``ours`` is in ``dtype`` and within ``RTOL × condition`` of ``reference``, relative to
    its largest entry or to ``floor`` if larger (the size of the terms it sums, when they can
    cancel)."""
    assert np.asarray(ours).dtype == dtype, f"{what}: computed in {np.asarray(ours).dtype}"
    scale = max(float(np.max(np.abs(reference), initial=0.0)), floor)
    error = float(np.max(np.abs(np.asarray(ours, dtype=np.float64) - reference), initial=0.0))
    assert error <= RTOL[dtype] * condition * scale, f"{what}: error {error:.1e} of {scale:.1e}"


def normal(rng, shape, dtype):
    return rng.normal(size=shape).astype(dtype)


# --- reference forwards, in autograd.numpy ---------------------------------------------------


def reference_linear(x, weight, bias=None):
    y = anp.einsum("...i,oi->...o", x, weight)
    return y if bias is None else y + bias


def reference_conv2d(x, weight, bias=None, stride=1, padding=0):
    """Each kernel offset ``(p, q)`` sees a strided slice of the padded image; the output is
    the sum over offsets of those slices weighted by ``weight[:, :, p, q]``."""
    _, _, height, width = x.shape
    _, _, kh, kw = weight.shape
    h_out = (height + 2 * padding - kh) // stride + 1
    w_out = (width + 2 * padding - kw) // stride + 1
    padded = anp.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)), "constant")
    y = 0.0
    for p in range(kh):
        for q in range(kw):
            rows = slice(p, p + stride * (h_out - 1) + 1, stride)
            columns = slice(q, q + stride * (w_out - 1) + 1, stride)
            y = y + anp.einsum("nchw,oc->nohw", padded[:, :, rows, columns], weight[:, :, p, q])
    return y if bias is None else y + anp.reshape(bias, (1, -1, 1, 1))


def reference_attention(q, k, v, mask=None):
    scores = anp.einsum("...ld,...sd->...ls", q, k) / math.sqrt(q.shape[-1])
    e = anp.exp(scores)  # unshifted: these scores are small, exp cannot overflow
    if mask is not None:
        e = e * mask
    return anp.einsum("...ls,...se->...le", e / anp.sum(e, axis=-1, keepdims=True), v)


def reference_embedding(weight, indices):
    return anp.dot(np.eye(weight.shape[0])[indices], weight)


def reference_norm(x, gamma, beta, eps, axis):
    mean = anp.mean(x, axis=axis, keepdims=True)
    variance = anp.mean((x - mean) ** 2, axis=axis, keepdims=True)
    return gamma * (x - mean) / anp.sqrt(variance + eps) + beta


def reference_cross_entropy(z, y):
    log_probabilities = z - anp.log(anp.sum(anp.exp(z), axis=1, keepdims=True))
    return -anp.mean(anp.sum(np.eye(z.shape[1])[y] * log_probabilities, axis=1))


# --- agreement with autograd, on random shapes -----------------------------------------------


@EXAMPLES
@given(
    batch=st.lists(st.integers(1, 3), max_size=2),
    features=st.tuples(st.integers(1, 5), st.integers(1, 5)),
    with_bias=st.booleans(),
    dtype=DTYPES,
    seed=SEEDS,
)
def test_linear_matches_autograd(batch, features, with_bias, dtype, seed):
    rng = np.random.default_rng(seed)
    (n_in, n_out), bias = features, None
    x, weight = normal(rng, (*batch, n_in), dtype), normal(rng, (n_out, n_in), dtype)
    inputs = {"x": x, "weight": weight}
    if with_bias:
        bias = inputs["bias"] = normal(rng, (n_out,), dtype)
    G = normal(rng, (*batch, n_out), dtype)
    output, expected = oracle(reference_linear, G, inputs)
    size, sizes = term_sizes(reference_linear, G, inputs)
    assert_close(layers.linear(x, weight, bias), output, dtype, "y", floor=size)
    gradients = layers.linear_backward(G, x, weight, bias)
    assert gradients.keys() == expected.keys()
    for name in expected:
        assert_close(gradients[name], expected[name], dtype, name, floor=sizes[name])


@EXAMPLES
@given(
    sizes=st.tuples(st.integers(1, 2), st.integers(1, 3), st.integers(1, 3)),
    image=st.tuples(st.integers(1, 7), st.integers(1, 7)),
    kernel=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    stride=st.integers(1, 3),
    padding=st.integers(0, 2),
    with_bias=st.booleans(),
    dtype=DTYPES,
    seed=SEEDS,
)
def test_conv2d_matches_autograd(sizes, image, kernel, stride, padding, with_bias, dtype, seed):
    (n, c_in, c_out), (height, width), (kh, kw) = sizes, image, kernel
    assume(kh <= height + 2 * padding and kw <= width + 2 * padding)
    rng = np.random.default_rng(seed)
    x, weight = (
        normal(rng, (n, c_in, height, width), dtype),
        normal(rng, (c_out, c_in, kh, kw), dtype),
    )
    inputs, bias = {"x": x, "weight": weight}, None
    if with_bias:
        bias = inputs["bias"] = normal(rng, (c_out,), dtype)
    h_out, w_out = layers.conv2d_output_size(height, width, kernel, stride, padding)
    G = normal(rng, (n, c_out, h_out, w_out), dtype)
    output, expected = oracle(reference_conv2d, G, inputs, stride=stride, padding=padding)
    size, sizes = term_sizes(reference_conv2d, G, inputs, stride=stride, padding=padding)
    y = layers.conv2d(x, weight, bias, stride, padding)
    assert_close(y, output, dtype, "y", floor=size)
    gradients = layers.conv2d_backward(G, x, weight, bias, stride, padding)
    assert gradients.keys() == expected.keys()
    for name in expected:
        assert_close(gradients[name], expected[name], dtype, name, floor=sizes[name])


def attention_mask(rng, shape):
    """A random boolean mask of ``shape`` with at least one True in every row."""
    mask = rng.random(shape) < 0.5
    chosen = rng.integers(0, shape[-1], size=(*shape[:-1], 1))
    np.put_along_axis(mask, chosen, True, axis=-1)
    return mask


@EXAMPLES
@given(
    batch=st.lists(st.integers(1, 3), max_size=2),
    sizes=st.tuples(*[st.integers(1, 5)] * 4),
    masking=st.sampled_from(["none", "every score", "shared by the batch", "one row for all"]),
    dtype=DTYPES,
    seed=SEEDS,
)
def test_attention_matches_autograd(batch, sizes, masking, dtype, seed):
    rng = np.random.default_rng(seed)
    L, S, d, d_v = sizes
    q, k, v = (normal(rng, (*batch, *shape), dtype) for shape in ((L, d), (S, d), (S, d_v)))
    mask = {
        "none": None,
        "every score": lambda: attention_mask(rng, (*batch, L, S)),
        "shared by the batch": lambda: attention_mask(rng, (L, S)),
        "one row for all": lambda: attention_mask(rng, (1, S)),
    }[masking]
    mask = mask() if mask else None
    G = normal(rng, (*batch, L, d_v), dtype)
    output, expected = oracle(reference_attention, G, {"q": q, "k": k, "v": v}, mask=mask)
    # The output and ∇v are averages of v's and G's rows (P ≥ 0 sums to 1 by rows); ∇q and ∇k
    # differences of products of G, v and k (or q), which vanish where a query has a single
    # key. Their rounding is relative to those sizes, not to their own.
    largest = {
        name: float(np.max(np.abs(a))) for name, a in (("G", G), ("q", q), ("k", k), ("v", v))
    }
    floors = {
        "q": largest["G"] * largest["v"] * largest["k"],
        "k": largest["G"] * largest["v"] * largest["q"],
        "v": largest["G"],
    }
    y = layers.attention(q, k, v, mask)
    assert_close(y, output, dtype, "output", floor=largest["v"])
    gradients = layers.attention_backward(G, q, k, v, mask)
    assert gradients.keys() == expected.keys()
    for name in expected:
        assert_close(gradients[name], expected[name], dtype, name, floor=floors[name])


@EXAMPLES
@given(
    indices_shape=st.lists(st.integers(1, 6), max_size=2),
    table=st.tuples(st.integers(1, 5), st.integers(1, 4)),
    dtype=DTYPES,
    seed=SEEDS,
)
def test_embedding_matches_autograd(indices_shape, table, dtype, seed):
    rng = np.random.default_rng(seed)
    indices = rng.integers(0, table[0], size=indices_shape)  # more indices than rows: repeats
    weight, G = normal(rng, table, dtype), normal(rng, (*indices_shape, table[1]), dtype)
    output, expected = oracle(reference_embedding, G, {"weight": weight}, indices=indices)
    _, sizes = term_sizes(reference_embedding, G, {"weight": weight}, indices=indices)
    assert_close(layers.embedding(indices, weight), output, dtype, "output")
    gradients = layers.embedding_backward(G, indices, weight)
    assert gradients.keys() == {"weight"}
    assert_close(gradients["weight"], expected["weight"], dtype, "weight", floor=sizes["weight"])


def norm_tolerances(x, G, gamma, beta, axis, eps):
    """``(condition, floors)`` for a norm's output and gradients. ``x − μ`` loses digits where
    a row's entries nearly agree (small σ), in any implementation: ``max|x| / min σ`` of them,
    at least 1. And each result is a sum whose terms can cancel (for D = 2 ``∇x`` nearly
    exactly): the floors are the sizes of those terms, ``|γ x̂| + |β|``, ``|G γ|/σ``,
    ``|G x̂|`` and ``|G|``."""
    x = np.asarray(x, dtype=np.float64)
    sigma = np.sqrt(np.var(x, axis=axis, keepdims=True) + eps)
    x_hat = float(np.max(np.abs((x - np.mean(x, axis=axis, keepdims=True)) / sigma)))
    G, gamma, beta = (float(np.max(np.abs(a))) for a in (G, gamma, beta))
    floors = {
        "y": gamma * x_hat + beta,
        "x": G * gamma / float(np.min(sigma)),
        "gamma": G * x_hat,
        "beta": G,
    }
    return max(1.0, float(np.max(np.abs(x)) / np.min(sigma))), floors


def check_norm_against_autograd(forward, backward, axis, shape, eps, dtype, seed):
    """A norm's output and gradients against the autograd oracle, normalizing along ``axis``
    (-1: layer norm, 0: batch norm), with the tolerances of :func:`norm_tolerances`."""
    rng = np.random.default_rng(seed)
    x, G = normal(rng, shape, dtype), normal(rng, shape, dtype)
    gamma, beta = normal(rng, shape[-1:], dtype), normal(rng, shape[-1:], dtype)
    inputs = {"x": x, "gamma": gamma, "beta": beta}
    output, expected = oracle(reference_norm, G, inputs, eps=eps, axis=axis)
    condition, floors = norm_tolerances(x, G, gamma, beta, axis, eps)
    assert_close(forward(x, gamma, beta, eps), output, dtype, "y", condition, floors["y"])
    gradients = backward(G, x, gamma, beta, eps)
    assert gradients.keys() == expected.keys()
    for name in expected:
        assert_close(gradients[name], expected[name], dtype, name, condition, floors[name])


@EXAMPLES
@given(
    shape=st.lists(st.integers(1, 4), max_size=2).flatmap(
        lambda batch: st.integers(2, 6).map(lambda D: (*batch, D))
    ),
    eps=st.sampled_from([1e-5, 1e-3, 0.5]),
    dtype=DTYPES,
    seed=SEEDS,
)
def test_layer_norm_matches_autograd(shape, eps, dtype, seed):
    check_norm_against_autograd(
        layers.layer_norm, layers.layer_norm_backward, -1, shape, eps, dtype, seed
    )


@EXAMPLES
@given(
    shape=st.tuples(st.integers(2, 6), st.integers(1, 4)),
    eps=st.sampled_from([1e-5, 1e-3, 0.5]),
    dtype=DTYPES,
    seed=SEEDS,
)
def test_batch_norm_matches_autograd(shape, eps, dtype, seed):
    check_norm_against_autograd(
        layers.batch_norm, layers.batch_norm_backward, 0, shape, eps, dtype, seed
    )


@EXAMPLES
@given(
    shape=st.tuples(st.integers(1, 6), st.integers(2, 5)),
    scale=st.sampled_from([1.0, 30.0]),
    dtype=DTYPES,
    seed=SEEDS,
)
def test_softmax_cross_entropy_matches_autograd(shape, scale, dtype, seed):
    rng = np.random.default_rng(seed)
    z, y = (scale * rng.normal(size=shape)).astype(dtype), rng.integers(0, shape[1], shape[0])
    J, expected = oracle(reference_cross_entropy, 1.0, {"z": z}, y=y)
    # Softmax rounds relative to the logits (exp(z − max z) carries an error ε |z|), and its
    # probabilities to ε of 1: so J is good to ~ε max|z|, and ∇z = (P − Y)/N to ~ε max|z|/N,
    # whatever their own size (a confident, right prediction has J and ∇z near 0).
    condition = max(1.0, float(np.max(np.abs(z))))
    assert_close(layers.softmax_cross_entropy(z, y), J, dtype, "J", condition, floor=1.0)
    gradients = layers.softmax_cross_entropy_backward(z, y)
    assert gradients.keys() == {"z"}
    assert_close(gradients["z"], expected["z"], dtype, "z", condition, floor=1 / shape[0])


# --- the gradient check passes every layer's gradients ---------------------------------------


def small_case(name):
    """``(forward, backward, inputs, fixed)`` of a small case of each layer: ``inputs`` the
    differentiable arguments, ``fixed`` the others."""
    rng = np.random.default_rng(sum(map(ord, name)))
    if name == "linear":
        inputs = {"x": rng.normal(size=(3, 4)), "weight": rng.normal(size=(2, 4))}
        inputs["bias"] = rng.normal(size=2)
        return layers.linear, layers.linear_backward, inputs, {}
    if name == "conv2d":
        inputs = {"x": rng.normal(size=(2, 3, 5, 5)), "weight": rng.normal(size=(4, 3, 3, 3))}
        inputs["bias"] = rng.normal(size=4)
        return layers.conv2d, layers.conv2d_backward, inputs, {"stride": 1, "padding": 1}
    if name == "conv2d, stride 2":
        inputs = {"x": rng.normal(size=(2, 2, 6, 5)), "weight": rng.normal(size=(3, 2, 2, 3))}
        inputs["bias"] = rng.normal(size=3)
        return layers.conv2d, layers.conv2d_backward, inputs, {"stride": 2, "padding": 1}
    if name == "attention":
        q, k, v = (rng.normal(size=shape) for shape in ((2, 3, 4), (2, 5, 4), (2, 5, 3)))
        mask = attention_mask(rng, (2, 3, 5))
        return layers.attention, layers.attention_backward, {"q": q, "k": k, "v": v}, {"mask": mask}
    if name == "embedding":
        indices = np.array([[0, 2, 2], [1, 2, 0]])  # 2 three times, 0 twice, 3 never
        inputs = {"weight": rng.normal(size=(4, 3))}
        return layers.embedding, layers.embedding_backward, inputs, {"indices": indices}
    if name in ("layer_norm", "batch_norm"):
        x = rng.normal(size=(4, 3)) if name == "batch_norm" else rng.normal(size=(2, 3, 5))
        inputs = {"x": x, "gamma": rng.normal(size=x.shape[-1])}
        inputs["beta"] = rng.normal(size=x.shape[-1])
        forward, backward = getattr(layers, name), getattr(layers, f"{name}_backward")
        return forward, backward, inputs, {"eps": 1e-3}
    raise AssertionError(name)


CASES = ["linear", "conv2d", "conv2d, stride 2", "attention", "embedding"]
CASES += ["layer_norm", "batch_norm"]


def cost(forward, G, fixed):
    """``J = Σ G ⊙ forward(inputs)``, a function of the dict of inputs, as mg.check wants."""

    def f(values):
        return np.sum(G * forward(**values, **fixed))

    return f


def setup(name):
    """``(f, inputs, gradients, G, fixed)``: the small case's cost for a random ``G`` and the
    gradients its backward claims."""
    forward, backward, inputs, fixed = small_case(name)
    G = np.random.default_rng(1).normal(size=forward(**inputs, **fixed).shape)
    return cost(forward, G, fixed), inputs, backward(G, **inputs, **fixed), G, fixed


@pytest.mark.parametrize("name", CASES)
def test_every_gradient_passes_the_gradient_check(name):
    f, inputs, gradients, _, _ = setup(name)
    report = mg.check(f, inputs, gradients)
    assert [row.name for row in report.checks] == list(gradients)
    assert report.verdict == "PASS", report


def test_softmax_cross_entropy_passes_the_gradient_check():
    rng = np.random.default_rng(3)
    z, y = rng.normal(size=(4, 3)), np.array([0, 2, 2, 1])
    report = mg.check(
        lambda values: layers.softmax_cross_entropy(values["z"], y),
        {"z": z},
        layers.softmax_cross_entropy_backward(z, y),
    )
    assert report.verdict == "PASS", report


@pytest.mark.parametrize("name", ["linear", "conv2d", "conv2d, stride 2", "embedding"])
def test_the_layers_linear_in_their_inputs_pass_complex_step_too(name):
    f, inputs, gradients, _, _ = setup(name)
    report = mg.check(f, inputs, gradients, method="complex")
    assert report.verdict == "PASS", report


@pytest.mark.parametrize("name", ["attention", "layer_norm", "batch_norm"])
def test_the_others_refuse_complex_step_saying_why(name):
    f, inputs, gradients, _, _ = setup(name)
    with pytest.raises(ValueError, match="takes real numbers only, so complex step cannot"):
        mg.check(f, inputs, gradients, method="complex")


# --- ... and fails the tempting wrong ones ---------------------------------------------------
# The wrong backwards live here, not in matgrad: only these tests use them so far. A chapter
# that shows one can move it to the teaching layer (matgrad.book) then.


def col2im_overwriting(cols, shape, kernel, stride, padding):
    """col2im with ``=`` for ``+=``: a pixel that several patches share keeps only the last
    patch's gradient instead of their sum."""
    n, c, height, width = shape
    kh, kw = kernel
    h_out, w_out = layers.conv2d_output_size(height, width, kernel, stride, padding)
    patches = cols.reshape(c, kh, kw, n, h_out, w_out)
    padded = np.zeros((n, c, height + 2 * padding, width + 2 * padding))
    for p in range(kh):
        for q in range(kw):
            rows = slice(p, p + stride * (h_out - 1) + 1, stride)
            columns = slice(q, q + stride * (w_out - 1) + 1, stride)
            padded[:, :, rows, columns] = patches[:, p, q].transpose(1, 0, 2, 3)
    return padded[:, :, padding : padding + height, padding : padding + width]


def conv2d_x_gradient_overwriting(G, x, weight, bias, stride, padding):
    G_col = G.transpose(1, 0, 2, 3).reshape(weight.shape[0], -1)
    X_col_grad = weight.reshape(weight.shape[0], -1).T @ G_col
    return col2im_overwriting(X_col_grad, x.shape, weight.shape[2:], stride, padding)


def conv2d_x_gradient_by_full_correlation(G, x, weight, bias, stride, padding, flip=True):
    """For stride 1, ``∇x`` is the "full" correlation of ``G`` (padded by ``k − 1 − padding``)
    with the kernel flipped in both axes and its channels swapped; without the flip it is
    not."""
    assert stride == 1
    kernel = weight.transpose(1, 0, 2, 3)
    if flip:
        kernel = kernel[:, :, ::-1, ::-1]
    return layers.conv2d(G, kernel, padding=weight.shape[2] - 1 - padding)


def softmax_rows(S):
    e = np.exp(S - S.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def attention_v_gradient_with_G_transposed(G, q, k, v, mask=None):
    P = softmax_rows(q @ np.swapaxes(k, -1, -2) / math.sqrt(q.shape[-1]))
    return G @ np.swapaxes(P, -1, -2)  # right is Pᵀ G; with L = S = d_v the shapes agree


def attention_qk_gradients_without_p_pT(G, q, k, v, mask=None):
    """``∇S = P ⊙ ∇P``: the softmax Jacobian taken as ``diag(p)``, without ``− p pᵀ``."""
    scale = 1 / math.sqrt(q.shape[-1])
    P = softmax_rows(q @ np.swapaxes(k, -1, -2) * scale)
    S_grad = P * (G @ np.swapaxes(v, -1, -2))
    return {"q": S_grad @ k * scale, "k": np.swapaxes(S_grad, -1, -2) @ q * scale}


def embedding_gradient_by_fancy_assignment(G, indices, weight):
    """``∇W[indices] += G``: numpy buffers the fancy index, so a repeated index is written,
    not added, once per repeat: only one of its rows of G survives."""
    W_grad = np.zeros_like(weight)
    W_grad[indices] += G
    return W_grad


def norm_x_gradient_with_statistics_held_constant(axis):
    """``∇x = G γ/σ``: right if μ and σ did not depend on x."""

    def wrong(G, x, gamma, beta, eps):
        sigma = np.sqrt(np.var(x, axis=axis, keepdims=True) + eps)
        return G * gamma / sigma

    return wrong


# Each wrong version: (the case it is tried on, the input it claims, the wrong gradient).
WRONG = {
    "conv2d ∇x without col2im's sum": ("conv2d", "x", conv2d_x_gradient_overwriting),
    "conv2d ∇x by a full correlation, kernel not flipped": (
        "conv2d",
        "x",
        lambda G, **given: conv2d_x_gradient_by_full_correlation(G, **given, flip=False),
    ),
    "attention ∇v = G Pᵀ": ("square attention", "v", attention_v_gradient_with_G_transposed),
    "attention ∇S = P ⊙ ∇P, ∇q": (
        "attention",
        "q",
        lambda G, **given: attention_qk_gradients_without_p_pT(G, **given)["q"],
    ),
    "attention ∇S = P ⊙ ∇P, ∇k": (
        "attention",
        "k",
        lambda G, **given: attention_qk_gradients_without_p_pT(G, **given)["k"],
    ),
    "embedding ∇W[indices] += G": ("embedding", "weight", embedding_gradient_by_fancy_assignment),
    "layer_norm ∇x = G γ/σ": ("layer_norm", "x", norm_x_gradient_with_statistics_held_constant(-1)),
    "batch_norm ∇x = G γ/σ": ("batch_norm", "x", norm_x_gradient_with_statistics_held_constant(0)),
}


def wrong_setup(name):
    if name != "square attention":
        return setup(name)
    # L = S = d = d_v, no batch: G Pᵀ then has ∇v's shape, and only the numbers can tell.
    rng = np.random.default_rng(5)
    inputs = {name: rng.normal(size=(4, 4)) for name in ("q", "k", "v")}
    G = rng.normal(size=(4, 4))
    gradients = layers.attention_backward(G, **inputs)
    return cost(layers.attention, G, {}), inputs, gradients, G, {}


@pytest.mark.parametrize("wrong", WRONG)
def test_each_tempting_wrong_gradient_fails_the_gradient_check(wrong):
    case, name, gradient = WRONG[wrong]
    f, inputs, right, G, fixed = wrong_setup(case)
    mistaken = gradient(G, **inputs, **fixed)
    assert mistaken.shape == inputs[name].shape  # only the numbers are wrong
    report = mg.check(f, inputs, {**right, name: mistaken})
    assert report[name].verdict == "FAIL", report
    others = [row.verdict for row in report.checks if row.name != name]
    assert set(others) <= {"PASS"}, report  # the right gradients beside it still pass


def test_the_full_correlation_with_the_kernel_flipped_is_right():
    # The wrong version above differs from this one by the flip only.
    f, inputs, right, G, fixed = setup("conv2d")
    flipped = conv2d_x_gradient_by_full_correlation(G, **inputs, **fixed)
    np.testing.assert_allclose(flipped, right["x"], rtol=1e-12, atol=1e-12)
    assert mg.check(f, inputs, {"x": flipped}).verdict == "PASS"


def test_repeated_indices_add_up_and_unused_rows_get_zero():
    weight = np.zeros((4, 2))
    G = np.arange(1.0, 9.0).reshape(4, 2)
    W_grad = layers.embedding_backward(G, [1, 1, 3, 1], weight)["weight"]
    np.testing.assert_array_equal(W_grad, [[0, 0], [1 + 3 + 7, 2 + 4 + 8], [0, 0], [5, 6]])
    assert not np.array_equal(
        embedding_gradient_by_fancy_assignment(G, [1, 1, 3, 1], weight), W_grad
    )


# --- what the layers share with the rest of matgrad ------------------------------------------


def test_linear_is_the_framework_layout_of_matgrad_layouts():
    rng = np.random.default_rng(2)
    x, weight, G = rng.normal(size=(5, 3)), rng.normal(size=(4, 3)), rng.normal(size=(5, 4))
    np.testing.assert_allclose(layers.linear(x, weight), mg.linear("framework", weight, x))
    np.testing.assert_allclose(
        layers.linear_backward(G, x, weight)["weight"], mg.weight_gradient("framework", x, G)
    )


@pytest.mark.parametrize("name", CASES)
def test_no_layer_changes_its_inputs(name):
    # conv2d_backward writes ∇X_col into X_col's memory: never x's, even for a 1 × 1 kernel.
    forward, backward, inputs, fixed = small_case(name)
    if name == "conv2d":
        inputs["weight"] = inputs["weight"][:, :, :1, :1].copy()
    before = {key: value.copy() for key, value in inputs.items()}
    G = np.ones(forward(**inputs, **fixed).shape)
    backward(G, **inputs, **fixed)
    for key, value in inputs.items():
        np.testing.assert_array_equal(value, before[key])


def test_no_bias_no_bias_gradient():
    rng = np.random.default_rng(0)
    x, weight = rng.normal(size=(1, 2, 4, 4)), rng.normal(size=(3, 2, 3, 3))
    assert layers.conv2d_backward(np.ones((1, 3, 2, 2)), x, weight).keys() == {"x", "weight"}
    assert layers.linear_backward(np.ones(3), np.ones(2), np.ones((3, 2))).keys() == {"x", "weight"}


@EXAMPLES
@given(
    shape=st.tuples(st.integers(1, 2), st.integers(1, 3), st.integers(1, 6), st.integers(1, 6)),
    kernel=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    stride=st.integers(1, 3),
    padding=st.integers(0, 2),
    seed=SEEDS,
)
def test_col2im_is_the_transpose_of_im2col(shape, kernel, stride, padding, seed):
    # ⟨im2col(x), C⟩ = ⟨x, col2im(C)⟩ for every x and C: col2im is im2col's Mᵀ.
    assume(kernel[0] <= shape[2] + 2 * padding and kernel[1] <= shape[3] + 2 * padding)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape)
    X_col = layers.im2col(x, kernel, stride, padding)
    C = rng.normal(size=X_col.shape)
    left, right = np.sum(X_col * C), np.sum(x * layers.col2im(C, shape, kernel, stride, padding))
    assert left == pytest.approx(right, rel=1e-12, abs=1e-12)


def test_a_masked_key_gets_no_weight_and_passes_no_gradient():
    rng = np.random.default_rng(4)
    q, k, v = rng.normal(size=(3, 2)), rng.normal(size=(4, 2)), rng.normal(size=(4, 2))
    mask = np.array([True, True, False, True])  # key 2 hidden from every query
    G = rng.normal(size=(3, 2))
    gradients = layers.attention_backward(G, q, k, v, mask)
    np.testing.assert_array_equal(gradients["k"][2], 0)
    np.testing.assert_array_equal(gradients["v"][2], 0)
    v_changed = v.copy()
    v_changed[2] = 1e6
    np.testing.assert_array_equal(
        layers.attention(q, k, v, mask), layers.attention(q, k, v_changed, mask)
    )


# --- bad input -------------------------------------------------------------------------------

X, W, B = np.ones((2, 3)), np.ones((4, 3)), np.ones(4)
IMAGE, KERNEL = np.ones((2, 3, 5, 5)), np.ones((4, 3, 3, 3))
Q, K, V = np.ones((2, 3, 4)), np.ones((2, 5, 4)), np.ones((2, 5, 2))
TABLE, NORMED, ONES5 = np.ones((4, 3)), np.ones((3, 5)), np.ones(5)
LOGITS = np.ones((5, 4))


def _masked(array):
    return np.ma.masked_array(array, mask=np.zeros(array.shape, dtype=bool))


BAD_INPUT = [
    # conv2d_output_size, im2col, col2im
    (
        "conv2d_output_size",
        lambda: layers.conv2d_output_size(0, 5, (3, 3)),
        ValueError,
        "height must be a whole number >= 1",
    ),
    (
        "conv2d_output_size",
        lambda: layers.conv2d_output_size(5, 5, 3),
        TypeError,
        r"kernel must be a pair \(kh, kw\)",
    ),
    (
        "im2col",
        lambda: layers.im2col(np.ones((3, 5, 5)), (3, 3)),
        ValueError,
        r"x must have shape \(N, C_in, H, W\), got shape \(3, 5, 5\)",
    ),
    (
        "im2col",
        lambda: layers.im2col(IMAGE, (3, 3), stride=0),
        ValueError,
        "stride must be a whole number >= 1, got 0",
    ),
    (
        "col2im",
        lambda: layers.col2im(np.ones((27, 49)), (2, 3, 5, 5), (3, 3)),
        ValueError,
        r"cols must have shape \(C_in kh kw, N H_out W_out\) = \(27, 18\)",
    ),
    (
        "col2im",
        lambda: layers.col2im(np.ones((27, 18)), (2, 3, 5), (3, 3)),
        TypeError,
        r"shape must be x's shape \(N, C_in, H, W\)",
    ),
    # linear
    (
        "linear",
        lambda: layers.linear(np.ones(()), W),
        ValueError,
        r"x must have shape \(\*, in_features\), got shape \(\)",
    ),
    (
        "linear",
        lambda: layers.linear(X, np.ones(3)),
        ValueError,
        r"weight must have shape \(out_features, in_features\)",
    ),
    (
        "linear",
        lambda: layers.linear(X, np.ones((4, 5))),
        ValueError,
        "x has 3 features .its last axis. but weight expects 5",
    ),
    (
        "linear",
        lambda: layers.linear(X, W, np.ones(3)),
        ValueError,
        r"bias must have shape \(4,\), one entry per output feature",
    ),
    ("linear", lambda: layers.linear([[1.0, np.nan, 0.0]], W), ValueError, "x must be finite"),
    (
        "linear",
        lambda: layers.linear(X.astype(np.float16), W),
        ValueError,
        r"x is float16, .* x.astype\(np.float32\)",
    ),
    ("linear", lambda: layers.linear(np.matrix(X), W), TypeError, r"x is an np.matrix"),
    ("linear", lambda: layers.linear("x", W), TypeError, "x must be a numeric array"),
    (
        "linear_backward",
        lambda: layers.linear_backward(np.ones((2, 3)), X, W),
        ValueError,
        r"G must have the shape of linear's output, \(2, 4\), got \(2, 3\)",
    ),
    # conv2d
    (
        "conv2d",
        lambda: layers.conv2d(np.ones((3, 5, 5)), KERNEL),
        ValueError,
        r"x must have shape \(N, C_in, H, W\), got shape \(3, 5, 5\)",
    ),
    (
        "conv2d",
        lambda: layers.conv2d(IMAGE, np.ones((4, 3, 3))),
        ValueError,
        r"weight must have shape \(C_out, C_in, kh, kw\)",
    ),
    (
        "conv2d",
        lambda: layers.conv2d(IMAGE, np.ones((2, 4, 3, 3))),
        ValueError,
        "x has 3 channels but weight expects 4",
    ),
    (
        "conv2d",
        lambda: layers.conv2d(IMAGE, KERNEL, np.ones(3)),
        ValueError,
        r"bias must have shape \(4,\), one entry per output channel",
    ),
    (
        "conv2d",
        lambda: layers.conv2d(IMAGE, KERNEL, stride=0),
        ValueError,
        "stride must be a whole number >= 1, got 0",
    ),
    (
        "conv2d",
        lambda: layers.conv2d(IMAGE, KERNEL, stride=(1, 1)),
        TypeError,
        "stride must be a whole number >= 1",
    ),
    (
        "conv2d",
        lambda: layers.conv2d(IMAGE, KERNEL, padding=-1),
        ValueError,
        "padding must be a whole number >= 0, got -1",
    ),
    (
        "conv2d",
        lambda: layers.conv2d(IMAGE, np.ones((4, 3, 7, 7))),
        ValueError,
        "the 7 × 7 kernel does not fit in the 5 × 5 image",
    ),
    ("conv2d", lambda: layers.conv2d(IMAGE * np.inf, KERNEL), ValueError, "x must be finite"),
    (
        "conv2d",
        lambda: layers.conv2d(IMAGE, _masked(KERNEL)),
        TypeError,
        "weight is a masked array",
    ),
    (
        "conv2d_backward",
        lambda: layers.conv2d_backward(np.ones((2, 4, 5, 5)), IMAGE, KERNEL),
        ValueError,
        r"G must have the shape of conv2d's output, \(2, 4, 3, 3\)",
    ),
    # attention
    (
        "attention",
        lambda: layers.attention(np.ones(4), K, V),
        ValueError,
        r"q must have shape \(..., L, d\), got shape \(4,\)",
    ),
    (
        "attention",
        lambda: layers.attention(Q, np.ones((2, 5, 3)), V),
        ValueError,
        r"k must have shape \(..., S, d\)",
    ),
    (
        "attention",
        lambda: layers.attention(Q, K, np.ones((2, 4, 2))),
        ValueError,
        r"v must have shape \(..., S, d_v\)",
    ),
    (
        "attention",
        lambda: layers.attention(Q + 1j, K, V),
        ValueError,
        "q is complex, but attention takes real numbers only",
    ),
    (
        "attention",
        lambda: layers.attention(Q, K, V, np.ones((3, 5))),
        TypeError,
        "mask must be a boolean array .True: may attend., got dtype float64",
    ),
    (
        "attention",
        lambda: layers.attention(Q, K, V, 1),
        TypeError,
        "mask must be a boolean array .True: may attend., got int 1",
    ),
    (
        "attention",
        lambda: layers.attention(Q, K, V, np.ones((3, 3), dtype=bool)),
        ValueError,
        r"mask of shape \(3, 3\) does not broadcast to the scores' shape .* \(2, 3, 5\)",
    ),
    (
        "attention",
        lambda: layers.attention(
            Q, K, V, np.eye(3, 5, dtype=bool)[[0, 2, 1]] & [True, False, True, True, True]
        ),
        ValueError,
        r"mask row \(2,\) is all False",
    ),
    (
        "attention_backward",
        lambda: layers.attention_backward(np.ones((2, 3, 4)), Q, K, V),
        ValueError,
        r"G must have the shape of attention's output, \(2, 3, 2\)",
    ),
    # embedding
    (
        "embedding",
        lambda: layers.embedding(np.array([0.0, 1.0]), TABLE),
        TypeError,
        r"indices must be integers, got floats \(dtype float64\): pass indices.astype\(np.int64\)",
    ),
    (
        "embedding",
        lambda: layers.embedding(np.array([True, False]), TABLE),
        TypeError,
        "indices must be integers, got booleans",
    ),
    (
        "embedding",
        lambda: layers.embedding([0, 4], TABLE),
        ValueError,
        r"indices must lie in 0..3 \(weight has 4 rows\), got 4 at position \(1,\)",
    ),
    (
        "embedding",
        lambda: layers.embedding([[0, -1]], TABLE),
        ValueError,
        r"got -1 at position \(0, 1\) \(negative indices are not counted from the end",
    ),
    (
        "embedding",
        lambda: layers.embedding(None, TABLE),
        TypeError,
        "indices must be an array of integers, got NoneType",
    ),
    (
        "embedding",
        lambda: layers.embedding([0, 1], np.ones(4)),
        ValueError,
        r"weight must have shape \(num_embeddings, dim\)",
    ),
    (
        "embedding_backward",
        lambda: layers.embedding_backward(np.ones((2, 4)), [0, 1], TABLE),
        ValueError,
        r"G must have the shape of embedding's output, \(2, 3\)",
    ),
    # layer_norm and batch_norm
    (
        "layer_norm",
        lambda: layers.layer_norm(NORMED, np.ones(4), ONES5),
        ValueError,
        r"gamma must have shape \(5,\), one entry per feature",
    ),
    (
        "layer_norm",
        lambda: layers.layer_norm(NORMED, ONES5, np.ones((1, 5))),
        ValueError,
        r"beta must have shape \(5,\)",
    ),
    (
        "layer_norm",
        lambda: layers.layer_norm(NORMED, ONES5, ONES5, eps=0),
        ValueError,
        "eps must be > 0",
    ),
    (
        "layer_norm",
        lambda: layers.layer_norm(NORMED, ONES5, ONES5, eps=-1e-5),
        ValueError,
        "eps must be a finite number >= 0",
    ),
    (
        "layer_norm",
        lambda: layers.layer_norm(NORMED + 0j, ONES5, ONES5),
        ValueError,
        "x is complex, but layer_norm takes real numbers only",
    ),
    (
        "layer_norm",
        lambda: layers.layer_norm(np.ones(()), np.ones(1), np.ones(1)),
        ValueError,
        r"x must have shape \(\*, D\)",
    ),
    (
        "layer_norm_backward",
        lambda: layers.layer_norm_backward(np.ones(5), NORMED, ONES5, ONES5),
        ValueError,
        r"G must have the shape of layer_norm's output, \(3, 5\)",
    ),
    (
        "batch_norm",
        lambda: layers.batch_norm(np.ones((3, 5, 2)), ONES5, ONES5),
        ValueError,
        r"x must have shape \(N, C\)",
    ),
    (
        "batch_norm",
        lambda: layers.batch_norm(np.ones((1, 5)), ONES5, ONES5),
        ValueError,
        "x must hold at least 2 examples",
    ),
    (
        "batch_norm",
        lambda: layers.batch_norm(NORMED, np.ones(3), ONES5),
        ValueError,
        r"gamma must have shape \(5,\), one entry per channel",
    ),
    (
        "batch_norm",
        lambda: layers.batch_norm(NORMED, ONES5, [np.nan] * 5),
        ValueError,
        "beta must be finite",
    ),
    (
        "batch_norm_backward",
        lambda: layers.batch_norm_backward(np.ones((5, 3)), NORMED, ONES5, ONES5),
        ValueError,
        r"G must have the shape of batch_norm's output, \(3, 5\)",
    ),
    # softmax_cross_entropy
    (
        "softmax_cross_entropy",
        lambda: layers.softmax_cross_entropy(np.ones(4), [0]),
        ValueError,
        r"z must have shape \(N, C\), got shape \(4,\)",
    ),
    (
        "softmax_cross_entropy",
        lambda: layers.softmax_cross_entropy(LOGITS, [0, 1, 2, 3, 4]),
        ValueError,
        r"y must lie in 0..3 \(z has 4 classes\), got 4 at position \(4,\)",
    ),
    (
        "softmax_cross_entropy",
        lambda: layers.softmax_cross_entropy(LOGITS, [0, 1, 2, 3, -100]),
        ValueError,
        "got -100 at position .*negative indices",
    ),
    (
        "softmax_cross_entropy",
        lambda: layers.softmax_cross_entropy(LOGITS, np.zeros(5)),
        TypeError,
        "y must be integers, got floats",
    ),
    (
        "softmax_cross_entropy",
        lambda: layers.softmax_cross_entropy(LOGITS, [0, 1]),
        ValueError,
        r"y must have shape \(5,\), one class per row of z",
    ),
    (
        "softmax_cross_entropy_backward",
        lambda: layers.softmax_cross_entropy_backward(LOGITS + 1j, [0] * 5),
        ValueError,
        "z is complex, but softmax_cross_entropy takes real numbers only",
    ),
]


# np.matrix is what one row feeds in on purpose; numpy's advice against it is not news here.
@pytest.mark.filterwarnings("ignore:the matrix subclass:PendingDeprecationWarning")
@pytest.mark.parametrize(
    ("call", "error", "message"),
    [row[1:] for row in BAD_INPUT],
    ids=[f"{row[0]}-{index}" for index, row in enumerate(BAD_INPUT)],
)
def test_bad_input_raises_a_clear_error_naming_the_argument(call, error, message):
    with pytest.raises(error, match=message) as raised:
        call()
    assert type(raised.value) in (ValueError, TypeError)  # not a subclass such as AxisError


def test_every_public_function_has_a_bad_input_row():
    public = {
        name
        for name, value in vars(layers).items()
        if callable(value) and not name.startswith("_") and value.__module__ == layers.__name__
    }
    assert public == {row[0] for row in BAD_INPUT}
