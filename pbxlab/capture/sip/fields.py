"""Parsers for the values of individual SIP headers (name-addr, Via, CSeq, lists).

Each function takes the header value as text and returns plain values; none
raises on odd input: a value that does not fit yields None fields, and the
message-level parser records the problem.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from pbxlab.capture.sip.abnf import CSEQ_RE, DIGITS_RE, URI_RE, VIA_RE


class NameAddr(NamedTuple):
    """From / To / Contact entry: display name, URI and header parameters."""

    display: str | None
    uri: str
    params: dict[str, str]


class Via(NamedTuple):
    transport: str | None
    host: str | None
    port: int | None
    params: dict[str, str]


class UriParts(NamedTuple):
    scheme: str | None
    user: str | None
    host: str | None
    port: int | None


def split_list(value: str) -> list[str]:
    """Split a comma-separated header value, respecting quotes and <...>."""
    if "," not in value:
        return [value.strip()] if value.strip() else []
    items: list[str] = []
    depth = 0
    quoted = False
    start = 0
    i = 0
    n = len(value)
    while i < n:
        ch = value[i]
        if quoted:
            if ch == "\\":
                i += 1
            elif ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
        elif ch == "<":
            depth += 1
        elif ch == ">":
            depth = max(0, depth - 1)
        elif ch == "," and depth == 0:
            items.append(value[start:i].strip())
            start = i + 1
        i += 1
    items.append(value[start:].strip())
    return [item for item in items if item]


_PARAM_RE = re.compile(r";[ \t]*([^;=\s]+)[ \t]*(?:=[ \t]*(\"[^\"]*\"|[^;]*?))?[ \t]*(?=;|$)")


def parse_params(text: str) -> dict[str, str]:
    """';a=b;c' -> {'a': 'b', 'c': ''} (names lower-cased, quotes kept off)."""
    if not text.startswith(";"):
        text = ";" + text.lstrip()
    params: dict[str, str] = {}
    for name, value in _PARAM_RE.findall(text):
        params.setdefault(name.lower(), value.strip('"'))  # a repeated parameter: first wins
    return params


def parse_name_addr(value: str) -> NameAddr:
    """Parse ``"Bob" <sip:bob@host>;tag=1`` or ``sip:bob@host;tag=1``."""
    value = value.strip()
    quote_end = 0
    if value.startswith('"'):  # a quoted display name may itself contain "<" (or ">")
        quote_end = 1
        while quote_end < len(value) and value[quote_end] != '"':
            quote_end += 2 if value[quote_end] == "\\" else 1
    lt = value.find("<", quote_end)
    if lt >= 0:
        gt = value.find(">", lt)
        if gt < 0:
            gt = len(value)
        display = value[:lt].strip().strip('"').strip() or None
        return NameAddr(display, value[lt + 1 : gt].strip(), parse_params(value[gt + 1 :]))
    # addr-spec form: URI parameters and header parameters cannot be told apart,
    # RFC 3261 20.10 says they are header parameters.
    uri, _, params = value.partition(";")
    return NameAddr(None, uri.strip(), parse_params(params))


def parse_uri(uri: str) -> UriParts:
    """Scheme, user, host and port of a SIP/SIPS/TEL URI; None parts when absent."""
    match = URI_RE.match(uri.strip())
    if match is None:
        return UriParts(None, None, None, None)
    scheme = match.group("scheme").lower()
    if scheme == "tel":
        # tel:+1555;phone-context=...: the number is the user
        return UriParts(scheme, match.group("host") or None, None, None)
    port = match.group("port")
    return UriParts(
        scheme,
        match.group("user") or None,
        match.group("host") or None,
        int(port) if port is not None and int(port) <= 65535 else None,
    )


def parse_via(value: str) -> Via:
    """Parse one Via entry: transport, sent-by host and port, parameters."""
    match = VIA_RE.match(value)
    if match is None:
        return Via(None, None, None, {})
    transport, host, port = match.groups()
    host = host.strip("[]")  # IPv6 reference: compare with packet addresses unbracketed
    port_num = int(port) if port is not None and int(port) <= 65535 else None
    return Via(transport.upper(), host, port_num, parse_params(value[match.end() :]))


def parse_cseq(value: str) -> tuple[int, str] | None:
    """'101 INVITE' -> (101, 'INVITE'); None when malformed."""
    match = CSEQ_RE.match(value)
    if match is None:
        return None
    return int(match.group(1)), match.group(2)  # methods are case-sensitive (RFC 3261 7.1)


def parse_digits(value: str) -> int | None:
    """A delta-seconds / Content-Length value, or None when malformed."""
    match = DIGITS_RE.match(value)
    return int(match.group(1)) if match else None


def auth_username(value: str) -> str | None:
    """username= of a Digest Authorization value (the response hash is ignored)."""
    lower = value.lower()
    at = lower.find("username")
    while at >= 0:
        rest = value[at + 8 :].lstrip()
        if rest.startswith("="):
            rest = rest[1:].lstrip()
            if rest.startswith('"'):
                end = rest.find('"', 1)
                return rest[1:end] if end > 0 else rest[1:]
            return rest.split(",", 1)[0].strip() or None
        at = lower.find("username", at + 8)
    return None
