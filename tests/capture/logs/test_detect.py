"""Format detection from the start of a file, and the cheap log/capture sniff."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from pbxlab.capture.logs import detect_log_format, looks_like_registrar_log
from pbxlab.capture.logs.detect import detect_text
from pbxlab.errors import InputError, LogFormatError

SAMPLES = Path(__file__).resolve().parents[3] / "sample_pcaps"


@pytest.mark.parametrize(
    ("text", "fmt", "reason"),
    [
        (
            "[Oct 28 15:36:06]     -- Added contact 'sip:a@b' to AOR '1' with expiration of 60 "
            "seconds\n",
            "asterisk",
            "1 of the first 1 lines look like Asterisk",
        ),
        (
            "2023-03-06 15:11:14.385000 96.03% [WARNING] sofia_reg.c:3223 Can't find user [1@x] "
            "from 1.2.3.4\n",
            "freeswitch",
            "FreeSWITCH log lines",
        ),
        ("Feb 17 09:40:56 sp1 kamailio[25182]: NOTICE: <script>: hi\n", "kamailio", "Kamailio"),
        ("Jan 25 14:23:26 alpha2 /usr/sbin/opensips[27655]: VIA0=x\n", "opensips", "OpenSIPS"),
        ("Event: PeerStatus\nPeer: SIP/1\nPeerStatus: Registered\n\n", "asterisk_ami", "AMI keys"),
        ('{"Info": {"AoR": "1", "Contacts": []}}\n', "ul_dump", "AoR/AOR records"),
        ("ts,event,extension\n2024-01-01T00:00:00Z,registered,1\n", "generic_csv", "CSV header"),
        ('{"ts": 1, "event": "registered"}\n', "generic_jsonl", "JSON object with 'ts'"),
        (
            "`Call-ID: a@b `\n`User: 1@x `\n`Status: Registered (UDP) - Expires: 2025-01-01 "
            "00:00:00 (EXPSECS: 5) `\n",
            "freeswitch_reg",
            "sofia status",
        ),
        ("\n  \n", "empty", "no text"),
    ],
)
def test_detect_text(text: str, fmt: str, reason: str) -> None:
    detection = detect_text(text)
    assert detection.format == fmt
    assert reason in detection.reason


def test_unknown_text_is_refused_with_its_start() -> None:
    with pytest.raises(LogFormatError, match=r"not a registrar log .* starts with 'hello world'"):
        detect_text("hello world\nsecond line\n")


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_gzip_log_is_detected(tmp_path: Path) -> None:
    log = tmp_path / "messages.gz"
    log.write_bytes(
        gzip.compress(
            b"[Feb  2 11:45:23] NOTICE[1362] chan_sip.c: Peer '668' is "
            b"now Reachable. (40ms / 2000ms)\n"
        )
    )
    assert detect_log_format(log).format == "asterisk"
    assert looks_like_registrar_log(log)


PCAP_HEADER = bytes.fromhex("d4c3b2a1020004000000000000000000ffff000001000000")
PCAPNG_HEADER = bytes.fromhex("0a0d0d0a1c0000004d3c2b1a01000000ffffffffffffffff1c000000")


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("a.pcap", PCAP_HEADER, r"a packet capture \(pcap\), not a text log; read it as a capture"),
        ("a.pcapng", PCAPNG_HEADER, r"a packet capture \(pcapng\)"),
        ("a.pcap.gz", gzip.compress(PCAP_HEADER), r"a packet capture \(pcap\)"),
        ("a.bin", b"\x00\x01\x02binary", "binary data"),
    ],
)
def test_binary_files_are_refused(tmp_path: Path, name: str, data: bytes, message: str) -> None:
    path = _write(tmp_path / name, data)
    with pytest.raises(LogFormatError, match=f"{name}: {message}"):
        detect_log_format(path)
    assert not looks_like_registrar_log(path)


def test_bundled_captures_are_not_logs() -> None:
    captures = sorted(SAMPLES.glob("*.pcap*"))
    assert captures, "sample_pcaps/ holds the bundled captures"
    assert not any(looks_like_registrar_log(p) for p in captures)


def test_missing_empty_and_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nope\.log: no such file"):
        detect_log_format(tmp_path / "nope.log")
    assert not looks_like_registrar_log(tmp_path / "nope.log")
    assert not looks_like_registrar_log(tmp_path)
    empty = _write(tmp_path / "empty.log", b"")
    assert detect_log_format(empty).format == "empty"
    assert not looks_like_registrar_log(empty)


def test_corrupt_gzip_is_a_format_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "broken.log.gz", b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(LogFormatError, match=r"broken\.log\.gz: corrupt gzip"):
        detect_log_format(path)
