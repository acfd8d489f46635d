"""_Stream.update_arrays (numpy) gives exactly _Stream.update's (per packet) statistics.

Loss and jitter of the vectorised path against the reference loop: on generated
packet sequences (in order, with gaps, wraps, duplicates, reordering, big jumps,
timestamp wraps, any split into batches), and on the rtp_streams table of the
corpus captures, the bundled samples and a generated capture.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.gen_capture import PRESETS, generate_capture
from pbxlab import read_capture
from pbxlab.capture import rtp
from pbxlab.capture.fastpath import IntArray
from pbxlab.capture.rtp import _Stream
from pbxlab.errors import UnsupportedFormatError
from tests.capture.test_sip_bulk import corpus_captures
from tests.conftest import CORPUS, SAMPLES

T0 = 1_700_000_000 * 10**9
STATE = ("received", "last_ns", "max_seq", "cycles", "jitter", "max_jitter", "last_transit")


def stream(seq: int, clock: int = 8000, *, rtcp: bool = False) -> _Stream:
    return _Stream("call", 0, "PCMU", clock, seq, T0, 1, True, False, rtcp)


def state(s: _Stream) -> tuple[object, ...]:
    return tuple(getattr(s, name) for name in STATE)


def assert_same(
    packets: list[tuple[int, int, int]], cuts: list[int], clock: int, rtcp: bool
) -> None:
    """One packet at a time (as MediaTracker.packet) vs batches cut at ``cuts``."""
    reference, vectorised = (
        stream(packets[0][0], clock, rtcp=rtcp),
        stream(packets[0][0], clock, rtcp=rtcp),
    )
    for seq, rtp_ts, arrival in packets:
        reference.update([seq], [rtp_ts], [arrival])
    bounds = [0, *sorted({c % (len(packets) + 1) for c in cuts}), len(packets)]
    for lo, hi in itertools.pairwise(bounds):
        part = packets[lo:hi]
        columns = [np.array(c, dtype=np.int64) for c in zip(*part, strict=True)] if part else []
        if columns:
            vectorised.update_arrays(*columns)
    assert state(vectorised) == state(reference)


# in-order runs (the numpy path), including steps at the edge of MAX_DROPOUT
calm_steps = st.sampled_from([1, 1, 1, 0, 2, 2999, 3000])
any_steps = st.one_of(
    st.just(1),
    st.integers(0, 3),  # duplicates and small gaps
    st.integers(-5, -1),  # late packets
    st.integers(2990, 3010),  # around MAX_DROPOUT
    st.integers(0, 65535),  # anything: big jumps, backwards over the wrap
)


@st.composite
def packet_runs(draw: st.DrawFn) -> list[tuple[int, int, int]]:
    seq = draw(st.integers(0, 65535))
    rtp_ts = draw(st.integers(0, 2**32 - 1))
    arrival = T0 + draw(st.integers(0, 10**12))
    steps = calm_steps if draw(st.booleans()) else any_steps
    packets = []
    for _ in range(draw(st.integers(1, 60))):
        packets.append((seq, rtp_ts, arrival))
        seq = (seq + draw(steps)) % 65536
        rtp_ts = (rtp_ts + draw(st.sampled_from([160, 160, 0, 320, -160, 2**31 + 7]))) % 2**32
        arrival += draw(st.integers(0, 60_000_000))
    return packets


@settings(max_examples=300, deadline=None)
@given(
    packet_runs(),
    st.lists(st.integers(0, 200), max_size=6),
    st.sampled_from([8000, 16000, 48000, 90000]),
    st.booleans(),
)
def test_update_arrays_equals_update(
    packets: list[tuple[int, int, int]], cuts: list[int], clock: int, rtcp: bool
) -> None:
    assert_same(packets, cuts, clock, rtcp)


@pytest.mark.parametrize(
    ("what", "seqs"),
    [
        ("in order across the wrap", [65533, 65534, 65535, 0, 1, 2]),
        ("duplicate", [10, 11, 11, 12]),
        ("late packet", [10, 12, 11, 13]),
        ("jump beyond MAX_DROPOUT", [10, 11, 5000, 5001, 12]),
        ("backwards over the wrap", [1, 2, 65000, 3]),
        ("just under MAX_DROPOUT", [0, 2999, 5998]),
        ("exactly MAX_DROPOUT", [0, 3000, 1]),
        ("exactly MAX_DROPOUT, then in order", [0, 3000, 3001]),
    ],
)
def test_sequence_cases(what: str, seqs: list[int]) -> None:
    packets = [(seq, 160 * i, T0 + 20_000_000 * i + 7_000 * (i % 3)) for i, seq in enumerate(seqs)]
    assert_same(packets, [], 8000, False)
    assert_same(packets, [1, 3], 8000, False)


def assert_capture_same_as_reference(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        vectorised = read_capture(path).rtp_streams
    except UnsupportedFormatError:
        return

    def by_packet(self: _Stream, seqs: IntArray, stamps: IntArray, arrivals: IntArray) -> None:
        self.update(seqs.tolist(), stamps.tolist(), arrivals.tolist())

    with monkeypatch.context() as patch:
        patch.setattr(rtp._Stream, "update_arrays", by_packet)
        reference = read_capture(path).rtp_streams
    pd.testing.assert_frame_equal(vectorised, reference)


@pytest.mark.parametrize("relative", list(corpus_captures()))
def test_corpus_capture_streams_same_as_reference(
    relative: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert_capture_same_as_reference(CORPUS / relative, monkeypatch)


@pytest.mark.parametrize("name", sorted(p.name for p in SAMPLES.glob("*.pcap")))
def test_sample_capture_streams_same_as_reference(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert_capture_same_as_reference(SAMPLES / name, monkeypatch)


def test_generated_capture_streams_same_as_reference(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "tiny.pcap"
    generate_capture(path, PRESETS["tiny"])
    assert_capture_same_as_reference(path, monkeypatch)
    streams = read_capture(path).rtp_streams
    assert (streams["lost"].fillna(0) > 0).any() and (streams["max_jitter_ms"].fillna(0) > 0).any()
