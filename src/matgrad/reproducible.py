"""The numeric environment in which the book's stored notebook outputs were computed.

A gradient check of a correct gradient reports an error at the level of rounding, say 4e-11,
and which rounding depends on the machine: NumPy picks SIMD kernels for ``tanh`` and ``exp``
(AVX-512 ones on CPUs that have them) and OpenBLAS picks a matrix-product kernel per CPU
family, each summing in its own order. Two x86-64 machines can then print 4e-11 and 5e-11 for
the same cell, and ``nbval`` in strict mode would call that a failure although both are right.

So the notebooks are executed, and checked, with these kernels pinned to ones every x86-64
machine with AVX2 runs identically. They change only the last bits of results, never what a
chapter shows about gradients; a reader running a notebook elsewhere may see other noise-level
digits.
"""

import os
from collections.abc import MutableMapping

REFERENCE_ENVIRONMENT = {
    # NumPy: no AVX-512 kernels (AVX2 ones are used where the CPU has them).
    "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
    # OpenBLAS: the Haswell (AVX2) kernels whatever the CPU, in one thread.
    "OPENBLAS_CORETYPE": "Haswell",
    "OPENBLAS_NUM_THREADS": "1",
}


def pin_reference_numerics(environ: MutableMapping[str, str] = os.environ) -> None:
    """Set :data:`REFERENCE_ENVIRONMENT` in ``environ`` for kernels started afterwards.

    NumPy and OpenBLAS read these variables when they load, so they act on processes started
    later (notebook kernels), not on a process that has already imported NumPy.
    """
    environ.update(REFERENCE_ENVIRONMENT)
