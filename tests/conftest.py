"""Shared pytest set-up.

- hypothesis runs are derandomized, so CI never meets an example no one has seen;
- notebook kernels that nbval starts inherit the pinned numeric environment in which the
  stored outputs were computed (see matgrad.reproducible for why).
"""

from hypothesis import settings

from matgrad.reproducible import pin_reference_numerics

settings.register_profile("matgrad", derandomize=True, deadline=None, max_examples=60)
settings.load_profile("matgrad")

pin_reference_numerics()
