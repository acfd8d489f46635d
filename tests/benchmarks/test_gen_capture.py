"""The benchmark's capture generator: its files are real captures, its ground truth is true.

tshark is the referee: it must read the tiny variant without complaint, find
exactly the SIP messages (by method and status) and RTP packets the generator
says it wrote, see coherent TCP streams, and see NAT the way a registrar does.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from benchmarks.gen_capture import PRESETS, CaptureTruth, generate_capture, parse_size
from benchmarks.pcap_frames import internet_checksum

needs_tshark = pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark not installed")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, CaptureTruth]:
    path = tmp_path_factory.mktemp("gen") / "tiny.pcap"
    return path, generate_capture(path, PRESETS["tiny"])


def tshark_fields(path: Path, display_filter: str, *fields: str) -> list[list[str]]:
    """Rows of ``fields`` for the frames matching ``display_filter`` (all occurrences, ',')."""
    args = ["tshark", "-r", str(path), "-Y", display_filter, "-T", "fields"]
    args += ["-E", "occurrence=a", "-E", "aggregator=,"]
    for field in fields:
        args += ["-e", field]
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=120).stdout
    return [line.split("\t") for line in out.splitlines()]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        # The classic worked example of an IPv4 header checksum (checksum field zeroed).
        (bytes.fromhex("450000730000400040110000c0a80001c0a800c7"), 0xB861),
        (b"", 0xFFFF),
        (b"\x00\x01\xf2", 0x0DFE),  # odd length: padded with a zero byte
    ],
)
def test_internet_checksum(header: bytes, expected: int) -> None:
    assert internet_checksum(header) == expected


@pytest.mark.parametrize(
    ("text", "size"),
    [("1.1G", int(1.1 * 2**30)), ("300K", 300 * 1024), ("2MiB", 2 * 2**20), ("12345", 12345)],
)
def test_parse_size(text: str, size: int) -> None:
    assert parse_size(text) == size


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    params = replace(PRESETS["tiny"], duration=20.0)
    digests = []
    for name, seed in (("a", 1), ("b", 1), ("c", 2)):
        generate_capture(tmp_path / f"{name}.pcap", replace(params, seed=seed))
        digests.append(hashlib.sha256((tmp_path / f"{name}.pcap").read_bytes()).hexdigest())
    assert digests[0] == digests[1]
    assert digests[0] != digests[2]


def test_target_bytes_stops_once_the_size_is_reached(tmp_path: Path) -> None:
    params = replace(PRESETS["tiny"], duration=None, target_bytes=400_000)
    truth = generate_capture(tmp_path / "sized.pcap", params)
    size = (tmp_path / "sized.pcap").stat().st_size
    assert truth.bytes == size
    # It stops after the one-second window that crossed the target.
    assert 400_000 <= size < 400_000 + 200_000
    assert not (tmp_path / "sized.pcap.part").exists()


def test_truth_adds_up(tiny: tuple[Path, CaptureTruth]) -> None:
    path, truth = tiny
    assert truth.sip_messages == sum(truth.requests.values()) + sum(truth.responses.values())
    assert truth.sip_messages == sum(truth.sip_by_transport.values())
    assert truth.bytes == path.stat().st_size
    # Every scenario of the issue is present in the test variant.
    for method in ("REGISTER", "OPTIONS", "INVITE", "ACK", "BYE", "CANCEL"):
        assert truth.requests[method] > 0, method
    for status in ("100", "180", "200", "401", "407", "486", "487"):
        assert truth.responses[status] > 0, status
    assert truth.sip_by_transport["tcp"] > 0
    assert truth.rtp_dropped > 0
    data = path.read_bytes()
    for compact in (b"\r\ni: ", b"\r\nf: ", b"\r\nt: ", b"\r\nv: ", b"\r\nm: ", b"\r\nl: "):
        assert compact in data, compact


@needs_tshark
@pytest.mark.tshark
def test_tshark_finds_the_sip_messages_the_generator_wrote(
    tiny: tuple[Path, CaptureTruth],
) -> None:
    path, truth = tiny
    methods: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    # A frame can complete several SIP messages (TCP): occurrence=a lists them all.
    for method, status in tshark_fields(path, "sip", "sip.Method", "sip.Status-Code"):
        methods.update(m for m in method.split(",") if m)
        statuses.update(s for s in status.split(",") if s)
    assert dict(methods) == truth.requests
    assert dict(statuses) == truth.responses
    assert len(tshark_fields(path, "frame", "frame.number")) == truth.frames


@needs_tshark
@pytest.mark.tshark
def test_tshark_sees_coherent_tcp(tiny: tuple[Path, CaptureTruth]) -> None:
    path, _ = tiny
    # No retransmission, lost segment, out-of-order or duplicate ACK anywhere.
    assert tshark_fields(path, "tcp.analysis.flags", "frame.number") == []
    assert len(tshark_fields(path, "tcp.flags.syn == 1 && tcp.flags.ack == 0", "frame.number")) > 0
    # Every SIP byte belongs to a message (no "Continuation" of interleaved segments).
    assert tshark_fields(path, "sip && !sip.Method && !sip.Status-Code", "frame.number") == []
    # Messages split over two segments, and segments carrying two messages.
    assert len(tshark_fields(path, "tcp.segments && sip", "frame.number")) > 0
    two = [row for row in tshark_fields(path, "tcp && sip", "sip.CSeq.method") if "," in row[0]]
    assert two


@needs_tshark
@pytest.mark.tshark
def test_tshark_sees_nat_in_via_received_and_rport(tiny: tuple[Path, CaptureTruth]) -> None:
    path, _ = tiny
    rows = tshark_fields(
        path,
        "sip.Status-Code && sip.Via.received && udp",
        "ip.dst",
        "udp.dstport",
        "sip.Via.received",
        "sip.Via.rport",
        "sip.Via.sent-by.address",
    )
    assert rows
    for dst, dport, received, rport, _sent_by in rows:
        assert received == dst
        assert rport in ("", dport)
    assert any(sent_by.startswith("192.168.") for *_, sent_by in rows)


@needs_tshark
@pytest.mark.tshark
def test_tshark_finds_the_rtp_through_the_sdp(tiny: tuple[Path, CaptureTruth]) -> None:
    path, truth = tiny
    out = subprocess.run(
        ["tshark", "-r", str(path), "-q", "-z", "rtp,streams"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    # Columns: start end src sport dst dport ssrc payload packets lost ...
    rows = [line.split() for line in out.splitlines() if " 0x" in line]
    assert sum(int(row[8]) for row in rows) == truth.rtp_packets
    assert {row[7] for row in rows} <= {"g711U", "g711A"}
    assert sum(int(row[9]) for row in rows) > 0  # some streams lost packets
