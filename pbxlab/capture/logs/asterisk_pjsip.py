"""Asterisk chan_pjsip (res_pjsip) registrar lines.

Strategy: each event has a literal *anchor* (``Added contact '``, ``Contact X is
now``...) and one regular expression.  A line without any anchor is not an
event (None); a line with an anchor must match its expression, otherwise it is
a malformed event line (:class:`~pbxlab.errors.LogLineError`).  The messages are
found with ``search``, so the Asterisk prefix in front of them may take any of
its shapes (``[date] VERBOSE[tid][C-...] file.c:``, console ``  -- ``, syslog,
grep ``file:`` prefix).  ``Contact ... has been created/deleted`` repeats the
Added/Removed line beside it and is deliberately not an event.

Contract: ``parse_line(str) -> LogEvent | None``, raises LogLineError.
"""

from __future__ import annotations

import re

from pbxlab.capture.logs.model import LogEvent, malformed
from pbxlab.capture.logs.timestamps import leading_stamp

FORMAT = "asterisk_pjsip"

_ADDED = re.compile(
    r"Added contact '(?P<contact>[^']*)' to AOR '(?P<aor>[^']*)' "
    r"with expiration of (?P<expires>\d+) seconds"
)
_REFRESHED = re.compile(
    r"Refreshed contact '(?P<contact>[^']*)' (?:on|to) AOR '(?P<aor>[^']*)' "
    r"with new expiration of (?P<expires>\d+) seconds"
)
_REMOVED = re.compile(
    r"Removed contact '(?P<contact>[^']*)' from AOR '(?P<aor>[^']*)' "
    r"due to (?P<reason>[^\r\n]+?)\s*$"
)
_CONTACT_STATE = re.compile(
    r"Contact (?P<aor>[^/\s]+)/(?P<contact>\S+) is now (?P<state>[A-Za-z]+)\.?"
    r"(?:\s+RTT: (?P<rtt>\d+(?:\.\d+)?) msec)?"
)
_ENDPOINT_STATE = re.compile(r"Endpoint (?P<endpoint>\S+) is now (?P<state>[A-Za-z]+)")
# `pjsip show contacts` rows: Contact:  aor/uri  hash  Status  RTT(ms)
_SHOW_CONTACT = re.compile(
    r"^\s*Contact:\s+(?P<aor>[^/\s<]+)/(?P<contact>\S+)\s+(?P<hash>[0-9a-f]+)\s+"
    r"(?P<status>[A-Za-z]+)\s+(?P<rtt>nan|\d+(?:\.\d+)?)?\s*$"
)

_REMOVED_REASONS = {
    "expiration": "expired",
    "request": "unregistered",
    "remove existing": "unregistered",
}
_STATES = {"reachable": "reachable", "unreachable": "unreachable"}
# qualify turned off or not yet run: a change of knowledge, not of reachability
_NEUTRAL_STATES = {"unknown", "nonqualified", "created", "removed", "updated"}
_SHOW_STATUS = {
    "avail": "registered",
    "nonqual": "registered",
    "unknown": "registered",
    "unavail": "unreachable",
}

TRIGGERS = ("contact '", " is now ", "Contact:  ")


def _state_event(state: str, what: str, line: str) -> str | None:
    key = state.lower()
    if key in _STATES:
        return _STATES[key]
    if key in _NEUTRAL_STATES:
        return None
    raise malformed(FORMAT, f"a chan_pjsip {what} with unknown state {state!r}", line)


def parse_message(line: str) -> LogEvent | None:
    """The chan_pjsip event in ``line`` without its time; see the module doc."""
    if "contact '" in line:
        for verb, pattern, kind in (
            ("Added", _ADDED, "registered"),
            ("Refreshed", _REFRESHED, "refreshed"),
        ):
            if f"{verb} contact '" in line:
                m = pattern.search(line)
                if not m:
                    raise malformed(FORMAT, f"a chan_pjsip '{verb} contact' line", line)
                return LogEvent(
                    kind,
                    extension=m["aor"],
                    contact=m["contact"],
                    detail=f"expires {m['expires']} s",
                )
        if "Removed contact '" in line:
            m = _REMOVED.search(line)
            if not m:
                raise malformed(FORMAT, "a chan_pjsip 'Removed contact' line", line)
            reason = m["reason"]
            return LogEvent(
                _REMOVED_REASONS.get(reason, "unregistered"),
                extension=m["aor"],
                contact=m["contact"],
                detail=f"removed due to {reason}",
            )
    if " is now " in line:
        if "Contact " in line and "Contact '" not in line:
            m = _CONTACT_STATE.search(line)
            if not m:
                raise malformed(FORMAT, "a chan_pjsip contact status line", line)
            event = _state_event(m["state"], "contact status", line)
            if event is None:
                return None
            rtt = float(m["rtt"]) if m["rtt"] is not None else None
            # Asterisk prints RTT 0.000 when the qualify got no answer: no measurement
            if event == "unreachable" and rtt == 0.0:
                rtt = None
            return LogEvent(event, extension=m["aor"], contact=m["contact"], rtt_ms=rtt)
        if "Endpoint " in line:
            m = _ENDPOINT_STATE.search(line)
            if not m:
                raise malformed(FORMAT, "a chan_pjsip endpoint status line", line)
            event = _state_event(m["state"], "endpoint status", line)
            if event is None:
                return None
            return LogEvent(event, extension=m["endpoint"].strip("'"), detail="endpoint")
    if "Contact:  " in line and "<Aor/ContactUri" not in line:
        m = _SHOW_CONTACT.match(line)
        if not m:
            raise malformed(FORMAT, "a 'pjsip show contacts' row", line)
        event = _SHOW_STATUS.get(m["status"].lower())
        if event is None:
            raise malformed(
                FORMAT, f"a 'pjsip show contacts' row with status {m['status']!r}", line
            )
        rtt = None if m["rtt"] in (None, "nan") else float(m["rtt"])
        return LogEvent(
            event,
            extension=m["aor"],
            contact=m["contact"],
            rtt_ms=rtt,
            detail=f"pjsip show contacts: {m['status']}",
            snapshot=True,
        )
    return None


def parse_line(line: str) -> LogEvent | None:
    """The chan_pjsip event of one log line, with the time the line starts with.

    Returns None for a line that is not a chan_pjsip registrar event; raises
    LogLineError for one that looks like an event but does not parse.
    """
    event = parse_message(line)
    return None if event is None else event.with_stamp(leading_stamp(line))


__all__ = ["FORMAT", "TRIGGERS", "parse_line", "parse_message"]
