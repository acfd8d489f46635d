"""Contact binding intervals per extension: the ``bindings`` table.

Strategy: walk the registrar events (from a log, or derived from a capture
by :func:`pbxlab.analysis.regevents.registration_events`) in time order and
drive one life-cycle per (extension, contact) through the transition table
of :mod:`pbxlab.analysis.lifecycle`.  This module only turns evidence into
life-cycle inputs:

- ``registered`` / ``refreshed`` -> REGISTER / REFRESH; when the contact is
  already bound but now comes from another network address (NAT rebinding),
  the old interval gets REPLACE first and a new one opens;
- ``unregistered`` -> UNREGISTER (``Contact: *`` or no contact: every
  binding of the extension);
- ``expired`` -> EXPIRE; the granted expiry (``expires N s`` in the event
  detail) passing without a refresh -> EXPIRE at that moment;
- a new binding of the *same phone* (same contact user and host, same user
  agent) while an older one is still bound and not re-confirmed at that
  moment -> REPLACE for the older one (reboots and NAT rebinding re-register
  from a new port and leave the old contact to lapse);
- ``reachable`` / ``lagged`` / ``unreachable`` -> QUALIFY, only for an
  extension whose registrations the evidence never showed (a chan_sip log
  with qualify lines only): the registrar probes only contacts it holds;
- the end of the evidence -> END (``still_active`` when the granted expiry
  lies beyond it, ``capture_ended`` when no expiry is known).

Several contacts per extension are independent life-cycles (two phones on
one extension both stay bound).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pbxlab.analysis.lifecycle import Action, Input, State, next_transition
from pbxlab.analysis.regevents import registration_events
from pbxlab.analysis.sipvalues import (
    contact_key,
    evidence_ref,
    expires_from_detail,
    is_missing,
    join_evidence,
    present_text,
    records,
)
from pbxlab.tables import BINDINGS

__all__ = ["BindingPolicy", "binding_key", "bindings", "bindings_from_events"]

BINDING_EVENTS = ("registered", "refreshed", "unregistered", "expired")
QUALIFY_EVENTS = ("reachable", "lagged", "unreachable")


@dataclass(frozen=True)
class BindingPolicy:
    """Named thresholds for binding intervals.

    ``expiry_grace``: a refresh answered up to this long after the granted
    expiry still continues the binding.  The registrar judges the refresh
    when it *arrives*; the 200 OK we see can trail it by a digest challenge
    round trip (typically well under a second), so 2 s covers it without
    hiding a real lapse.

    ``replace_same_device``: close an older binding as ``replaced`` when the
    same phone (same contact user and host, same known user agent) binds a
    new contact.  Registrars that list every binding in their 200 OK (RFC
    3261 10.3) re-confirm contacts they still hold, and those are kept.
    """

    expiry_grace: pd.Timedelta = field(default_factory=lambda: pd.Timedelta(seconds=2))
    replace_same_device: bool = True


@dataclass
class _Binding:
    extension: str
    key: str
    contact: str
    source: str | None
    user_agent: str | None
    start: pd.Timestamp
    deadline: pd.Timestamp | None
    granted: int | None
    source_file: str | None
    opened_by: str | None
    refreshed_by: str | None = None
    refreshes: int = 0
    touched: int = -1


def binding_key(contact: Any, source: Any) -> str:
    """The key one life-cycle is tracked under: the contact, else the source address."""
    if not is_missing(contact) and str(contact).strip():
        return contact_key(str(contact)) or str(contact)
    if not is_missing(source):
        return f"source {source}"
    return "(unknown contact)"


def _same_device(new: _Binding, old: _Binding) -> bool:
    if new.user_agent is None or old.user_agent is None or new.user_agent != old.user_agent:
        return False
    # "user@host:port" -> the part before the port
    return new.key.rsplit(":", 1)[0] == old.key.rsplit(":", 1)[0] and new.key != old.key


class _Walker:
    """Applies life-cycle inputs to the open bindings and collects closed intervals."""

    def __init__(self, policy: BindingPolicy) -> None:
        self.policy = policy
        self.open: dict[str, dict[str, _Binding]] = {}
        self.rows: list[dict[str, Any]] = []

    def apply(
        self,
        extension: str,
        key: str,
        event: Input,
        ts: pd.Timestamp,
        *,
        new: _Binding | None = None,
        ref: str | None = None,
    ) -> None:
        bound = self.open.setdefault(extension, {})
        current = bound.get(key)
        transition = next_transition(State.BOUND if current else State.UNBOUND, event)
        if transition.action is Action.OPEN and new is not None:
            bound[key] = new
        elif transition.action is Action.EXTEND and current is not None and new is not None:
            current.refreshes += 1
            current.deadline, current.granted = new.deadline, new.granted
            current.refreshed_by = new.opened_by
            current.touched = new.touched
            current.user_agent = current.user_agent or new.user_agent
        elif transition.action is Action.CLOSE and current is not None:
            del bound[key]
            self._close(current, ts, transition.end_reason or "", ref)

    def _close(self, b: _Binding, end: pd.Timestamp, reason: str, ref: str | None) -> None:
        self.rows.append(
            {
                "extension": b.extension,
                "contact": b.contact,
                "source": b.source,
                "user_agent": b.user_agent,
                "start": b.start,
                "end": max(end, b.start),
                "end_reason": reason,
                "granted_expires": b.granted,
                "refreshes": b.refreshes,
                "source_file": b.source_file,
                "evidence": join_evidence(b.opened_by, b.refreshed_by, ref),
            }
        )

    def expire_due(self, extension: str, now: pd.Timestamp) -> None:
        for key, b in list(self.open.get(extension, {}).items()):
            if b.deadline is not None and b.deadline + self.policy.expiry_grace < now:
                self.apply(extension, key, Input.EXPIRE, b.deadline)

    def finish(self, until: pd.Timestamp | None, ends: Mapping[str, pd.Timestamp]) -> None:
        for extension in list(self.open):
            end = ends.get(extension, until)
            if end is None:
                continue
            self.expire_due(extension, end)
            for key, b in list(self.open[extension].items()):
                kind = Input.END if b.deadline is not None else Input.END_UNKNOWN_EXPIRY
                self.apply(extension, key, kind, end)


def _opened(
    row: Any, extension: str, key: str, expires: int | None, ref: str | None, group: int
) -> _Binding:
    """A binding opened (or refreshed) by the event ``row``."""
    contact = present_text(row.contact)
    source = present_text(row.source)
    return _Binding(
        extension=extension,
        key=key,
        contact=contact or source or key,
        source=source,
        user_agent=present_text(row.user_agent),
        start=row.ts,
        deadline=row.ts + pd.Timedelta(seconds=expires) if expires is not None else None,
        granted=expires,
        source_file=present_text(row.source_file),
        opened_by=ref,
        touched=group,
    )


def bindings_from_events(
    events: pd.DataFrame,
    *,
    until: pd.Timestamp | None = None,
    ends: Mapping[str, pd.Timestamp] | None = None,
    policy: BindingPolicy | None = None,
) -> pd.DataFrame:
    """The BINDINGS table from an EVENTS table (registrar logs, a capture, or both merged).

    ``until`` is the end of the evidence (default: the last event); bindings
    still bound then end there as ``still_active`` / ``capture_ended``.
    ``ends`` gives some extensions their own end of evidence instead (the
    tenants of one capture, each ending with its own last message).
    Events of other kinds (reachability, authentication) are ignored here.
    Returns an empty BINDINGS frame when no binding is seen.
    """
    policy = policy or BindingPolicy()
    walker = _Walker(policy)
    kinds = (*BINDING_EVENTS, *QUALIFY_EVENTS)
    relevant = events[events["event"].isin(kinds) & events["extension"].notna()]
    registering = set(events.loc[events["event"].isin(BINDING_EVENTS), "extension"].dropna())
    relevant = relevant.sort_values("ts", kind="stable")
    if until is None:
        until = events["ts"].max() if len(events) else None
    group = -1
    last_group_key: tuple[Any, ...] | None = None
    for row in records(relevant):
        group_key = (row.ts, row.source_file, row.line)
        if group_key != last_group_key:
            group, last_group_key = group + 1, group_key
        extension = str(row.extension)
        walker.expire_due(extension, row.ts)
        ref = evidence_ref(row.source_file, row.line)
        contact = present_text(row.contact)
        source = present_text(row.source)
        if row.event in QUALIFY_EVENTS:
            if row.extension not in registering and not walker.open.get(extension):
                new = _opened(row, extension, binding_key(contact, source), None, ref, group)
                walker.apply(extension, new.key, Input.QUALIFY, row.ts, new=new, ref=ref)
            continue
        if row.event in ("unregistered", "expired"):
            inp = Input.UNREGISTER if row.event == "unregistered" else Input.EXPIRE
            if contact == "*" or (contact is None and source is None):
                keys = list(walker.open.get(extension, {}))
            else:
                keys = [binding_key(contact, source)]
            for key in keys:
                walker.apply(extension, key, inp, row.ts, ref=ref)
            continue
        expires = expires_from_detail(row.detail)
        key = binding_key(contact, source)
        if expires == 0:
            walker.apply(extension, key, Input.UNREGISTER, row.ts, ref=ref)
            continue
        new = _opened(row, extension, key, expires, ref, group)
        current = walker.open.get(extension, {}).get(key)
        if current is not None and source and current.source and current.source != source:
            walker.apply(extension, key, Input.REPLACE, row.ts, ref=ref)  # NAT rebinding
        was_bound = key in walker.open.get(extension, {})
        inp = Input.REGISTER if row.event == "registered" else Input.REFRESH
        walker.apply(extension, key, inp, row.ts, new=new, ref=ref)
        if policy.replace_same_device and not was_bound:
            for old_key, old in list(walker.open[extension].items()):
                if old.touched != group and _same_device(new, old):
                    walker.apply(extension, old_key, Input.REPLACE, row.ts, ref=ref)
    walker.finish(until, ends or {})
    if not walker.rows:
        return BINDINGS.empty()
    frame = BINDINGS.build({name: [r[name] for r in walker.rows] for name in BINDINGS.names})
    return frame.sort_values(["extension", "start", "contact"], kind="stable").reset_index(
        drop=True
    )


def bindings(
    messages: pd.DataFrame,
    *,
    until: pd.Timestamp | None = None,
    policy: BindingPolicy | None = None,
) -> pd.DataFrame:
    """The BINDINGS table of a capture's ``messages`` (end of evidence: the last message).

    Equivalent to ``bindings_from_events(registration_events(messages))``.
    """
    if until is None and len(messages):
        until = messages["ts"].max()
    return bindings_from_events(registration_events(messages), until=until, policy=policy)
