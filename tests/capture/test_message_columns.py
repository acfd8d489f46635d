"""message_columns: the full row of realistic messages, and defects named in parse_error."""

from __future__ import annotations

from typing import Any

import pytest

from pbxlab.capture.message_columns import MESSAGE_COLUMNS, message_columns
from pbxlab.capture.sip.message import parse_message
from pbxlab.tables import MESSAGES
from tests.capture import samples
from tests.capture.samples import sip

NOTHING: dict[str, Any] = dict.fromkeys(MESSAGE_COLUMNS)
NOTHING.update(contact_count=0, via_count=0, auth=False)


def row(data: bytes) -> dict[str, Any]:
    columns, _sdp = message_columns(parse_message(data))
    assert len(columns) == len(MESSAGE_COLUMNS)
    return dict(zip(MESSAGE_COLUMNS, columns, strict=True))


def test_columns_are_the_messages_table_columns_in_order() -> None:
    names = MESSAGES.names
    assert names[names.index("is_request") :] == MESSAGE_COLUMNS


FROM_201 = {"from_user": "201", "from_host": "pbx.example.com"}
TOP_VIA = {"via_host": "10.0.0.5", "via_port": 5062, "via_transport": "UDP", "via_count": 1}

CASES: list[tuple[str, bytes, dict[str, Any]]] = [
    ("register-with-auth", samples.REGISTER_AUTH, {
        "is_request": True, "method": "REGISTER", "call_id": "reg-201@10.0.0.5",
        "cseq_num": 2, "cseq_method": "REGISTER", **FROM_201, "from_tag": "a1b2",
        "to_user": "201", "to_host": "pbx.example.com", "request_uri": "sip:pbx.example.com",
        "contact": "sip:201@10.0.0.5:5062;transport=udp", "contact_expires": 3600,
        "contact_count": 1, "contacts": "<sip:201@10.0.0.5:5062;transport=udp>;expires=3600",
        "expires": 3600, **TOP_VIA, "via_rport": "", "branch": "z9hG4bK-reg2",
        "user_agent": "Yealink SIP-T46S 66.86.0.15", "content_length": 0, "auth": True,
        "auth_user": "201",
    }),
    ("200-with-contacts", samples.OK_CONTACTS, {
        "is_request": False, "status": 200, "reason": "OK", "call_id": "reg-201@10.0.0.5",
        "cseq_num": 2, "cseq_method": "REGISTER", **FROM_201, "from_tag": "a1b2",
        "to_user": "201", "to_host": "pbx.example.com", "to_tag": "srv9",
        "contact": "sip:201@10.0.0.5:5062;transport=udp", "contact_expires": 3600,
        "contact_count": 3,
        "contacts": "<sip:201@10.0.0.5:5062;transport=udp>;expires=3600, "
        "<sip:201@198.51.100.9:5060>;expires=120, <sip:201@[2001:db8::5]:5060>;expires=60",
        **TOP_VIA, "via_received": "203.0.113.7", "via_rport": "41234",
        "branch": "z9hG4bK-reg2", "user_agent": "Asterisk PBX 20.5.0", "content_length": 0,
    }),
    ("invite-with-sdp", samples.INVITE_SDP, {
        "is_request": True, "method": "INVITE", "call_id": "call-1@10.0.0.5", "cseq_num": 20,
        "cseq_method": "INVITE", **FROM_201, "from_tag": "c3d4", "to_user": "202",
        "to_host": "pbx.example.com", "request_uri": "sip:202@pbx.example.com",
        "contact": "sip:201@10.0.0.5:5062", "contact_count": 1,
        "contacts": "<sip:201@10.0.0.5:5062>", **TOP_VIA, "via_rport": "",
        "branch": "z9hG4bK-inv1", "user_agent": "Yealink SIP-T46S 66.86.0.15",
        "content_type": "application/sdp", "content_length": len(samples.SDP_OFFER),
        "sdp_connection": "10.0.0.5", "sdp_audio_port": 40000, "sdp_direction": "sendrecv",
    }),
    ("response-with-server-only", samples.TRYING_SERVER_ONLY, {
        "is_request": False, "status": 100, "reason": "Trying", "call_id": "call-1@10.0.0.5",
        "cseq_num": 20, "cseq_method": "INVITE", **FROM_201, "from_tag": "c3d4",
        "to_user": "202", "to_host": "pbx.example.com", **TOP_VIA, "via_received": "10.0.0.5",
        "via_rport": "5062", "branch": "z9hG4bK-inv1", "user_agent": "Asterisk PBX 20.5.0",
        "content_length": 0,
    }),
    ("unregister-all-compact", sip(
        "REGISTER sip:pbx SIP/2.0",
        "v: SIP/2.0/TCP [2001:db8::5]:5070;branch=z9hG4bKu, SIP/2.0/UDP edge;branch=z9hG4bKe",
        "f: <sip:201@pbx>;tag=u1",
        "t: <sip:201@pbx>",
        "i: unreg@x",
        "CSeq: 9 REGISTER",
        "m: *",
        "Expires: 0",
        'Proxy-Authorization: Digest username="201", response="00"',
        "l: 0",
    ), {
        "is_request": True, "method": "REGISTER", "call_id": "unreg@x", "cseq_num": 9,
        "cseq_method": "REGISTER", "from_user": "201", "from_host": "pbx", "from_tag": "u1",
        "to_user": "201", "to_host": "pbx", "request_uri": "sip:pbx", "contact": "*",
        "contact_count": 1, "contacts": "*", "expires": 0, "via_host": "2001:db8::5",
        "via_port": 5070, "via_transport": "TCP", "via_count": 2, "branch": "z9hG4bKu",
        "content_length": 0, "auth": True, "auth_user": "201",
    }),
    ("defects", sip(
        "NOTIFY sip:201@10.0.0.5 SIP/2.0",
        "Via: nonsense",
        "CSeq: one NOTIFY",
        "Expires: soon",
        "Content-Type: application/sdp",
        "Content-Length: 40",
        body=b"v=0\r\nm=audio 4000 RTP/AVP 0\r\n",
    ), {
        "is_request": True, "method": "NOTIFY", "request_uri": "sip:201@10.0.0.5",
        "via_count": 1, "content_type": "application/sdp", "content_length": 40,
        "sdp_audio_port": 4000, "sdp_direction": "sendrecv",
        "parse_error": "body truncated: Content-Length 40, 29 bytes present; "
        "malformed CSeq 'one NOTIFY'; no Call-ID header; malformed Expires 'soon'; "
        "malformed Via 'nonsense'",
    }),
    ("sdp-without-content-type", sip(
        "SIP/2.0 200 OK",
        "Call-ID: v@x",
        body=b"v=0\r\nc=IN IP4 198.51.100.7\r\nm=audio 5000 RTP/AVP 0\r\na=recvonly\r\n",
    ), {
        "is_request": False, "status": 200, "reason": "OK", "call_id": "v@x",
        "sdp_connection": "198.51.100.7", "sdp_audio_port": 5000, "sdp_direction": "recvonly",
    }),
    ("video-and-t38-only-leave-the-audio-columns-empty", sip(
        "SIP/2.0 200 OK",
        "Call-ID: v@x",
        "Content-Type: application/sdp",
        body=b"v=0\r\nc=IN IP4 198.51.100.7\r\nm=video 5000 RTP/AVP 96\r\n"
        b"m=image 5002 udptl t38\r\n",
    ), {
        "is_request": False, "status": 200, "reason": "OK", "call_id": "v@x",
        "content_type": "application/sdp",
    }),
]  # fmt: skip


@pytest.mark.parametrize(("data", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_message_columns(data: bytes, expected: dict[str, Any]) -> None:
    assert row(data) == {**NOTHING, **expected}


def test_sdp_is_returned_for_media_announcements() -> None:
    _, sdp = message_columns(parse_message(samples.INVITE_SDP))
    assert sdp is not None and [(m.connection, m.port) for m in sdp.media] == [("10.0.0.5", 40000)]
    _, none = message_columns(parse_message(samples.OPTIONS))
    assert none is None


def test_password_in_a_from_uri_is_not_part_of_the_user() -> None:
    values = row(
        sip(
            "OPTIONS sip:202@pbx SIP/2.0",
            "From: <sip:201:hunter2@pbx>;tag=1",
            "To: <sip:202:pw@pbx>",
            "Call-ID: c",
        )
    )
    assert (values["from_user"], values["from_host"]) == ("201", "pbx")
    assert (values["to_user"], values["to_host"]) == ("202", "pbx")


def test_absurd_contact_lists_are_capped_to_the_column_type() -> None:
    contacts = ",".join(["<sip:a@h>"] * 70_000)
    values = row(sip("REGISTER sip:pbx SIP/2.0", "Call-ID: c", f"m: {contacts}"))
    assert values["contact_count"] == 65_535
    assert values["parse_error"] == "absurd header lists: 70000 Contact, 0 Via entries"
    frame = MESSAGES.build(
        {
            **{name: [value] for name, value in values.items()},
            **{"ts": [0], "source_file": ["x"], "frame": [1], "src": ["a"], "sport": [1]},
            **{"dst": ["b"], "dport": [2], "transport": ["tcp"], "encap": ["none"]},
        }
    )
    assert frame["contact_count"].tolist() == [65_535]


def test_sdp_inside_a_multipart_body() -> None:
    from tests.capture.sip.test_sdp import MULTIPART

    values = row(
        sip(
            "INVITE sip:202@pbx SIP/2.0",
            "Call-ID: mp",
            'Content-Type: multipart/mixed;boundary="b1"',
            f"Content-Length: {len(MULTIPART)}",
            body=MULTIPART,
        )
    )
    assert (values["sdp_connection"], values["sdp_audio_port"], values["sdp_direction"]) == (
        "10.0.0.9", 4000, "sendrecv"
    )  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        (
            b"REGISTER sip:alice:s3cret@pbx.example.com SIP/2.0",
            "sip:alice:********@pbx.example.com",
        ),
        (
            b"INVITE sips:bob:pw@10.0.0.1:5061;transport=tls SIP/2.0",
            "sips:bob:********@10.0.0.1:5061;transport=tls",
        ),
    ],
)
def test_passwords_in_uris_never_reach_the_table(raw: bytes, masked: str) -> None:
    data = raw + (
        b"\r\nVia: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK1\r\nCall-ID: a\r\nCSeq: 1 REGISTER\r\n"
        b"From: <sip:alice@pbx.example.com>;tag=1\r\nTo: <sip:alice@pbx.example.com>\r\n"
        b"Contact: <sip:alice:s3cret@10.0.0.2:5060>;expires=60\r\nContent-Length: 0\r\n\r\n"
    )
    columns, _ = message_columns(parse_message(data))
    row = dict(zip(MESSAGE_COLUMNS, columns, strict=True))
    assert row["request_uri"] == masked
    assert row["contact"] == "sip:alice:********@10.0.0.2:5060"
    assert "s3cret" not in str(row["contacts"])
    assert "s3cret" not in repr(columns)
