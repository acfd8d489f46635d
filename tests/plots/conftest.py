"""Analyses of the bundled samples, computed once per test session (each takes ~0.5 s)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import pandas as pd
import pytest

import pbxlab
from pbxlab.analysis import Analysis
from tests.conftest import SAMPLES


@cache
def _analysis(name: str) -> tuple[Analysis, pd.DataFrame]:
    analysis = pbxlab.analyze(pbxlab.read_capture(SAMPLES / name))
    return analysis, pbxlab.diagnose(analysis)


@pytest.fixture(scope="session")
def sample() -> Callable[[str], tuple[Analysis, pd.DataFrame]]:
    """``sample('lab-flapping.pcap')`` -> (its Analysis, its findings)."""
    return _analysis
