"""Header value parsers: lists, name-addr, URIs, Via, CSeq, digits, Authorization username."""

from __future__ import annotations

import pytest

from pbxlab.capture.sip.fields import (
    NameAddr,
    UriParts,
    Via,
    auth_username,
    parse_cseq,
    parse_digits,
    parse_name_addr,
    parse_params,
    parse_uri,
    parse_via,
    split_list,
)


@pytest.mark.parametrize(
    ("value", "items"),
    [
        ("", []),
        ("  one  ", ["one"]),
        ("a, b,c", ["a", "b", "c"]),
        ('"Smith, John" <sip:js@pbx>, <sip:x@y>', ['"Smith, John" <sip:js@pbx>', "<sip:x@y>"]),
        ('"a \\" , b" <sip:q@h>, c', ['"a \\" , b" <sip:q@h>', "c"]),  # escaped quote
        ("<sip:a@h;x=1,2>, <sip:b@h>", ["<sip:a@h;x=1,2>", "<sip:b@h>"]),  # comma inside <>
        ("a,,b, ", ["a", "b"]),
        ("*", ["*"]),
    ],
)
def test_split_list(value: str, items: list[str]) -> None:
    assert split_list(value) == items


@pytest.mark.parametrize(
    ("text", "params"),
    [
        ("", {}),
        (";tag=abc", {"tag": "abc"}),
        (";TAG=abc;lr;Expires = 60", {"tag": "abc", "lr": "", "expires": "60"}),
        (";tag=first;tag=second", {"tag": "first"}),  # the first of repeated parameters
        (';q="0.5";+sip.instance="<urn:uuid:1>"', {"q": "0.5", "+sip.instance": "<urn:uuid:1>"}),
    ],
)
def test_parse_params(text: str, params: dict[str, str]) -> None:
    assert parse_params(text) == params


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("<sip:201@pbx.example.com>;tag=a1", NameAddr(None, "sip:201@pbx.example.com",
                                                     {"tag": "a1"})),
        ('"Reception 201" <sip:201@pbx>;tag=x', NameAddr("Reception 201", "sip:201@pbx",
                                                         {"tag": "x"})),
        ('"Smith, John" <sip:js@pbx>', NameAddr("Smith, John", "sip:js@pbx", {})),
        ('"Zoë Ünal 日本" <sip:z@pbx>', NameAddr("Zoë Ünal 日本", "sip:z@pbx", {})),
        ("Bob <sips:bob@h:5061;transport=tls>;expires=30",
         NameAddr("Bob", "sips:bob@h:5061;transport=tls", {"expires": "30"})),
        ("sip:201@10.0.0.5:5062;expires=3600", NameAddr(None, "sip:201@10.0.0.5:5062",
                                                        {"expires": "3600"})),
        ('"Front <desk>" <sip:100@pbx>;tag=9', NameAddr("Front <desk>", "sip:100@pbx",
                                                        {"tag": "9"})),
        ("<sip:unterminated@pbx", NameAddr(None, "sip:unterminated@pbx", {})),
    ],
    ids=["plain", "display", "comma-display", "non-ascii", "token-display", "addr-spec",
         "angle-in-quotes", "unterminated"],
)  # fmt: skip
def test_parse_name_addr(value: str, expected: NameAddr) -> None:
    assert parse_name_addr(value) == expected


@pytest.mark.parametrize(
    ("uri", "parts"),
    [
        ("sip:201@pbx.example.com", UriParts("sip", "201", "pbx.example.com", None)),
        ("SIPS:alice@10.0.0.5:5061;transport=tls", UriParts("sips", "alice", "10.0.0.5", 5061)),
        ("sip:201:secret@pbx:5060", UriParts("sip", "201", "pbx", 5060)),  # password dropped
        ("sip:pbx.example.com", UriParts("sip", None, "pbx.example.com", None)),
        ("sip:bob@[2001:db8::5]:5070", UriParts("sip", "bob", "[2001:db8::5]", 5070)),
        ("tel:+15551234;phone-context=x", UriParts("tel", "+15551234", None, None)),
        ("sip:a@h:99999", UriParts("sip", "a", "h", None)),
        ("not a uri", UriParts(None, None, None, None)),
    ],
)
def test_parse_uri(uri: str, parts: UriParts) -> None:
    assert parse_uri(uri) == parts


@pytest.mark.parametrize(
    ("value", "via"),
    [
        ("SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bK1;rport",
         Via("UDP", "10.0.0.5", 5062, {"branch": "z9hG4bK1", "rport": ""})),
        ("SIP/2.0/udp 10.0.0.5;rport=41234;received=203.0.113.7;branch=z9hG4bK2",
         Via("UDP", "10.0.0.5", None, {"rport": "41234", "received": "203.0.113.7",
                                       "branch": "z9hG4bK2"})),
        ("SIP / 2.0 / TLS  [2001:db8::5]:5061 ;branch=z9hG4bK3",
         Via("TLS", "2001:db8::5", 5061, {"branch": "z9hG4bK3"})),
        ("SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK4",
         Via("WSS", "df7jal23ls0d.invalid", None, {"branch": "z9hG4bK4"})),
        ("SIP/2.0/UDP host:70000", Via("UDP", "host", None, {})),
        ("garbage", Via(None, None, None, {})),
    ],
    ids=["rport-requested", "rport-received", "ipv6-spaces", "websocket", "bad-port", "garbage"],
)  # fmt: skip
def test_parse_via(value: str, via: Via) -> None:
    assert parse_via(value) == via


@pytest.mark.parametrize(
    ("value", "cseq"),
    [
        ("101 INVITE", (101, "INVITE")),
        ("  7   REGISTER ", (7, "REGISTER")),
        ("1 invite", (1, "invite")),  # methods are case-sensitive: kept as sent
        ("INVITE 1", None),
        ("12345678901 BYE", None),
        ("1", None),
    ],
)
def test_parse_cseq(value: str, cseq: tuple[int, str] | None) -> None:
    assert parse_cseq(value) == cseq


@pytest.mark.parametrize(
    ("value", "number"),
    [("0", 0), (" 3600 ", 3600), ("-1", None), ("1e3", None), ("", None), ("١٢", None)],
)
def test_parse_digits(value: str, number: int | None) -> None:
    assert parse_digits(value) == number


@pytest.mark.parametrize(
    ("value", "user"),
    [
        ('Digest username="201", realm="pbx", response="deadbeef"', "201"),
        ('Digest realm="pbx", USERNAME = "alice@pbx" , nonce="n"', "alice@pbx"),
        ("Digest realm=pbx, username=bob, nonce=n", "bob"),
        ('Digest realm="username", username="carol"', "carol"),
        ('Digest username="unterminated', "unterminated"),
        ('Digest realm="pbx", response="x"', None),
    ],
)
def test_auth_username(value: str, user: str | None) -> None:
    assert auth_username(value) == user
