"""The stored notebook outputs hold on any CPU, with nothing pinned.

A gradient check's noise-level digits depend on the CPU: NumPy picks SIMD kernels for
``tanh`` and ``exp`` by what the CPU offers, and OpenBLAS a matrix-product kernel per CPU
family, each rounding in its own order. The chapters print such numbers as the bounds they
lie below (``matgrad.noise_floor``), so nbval in strict mode must pass whichever kernels
run. Here it runs on every notebook under three sets of older kernels than this machine's
native ones, twice each (a run must also agree with itself), in subprocesses whose
environment carries no setting but the forced level. The native run is ``make test``'s own.

Each level is at or below AVX2, so that a CI machine without AVX-512 runs them too; a level
the CPU cannot run is skipped, and the module is skipped on a CPU that is not x86-64.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

import matgrad

ROOT = Path(__file__).resolve().parent.parent
SOURCE = Path(matgrad.__file__).resolve().parent.parent  # the matgrad under test

if platform.machine().lower() not in {"x86_64", "amd64"}:
    pytest.skip("the forced CPU levels name x86-64 kernels", allow_module_level=True)

# What selects NumPy's and OpenBLAS's kernels and threads: never inherited by a subprocess,
# so that each runs with its level's settings and nothing else.
KERNEL_SETTINGS = (
    "NPY_DISABLE_CPU_FEATURES",
    "NPY_ENABLE_CPU_FEATURES",
    "OPENBLAS_CORETYPE",
    "OPENBLAS_NUM_THREADS",
    "OPENBLAS_VERBOSE",
    "OMP_NUM_THREADS",
    "GOTO_NUM_THREADS",
)

NO_AVX512 = "X86_V4 AVX512_ICL AVX512_SPR"
NO_AVX2 = f"X86_V3 {NO_AVX512}"

# name: (NumPy features disabled, OpenBLAS core, its threads, the CPU feature that core needs)
LEVELS = {
    "avx2-haswell-1thread": (NO_AVX512, "Haswell", "1", "AVX2"),
    "sse4-sandybridge-2threads": (NO_AVX2, "Sandybridge", "2", "AVX"),
    "sse4-nehalem-1thread": (NO_AVX2, "Nehalem", "1", "SSE42"),
}
RUNS = 2
KERNEL_DIED_AT_START = "Kernel died before replying to kernel_info"  # jupyter_client's words
CELL_FAILED = "Notebook cell execution failed"  # nbval's, for an error or a differing output

# What a process runs: NumPy's dispatched SIMD features, what the CPU offers, and the
# OpenBLAS core and threads (None without threadpoolctl).
PROBE = """
import json
import numpy as np
from numpy._core._multiarray_umath import __cpu_features__

try:
    import threadpoolctl
except ImportError:
    blas = None
else:
    blas = [
        [i["architecture"], i["num_threads"]]
        for i in threadpoolctl.threadpool_info()
        if i["internal_api"] == "openblas"
    ]
print(json.dumps({
    "simd": np.show_config(mode="dicts")["SIMD Extensions"].get("found", []),
    "cpu": {name: bool(on) for name, on in __cpu_features__.items()},
    "blas": blas,
}))
"""


def level_environment(level: str | None) -> dict[str, str]:
    """This process's environment without any kernel setting, plus ``level``'s, and the
    matgrad under test first on the path (notebook kernels inherit both)."""
    env = {key: value for key, value in os.environ.items() if key not in KERNEL_SETTINGS}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(SOURCE), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    if level is not None:
        disabled, core, threads, _ = LEVELS[level]
        env |= {
            "NPY_DISABLE_CPU_FEATURES": disabled,
            "OPENBLAS_CORETYPE": core,
            "OPENBLAS_NUM_THREADS": threads,
        }
    return env


def probe(level: str | None) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=level_environment(level),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def native() -> dict:
    return probe(None)


def skip_unless_runnable(level: str, native: dict) -> None:
    needs = LEVELS[level][3]
    if not native["cpu"].get(needs):
        pytest.skip(f"this CPU lacks {needs}, which the {LEVELS[level][1]} kernels need")


@pytest.mark.parametrize("level", LEVELS)
def test_each_level_really_changes_the_kernels(level, native):
    """A level that changed nothing would prove nothing: its NumPy features are off and its
    OpenBLAS core and thread count are the ones asked for."""
    skip_unless_runnable(level, native)
    disabled, core, threads, _ = LEVELS[level]
    forced = probe(level)
    assert not set(disabled.split()) & set(forced["simd"]), forced["simd"]
    if forced["blas"] is None:
        pytest.skip("the OpenBLAS core is read with threadpoolctl (requirements-test.txt)")
    assert forced["blas"] == [[core, int(threads)]], forced["blas"]
    if forced["simd"] == native["simd"] and forced["blas"][0][0] == native["blas"][0][0]:
        pytest.skip(f"{level} is this CPU's own kernels: make test's native nbval run")


def nbval(level: str) -> subprocess.CompletedProcess:
    """nbval in strict mode on every notebook in book/, under ``level``."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbval",
            "--nbval-sanitize-with",
            "tests/nbval_sanitize.cfg",
            "book",
            "-q",
            "-p",
            "no:cacheprovider",
        ],
        cwd=ROOT,
        env=level_environment(level),
        capture_output=True,
        text=True,
        timeout=1800,
    )


@pytest.mark.forced_cpus
@pytest.mark.parametrize("run", range(1, RUNS + 1))
@pytest.mark.parametrize("level", LEVELS)
def test_stored_outputs_hold_under_forced_cpu_kernels(level, run, native):
    # Each (level, run) is its own test, so pytest-xdist runs two at a time on two cores.
    skip_unless_runnable(level, native)
    result = nbval(level)
    if KERNEL_DIED_AT_START in result.stdout and CELL_FAILED not in result.stdout:
        # A kernel that died before it answered ran no cell: that says nothing about the
        # outputs. Seen once in about six runs here, while the other worker's nbval started
        # kernels too (likely two processes racing for one free port: jupyter_client picks
        # a port, frees it, and the kernel binds it later). Once more; then nbval's word.
        result = nbval(level)
    assert result.returncode == 0, (
        f"nbval failed under {level} (run {run}): a cell prints digits that depend on the "
        "CPU; print them as a bound (matgrad.noise_floor, ParameterCheck.error_text)\n"
        + result.stdout[-20000:]
        + result.stderr[-5000:]
    )
    assert " passed" in result.stdout and "failed" not in result.stdout
