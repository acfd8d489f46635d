"""Asterisk Manager Interface (AMI) event streams and snapshot responses.

Strategy: AMI is a stream of ``Key: Value`` blocks separated by blank lines; the
reader cuts the stream into blocks, :func:`parse_block` turns one block's text
into an event, None, or raises.  Registrar events: ``PeerStatus`` (chan_sip),
``ContactStatus`` (PJSIP), ``Registry`` (outbound registrations); call state:
``ExtensionStatus`` and ``DeviceStateChange``; snapshots (responses to
``PJSIPShowEndpoint`` / ``PJSIPShowContacts``): ``ContactStatusDetail`` and
``ContactList``.

AMI events carry no time unless ``timestampevents=yes`` adds ``Timestamp:``
(epoch seconds); :func:`block_stamp` also accepts CEL's ``EventTime:`` (local
time).  A block without either inherits the last time seen before it.

Contract: ``parse_block(str) -> LogEvent | None``, raises LogLineError.
"""

from __future__ import annotations

from collections.abc import Mapping

from pbxlab.capture.logs.model import LogEvent, malformed, normalize_source
from pbxlab.capture.logs.timestamps import Stamp, parse_stamp

FORMAT = "asterisk_ami"

_PEER_STATUS = {
    "registered": "registered",
    "unregistered": "unregistered",
    "reachable": "reachable",
    "unreachable": "unreachable",
    "lagged": "lagged",
    "rejected": "rejected",
}
_CONTACT_STATUS = {
    "created": "registered",
    "updated": "refreshed",
    "removed": "unregistered",
    "reachable": "reachable",
    "unreachable": "unreachable",
}
_EXTENSION_STATUS = {
    "0": "idle",
    "1": "in_use",
    "2": "in_use",  # busy
    "4": "unreachable",  # unavailable: no registered device
    "8": "ringing",
    "9": "in_use",  # in use and ringing (call waiting)
    "16": "in_use",  # on hold
    "17": "in_use",
}
_DEVICE_STATE = {
    "NOT_INUSE": "idle",
    "INUSE": "in_use",
    "BUSY": "in_use",
    "ONHOLD": "in_use",
    "RINGING": "ringing",
    "RINGINUSE": "in_use",
    "UNAVAILABLE": "unreachable",
}
_REGISTRY_STATUS = {
    "registered": "registered",
    "unregistered": "unregistered",
    "rejected": "auth_failed",
    "failed": "unreachable",
    "no authentication": "auth_failed",
}
_SNAPSHOT_STATUS = {
    "reachable": "registered",
    "avail": "registered",
    "unknown": "registered",
    "nonqualified": "registered",
    "created": "registered",
    "unreachable": "unreachable",
    "unavail": "unreachable",
}
_CALL_TECHS = ("SIP/", "PJSIP/", "IAX2/")


def parse_fields(text: str) -> dict[str, str]:
    """The ``Key: Value`` pairs of one AMI block (first value wins for repeated keys)."""
    fields: dict[str, str] = {}
    for raw in text.splitlines():
        key, sep, value = raw.partition(":")
        if sep and key and " " not in key.strip():
            fields.setdefault(key.strip(), value.strip())
    return fields


def block_stamp(fields: Mapping[str, str]) -> Stamp | None:
    """The time a block carries (``Timestamp:`` or CEL ``EventTime:``), or None."""
    for key in ("Timestamp", "EventTime"):
        value = fields.get(key)
        if value:
            try:
                return parse_stamp(value)
            except ValueError:
                return None
    return None


def _usec_to_ms(value: str | None) -> float | None:
    if not value or not value.replace(".", "", 1).isdigit():
        return None
    return float(value) / 1000.0


def _peer_name(peer: str) -> str:
    return peer.split("/", 1)[1] if "/" in peer else peer


def _require(fields: Mapping[str, str], keys: tuple[str, ...], what: str, text: str) -> None:
    missing = [k for k in keys if not fields.get(k)]
    if missing:
        raise malformed(FORMAT, f"an AMI {what} event (missing {', '.join(missing)})", text)


def _event(fields: Mapping[str, str], text: str) -> LogEvent | None:
    name = fields["Event"]
    if name == "PeerStatus":
        _require(fields, ("Peer", "PeerStatus"), name, text)
        event = _PEER_STATUS.get(fields["PeerStatus"].lower())
        if event is None:
            raise malformed(
                FORMAT, f"a PeerStatus event with status {fields['PeerStatus']!r}", text
            )
        rtt = fields.get("Time")
        address = fields.get("Address")
        cause = fields.get("Cause")
        return LogEvent(
            event,
            extension=_peer_name(fields["Peer"]),
            source=normalize_source(address) if address else None,
            rtt_ms=float(rtt) if rtt and rtt.isdigit() else None,
            detail=f"PeerStatus cause {cause}" if cause else "PeerStatus",
        )
    if name == "ContactStatus":
        _require(fields, ("URI", "ContactStatus"), name, text)
        event = _CONTACT_STATUS.get(fields["ContactStatus"].lower())
        if event is None:
            return None  # NonQualified / Unknown: qualify off, nothing changed
        return LogEvent(
            event,
            extension=fields.get("AOR") or fields.get("EndpointName"),
            contact=fields["URI"],
            rtt_ms=_usec_to_ms(fields.get("RoundtripUsec")),
            user_agent=fields.get("UserAgent") or None,
            detail="ContactStatus",
        )
    if name == "ExtensionStatus":
        _require(fields, ("Exten", "Status"), name, text)
        event = _EXTENSION_STATUS.get(fields["Status"])
        if event is None:
            return None  # -1/-2: hint removed or extension deleted
        hint = fields.get("Hint")
        return LogEvent(
            event,
            extension=fields["Exten"],
            detail=f"ExtensionStatus {fields['Status']}" + (f" hint {hint}" if hint else ""),
        )
    if name == "DeviceStateChange":
        _require(fields, ("Device", "State"), name, text)
        device = fields["Device"]
        event = _DEVICE_STATE.get(fields["State"].upper())
        if event is None or not device.startswith(_CALL_TECHS):
            return None  # INVALID/UNKNOWN, or Local/Queue/... pseudo-devices
        return LogEvent(event, extension=_peer_name(device), detail=f"DeviceState {device}")
    if name == "Registry":
        _require(fields, ("Status",), name, text)
        event = _REGISTRY_STATUS.get(fields["Status"].lower())
        if event is None:
            return None  # Request Sent / Auth. Sent: attempts, not outcomes
        cause = fields.get("Cause")
        return LogEvent(
            event,
            extension=fields.get("Username") or None,
            source=fields.get("Domain") or None,
            detail="outbound Registry" + (f" cause {cause}" if cause else ""),
        )
    if name in ("ContactStatusDetail", "ContactList"):
        uri = fields.get("URI") or fields.get("Uri")
        if not uri:
            raise malformed(FORMAT, f"an AMI {name} block without URI", text)
        status = fields.get("Status", "Unknown")
        event = _SNAPSHOT_STATUS.get(status.lower(), "registered")
        aor = fields.get("AOR") or fields.get("Aor") or fields.get("EndpointName")
        return LogEvent(
            event,
            extension=aor,
            contact=uri,
            rtt_ms=_usec_to_ms(fields.get("RoundtripUsec")),
            user_agent=fields.get("UserAgent") or None,
            detail=f"{name}: {status}",
            snapshot=True,
        )
    return None


def parse_block(text: str) -> LogEvent | None:
    """The event of one AMI block (its lines joined), with its own time if it has one.

    Returns None for blocks that are not registrar or call-state events (most
    of a stream); raises LogLineError for a known event with missing fields.
    """
    fields = parse_fields(text)
    if "Event" not in fields:
        return None
    event = _event(fields, text)
    return None if event is None else event.with_stamp(block_stamp(fields))


__all__ = ["FORMAT", "block_stamp", "parse_block", "parse_fields"]
