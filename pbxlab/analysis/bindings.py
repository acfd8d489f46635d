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

The walk is a state machine, so it stays a loop, but over plain Python
values read from the columns once (times as integer UTC nanoseconds), with
each input's transitions looked up in the table once.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pbxlab.analysis.lifecycle import Action, Input, State, Transition, next_transition
from pbxlab.analysis.regevents import registration_events
from pbxlab.analysis.sipvalues import (
    contact_key,
    evidence_ref,
    expires_from_detail,
    is_missing,
    join_evidence,
    python_values,
    utc_column,
)
from pbxlab.schema import UTC_NS
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


Rule = tuple[Transition, Transition]
"""What one input does to a binding: the transition from UNBOUND and from BOUND."""


def _rule(event: Input) -> Rule:
    return next_transition(State.UNBOUND, event), next_transition(State.BOUND, event)


# looked up in the life-cycle table once, not once per event
_REGISTER, _REFRESH, _UNREGISTER, _EXPIRE = map(
    _rule, (Input.REGISTER, Input.REFRESH, Input.UNREGISTER, Input.EXPIRE)
)
_REPLACE, _QUALIFY, _END, _END_UNKNOWN_EXPIRY = map(
    _rule, (Input.REPLACE, Input.QUALIFY, Input.END, Input.END_UNKNOWN_EXPIRY)
)


@dataclass
class _Binding:
    """One open binding interval; times are UTC nanoseconds (deadline None: no expiry known)."""

    extension: str
    key: str
    contact: str
    source: str | None
    user_agent: str | None
    start: int
    deadline: int | None
    granted: int | None
    source_file: str | None
    opened_by: str | None
    refreshed_by: str | None = None
    refreshes: int = 0
    touched: int = -1


def binding_key(contact: Any, source: Any) -> str:
    """The key one life-cycle is tracked under: the contact, else the source address."""
    if type(contact) is str and contact.strip():  # the common case first
        return contact_key(contact) or contact
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
        self.grace = policy.expiry_grace.value
        self.open: dict[str, dict[str, _Binding]] = {}
        self.rows: list[tuple[Any, ...]] = []

    def apply(
        self,
        extension: str,
        key: str,
        rule: Rule,
        ts: int,
        *,
        new: _Binding | None = None,
        ref: str | None = None,
    ) -> None:
        bound = self.open.setdefault(extension, {})
        current = bound.get(key)
        transition = rule[current is not None]
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

    def _close(self, b: _Binding, end: int, reason: str, ref: str | None) -> None:
        self.rows.append(
            (
                b.extension,
                b.contact,
                b.source,
                b.user_agent,
                b.start,
                max(end, b.start),
                reason,
                b.granted,
                b.refreshes,
                b.source_file,
                join_evidence(b.opened_by, b.refreshed_by, ref),
            )
        )

    def expire_due(self, extension: str, now: int) -> None:
        bound = self.open.get(extension)
        if not bound:
            return
        limit = now - self.grace
        for b in bound.values():
            if b.deadline is not None and b.deadline < limit:
                break
        else:
            return  # the common case: nothing due
        due = [
            (key, b.deadline)
            for key, b in bound.items()
            if b.deadline is not None and b.deadline < limit
        ]
        for key, deadline in due:
            self.apply(extension, key, _EXPIRE, deadline)

    def finish(self, until: int | None, ends: Mapping[str, int]) -> None:
        for extension in list(self.open):
            end = ends.get(extension, until)
            if end is None:
                continue
            self.expire_due(extension, end)
            for key, b in list(self.open[extension].items()):
                kind = _END if b.deadline is not None else _END_UNKNOWN_EXPIRY
                self.apply(extension, key, kind, end)

    def frame(self) -> pd.DataFrame:
        """The BINDINGS table of the closed intervals, by extension, start and contact."""
        if not self.rows:
            return BINDINGS.empty()
        # lists, not tuples: the schema converts a list of text to Arrow at once
        columns: dict[str, Any] = {
            name: list(values)
            for name, values in zip(BINDINGS.names, zip(*self.rows, strict=True), strict=True)
        }
        for name in ("start", "end"):
            columns[name] = utc_column(columns[name])
        frame = BINDINGS.build(columns)
        return frame.sort_values(["extension", "start", "contact"], kind="stable").reset_index(
            drop=True
        )


def _nanoseconds(times: pd.Series) -> np.ndarray:
    """UTC nanoseconds since the epoch of a column of times."""
    utc = times if times.dtype == UTC_NS else pd.to_datetime(times, utc=True).dt.as_unit("ns")
    values: np.ndarray = utc.to_numpy(dtype="datetime64[ns]").view(np.int64)
    return values


def _texts(column: pd.Series) -> list[str | None]:
    """:func:`present_text` of each value."""
    return [v if v is None or type(v) is str else str(v) for v in python_values(column)]


@functools.lru_cache(maxsize=4096)
def _detail_expires(detail: str | None) -> int | None:
    # the same few details ("expires 600 s") on every row: read each once
    return expires_from_detail(detail)


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
    registering = set(
        python_values(events.loc[events["event"].isin(BINDING_EVENTS), "extension"].dropna())
    )
    relevant = relevant.sort_values("ts", kind="stable")
    if until is None:
        until = events["ts"].max() if len(events) else None
    # every column read once, as plain Python values (times: UTC nanoseconds)
    times = _nanoseconds(relevant["ts"]).tolist()
    files = python_values(relevant["source_file"]).tolist()
    lines = python_values(relevant["line"]).tolist()
    # each file as evidence_ref reads it (a missing categorical value is NaN there)
    raw_files = relevant["source_file"].to_numpy(dtype=object)
    refs = [evidence_ref(f, n) for f, n in zip(raw_files, lines, strict=True)]
    group = -1
    last_group_key: tuple[Any, ...] | None = None
    for (
        ts,
        raw_extension,
        event,
        contact,
        source,
        user_agent,
        detail,
        source_file,
        line,
        ref,
    ) in zip(
        times,
        python_values(relevant["extension"]).tolist(),
        _texts(relevant["event"]),
        _texts(relevant["contact"]),
        _texts(relevant["source"]),
        _texts(relevant["user_agent"]),
        _texts(relevant["detail"]),
        files,
        lines,
        refs,
        strict=True,
    ):
        group_key = (ts, source_file, line)
        if group_key != last_group_key:
            group, last_group_key = group + 1, group_key
        extension = str(raw_extension)
        walker.expire_due(extension, ts)
        if event in QUALIFY_EVENTS:
            if raw_extension not in registering and not walker.open.get(extension):
                key = binding_key(contact, source)
                new = _Binding(
                    extension,
                    key,
                    contact or source or key,
                    source,
                    user_agent,
                    ts,
                    None,
                    None,
                    source_file if source_file is None else str(source_file),
                    ref,
                    touched=group,
                )
                walker.apply(extension, key, _QUALIFY, ts, new=new, ref=ref)
            continue
        if event in ("unregistered", "expired"):
            inp = _UNREGISTER if event == "unregistered" else _EXPIRE
            if contact == "*" or (contact is None and source is None):
                keys = list(walker.open.get(extension, {}))
            else:
                keys = [binding_key(contact, source)]
            for key in keys:
                walker.apply(extension, key, inp, ts, ref=ref)
            continue
        expires = _detail_expires(detail)
        key = binding_key(contact, source)
        if expires == 0:
            walker.apply(extension, key, _UNREGISTER, ts, ref=ref)
            continue
        new = _Binding(
            extension,
            key,
            contact or source or key,
            source,
            user_agent,
            ts,
            ts + expires * 1_000_000_000 if expires is not None else None,
            expires,
            source_file if source_file is None else str(source_file),
            ref,
            touched=group,
        )
        current = walker.open.get(extension, {}).get(key)
        if current is not None and source and current.source and current.source != source:
            walker.apply(extension, key, _REPLACE, ts, ref=ref)  # NAT rebinding
        was_bound = key in walker.open.get(extension, {})
        inp = _REGISTER if event == "registered" else _REFRESH
        walker.apply(extension, key, inp, ts, new=new, ref=ref)
        if policy.replace_same_device and not was_bound:
            for old_key, old in list(walker.open[extension].items()):
                if old.touched != group and _same_device(new, old):
                    walker.apply(extension, old_key, _REPLACE, ts, ref=ref)
    walker.finish(
        None if until is None else pd.Timestamp(until).value,
        {extension: pd.Timestamp(end).value for extension, end in (ends or {}).items()},
    )
    return walker.frame()


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
