"""Shared pytest set-up: deterministic hypothesis runs, so CI never meets a new example."""

from hypothesis import settings

settings.register_profile("matgrad", derandomize=True, deadline=None, max_examples=60)
settings.load_profile("matgrad")
