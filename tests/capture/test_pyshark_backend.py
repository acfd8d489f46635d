"""The pyshark backend against real tshark on real corpus captures.

Expected counts are those of ../shared/corpus/pcaps/SOURCES.md (tshark 4.0
defaults are the ground truth there); field values were read off
``tshark -V`` for the frames named.
"""

from __future__ import annotations

import asyncio
import gc
import shutil
import struct
import threading
from collections import Counter
from functools import cache
from pathlib import Path
from typing import NamedTuple

import pandas as pd
import pytest

from pbxlab.capture.pyshark_backend import PysharkBackend
from pbxlab.errors import (
    BackendUnavailableError,
    CaptureFormatError,
    InputError,
    SipParseError,
    TruncatedCaptureError,
)
from pbxlab.tables import ERRORS, MESSAGES, RTP_STREAMS

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"
PCAPS = CORPUS / "pcaps"

needs_tshark = pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark not installed")
needs_corpus = pytest.mark.skipif(
    not PCAPS.is_dir(), reason="../shared/corpus (real captures) is not beside the repository"
)
pytestmark = [
    pytest.mark.tshark,
    needs_tshark,
    # a tshark pipe left open past its event loop surfaces as an unraisable exception
    pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning"),
]


class Read(NamedTuple):
    messages: pd.DataFrame
    errors: pd.DataFrame
    rtp_streams: pd.DataFrame


def read_path(
    path: Path, *, strict: bool = False, chunk_size: int = 10_000, rtp: bool = False
) -> Read:
    """Read a capture; ``rtp=False`` skips the rtp_streams table (a second tshark pass)."""
    run = PysharkBackend().open(path, strict=strict, chunk_size=chunk_size)
    chunks = list(run.chunks())
    messages = pd.concat([c.messages for c in chunks]) if chunks else MESSAGES.empty()
    errors = pd.concat([c.errors for c in chunks]) if chunks else ERRORS.empty()
    streams = run.rtp_streams() if rtp else RTP_STREAMS.empty()
    return Read(messages.reset_index(drop=True), errors.reset_index(drop=True), streams)


@cache
def read(name: str, *, rtp: bool = False) -> Read:
    return read_path(PCAPS / name, rtp=rtp)


def counts(messages: pd.DataFrame) -> Counter[str]:
    """'METHOD' for requests, 'STATUS/CSEQ-METHOD' for responses, as in SOURCES.md."""
    out: Counter[str] = Counter()
    for row in messages.itertuples():
        out[row.method if row.is_request else f"{row.status}/{row.cseq_method}"] += 1
    return out


# Per-file SIP counts from SOURCES.md, with what each file exercises.
EXPECTED_COUNTS = {
    # UDP, NATed softphone, REGISTER/401 loops
    "sngrep/aaa.pcap": {
        "REGISTER": 18, "401/REGISTER": 14, "INVITE": 11, "CANCEL": 11, "ACK": 7,
        "100/REGISTER": 4, "200/REGISTER": 3, "100/INVITE": 3, "407/INVITE": 3,
        "403/INVITE": 2, "403/REGISTER": 1, "408/INVITE": 1, "408/CANCEL": 1,
        "183/INVITE": 1, "480/INVITE": 1,
    },
    # TCP: a large INVITE body over many segments (NULL/loopback link)
    "suricata-verify/sip-body-large.pcap": {"INVITE": 1, "100/INVITE": 1},
    # TCP, two of four packets IP-in-IP
    "sngrep/ipip.pcap": {"INVITE": 1, "183/INVITE": 1, "200/INVITE": 1, "BYE": 1},
    # IPv6 on Linux cooked (SLL), with an IPv6-fragmented INVITE
    "sngrep/ipv6frag.pcap": {
        "183/INVITE": 4, "PRACK": 4, "200/PRACK": 4, "UPDATE": 4, "200/UPDATE": 4,
        "200/INVITE": 3, "INVITE": 2, "ACK": 2, "BYE": 2, "200/BYE": 2, "100/INVITE": 1,
    },
    # a call with G.711 RTP
    "wireshark-wiki/sip-rtp-g711.pcap": {
        "INVITE": 2, "100/INVITE": 2, "200/INVITE": 2, "ACK": 2, "BYE": 1, "200/BYE": 1,
    },
    # GTP-U tunnel carrying IPv6, SIP over UDP and TCP
    "arkime/gtp-iphone.pcap": {
        "REGISTER": 3, "200/REGISTER": 2, "401/REGISTER": 1, "SUBSCRIBE": 1,
        "405/SUBSCRIBE": 1, "INVITE": 1, "100/INVITE": 1, "180/INVITE": 1, "200/INVITE": 1,
        "ACK": 1, "BYE": 1, "200/BYE": 1, "MESSAGE": 1, "202/MESSAGE": 1,
    },
    # HTTP on TCP/5060: tshark's "Continuation", not SIP messages
    "ndpi/http_on_sip_port.pcap": {},
}  # fmt: skip


@needs_corpus
@pytest.mark.parametrize("name", sorted(EXPECTED_COUNTS))
def test_counts_by_method_and_status_match_tshark(name: str) -> None:
    result = read(name)
    assert counts(result.messages) == Counter(EXPECTED_COUNTS[name])
    MESSAGES.validate(result.messages)
    ERRORS.validate(result.errors)
    assert result.errors.empty
    assert (result.messages["source_file"] == str(PCAPS / name)).all()


@needs_corpus
@pytest.mark.parametrize(
    ("name", "transports", "encaps"),
    [
        ("sngrep/ipip.pcap", {"tcp": 4}, {"none": 2, "ipip": 2}),
        ("suricata-verify/sip-body-large.pcap", {"tcp": 2}, {"none": 2}),
        ("arkime/gtp-iphone.pcap", {"tcp": 13, "udp": 4}, {"gtp": 17}),
        ("sngrep/ipv6frag.pcap", {"udp": 32}, {"none": 32}),
    ],
)
def test_transport_is_the_innermost_and_tunnels_are_named(
    name: str, transports: dict[str, int], encaps: dict[str, int]
) -> None:
    messages = read(name).messages
    assert messages["transport"].value_counts().to_dict() == transports
    assert messages["encap"].value_counts().to_dict() == encaps


@needs_corpus
def test_register_challenge_fields_from_tshark() -> None:
    messages = read("sngrep/aaa.pcap").messages.set_index("frame")
    register = messages.loc[19]
    assert register["ts"] == pd.Timestamp("2005-07-04 09:32:52.844249", tz="UTC")
    assert (register["src"], register["sport"], register["dst"], register["dport"]) == (
        "192.168.1.2", 5060, "212.242.33.35", 5060,
    )  # fmt: skip
    assert register["method"] == "REGISTER"
    assert register["request_uri"] == "sip:sip.cybercity.dk"
    assert register["call_id"] == "578222729-4665d775@578222732-4665d772"
    assert (register["cseq_num"], register["cseq_method"]) == (68, "REGISTER")
    assert (register["from_user"], register["from_host"], register["from_tag"]) == (
        "voi18063", "sip.cybercity.dk", "903df0a",
    )  # fmt: skip
    assert register["contact"] == "sip:voi18063@192.168.1.2:5060;line=9c7d2dbd8822013c"
    assert (register["contact_expires"], register["expires"], register["contact_count"]) == (
        1200, 1200, 1,
    )  # fmt: skip
    assert register["via_host"] == "192.168.1.2"
    assert pd.isna(register["via_port"])
    assert register["via_rport"] == ""  # requested, no value yet
    assert register["branch"] == "z9hG4bKnp151248737-46ea715e192.168.1.2"
    assert register["user_agent"] == "Nero SIPPS IP Phone Version 2.0.51.16"
    assert not register["auth"]
    assert pd.isna(register["parse_error"])

    challenge = messages.loc[20]
    assert not challenge["is_request"]
    assert (challenge["status"], challenge["reason"]) == (401, "Unauthorized")
    assert challenge["to_tag"] == "00-04092-1701af62-120c67172"
    assert (challenge["via_received"], challenge["via_rport"]) == ("80.230.219.70", "5060")

    answered = messages.loc[30]
    assert answered["auth"]
    assert answered["auth_user"] == "voi18063"


@needs_corpus
def test_registrar_ok_lists_every_binding() -> None:
    messages = read("student-labs/MaryLS-Laborator09__sip.pcap").messages
    ok = messages[(messages["status"] == 200) & (messages["cseq_method"] == "REGISTER")]
    first_ok = ok.iloc[0]
    assert first_ok["frame"] == 7
    assert first_ok["contact_count"] == 4
    assert first_ok["contact"] == "sip:eim@192.168.60.101:47366;transport=udp"
    assert first_ok["contact_expires"] == 3283  # the first binding's, not the last one's
    assert first_ok["contacts"].count("<sip:eim@192.168.60.101:") == 4
    assert (first_ok["via_received"], first_ok["via_rport"], first_ok["via_port"]) == (
        "141.85.225.204", "60959", 46047,
    )  # fmt: skip
    assert first_ok["user_agent"] == "OpenSIPS (1.11.8-notls (x86_64/linux))"  # from Server


@needs_corpus
def test_sdp_and_ipv6_fields() -> None:
    invite = read("sngrep/ipv6frag.pcap").messages.set_index("frame").loc[2]
    assert invite["src"] == "fd17:625c:f037:2:a00:27ff:feb9:1521"
    assert invite["dport"] == 5062
    assert invite["content_type"] == "application/sdp"
    assert invite["content_length"] == 655
    assert invite["sdp_connection"] == "fd17:625c:f037:2:a00:27ff:feb9:1521"
    assert invite["sdp_audio_port"] == 15062
    assert invite["sdp_direction"] == "sendrecv"


@needs_corpus
def test_tcp_message_reassembled_from_many_segments_is_one_row_at_its_last_frame() -> None:
    messages = read("suricata-verify/sip-body-large.pcap").messages
    assert messages["frame"].tolist() == [9, 11]
    assert messages["content_length"].tolist() == [65536, 0]


def _sip_over_tcp_capture(segments: list[bytes]) -> bytes:
    """A pcap of one TCP flow 127.0.0.1:40000 -> 127.0.0.2:5060 carrying ``segments``."""
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)  # Ethernet
    seq = 1000
    for index, payload in enumerate(segments):
        tcp = struct.pack("!HHIIBBHHH", 40000, 5060, seq, 1, 5 << 4, 0x18, 65535, 0, 0)
        ip = struct.pack(
            "!BBHHHBBH4s4s", 0x45, 0, 40 + len(payload), index + 1, 0, 64, 6, 0,
            bytes([127, 0, 0, 1]), bytes([127, 0, 0, 2]),
        )  # fmt: skip
        frame = b"\x00" * 12 + b"\x08\x00" + ip + tcp + payload
        out += struct.pack("<IIII", 1_700_000_000 + index, 0, len(frame), len(frame)) + frame
        seq += len(payload)
    return out


def _request(method: str, cseq: int) -> bytes:
    return (
        f"{method} sip:201@127.0.0.2 SIP/2.0\r\n"
        f"Via: SIP/2.0/TCP 127.0.0.1:40000;branch=z9hG4bK{cseq}\r\n"
        f"From: <sip:100@127.0.0.2>;tag=f{cseq}\r\nTo: <sip:201@127.0.0.2>\r\n"
        f"Call-ID: call-{cseq}@127.0.0.1\r\nCSeq: {cseq} {method}\r\nContent-Length: 0\r\n\r\n"
    ).encode()


def test_one_row_per_sip_message_whatever_the_tcp_segmentation(tmp_path: Path) -> None:
    options, register, invite, bye = (
        _request("OPTIONS", 1), _request("REGISTER", 2), _request("INVITE", 3), _request("BYE", 4),
    )  # fmt: skip
    capture = tmp_path / "tcp.pcap"
    # a message and the start of the next / the rest of it / two whole messages
    capture.write_bytes(
        _sip_over_tcp_capture([options + register[:30], register[30:], invite + bye])
    )
    messages = read_path(capture).messages
    rows = list(zip(messages["frame"], messages["method"], messages["cseq_num"], strict=True))
    assert rows == [(1, "OPTIONS", 1), (2, "REGISTER", 2), (3, "INVITE", 3), (3, "BYE", 4)]
    assert set(messages["transport"]) == {"tcp"}
    assert set(messages["via_transport"]) == {"TCP"}
    MESSAGES.validate(messages)


@needs_corpus
def test_malformed_sip_keeps_its_row_with_tshark_expert_info() -> None:
    result = read_path(PCAPS / "zeek/invalid-content-length.pcap")
    assert result.messages["parse_error"].tolist() == ["Invalid content_length"] * 2
    assert result.messages["content_length"].isna().all()  # tshark's 0 is not believed
    with pytest.raises(SipParseError, match="Invalid content_length") as caught:
        read_path(PCAPS / "zeek/invalid-content-length.pcap", strict=True)
    assert caught.value.location.frame == 1
    assert caught.value.location.file == str(PCAPS / "zeek/invalid-content-length.pcap")


@needs_corpus
def test_rtp_streams_from_tshark_rtp_analysis() -> None:
    streams = read("wireshark-wiki/sip-rtp-g711.pcap", rtp=True).rtp_streams
    RTP_STREAMS.validate(streams)
    rtp = streams[streams["ssrc"].notna()].set_index("ssrc")
    assert int(rtp["packets"].sum()) + int(streams["packets"][streams["ssrc"].isna()].sum()) == 840
    pcmu = rtp.loc[0x343DA99B]
    assert (pcmu["src"], pcmu["sport"], pcmu["dst"], pcmu["dport"]) == (
        "10.0.2.15", 27942, "10.0.2.20", 6000,
    )  # fmt: skip
    assert (pcmu["packets"], pcmu["lost"], pcmu["payload_type"], pcmu["codec"]) == (
        425, 0, 0, "g711U",
    )  # fmt: skip
    assert pcmu["max_jitter_ms"] == pytest.approx(0.010)
    assert pcmu["call_id"] == "1-1966@10.0.2.20"
    assert pcmu["dst_announced"] and pcmu["src_announced"]
    assert pcmu["first_frame"] == 6
    pcma = rtp.loc[0x343FFA34]
    assert (pcma["packets"], pcma["payload_type"], pcma["codec"]) == (414, 8, "g711A")
    assert pcma["max_jitter_ms"] == pytest.approx(0.019)


@needs_corpus
def test_read_capture_with_the_pyshark_backend_over_several_files() -> None:
    from pbxlab import read_capture

    capture = read_capture(
        [PCAPS / "sngrep/ipip.pcap", PCAPS / "suricata-verify/sip-tcp-method__sip-tcp.pcap"],
        backend="pyshark",
    )
    assert len(capture.messages) == 6
    assert capture.messages["ts"].is_monotonic_increasing
    assert capture.summary()["transports"] == {"tcp": 6}
    assert capture.stats["sip_messages"] == 6
    MESSAGES.validate(capture.messages)


@needs_corpus
def test_chunks_are_bounded_and_concatenate_to_the_whole() -> None:
    run = PysharkBackend().open(PCAPS / "sngrep/aaa.pcap", strict=False, chunk_size=20)
    sizes = [len(chunk.messages) for chunk in run.chunks()]
    assert sizes == [20, 20, 20, 20, 1]


# -- bad input ---------------------------------------------------------------------


def test_not_a_capture_raises_naming_the_file_and_quoting_tshark(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.pcap"
    bogus.write_text("INVITE sip:bob@example.com SIP/2.0\r\n\r\n")
    with pytest.raises(CaptureFormatError, match="isn't a capture file") as caught:
        PysharkBackend().open(bogus, strict=False, chunk_size=100)
    assert caught.value.location.file == str(bogus)
    assert str(bogus) in str(caught.value)


def test_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such capture file"):
        PysharkBackend().open(tmp_path / "absent.pcap", strict=False, chunk_size=100)


def test_missing_tshark_raises_with_an_install_hint(tmp_path: Path) -> None:
    backend = PysharkBackend(tshark_path=str(tmp_path / "no-tshark-here"))
    with pytest.raises(BackendUnavailableError, match="apt-get install tshark"):
        backend.open(tmp_path / "any.pcap", strict=False, chunk_size=100)


@needs_corpus
def test_truncated_capture_is_an_error_row_or_a_typed_error(tmp_path: Path) -> None:
    cut = tmp_path / "cut.pcap"
    cut.write_bytes((PCAPS / "sngrep/aaa.pcap").read_bytes()[:50_000])
    lenient = read_path(cut)
    assert len(lenient.messages) > 10  # what came before the cut is kept
    assert lenient.errors["stage"].tolist() == ["framing"]
    assert "cut short" in lenient.errors["error"].iloc[0]
    ERRORS.validate(lenient.errors)
    with pytest.raises(TruncatedCaptureError, match="cut short") as caught:
        read_path(cut, strict=True)
    assert caught.value.location.file == str(cut)


def test_empty_capture_gives_typed_empty_tables(tmp_path: Path) -> None:
    empty = tmp_path / "empty.pcap"
    # a valid pcap global header (LE, microseconds, Ethernet) and no packets
    empty.write_bytes(bytes.fromhex("d4c3b2a1020004000000000000000000ffff000001000000"))
    result = read_path(empty, rtp=True)
    assert result.messages.empty and result.errors.empty and result.rtp_streams.empty
    MESSAGES.validate(result.messages)
    RTP_STREAMS.validate(result.rtp_streams)


# -- event loops, threads and tshark processes ----------------------------------------


def _pyshark_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("pyshark:")]


def _tshark_children() -> list[str]:
    import psutil

    return [p.name() for p in psutil.Process().children(recursive=True) if "tshark" in p.name()]


@needs_corpus
@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")
def test_works_under_a_running_event_loop_where_plain_pyshark_fails() -> None:
    import pyshark

    path = PCAPS / "sngrep/ipip.pcap"

    async def plain_pyshark() -> int:
        capture = pyshark.FileCapture(str(path), use_json=True, display_filter="sip")
        try:
            return sum(1 for _ in capture)
        finally:
            capture._running_processes.clear()  # its own close() would fail the same way

    async def through_the_backend() -> int:
        asyncio.get_running_loop()  # we really are inside a running loop
        return len(read_path(path).messages)

    with pytest.raises(RuntimeError, match="loop"):
        asyncio.run(plain_pyshark())
    assert asyncio.run(through_the_backend()) == 4


@needs_corpus
def test_early_exit_and_garbage_stop_tshark() -> None:
    run = PysharkBackend().open(PCAPS / "sngrep/aaa.pcap", strict=False, chunk_size=5)
    chunks = run.chunks()
    assert len(next(chunks).messages) == 5
    chunks.close()  # the consumer stops early
    assert not _pyshark_threads()
    assert not _tshark_children()

    dropped = PysharkBackend().open(PCAPS / "sngrep/aaa.pcap", strict=False, chunk_size=5)
    del dropped  # never read at all
    gc.collect()
    assert not _pyshark_threads()
    assert not _tshark_children()


@needs_corpus
def test_reads_a_capture_inside_a_jupyter_kernel() -> None:
    import nbformat
    from nbclient import NotebookClient

    path = PCAPS / "sngrep/ipip.pcap"
    source = (
        "import asyncio\n"
        "from pathlib import Path\n"
        "from pbxlab.capture.pyshark_backend import PysharkBackend\n"
        "asyncio.get_running_loop()  # ipykernel runs cells inside its event loop\n"
        f"run = PysharkBackend().open(Path({str(path)!r}), strict=False, chunk_size=100)\n"
        "messages = [c.messages for c in run.chunks()]\n"
        "print(sum(len(m) for m in messages), sorted(messages[0]['transport'].unique()))\n"
    )
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    NotebookClient(notebook, timeout=60, kernel_name="python3").execute()
    outputs = notebook.cells[0].outputs
    assert [o.get("text") for o in outputs if o.output_type == "stream"] == ["4 ['tcp']\n"]


# -- a second opinion on the native backend ---------------------------------------------


@needs_corpus
@pytest.mark.parametrize(
    ("name", "known_differences"),
    [
        ("sngrep/aaa.pcap", set()),
        ("student-labs/MaryLS-Laborator09__sip.pcap", set()),
        # IPv6 sent-by without brackets; a doubled ;tag= takes the first (as tshark)
        ("sngrep/ipv6frag.pcap", set()),
        # multipart/mixed bodies 2 bytes shorter than Content-Length: only pbxlab says so
        ("wireshark-wiki/MSCML.pcap", {"parse_error"}),
        ("wireshark-wiki/T38.pcap", set()),  # m=image is not audio
    ],
)
def test_agrees_with_the_native_backend(name: str, known_differences: set[str]) -> None:
    from pbxlab import read_capture

    native = read_capture(PCAPS / name, backend="native").messages
    tshark = read(name).messages
    assert len(native) == len(tshark)
    differing = {
        column
        for column in MESSAGES.names
        if not native[column]
        .astype("string")
        .reset_index(drop=True)
        .equals(tshark[column].astype("string").reset_index(drop=True))
    }
    assert differing == known_differences
