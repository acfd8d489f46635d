"""Findings of a small generated multi-tenant capture against the generator's own truth.

The generator (benchmarks/gen_capture.py) gives four tenants the same extension
numbers 200-259, puts most phones behind a NAT the platform handles, lets 2 % of
the phones' NATs drop every inbound request and gives 1 % a password the
registrar refuses; calls are answered, busy or cancelled.  Exactly those
problems must be found, each on its own (extension, domain).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

import pbxlab
from benchmarks.gen_capture import CaptureParams, _Simulation, generate_capture

PARAMS = CaptureParams(phones=240, duration=300.0, seed=3)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, list[Any]]:
    path = tmp_path_factory.mktemp("tenants") / "tenants.pcap"
    generate_capture(path, PARAMS)
    phones = _Simulation(PARAMS, None, None).phones  # type: ignore[arg-type]
    return pbxlab.diagnose(pbxlab.read_capture(path)), phones


def who(findings: pd.DataFrame, code: str) -> set[tuple[str, str]]:
    rows = findings[findings["code"] == code]
    return set(zip(rows["extension"], rows["domain"], strict=True))


def test_the_tenants_sharing_numbers_are_not_merged(
    generated: tuple[pd.DataFrame, list[Any]],
) -> None:
    findings, phones = generated
    assert len({p.domain for p in phones}) == 4
    assert not findings["code"].isin(["CREDENTIAL_LEAK_SUSPECTED", "MULTIPLE_PHONES"]).any()
    about = findings[findings["extension"].notna()]
    assert about["domain"].notna().all()


def test_exactly_the_broken_phones_get_problems(
    generated: tuple[pd.DataFrame, list[Any]],
) -> None:
    findings, phones = generated
    stale = {(p.ext, p.domain) for p in phones if p.stale_password}
    dropped = {(p.ext, p.domain) for p in phones if p.keepalive_broken}
    natted = {(p.ext, p.domain) for p in phones if p.nat}
    assert stale and dropped
    assert who(findings, "AUTH_FAILURE") == stale
    assert who(findings, "KEEPALIVE_DROPPED") == dropped - stale
    assert who(findings, "NAT_INBOUND_BLOCKED") == dropped - stale
    assert who(findings, "NAT_CONTACT_PRIVATE") == natted
    # the NAT the platform handles is information; a warning only where requests are lost
    warned = findings[findings["code"].str.startswith("NAT_") & (findings["severity"] != "info")]
    assert set(zip(warned["extension"], warned["domain"], strict=True)) <= dropped
    # answered, busy and cancelled calls are no problem
    assert set(findings["code"]) <= {
        "AUTH_FAILURE",
        "KEEPALIVE_DROPPED",
        "NAT_INBOUND_BLOCKED",
        "NAT_CONTACT_PRIVATE",
        "NAT_VIA_MISMATCH",
        "NAT_PORT_MISMATCH",
        "NAT_SDP_PRIVATE",
    }
