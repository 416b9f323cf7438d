"""Shared pieces of the benchmark scripts: timing by median of repeats, tables, the machine."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform
import statistics
import time
from collections.abc import Callable

import numpy as np


def median_seconds(run: Callable[[], object], *, repeats: int = 7, budget: float = 20.0) -> float:
    """Median wall time of ``run()`` over ``repeats`` calls (fewer if slow), after a warm-up."""
    start = time.perf_counter()
    run()
    first = time.perf_counter() - start
    repeats = max(1, min(repeats, int(budget / max(first, 1e-9))))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def format_time(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def print_table(headers: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))


def blas_threads() -> tuple[str, int]:
    """The BLAS numpy uses and its thread count, from threadpoolctl."""
    from threadpoolctl import threadpool_info

    pools = [pool for pool in threadpool_info() if pool.get("user_api") == "blas"]
    if not pools:
        return "unknown BLAS", 1
    pool = pools[0]
    return f"{pool['internal_api']} {pool.get('version', '')}".strip(), int(pool["num_threads"])


def describe_machine() -> None:
    blas, threads = blas_threads()
    print(
        f"machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}, numpy {np.__version__}, {blas} ({threads} threads)"
    )


def raise_glibc_mmap_threshold() -> bool:
    """Let glibc reuse freed large arrays instead of mapping fresh pages (M_MMAP_THRESHOLD)."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name or not hasattr(ctypes.CDLL(libc_name), "mallopt"):
        return False
    libc = ctypes.CDLL(libc_name)
    m_trim_threshold, m_mmap_threshold = -1, -3
    one_gib = 1 << 30
    return bool(libc.mallopt(m_mmap_threshold, one_gib) and libc.mallopt(m_trim_threshold, one_gib))
