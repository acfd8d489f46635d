"""Fixtures: a small tenant in a real SQLite store, and the lab captures' analyses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import pbxlab
from pbxlab.analysis import Analysis
from pbxlab.extensions import Extension, ExtensionStore, ProvisioningProfile, validated
from pbxlab.widgets.loading import Evidence, load_evidence

SAMPLES = Path(__file__).resolve().parents[2] / "sample_pcaps"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ExtensionStore]:
    """Extensions 201 (Alice, one Yealink phone, profile office), 202 (Bob), 210 and 211
    (the extensions of lab-flapping.pcap), in a fresh SQLite file."""
    with ExtensionStore.open(tmp_path / "tenant.db", actor="tester") as opened:
        opened.put_profile(ProvisioningProfile(name="office", sip_server="pbx.example.com"))
        opened.put_profile(ProvisioningProfile(name="warehouse"))
        opened.add(
            validated(
                Extension,
                number="201",
                name="Alice",
                phones=[{"mac": "00:15:65:1a:2b:3c", "model": "Yealink T46S", "profile": "office"}],
            )
        )
        opened.add(validated(Extension, number="202", name="Bob", sip_username="bob202"))
        opened.add(validated(Extension, number="210", name="Carol"))
        opened.add(validated(Extension, number="211", name="Dave"))
        yield opened


@pytest.fixture(scope="session")
def flapping() -> Analysis:
    """The analysis of lab-flapping.pcap (210 expires without refresh, 211 loops)."""
    return pbxlab.analyze(pbxlab.read_capture(SAMPLES / "lab-flapping.pcap"))


@pytest.fixture(scope="session")
def flapping_evidence() -> Evidence:
    """lab-flapping.pcap read, analysed and diagnosed."""
    return load_evidence(SAMPLES / "lab-flapping.pcap")
