"""matgrad.layers vs torch.nn.functional on the CPU: time, memory and agreement.

Run: python benchmarks/layers_vs_torch.py   (needs requirements-bench.txt)

Three tables, from one run:
- time: one forward + backward of conv2d (x (32, 16, 32, 32), weight (32, 16, 3, 3),
  padding 1) and of attention (q, k, v (8, 256, 64)), ours (the layer, then its backward)
  against torch's functional and autograd, in float32 and float64; "ratio" is ours / torch.
  Peak memory is tracemalloc's for ours (numpy reports its buffers to it), beside the size of
  conv2d's X_col, the patches matrix of im2col, which the forward and the backward each build.
- the gradient check: mg.check of a conv layer's every entry (x, weight, bias) at
  x (2, 3, 8, 8), weight (4, 3, 3, 3), central differences.
- agreement: for each layer and dtype, the worst relative error max|ours − torch| / max|torch|
  of our output and of each gradient, on the same numbers and the same G.

As in backprop_vs_torch.py: torch runs with as many threads as numpy's BLAS, its OpenMP
threads sleep between calls (OMP_WAIT_POLICY=passive), and the time table is measured twice,
with glibc's default allocator and with its mmap threshold raised (freed arrays reused instead
of fresh pages, each of whose first touch is a page fault), to show how much of the gap that is.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "passive")  # read when torch loads its OpenMP

import time
import tracemalloc

import numpy as np
import torch
import torch.nn.functional as F
from _common import (
    blas_threads,
    describe_machine,
    format_time,
    median_seconds,
    print_table,
    raise_glibc_mmap_threshold,
)

import matgrad as mg
from matgrad import layers

CONV = {"x": (32, 16, 32, 32), "weight": (32, 16, 3, 3), "bias": (32,)}
ATTENTION = (8, 256, 64)
GOALS = {"conv2d": 3.0, "attention": 1.5}
CHECK_GOAL = 1.0  # seconds


def arrays(shapes, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return {name: rng.normal(size=shape).astype(dtype) for name, shape in shapes.items()}


def tensors(values):
    return {name: torch.from_numpy(value.copy()).requires_grad_() for name, value in values.items()}


def megabytes(n_bytes):
    return f"{n_bytes / 2**20:.0f} MB"


def peak_bytes(run):
    tracemalloc.start()
    tracemalloc.reset_peak()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def timed_cases(dtype):
    """(layer, ours, torch's, the memory note) for each timed layer."""
    conv = arrays(CONV, dtype)
    G = np.random.default_rng(1).normal(size=(32, 32, 32, 32)).astype(dtype)
    conv_t, G_t = tensors(conv), torch.from_numpy(G)

    def conv_ours():
        layers.conv2d(**conv, padding=1)
        layers.conv2d_backward(G, **conv, padding=1)

    def conv_torch():
        for t in conv_t.values():
            t.grad = None
        F.conv2d(conv_t["x"], conv_t["weight"], conv_t["bias"], padding=1).backward(G_t)

    n, c, h, w = CONV["x"]
    X_col = c * 9 * n * h * w * np.dtype(dtype).itemsize
    conv_memory = f"peak {megabytes(peak_bytes(conv_ours))} (X_col {megabytes(X_col)})"

    qkv = arrays(dict.fromkeys("qkv", ATTENTION), dtype, seed=2)
    G_a = np.random.default_rng(3).normal(size=ATTENTION).astype(dtype)
    qkv_t, G_at = tensors(qkv), torch.from_numpy(G_a)

    def attention_ours():
        layers.attention(**qkv)
        layers.attention_backward(G_a, **qkv)

    def attention_torch():
        for t in qkv_t.values():
            t.grad = None
        F.scaled_dot_product_attention(qkv_t["q"], qkv_t["k"], qkv_t["v"]).backward(G_at)

    attention_memory = f"peak {megabytes(peak_bytes(attention_ours))}"
    return [
        ("conv2d", conv_ours, conv_torch, conv_memory),
        ("attention", attention_ours, attention_torch, attention_memory),
    ]


def time_table(header):
    rows = []
    for dtype in (np.float32, np.float64):
        for name, ours, theirs, memory in timed_cases(dtype):
            t_ours, t_torch = median_seconds(ours, repeats=15), median_seconds(theirs, repeats=15)
            ratio = t_ours / t_torch
            verdict = "met" if ratio <= GOALS[name] else "missed"
            shape = (
                f"x {CONV['x']}, weight {CONV['weight']}, padding 1"
                if name == "conv2d"
                else f"q, k, v {ATTENTION}"
            )
            rows.append(
                [
                    f"{name} {shape}",
                    np.dtype(dtype).name,
                    format_time(t_ours),
                    format_time(t_torch),
                    f"{ratio:.2f}x",
                    f"<= {GOALS[name]}x {verdict}",
                    memory,
                ]
            )
    print()
    print(header)
    headers = ["forward + backward", "dtype", "ours", "torch", "ratio", "goal", "ours' memory"]
    print_table(headers, rows)


def check_table():
    values = arrays({"x": (2, 3, 8, 8), "weight": (4, 3, 3, 3), "bias": (4,)}, np.float64)
    G = np.random.default_rng(4).normal(size=(2, 4, 6, 6))
    claimed = layers.conv2d_backward(G, **values)

    def f(inputs):
        return np.sum(G * layers.conv2d(**inputs))

    reports = []
    seconds = median_seconds(lambda: reports.append(mg.check(f, values, claimed)), repeats=5)
    report = reports[-1]
    entries = sum(value.size for value in values.values())
    verdict = "met" if seconds < CHECK_GOAL else "missed"
    print()
    print("mg.check of conv2d's every entry (central differences):")
    print_table(
        ["layer", "entries", "time", "goal", "verdict", "max rel. error"],
        [
            [
                "conv2d x (2, 3, 8, 8), weight (4, 3, 3, 3), bias (4,)",
                str(entries),
                format_time(seconds),
                f"< {CHECK_GOAL:.0f} s {verdict}",
                report.verdict,
                report.max_error_text(),
            ]
        ],
    )


def agreement_cases(dtype):
    """(layer, ours, torch's, inputs, the names torch differentiates) for each layer."""
    rng = np.random.default_rng(5)

    def normal(*shape):
        return rng.normal(size=shape).astype(dtype)

    mask = rng.random((2, 5, 7)) < 0.6
    mask[..., 0] = True  # every query may attend to a key
    indices = rng.integers(0, 6, size=(3, 8))  # repeats
    classes = rng.integers(0, 5, size=7)
    return [
        (
            "linear",
            lambda x, weight, bias: (
                layers.linear(x, weight, bias),
                lambda G: layers.linear_backward(G, x, weight, bias),
            ),
            lambda x, weight, bias: F.linear(x, weight, bias),
            {"x": normal(3, 4, 6), "weight": normal(5, 6), "bias": normal(5)},
        ),
        (
            "conv2d, stride 2, padding 1",
            lambda x, weight, bias: (
                layers.conv2d(x, weight, bias, 2, 1),
                lambda G: layers.conv2d_backward(G, x, weight, bias, 2, 1),
            ),
            lambda x, weight, bias: F.conv2d(x, weight, bias, stride=2, padding=1),
            {"x": normal(2, 3, 9, 8), "weight": normal(4, 3, 3, 2), "bias": normal(4)},
        ),
        (
            "attention, masked",
            lambda q, k, v: (
                layers.attention(q, k, v, mask),
                lambda G: layers.attention_backward(G, q, k, v, mask),
            ),
            lambda q, k, v: F.scaled_dot_product_attention(
                q, k, v, attn_mask=torch.from_numpy(mask)
            ),
            {"q": normal(2, 5, 4), "k": normal(2, 7, 4), "v": normal(2, 7, 3)},
        ),
        (
            "embedding, repeated indices",
            lambda weight: (
                layers.embedding(indices, weight),
                lambda G: layers.embedding_backward(G, indices, weight),
            ),
            lambda weight: F.embedding(torch.from_numpy(indices), weight),
            {"weight": normal(6, 4)},
        ),
        (
            "layer_norm",
            lambda x, gamma, beta: (
                layers.layer_norm(x, gamma, beta),
                lambda G: layers.layer_norm_backward(G, x, gamma, beta),
            ),
            lambda x, gamma, beta: F.layer_norm(x, (6,), gamma, beta, 1e-5),
            {"x": normal(3, 4, 6), "gamma": normal(6), "beta": normal(6)},
        ),
        (
            "batch_norm",
            lambda x, gamma, beta: (
                layers.batch_norm(x, gamma, beta),
                lambda G: layers.batch_norm_backward(G, x, gamma, beta),
            ),
            lambda x, gamma, beta: F.batch_norm(x, None, None, gamma, beta, True, 0.0, 1e-5),
            {"x": normal(8, 5), "gamma": normal(5), "beta": normal(5)},
        ),
        (
            "softmax_cross_entropy",
            lambda z: (
                layers.softmax_cross_entropy(z, classes),
                lambda G: layers.softmax_cross_entropy_backward(z, classes),
            ),
            lambda z: F.cross_entropy(z, torch.from_numpy(classes)),
            {"z": normal(7, 5)},
        ),
    ]


def relative(ours, theirs):
    theirs = theirs.detach().numpy().astype(np.float64)
    difference = np.max(np.abs(np.asarray(ours, dtype=np.float64) - theirs))
    return f"{difference / np.max(np.abs(theirs)):.0e}"


def agreement_table():
    rows = []
    for dtype in (np.float32, np.float64):
        for name, ours, theirs, inputs in agreement_cases(dtype):
            output, backward = ours(**inputs)
            inputs_t = tensors(inputs)
            output_t = theirs(**inputs_t)
            G = np.asarray(np.random.default_rng(6).normal(size=np.shape(output)), dtype=dtype)
            output_t.backward(torch.from_numpy(G) if np.ndim(output) else None)
            gradients = backward(G)
            worst = ", ".join(
                f"{key} {relative(gradients[key], inputs_t[key].grad)}" for key in inputs
            )
            rows.append([name, np.dtype(dtype).name, relative(output, output_t), worst])
    print()
    print("agreement with torch, max|ours − torch| / max|torch|:")
    print_table(["layer", "dtype", "output", "gradients"], rows)


def main():
    describe_machine()
    _, threads = blas_threads()
    torch.set_num_threads(threads)
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads (matched to the BLAS), "
        f"OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}"
    )
    start = time.perf_counter()
    time_table("default allocator:")
    if raise_glibc_mmap_threshold():
        time_table("glibc's mmap threshold raised to 1 GiB (freed arrays reused, few page faults):")
    check_table()
    agreement_table()
    print(f"\n(the run took {time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
