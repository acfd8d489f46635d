"""Realistic SIP messages shared by the capture tests (a phone registering and calling)."""

from __future__ import annotations


def sip(*lines: str, body: bytes = b"") -> bytes:
    """A message from its start line and header lines, CRLF-joined, then ``body``."""
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


REGISTER_AUTH = sip(
    "REGISTER sip:pbx.example.com SIP/2.0",
    "Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bK-reg2;rport",
    "Max-Forwards: 70",
    'From: "Reception 201" <sip:201@pbx.example.com>;tag=a1b2',
    "To: <sip:201@pbx.example.com>",
    "Call-ID: reg-201@10.0.0.5",
    "CSeq: 2 REGISTER",
    "Contact: <sip:201@10.0.0.5:5062;transport=udp>;expires=3600",
    'Authorization: Digest username="201", realm="pbx.example.com", nonce="abc", '
    'uri="sip:pbx.example.com", response="0123456789abcdef0123456789abcdef", algorithm=MD5',
    "Expires: 3600",
    "User-Agent: Yealink SIP-T46S 66.86.0.15",
    "Content-Length: 0",
)

OK_CONTACTS = sip(
    "SIP/2.0 200 OK",
    "Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bK-reg2;rport=41234;received=203.0.113.7",
    'From: "Reception 201" <sip:201@pbx.example.com>;tag=a1b2',
    "To: <sip:201@pbx.example.com>;tag=srv9",
    "Call-ID: reg-201@10.0.0.5",
    "CSeq: 2 REGISTER",
    "Contact: <sip:201@10.0.0.5:5062;transport=udp>;expires=3600, "
    "<sip:201@198.51.100.9:5060>;expires=120",
    "Contact: <sip:201@[2001:db8::5]:5060>;expires=60",
    "Server: Asterisk PBX 20.5.0",
    "Content-Length: 0",
)

SDP_OFFER = (
    b"v=0\r\n"
    b"o=- 1 1 IN IP4 10.0.0.5\r\n"
    b"s=call\r\n"
    b"c=IN IP4 10.0.0.5\r\n"
    b"t=0 0\r\n"
    b"m=audio 40000 RTP/AVP 0 8 101\r\n"
    b"a=rtpmap:0 PCMU/8000\r\n"
    b"a=rtpmap:8 PCMA/8000\r\n"
    b"a=rtpmap:101 telephone-event/8000\r\n"
    b"a=sendrecv\r\n"
)

INVITE_SDP = sip(
    "INVITE sip:202@pbx.example.com SIP/2.0",
    "Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bK-inv1;rport",
    "Max-Forwards: 70",
    'From: "Reception 201" <sip:201@pbx.example.com>;tag=c3d4',
    "To: <sip:202@pbx.example.com>",
    "Call-ID: call-1@10.0.0.5",
    "CSeq: 20 INVITE",
    "Contact: <sip:201@10.0.0.5:5062>",
    "User-Agent: Yealink SIP-T46S 66.86.0.15",
    "Content-Type: application/sdp",
    f"Content-Length: {len(SDP_OFFER)}",
    body=SDP_OFFER,
)

TRYING_SERVER_ONLY = sip(
    "SIP/2.0 100 Trying",
    "Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bK-inv1;rport=5062;received=10.0.0.5",
    'From: "Reception 201" <sip:201@pbx.example.com>;tag=c3d4',
    "To: <sip:202@pbx.example.com>",
    "Call-ID: call-1@10.0.0.5",
    "CSeq: 20 INVITE",
    "Server: Asterisk PBX 20.5.0",
    "Content-Length: 0",
)

OPTIONS = sip(
    "OPTIONS sip:201@10.0.0.5:5062 SIP/2.0",
    "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-opt1",
    "From: <sip:pbx@192.0.2.1>;tag=o1",
    "To: <sip:201@10.0.0.5:5062>",
    "Call-ID: opt-1@192.0.2.1",
    "CSeq: 1 OPTIONS",
    "Content-Length: 0",
)

BYE_TCP = sip(
    "BYE sip:201@10.0.0.5:5062;transport=tcp SIP/2.0",
    "Via: SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bK-bye1",
    "From: <sip:202@pbx.example.com>;tag=x9",
    "To: <sip:201@pbx.example.com>;tag=c3d4",
    "Call-ID: call-1@10.0.0.5",
    "CSeq: 21 BYE",
    "Content-Length: 0",
)

MESSAGES = (REGISTER_AUTH, OK_CONTACTS, INVITE_SDP, TRYING_SERVER_ONLY, OPTIONS, BYE_TCP)
