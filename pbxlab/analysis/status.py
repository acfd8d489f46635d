"""The status history (the guide's colored dot) and the Reliability summary.

Strategy: per extension, collect every moment something may change -- a
binding starts or ends, a keepalive fails or succeeds, a registration
resets reachability, a call rings, is answered or ends -- and evaluate the
rules of DESIGN.md on each elementary interval between two such moments,
in this order of precedence:

1. ``in_use``: a dialog of the extension (caller or callee) is confirmed
   (2xx) and not yet ended;
2. ``ringing``: an INVITE towards the extension has a 180/183 and no final
   answer yet;
3. ``online``: at least one binding is unexpired and reachable -- the last
   keepalive observed for that contact (if any, since it last registered)
   succeeded; with two phones the extension is online while any contact is;
4. ``offline``: otherwise (no unexpired binding, or every bound contact
   fails its keepalives: "registration may succeed but stay-alive packets get
   dropped. We see the phone as offline").

Adjacent intervals in the same state are merged.  An extension's history
starts at its first evidence (a REGISTER, a registrar event, a binding) and
ends at the end of the evidence; parties of calls that never registered
appear only while their calls ring or are in use (nothing says whether they
were online or offline otherwise).  Reachability comes from ``events``
(``reachable``/``lagged`` succeed, ``unreachable`` fails), so it works the
same from a capture's keepalives and a registrar log's qualify lines; a log's
own call states (``ringing``/``in_use``/``idle``) count like calls.
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pandas as pd

from pbxlab.analysis.bindings import binding_key
from pbxlab.analysis.sipvalues import contact_address, contact_key, host_of, is_missing, records
from pbxlab.schema import STRING, UTC_NS, Column, TableSchema
from pbxlab.tables import STATES, STATUS

__all__ = [
    "RELIABILITY",
    "STATUS_CHANGES",
    "ReliabilityPolicy",
    "StatusPolicy",
    "reliability",
    "status",
    "status_at",
    "transitions",
]

STATUS_CHANGES = TableSchema(
    "status_changes",
    "One row per change of an extension's state (the Reliability view's transitions).",
    [
        Column("extension", STRING, "Extension.", nullable=False),
        Column("ts", UTC_NS, "When the state changed.", nullable=False),
        Column("from_state", pd.CategoricalDtype(list(STATES)), "State before."),
        Column("to_state", pd.CategoricalDtype(list(STATES)), "State after.", nullable=False),
        Column("reason", STRING, "Why the new state holds."),
    ],
)

RELIABILITY = TableSchema(
    "reliability",
    "Per extension, the Reliability view over a window (default the last 24 hours).",
    [
        Column("extension", STRING, "Extension.", nullable=False),
        Column("window_start", UTC_NS, "Start of the window.", nullable=False),
        Column("window_end", UTC_NS, "End of the window.", nullable=False),
        Column("observed_hours", "float64", "Hours of the window covered by the status history."),
        Column(
            "transitions", "Int64", "Changes between offline and available (online/ringing/in_use)."
        ),
        Column("transitions_per_hour", "float64", "transitions / observed_hours."),
        Column("offline_episodes", "Int64", "Offline intervals within the window."),
        Column(
            "longest_offline",
            "timedelta64[ns]",
            "Longest offline interval (clipped to the window).",
        ),
        Column("offline_fraction", "float64", "Share of the observed time spent offline."),
        Column(
            "flapping_score",
            "float64",
            "0..1: transitions_per_hour relative to the policy's flapping rate.",
        ),
    ],
)


@dataclass(frozen=True)
class StatusPolicy:
    """Choices in applying DESIGN.md's status rules.

    ``registration_resets_reachability``: a (re-)registration from a contact
    proves the phone is alive and makes registrars probe it afresh (Asterisk
    qualifies a contact when it registers; Kamailio's keepalive state restarts
    on save), so an earlier failed keepalive no longer counts.  This is what
    gives the guide's "registration events but quick offline transitions".
    ``include_call_parties``: give call parties without registration evidence
    rows while their calls ring or are in use.
    """

    registration_resets_reachability: bool = True
    include_call_parties: bool = True


@dataclass(frozen=True)
class ReliabilityPolicy:
    """Named thresholds of the Reliability summary.

    ``flapping_transitions_per_hour``: the rate scored 1.0.  Four changes an
    hour is an offline episode every 30 minutes -- "going on and off
    frequently" in the guide's words; a healthy phone changes state a few
    times a day (plugged in, unplugged, rebooted).
    """

    flapping_transitions_per_hour: float = 4.0


@dataclass
class _Binding:
    key: str
    addresses: frozenset[str]
    start: pd.Timestamp
    end: pd.Timestamp
    end_reason: str
    contact: str
    unreachable: list[tuple[pd.Timestamp, pd.Timestamp, str]] = field(default_factory=list)

    def online_at(self, t: pd.Timestamp) -> bool:
        return self.start <= t < self.end and not any(a <= t < b for a, b, _ in self.unreachable)


def _addresses(contact: Any, source: Any) -> frozenset[str]:
    found = set()
    for value in (source, contact_address(None if is_missing(contact) else str(contact))):
        if not is_missing(value) and value:
            found.add(str(value))
            host = host_of(str(value))
            if host:
                found.add(host)
    return frozenset(found)


def _concern(contact: Any, source: Any) -> tuple[str, str | None]:
    """What a (contact, source) observation is about: ``("contact", key)`` -- the
    binding of that contact; ``("source", address)`` -- bindings at that address;
    ``("extension", None)`` -- every binding of the extension."""
    if not is_missing(contact) and str(contact).strip() and str(contact) != "*":
        return "contact", contact_key(str(contact)) or str(contact)
    if not is_missing(source) and str(source):
        return "source", str(source)
    return "extension", None


@dataclass(frozen=True)
class _Observations:
    """One extension's (ts, kind, contact, source, detail) observations in time order,
    indexed by what each is about, so a binding reads its own and not all of them."""

    rows: list[tuple[Any, ...]]
    by_contact: dict[str, list[int]]
    by_source: dict[str, list[int]]
    general: list[int]

    @classmethod
    def of(cls, rows: list[tuple[Any, ...]]) -> _Observations:
        by_contact: dict[str, list[int]] = {}
        by_source: dict[str, list[int]] = {}
        general: list[int] = []
        for position, (_, _, contact, source, _) in enumerate(rows):
            kind, key = _concern(contact, source)
            if kind == "contact":
                by_contact.setdefault(str(key), []).append(position)
            elif kind == "source":
                by_source.setdefault(str(key), []).append(position)
            else:
                general.append(position)
        return cls(rows, by_contact, by_source, general)

    def concerning(self, binding: _Binding) -> list[tuple[Any, ...]]:
        """The observations about ``binding`` (its contact, one of its addresses, or
        the whole extension) while it lasts, in time order."""
        positions = [*self.by_contact.get(binding.key, ()), *self.general]
        for address in binding.addresses:
            positions.extend(self.by_source.get(address, ()))
        positions.sort()

        def when(position: int) -> Any:
            return self.rows[position][0]

        first = bisect.bisect_left(positions, binding.start, key=when)
        stop = bisect.bisect_left(positions, binding.end, key=when)
        return [self.rows[p] for p in positions[first:stop]]


_NO_OBSERVATIONS = _Observations([], {}, {}, [])


def _reachability(binding: _Binding, observations: _Observations, policy: StatusPolicy) -> None:
    """Fill ``binding.unreachable`` from the observations about it."""
    failing_since: pd.Timestamp | None = None
    failing_detail = ""
    for ts, kind, _, _, detail in observations.concerning(binding):
        if kind == "unreachable":
            if failing_since is None:
                failing_since, failing_detail = ts, detail or "keepalive unanswered"
            continue
        if kind in ("registered", "refreshed") and not policy.registration_resets_reachability:
            continue
        if failing_since is not None:
            binding.unreachable.append((failing_since, ts, failing_detail))
            failing_since = None
    if failing_since is not None:
        binding.unreachable.append((failing_since, binding.end, failing_detail))


# events that say something about an extension's state (a challenge is a login in progress)
_DECISIVE_EVENTS = (
    "registered",
    "refreshed",
    "unregistered",
    "expired",
    "reachable",
    "unreachable",
    "lagged",
    "auth_failed",
)


@dataclass
class _Call:
    call_id: str
    caller: str | None
    callee: str | None
    ringing_at: pd.Timestamp | None
    answered_at: pd.Timestamp | None
    end: pd.Timestamp


class _Sweep:
    """One extension's state at non-decreasing times ``t``.

    The rules are :func:`status`'s (in use, ringing, online, offline with its
    reason); the bindings bound at ``t`` are kept as an active set that the
    sweep updates, and the last ended binding and the last failure before ``t``
    are found by bisection, so a long history costs its length, not its square.
    """

    def __init__(
        self,
        extension: str,
        bindings: list[_Binding],
        calls: list[_Call],
        failures: list[tuple[pd.Timestamp, str]],
    ) -> None:
        self.extension = extension
        self.calls = calls
        self.by_start = sorted(bindings, key=lambda b: b.start)
        self.started = 0
        self.bound: list[_Binding] = []
        # stable sorts: among equal times the first in evidence order wins, as max() would
        self.ended = sorted(bindings, key=lambda b: b.end)
        self.end_times = [b.end for b in self.ended]
        self.failures = sorted(failures, key=lambda f: f[0])
        self.failure_times = [f[0] for f in self.failures]

    def state_at(self, t: pd.Timestamp) -> tuple[str, str]:
        """(state, reason) at ``t``; ``t`` must not decrease between calls."""
        call_state = self._call_state(t)
        if call_state is not None:
            return call_state
        while self.started < len(self.by_start) and self.by_start[self.started].start <= t:
            self.bound.append(self.by_start[self.started])
            self.started += 1
        self.bound = [b for b in self.bound if t < b.end]
        online = [b for b in self.bound if b.online_at(t)]
        if online:
            if len(online) == 1:
                contact = online[0].contact
                return "online", "registered" + ("" if contact.startswith("(") else f" ({contact})")
            return "online", f"registered ({len(online)} contacts)"
        if self.bound:
            details = {d for b in self.bound for a, e, d in b.unreachable if a <= t < e}
            return "offline", "registered but unreachable: " + "; ".join(sorted(details))
        last_end = _last_at_or_before(self.ended, self.end_times, t)
        last_failure = _last_at_or_before(self.failures, self.failure_times, t)
        if last_failure is not None and (last_end is None or last_failure[0] >= last_end.end):
            return "offline", last_failure[1]
        if last_end is not None:
            return "offline", f"binding {last_end.end_reason.replace('_', ' ')}"
        return "offline", "not registered"

    def _call_state(self, t: pd.Timestamp) -> tuple[str, str] | None:
        extension = self.extension
        for call in self.calls:
            if call.answered_at is not None and call.answered_at <= t < call.end:
                other = call.callee if call.caller == extension else call.caller
                if call.callee is None:  # a log's in-use state: the other party is not named
                    return "in_use", f"in use ({call.call_id})"
                return "in_use", f"in a call with {other or 'unknown'} ({call.call_id})"
        for call in self.calls:
            if call.callee == extension and call.ringing_at is not None:
                stop = call.answered_at if call.answered_at is not None else call.end
                if call.ringing_at <= t < stop:
                    caller = call.caller or "unknown"
                    if call.caller is None and call.call_id.startswith("log"):
                        return "ringing", f"ringing ({call.call_id})"
                    return "ringing", f"call from {caller} ringing ({call.call_id})"
        return None


_T = TypeVar("_T")


def _last_at_or_before(items: list[_T], times: list[pd.Timestamp], t: pd.Timestamp) -> _T | None:
    """Of ``items`` sorted (stably) by ``times``, the first of those with the latest
    time at or before ``t`` -- what ``max`` over the unsorted items would return."""
    count = bisect.bisect_right(times, t)
    if count == 0:
        return None
    return items[bisect.bisect_left(times, times[count - 1])]


def _timeline(
    extension: str,
    first: pd.Timestamp,
    evidence_from: pd.Timestamp,
    until: pd.Timestamp,
    bindings: list[_Binding],
    calls: list[_Call],
    failures: list[tuple[pd.Timestamp, str]],
) -> list[tuple[str, pd.Timestamp, pd.Timestamp, str, str]]:
    """Merged (extension, start, end, state, reason) intervals from ``first`` to ``until``.

    Before ``evidence_from`` (the first registration evidence) only ringing
    and in-use intervals are kept.
    """
    points = {first, evidence_from, until}
    for b in bindings:
        points.update((b.start, b.end))
        for a, e, _ in b.unreachable:
            points.update((a, e))
    for c in calls:
        points.update(t for t in (c.ringing_at, c.answered_at, c.end) if t is not None)
    points.update(ts for ts, _ in failures)
    ordered = sorted(p for p in points if first <= p <= until)
    segments = list(itertools.pairwise(ordered)) or [(first, first)]
    sweep = _Sweep(extension, bindings, calls, failures)
    rows: list[tuple[str, pd.Timestamp, pd.Timestamp, str, str]] = []
    for start, end in segments:
        state, reason = sweep.state_at(start)
        if start < evidence_from and state not in ("ringing", "in_use"):
            continue
        if rows and rows[-1][3] == state and rows[-1][2] == start:
            rows[-1] = (extension, rows[-1][1], end, state, rows[-1][4])
        else:
            rows.append((extension, start, end, state, reason))
    # a change exactly at the end of the evidence is still the state at that moment
    final_state, final_reason = sweep.state_at(until)
    known_at_end = evidence_from < until or final_state in ("ringing", "in_use")
    if rows and rows[-1][3] != final_state and rows[-1][2] == until and known_at_end:
        rows.append((extension, until, until, final_state, final_reason))
    return rows


def _empty_if_none(frame: pd.DataFrame | None) -> pd.DataFrame | None:
    return None if frame is None or frame.empty else frame


def status(
    bindings: pd.DataFrame,
    events: pd.DataFrame | None = None,
    calls: pd.DataFrame | None = None,
    registrations: pd.DataFrame | None = None,
    *,
    until: pd.Timestamp | None = None,
    policy: StatusPolicy | None = None,
) -> pd.DataFrame:
    """The STATUS table: per extension, intervals of online / ringing / in_use / offline.

    ``bindings`` (BINDINGS), ``events`` (EVENTS: reachability, registrations,
    authentication failures), ``calls`` (CALLS) and ``registrations``
    (REGISTRATIONS: failed attempts explain offline periods) may come from
    captures, logs or both.  ``until`` is the end of the evidence (default:
    the latest time in the inputs).  Returns an empty STATUS frame when no
    extension has any evidence.
    """
    policy = policy or StatusPolicy()
    events = _empty_if_none(events)
    calls = _empty_if_none(calls)
    registrations = _empty_if_none(registrations)
    ends: list[pd.Timestamp] = []
    evidence = [(bindings["extension"], bindings["start"])]
    if len(bindings):
        ends.append(bindings["end"].max())
    if events is not None:
        decisive = events[events["event"].isin(_DECISIVE_EVENTS)]
        evidence.append((decisive["extension"], decisive["ts"]))
        ends.append(events["ts"].max())
    failures = _failures(events, registrations)
    for extension, attempts in failures.items():
        evidence.append(
            (pd.Series([extension] * len(attempts)), pd.Series([ts for ts, _ in attempts]))
        )
    first = _earliest(evidence)
    if registrations is not None:
        ends.append(registrations["ts"].max())
        ends.append(registrations["answered_ts"].max())
    call_list: list[_Call] = []
    if calls is not None:
        ends.extend([calls["start"].max(), calls["end"].max()])
    ends = [e for e in ends if not is_missing(e)]
    if until is None:
        if not ends:
            return STATUS.empty()
        until = max(ends)
    # what is still going on when the evidence ends lasts past it (so it holds *at* `until`)
    beyond = until + pd.Timedelta(days=1)
    if calls is not None:
        for c in records(calls):
            # an unfinished call at the very end of the evidence lasts past it
            ongoing = is_missing(c.end) or (c.end_reason == "ongoing" and c.end >= until)
            call_list.append(
                _Call(
                    str(c.call_id),
                    None if is_missing(c.caller) else str(c.caller),
                    None if is_missing(c.callee) else str(c.callee),
                    None if is_missing(c.ringing_at) else c.ringing_at,
                    None if is_missing(c.answered_at) else c.answered_at,
                    beyond if ongoing else c.end,
                )
            )

    call_list.extend(_log_call_states(events, beyond))
    observations = _observations(events)
    per_extension: dict[str, list[_Binding]] = {}
    for b in records(bindings):
        binding = _Binding(
            key=binding_key(b.contact, None),
            addresses=_addresses(b.contact, b.source),
            start=b.start,
            end=beyond if b.end_reason in ("still_active", "capture_ended") else b.end,
            end_reason=str(b.end_reason),
            contact=str(b.contact),
        )
        _reachability(binding, observations.get(str(b.extension), _NO_OBSERVATIONS), policy)
        per_extension.setdefault(str(b.extension), []).append(binding)

    parties: set[str] = set()
    if policy.include_call_parties:
        parties = {p for c in call_list for p in (c.caller, c.callee) if p}
    rows: list[tuple[str, pd.Timestamp, pd.Timestamp, str, str]] = []
    for extension in sorted(set(first) | parties):
        ext_calls = [c for c in call_list if extension in (c.caller, c.callee)]
        call_times = [t for c in ext_calls for t in (c.ringing_at, c.answered_at) if t is not None]
        # before its first registration evidence only an extension's calls say anything
        # (for a call party that never registers: nothing else, ever)
        evidence_from = min(first[extension], until) if extension in first else beyond
        if not call_times and extension not in first:
            continue
        rows.extend(
            _timeline(
                extension,
                min([evidence_from, *call_times]),
                evidence_from,
                until,
                per_extension.get(extension, []),
                ext_calls,
                failures.get(extension, []),
            )
        )
    if not rows:
        return STATUS.empty()
    return STATUS.build(
        {
            "extension": [r[0] for r in rows],
            "start": [r[1] for r in rows],
            "end": [r[2] for r in rows],
            "state": [r[3] for r in rows],
            "reason": [r[4] for r in rows],
        }
    )


def _earliest(evidence: list[tuple[pd.Series, pd.Series]]) -> dict[str, pd.Timestamp]:
    """Per extension, the earliest of the (extensions, times) pairs' times; rows
    missing either are ignored."""
    extensions = pd.concat([e.astype("string") for e, _ in evidence], ignore_index=True)
    times = pd.concat([pd.to_datetime(t, utc=True) for _, t in evidence], ignore_index=True)
    known = (extensions.notna() & times.notna()).to_numpy(dtype=bool)
    earliest = times[known].groupby(extensions[known].to_numpy(dtype=object), sort=False).min()
    return dict(zip(earliest.index, earliest, strict=True))


def _log_call_states(events: pd.DataFrame | None, beyond: pd.Timestamp) -> list[_Call]:
    """Ringing / in-use periods a log reports directly (Asterisk ExtensionStatus/DeviceState).

    ``ringing`` lasts until the extension is in use or idle, ``in_use`` until
    it is idle; what is still open when the evidence ends lasts beyond it.
    """
    found: list[_Call] = []
    if events is None:
        return found
    states = events[events["event"].isin(["ringing", "in_use", "idle"])]
    states = states[states["extension"].notna()].sort_values("ts", kind="stable")
    open_since: dict[tuple[str, str], tuple[pd.Timestamp, str]] = {}

    def close(extension: str, kind: str, ts: pd.Timestamp) -> None:
        opened = open_since.pop((extension, kind), None)
        if opened is None:
            return
        since, ref = opened
        if kind == "ringing":
            found.append(_Call(ref, None, extension, since, None, ts))
        else:
            found.append(_Call(ref, extension, None, None, since, ts))

    for e in records(states):
        extension, kind = str(e.extension), str(e.event)
        ref = f"log line {e.line}" if not is_missing(e.line) else "log"
        if kind in ("in_use", "idle"):
            close(extension, "ringing", e.ts)
        if kind == "idle":
            close(extension, "in_use", e.ts)
        elif (extension, kind) not in open_since:
            open_since[(extension, kind)] = (e.ts, ref)
    for extension, kind in list(open_since):
        close(extension, kind, beyond)
    return found


def _observations(events: pd.DataFrame | None) -> dict[str, _Observations]:
    """Per extension, the events that decide reachability, in time order."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    if events is None:
        return {}
    kinds = ("reachable", "lagged", "unreachable", "registered", "refreshed")
    relevant = events[events["event"].isin(kinds)].sort_values("ts", kind="stable")
    for e in records(relevant):
        if is_missing(e.extension):
            continue
        detail = None if is_missing(e.detail) else str(e.detail)
        found.setdefault(str(e.extension), []).append(
            (e.ts, str(e.event), e.contact, e.source, detail)
        )
    return {extension: _Observations.of(rows) for extension, rows in found.items()}


def _failures(
    events: pd.DataFrame | None, registrations: pd.DataFrame | None
) -> dict[str, list[tuple[pd.Timestamp, str]]]:
    """Failed registration attempts per extension: (when, why) -- reasons for offline."""
    found: dict[str, list[tuple[pd.Timestamp, str]]] = {}
    if registrations is not None:
        failed = registrations[
            registrations["result"].isin(["auth_failed", "forbidden", "timeout", "error"])
        ]
        for r in records(failed):
            if is_missing(r.extension):
                continue
            when = r.ts if is_missing(r.answered_ts) else r.answered_ts
            code = "" if is_missing(r.status) else f" ({r.status})"
            found.setdefault(str(r.extension), []).append(
                (when, f"registration {str(r.result).replace('_', ' ')}{code}")
            )
    elif events is not None:
        failed = events[events["event"] == "auth_failed"]
        for e in records(failed):
            if not is_missing(e.extension):
                found.setdefault(str(e.extension), []).append((e.ts, "authentication failed"))
    return found


def status_at(status: pd.DataFrame, t: Any) -> pd.DataFrame:
    """Every extension's state at time ``t``: columns extension, state, since, reason.

    ``t`` is anything :class:`pandas.Timestamp` accepts (naive means UTC).  At
    a boundary the state that begins there wins; extensions whose history
    has not begun by ``t`` (or ended before it) are absent.
    """
    when = pd.Timestamp(t)
    when = when.tz_localize("UTC") if when.tzinfo is None else when.tz_convert("UTC")
    covering = status[(status["start"] <= when) & (status["end"] >= when)]
    latest = covering.sort_values(["extension", "start"], kind="stable").drop_duplicates(
        "extension", keep="last"
    )
    return pd.DataFrame(
        {
            "extension": latest["extension"].astype("string"),
            "state": latest["state"],
            "since": latest["start"],
            "reason": latest["reason"],
        }
    ).reset_index(drop=True)


def transitions(status: pd.DataFrame) -> pd.DataFrame:
    """The STATUS_CHANGES table: each change of state, with the state before and after.

    The first interval of an extension is a change from nothing
    (``from_state`` missing).
    """
    if status.empty:
        return STATUS_CHANGES.empty()
    ordered = status.sort_values(["extension", "start"], kind="stable")
    previous = ordered.groupby("extension", observed=True)["state"].shift(1)
    previous_end = ordered.groupby("extension", observed=True)["end"].shift(1)
    changed = previous.isna() | (previous.astype("string") != ordered["state"].astype("string"))
    changed |= previous_end.notna() & (previous_end != ordered["start"])
    picked = ordered[changed.to_numpy()]
    return STATUS_CHANGES.build(
        {
            "extension": picked["extension"],
            "ts": picked["start"],
            "from_state": previous[changed.to_numpy()].astype("string"),
            "to_state": picked["state"].astype("string"),
            "reason": picked["reason"],
        }
    ).reset_index(drop=True)


def reliability(
    status: pd.DataFrame,
    window: pd.Timedelta | str = "24h",
    *,
    end: pd.Timestamp | None = None,
    policy: ReliabilityPolicy | None = None,
) -> pd.DataFrame:
    """The RELIABILITY table: per extension, availability changes and offline time in a window.

    The window ends at ``end`` (default: the end of the status history) and
    lasts ``window`` (default 24 hours, the guide's Reliability view).
    Ringing and in-use count as available; ``transitions`` counts changes
    between offline and available.
    """
    policy = policy or ReliabilityPolicy()
    if status.empty:
        return RELIABILITY.empty()
    window_end = pd.Timestamp(end) if end is not None else status["end"].max()
    window_start = window_end - pd.Timedelta(window)
    inside = status[(status["end"] > window_start) & (status["start"] <= window_end)]
    inside = inside.sort_values(["extension", "start"], kind="stable")
    starts = inside["start"].where(inside["start"] >= window_start, window_start)
    ends = inside["end"].where(inside["end"] <= window_end, window_end)
    extension = inside["extension"].astype(str)
    offline = (inside["state"].astype(str) == "offline").astype(bool)
    previous = offline.groupby(extension).shift(1)
    seconds = (ends - starts).dt.total_seconds()
    parts = pd.DataFrame(
        {
            "extension": extension,
            "seconds": seconds,
            "change": (previous.notna() & (previous != offline)).astype(int),
            "episode": (offline & (previous != True)).astype(int),  # noqa: E712 (NA-aware)
            "offline_seconds": seconds.where(offline, 0.0),
        }
    )
    per = parts.groupby("extension", sort=True).agg(
        observed=("seconds", "sum"),
        transitions=("change", "sum"),
        episodes=("episode", "sum"),
        offline_total=("offline_seconds", "sum"),
        longest=("offline_seconds", "max"),
    )
    per = per.reindex(sorted(status["extension"].astype(str).unique()), fill_value=0)
    hours = per["observed"] / 3600.0
    positive = hours > 0
    per_hour = (per["transitions"] / hours).where(positive)
    return RELIABILITY.build(
        {
            "extension": list(per.index),
            "window_start": [window_start] * len(per),
            "window_end": [window_end] * len(per),
            "observed_hours": hours.tolist(),
            "transitions": per["transitions"].tolist(),
            "transitions_per_hour": per_hour.tolist(),
            "offline_episodes": per["episodes"].tolist(),
            "longest_offline": list(pd.to_timedelta(per["longest"], unit="s")),
            "offline_fraction": (per["offline_total"] / per["observed"]).where(positive).tolist(),
            "flapping_score": (per_hour / policy.flapping_transitions_per_hour)
            .clip(upper=1.0)
            .tolist(),
        }
    )


def list_view_status(
    analysis_status: pd.DataFrame, bindings: pd.DataFrame, at: Any = None
) -> pd.DataFrame:
    """What the Extensions list shows per extension at ``at`` (default: end of evidence).

    Returns columns ``extension``, ``state`` and ``phones`` (the user agents, or
    contacts when no user agent is known, of the bindings active at ``at``) —
    the input of :func:`pbxlab.extensions.listing.join_status`.
    """
    if analysis_status.empty:
        return pd.DataFrame(
            {
                "extension": pd.Series([], dtype="string"),
                "state": pd.Series([], dtype="string"),
                "phones": pd.Series([], dtype=object),
            }
        )
    when = pd.Timestamp(at) if at is not None else analysis_status["end"].max()
    if when.tzinfo is None:
        when = when.tz_localize("UTC")
    snapshot = status_at(analysis_status, when)
    active = bindings[(bindings["start"] <= when) & (bindings["end"] >= when)]
    labels = active["user_agent"].fillna(active["contact"]).astype(str)
    phones = labels.groupby(active["extension"].astype(str)).agg(lambda names: sorted(set(names)))
    extensions = snapshot["extension"].astype(str)
    return pd.DataFrame(
        {
            "extension": extensions.to_numpy(),
            "state": snapshot["state"].astype(str).to_numpy(),
            "phones": [phones.get(e, []) for e in extensions],
        }
    )
