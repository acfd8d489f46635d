"""tshark JSON -> pbxlab columns: pure mapping functions on literal tshark output.

The layer dicts below are trimmed copies of real ``tshark -T json
--no-duplicate-keys`` output (tshark 4.0) for corpus frames.
"""

from __future__ import annotations

from typing import Any

import pytest

from pbxlab.capture import tshark_json as tj


@pytest.mark.parametrize(
    ("protocols", "expected"),
    [
        ("eth:ethertype:ip:udp:sip", "none"),
        ("eth:ethertype:ip:ip:tcp:sip:sdp", "ipip"),
        ("eth:ethertype:vlan:ethertype:ip:gre:ppp:ip:udp:sip", "vlan+gre"),
        ("sll:ethertype:ip:udp:gtp:ipv6:tcp:sip", "gtp"),
        ("eth:ethertype:pppoes:ppp:ip:udp:sip", "pppoe"),
        ("eth:ethertype:vlan:ethertype:vlan:ethertype:ip:udp:sip", "vlan"),
        ("sll:ethertype:ipv6:ipv6.fraghdr:udp:sip:sdp", "none"),
        ("eth:ethertype:ip:udp:l2tp:ppp:ip:udp:sip", "l2tp"),
        ("eth:ethertype:ip:ipv6:udp:sip", "ipip"),
        # tunnels after the SIP (there are none in practice) are not counted
        ("eth:ethertype:ip:udp:sip:gre", "none"),
    ],
)
def test_encapsulation_from_frame_protocols(protocols: str, expected: str) -> None:
    assert tj.encapsulation(protocols) == expected


@pytest.mark.parametrize(
    ("text", "ns"),
    [
        ("1120469572.844249000", 1_120_469_572_844_249_000),
        ("1502932690.317366997", 1_502_932_690_317_366_997),  # nanosecond pcapng kept exact
        ("54.643990", 54_643_990_000),
        ("7", 7_000_000_000),
        ("-1.500000000", -1_500_000_000),
    ],
)
def test_epoch_ns_keeps_every_digit(text: str, ns: int) -> None:
    assert tj.epoch_ns(text) == ns


@pytest.mark.parametrize(
    ("text", "value"),
    [("5060", 5060), ("0xd2bd4e3e", 0xD2BD4E3E), (" 12 ", 12), ("bad", None), (None, None)],
)
def test_to_int(text: str | None, value: int | None) -> None:
    assert tj.to_int(text) == value


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["Brekeke OnDO SIP Server  "], "Brekeke OnDO SIP Server"),  # SIP_DTMF2.cap
        (["", "second"], None),  # the first occurrence is empty
        ([{"a.subtree": "x"}, "text"], "text"),  # subtrees are skipped
        ([], None),
    ],
)
def test_first_value_is_stripped(values: list[Any], expected: str | None) -> None:
    assert tj.first({"sip.Server": values}, "sip.Server") == expected


def test_addressing_takes_the_innermost_ip_and_transport() -> None:
    layers: dict[str, Any] = {
        "ip": [{"ip.src": "10.0.0.1", "ip.dst": "10.0.0.2"}],
        "udp": [
            {"udp.srcport": "2152", "udp.dstport": "2152"},
        ],
        "ipv6": [{"ipv6.src": "2001:db8::1", "ipv6.dst": "2001:db8::2"}],
        "tcp": [{"tcp.srcport": "5060", "tcp.dstport": "49152"}],
    }
    got = tj.addressing(layers, "sll:ethertype:ip:udp:gtp:ipv6:tcp:sip")
    assert got == tj.Addressing("2001:db8::1", 5060, "2001:db8::2", 49152, "tcp", "gtp")


REGISTER_200: dict[str, Any] = {
    "sip.Status-Line": "SIP/2.0 200 OK",
    "sip.Status-Line_tree": {"sip.Status-Code": "200", "sip.resend": "0"},
    "sip.msg_hdr_tree": {
        "sip.Via": "SIP/2.0/UDP 192.168.60.101:46047;received=141.85.225.204;"
        "branch=z9hG4bK-1994652075;rport=60959",
        "sip.Via_tree": {
            "sip.Via.transport": "UDP",
            "sip.Via.sent-by.address": "192.168.60.101",
            "sip.Via.sent-by.port": "46047",
            "sip.Via.received": "141.85.225.204",
            "sip.Via.branch": "z9hG4bK-1994652075",
            "sip.Via.rport": "60959",
        },
        "sip.To_tree": {
            "sip.to.addr_tree": {"sip.to.user": "eim", "sip.to.host": "upbsml.onsip.com"},
            "sip.to.tag": "3e566246.fca5",
        },
        "sip.Call-ID": "b99d39f2",
        "sip.CSeq_tree": {"sip.CSeq.seq": "1480859591", "sip.CSeq.method": "REGISTER"},
        "sip.Contact": '<sip:eim@192.168.60.101:47366>;expires=3283;received="sip:1.2.3.4:5", '
        "<sip:eim@192.168.60.101:46047>;expires=3600",
        "sip.Contact_tree": {
            "sip.contact.uri": ["sip:eim@192.168.60.101:47366", "sip:eim@192.168.60.101:46047"],
            "sip.contact.parameter": ["expires=3283", 'received="sip:1.2.3.4:5"', "expires=3600"],
        },
        "sip.Server": "OpenSIPS (1.11.8-notls (x86_64/linux))",
        "sip.Content-Length": "0",
    },
}


def test_response_fields() -> None:
    fields = tj.sip_message_fields(REGISTER_200)
    assert fields is not None
    expected = {
        "is_request": False, "method": None, "status": 200, "reason": "OK",
        "call_id": "b99d39f2", "cseq_num": 1480859591, "cseq_method": "REGISTER",
        "to_user": "eim", "to_host": "upbsml.onsip.com", "to_tag": "3e566246.fca5",
        "contact": "sip:eim@192.168.60.101:47366", "contact_count": 2,
        "contact_expires": 3283,  # the first Contact's, from the header text
        "via_host": "192.168.60.101", "via_port": 46047, "via_transport": "UDP",
        "via_received": "141.85.225.204", "via_rport": "60959", "via_count": 1,
        "branch": "z9hG4bK-1994652075", "user_agent": "OpenSIPS (1.11.8-notls (x86_64/linux))",
        "content_length": 0, "auth": False, "auth_user": None, "parse_error": None,
        "sdp_connection": None, "sdp_audio_port": None, "sdp_direction": None,
    }  # fmt: skip
    assert {k: fields[k] for k in expected} == expected


def test_request_with_bare_rport_authorization_and_sdp() -> None:
    invite: dict[str, Any] = {
        "sip.Request-Line": "INVITE sip:bob@example.com SIP/2.0",
        "sip.Request-Line_tree": {"sip.Method": "INVITE", "sip.r-uri": "sip:bob@example.com"},
        "sip.msg_hdr_tree": {
            "sip.Via_tree": [
                {"sip.Via.transport": "UDP", "sip.Via.sent-by.address": "192.168.1.2",
                 "sip.Via.rport": "rport", "sip.Via.branch": "z9hG4bKtop"},
                {"sip.Via.transport": "TCP", "sip.Via.sent-by.address": "10.0.0.9"},
            ],
            "sip.Via": ["SIP/2.0/UDP 192.168.1.2;rport;branch=z9hG4bKtop", "SIP/2.0/TCP 10.0.0.9"],
            "sip.Proxy-Authorization": 'Digest username="201", realm="pbx"',
            "sip.Proxy-Authorization_tree": {"sip.auth.username": '"201"'},
            "sip.Content-Type": "application/sdp",
        },
        "sip.msg_body": {
            "sdp": {
                "sdp.connection_info_tree": [
                    {"sdp.connection_info.address": "192.168.1.2"},
                    {"sdp.connection_info.address": "10.1.1.1"},
                    {"sdp.connection_info.address": "10.2.2.2"},
                ],
                "sdp.media_tree": [
                    {"sdp.media.media": "video", "sdp.media.port": "9000"},
                    {"sdp.media.media": "audio", "sdp.media.port": "40376"},
                ],
                "sdp.media_attr": ["rtpmap:8 PCMA/8000", "SendOnly"],
            }
        },
    }  # fmt: skip
    fields = tj.sip_message_fields(invite)
    assert fields is not None
    assert fields["is_request"] and fields["method"] == "INVITE"
    assert fields["request_uri"] == "sip:bob@example.com"
    assert (fields["via_rport"], fields["via_count"], fields["via_transport"]) == ("", 2, "UDP")
    assert fields["auth"] and fields["auth_user"] == "201"
    # session c= first, then one per m= line: audio is the second medium
    assert (fields["sdp_connection"], fields["sdp_audio_port"]) == ("10.2.2.2", 40376)
    assert fields["sdp_direction"] == "sendonly"
    assert fields["contact"] is None and fields["contact_count"] == 0
    assert tj.sdp_endpoints(tj.flatten(invite)) == [("10.1.1.1", 9000), ("10.2.2.2", 40376)]


def test_top_via_of_a_comma_joined_via_header_and_tel_uris() -> None:
    # sngrep/ipv6frag.pcap frame 5: two Via entries in one header; only the
    # second carries received=, so tshark's single "received" is not the top's.
    response: dict[str, Any] = {
        "sip.Status-Line": "SIP/2.0 183 Session Progress",
        "sip.msg_hdr_tree": {
            "sip.Via": "SIP/2.0/UDP [fd17::3519]:5062;branch=z9hG4bK-top,"
            "SIP/2.0/UDP [fd17::1521];branch=z9hG4bK-2nd;received=fd17::1521",
            "sip.Via_tree": {
                "sip.Via.transport": ["UDP", "UDP"],
                "sip.Via.sent-by.address": ["fd17::3519", "fd17::1521"],
                "sip.Via.sent-by.port": "5062",
                "sip.Via.branch": ["z9hG4bK-top", "z9hG4bK-2nd"],
                "sip.Via.received": "fd17::1521",
            },
            "sip.From_tree": {"sip.from.addr": "tel:263734;phone-context=ims"},
            "sip.To_tree": {"sip.to.addr": "tel:+4912345"},
        },
    }
    fields = tj.sip_message_fields(response)
    assert fields is not None
    assert (fields["via_host"], fields["via_port"], fields["branch"]) == (
        "fd17::3519", 5062, "z9hG4bK-top",
    )  # fmt: skip
    assert fields["via_received"] is None
    assert fields["via_count"] == 2
    assert (fields["from_user"], fields["to_user"]) == ("263734", "+4912345")


def test_continuation_data_is_not_a_message() -> None:
    assert tj.sip_message_fields({"sip.continuation": "485454502f312e31"}) is None


@pytest.mark.parametrize(
    ("experts", "expected"),
    [
        # a warning counts, a note about an unknown header does not
        (
            [("Trailing stray characters", 0x00600000, 0x05000000),
             ("Unrecognised SIP header (x-foo)", 0x00400000, 0x05000000)],
            "Trailing stray characters",
        ),
        # a note in the "malformed" group counts
        ([("Invalid content_length", 0x00400000, 0x07000000)], "Invalid content_length"),
        ([("Unrecognised SIP header (vi)", 0x00400000, 0x05000000)], None),
        # duplicates are reported once
        (
            [("Trailing stray characters", 0x00600000, 0x05000000)] * 2
            + [("Malformed Packet (Exception occurred)", 0x00800000, 0x07000000)],
            "Trailing stray characters; Malformed Packet (Exception occurred)",
        ),
    ],
)  # fmt: skip
def test_expert_problems(experts: list[tuple[str, int, int]], expected: str | None) -> None:
    tree = {
        "sip.msg_hdr_tree": {
            "_ws.expert": [
                {"_ws.expert.message": m, "_ws.expert.severity": str(s), "_ws.expert.group": str(g)}
                for m, s, g in experts
            ]
        }
    }
    assert tj.expert_problems(tj.flatten(tree)) == expected


RTP_STREAMS_REPORT = """\
========================= RTP Streams ========================
   Start time      End time     Src IP addr  Port    Dest IP addr  Port       SSRC          Payload  Pkts         Lost   Min Delta(ms)  Mean Delta(ms)   Max Delta(ms)  Min Jitter(ms) Mean Jitter(ms)  Max Jitter(ms) Problems?
     8.642778     16.902786       10.0.2.15 28102       10.0.2.20  6000 0x343FFA34            g711A   414     0 (0.0%)          19.867          20.000          20.115           0.001           0.004           0.019
     0.022690      8.502667   2001:db8::15 27942   2001:db8::20  6000 0x343DA99B  telephone-event   425    -2 (-0.5%)          19.957          20.000          20.049           0.001           0.006           1.250 X
==============================================================
"""  # noqa: E501


def test_parse_rtp_streams_report() -> None:
    rows = tj.parse_rtp_streams_report(RTP_STREAMS_REPORT)
    assert rows == [
        tj.StreamStats("10.0.2.15", 28102, "10.0.2.20", 6000, 0x343FFA34, "g711A", 414, 0, 0.019),
        tj.StreamStats(
            "2001:db8::15",
            27942,
            "2001:db8::20",
            6000,
            0x343DA99B,
            "telephone-event",
            425,
            -2,
            1.25,
        ),
    ]


def test_media_packets_rtp_and_compound_rtcp() -> None:
    layers: dict[str, Any] = {
        "rtp": [
            {
                "rtp.setup_tree": {"rtp.setup-frame": "1", "sip.call_id_generated": "c1@h"},
                "rtp.p_type": "8",
                "rtp.seq": "1",
                "rtp.ssrc": "0xd2bd4e3e",
            }
        ],
        "rtcp": [
            {"rtcp.setup_tree": {"rtcp.setup-frame": "1"}, "rtcp.pt": "200",
             "rtcp.senderssrc": "0xd2bd4e3e"},
            {"rtcp.pt": "202", "rtcp.senderssrc": "0xd2bd4e3e"},
        ],
    }  # fmt: skip
    assert list(tj.media_packets(layers)) == [
        tj.MediaPacket("rtp", 0xD2BD4E3E, 8, 1, 1, "c1@h"),
        tj.MediaPacket("rtcp", 0xD2BD4E3E, 200, None, 1, None),
    ]
