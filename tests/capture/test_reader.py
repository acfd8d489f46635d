"""read_capture / iter_capture end to end on small synthetic captures: rows, errors, strictness."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pbxlab import iter_capture, read_capture
from pbxlab.capture import fastpath, framing, native
from pbxlab.errors import (
    CaptureFormatError,
    InputError,
    PacketDecodeError,
    SipParseError,
    TruncatedCaptureError,
    UnsupportedFormatError,
)
from pbxlab.tables import ERRORS, MESSAGES, RTP_STREAMS
from tests.capture import packets as pkt
from tests.capture import samples
from tests.capture.hep import hep2, hep3
from tests.capture.test_rtp import rtp

T0 = 1_700_000_000 * 10**9
MS = 1_000_000
PHONE, PBX = "10.0.0.5", "192.0.2.1"


def frame_from_phone(payload: bytes, **kw: object) -> bytes:
    return pkt.udp_frame(payload, src=PHONE, dst=PBX, sport=5062, dport=5060, **kw)  # type: ignore[arg-type]


def call_capture() -> list[tuple[int, bytes]]:
    """A phone registers, calls (SDP), the PBX answers over TCP and sends RTP; HEP mirrors it."""
    invite_pieces = pkt.ipv4_fragments(PHONE, PBX, pkt.udp(5062, 5060, samples.INVITE_SDP), 200)
    bye = samples.BYE_TCP
    return [
        (T0, frame_from_phone(samples.REGISTER_AUTH)),
        (T0 + 1 * MS, pkt.ethernet(pkt.ipv4(PBX, PHONE, pkt.udp(5060, 5062, samples.OK_CONTACTS)),
                                 vlans=[42])),
        *[(T0 + 2 * MS, pkt.ethernet(piece)) for piece in invite_pieces[::-1]],
        (T0 + 3 * MS, pkt.udp_frame(samples.TRYING_SERVER_ONLY, src=PBX, dst=PHONE, sport=5060,
                                  dport=5062)),
        (T0 + 4 * MS, pkt.ethernet(pkt.ipv4(PBX, "198.51.100.9", pkt.udp(9060, 9060, hep3(
            samples.OPTIONS, src="2001:db8::1", dst="2001:db8::5", sport=5060, dport=5070))))),
        *[(T0 + (10 + 20 * n) * MS, pkt.udp_frame(rtp(n, n * 160), src=PBX, dst=PHONE,
                                                sport=30000, dport=40000)) for n in range(3)],
        (T0 + 100 * MS, pkt.tcp_frame(bye[:50], seq=500, src=PBX, dst=PHONE, sport=5060,
                                    dport=5062)),
        (T0 + 101 * MS, pkt.tcp_frame(bye[50:], seq=550, src=PBX, dst=PHONE, sport=5060,
                                    dport=5062)),
        (T0 + 102 * MS, frame_from_phone(b"GET / HTTP/1.1\r\nHost: pbx\r\n\r\n")),
        (T0 + 103 * MS, pkt.udp_frame(samples.OPTIONS, sport=5099, dport=15060)),  # any port
        (T0 + 104 * MS, frame_from_phone(b"\r\n\r\n")),  # keepalive
    ]  # fmt: skip


def values(frame: pd.DataFrame, columns: list[str]) -> list[list[object]]:
    """Rows as plain lists, missing values as None."""
    part = frame[columns]
    return part.astype(object).where(part.notna(), None).values.tolist()


def test_a_call_becomes_typed_rows(tmp_path: Path) -> None:
    path = pkt.write(tmp_path, "call.pcap", pkt.pcap(call_capture()))
    capture = read_capture(path)
    MESSAGES.validate(capture.messages)
    RTP_STREAMS.validate(capture.rtp_streams)
    ERRORS.validate(capture.errors)
    assert capture.errors.empty
    columns = ["frame", "src", "sport", "dst", "dport", "transport", "encap", "method", "status"]
    assert values(capture.messages, columns) == [
        [1, PHONE, 5062, PBX, 5060, "udp", "none", "REGISTER", None],
        [2, PBX, 5060, PHONE, 5062, "udp", "vlan", None, 200],
        [5, PHONE, 5062, PBX, 5060, "udp", "none", "INVITE", None],  # the last fragment's frame
        [6, PBX, 5060, PHONE, 5062, "udp", "none", None, 100],
        [7, "2001:db8::1", 5060, "2001:db8::5", 5070, "udp", "hep3", "OPTIONS", None],
        [12, PBX, 5060, PHONE, 5062, "tcp", "none", "BYE", None],  # the segment completing it
        [14, "192.0.2.10", 5099, "192.0.2.20", 15060, "udp", "none", "OPTIONS", None],
    ]
    assert capture.messages["ts"].iloc[0] == pd.Timestamp(T0, tz="UTC")
    assert capture.messages["ts"].iloc[4] == pd.Timestamp(T0 + 250 * MS, tz="UTC")  # HEP's time
    streams = capture.rtp_streams
    columns = ["kind", "call_id", "src", "dst", "dport", "packets", "lost", "codec"]
    assert values(streams, columns) == [
        ["rtp", "call-1@10.0.0.5", PBX, PHONE, 40000, 3, 0, "PCMU/8000"]
    ]
    assert capture.stats["frames"] == 15
    summary = capture.summary()
    assert summary["requests"] == {"REGISTER": 1, "INVITE": 1, "OPTIONS": 2, "BYE": 1}
    assert summary["transports"] == {"tcp": 1, "udp": 6}


def test_empty_capture_gives_empty_typed_tables(tmp_path: Path) -> None:
    capture = read_capture(pkt.write(tmp_path, "empty.pcapng", pkt.pcapng(
        [pkt.Interface(pkt.LINKTYPE_ETHERNET)], [])))  # fmt: skip
    for frame, schema in ((capture.messages, MESSAGES), (capture.rtp_streams, RTP_STREAMS),
                          (capture.errors, ERRORS)):  # fmt: skip
        assert frame.empty
        assert list(frame.columns) == list(schema.names)
        assert [str(d) for d in frame.dtypes] == [str(d) for d in schema.empty().dtypes]


def test_several_files_are_merged_in_time_order(tmp_path: Path) -> None:
    late = pkt.write(
        tmp_path, "late.pcap", pkt.pcap([(T0 + 5 * MS, frame_from_phone(samples.OPTIONS))])
    )
    early = pkt.write(tmp_path, "early.pcap.gz", pkt.pcap([(T0, frame_from_phone(samples.BYE_TCP)),
                                                      (T0 + 9 * MS, frame_from_phone(
                                                          samples.REGISTER_AUTH))]),
                    compress=True)  # fmt: skip
    capture = read_capture([late, str(early)])
    assert capture.messages["method"].tolist() == ["BYE", "OPTIONS", "REGISTER"]
    assert capture.messages["source_file"].astype(str).tolist() == [
        str(early),
        str(late),
        str(early),
    ]
    assert capture.files == [str(late), str(early)]


def test_iter_capture_streams_bounded_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = pkt.write(tmp_path, "call.pcap", pkt.pcap(call_capture()))
    whole = read_capture(path).messages
    monkeypatch.setattr(framing, "BLOCK_SIZE", 512)  # many small record batches
    stream = iter_capture(path, chunk_size=2)
    chunks = list(stream)
    sizes = [len(c.messages) for c in chunks]
    assert sum(sizes) == len(whole) == 7
    assert len([size for size in sizes if size]) >= 3
    joined = pd.concat([c.messages for c in chunks], ignore_index=True)
    assert joined.astype(object).equals(whole.astype(object))
    for chunk in chunks:
        MESSAGES.validate(chunk.messages)
    assert len(stream.rtp_streams) == 1


# -- problems ----------------------------------------------------------------------


def two_good_then(tail: bytes) -> tuple[bytes, int]:
    """A pcap of two SIP frames followed by ``tail``; and the offset where the tail starts."""
    data = pkt.pcap([(T0, frame_from_phone(samples.OPTIONS)),
                   (T0 + MS, frame_from_phone(samples.REGISTER_AUTH))])  # fmt: skip
    return data + tail, len(data)


def error_rows(errors: pd.DataFrame) -> list[list[object]]:
    return values(errors, ["frame", "byte_offset", "stage", "error"])


def test_truncated_capture_lenient_and_strict(tmp_path: Path) -> None:
    record = struct.pack("<IIII", 1_700_000_001, 0, 400, 400) + b"\x00" * 100
    data, offset = two_good_then(record)
    path = pkt.write(tmp_path, "cut.pcap", data)
    capture = read_capture(path)
    assert capture.messages["method"].tolist() == ["OPTIONS", "REGISTER"]
    assert error_rows(capture.errors) == [
        [3, offset, "framing", "file ends inside record data (400 bytes announced)"]
    ]
    assert capture.errors["source_file"].tolist() == [str(path)]
    with pytest.raises(TruncatedCaptureError, match=rf"cut\.pcap, frame 3, byte {offset}: ") as e:
        read_capture(path, strict=True)
    assert (e.value.location.file, e.value.location.frame) == (str(path), 3)


def test_truncated_gzip_capture_returns_what_was_read(tmp_path: Path) -> None:
    import gzip

    frames = [(T0 + n * MS, frame_from_phone(samples.INVITE_SDP)) for n in range(2000)]
    compressed = gzip.compress(pkt.pcap(frames))
    path = pkt.write(tmp_path, "cut.pcap.gz", compressed[: len(compressed) * 3 // 4])
    capture = read_capture(path)
    assert len(capture.messages) > 100
    assert capture.errors["stage"].tolist() == ["framing"]
    assert capture.errors["error"].str.startswith("compressed file ends early").all()


def test_corrupt_record_header_lenient_and_strict(tmp_path: Path) -> None:
    data, offset = two_good_then(struct.pack("<IIII", 1_700_000_001, 0, 0x7FFFFFFF, 60))
    path = pkt.write(tmp_path, "bad.pcap", data)
    assert error_rows(read_capture(path).errors) == [
        [3, offset, "framing", "corrupt record header: captured length 2147483647 exceeds 262144"]
    ]
    with pytest.raises(CaptureFormatError, match=rf"frame 3, byte {offset}: corrupt record"):
        read_capture(path, strict=True)


@pytest.mark.parametrize(
    ("content", "error", "message"),
    [
        (b"Hello, this is a text file\n", CaptureFormatError, "not a pcap or pcapng capture"),
        (b"GMBU" + b"\x00" * 60, UnsupportedFormatError, "Network Monitor 2.x"),
    ],
)
def test_files_that_are_not_captures_always_raise(
    tmp_path: Path, content: bytes, error: type[Exception], message: str
) -> None:
    path = pkt.write(tmp_path, "notes.pcap", content)
    with pytest.raises(error, match=message):
        read_capture(path)


@pytest.mark.parametrize(
    ("name", "message"), [("missing.pcap", "missing.pcap: no such file"), (".", "is a directory")]
)
def test_missing_file_or_directory(tmp_path: Path, name: str, message: str) -> None:
    with pytest.raises(CaptureFormatError, match=message):
        read_capture(tmp_path / name)


def test_unknown_backend() -> None:
    with pytest.raises(InputError, match="unknown capture backend 'wireshark'"):
        read_capture([], backend="wireshark")


def bad_frames() -> list[tuple[int, bytes]]:
    return [
        (T0, frame_from_phone(samples.OPTIONS)),
        (T0 + 1, pkt.ethernet(b"\x45\x00\x00")),  # IPv4 header cut short
        (T0 + 2, frame_from_phone(b"SIP/2.0 999 Bogus\r\n\r\n")),
        (T0 + 3, pkt.ethernet(pkt.ipv4_fragments(PHONE, PBX, pkt.udp(1, 5060, samples.INVITE_SDP),
                                             200)[0])),
        (T0 + 4, pkt.tcp_frame(samples.BYE_TCP[:60], seq=1)),
        (T0 + 5, frame_from_phone(samples.REGISTER_AUTH)),
    ]  # fmt: skip


def test_undecodable_frames_are_error_rows_and_reading_goes_on(tmp_path: Path) -> None:
    frames = bad_frames()
    offsets = [24]
    for _ts, data in frames:
        offsets.append(offsets[-1] + 16 + len(data))
    capture = read_capture(pkt.write(tmp_path, "bad.pcap", pkt.pcap(frames)))
    assert capture.messages["frame"].tolist() == [1, 6]
    assert error_rows(capture.errors) == [
        [2, offsets[1], "link", "IPv4 header needs 20 bytes, got 3"],
        [3, offsets[2], "sip", "malformed status line 'SIP/2.0 999 Bogus'"],
        # end-of-capture findings point at the last frame read
        [
            6,
            offsets[5],
            "tcp",
            "TCP 192.0.2.10:40000 -> 192.0.2.20:5060: 60 bytes of an "
            "incomplete message at the end of the capture",
        ],
        [6, offsets[5], "ip", "1 fragmented IP datagram(s) never completed"],
    ]
    assert capture.errors["excerpt"].tolist()[:2] == [
        repr(frames[1][1]),
        repr(b"SIP/2.0 999 Bogus\r\n\r\n"),
    ]


def test_strict_raises_the_first_frame_problem(tmp_path: Path) -> None:
    path = pkt.write(tmp_path, "bad.pcap", pkt.pcap(bad_frames()))
    offset = 24 + 16 + len(bad_frames()[0][1])
    with pytest.raises(
        PacketDecodeError,
        match=rf"bad\.pcap, frame 2, byte {offset}: link: "
        "IPv4 header needs 20 bytes, got 3",
    ):
        read_capture(path, strict=True)
    sip_only = pkt.write(tmp_path, "sip.pcap", pkt.pcap([bad_frames()[2]]))
    with pytest.raises(SipParseError, match=r"sip\.pcap, frame 1, byte 24: malformed status line"):
        read_capture(sip_only, strict=True)


def everything_slow(batch: framing.RecordBatch) -> fastpath.Classified:
    """A classification that sends every frame through the per-packet decoder."""
    empty = np.empty(0, dtype=np.int64)
    none = fastpath.FastUdp(empty, empty, empty, empty, empty, empty, empty)
    return fastpath.Classified(
        np.empty(0, dtype=np.uint8), none, none, np.arange(len(batch), dtype=np.int64)
    )


def mixed_link_capture() -> bytes:
    """The call on Ethernet, plus SIP and media on other link types of a pcapng."""
    interfaces = [
        pkt.Interface(pkt.LINKTYPE_ETHERNET),
        pkt.Interface(pkt.LINKTYPE_LINUX_SLL, 9),
        pkt.Interface(pkt.LINKTYPE_RAW, 9),
    ]
    frames = [pkt.Packet(ts, data, 0) for ts, data in call_capture()]
    inner = pkt.ipv4(PHONE, PBX, pkt.udp(5062, 5060, samples.OPTIONS))
    media = pkt.ipv4(PHONE, PBX, pkt.udp(40000, 30000, rtp(7, 0, ssrc=9)))
    frames += [
        pkt.Packet(T0 + 200 * MS, pkt.linux_sll(inner), 1),
        pkt.Packet(T0 + 201 * MS, inner, 2),
        pkt.Packet(T0 + 202 * MS, pkt.linux_sll(media), 1),
        pkt.Packet(T0 + 203 * MS, pkt.ethernet(media, vlans=[7]), 0),
        pkt.Packet(T0 + 204 * MS, pkt.ethernet(inner, vlans=[7]), 0),
        pkt.Packet(T0 + 205 * MS, pkt.ethernet(inner[:30]), 0),  # truncated IPv4/UDP
    ]
    return pkt.pcapng(interfaces, frames)


def test_fast_path_decides_nothing_differently(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = pkt.write(tmp_path, "mixed.pcapng", mixed_link_capture())
    fast = read_capture(path)
    monkeypatch.setattr(native, "classify", everything_slow)
    slow = read_capture(path)
    pd.testing.assert_frame_equal(fast.messages, slow.messages)
    pd.testing.assert_frame_equal(fast.rtp_streams, slow.rtp_streams)
    pd.testing.assert_frame_equal(fast.errors, slow.errors)
    assert fast.messages["encap"].astype(str).tolist()[-3:] == ["none", "none", "vlan"]
    assert fast.rtp_streams["packets"].tolist() == [3, 2]


def test_a_stream_split_between_both_paths_is_accounted_in_frame_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    invite = pkt.ethernet(pkt.ipv4(PHONE, PBX, pkt.udp(5062, 5060, samples.INVITE_SDP)))
    frames = [(T0, invite)]
    for n in range(6):  # one RTP stream; every other frame double-tagged (QinQ: per packet)
        packet = pkt.ipv4(PBX, PHONE, pkt.udp(30000, 40000, rtp(n, n * 160)))
        frames.append((T0 + (n + 1) * 20 * MS, pkt.ethernet(packet, vlans=[1, 2] if n % 2 else [])))
    path = pkt.write(tmp_path, "mixed.pcap", pkt.pcap(frames))
    fast = read_capture(path).rtp_streams
    monkeypatch.setattr(native, "classify", everything_slow)
    slow = read_capture(path).rtp_streams
    assert values(slow, ["first_frame", "packets", "lost"]) == [[2, 6, 0]]
    pd.testing.assert_frame_equal(fast, slow)


def test_hep_mirrored_sip_keeps_the_original_addresses_time_and_transport(
    tmp_path: Path,
) -> None:
    mirror = ("198.51.100.1", "198.51.100.2")
    frames = [
        (T0, pkt.udp_frame(hep3(samples.OPTIONS, compress=True, ip_proto=6), src=mirror[0],
                           dst=mirror[1], sport=40000, dport=9060)),
        (T0 + MS, pkt.udp_frame(hep2(samples.BYE_TCP, sec=1_700_000_100, usec=5), src=mirror[0],
                                dst=mirror[1], sport=40000, dport=9060)),
        (T0 + 2 * MS, pkt.udp_frame(hep3(b"\x80\xc8\x00\x06", proto_type=5), src=mirror[0],
                                    dst=mirror[1], sport=40000, dport=9060)),  # RTCP report
        (T0 + 3 * MS, pkt.udp_frame(hep3(samples.OPTIONS)[:20], src=mirror[0], dst=mirror[1],
                                    sport=40000, dport=9060)),  # cut short
    ]  # fmt: skip
    capture = read_capture(pkt.write(tmp_path, "hep.pcap", pkt.pcap(frames)))
    columns = ["ts", "src", "sport", "dst", "dport", "transport", "encap", "method"]
    assert values(capture.messages, columns) == [
        [pd.Timestamp(T0 + 250 * MS, tz="UTC"), "10.0.0.5", 5062, "192.0.2.1", 5060, "tcp",
         "hep3", "OPTIONS"],
        [pd.Timestamp(1_700_000_100_000_005_000, tz="UTC"), "10.0.0.5", 5062, "192.0.2.1", 5060,
         "udp", "hep2", "BYE"],
    ]  # fmt: skip
    assert error_rows(capture.errors) == [
        [4, 24 + sum(16 + len(f) for _, f in frames[:3]), "hep",
         f"HEP3 length {len(hep3(samples.OPTIONS))} does not fit the 20-byte packet"],
    ]  # fmt: skip
