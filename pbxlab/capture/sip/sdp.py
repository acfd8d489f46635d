"""SDP (RFC 8866) just far enough to find media: connection, ports, direction, codecs.

Strategy: one pass over the lines; session-level ``c=`` and direction
attributes apply to media sections that do not override them.  Never raises:
a body that is not SDP gives an :class:`SdpInfo` with no media.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_BOUNDARY_RE = re.compile(r'boundary\s*=\s*("[^"]+"|[^;\s]+)', re.IGNORECASE)
DIRECTIONS = frozenset({"sendrecv", "sendonly", "recvonly", "inactive"})


@dataclass(slots=True)
class SdpMedia:
    """One m= section."""

    kind: str  # audio, video, image (T.38)...
    port: int
    connection: str | None
    direction: str
    payload_types: list[int] = field(default_factory=list)
    rtpmap: dict[int, str] = field(default_factory=dict)  # pt -> "PCMU/8000"
    rtcp_port: int | None = None


@dataclass(slots=True)
class SdpInfo:
    """What an SDP body says about where media goes."""

    connection: str | None  # session-level c= address
    media: list[SdpMedia]

    @property
    def audio(self) -> SdpMedia | None:
        """The first audio stream, if any (T.38 ``m=image`` is not audio)."""
        for media in self.media:
            if media.kind == "audio":
                return media
        return None


def parse_sdp(body: bytes) -> SdpInfo:
    """Parse an SDP body; returns the session connection and media sections."""
    text = body.decode("utf-8", "replace")
    session_conn: str | None = None
    session_dir = "sendrecv"
    media: list[SdpMedia] = []
    current: SdpMedia | None = None
    for raw in text.split("\n"):
        line = raw.strip()
        if len(line) < 2 or line[1] != "=":
            continue
        kind, value = line[0], line[2:]
        if kind == "m":  # m=<media> <port>[/<count>] <proto> <fmt> ...
            parts = value.split()
            port_text = parts[1].split("/", 1)[0] if len(parts) >= 3 else ""
            if not (port_text.isascii() and port_text.isdigit() and int(port_text) <= 65535):
                current = None
                continue
            pts = [int(p) for p in parts[3:] if p.isascii() and p.isdigit() and int(p) < 128]
            current = SdpMedia(parts[0].lower(), int(port_text), None, session_dir, pts)
            media.append(current)
        elif kind == "c":
            parts = value.split()
            addr = parts[2].split("/", 1)[0] if len(parts) >= 3 else None
            if current is None:
                session_conn = addr
            else:
                current.connection = addr
        elif kind == "a":
            name, _, attr = value.partition(":")
            if name in DIRECTIONS:
                if current is None:
                    session_dir = name
                else:
                    current.direction = name
            elif current is not None and name == "rtpmap":
                pt_text, _, codec = attr.partition(" ")
                if pt_text.isascii() and pt_text.isdigit():
                    current.rtpmap[int(pt_text)] = codec.strip()
            elif current is not None and name == "rtcp":
                port_text = attr.split()[0] if attr.split() else ""
                if port_text.isascii() and port_text.isdigit() and int(port_text) <= 65535:
                    current.rtcp_port = int(port_text)
    for m in media:
        if m.connection is None:
            m.connection = session_conn
    return SdpInfo(session_conn, media)


def sdp_part(content_type: str | None, body: bytes) -> bytes | None:
    """The SDP in a message body: the body itself, or the application/sdp part of a
    multipart body (RFC 5621); None when there is no SDP."""
    if not body:
        return None
    kind = (content_type or "").lower()
    if "multipart/" in kind:
        boundary = _BOUNDARY_RE.search(content_type or "")
        if boundary is None:
            return None
        delimiter = b"--" + boundary.group(1).strip('"').encode("utf-8", "replace")
        for part in body.split(delimiter)[1:]:
            head, sep, part_body = part.partition(b"\r\n\r\n")
            if not sep:
                head, sep, part_body = part.partition(b"\n\n")
            if sep and b"application/sdp" in head.lower():
                return part_body.rstrip(b"\r\n")
        return None
    if "sdp" in kind or (not kind and body[:4] in (b"v=0\r", b"v=0\n")):
        return body
    return None
