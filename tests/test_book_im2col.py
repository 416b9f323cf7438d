"""The im2col explorer's pure functions, against the library's im2col and a direct convolution."""

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from matgrad import layers
from matgrad.book import im2col


def _within(name):
    return st.integers(*im2col.LIMITS[name])


# Sizes a little smaller than the limits, so that the direct loops below stay quick.
SETTINGS = st.fixed_dictionaries(
    {
        "N": st.integers(1, 3),
        "C_in": st.integers(1, 3),
        "C_out": st.integers(1, 3),
        "H": st.integers(1, 7),
        "W": st.integers(1, 7),
        "kh": st.integers(1, 5),
        "kw": st.integers(1, 5),
        "stride": _within("stride"),
        "padding": _within("padding"),
    }
)


def direct_conv(x, weight, stride, padding):
    """``torch.nn.functional.conv2d`` without a bias, written as its definition: every output
    pixel a sum over the window it sees of the zero-padded input."""
    n_examples, _, height, width = x.shape
    c_out, _, kh, kw = weight.shape
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    h_out = (height + 2 * padding - kh) // stride + 1
    w_out = (width + 2 * padding - kw) // stride + 1
    y = np.zeros((n_examples, c_out, h_out, w_out))
    for n, o, i, j in itertools.product(
        range(n_examples), range(c_out), range(h_out), range(w_out)
    ):
        window = padded[n, :, i * stride : i * stride + kh, j * stride : j * stride + kw]
        y[n, o, i, j] = np.sum(weight[o] * window)
    return y


def fits(s: im2col.Settings) -> bool:
    return s.kh <= s.H + 2 * s.padding and s.kw <= s.W + 2 * s.padding


@given(settings=SETTINGS, seed=st.integers(0, 10_000))
def test_the_layouts_shapes_are_those_of_the_librarys_arrays(settings, seed):
    product = im2col.product(**settings)
    s = product.settings
    if not fits(s):
        assert product.layout is None and "does not fit" in product.message
        return
    layout = product.layout
    assert product.message == ""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=layout.shapes["x"])
    weight = rng.normal(size=layout.shapes["weight"])
    X_col = layers.im2col(x, s.kernel, s.stride, s.padding)
    W_col = weight.reshape(s.C_out, -1)
    Y_col = W_col @ X_col
    assert X_col.shape == layout.shapes["X_col"] == (layout.rows, layout.columns)
    assert W_col.shape == layout.shapes["W_col"]
    assert Y_col.shape == layout.shapes["Y_col"]
    # Y_col's columns are the output pixels (n, i, j): reshaped, it is the convolution.
    y = direct_conv(x, weight, s.stride, s.padding)
    assert y.shape == layout.shapes["y"]
    n_examples, c_out, h_out, w_out = y.shape
    np.testing.assert_allclose(Y_col.reshape(c_out, n_examples, h_out, w_out).swapaxes(0, 1), y)
    # ... and column (n, i, j) of X_col is the window output pixel (n, i, j) reads.
    padded = np.pad(x, ((0, 0), (0, 0), (s.padding,) * 2, (s.padding,) * 2))
    n, i, j = layout.pixel(n_examples - 1, h_out // 2, w_out - 1)
    window = padded[n, :, i * s.stride : i * s.stride + s.kh, j * s.stride : j * s.stride + s.kw]
    np.testing.assert_array_equal(X_col[:, layout.column(n, i, j)], window.ravel())


def changed_by_one_hot(x_shape, weight, stride, padding, pixel) -> np.ndarray:
    """Which entries of x change output pixel ``(n, 0, i, j)`` when perturbed alone."""
    n, i, j = pixel
    changes = np.zeros(x_shape, dtype=bool)
    for index in np.ndindex(*x_shape):
        one_hot = np.zeros(x_shape)
        one_hot[index] = 1.0
        # The convolution is linear: the change is the convolution of the perturbation.
        changes[index] = direct_conv(one_hot, weight, stride, padding)[n, 0, i, j] != 0
    return changes


@given(settings=SETTINGS, pixel=st.tuples(*[st.integers(0, 20)] * 3), seed=st.integers(0, 99))
def test_the_gradients_route_is_every_pixel_whose_perturbation_moves_the_output_pixel(
    settings, pixel, seed
):
    product = im2col.product(**settings)
    if product.layout is None:
        return
    layout, s = product.layout, product.settings
    route = im2col.route(layout, *pixel)
    assert route.pixel == layout.pixel(*pixel)  # clamped into the output
    weight = np.random.default_rng(seed).normal(size=layout.shapes["weight"])  # none is 0
    reached = route.gradient != 0
    assert route.gradient.shape == layout.shapes["x"]
    np.testing.assert_array_equal(
        reached, changed_by_one_hot(layout.shapes["x"], weight, s.stride, s.padding, route.pixel)
    )
    assert set(np.unique(route.gradient)) <= {0.0, 1.0}  # one kernel entry reaches a pixel once
    # The window: kh × kw cells of the padded image at (i·stride, j·stride), padding and all.
    n, i, j = route.pixel
    window = np.zeros((s.H + 2 * s.padding, s.W + 2 * s.padding), dtype=bool)
    window[i * s.stride : i * s.stride + s.kh, j * s.stride : j * s.stride + s.kw] = True
    np.testing.assert_array_equal(route.window, window)
    interior = window[s.padding : s.padding + s.H, s.padding : s.padding + s.W]
    for c in range(s.C_in):
        np.testing.assert_array_equal(reached[n, c], interior)
    assert route.pixels_read == np.count_nonzero(interior)
    # The column's rows (c, p, q) that read padding.
    p, q = np.divmod(np.arange(s.kh * s.kw), s.kw)
    rows, columns = i * s.stride + p - s.padding, j * s.stride + q - s.padding
    outside = (rows < 0) | (rows >= s.H) | (columns < 0) | (columns >= s.W)
    np.testing.assert_array_equal(route.padding_rows, np.tile(outside, s.C_in))


@given(settings=SETTINGS)
def test_reads_counts_the_output_pixels_that_read_each_pixel(settings):
    product = im2col.product(**settings)
    if product.layout is None:
        return
    layout, s = product.layout, product.settings
    reads = np.zeros((s.H, s.W), dtype=int)
    for i, j in itertools.product(range(layout.H_out), range(layout.W_out)):
        top, left = i * s.stride - s.padding, j * s.stride - s.padding
        rows = slice(max(top, 0), max(top + s.kh, 0))
        columns = slice(max(left, 0), max(left + s.kw, 0))
        reads[rows, columns] += 1
    route = im2col.route(layout, 0, 0, 0)
    np.testing.assert_array_equal(route.reads, reads)
    # The sum of every output pixel's route is what each pixel receives: gradients add.
    every = sum(
        im2col.route(layout, 0, i, j).gradient[0, 0]
        for i, j in itertools.product(range(layout.H_out), range(layout.W_out))
    )
    np.testing.assert_array_equal(every, reads)


def test_overlapping_windows_add_and_a_stride_past_the_kernel_skips_pixels():
    overlapping = im2col.route(im2col.product(H=5, W=5, kh=3, kw=3).layout, 0, 1, 1)
    np.testing.assert_array_equal(
        overlapping.reads,
        [[1, 2, 3, 2, 1], [2, 4, 6, 4, 2], [3, 6, 9, 6, 3], [2, 4, 6, 4, 2], [1, 2, 3, 2, 1]],
    )
    skipping = im2col.route(im2col.product(H=5, W=5, kh=2, kw=2, stride=3).layout, 0, 0, 0)
    np.testing.assert_array_equal(skipping.reads[2], np.zeros(5))  # row 2: no output reads it
    assert skipping.reads.max() == 1


def test_the_default_layout_in_words():
    layout = im2col.product().layout
    assert layout.settings == im2col.Settings(2, 2, 3, 5, 5, 3, 3, 1, 0)
    assert layout.shapes == {
        "x": (2, 2, 5, 5),
        "weight": (3, 2, 3, 3),
        "y": (2, 3, 3, 3),
        "W_col": (3, 18),
        "X_col": (18, 18),
        "Y_col": (3, 18),
    }
    assert layout.equation() == (
        "Y_col (3 × 2·3·3 = 3 × 18) = W_col (3 × 2·3·3 = 3 × 18) X_col (2·3·3 × 2·3·3 = 18 × 18)"
    )
    assert im2col.SYMBOLS.startswith("Y_col (C_out × N·H_out·W_out) = W_col (C_out × C_in·kh·kw)")
    assert layout.output_size_text() == (
        "H_out = ⌊(5 + 2·0 − 3) / 1⌋ + 1 = 3; W_out = ⌊(5 + 2·0 − 3) / 1⌋ + 1 = 3"
    )
    sentence = im2col.route(layout, 1, 2, 0).sentence()
    assert sentence.startswith(
        "Output pixel (n, i, j) = (1, 2, 0) is column n·H_out·W_out + i·W_out + j = "
        "1·9 + 2·3 + 0 = 15 of X_col and Y_col."
    )
    assert "18 values it reads, 0 of them padding" in sentence
    assert "to those 9 pixels of x[1] in each of its 2 channels" in sentence
    assert "(up to 9 per pixel here)" in sentence


def test_a_pixel_that_reads_only_padding_sends_no_gradient_back():
    layout = im2col.product(N=1, C_in=1, H=3, W=3, kh=1, kw=1, padding=2).layout
    route = im2col.route(layout, 0, 0, 0)
    assert route.pixels_read == 0 and not route.gradient.any()
    assert route.window[0, 0] and route.padding_rows.all()
    assert "reaches no pixel of x" in route.sentence()


def test_settings_are_clamped_into_their_limits():
    low = im2col.product(N=0, C_in=-1, C_out=0, H=0, W=0, kh=0, kw=0, stride=0, padding=-2)
    assert low.settings == im2col.Settings(1, 1, 1, 1, 1, 1, 1, 1, 0)
    high = im2col.product(N=9, C_in=99, C_out=9, H=40, W=13, kh=8, kw=9, stride=5, padding=4)
    assert high.settings == im2col.Settings(4, 8, 8, 12, 12, 7, 7, 4, 3)
    assert high.layout.shapes["X_col"] == (8 * 7 * 7, 4 * 3 * 3)
    assert im2col.product(N=np.int64(3)).settings.N == 3
    layout = im2col.product().layout
    assert layout.pixel(7, -1, 99) == (1, 0, 2)
    assert layout.column(7, -1, 99) == layout.column(1, 0, 2) == 11


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"N": 2.0}, "N must be a whole number, got 2.0"),
        ({"stride": True}, "stride must be a whole number, got True"),
        ({"H": "5"}, "H must be a whole number, got '5'"),
        ({"size": 5}, "unknown setting"),
    ],
)
def test_anything_but_a_whole_number_is_refused(values, message):
    with pytest.raises(TypeError, match=message):
        im2col.product(**values)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"H": 2, "W": 2, "kh": 7, "kw": 7},
            "The 7 × 7 kernel does not fit in the 2 × 2 image padded by 0 (2 × 2): use a smaller "
            "kernel or more padding.",
        ),
        ({"H": 5, "W": 1, "kh": 3, "kw": 3}, "The 3 × 3 kernel does not fit in the 5 × 1 image"),
    ],
)
def test_a_kernel_that_does_not_fit_is_a_message_not_an_exception(values, message):
    product = im2col.product(**values)
    assert product.layout is None and product.message.startswith(message)
    with pytest.raises(ValueError, match="does not fit"):
        layers.conv2d_output_size(values["H"], values["W"], (values["kh"], values["kw"]))
    fitted = im2col.product(**values, padding=3)
    assert fitted.layout is not None and fitted.message == ""
