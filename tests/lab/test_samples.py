"""The committed lab recordings (sample_pcaps/lab-*.pcap) show what their scenario encodes."""

from __future__ import annotations

import pytest

import pbxlab
from lab.catalog import SCENARIOS
from tests.lab.conftest import sample_path
from tests.lab.expectations import CHECKS, assert_loopback_only


def test_every_scenario_has_a_check() -> None:
    assert set(CHECKS) == set(SCENARIOS)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_recording_shows_the_scenario(name: str) -> None:
    capture = pbxlab.read_capture(sample_path(name), strict=True)
    assert_loopback_only(capture)
    CHECKS[name](capture)
