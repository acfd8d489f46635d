"""Fixtures for the lab tests: live runs of lab scenarios, and the recorded samples.

A live run happens once per test session and scenario (``lab_capture``); it
skips, with the reason, when Kamailio/SIPp/dumpcap are not installed or network
namespaces are not permitted.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import pbxlab
from lab.catalog import get_scenario
from lab.run_scenario import lab_unavailable_reason, run_scenario
from tests.conftest import SAMPLES

LabCapture = Callable[[str], pbxlab.Capture]


@pytest.fixture(scope="session")
def lab_capture(tmp_path_factory: pytest.TempPathFactory) -> LabCapture:
    """Run a lab scenario live (once per session) and read its capture."""
    runs: dict[str, pbxlab.Capture] = {}

    def run(name: str) -> pbxlab.Capture:
        reason = lab_unavailable_reason()
        if reason is not None:
            pytest.skip(reason)
        if name not in runs:
            work = tmp_path_factory.mktemp(f"lab-{name}")
            runs[name] = pbxlab.read_capture(run_scenario(name, workdir=work), strict=True)
        return runs[name]

    return run


def sample_path(name: str) -> Path:
    """The committed recording of scenario ``name`` (sample_pcaps/lab-<name>.pcap)."""
    return SAMPLES / get_scenario(name).sample_file
