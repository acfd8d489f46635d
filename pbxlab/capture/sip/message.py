"""Parse one SIP message from bytes.

Contract (as h11's readers): :func:`parse_message` takes the bytes of exactly
one message and returns a :class:`SipMessage`, or raises
:class:`~pbxlab.errors.SipParseError` when the bytes are not a SIP message at
all (no valid start line).  A message that *is* SIP but has defects (a
truncated body, a header line without a colon, a bad CSeq...) is returned
with those defects listed in :attr:`SipMessage.problems`: in a diagnostics
tool a malformed message is itself evidence.

Strategy: the header block is decoded once (UTF-8, undecodable bytes
replaced), unfolded, split into lines, and each line partitioned at its first
colon; names are lower-cased and compact forms expanded, so lookups are
dictionary hits.  Header values are parsed lazily by :mod:`.fields`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pbxlab.capture.sip.abnf import COMPACT_FORMS, LIST_HEADERS, REQUEST_LINE_RE, STATUS_LINE_RE
from pbxlab.capture.sip.fields import parse_digits, split_list
from pbxlab.errors import SipParseError

# Start lines longer than this are not SIP (PROTOS c07 sends megabyte methods).
MAX_START_LINE = 8192


# Header names as spelled on the wire -> canonical (lower-case, compact forms
# expanded).  Spellings repeat endlessly in a capture, so one lookup replaces
# strip + lower + compact-form lookup per line.
_canonical_names: dict[str, str] = {}
_MAX_SPELLINGS = 10_000


def canonical_header_name(name: str) -> str:
    """A header name as spelled on the wire -> the key of :attr:`SipMessage.headers`."""
    key = name.rstrip().lower()
    key = COMPACT_FORMS.get(key, key)
    if len(_canonical_names) < _MAX_SPELLINGS:
        _canonical_names[name] = key
    return key


@dataclass(slots=True)
class SipMessage:
    """A parsed SIP request or response."""

    is_request: bool
    method: str | None  # requests only
    request_uri: str | None
    status: int | None  # responses only
    reason: str | None
    headers: dict[str, list[str]]  # lower-case full names, values in order
    body: bytes = b""
    problems: list[str] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        """First value of header ``name`` (any case, compact form allowed), or None."""
        key = name.lower()
        values = self.headers.get(COMPACT_FORMS.get(key, key))
        return values[0] if values else None

    def header_values(self, name: str) -> list[str]:
        """All values of ``name``; list headers (Via, Contact...) split at commas."""
        key = name.lower()
        key = COMPACT_FORMS.get(key, key)
        values = self.headers.get(key, [])
        if key in LIST_HEADERS:
            return [item for value in values for item in split_list(value)]
        return list(values)

    @property
    def start_line(self) -> str:
        if self.is_request:
            return f"{self.method} {self.request_uri} SIP/2.0"
        return f"SIP/2.0 {self.status} {self.reason or ''}".rstrip()


def _parse_folded(lines: list[str], headers: dict[str, list[str]], problems: list[str]) -> None:
    """Header lines with continuation lines (RFC 3261 7.3.1: fold into the previous value)."""
    last: list[str] | None = None
    for raw in lines:
        if raw[:1] in (" ", "\t"):
            if last is not None:
                last[-1] = f"{last[-1]} {raw.strip()}"
            continue
        name, colon, value = raw.partition(":")
        if not colon:
            if raw.strip():
                problems.append(f"header line without a colon: {raw[:80]!r}")
            last = None
            continue
        key = _canonical_names.get(name) or canonical_header_name(name)
        last = headers.get(key)
        if last is None:
            last = headers[key] = []
        last.append(value.strip())


def looks_like_sip(payload: bytes) -> bool:
    """Cheap test: does ``payload`` begin with a SIP start line?

    Used to tell SIP from other traffic on any port (and HTTP on 5060 from SIP).
    """
    if payload[:8] == b"SIP/2.0 ":
        return True
    nl = payload.find(b"\n", 0, MAX_START_LINE)
    if nl < 0:
        return False
    line = payload[:nl].rstrip(b"\r")
    return line[-8:].upper() == b" SIP/2.0" and line.count(b" ") == 2


def parse_message(data: bytes) -> SipMessage:
    """Parse ``data`` (one whole SIP message).

    Returns the message, with any non-fatal defects in ``problems``.
    Raises SipParseError (with the offset of the problem) when ``data`` does
    not start with a SIP request or status line.
    """
    start = 0
    while data[start : start + 2] == b"\r\n":  # RFC 3261 7.5: ignore leading CRLFs
        start += 2
    head_end = data.find(b"\r\n\r\n", start)
    sep_len = 4
    if head_end < 0:
        head_end = data.find(b"\n\n", start)
        sep_len = 2
    problems: list[str] = []
    if head_end < 0:
        head_end, sep_len = len(data), 0
        problems.append("no empty line after the headers (message truncated?)")
    head = data[start:head_end].decode("utf-8", "replace")
    body = data[head_end + sep_len :]
    line_end = head.find("\n")
    if line_end < 0:
        line_end = len(head)
    first = head[:line_end].rstrip("\r")
    if len(first) > MAX_START_LINE:
        raise SipParseError(f"start line of {len(first)} characters is not SIP", start)

    if first[:8].upper() == "SIP/2.0 ":
        match = STATUS_LINE_RE.match(first)
        if match is None:
            raise SipParseError(f"malformed status line {first[:120]!r}", start)
        msg = SipMessage(False, None, None, int(match.group(1)), match.group(2) or "", {})
    else:
        match = REQUEST_LINE_RE.match(first)
        if match is None:
            raise SipParseError(f"not a SIP start line: {first[:120]!r}", start)
        msg = SipMessage(True, match.group(1), match.group(2), None, None, {})

    block = head[line_end + 1 :]
    lines = block.split("\r\n") if "\r" in block else block.split("\n")
    headers = msg.headers
    canonical = _canonical_names
    if "\n " in block or "\n\t" in block or block[:1] in (" ", "\t"):
        _parse_folded(lines, headers, problems)
    else:
        for raw in lines:  # the hot loop: no folded lines
            name, colon, value = raw.partition(":")
            if not colon:
                if raw.strip():
                    problems.append(f"header line without a colon: {raw[:80]!r}")
                continue
            key = canonical.get(name) or canonical_header_name(name)
            values = headers.get(key)
            if values is None:
                headers[key] = [value.strip()]
            else:
                values.append(value.strip())

    declared = headers.get("content-length")
    if declared is not None:
        length = parse_digits(declared[0])
        if length is None:
            problems.append(f"invalid Content-Length {declared[0][:40]!r}")
        elif length > len(body):
            problems.append(f"body truncated: Content-Length {length}, {len(body)} bytes present")
        elif length < len(body):
            body = body[:length]  # RFC 3261 18.3: bytes past Content-Length are discarded
    msg.body = body
    msg.problems = problems
    return msg
