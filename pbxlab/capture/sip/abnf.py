"""The SIP grammar pbxlab relies on, each pattern under the RFC 3261 rule it encodes.

Patterns are compiled with re.ASCII: SIP's DIGIT and token are ASCII, and
Python's Unicode ``\\d`` would accept digits that ``int`` then rejects.
"""

from __future__ import annotations

import re

# token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
TOKEN = r"[A-Za-z0-9\-.!%*_+`'~]+"
TOKEN_RE = re.compile(TOKEN + r"\Z", re.ASCII)

# Request-Line = Method SP Request-URI SP SIP-Version CRLF
REQUEST_LINE_RE = re.compile(rf"({TOKEN}) (\S+) SIP/2\.0\Z", re.ASCII | re.IGNORECASE)

# Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF ; Status-Code = 3DIGIT
STATUS_LINE_RE = re.compile(r"SIP/2\.0 ([1-6][0-9]{2})(?: (.*))?\Z", re.ASCII | re.IGNORECASE)

# Where a message may start inside a byte stream (resynchronising TCP after garbage).
START_LINE_SEARCH_RE = re.compile(
    rb"(?:^|(?<=\n))(?:SIP/2\.0 [1-6][0-9]{2}|" + TOKEN.encode() + rb" \S+ SIP/2\.0\r?\n)",
    re.ASCII,
)

# CSeq = "CSeq" HCOLON 1*DIGIT LWS Method
CSEQ_RE = re.compile(rf"\s*([0-9]{{1,10}})\s+({TOKEN})\s*\Z", re.ASCII)

# delta-seconds = 1*DIGIT (Expires, Content-Length, expires= parameter)
DIGITS_RE = re.compile(r"\s*([0-9]{1,10})\s*\Z", re.ASCII)

# via-parm = sent-protocol LWS sent-by *( SEMI via-params )
# sent-protocol = "SIP" SLASH "2.0" SLASH transport
VIA_RE = re.compile(
    r"\s*SIP\s*/\s*2\.0\s*/\s*([A-Za-z0-9\-]+)\s+"  # transport
    r"(\[[0-9A-Fa-f:.]+\]|[^\s;:,]+)"  # host (IPv6 reference in brackets)
    r"(?:\s*:\s*([0-9]{1,5}))?",  # port
    re.ASCII | re.IGNORECASE,
)

# SIP-URI = "sip:" [ userinfo ] hostport uri-parameters [ headers ]
URI_RE = re.compile(
    r"(?P<scheme>sips?|tel|urn|[A-Za-z][A-Za-z0-9+.\-]*):"
    r"(?:(?P<user>[^@;?>]*?)(?::[^@;?>]*)?@)?"  # userinfo (a password part is dropped)
    r"(?P<host>\[[0-9A-Fa-f:.]+\]|[^:;?>]*)"
    r"(?::(?P<port>[0-9]{1,5}))?",
    re.ASCII,
)

# Compact header forms (RFC 3261 7.3.3 and later RFCs' registrations).
COMPACT_FORMS = {
    "a": "accept-contact",
    "b": "referred-by",
    "c": "content-type",
    "d": "request-disposition",
    "e": "content-encoding",
    "f": "from",
    "i": "call-id",
    "j": "reject-contact",
    "k": "supported",
    "l": "content-length",
    "m": "contact",
    "n": "identity-info",
    "o": "event",
    "r": "refer-to",
    "s": "subject",
    "t": "to",
    "u": "allow-events",
    "v": "via",
    "x": "session-expires",
    "y": "identity",
}

# Headers whose values are comma-separated lists (RFC 3261 7.3.1).
LIST_HEADERS = frozenset(
    {"via", "contact", "route", "record-route", "allow", "supported", "require", "proxy-require"}
)
