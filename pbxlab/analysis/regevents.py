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

Whether a contact is still bound depends on every earlier answer, so the
answers are read in order, one by one, with times as integer nanoseconds
and the rows collected as tuples turned into columns at the end.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from pbxlab.analysis.registrations import (
    RegisterTransaction,
    RegistrationPolicy,
    register_transactions,
)
from pbxlab.analysis.sipvalues import ListedContact, contact_key, utc_column
from pbxlab.tables import EVENTS

__all__ = ["registration_events"]


_NO_EXPIRY = math.inf
"""Deadline of a binding granted without a known expiry: bound until told otherwise."""


class _Events:
    """The EVENTS rows being collected (times as UTC nanoseconds)."""

    def __init__(self) -> None:
        self.rows: list[tuple[Any, ...]] = []

    def add(
        self,
        t: RegisterTransaction,
        when: int,
        event: str,
        contact: str | None,
        source: str | None,
        detail: str | None,
        *,
        own: bool = True,
    ) -> None:
        """One row about ``t``'s answer; ``own``: it concerns ``t``'s contact (its user agent)."""
        self.rows.append(
            (
                when,
                t.extension,
                contact,
                source,
                event,
                t.user_agent if own else None,
                detail,
                t.source_file,
                t.final_frame,
            )
        )

    def frame(self) -> pd.DataFrame:
        """An EVENTS frame of the rows (rtt_ms empty: registrations carry no round trip)."""
        if not self.rows:
            return EVENTS.empty()
        # lists, not tuples: the schema converts a list of text to Arrow at once
        columns: dict[str, Any] = {
            name: list(values)
            for name, values in zip(_COLUMNS, zip(*self.rows, strict=True), strict=True)
        }
        columns["ts"] = utc_column(columns["ts"])
        return EVENTS.build({**columns, "rtt_ms": [None] * len(self.rows)})


_COLUMNS = (
    "ts",
    "extension",
    "contact",
    "source",
    "event",
    "user_agent",
    "detail",
    "source_file",
    "line",
)


def _result_rows(
    t: RegisterTransaction, when: int, known: dict[tuple[Any, Any], float], rows: _Events
) -> None:
    """Add the events of ``t``'s final answer (at ``when``, UTC ns) to ``rows``.

    ``known`` holds each (extension, contact key) binding's deadline as the
    registrar's answers so far granted it (UTC ns; infinite without an expiry).
    """
    result = t.result()
    if result == "challenged":
        rows.add(t, when, "challenge", t.contact, t.source, f"{t.final_status} challenge")
        return
    if result in ("auth_failed", "forbidden"):
        refused = f"{t.final_status} {result.replace('_', ' ')}"
        rows.add(t, when, "auth_failed", t.contact, t.source, refused)
        return
    if result != "ok":
        return

    own_key = contact_key(t.contact)
    unregister = t.is_unregister
    if unregister:
        rows.add(t, when, "unregistered", t.contact, t.source, "expires 0 s")
        if t.contact == "*":
            for stale in [k for k in known if k[0] == t.extension]:
                del known[stale]
        else:
            known.pop((t.extension, own_key), None)
    listed = t.listed
    keys: list[str | None] = [contact_key(e.uri) for e in listed]
    if not unregister and own_key not in keys:
        granted = t.granted_expires()
        if listed and granted == 0:
            rows.add(t, when, "unregistered", t.contact, t.source, "not among the bindings listed")
        else:
            listed = [ListedContact(t.contact or "", granted, None), *listed]
            keys.insert(0, contact_key(listed[0].uri))
    for entry, key in zip(listed, keys, strict=True):
        own = key == own_key
        if own and unregister:
            continue
        expires = entry.expires
        if expires is None and own:
            expires = t.granted_expires()
        if expires == 0:
            if known.pop((t.extension, key), None) is not None or own:
                rows.add(t, when, "unregistered", entry.uri, entry.received, "expires 0 s", own=own)
            continue
        deadline = known.get((t.extension, key))
        bound = deadline is not None and deadline >= when
        known[(t.extension, key)] = (
            when + expires * 1_000_000_000 if expires is not None else _NO_EXPIRY
        )
        detail = f"expires {expires} s" if expires is not None else None
        if own:
            event = "refreshed" if bound else "registered"
            rows.add(t, when, event, entry.uri, t.source, detail)
        elif not bound:
            listed_detail = "listed by the registrar" + (f"; {detail}" if detail else "")
            rows.add(t, when, "registered", entry.uri, entry.received, listed_detail, own=False)


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
    if transactions is None:
        transactions = register_transactions(messages, policy)
    answered = [t for t in transactions if t.final_ts is not None]
    # in the order the answers arrived (Timestamp.value: UTC nanoseconds)
    when = np.array([t.final_ts.value for t in answered], dtype=np.int64)  # type: ignore[union-attr]
    known: dict[tuple[Any, Any], float] = {}
    rows = _Events()
    for i in np.argsort(when, kind="stable").tolist():
        _result_rows(answered[i], int(when[i]), known, rows)
    return rows.frame()
