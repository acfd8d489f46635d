"""pcap / pcapng (+gzip) framing: records, timestamps to the nanosecond, and framing errors."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import pytest

from pbxlab.capture import framing
from pbxlab.capture.framing import (
    Record,
    iter_record_batches,
    iter_records,
    sniff_capture_format,
)
from pbxlab.errors import CaptureFormatError, TruncatedCaptureError, UnsupportedFormatError
from tests.capture import packets as pkt

T0 = 1_700_000_000 * 1_000_000_000  # 2023-11-14T22:13:20Z
FRAMES = [pkt.udp_frame(b"frame one"), pkt.udp_frame(b"the second frame!"), pkt.udp_frame(b"3")]
# microsecond-exact and nanosecond-exact times
TIMES_US = [T0 + 1_000, T0 + 999_999_000, T0 + 2_000_000_000]
TIMES_NS = [T0 + 1, T0 + 999_999_999, T0 + 2_000_000_007]


def records(path: Path) -> list[Record]:
    """The file's records; the batched reader (the decoder's) must give the same ones."""
    plain = list(iter_records(path))
    batches = list(iter_record_batches(path))
    assert [batch.record(i) for batch in batches for i in range(len(batch))] == plain
    return plain


def pcap_offsets(frames: list[bytes]) -> list[int]:
    offsets, pos = [], 24
    for data in frames:
        offsets.append(pos)
        pos += 16 + len(data)
    return offsets


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize(
    ("byteorder", "nanosecond", "times"),
    [
        ("<", False, TIMES_US),
        (">", False, TIMES_US),
        ("<", True, TIMES_NS),
        (">", True, TIMES_NS),
    ],
    ids=["le-usec", "be-usec", "le-nsec", "be-nsec"],
)
def test_pcap_variants_give_every_record_exactly(
    tmp_path: Path, byteorder: str, nanosecond: bool, times: list[int], compress: bool
) -> None:
    data = pkt.pcap(
        list(zip(times, FRAMES, strict=True)), byteorder=byteorder, nanosecond=nanosecond
    )
    path = pkt.write(tmp_path, "c.pcap", data, compress=compress)
    assert records(path) == [
        Record(n + 1, ts, pkt.LINKTYPE_ETHERNET, frame, offset)
        for n, (ts, frame, offset) in enumerate(
            zip(times, FRAMES, pcap_offsets(FRAMES), strict=True)
        )
    ]


def test_pcap_link_type_ignores_fcs_bits(tmp_path: Path) -> None:
    data = bytearray(pkt.pcap([(T0, FRAMES[0])]))
    struct.pack_into("<I", data, 20, 0x1000_0000 | pkt.LINKTYPE_ETHERNET)  # FCS length present
    assert (
        records(pkt.write(tmp_path, "fcs.pcap", bytes(data)))[0].linktype == pkt.LINKTYPE_ETHERNET
    )


def test_pcap_records_straddling_read_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = pkt.pcap(list(zip(TIMES_US, FRAMES, strict=True)))
    path = pkt.write(tmp_path, "c.pcap", data)
    whole = records(path)
    monkeypatch.setattr(framing, "BLOCK_SIZE", 7)
    assert records(path) == whole
    assert [r.data for r in whole] == FRAMES


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("byteorder", ["<", ">"], ids=["le", "be"])
def test_pcapng_interfaces_with_own_link_type_and_resolution(
    tmp_path: Path, byteorder: str, compress: bool
) -> None:
    interfaces = [
        pkt.Interface(pkt.LINKTYPE_ETHERNET),  # default: microseconds
        pkt.Interface(pkt.LINKTYPE_RAW, tsresol=9),  # nanoseconds
        pkt.Interface(pkt.LINKTYPE_LINUX_SLL, tsresol=0x80 | 20),  # 2**-20 s
        pkt.Interface(pkt.LINKTYPE_LINUX_SLL2, tsresol=3),  # milliseconds
        pkt.Interface(pkt.LINKTYPE_ETHERNET, tsresol=9, tsoffset=1_000_000_000),  # seconds added
    ]
    inner = pkt.ipv4("192.0.2.1", "192.0.2.2", pkt.udp(1, 2, b"x"))
    packets = [
        pkt.Packet(T0 + 123_456_000, pkt.ethernet(inner), 0),
        pkt.Packet(T0 + 123_456_789, inner, 1),
        pkt.Packet(T0 + 500_000_000, pkt.linux_sll(inner), 2),  # exact in binary units
        pkt.Packet(T0 + 7_000_000, pkt.linux_sll2(inner), 3),
        pkt.Packet(T0 + 123_456_790, inner, 1),
        pkt.Packet(T0 + 5, pkt.ethernet(inner), 4),
    ]
    blocks = [pkt.pcapng_block(4, b"\x00\x00\x00\x00", byteorder)]  # name resolution: skipped
    data = pkt.pcapng(interfaces, packets, byteorder=byteorder, extra_blocks=blocks)
    got = records(pkt.write(tmp_path, "c.pcapng", data, compress=compress))
    assert [(r.frame, r.ts_ns, r.linktype, r.data) for r in got] == [
        (n + 1, p.ts_ns, interfaces[p.interface].linktype, p.data) for n, p in enumerate(packets)
    ]
    # offsets point at each enhanced packet block, in increasing order
    assert all(data[r.offset : r.offset + 4] == struct.pack(byteorder + "I", 6) for r in got)


def test_pcapng_sections_of_both_byte_orders_number_frames_on(tmp_path: Path) -> None:
    first = pkt.pcapng([pkt.Interface(pkt.LINKTYPE_ETHERNET)], [pkt.Packet(T0, FRAMES[0])])
    second = pkt.pcapng(
        [pkt.Interface(pkt.LINKTYPE_RAW, 9)], [pkt.Packet(T0 + 5, b"\x45raw")], byteorder=">"
    )
    got = records(pkt.write(tmp_path, "two.pcapng", first + second))
    assert [(r.frame, r.ts_ns, r.linktype, r.data) for r in got] == [
        (1, T0, pkt.LINKTYPE_ETHERNET, FRAMES[0]),
        (2, T0 + 5, pkt.LINKTYPE_RAW, b"\x45raw"),
    ]
    assert got[1].offset > len(first)


def test_pcapng_simple_packet_block_uses_interface_zero(tmp_path: Path) -> None:
    spb = pkt.pcapng_block(3, struct.pack("<I", 5) + b"hello")
    data = pkt.pcapng([pkt.Interface(pkt.LINKTYPE_RAW)], [], extra_blocks=[spb])
    assert [
        (r.frame, r.ts_ns, r.linktype, r.data)
        for r in records(pkt.write(tmp_path, "spb.pcapng", data))
    ] == [(1, 0, pkt.LINKTYPE_RAW, b"hello")]


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\xd4\xc3\xb2\xa1", "pcap"),
        (b"\xa1\xb2\xc3\xd4", "pcap"),
        (b"\x4d\x3c\xb2\xa1", "pcap"),
        (b"\xa1\xb2\x3c\x4d", "pcap"),
        (b"\x0a\x0d\x0d\x0a", "pcapng"),
        (b"\x1f\x8b\x08\x00", None),  # gzip is unwrapped before sniffing
        (b"GMBU", None),
        (b"", None),
    ],
)
def test_sniff_capture_format(head: bytes, expected: str | None) -> None:
    assert sniff_capture_format(head) == expected


# -- bad files -------------------------------------------------------------------


def three_frame_pcap() -> bytes:
    return pkt.pcap(list(zip(TIMES_US, FRAMES, strict=True)))


def test_truncated_inside_record_data(tmp_path: Path) -> None:
    data = three_frame_pcap()
    offset3 = pcap_offsets(FRAMES)[2]
    path = pkt.write(tmp_path, "cut.pcap", data[:-1])
    got: list[Record] = []
    with pytest.raises(
        TruncatedCaptureError,
        match=rf"cut\.pcap, frame 3, byte {offset3}: "
        rf"file ends inside record data \({len(FRAMES[2])} bytes announced\)",
    ) as info:
        got.extend(iter_records(path))
    assert [r.data for r in got] == FRAMES[:2]
    assert (info.value.location.frame, info.value.location.byte_offset) == (3, offset3)


def test_truncated_inside_record_header(tmp_path: Path) -> None:
    data = three_frame_pcap()
    offset3 = pcap_offsets(FRAMES)[2]
    path = pkt.write(tmp_path, "cut.pcap", data[: offset3 + 10])
    with pytest.raises(
        TruncatedCaptureError, match=rf"frame 3, byte {offset3}: file ends inside a record header"
    ):
        records(path)


def test_truncated_file_header(tmp_path: Path) -> None:
    path = pkt.write(tmp_path, "cut.pcap", three_frame_pcap()[:10])
    with pytest.raises(TruncatedCaptureError, match="file ends inside the pcap file header"):
        records(path)


def test_truncated_pcapng_block(tmp_path: Path) -> None:
    data = pkt.pcapng(
        [pkt.Interface(pkt.LINKTYPE_ETHERNET)],
        [pkt.Packet(T0, FRAMES[0]), pkt.Packet(T0, FRAMES[1])],
    )
    path = pkt.write(tmp_path, "cut.pcapng", data[:-3])
    with pytest.raises(
        TruncatedCaptureError,
        match=r"frame 2, byte \d+: file ends inside a "
        r"pcapng block of \d+ bytes",
    ):
        records(path)


def test_truncated_gzip_keeps_the_records_before(tmp_path: Path) -> None:
    # enough records that the compressed stream is cut well after the first ones
    frames = [pkt.udp_frame(bytes([n % 251]) * 300 + n.to_bytes(4, "big")) for n in range(3000)]
    data = pkt.pcap([(T0 + n, f) for n, f in enumerate(frames)])
    compressed = gzip.compress(data)
    path = pkt.write(tmp_path, "cut.pcap.gz", compressed[: len(compressed) // 2])
    got: list[Record] = []
    with pytest.raises(
        TruncatedCaptureError,
        match=r"cut\.pcap\.gz, byte \d+: compressed file "
        "ends early",
    ):
        got.extend(iter_records(path))
    assert len(got) > 100
    assert [r.data for r in got] == frames[: len(got)]


def test_corrupt_pcap_record_header(tmp_path: Path) -> None:
    data = bytearray(three_frame_pcap())
    offset2 = pcap_offsets(FRAMES)[1]
    struct.pack_into("<I", data, offset2 + 8, 0x00FF_FFFF)  # captured length
    with pytest.raises(
        CaptureFormatError,
        match=rf"frame 2, byte {offset2}: corrupt record header: captured length "
        "16777215 exceeds 262144",
    ) as info:
        records(pkt.write(tmp_path, "bad.pcap", bytes(data)))
    assert not isinstance(info.value, TruncatedCaptureError)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda d: d[:4] + struct.pack("<I", 30) + d[8:],
            r"corrupt pcapng block \(type 0xa0d0d0a, "
            "length 30\\)",
        ),
        (
            lambda d: d[:8] + b"ABCD" + d[12:],
            "pcapng section header with bad byte-order magic b'ABCD'",
        ),
    ],
    ids=["block-length", "byte-order-magic"],
)
def test_corrupt_pcapng_header(tmp_path: Path, mutate: object, message: str) -> None:
    data = pkt.pcapng([pkt.Interface(pkt.LINKTYPE_ETHERNET)], [pkt.Packet(T0, FRAMES[0])])
    with pytest.raises(CaptureFormatError, match=message):
        records(pkt.write(tmp_path, "bad.pcapng", mutate(data)))  # type: ignore[operator]


def test_pcapng_packet_on_undeclared_interface(tmp_path: Path) -> None:
    data = pkt.pcapng([pkt.Interface(pkt.LINKTYPE_ETHERNET)], [pkt.Packet(T0, FRAMES[0], 0)])
    data = bytearray(data)
    struct.pack_into("<I", data, 48 + 8, 3)  # the EPB after SHB (28 bytes) and IDB (20 bytes)
    with pytest.raises(
        CaptureFormatError, match="frame 1, byte 48: packet refers to undeclared interface 3"
    ):
        records(pkt.write(tmp_path, "bad.pcapng", bytes(data)))


@pytest.mark.parametrize(
    ("content", "error", "message"),
    [
        (
            b"GET / HTTP/1.1\r\n\r\n",
            CaptureFormatError,
            r"byte 0: not a pcap or pcapng capture \(starts with b'GET '\)",
        ),
        (b"", CaptureFormatError, r"not a pcap or pcapng capture \(starts with b''\)"),
        (
            b"GMBU\x00\x02" + b"\x00" * 64,
            UnsupportedFormatError,
            r"Microsoft Network Monitor 2\.x capture format is not supported; convert it first, "
            r"e\.g\. `editcap -F pcap IN OUT\.pcap`",
        ),
        (
            b"XCP\x00" + b"\x00" * 64,
            UnsupportedFormatError,
            "NetXray / Sniffer \\(Windows\\) capture format is not supported",
        ),
    ],
    ids=["http", "empty", "netmon", "netxray"],
)
@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_not_a_readable_capture(
    tmp_path: Path, content: bytes, error: type[Exception], message: str, compress: bool
) -> None:
    with pytest.raises(error, match=message):
        records(pkt.write(tmp_path, "x.bin", content, compress=compress))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CaptureFormatError, match=r"nope\.pcap: cannot open: No such file"):
        records(tmp_path / "nope.pcap")
