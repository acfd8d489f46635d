"""The audio the lab's callers play: a G.711 A-law tone, written as a pcap for SIPp.

SIPp's ``play_pcap_audio`` replays the RTP packets of a pcap (their payload
and timing; addresses and ports are its own).  The lab writes its own tone
instead of replaying SIPp's bundled sample, so that the recorded captures in
sample_pcaps/ hold only media the project made.

Strategy: a sine tone, encoded with the ITU-T G.711 A-law segment table,
cut into 20 ms RTP packets (payload type 8, 160 samples), each wrapped in
Ethernet/IPv4/UDP headers and pcap record headers.
"""

from __future__ import annotations

import math
import struct
from pathlib import Path

SAMPLE_RATE = 8000
PACKET_SAMPLES = 160  # 20 ms, the usual G.711 packetisation
PCMA_PAYLOAD_TYPE = 8
LINKTYPE_ETHERNET = 1


def alaw(sample: int) -> int:
    """G.711 A-law code of a 16-bit signed linear sample."""
    sign = 0x80 if sample >= 0 else 0x00
    magnitude = min(sample if sample >= 0 else -sample - 1, 32767) >> 3  # 13-bit
    if magnitude < 32:
        code = magnitude >> 1
    else:
        segment = magnitude.bit_length() - 5  # 1..7
        code = (segment << 4) | ((magnitude >> segment) & 0x0F)
    return (code | sign) ^ 0x55


def tone_payloads(seconds: float, hz: float = 440.0, amplitude: int = 8000) -> list[bytes]:
    """RTP payloads (A-law, 160 bytes each) of a ``hz`` tone lasting ``seconds``."""
    total = int(seconds * SAMPLE_RATE) // PACKET_SAMPLES * PACKET_SAMPLES
    codes = bytes(
        alaw(round(amplitude * math.sin(2 * math.pi * hz * n / SAMPLE_RATE))) for n in range(total)
    )
    return [codes[i : i + PACKET_SAMPLES] for i in range(0, total, PACKET_SAMPLES)]


def _ipv4_udp(payload: bytes, src_port: int, dst_port: int) -> bytes:
    udp = struct.pack("!HHHH", src_port, dst_port, 8 + len(payload), 0) + payload
    header = struct.pack(
        "!BBHHHBBH4s4s",
        0x45,
        0,
        20 + len(udp),
        0,
        0,
        64,
        17,
        0,
        bytes([127, 0, 0, 1]),
        bytes([127, 0, 0, 1]),
    )
    words = struct.unpack("!10H", header)
    checksum = sum(words)
    checksum = (checksum & 0xFFFF) + (checksum >> 16)
    checksum = ~((checksum & 0xFFFF) + (checksum >> 16)) & 0xFFFF
    return header[:10] + struct.pack("!H", checksum) + header[12:] + udp


def write_tone_pcap(path: Path, seconds: float = 3.0, hz: float = 440.0) -> Path:
    """Write a pcap of ``seconds`` of A-law RTP (a ``hz`` tone) to ``path``; return it."""
    records = []
    for index, payload in enumerate(tone_payloads(seconds, hz)):
        rtp = (
            struct.pack(
                "!BBHII",
                0x80,
                PCMA_PAYLOAD_TYPE | (0x80 if index == 0 else 0),  # marker on the first
                index,
                index * PACKET_SAMPLES,
                0x1AB0_1AB0,
            )
            + payload
        )
        frame = b"\x00" * 12 + b"\x08\x00" + _ipv4_udp(rtp, 6000, 6000)
        micros = index * PACKET_SAMPLES * 1_000_000 // SAMPLE_RATE
        records.append(
            struct.pack("<IIII", micros // 1_000_000, micros % 1_000_000, len(frame), len(frame))
            + frame
        )
    header = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, LINKTYPE_ETHERNET)
    path.write_bytes(header + b"".join(records))
    return path
