"""Kamailio and OpenSIPS log lines: the header, then the user's xlog mapping.

Strategy: both proxies log through syslog (``Feb 17 09:40:56 host proxy[25182]:
NOTICE: <script>: ...``, OpenSIPS with its binary path as the tag and
``ERROR:core:fn:`` levels) or to stderr (``107(3957) NOTICE: ...``).
:func:`split_header` separates the header from the message; the events come
from the deployment's own xlog lines, so :func:`parse_line` applies an
:class:`~pbxlab.capture.logs.xlog.XlogMapping` to the message.  Without a
mapping no line is an event (and the reader counts them all as skipped).  A
message wrapped onto an indented next line is joined back (:func:`continues`).

Contract: ``parse_line(str, mapping) -> LogEvent | None``, raises LogLineError.
"""

from __future__ import annotations

import re

from pbxlab.capture.logs.model import LogEvent
from pbxlab.capture.logs.timestamps import leading_stamp
from pbxlab.capture.logs.xlog import XlogMapping

FORMATS = ("kamailio", "opensips")
_SYSLOG_HEADER = re.compile(
    r"^[\s>│|`]*(?:\S+\s+\d+\s+[\d:.]+|\d{4}-\d{2}-\d{2}T\S+)\s+\S+\s+"
    r"(?P<tag>[^\s\[]+)\[(?P<pid>\d+)\]:\s*"
)
_STDERR_HEADER = re.compile(r"^[\s>│|`]*\d+\((?P<pid>\d+)\)\s+")


def split_header(line: str) -> tuple[str | None, str]:
    """(syslog tag or None, message) of a Kamailio/OpenSIPS line."""
    m = _SYSLOG_HEADER.match(line)
    if m:
        return m["tag"], line[m.end() :]
    m = _STDERR_HEADER.match(line)
    if m:
        return None, line[m.end() :]
    return None, line


def continues(line: str) -> bool:
    """Whether ``line`` continues the previous entry: a message wrapped onto an
    indented line without a header of its own (syslog relays wrap long lines)."""
    return (
        line[:1] in (" ", "\t")
        and _SYSLOG_HEADER.match(line) is None
        and _STDERR_HEADER.match(line) is None
    )


def parse_line(line: str, mapping: XlogMapping | None) -> LogEvent | None:
    """The event ``mapping`` finds in the message of ``line``, with the line's time.

    Returns None without a mapping or when no pattern applies; raises
    LogLineError when a pattern's ``contains`` anchor is present but its regex
    does not match.
    """
    if mapping is None:
        return None
    _, message = split_header(line)
    event = mapping.parse(message)
    return None if event is None else event.with_stamp(leading_stamp(line))


__all__ = ["FORMATS", "continues", "parse_line", "split_header"]
