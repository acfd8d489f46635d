"""MediaTracker: streams found through SDP, RFC 3550 loss and jitter, RTCP, unannounced sources."""

from __future__ import annotations

import struct

import pandas as pd
import pytest

from pbxlab.capture.rtp import MediaTracker
from pbxlab.tables import RTP_STREAMS
from tests.capture.packets import addr

PHONE, PHONE_PORT = "10.0.0.5", 40000
PBX, PBX_PORT = "192.0.2.1", 30000
NAT, NAT_PORT = "203.0.113.7", 61000
T0 = 1_700_000_000 * 10**9
MS = 1_000_000


def rtp(
    seq: int, timestamp: int, *, ssrc: int = 0x1234, pt: int = 0, marker: bool = False
) -> bytes:
    return struct.pack("!BBHII", 0x80, pt | (0x80 if marker else 0), seq & 0xFFFF,
                       timestamp & 0xFFFFFFFF, ssrc) + b"\xff" * 160  # fmt: skip


def rtcp_sender_report(ssrc: int = 0x1234) -> bytes:
    return struct.pack("!BBHI", 0x80, 200, 6, ssrc) + b"\x00" * 20


def tracker(*announced: tuple[str, int], rtcp_port: int | None = None) -> MediaTracker:
    media = MediaTracker()
    for host, port in announced:
        media.announce(host, port, "call-1", {0: "PCMU/8000", 101: "telephone-event/8000"},
                       rtcp_port)  # fmt: skip
    return media


def send(
    media: MediaTracker,
    payload: bytes,
    ts_ns: int,
    frame: int = 1,
    src: tuple[str, int] = (PBX, PBX_PORT),
    dst: tuple[str, int] = (PHONE, PHONE_PORT),
) -> bool:
    return media.packet(addr(src[0]), src[1], addr(dst[0]), dst[1], payload, ts_ns, frame)


def dtypes(frame: pd.DataFrame) -> dict[str, str]:
    """Column dtypes by name (categories' values differ from frame to frame)."""
    return {name: str(dtype) for name, dtype in frame.dtypes.items()}


def only_row(media: MediaTracker) -> dict[str, object]:
    table = media.table("c.pcap")
    assert len(table) == 1
    return table.iloc[0].to_dict()


def test_loss_counts_missing_sequence_numbers_across_the_wrap() -> None:
    media = tracker((PHONE, PHONE_PORT))
    sequence = [65530, 65531, 65532, 65533, 65535, 0, 1, 3, 4, 5]  # 65534 and 2 are lost
    for n, seq in enumerate(sequence):
        assert send(media, rtp(seq, n * 160), T0 + n * 20 * MS, frame=n + 10)
    row = only_row(media)
    assert (row["packets"], row["lost"]) == (10, 2)
    assert (row["first_frame"], row["first_ts"], row["last_ts"]) == (
        10,
        pd.Timestamp(T0, tz="UTC"),
        pd.Timestamp(T0 + 9 * 20 * MS, tz="UTC"),
    )


def test_duplicates_and_late_packets_never_make_loss_negative() -> None:
    media = tracker((PHONE, PHONE_PORT))
    for n, seq in enumerate([10, 11, 11, 12, 9, 13]):
        send(media, rtp(seq, seq * 160), T0 + n * 20 * MS)
    assert only_row(media)["lost"] == 0


# Arrivals at 0, 20, 45 (5 ms late) and 60 ms for timestamps 0, 160, 320, 480 at 8 kHz:
# transit differences D = 0, 40, 40 timestamp units, so J = 0, 40/16 = 2.5,
# 2.5 + (40 - 2.5)/16 = 4.84375 units = 4.84375 / 8 ms = 0.60546875 ms (RFC 3550 6.4.1).
ARRIVALS_MS = [0, 20, 45, 60]
EXPECTED_JITTER_MS = 0.60546875


@pytest.mark.parametrize("first_timestamp", [0, 123_456, 2**32 - 320], ids=["zero", "any", "wrap"])
def test_jitter_is_rfc3550_interarrival_jitter(first_timestamp: int) -> None:
    media = tracker((PHONE, PHONE_PORT))
    for n, arrival in enumerate(ARRIVALS_MS):
        send(media, rtp(n, first_timestamp + n * 160), T0 + arrival * MS)
    # transit times are floats at epoch magnitude (~1e13 units): exact to well under 1 µs
    assert only_row(media)["max_jitter_ms"] == pytest.approx(EXPECTED_JITTER_MS, abs=1e-4)


def test_codec_from_rtpmap_or_static_payload_type() -> None:
    media = tracker((PHONE, PHONE_PORT))
    send(media, rtp(1, 0, ssrc=1, pt=101), T0)
    send(media, rtp(1, 0, ssrc=2, pt=8), T0)
    send(media, rtp(1, 0, ssrc=3, pt=96), T0)
    table = media.table("c.pcap").set_index("ssrc")
    assert table["codec"].to_dict() == {1: "telephone-event/8000", 2: "PCMA", 3: None}
    assert table["payload_type"].to_dict() == {1: 101, 2: 8, 3: 96}


@pytest.mark.parametrize(
    ("rtcp_port", "dport"), [(None, PHONE_PORT + 1), (40100, 40100)], ids=["port+1", "a=rtcp"]
)
def test_rtcp_is_recognised_on_its_port(rtcp_port: int | None, dport: int) -> None:
    media = tracker((PHONE, PHONE_PORT), rtcp_port=rtcp_port)
    assert send(media, rtcp_sender_report(), T0, dst=(PHONE, dport))
    row = only_row(media)
    assert (row["kind"], row["packets"], row["call_id"], row["ssrc"]) == (
        "rtcp",
        1,
        "call-1",
        0x1234,
    )
    assert pd.isna(row["lost"]) and pd.isna(row["payload_type"]) and pd.isna(row["max_jitter_ms"])


def test_media_from_an_unannounced_source_is_attributed_and_flagged() -> None:
    media = tracker((PHONE, PHONE_PORT), (PBX, PBX_PORT))
    send(media, rtp(1, 0, ssrc=1), T0, src=(NAT, NAT_PORT), dst=(PBX, PBX_PORT))  # NATed phone
    send(media, rtp(1, 0, ssrc=2), T0, src=(PBX, PBX_PORT), dst=(NAT, NAT_PORT))  # symmetric RTP
    send(media, rtp(1, 0, ssrc=3), T0, src=(PBX, PBX_PORT), dst=(PHONE, PHONE_PORT))
    table = media.table("c.pcap").set_index("ssrc")
    assert table[["src", "dst", "src_announced", "dst_announced"]].to_dict("index") == {
        1: {"src": NAT, "dst": PBX, "src_announced": False, "dst_announced": True},
        2: {"src": PBX, "dst": NAT, "src_announced": True, "dst_announced": False},
        3: {"src": PBX, "dst": PHONE, "src_announced": True, "dst_announced": True},
    }
    assert set(table["call_id"]) == {"call-1"}


@pytest.mark.parametrize(
    "payload",
    [rtp(1, 0)[:11], b"\x40" + rtp(1, 0)[1:], b"\x00" * 4],
    ids=["short", "version-1", "tiny"],
)
def test_packets_that_are_not_rtp_are_not_counted(payload: bytes) -> None:
    media = tracker((PHONE, PHONE_PORT))
    assert not send(media, payload, T0)
    assert media.table("c.pcap").empty


def test_traffic_between_unannounced_endpoints_is_not_media() -> None:
    media = tracker((PHONE, PHONE_PORT))
    assert not send(media, rtp(1, 0), T0, src=(NAT, NAT_PORT), dst=(PBX, PBX_PORT))


@pytest.mark.parametrize(
    ("host", "port"),
    [(None, 4000), (PHONE, 0), ("phone.example.com", 4000)],
    ids=["no-address", "rejected", "hostname"],
)
def test_announcements_that_cannot_be_matched_are_ignored(host: str | None, port: int) -> None:
    media = MediaTracker()
    media.announce(host, port, "c", {})
    assert not send(media, rtp(1, 0), T0, dst=(PHONE, port))
    assert not send(media, rtp(1, 0), T0, dst=(PHONE, port + 1))


def test_empty_table_is_fully_typed() -> None:
    table = MediaTracker().table("c.pcap")
    assert list(table.columns) == list(RTP_STREAMS.names)
    assert dtypes(table) == dtypes(RTP_STREAMS.empty())
    RTP_STREAMS.validate(table)


def test_table_follows_the_schema() -> None:
    media = tracker((PHONE, PHONE_PORT))
    send(media, rtp(1, 0), T0)
    send(media, rtcp_sender_report(), T0, dst=(PHONE, PHONE_PORT + 1))
    table = media.table("c.pcap")
    RTP_STREAMS.validate(table)
    assert dtypes(table) == dtypes(RTP_STREAMS.empty())
