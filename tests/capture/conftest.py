"""Hypothesis profiles for the capture property tests.

``quick`` (the default) keeps ``make test`` fast; run a deeper search with
``HYPOTHESIS_PROFILE=thorough pytest tests/capture/test_properties.py``.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "quick", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "quick"))
