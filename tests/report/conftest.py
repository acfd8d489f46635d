"""The bundled samples, split into tenants once per test session (a few seconds)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pbxlab.cli.app import main
from pbxlab.cli.diagnose import findings_of
from pbxlab.report.tenants import Tenant, tenants_by_domain
from tests.conftest import SAMPLES, corpus_path

SAMPLE_FILES = sorted(SAMPLES.glob("*.pcap"))
LAB_TENANT = "127.0.0.1"  # the lab's phones register to the loopback registrar's address


@pytest.fixture(scope="session")
def sample_tenants(report_inputs: list[Path]) -> dict[str, Tenant]:
    """The tenants of :func:`report_inputs` (the report's own input)."""
    return tenants_by_domain(report_inputs)


@pytest.fixture(scope="session")
def diagnosed(report_inputs: list[Path]) -> pd.DataFrame:
    """What ``pbxlab diagnose`` finds in :func:`report_inputs` (its own function)."""
    return findings_of(report_inputs)


@pytest.fixture(scope="session")
def sample_files() -> list[Path]:
    return SAMPLE_FILES


BRUTE_FORCE_LOG = "logs/asterisk_security/crowdsec_hub_asterisk-bf.log"


@pytest.fixture(scope="session")
def report_inputs(sample_files: list[Path]) -> list[Path]:
    """The bundled samples and a corpus registrar log (a brute-force attack)."""
    return [*sample_files, corpus_path(BRUTE_FORCE_LOG)]


@pytest.fixture(scope="session")
def report_dir(report_inputs: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``pbxlab report`` of :func:`report_inputs`, run once through the command line."""
    out = tmp_path_factory.mktemp("report")
    code = main(["report", *map(str, report_inputs), "-o", str(out)])
    assert code == 0
    return out
