"""parse_message / looks_like_sip: start lines, headers, folding, Content-Length, non-SIP."""

from __future__ import annotations

import pytest

from pbxlab.capture.sip.message import looks_like_sip, parse_message
from pbxlab.errors import SipParseError
from tests.capture import samples


@pytest.mark.parametrize(
    ("data", "start"),
    [
        (b"INVITE sip:202@pbx SIP/2.0\r\n\r\n", (True, "INVITE", "sip:202@pbx", None, None)),
        (b"register sip:pbx sip/2.0\r\n\r\n", (True, "register", "sip:pbx", None, None)),
        (b"X-CUSTOM.1 tel:+15551234 SIP/2.0\n\n", (True, "X-CUSTOM.1", "tel:+15551234", None,
                                                   None)),
        (b"SIP/2.0 200 OK\r\n\r\n", (False, None, None, 200, "OK")),
        (b"SIP/2.0 486 Busy Here\r\n\r\n", (False, None, None, 486, "Busy Here")),
        (b"SIP/2.0 100\r\n\r\n", (False, None, None, 100, "")),
        (b"sip/2.0 603 D\xc3\xa9clin\xc3\xa9\r\n\r\n", (False, None, None, 603, "Décliné")),
        (b"\r\n\r\nOPTIONS sip:a SIP/2.0\r\n\r\n", (True, "OPTIONS", "sip:a", None, None)),
    ],
    ids=["invite", "lowercase", "extension-method", "200", "486", "no-reason", "utf8-reason",
         "leading-crlf"],
)  # fmt: skip
def test_start_lines(data: bytes, start: tuple[object, ...]) -> None:
    msg = parse_message(data)
    assert (msg.is_request, msg.method, msg.request_uri, msg.status, msg.reason) == start
    assert msg.problems == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", r"not a SIP start line: 'GET / HTTP/1\.1'"),
        (b"", "not a SIP start line: ''"),
        (b"\x16\x03\x01\x02\x00", r"not a SIP start line: '\\x16\\x03\\x01\\x02\\x00'"),
        (b"SIP/2.0 20 OK\r\n\r\n", "malformed status line 'SIP/2.0 20 OK'"),
        (b"SIP/2.0 700 Nope\r\n\r\n", "malformed status line 'SIP/2.0 700 Nope'"),
        (b"SIP/2.0 \xd9\xa2\xd9\xa0\xd9\xa0 OK\r\n\r\n", "malformed status line"),  # Arabic digits
        (b"INVITE sip:a SIP/3.0\r\n\r\n", "not a SIP start line: 'INVITE sip:a SIP/3.0'"),
        (b"INVITE  sip:a SIP/2.0\r\n\r\n", "not a SIP start line"),
        (b"INV\xc3\x89TE sip:a SIP/2.0\r\n\r\n", "not a SIP start line"),
        (b"A" * 9000 + b" sip:a SIP/2.0\r\n\r\n", "start line of 9014 characters is not SIP"),
    ],
    ids=["http", "empty", "tls", "2-digit", "700", "unicode-digits", "sip3", "double-space",
         "non-token-method", "huge-method"],
)  # fmt: skip
def test_not_sip_raises(data: bytes, message: str) -> None:
    with pytest.raises(SipParseError, match=message):
        parse_message(data)


def test_header_names_are_case_insensitive_and_values_kept_in_order() -> None:
    msg = parse_message(
        b"OPTIONS sip:a SIP/2.0\r\nCALL-ID: one\r\ncall-id: two\r\nX-Thing :  v  \r\n\r\n"
    )
    assert msg.headers["call-id"] == ["one", "two"]
    assert msg.header("Call-Id") == "one"
    assert msg.header("x-thing") == "v"
    assert msg.header("absent") is None
    assert msg.header_values("absent") == []


@pytest.mark.parametrize(
    ("compact", "full", "value"),
    [
        ("i", "call-id", "abc@host"),
        ("f", "from", "<sip:201@pbx>;tag=1"),
        ("t", "to", "<sip:202@pbx>"),
        ("v", "via", "SIP/2.0/UDP 10.0.0.5;branch=z9hG4bK1"),
        ("m", "contact", "<sip:201@10.0.0.5>"),
        ("l", "content-length", "0"),
        ("c", "content-type", "application/sdp"),
        ("k", "supported", "replaces"),
        ("s", "subject", "hello"),
        ("e", "content-encoding", "gzip"),
        ("o", "event", "presence"),
        ("u", "allow-events", "talk"),
        ("x", "session-expires", "1800"),
    ],
)
def test_compact_header_forms(compact: str, full: str, value: str) -> None:
    msg = parse_message(f"OPTIONS sip:a SIP/2.0\r\n{compact.upper()}: {value}\r\n\r\n".encode())
    assert msg.headers == {full: [value]}
    assert msg.header(full) == msg.header(compact) == value


def test_folded_header_lines_are_joined() -> None:
    msg = parse_message(
        b"OPTIONS sip:a SIP/2.0\r\nSubject: I know you're there,\r\n"
        b"   pick up the phone\r\n\tand talk to me!\r\nCall-ID: x\r\n\r\n"
    )
    assert msg.header("subject") == "I know you're there, pick up the phone and talk to me!"
    assert msg.header("call-id") == "x"


def test_multiple_via_headers_and_comma_joined_values() -> None:
    msg = parse_message(
        b"SIP/2.0 200 OK\r\n"
        b"Via: SIP/2.0/UDP proxy1;branch=z9hG4bKa, SIP/2.0/TCP proxy2;branch=z9hG4bKb\r\n"
        b"v: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKc;rport\r\n"
        b"Allow: INVITE, ACK,BYE\r\nSubject: a, b\r\n\r\n"
    )
    assert msg.header_values("via") == [
        "SIP/2.0/UDP proxy1;branch=z9hG4bKa",
        "SIP/2.0/TCP proxy2;branch=z9hG4bKb",
        "SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bKc;rport",
    ]
    assert msg.header_values("allow") == ["INVITE", "ACK", "BYE"]
    assert msg.header_values("subject") == ["a, b"]  # not a list header


def test_non_ascii_header_values_are_decoded_as_utf8() -> None:
    msg = parse_message('OPTIONS sip:a SIP/2.0\r\nFrom: "Zoë, Ünal" <sip:z@pbx>\r\n\r\n'.encode())
    assert msg.header("from") == '"Zoë, Ünal" <sip:z@pbx>'


@pytest.mark.parametrize(
    ("tail", "body", "problems"),
    [
        (b"Content-Length: 5\r\n\r\nhello", b"hello", []),
        (b"Content-Length: 5\r\n\r\nhello, surplus", b"hello", []),
        (b"Content-Length: 10\r\n\r\nhello", b"hello",
         ["body truncated: Content-Length 10, 5 bytes present"]),
        (b"l: 3\r\n\r\nabcdef", b"abc", []),
        (b"\r\nhello", b"hello", []),  # no Content-Length: the rest of the datagram
        (b"Content-Length: lots\r\n\r\nhello", b"hello", ["invalid Content-Length 'lots'"]),
        (b"Content-Length: -1\r\n\r\nhello", b"hello", ["invalid Content-Length '-1'"]),
        (b"Content-Length: 99999999999\r\n\r\nhi", b"hi",
         ["invalid Content-Length '99999999999'"]),
        (b"Content-Length: 0", b"", ["no empty line after the headers (message truncated?)"]),
        (b"Call-ID x\r\n\r\n", b"", ["header line without a colon: 'Call-ID x'"]),
    ],
    ids=["exact", "surplus", "truncated", "compact", "absent", "not-a-number", "negative",
         "absurd", "no-blank-line", "no-colon"],
)  # fmt: skip
def test_content_length_and_defects_are_recorded_not_raised(
    tail: bytes, body: bytes, problems: list[str]
) -> None:
    msg = parse_message(b"MESSAGE sip:a SIP/2.0\r\n" + tail)
    assert (msg.body, msg.problems) == (body, problems)


def test_bare_lf_line_endings() -> None:
    msg = parse_message(b"SIP/2.0 180 Ringing\nCall-ID: x\nContent-Length: 2\n\nok")
    assert (msg.status, msg.header("call-id"), msg.body, msg.problems) == (180, "x", b"ok", [])


@pytest.mark.parametrize("sample", samples.MESSAGES, ids=lambda m: m.split(b" ")[0].decode())
def test_start_line_round_trips(sample: bytes) -> None:
    msg = parse_message(sample)
    assert sample.startswith(msg.start_line.encode() + b"\r\n")


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b"SIP/2.0 200 OK\r\n", True),
        (b"SIP/2.0 ", True),
        (b"INVITE sip:a SIP/2.0\r\nVia: x", True),
        (b"invite sip:a sip/2.0\n", True),
        (b"INVITE sip:a SIP/2.0", False),  # start line not complete yet
        (b"GET / HTTP/1.1\r\nHost: a\r\n", False),
        (b"HTTP/1.1 200 OK\r\n", False),
        (b"INVITE sip:a b SIP/2.0\r\n", False),
        (b"\r\n\r\n", False),
        (b"", False),
    ],
)
def test_looks_like_sip(payload: bytes, expected: bool) -> None:
    assert looks_like_sip(payload) is expected
