"""Cut SIP messages out of a byte stream (SIP over TCP, RFC 3261 18.3).

Contract (as h11's ``ReceiveBuffer``): :meth:`SipStreamFramer.feed` appends
bytes; :meth:`SipStreamFramer.next_event` returns the next
:class:`Message`, a :class:`Keepalive` (RFC 5626 CRLF ping/pong), a
:class:`Skipped` run of bytes that could not be SIP, or :data:`NEED_DATA`.

Strategy: a message is its header block up to the empty line plus exactly
Content-Length bytes of body (absent means 0 on a stream).  When the buffer
does not begin with a start line, bytes are skipped up to the next line that
looks like one; an incomplete message larger than ``max_incomplete`` is
given up on, so garbage cannot grow the buffer without bound.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from pbxlab.capture.sip.abnf import START_LINE_SEARCH_RE
from pbxlab.capture.sip.message import MAX_START_LINE, looks_like_sip

MAX_INCOMPLETE: Final = 256 * 1024  # largest header block + body we wait for
_CONTENT_LENGTH_RE = re.compile(
    rb"\n(?:content-length|l)[ \t]*:[ \t]*([0-9]+)", re.IGNORECASE | re.ASCII
)


@dataclass(frozen=True, slots=True)
class Message:
    data: bytes
    offset: int  # stream offset of its first byte


@dataclass(frozen=True, slots=True)
class Keepalive:
    offset: int
    size: int = 2  # CR/LF bytes: 4 for an RFC 5626 ping, 2 for its pong


@dataclass(frozen=True, slots=True)
class Skipped:
    data: bytes
    offset: int
    reason: str


class _NeedData:
    def __repr__(self) -> str:
        return "NEED_DATA"


NEED_DATA: Final = _NeedData()

Event = Message | Keepalive | Skipped | _NeedData


class SipStreamFramer:
    """Frames SIP messages out of one direction of a TCP connection."""

    def __init__(self, max_incomplete: int = MAX_INCOMPLETE) -> None:
        self.max_incomplete = max_incomplete
        self._buf = bytearray()
        self._offset = 0  # stream offset of _buf[0]

    def feed(self, data: bytes) -> None:
        """Append the next bytes of the stream."""
        self._buf += data

    def reset(self, gap: int = 0) -> None:
        """Forget buffered bytes (e.g. after a hole in the capture of ``gap`` bytes)."""
        self._offset += len(self._buf) + gap
        self._buf.clear()

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def _take(self, n: int) -> tuple[bytes, int]:
        data = bytes(self._buf[:n])
        offset = self._offset
        del self._buf[:n]
        self._offset += n
        return data, offset

    def next_event(self) -> Event:
        """The next framed item, or NEED_DATA until more bytes are fed."""
        buf = self._buf
        if not buf:
            return NEED_DATA
        if buf[0] in (0x0D, 0x0A):
            # CRLF keepalives between messages: "\r\n\r\n" ping, "\r\n" pong
            n = 0
            while n < len(buf) and buf[n] in (0x0D, 0x0A):
                n += 1
            if n == len(buf) and n < 4 and buf[:n] != b"\r\n":
                return NEED_DATA
            _, offset = self._take(n)
            return Keepalive(offset, n)
        if not looks_like_sip(bytes(buf[:MAX_START_LINE])):
            if b"\n" not in buf and len(buf) < MAX_START_LINE:
                return NEED_DATA  # the start line is not complete yet
            match = START_LINE_SEARCH_RE.search(buf, 1)
            if match is None:
                # keep the last line's beginning, a start line may be arriving in pieces; a
                # tail as long as MAX_START_LINE cannot be one (and must go, or nothing moves)
                keep = len(buf) - (buf.rfind(b"\n") + 1)
                if keep >= min(len(buf), MAX_START_LINE):
                    keep = 0
                data, offset = self._take(len(buf) - keep)
                return Skipped(data, offset, "bytes that are not SIP")
            data, offset = self._take(match.start())
            return Skipped(data, offset, "bytes that are not SIP before a SIP start line")
        head_end = buf.find(b"\r\n\r\n")
        sep = 4
        if head_end < 0:
            head_end = buf.find(b"\n\n")
            sep = 2
        if head_end < 0:
            if len(buf) > self.max_incomplete:
                data, offset = self._take(len(buf))
                return Skipped(
                    data, offset, f"no end of headers within {self.max_incomplete} bytes"
                )
            return NEED_DATA
        match_len = _CONTENT_LENGTH_RE.search(buf, 0, head_end)
        body_len = int(match_len.group(1)) if match_len else 0
        total = head_end + sep + body_len
        if total > self.max_incomplete:
            data, offset = self._take(head_end + sep)
            return Skipped(
                data,
                offset,
                f"Content-Length {body_len} exceeds the {self.max_incomplete}-byte cap",
            )
        if len(buf) < total:
            return NEED_DATA
        data, offset = self._take(total)
        return Message(data, offset)
