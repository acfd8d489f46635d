"""Plain UDP SIP taken a batch at a time gives exactly the per-packet loop's result.

NativeRun._plain_sip takes the common case (plain IPv4/UDP SIP that announces no
media) out of the per-packet loop; with it switched off every frame goes through
the loop (the reference).  Every table must be the same on the corpus captures,
the bundled samples and a generated capture, including the order of messages
when UDP and TCP SIP interleave and in small record batches.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from benchmarks.gen_capture import PRESETS, generate_capture
from pbxlab import read_capture
from pbxlab.capture import native
from pbxlab.capture.reader import Capture
from pbxlab.errors import UnsupportedFormatError
from tests.capture.test_sip_bulk import corpus_captures
from tests.conftest import CORPUS, SAMPLES


def assert_same_as_loop(path: Path, monkeypatch: pytest.MonkeyPatch) -> Capture | None:
    try:
        taken = read_capture(path)
    except UnsupportedFormatError:
        return None
    with monkeypatch.context() as patch:
        patch.setattr(native.NativeRun, "_plain_sip", lambda *args: [])
        reference = read_capture(path)
    for table in ("messages", "errors", "rtp_streams", "crlf_keepalives"):
        pd.testing.assert_frame_equal(getattr(taken, table), getattr(reference, table))
    assert taken.stats == reference.stats
    return taken


@pytest.mark.parametrize("relative", list(corpus_captures()))
def test_corpus_capture_same_as_loop(relative: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert_same_as_loop(CORPUS / relative, monkeypatch)


@pytest.mark.parametrize("name", sorted(p.name for p in SAMPLES.glob("*.pcap")))
def test_sample_capture_same_as_loop(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert_same_as_loop(SAMPLES / name, monkeypatch)


@pytest.mark.parametrize("max_batch", [65_536, 97])
def test_generated_capture_same_as_loop(
    max_batch: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The generated capture mixes UDP and TCP SIP, SDP, RTP and keepalives."""
    path = tmp_path / "tiny.pcap"
    generate_capture(path, PRESETS["tiny"])
    taken_by_batch: list[int] = []
    plain_sip = native.NativeRun._plain_sip

    def counting(self: native.NativeRun, *args: object) -> list[native.Packet]:
        entries = plain_sip(self, *args)  # type: ignore[arg-type]
        taken_by_batch.append(len(entries))
        return entries

    batches = native.iter_record_batches
    monkeypatch.setattr(native, "iter_record_batches", lambda p: batches(p, max_batch=max_batch))
    monkeypatch.setattr(native.NativeRun, "_plain_sip", counting)
    taken = assert_same_as_loop(path, monkeypatch)
    assert taken is not None
    assert set(taken.messages["transport"]) >= {"udp", "tcp"}
    # the bulk path really carries the common case
    assert sum(taken_by_batch) > 0.5 * len(taken.messages)
