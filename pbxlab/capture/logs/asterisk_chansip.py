"""Asterisk chan_sip registrar, qualify and call-state lines.

Strategy: as in :mod:`asterisk_pjsip` -- an anchor literal per event, one regular
expression, ``search`` so any Asterisk prefix works.  Covered: ``Registered SIP
'x' at addr`` (old ``port P expires E`` form too), ``Unregistered SIP 'x'``,
``Peer 'x' is now Reachable/UNREACHABLE/Lagged (rtt / max)``, the outbound
``Registration for 'u@h' timed out``, ``sip show peers`` rows (a snapshot), and
the dial verbose lines ``-- SIP/x-0001 is ringing`` / ``answered``.

Contract: ``parse_line(str) -> LogEvent | None``, raises LogLineError.
"""

from __future__ import annotations

import re

from pbxlab.capture.logs.model import LogEvent, malformed
from pbxlab.capture.logs.timestamps import leading_stamp

FORMAT = "asterisk_chansip"

_REGISTERED = re.compile(
    r"Registered SIP '(?P<peer>[^']+)' at (?P<addr>[^\s']+)"
    r"(?: port (?P<port>\d+))?(?: expires (?P<expires>\d+))?"
)
_UNREGISTERED = re.compile(r"Unregistered SIP '(?P<peer>[^']+)'")
_PEER_STATE = re.compile(
    r"Peer '(?:SIP/)?(?P<peer>[^']+)' is now (?P<state>[A-Za-z]+)[.!]?"
    r"(?:\s+\((?P<rtt>\d+)ms / (?P<max>\d+)ms\))?(?:\s+Last qualify: (?P<last>-?\d+))?"
)
_REG_TIMEOUT = re.compile(
    r"Registration for '(?P<user>[^@']*)@(?P<host>[^']+)' timed out, trying again"
    r"(?: \(Attempt #(?P<attempt>\d+)\))?"
)
# sip show peers: Name/username  Host  Dyn Forcerport Comedia ACL  Port  Status
_SHOW_PEER = re.compile(
    r"^(?P<name>[^\s/]+)(?:/\S+)?\s+(?P<host>\d{1,3}(?:\.\d{1,3}){3}|[0-9a-fA-F:]*:[0-9a-fA-F:]+)"
    r"(?:\s+(?:D|N|A|a|Yes|No|Auto|\(\w+\)))*\s+(?P<port>\d+)\s+"
    r"(?P<status>OK \((?P<ok>\d+) ms\)|LAGGED \((?P<lag>\d+) ms\)|UNREACHABLE)\s*$"
)
_CALL_STATE = re.compile(
    r"-- (?:SIP|PJSIP|IAX2)/(?P<peer>[^\s/]+?)-[0-9a-f]{8} (?P<what>is ringing|answered)"
)

_PEER_STATES = {"reachable": "reachable", "unreachable": "unreachable", "lagged": "lagged"}
_NEUTRAL_PEER_STATES = {"unknown", "unmonitored"}

# literals a candidate line holds (the reader's pre-filter); kept few, each costs a scan
TRIGGERS = (
    "egistered SIP '",  # Registered / Unregistered
    " is now ",
    "timed out, trying again",
    " ms)",
    "UNREACHABLE",
    " is ringing",
    " answered",
)


def _peer_state(m: re.Match[str], line: str) -> LogEvent | None:
    key = m["state"].lower()
    if key in _NEUTRAL_PEER_STATES:
        return None
    event = _PEER_STATES.get(key)
    if event is None:
        raise malformed(FORMAT, f"a chan_sip peer status line with state {m['state']!r}", line)
    rtt = float(m["rtt"]) if m["rtt"] is not None and event != "unreachable" else None
    parts = []
    if m["max"] is not None:
        parts.append(f"qualify {m['rtt']} ms / max {m['max']} ms")
    if m["last"] is not None:
        parts.append(f"last qualify {m['last']} ms")
    return LogEvent(event, extension=m["peer"], rtt_ms=rtt, detail="; ".join(parts) or None)


def parse_message(line: str) -> LogEvent | None:
    """The chan_sip event in ``line`` without its time; see the module doc."""
    if "egistered SIP '" in line:  # Registered / Unregistered
        if "Unregistered SIP '" in line:
            m = _UNREGISTERED.search(line)
            if not m:
                raise malformed(FORMAT, "a chan_sip 'Unregistered SIP' line", line)
            return LogEvent("unregistered", extension=m["peer"])
        if "Registered SIP '" in line:
            m = _REGISTERED.search(line)
            if not m:
                raise malformed(FORMAT, "a chan_sip 'Registered SIP' line", line)
            source = m["addr"] if m["port"] is None else f"{m['addr']}:{m['port']}"
            detail = f"expires {m['expires']} s" if m["expires"] else None
            return LogEvent("registered", extension=m["peer"], source=source, detail=detail)
    if "Peer '" in line and " is now " in line:
        m = _PEER_STATE.search(line)
        if not m:
            raise malformed(FORMAT, "a chan_sip peer status line", line)
        return _peer_state(m, line)
    if "timed out, trying again" in line and "Registration for '" in line:
        m = _REG_TIMEOUT.search(line)
        if not m:
            raise malformed(FORMAT, "a chan_sip outbound registration timeout", line)
        attempt = f" (attempt {m['attempt']})" if m["attempt"] else ""
        return LogEvent(
            "unreachable",
            extension=m["user"],
            source=m["host"],
            detail=f"outbound registration timed out{attempt}",
        )
    if " is ringing" in line or " answered" in line:
        m = _CALL_STATE.search(line)
        if m:
            event = "ringing" if m["what"] == "is ringing" else "in_use"
            return LogEvent(event, extension=m["peer"], detail="dial")
        return None
    if " ms)" in line or "UNREACHABLE" in line:
        m = _SHOW_PEER.match(line)
        if not m:
            return None  # the anchors are too common in other output to call this malformed
        if m["ok"] is not None:
            event, rtt = "registered", float(m["ok"])
        elif m["lag"] is not None:
            event, rtt = "lagged", float(m["lag"])
        else:
            event, rtt = "unreachable", None
        return LogEvent(
            event,
            extension=m["name"],
            source=f"{m['host']}:{m['port']}",
            rtt_ms=rtt,
            detail=f"sip show peers: {m['status']}",
            snapshot=True,
        )
    return None


def parse_line(line: str) -> LogEvent | None:
    """The chan_sip event of one log line, with the time the line starts with.

    Returns None for a line that is not a chan_sip event; raises LogLineError for
    one that looks like an event but does not parse.
    """
    event = parse_message(line)
    return None if event is None else event.with_stamp(leading_stamp(line))


__all__ = ["FORMAT", "TRIGGERS", "parse_line", "parse_message"]
