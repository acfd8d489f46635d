"""SDP (RFC 8866) just far enough to find media: connection, ports, direction, codecs.

Strategy: one pass over the lines; session-level ``c=`` and direction
attributes apply to media sections that do not override them.  Never raises:
a body that is not SDP gives an :class:`SdpInfo` with no media.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
        """The first audio stream (or the first stream of any kind)."""
        for media in self.media:
            if media.kind == "audio":
                return media
        return self.media[0] if self.media else None


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
