"""What every log parser returns: a :class:`LogEvent` (or None, or a LogLineError).

Parsers are pure: they take the text of one line (or one record) and return an
event whose time is still the :class:`~pbxlab.capture.logs.timestamps.Stamp`
written in the log.  Turning stamps into UTC needs context a single line does
not have (the year of a syslog date, the file's time zone), so the reader does
it with a :class:`~pbxlab.capture.logs.timestamps.TimeResolver`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pbxlab.capture.logs.timestamps import Stamp
from pbxlab.errors import LogLineError


@dataclass(frozen=True, slots=True)
class LogEvent:
    """One registrar event as read from a log, before time resolution.

    ``stamp`` is None when the line carries no time of its own (console output,
    AMI events): the reader then uses the last time written before it.
    ``snapshot`` marks a state dump (``pjsip show contacts``, ``ul.dump``):
    without a time of its own it is stamped with the file's modification time.
    """

    event: str
    stamp: Stamp | None = None
    extension: str | None = None
    contact: str | None = None
    source: str | None = None
    rtt_ms: float | None = None
    user_agent: str | None = None
    detail: str | None = None
    snapshot: bool = False

    def with_stamp(self, stamp: Stamp | None) -> LogEvent:
        """The same event with ``stamp`` as its time."""
        return LogEvent(
            self.event,
            stamp,
            self.extension,
            self.contact,
            self.source,
            self.rtt_ms,
            self.user_agent,
            self.detail,
            self.snapshot,
        )


_SIP_USER = re.compile(r"(?:sips?|tel):(?P<user>[^@;>\s:]+)@")
_TRANSPORT_PREFIX = re.compile(r"^(?:UDP|TCP|TLS|WSS?|SCTP):", re.IGNORECASE)
_BRACKETED_V4 = re.compile(r"^\[(?P<ip>\d{1,3}(?:\.\d{1,3}){3})\](?P<port>:\d+)?$")


def uri_user(uri: str) -> str | None:
    """The user part of the first sip:/sips:/tel: URI in ``uri``, or None."""
    match = _SIP_USER.search(uri)
    return match.group("user") if match else None


def normalize_source(text: str) -> str:
    """A network source as ``ip``, ``ip:port`` or ``[v6]:port``.

    Drops a transport prefix (``UDP:``, ``TCP:``) and brackets around an IPv4
    address, as Asterisk writes them in ``TCP:[1.2.3.4]:61470``.
    """
    text = _TRANSPORT_PREFIX.sub("", text.strip())
    match = _BRACKETED_V4.match(text)
    if match:
        return match.group("ip") + (match.group("port") or "")
    return text


def source_host(source: str) -> str:
    """The address part of a source written as ip, ip:port, v6 or [v6]:port."""
    if source.startswith("["):
        return source[1 : source.index("]")] if "]" in source else source[1:]
    if source.count(":") == 1:
        return source.split(":", 1)[0]
    return source


def malformed(log_format: str, what: str, text: str) -> LogLineError:
    """The error a parser raises for a line that looks like ``what`` but does not parse."""
    shown = text if len(text) <= 160 else text[:157] + "..."
    return LogLineError(
        f"looks like {what} but does not parse: {shown!r}", log_format=log_format, excerpt=text
    )


__all__ = ["LogEvent", "malformed", "normalize_source", "source_host", "uri_user"]
