"""Incremental framing: any split of a capture's bytes gives the records of the whole file."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pbxlab.capture.framing import Record, iter_records
from pbxlab.errors import CaptureFormatError
from pbxlab.live.pcapstream import PcapStream
from tests.conftest import SAMPLES, corpus_path

PCAP = SAMPLES / "lab-healthy.pcap"
PCAPNG = "pcaps/ndpi/sip_hello.pcapng"


def _records_fed(path: Path, cuts: list[int]) -> list[Record]:
    data = path.read_bytes()
    stream = PcapStream(str(path))
    found: list[Record] = []
    bounds = sorted({0, *(c % (len(data) + 1) for c in cuts), len(data)})
    for start, stop in itertools.pairwise(bounds):
        batch = stream.feed(data[start:stop])
        found.extend(batch.record(i) for i in range(len(batch)))
    assert stream.pending == 0
    return found


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=200_000), max_size=40))
def test_any_split_of_a_pcap_frames_as_the_whole_file(cuts: list[int]) -> None:
    assert _records_fed(PCAP, cuts) == list(iter_records(PCAP))


def test_a_pcapng_fed_byte_by_byte_in_odd_pieces_frames_as_the_whole_file() -> None:
    path = corpus_path(PCAPNG)
    size = path.stat().st_size
    assert _records_fed(path, list(range(1, size, 7))) == list(iter_records(path))


def test_a_record_cut_in_the_middle_waits_for_its_end() -> None:
    data = PCAP.read_bytes()
    stream = PcapStream("x.pcap")
    first = stream.feed(data[: 24 + 16 + 10])  # file header, record header, 10 bytes of data
    assert len(first) == 0 and stream.pending == 26
    assert len(stream.feed(data[50:])) == len(list(iter_records(PCAP)))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"GET / HTTP/1.1\r\n", "not a pcap or pcapng capture"),
        (b"\x0a\x0d\x0d\x0a" + b"\x0d\x00\x00\x00" + b"\x4d\x3c\x2b\x1a", "corrupt pcapng block"),
        (b"\x0a\x0d\x0d\x0a" + b"\x1c\x00\x00\x00" + b"\x00\x00\x00\x00", "bad byte-order magic"),
    ],
)
def test_bytes_that_are_not_a_capture_raise_with_the_offset(data: bytes, message: str) -> None:
    with pytest.raises(CaptureFormatError, match=message) as info:
        PcapStream("ring.pcapng").feed(data + bytes(32))
    assert info.value.location is not None and info.value.location.byte_offset == 0
