"""The bundled samples, split into tenants once per test session (a few seconds)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pbxlab.report.tenants import Tenant, tenants_by_domain
from tests.conftest import SAMPLES

SAMPLE_FILES = sorted(SAMPLES.glob("*.pcap"))
LAB_TENANT = "127.0.0.1"  # the lab's phones register to the loopback registrar's address


@pytest.fixture(scope="session")
def sample_tenants() -> dict[str, Tenant]:
    return tenants_by_domain(SAMPLE_FILES)


@pytest.fixture(scope="session")
def sample_files() -> list[Path]:
    return SAMPLE_FILES
