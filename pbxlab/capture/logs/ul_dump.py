"""Registrar location snapshots: Kamailio ``ul.dump`` and OpenSIPS ``ul_dump`` JSON.

Strategy: the document is small enough to load whole (one entry per binding);
:func:`parse_document` walks it for AOR records, however deeply the RPC
envelope nests them (``{"Info": {"AoR": ...}}`` from ``kamcmd``, JSON-RPC
``result.Domains[].Domain.AoRs[]``, OpenSIPS ``Domains[].AORs[]``), and turns
each contact into events.  Text before the first ``{``/``[`` (a CLI prompt
such as ``(opensips-cli): mi ul_dump``) is ignored.

* A live contact is ``registered``, at ``Last-Modified`` when the dump has it,
  else at the snapshot time (the file's modification time).
* ``"Expires": "expired"`` (OpenSIPS) is ``expired`` at the snapshot time.
* Kamailio's nathelper ``Keepalive: 1`` with a ``Last-Keepalive`` time also
  gives ``reachable`` at that time (the contact answered a keepalive).

Contract: ``parse_document(str) -> list[LogEvent]``, raises LogLineError.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from pbxlab.capture.logs.model import LogEvent, malformed
from pbxlab.capture.logs.timestamps import Stamp
from pbxlab.errors import LogLineError

FORMAT = "ul_dump"
_NOT_SET = {"", "n/a", "[not set]"}


def _records(node: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(node, Mapping):
        if ("AoR" in node or "AOR" in node) and "Contacts" in node:
            yield node
            return
        for value in node.values():
            yield from _records(value)
    elif isinstance(node, list):
        for item in node:
            yield from _records(item)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return None if text in _NOT_SET else text


def _epoch(value: Any) -> Stamp | None:
    if isinstance(value, int | float) and value > 0:
        return Stamp.from_epoch(float(value))
    return None


def _contact_events(aor: str, contact: Mapping[str, Any]) -> list[LogEvent]:
    uri = _text(contact.get("Address")) or _text(contact.get("Contact"))
    if uri is None:
        raise malformed(
            FORMAT,
            f"a ul.dump contact of AOR {aor!r} without an address",
            json.dumps(contact)[:300],
        )
    extension = aor.split("@", 1)[0]
    user_agent = _text(contact.get("User-Agent")) or _text(contact.get("User-agent"))
    received = _text(contact.get("Received"))
    source = received.split(":", 1)[1] if received and received.startswith("sip:") else received
    expires = contact.get("Expires")

    def event(kind: str, stamp: Stamp | None, detail: str) -> LogEvent:
        return LogEvent(
            kind,
            stamp,
            extension=extension,
            contact=uri,
            source=source,
            user_agent=user_agent,
            detail=detail,
            snapshot=True,
        )

    if isinstance(expires, str) and expires.lower() == "expired":
        return [event("expired", None, "ul_dump: expired")]
    detail = f"ul_dump: expires {expires}" + (" s" if isinstance(expires, int) else "")
    keepalive = contact.get("Keepalive")
    if keepalive:
        detail += "; keepalive on"
    events = [event("registered", _epoch(contact.get("Last-Modified")), detail)]
    last_keepalive = _epoch(contact.get("Last-Keepalive"))
    if keepalive and last_keepalive is not None:
        events.append(event("reachable", last_keepalive, "ul_dump: last keepalive answered"))
    return events


def parse_document(text: str) -> list[LogEvent]:
    """The bindings of a ``ul.dump``/``ul_dump`` JSON document as events.

    Raises LogLineError (with the JSON error's line in the message) when the
    text is not JSON, or a contact lacks its address.
    """
    starts = [i for i in (text.find("{"), text.find("[")) if i >= 0]
    if not starts:
        raise LogLineError("no JSON document found", log_format=FORMAT, excerpt=text[:200])
    start = min(starts)
    try:
        document = json.loads(text[start:])
    except json.JSONDecodeError as exc:
        line = text.count("\n", 0, start) + exc.lineno
        raise LogLineError(
            f"not valid JSON at line {line}: {exc.msg}",
            log_format=FORMAT,
            excerpt=text[start + exc.pos - min(exc.pos, 60) : start + exc.pos + 60],
        ) from exc
    events: list[LogEvent] = []
    for record in _records(document):
        aor = str(record.get("AoR") or record.get("AOR"))
        contacts = record.get("Contacts") or []
        if not isinstance(contacts, list):
            raise malformed(
                FORMAT,
                f"a ul.dump AOR {aor!r} whose Contacts is not a list",
                json.dumps(record)[:300],
            )
        for entry in contacts:
            contact = entry.get("Contact") if isinstance(entry, Mapping) else None
            # Kamailio wraps each contact as {"Contact": {...}}; OpenSIPS does not
            body = contact if isinstance(contact, Mapping) else entry
            if not isinstance(body, Mapping):
                raise malformed(FORMAT, f"a ul.dump contact of AOR {aor!r}", str(entry)[:300])
            events.extend(_contact_events(aor, body))
    return events


__all__ = ["FORMAT", "parse_document"]
