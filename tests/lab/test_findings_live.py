"""Findings on live lab runs: the same truth as the recordings must hold.

Reuses the session's live runs of tests/lab/test_live.py (no extra run).
"""

from __future__ import annotations

import pytest

import pbxlab
from tests.analysis.findings.test_lab import assert_truth
from tests.lab.conftest import LabCapture
from tests.lab.test_live import LIVE

pytestmark = pytest.mark.lab


@pytest.mark.parametrize("name", LIVE)
def test_live_run_is_diagnosed_as_its_truth_says(lab_capture: LabCapture, name: str) -> None:
    assert_truth(name, pbxlab.diagnose(pbxlab.analyze(lab_capture(name))))
