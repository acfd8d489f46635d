"""The evidence a watcher keeps: a sliding window plus the evidence still in force.

Strategy: status is re-derived by the batch analysis (one code path, so live
and batch agree by construction), over a bounded body of evidence instead of
everything since the start.  :meth:`EvidenceWindow.compact` drops what is
older than the window *except* what still decides somebody's state now --
the carried state:

- per extension and contact, the last two REGISTER transactions (request
  and responses: the outcome, and the challenge a failure may answer), the
  last successful one that opened or refreshed the binding, and the one
  that opened each binding still in force (its start decides which
  keepalives count for it) -- from
  logs, the last two binding events per contact;
- per probed address, the keepalive transactions (OPTIONS/NOTIFY) whose
  verdict (answered, or unanswered after the qualify timeout) falls inside
  the window or is still to come, the last one decided before it and the last
  one sent before it (a newer probe's answer overrules an older probe's
  later timeout) -- from logs, the
  last reachability event per contact;
- every message of a call not yet ended (its INVITE, ringing, answer);
  from logs, the last two call-state events per extension;
- from logs, the last authentication failure per extension (it explains
  an offline state).

The current status derived from the window is therefore the status the
whole evidence gives; only history older than the window (first
registration times, old transitions, counts behind findings) is forgotten.
``tests/live/test_equivalence.py`` checks this on every sample.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pbxlab.analysis.calls import calls as calls_table
from pbxlab.analysis.keepalives import KeepalivePolicy
from pbxlab.analysis.sipvalues import contact_key
from pbxlab.tables import EVENTS, MESSAGES, RTP_STREAMS

__all__ = ["DEFAULT_WINDOW", "EvidenceWindow"]

DEFAULT_WINDOW = pd.Timedelta(minutes=5)
_KEEPALIVE_METHODS = ("OPTIONS", "NOTIFY")
_BINDING_EVENTS = ("registered", "refreshed", "unregistered", "expired")
_REACHABILITY_EVENTS = ("reachable", "lagged", "unreachable")
_CALL_STATE_EVENTS = ("ringing", "in_use", "idle")
_TRANSACTION_COLUMNS = ["ts", "call_id", "cseq_num", "method", "to_user", "contact", "expires"]
_TRANSACTION_COLUMNS += ["contact_expires", "dst", "dport"]
_QUALIFY = KeepalivePolicy().qualify_timeout


@dataclass
class EvidenceWindow:
    """Messages (captures) and events (logs) received so far, compacted on request."""

    window: pd.Timedelta = DEFAULT_WINDOW
    _message_parts: list[pd.DataFrame] = field(default_factory=list)
    _event_parts: list[pd.DataFrame] = field(default_factory=list)
    _messages: pd.DataFrame = field(default_factory=MESSAGES.empty)
    _events: pd.DataFrame = field(default_factory=EVENTS.empty)
    media: pd.DataFrame = field(default_factory=RTP_STREAMS.empty)
    latest: pd.Timestamp | None = None  # the latest evidence time received

    def add_messages(self, messages: pd.DataFrame) -> None:
        """Append MESSAGES rows (from the live decoder)."""
        if len(messages):
            self._message_parts.append(messages)
            self._note(messages["ts"].max())

    def add_events(self, events: pd.DataFrame) -> None:
        """Append EVENTS rows (from a followed log)."""
        if len(events):
            self._event_parts.append(events)
            self._note(events["ts"].max())

    def _note(self, ts: pd.Timestamp) -> None:
        if not pd.isna(ts) and (self.latest is None or ts > self.latest):
            self.latest = ts

    @property
    def messages(self) -> pd.DataFrame:
        """Every kept message, time-ordered."""
        if self._message_parts:
            merged = MESSAGES.concat([self._messages, *self._message_parts])
            self._messages = merged.sort_values("ts", kind="stable").reset_index(drop=True)
            self._message_parts = []
        return self._messages

    @property
    def events(self) -> pd.DataFrame:
        """Every kept log event, time-ordered."""
        if self._event_parts:
            merged = EVENTS.concat([self._events, *self._event_parts])
            self._events = merged.sort_values("ts", kind="stable").reset_index(drop=True)
            self._event_parts = []
        return self._events

    def __len__(self) -> int:
        return len(self.messages) + len(self.events)

    def compact(self, now: pd.Timestamp, binding_starts: Iterable[pd.Timestamp] = ()) -> int:
        """Drop evidence older than ``now - window`` that no longer decides a state.

        ``binding_starts``: when the bindings still in force began (the
        ``start`` of the last derivation's bindings): the REGISTER transactions
        answered then are kept, so a binding keeps its start and a keepalive
        sent before the last refresh still counts for it.  Returns how many
        rows were dropped.
        """
        horizon = now - self.window
        before = len(self)
        self._messages = _compact_messages(self.messages, horizon, set(binding_starts))
        self._events = _compact_events(self.events, horizon)
        return before - len(self)


def _transactions(
    messages: pd.DataFrame, old: np.ndarray, methods: tuple[str, ...]
) -> pd.DataFrame:
    """One row per old request transaction of ``methods`` (retransmissions merged), in
    time order, with ``answered`` (any response) and ``ok`` (a 2xx final response)."""
    method = messages["method"].astype("string")
    is_request = messages["is_request"].fillna(False).to_numpy(dtype=bool)
    picked = old & is_request & method.isin(methods).fillna(False).to_numpy(dtype=bool)
    requests = messages.loc[
        picked,
        _TRANSACTION_COLUMNS,
    ]
    requests = requests.assign(method=requests["method"].astype("string"))
    requests = requests.drop_duplicates(["call_id", "cseq_num", "method"], keep="first")
    answers = messages.loc[
        ~is_request & messages["cseq_method"].astype("string").isin(methods).fillna(False),
        ["call_id", "cseq_num", "cseq_method", "status"],
    ]
    status = answers["status"].astype("Int64")
    outcome = (
        answers.assign(method=answers["cseq_method"].astype("string"), ok=status.between(200, 299))
        .groupby(["call_id", "cseq_num", "method"], observed=True, dropna=False)["ok"]
        .any()
        .rename("ok")
        .reset_index()
    )
    merged: pd.DataFrame = requests.merge(outcome, on=["call_id", "cseq_num", "method"], how="left")
    merged["answered"] = merged["ok"].notna()
    merged["ok"] = merged["ok"].fillna(False).astype(bool)
    return merged


def _keys(frame: pd.DataFrame) -> set[str]:
    return set(frame["call_id"].fillna("") + "\x00" + frame["cseq_num"].astype("string").fillna(""))


def _compact_messages(
    messages: pd.DataFrame, horizon: pd.Timestamp, binding_starts: set[pd.Timestamp]
) -> pd.DataFrame:
    old = (messages["ts"] < horizon).to_numpy(dtype=bool)
    if not old.any():
        return messages
    keep = ~old
    chosen: set[str] = set()

    registers = _transactions(messages, old, ("REGISTER",))
    if len(registers):
        registers["_who"] = (
            registers["to_user"].fillna("")
            + "\x00"
            + pd.Series([contact_key(c) or "" for c in registers["contact"]], index=registers.index)
        )
        expiry = registers["contact_expires"].fillna(registers["expires"])
        opens = (
            registers["ok"]
            & (registers["contact"] != "*").fillna(True)
            & (expiry != 0).fillna(True)
        )
        by_who = registers.groupby("_who", sort=False)
        chosen |= _keys(by_who.tail(2))  # the outcome, and the challenge it may answer
        chosen |= _keys(registers[opens.to_numpy(dtype=bool)].groupby("_who", sort=False).tail(1))
        answered_at = messages["ts"].isin(binding_starts) & ~messages["is_request"].fillna(True)
        chosen |= _keys(messages[answered_at.to_numpy(dtype=bool) & old])

    probes = _transactions(messages, old, _KEEPALIVE_METHODS)
    if len(probes):
        probes["_dst"] = probes["dst"].fillna("") + ":" + probes["dport"].astype("string")
        # a probe becomes a reachability event when answered, or qualify_timeout after it
        # was sent: keep those whose event is still to come or inside the window, and
        # per address the one whose event came last before it
        wait = np.where(probes["answered"].to_numpy(dtype=bool), 0, _QUALIFY.value)
        decided = probes["ts"] + pd.to_timedelta(wait, unit="ns")
        probes["_decided"] = decided
        recent = probes[(decided >= horizon).to_numpy(dtype=bool)]
        earlier = probes[(decided < horizon).to_numpy(dtype=bool)].sort_values("_decided")
        chosen |= _keys(recent) | _keys(earlier.groupby("_dst", sort=False).tail(1))
        # and the one sent last: an answer to a newer probe overrules an older probe's
        # timeout that comes after it (pbxlab.analysis.events.keepalive_events)
        last_sent = earlier.sort_values("ts", kind="stable").groupby("_dst", sort=False).tail(1)
        chosen |= _keys(last_sent)

    cseq_method = messages["cseq_method"].astype("string")
    key = messages["call_id"].fillna("") + "\x00" + messages["cseq_num"].astype("string").fillna("")
    in_kept = key.isin(chosen) & cseq_method.isin(["REGISTER", *_KEEPALIVE_METHODS]).fillna(False)
    keep |= in_kept.to_numpy(dtype=bool)

    # calls: every message of a Call-ID whose INVITE dialog has not ended
    has_invite = (
        (messages["method"].astype("string") == "INVITE").fillna(False).to_numpy(dtype=bool)
    )
    old_calls = set(messages.loc[old & has_invite, "call_id"].dropna())
    if old_calls:
        dialog = messages[messages["call_id"].isin(old_calls).fillna(False).to_numpy(dtype=bool)]
        ongoing = calls_table(dialog, RTP_STREAMS.empty())
        still = set(ongoing.loc[ongoing["end_reason"] == "ongoing", "call_id"].dropna())
        still |= set(ongoing.loc[ongoing["end"] >= horizon, "call_id"].dropna())
        keep |= messages["call_id"].isin(still).fillna(False).to_numpy(dtype=bool)
    return messages[keep].reset_index(drop=True)


def _compact_events(events: pd.DataFrame, horizon: pd.Timestamp) -> pd.DataFrame:
    old = (events["ts"] < horizon).to_numpy(dtype=bool)
    if not old.any():
        return events
    keep = ~old
    kind = events["event"].astype("string")
    old_events = events[old].assign(
        _ext=events["extension"].fillna(""),
        _contact=[contact_key(c) or "" for c in events.loc[old, "contact"]],
        _source=events.loc[old, "source"].fillna(""),
    )
    old_kind = kind[old]
    carried: list[pd.Index] = []
    for kinds, by, count in (
        (_BINDING_EVENTS, ["_ext", "_contact", "_source"], 2),
        (_REACHABILITY_EVENTS, ["_ext", "_contact", "_source"], 1),
        (_CALL_STATE_EVENTS, ["_ext"], 2),
        (("auth_failed",), ["_ext"], 1),
    ):
        chosen = old_events[old_kind.isin(kinds).fillna(False).to_numpy(dtype=bool)]
        if len(chosen):
            carried.append(chosen.groupby(by, sort=False).tail(count).index)
    for index in carried:
        keep[index.to_numpy()] = True
    return events[keep].reset_index(drop=True)
