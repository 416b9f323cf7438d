"""Root of every pytest run, whatever paths it is given (`pytest tests book`, `pytest book`):
notebook kernels that nbval starts inherit the pinned numeric environment in which the stored
outputs were computed (see matgrad.reproducible for why). The test fixtures live in
tests/conftest.py."""

from matgrad.reproducible import pin_reference_numerics

pin_reference_numerics()
