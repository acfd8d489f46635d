"""Every corpus capture read by the native backend, against tshark's reviewed counts.

tests/golden/capture_counts.json holds, per file, the SIP messages tshark
decodes (by method and by status/CSeq-method), produced by
tests/golden/make_capture_counts.py and reviewed against corpus SOURCES.md.
pbxlab must report the same counts, except where it legitimately sees more
or differently; each such file is listed below with the reason and the
counts pbxlab reports instead (also reviewed).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from pbxlab import read_capture
from pbxlab.errors import UnsupportedFormatError
from pbxlab.tables import ERRORS, MESSAGES, RTP_STREAMS
from tests.conftest import CORPUS, corpus_path
from tests.golden.make_capture_counts import tshark_counts

GOLDEN = json.loads((Path(__file__).parents[1] / "golden" / "capture_counts.json").read_text())

# Files where pbxlab's counts differ from tshark's, why, and what pbxlab reports.
DIFFERENCES: dict[str, tuple[str, dict[str, int]]] = {
    "hep-wireshark/hep.pcap": (
        "HEPv3-encapsulated SIP: this tshark does not decode HEP, pbxlab does",
        {
            "INVITE": 1,
            "100/INVITE": 1,
            "407/INVITE": 1,
            "OPTIONS": 1,
            "200/OPTIONS": 1,
            "PUBLISH": 1,
        },
    ),
    "hep-wireshark/hep3_compressed.pcap.pcapng": (
        "HEPv3 with zlib-compressed payload chunks: tshark sees none, pbxlab inflates them",
        {"REGISTER": 12, "401/REGISTER": 6, "200/REGISTER": 3},
    ),
    "ndpi/fuzz-2006-06-26-2594.pcap": (
        "fuzzed copy of aaa.pcap: corrupt IP/UDP headers and CSeq values are recovered "
        "differently (pbxlab reports the frames it cannot decode in `errors`; a response whose "
        "CSeq is unreadable counts as '<status>/?')",
        {
            "REGISTER": 10,
            "INVITE": 7,
            "CANCEL": 7,
            "ACK": 4,
            "REGIStER": 1,
            "401/REGISTER": 8,
            "401/?": 3,
            "407/INVITE": 2,
            "403/INVITE": 2,
            "100/?": 1,
            "403/?": 1,
            "408/?": 1,
            "200/?": 1,
            "407/?": 1,
            "183/?": 1,
            "100/REGISTER": 1,
            "200/REGISTER": 2,
            "480/INVITE": 1,
            "100/INVITE": 1,
        },
    ),
}
UNSUPPORTED = {
    "wireshark-wiki/c07-sip-r2.cap": "Microsoft Network Monitor 2.x",
    "wireshark-wiki/cr_ss101.cap": "NetXray / Sniffer",
}


def counts(messages: pd.DataFrame) -> dict[str, int]:
    result: Counter[str] = Counter()
    for is_request, method, status, cseq_method in messages[
        ["is_request", "method", "status", "cseq_method"]
    ].itertuples(index=False):
        if is_request:
            result[str(method)] += 1
        else:
            result[f"{status}/{'?' if pd.isna(cseq_method) else cseq_method}"] += 1
    return dict(result)


SUPPORTED = sorted(set(GOLDEN) - set(UNSUPPORTED))


@pytest.mark.parametrize("relative", SUPPORTED)
def test_counts_match_tshark_or_documented_difference(relative: str) -> None:
    capture = read_capture(corpus_path(f"pcaps/{relative}"))
    expected = DIFFERENCES[relative][1] if relative in DIFFERENCES else GOLDEN[relative]
    assert counts(capture.messages) == expected
    MESSAGES.validate(capture.messages)
    RTP_STREAMS.validate(capture.rtp_streams)
    ERRORS.validate(capture.errors)


def test_differences_really_differ_from_tshark() -> None:
    # a listed difference that no longer exists would hide a regression
    for relative, (_why, ours) in DIFFERENCES.items():
        assert ours != GOLDEN[relative], relative


@pytest.mark.parametrize("relative", sorted(UNSUPPORTED))
def test_unsupported_formats_are_named(relative: str) -> None:
    with pytest.raises(UnsupportedFormatError, match=UNSUPPORTED[relative]) as info:
        read_capture(corpus_path(f"pcaps/{relative}"))
    assert "editcap" in str(info.value)
    assert relative.split("/")[1] in str(info.value)


@pytest.mark.tshark
@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark not installed")
@pytest.mark.parametrize(
    "relative",
    [
        "sngrep/aaa.pcap",
        "sngrep/ipv6frag.pcap",
        "arkime/gtp-iphone.pcap",
        "suricata-verify/sip-body-large.pcap",
    ],
)
def test_golden_counts_are_what_tshark_says(relative: str) -> None:
    assert tshark_counts(corpus_path(f"pcaps/{relative}")) == GOLDEN[relative]


def test_tshark_version_of_golden_is_debian_4_0() -> None:
    if shutil.which("tshark") is None:
        pytest.skip("tshark not installed")
    out = subprocess.run(["tshark", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("TShark (Wireshark) 4.")


# -- what the captures are known to show (corpus SOURCES.md) ----------------


def test_aaa_nat_softphone_fields() -> None:
    msgs = read_capture(corpus_path("pcaps/sngrep/aaa.pcap")).messages
    registers = msgs[msgs["method"] == "REGISTER"]
    assert set(registers["via_host"]) == {"192.168.1.2"}  # private Via behind NAT
    answered = msgs[(msgs["status"] == 401) & (msgs["cseq_method"] == "REGISTER")]
    assert set(answered["via_received"].dropna()) == {"80.230.219.70"}
    assert registers["user_agent"].str.startswith("Nero SIPPS").all()
    assert registers["auth"].any() and not registers["auth"].all()


def test_tcp_reassembly_of_large_body() -> None:
    msgs = read_capture(corpus_path("pcaps/suricata-verify/sip-body-large.pcap")).messages
    invite = msgs[msgs["method"] == "INVITE"].iloc[0]
    assert invite["transport"] == "tcp"
    assert invite["parse_error"] is None or pd.isna(invite["parse_error"])
    assert invite["content_length"] > 10_000


def test_ipv6_fragmented_invite_on_linux_cooked() -> None:
    msgs = read_capture(corpus_path("pcaps/sngrep/ipv6frag.pcap")).messages
    invites = msgs[msgs["method"] == "INVITE"]
    assert len(invites) == 2
    assert invites["src"].str.startswith("fd17:").all()
    assert invites["sdp_audio_port"].notna().all()


def test_gtp_tunnel_and_ipip_and_gre_are_named_in_encap() -> None:
    gtp = read_capture(corpus_path("pcaps/arkime/gtp-iphone.pcap")).messages
    assert set(gtp["encap"]) == {"gtp"}
    ipip = read_capture(corpus_path("pcaps/sngrep/ipip.pcap")).messages
    assert set(ipip["encap"]) == {"ipip", "none"}
    gre = read_capture(corpus_path("pcaps/ndpi/gre.pcapng")).messages
    assert set(gre["encap"]) == {"vlan+gre"}


def test_hep_messages_carry_the_original_addresses() -> None:
    msgs = read_capture(corpus_path("pcaps/hep-wireshark/hep3_compressed.pcap.pcapng")).messages
    assert set(msgs["encap"]) == {"hep3"}
    assert msgs["src"].str.startswith("192.168.137.").any()
    assert (msgs["dport"] != 9060).all()


def test_http_on_the_sip_port_is_not_sip() -> None:
    capture = read_capture(corpus_path("pcaps/ndpi/http_on_sip_port.pcap"))
    assert capture.messages.empty
    assert capture.errors.empty


def test_rtp_streams_of_a_g711_call() -> None:
    streams = read_capture(corpus_path("pcaps/wireshark-wiki/sip-rtp-g711.pcap")).rtp_streams
    rtp = streams[streams["kind"] == "rtp"]
    assert len(rtp) == 2  # one stream per direction
    assert rtp["packets"].sum() == 839
    assert rtp["call_id"].notna().all()
    assert (rtp["max_jitter_ms"] >= 0).all()


def test_multiple_contacts_in_registrar_answer() -> None:
    msgs = read_capture(corpus_path("pcaps/student-labs/MaryLS-Laborator09__sip.pcap")).messages
    ok = msgs[(msgs["status"] == 200) & (msgs["cseq_method"] == "REGISTER")]
    assert ok["contact_count"].max() > 1
    assert (msgs["contact"] == "*").sum() == 0
    unregister = msgs[(msgs["method"] == "REGISTER") & (msgs["expires"] == 0)]
    assert len(unregister) + (msgs["contact_expires"] == 0).sum() >= 1


def test_corpus_is_intact() -> None:
    if not CORPUS.exists():
        pytest.skip("corpus absent")
    assert len(GOLDEN) == len([p for p in (CORPUS / "pcaps").glob("*/*") if p.suffix != ".md"])
