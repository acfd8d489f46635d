"""Small hand-built ``messages`` tables for the analysis tests.

Each helper returns one message as a dict of MESSAGES columns; :func:`table`
fills the rest with None, numbers the frames in order and builds the frame
with ``MESSAGES.build`` so dtypes are exactly the capture engine's.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from pbxlab.tables import EVENTS, MESSAGES

T0 = pd.Timestamp("2024-05-01T12:00:00Z").as_unit("ns")
PBX = ("203.0.113.5", 5060)
FILE = "hand.pcap"


def at(seconds: float) -> pd.Timestamp:
    """T0 plus ``seconds``."""
    return (T0 + pd.Timedelta(seconds=seconds)).as_unit("ns")


def table(*rows: dict[str, Any]) -> pd.DataFrame:
    """A MESSAGES frame of the rows, frames numbered 1.. in the given order."""
    columns: dict[str, list[Any]] = {name: [] for name in MESSAGES.names}
    for frame, row in enumerate(rows, start=1):
        unknown = set(row) - set(MESSAGES.names)
        assert not unknown, unknown
        for name in MESSAGES.names:
            columns[name].append(row.get(name))
        columns["frame"][-1] = frame
        columns["source_file"][-1] = FILE
        columns["transport"][-1] = "udp"
        if columns["auth"][-1] is None:
            columns["auth"][-1] = False
    return MESSAGES.build(columns)


def register(
    t: float,
    ext: str = "201",
    *,
    contact: str | None = None,
    src: tuple[str, int] = ("192.168.1.10", 5060),
    expires: int | None = 600,
    call_id: str | None = None,
    cseq: int = 1,
    auth: bool = False,
    ua: str | None = "Yealink SIP-T46U",
    branch: str | None = None,
) -> dict[str, Any]:
    """A REGISTER from ``src`` for ``ext`` (Expires header ``expires``)."""
    contact = contact or f"sip:{ext}@{src[0]}:{src[1]}"
    call_id = call_id or f"reg-{ext}-{src[0]}-{src[1]}"
    return {
        "ts": at(t),
        "src": src[0],
        "sport": src[1],
        "dst": PBX[0],
        "dport": PBX[1],
        "is_request": True,
        "method": "REGISTER",
        "call_id": call_id,
        "cseq_num": cseq,
        "cseq_method": "REGISTER",
        "from_user": ext,
        "to_user": ext,
        "to_host": "pbx.example.com",
        "request_uri": "sip:pbx.example.com",
        "contact": contact,
        "contact_count": 0 if contact is None else 1,
        "contacts": None if contact == "*" else f"<{contact}>",
        "expires": expires,
        "branch": branch or f"z9hG4bK-{call_id}-{cseq}",
        "user_agent": ua,
        "auth": auth,
        "auth_user": ext if auth else None,
    }


def reply(
    request: dict[str, Any],
    t: float,
    status: int,
    *,
    contacts: list[tuple[str, int]] | None = None,
    expires: int | None = None,
) -> dict[str, Any]:
    """The response ``status`` to ``request`` (REGISTER 200 OK lists ``contacts``)."""
    listed = ", ".join(f"<{uri}>;expires={exp}" for uri, exp in contacts or [])
    return {
        "ts": at(t),
        "src": request["dst"],
        "sport": request["dport"],
        "dst": request["src"],
        "dport": request["sport"],
        "is_request": False,
        "status": status,
        "call_id": request["call_id"],
        "cseq_num": request["cseq_num"],
        "cseq_method": request["method"],
        "from_user": request["from_user"],
        "to_user": request["to_user"],
        "to_tag": "tt" if status > 100 else None,
        "contact": contacts[0][0] if contacts else None,
        "contact_expires": contacts[0][1] if contacts else None,
        "contact_count": len(contacts or []),
        "contacts": listed or None,
        "expires": expires,
        "branch": request["branch"],
    }


def request(
    t: float,
    method: str,
    *,
    src: tuple[str, int],
    dst: tuple[str, int],
    from_user: str | None,
    to_user: str | None,
    call_id: str,
    cseq: int = 1,
    to_tag: str | None = None,
) -> dict[str, Any]:
    """Any other request (INVITE, OPTIONS, NOTIFY, BYE, CANCEL)."""
    return {
        "ts": at(t),
        "src": src[0],
        "sport": src[1],
        "dst": dst[0],
        "dport": dst[1],
        "is_request": True,
        "method": method,
        "call_id": call_id,
        "cseq_num": cseq,
        "cseq_method": method,
        "from_user": from_user,
        "to_user": to_user,
        "to_tag": to_tag,
        "request_uri": f"sip:{to_user}@{dst[0]}:{dst[1]}" if to_user else f"sip:{dst[0]}",
        "branch": f"z9hG4bK-{call_id}-{cseq}-{method}",
    }


def event(
    t: float,
    kind: str,
    ext: str = "201",
    *,
    contact: str | None = None,
    source: str | None = None,
    detail: str | None = None,
    line: int | None = None,
    user_agent: str | None = None,
) -> dict[str, Any]:
    """One EVENTS row (as a registrar log would give it)."""
    return {
        "ts": at(t),
        "extension": ext,
        "contact": contact,
        "source": source,
        "event": kind,
        "rtt_ms": None,
        "user_agent": user_agent,
        "detail": detail,
        "source_file": "registrar.log",
        "line": line,
    }


def events(*rows: dict[str, Any]) -> pd.DataFrame:
    """An EVENTS frame of the rows (lines numbered 1.. unless given)."""
    numbered = [
        {**row, "line": row["line"] if row["line"] is not None else i}
        for i, row in enumerate(rows, 1)
    ]
    return EVENTS.build({name: [r[name] for r in numbered] for name in EVENTS.names})
