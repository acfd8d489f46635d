"""The bundled samples and a corpus log, split into tenants and reported once per test
session (a few seconds; the report's run reuses the split's parse cache)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

from pbxlab.batch import BatchWarning, TenantResult, tenant_results
from pbxlab.cli.app import main
from pbxlab.cli.diagnose import findings_of
from tests.conftest import SAMPLES, corpus_path

SAMPLE_FILES = sorted(SAMPLES.glob("*.pcap"))
LAB_TENANT = "127.0.0.1"  # the lab's phones register to the loopback registrar's address


@pytest.fixture(scope="session")
def parse_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The batch runs' Parquet cache of parsed files (shared: the second run skips parsing)."""
    return tmp_path_factory.mktemp("parse-cache")


@pytest.fixture(scope="session")
def sample_tenants(report_inputs: list[Path], parse_cache: Path) -> dict[str, TenantResult]:
    """The tenants of :func:`report_inputs` (the report's own input)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BatchWarning)  # the unmapped evidence, expected
        return tenant_results(report_inputs, cache_dir=parse_cache)


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
def report_dir(
    report_inputs: list[Path], parse_cache: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """``pbxlab report`` of :func:`report_inputs`, run once through the command line."""
    out = tmp_path_factory.mktemp("report")
    args = ["report", *map(str, report_inputs), "-o", str(out), "--cache", str(parse_cache)]
    assert main(args) == 0
    return out
