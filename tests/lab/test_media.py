"""The lab's own G.711 tone: correct A-law codes, and a pcap tshark reads as RTP."""

from __future__ import annotations

import shutil
import subprocess
import warnings
from pathlib import Path

import pytest

from lab.media import alaw, tone_payloads, write_tone_pcap


@pytest.mark.parametrize(
    ("sample", "code"),
    [(0, 0xD5), (-1, 0x55), (32767, 0xAA), (-32768, 0x2A), (1000, 0xFA), (-1000, 0x7A)],
)
def test_alaw_codes(sample: int, code: int) -> None:
    assert alaw(sample) == code


def test_alaw_matches_the_standard_library_encoder() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        audioop = pytest.importorskip("audioop")
    samples = range(-32768, 32768, 7)
    expected = audioop.lin2alaw(b"".join(s.to_bytes(2, "little", signed=True) for s in samples), 2)
    assert bytes(alaw(s) for s in samples) == expected


def test_tone_is_cut_into_20_ms_packets() -> None:
    payloads = tone_payloads(1.0)
    assert len(payloads) == 50
    assert {len(p) for p in payloads} == {160}


@pytest.mark.tshark
@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")
def test_tone_pcap_is_rtp_for_tshark(tmp_path: Path) -> None:
    pcap = write_tone_pcap(tmp_path / "tone.pcap", seconds=0.5)
    fields = subprocess.run(
        [
            "tshark",
            "-r",
            str(pcap),
            "-d",
            "udp.port==6000,rtp",
            "-T",
            "fields",
            "-e",
            "rtp.p_type",
            "-e",
            "rtp.seq",
            "-e",
            "ip.checksum.status",
            "-o",
            "ip.check_checksum:TRUE",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.split("\n")
    rows = [line.split("\t") for line in fields if line]
    assert [r[0] for r in rows] == ["8"] * 25
    assert [int(r[1]) for r in rows] == list(range(25))
    assert {r[2] for r in rows} == {"1"}  # 1: good checksum (0 bad, 2 unverified)
