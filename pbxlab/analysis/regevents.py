"""Registrar events (the ``events`` table) from the REGISTER transactions of a capture.

Strategy: read each REGISTER transaction the way a registrar log would
report it, so captures and logs feed the same binding and status code.  The
registrar's 200 OK is authoritative (RFC 3261 10.3 step 8: it lists every
current binding of the AOR with its own ``expires``):

- this request's contact, listed with expires > 0: ``registered`` the first
  time (or after its binding lapsed), ``refreshed`` afterwards;
- another contact listed for the first time: ``registered`` at this moment
  (it was bound before the evidence began, or by another phone), with its
  ``received`` address as source when the registrar reports one;
- a contact listed with expires=0, an accepted ``Expires: 0`` or
  ``Contact: *`` request: ``unregistered``;
- 401/407 without refused credentials: ``challenge``; refused credentials
  (401/407 answering a challenge) and 403: ``auth_failed``.

Timeouts and other errors produce no registrar event: the registrar did
nothing (they remain visible in the ``registrations`` table).  The expiry
granted travels in ``detail`` as ``expires N s``, the form the log readers
use too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from pbxlab.analysis.registrations import (
    RegisterTransaction,
    RegistrationPolicy,
    register_transactions,
)
from pbxlab.analysis.sipvalues import ListedContact, contact_key
from pbxlab.tables import EVENTS

__all__ = ["registration_events"]


@dataclass
class _Row:
    ts: pd.Timestamp
    extension: str | None
    contact: str | None
    source: str | None
    event: str
    user_agent: str | None
    detail: str | None
    source_file: str | None
    line: int | None


def _result_rows(t: RegisterTransaction, known: dict[tuple[Any, Any], Any]) -> list[_Row]:
    assert t.final_ts is not None  # only answered transactions get here

    def row(event: str, contact: str | None, source: str | None, detail: str | None) -> _Row:
        own = contact_key(contact) == contact_key(t.contact)
        return _Row(
            t.final_ts,  # type: ignore[arg-type]
            t.extension,
            contact,
            source,
            event,
            t.user_agent if own else None,
            detail,
            t.source_file,
            t.final_frame,
        )

    result = t.result()
    status = f"{t.final_status}"
    if result == "challenged":
        return [row("challenge", t.contact, t.source, f"{status} challenge")]
    if result in ("auth_failed", "forbidden"):
        return [row("auth_failed", t.contact, t.source, f"{status} {result.replace('_', ' ')}")]
    if result != "ok":
        return []

    rows: list[_Row] = []
    own_key = contact_key(t.contact)
    if t.is_unregister:
        rows.append(row("unregistered", t.contact, t.source, "expires 0 s"))
        if t.contact == "*":
            for stale in [k for k in known if k[0] == t.extension]:
                del known[stale]
        else:
            known.pop((t.extension, own_key), None)
    listed = list(t.listed)
    if not t.is_unregister and all(contact_key(e.uri) != own_key for e in listed):
        granted = t.granted_expires()
        if listed and granted == 0:
            rows.append(row("unregistered", t.contact, t.source, "not among the bindings listed"))
        else:
            listed.insert(0, ListedContact(t.contact or "", granted, None))
    for entry in listed:
        key = contact_key(entry.uri)
        if key == own_key and t.is_unregister:
            continue
        expires = entry.expires
        if expires is None and key == own_key:
            expires = t.granted_expires()
        if expires == 0:
            if known.pop((t.extension, key), None) is not None or key == own_key:
                rows.append(row("unregistered", entry.uri, entry.received, "expires 0 s"))
            continue
        deadline = known.get((t.extension, key))
        bound = deadline is not None and (deadline is pd.NaT or deadline >= t.final_ts)
        known[(t.extension, key)] = (
            t.final_ts + pd.Timedelta(seconds=expires) if expires is not None else pd.NaT
        )
        detail = f"expires {expires} s" if expires is not None else None
        if key == own_key:
            rows.append(row("refreshed" if bound else "registered", entry.uri, t.source, detail))
        elif not bound:
            listed_detail = "listed by the registrar" + (f"; {detail}" if detail else "")
            rows.append(row("registered", entry.uri, entry.received, listed_detail))
    return rows


def registration_events(
    messages: pd.DataFrame,
    policy: RegistrationPolicy | None = None,
    *,
    transactions: list[RegisterTransaction] | None = None,
) -> pd.DataFrame:
    """EVENTS rows (registered, refreshed, unregistered, challenge, auth_failed) of a capture.

    ``line`` holds the frame number of the registrar's answer.  Pass
    ``transactions`` (from :func:`register_transactions`) to reuse them.
    Returns an empty EVENTS frame when there is no answered REGISTER.
    """
    known: dict[tuple[Any, Any], Any] = {}
    rows: list[_Row] = []
    if transactions is None:
        transactions = register_transactions(messages, policy)
    answered = [t for t in transactions if t.final_ts is not None]
    for transaction in sorted(answered, key=lambda t: t.final_ts):  # type: ignore[arg-type, return-value]
        rows.extend(_result_rows(transaction, known))
    return events_frame(rows)


def events_frame(rows: list[_Row]) -> pd.DataFrame:
    """An EVENTS frame of the rows (rtt_ms empty: registrations carry no round trip)."""
    if not rows:
        return EVENTS.empty()
    return EVENTS.build(
        {
            "ts": [r.ts for r in rows],
            "extension": [r.extension for r in rows],
            "contact": [r.contact for r in rows],
            "source": [r.source for r in rows],
            "event": [r.event for r in rows],
            "rtt_ms": [None] * len(rows),
            "user_agent": [r.user_agent for r in rows],
            "detail": [r.detail for r in rows],
            "source_file": [r.source_file for r in rows],
            "line": [r.line for r in rows],
        }
    )
