"""SIP and SDP text for the synthetic benchmark capture (pure functions, bytes out).

Strategy: every message is assembled from an ordered list of ``(name, value)``
headers; :func:`sip_message` appends Content-Length from the body and, for
user agents that use them, writes the RFC 3261 section 7.3.3 compact forms of
the header names. Nothing here knows about time, transport or packets.
"""

from __future__ import annotations

from collections.abc import Sequence

# RFC 3261 7.3.3 (and the compact forms of the generator's other headers).
COMPACT_NAMES = {
    "Via": "v",
    "From": "f",
    "To": "t",
    "Call-ID": "i",
    "Contact": "m",
    "Content-Length": "l",
    "Content-Type": "c",
    "Supported": "k",
}

Headers = Sequence[tuple[str, str]]


def sip_message(
    start_line: str, headers: Headers, body: bytes = b"", compact: bool = False
) -> bytes:
    """Return the wire form of one SIP message, Content-Length included."""
    lines = [start_line]
    for name, value in headers:
        lines.append(f"{COMPACT_NAMES.get(name, name) if compact else name}: {value}")
    length_name = "l" if compact else "Content-Length"
    lines.append(f"{length_name}: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def status_line(status: int) -> str:
    """The response start line for ``status``."""
    return f"SIP/2.0 {status} {REASONS[status]}"


REASONS = {
    100: "Trying",
    180: "Ringing",
    200: "OK",
    401: "Unauthorized",
    403: "Forbidden",
    407: "Proxy Authentication Required",
    486: "Busy Here",
    487: "Request Terminated",
}

CODECS = {0: "PCMU/8000", 8: "PCMA/8000"}
DTMF_PT = 101


def sdp_body(
    *,
    user: str,
    session_id: int,
    version: int,
    ip: str,
    port: int,
    payload_types: Sequence[int],
    session_name: str = "SIP Call",
    direction: str = "sendrecv",
) -> bytes:
    """Return an SDP offer or answer for one G.711 audio stream (plus RFC 4733 DTMF)."""
    formats = " ".join(str(pt) for pt in (*payload_types, DTMF_PT))
    lines = [
        "v=0",
        f"o={user} {session_id} {version} IN IP4 {ip}",
        f"s={session_name}",
        f"c=IN IP4 {ip}",
        "t=0 0",
        f"m=audio {port} RTP/AVP {formats}",
        *(f"a=rtpmap:{pt} {CODECS[pt]}" for pt in payload_types),
        f"a=rtpmap:{DTMF_PT} telephone-event/8000",
        f"a=fmtp:{DTMF_PT} 0-16",
        "a=ptime:20",
        f"a={direction}",
    ]
    return ("\r\n".join(lines) + "\r\n").encode()


def digest_challenge(realm: str, nonce: str, stale: bool) -> str:
    """A WWW-Authenticate / Proxy-Authenticate value (RFC 2617 digest)."""
    value = f'Digest realm="{realm}",nonce="{nonce}",opaque="{nonce[:8]}",algorithm=MD5,qop="auth"'
    return value + (",stale=true" if stale else "")


def digest_credentials(
    *, user: str, realm: str, nonce: str, uri: str, response: str, cnonce: str, nc: int
) -> str:
    """An Authorization / Proxy-Authorization value (no secret: only the digest response)."""
    return (
        f'Digest username="{user}",realm="{realm}",nonce="{nonce}",uri="{uri}",'
        f'response="{response}",algorithm=MD5,cnonce="{cnonce}",opaque="{nonce[:8]}",'
        f"qop=auth,nc={nc:08x}"
    )
