"""Registration life-cycle findings: FLAPPING, KEEPALIVE_DROPPED, NAT_INBOUND_BLOCKED,
NAT_BINDING_TIMEOUT.

Strategy: first list each extension's *offline episodes* -- the Reliability
view's off periods -- from three kinds of evidence, each with its cause:

- ``expiry``: a gap between the extension's binding intervals (``bindings``)
  that opens because a binding expired without refresh;
- ``unregister``: such a gap opened by the phone un-registering itself;
- ``keepalive``: a run of at least ``keepalive_min_consecutive_unanswered`` (2)
  unanswered requests to the registered phone (``keepalives``), or, from
  registrar logs, an ``unreachable`` event (until ``reachable``).

Rules:

- ``FLAPPING`` (warning): at least ``flapping_min_episodes`` (3) episodes within
  any ``flapping_window`` (1 h).  Each REGISTER may succeed: a phone letting its
  registration lapse and re-registering is flapping all the same.  The summary
  names the dominant pattern (expiry without refresh, unregister/register loop,
  keepalive loss) and the period when the episode starts are regular (their
  intervals vary by at most ``period_max_variation``, 25 %, of the median).
- ``NAT_INBOUND_BLOCKED`` (critical): the phone is registered, the platform sent
  it at least ``inbound_min_unanswered`` (2) requests (INVITE, OPTIONS, NOTIFY) and
  none was ever answered: "online but calls don't ring".  A request counts as
  unanswered after ``keepalive_answer_timeout`` (3 s, Asterisk's qualify timeout).
- ``KEEPALIVE_DROPPED`` (warning): registrations succeed but at least
  ``keepalive_min_consecutive_unanswered`` (2) requests in a row to the phone go
  unanswered (beside NAT_INBOUND_BLOCKED when none is ever answered: the status
  symptom and its cause); from logs, at least ``keepalive_min_unreachable_events``
  (2) ``unreachable`` events of a phone that registers or comes back
  (``reachable``: a registrar qualifies only contacts it knows): "offline though
  registered".
- ``NAT_BINDING_TIMEOUT`` (warning): at least ``binding_timeout_min_episodes`` (2)
  keepalive-loss episodes start about the same delay (within
  ``binding_timeout_tolerance``, 10 s, or 25 % of the median) after the phone's
  last packet to the platform, while every answered request came sooner after
  one: the NAT forgets the phone after that much silence.  Needs the capture's
  messages (the phone's own packets); registrar logs alone cannot show it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd

from pbxlab.analysis.findings.model import (
    ENABLE_KEEPALIVES,
    FIX_NAT,
    REBOOT,
    SHORTEN_INTERVAL,
    Finding,
    evidence_ref,
    fmt_duration,
    host_of,
    mid_sentence,
    plain,
    plural,
    present,
    split_evidence,
    tenant_tag,
)
from pbxlab.analysis.findings.policy import DiagnosisPolicy

PATTERNS = {
    "expiry": "expiry without refresh: the registration lapsed before the phone renewed it",
    "unregister": "an unregister/register loop: the phone keeps logging itself out and in",
    "keepalive": "keepalive loss: the platform's checks stop reaching the phone",
}
ACTIONS = {
    "expiry": f"{SHORTEN_INTERVAL} so the phone renews well before expiry; {mid_sentence(REBOOT)} "
    "if it persists (almost always a network issue)",
    "unregister": f"{REBOOT}; if the loop continues, check its provisioning and network",
    "keepalive": (
        f"{ENABLE_KEEPALIVES} on the phone and {mid_sentence(FIX_NAT)} to allow inbound SIP"
    ),
}


@dataclass(frozen=True, slots=True)
class Episode:
    """One offline period of an extension and what caused it."""

    extension: str
    start: pd.Timestamp
    end: pd.Timestamp | None
    cause: str
    evidence: tuple[str, ...]


def episodes_from_bindings(bindings: pd.DataFrame, policy: DiagnosisPolicy) -> list[Episode]:
    """Gaps in each extension's binding coverage (all its contacts together)."""
    out: list[Episode] = []
    # only extensions with a binding that lapsed or was given up can have a gap
    lapsing = bindings["end_reason"].astype(str).isin(["expired", "unregistered"])
    bindings = bindings[bindings["extension"].isin(set(bindings.loc[lapsing, "extension"]))]
    ordered = bindings.sort_values("start", kind="stable")
    # plain arrays walked per extension: a row-by-row pandas walk costs far more
    starts, ends = ordered["start"], ordered["end"]
    start_ns = starts.to_numpy(dtype="datetime64[ns]")
    end_ns = ends.to_numpy(dtype="datetime64[ns]")
    reasons = ordered["end_reason"].astype(str).tolist()
    evidence = ordered["evidence"].tolist()
    min_gap = policy.flapping_min_gap.to_timedelta64()
    groups: dict[str, np.ndarray] = {
        str(k): np.asarray(v) for k, v in ordered.groupby("extension", sort=True).indices.items()
    }
    for extension in sorted(groups):
        closing: int | None = None  # the row whose end the coverage reaches
        for row in groups[extension].tolist():
            if closing is not None:
                cause = _GAP_CAUSES.get(reasons[closing])
                if cause is not None and start_ns[row] - end_ns[closing] >= min_gap:
                    out.append(
                        Episode(
                            extension,
                            cast(pd.Timestamp, ends.iat[closing]),
                            cast(pd.Timestamp, starts.iat[row]),
                            cause,
                            tuple(split_evidence([evidence[closing], evidence[row]])),
                        )
                    )
            if closing is None or end_ns[row] >= end_ns[closing]:
                closing = row
    return out


_GAP_CAUSES = {"expired": "expiry", "unregistered": "unregister"}


def _streaks(unanswered: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) index ranges of consecutive True values."""
    runs: list[tuple[int, int]] = []
    start = None
    for i, value in enumerate([*unanswered.tolist(), False]):
        if value and start is None:
            start = i
        elif not value and start is not None:
            runs.append((start, i))
            start = None
    return runs


def episodes_from_keepalives(keepalives: pd.DataFrame, policy: DiagnosisPolicy) -> list[Episode]:
    """Runs of unanswered requests to a registered phone."""
    out: list[Episode] = []
    # only extensions with a run's worth of unanswered requests can have an episode
    lost = ~keepalives["answered"].fillna(False).astype(bool)
    enough = lost.groupby(keepalives["extension"]).transform("sum")
    keepalives = keepalives[(enough >= policy.keepalive_min_consecutive_unanswered).to_numpy()]
    for extension, rows in _by_extension(keepalives):
        unanswered = ~rows["answered"].fillna(False).astype(bool).to_numpy()
        for start, stop in _streaks(unanswered):
            if stop - start < policy.keepalive_min_consecutive_unanswered:
                continue
            end = rows["ts"].iloc[stop] if stop < len(rows) else None
            out.append(
                Episode(
                    extension,
                    rows["ts"].iloc[start],
                    end,
                    "keepalive",
                    tuple(split_evidence(rows["evidence"].iloc[start:stop])),
                )
            )
    return out


def episodes_from_events(events: pd.DataFrame) -> list[Episode]:
    """From registrar logs: ``unreachable`` until the next ``reachable`` / registration."""
    out: list[Episode] = []
    kinds = events["event"].astype(str)
    relevant = events[kinds.isin(["unreachable", "reachable", "registered", "refreshed"])]
    for extension, rows in _by_extension(relevant):
        opened: pd.Series | None = None
        for _, row in rows.iterrows():
            kind = str(row["event"])
            if kind == "unreachable" and opened is None:
                opened = row
            elif kind != "unreachable" and opened is not None:
                out.append(_log_episode(extension, opened, row))
                opened = None
        if opened is not None:
            out.append(_log_episode(extension, opened, None))
    return out


def _log_episode(extension: str, opened: pd.Series, closed: pd.Series | None) -> Episode:
    refs = [evidence_ref(opened["source_file"], opened["line"], "line")]
    if closed is not None:
        refs.append(evidence_ref(closed["source_file"], closed["line"], "line"))
    return Episode(
        extension,
        opened["ts"],
        closed["ts"] if closed is not None else None,
        "keepalive",
        tuple(r for r in refs if r),
    )


def _by_extension(frame: pd.DataFrame) -> Iterable[tuple[str, pd.DataFrame]]:
    """Per extension, its rows in time order (index reset)."""
    usable = frame[frame["extension"].notna()]
    for extension, rows in usable.groupby(usable["extension"].astype(str), sort=True):
        yield str(extension), rows.sort_values("ts", kind="stable").reset_index(drop=True)


def flapping(episodes: list[Episode], policy: DiagnosisPolicy) -> list[Finding]:
    """FLAPPING findings from offline episodes (see the module rule)."""
    findings: list[Finding] = []
    by_extension: dict[str, list[Episode]] = {}
    for episode in episodes:
        by_extension.setdefault(episode.extension, []).append(episode)
    for extension, items in sorted(by_extension.items()):
        items.sort(key=lambda e: e.start)
        starts = pd.Series([e.start for e in items])
        densest = _densest(starts, policy.flapping_window)
        if densest < policy.flapping_min_episodes:
            continue
        causes = pd.Series([e.cause for e in items]).value_counts()
        cause = str(causes.index[0])
        period = regular_period(starts, policy.period_max_variation)
        regular = f", regularly every {fmt_duration(period)}" if period is not None else ""
        offline = sum(
            (pd.Timedelta(e.end - e.start) for e in items if e.end is not None), pd.Timedelta(0)
        )
        findings.append(
            Finding(
                code="FLAPPING",
                severity="warning",
                summary=(
                    f"Extension {plain(extension)} went offline {plural(len(items), 'time')} "
                    f"(up to {densest} within {fmt_duration(policy.flapping_window)}{regular}; "
                    f"{fmt_duration(offline)} offline in all): {PATTERNS[cause]}."
                ),
                action=ACTIONS[cause],
                extension=extension,
                first_seen=items[0].start,
                last_seen=max((e.end or e.start) for e in items),
                evidence=[ref for e in items for ref in e.evidence],
            )
        )
    return findings


def _densest(starts: pd.Series, window: pd.Timedelta) -> int:
    values = starts.sort_values().to_numpy()
    best, j = 0, 0
    for i in range(len(values)):
        while values[i] - values[j] > window.to_timedelta64():
            j += 1
        best = max(best, i - j + 1)
    return best


def regular_period(starts: pd.Series, max_variation: float) -> pd.Timedelta | None:
    """The median interval between ``starts`` when they are regular (coefficient of
    variation at most ``max_variation``, at least two intervals), else None."""
    if len(starts) < 3:
        return None
    gaps = starts.sort_values().diff().dropna().dt.total_seconds()
    median = float(gaps.median())
    if median <= 0:
        return None
    if float(gaps.std(ddof=0)) / median > max_variation:
        return None
    return pd.Timedelta(seconds=median)


def reachability(
    keepalives: pd.DataFrame,
    events: pd.DataFrame,
    registered: set[str],
    policy: DiagnosisPolicy,
) -> list[Finding]:
    """NAT_INBOUND_BLOCKED and KEEPALIVE_DROPPED for registered extensions."""
    findings: list[Finding] = []
    # distinct names first: iterating a whole arrow column in Python is slow
    probed = {str(e) for e in keepalives["extension"].dropna().unique()} & registered
    lost = keepalives[~keepalives["answered"].fillna(False).astype(bool)]
    troubled = {str(e) for e in lost["extension"].dropna().unique()} & registered
    for extension, rows in _by_extension(keepalives[keepalives["extension"].isin(troubled)]):
        answered = rows["answered"].fillna(False).astype(bool)
        methods = _method_counts(rows)
        if not answered.any() and len(rows) >= policy.inbound_min_unanswered:
            findings.append(
                Finding(
                    code="NAT_INBOUND_BLOCKED",
                    severity="critical",
                    summary=(
                        f"Extension {plain(extension)} is registered, but none of the "
                        f"{len(rows)} requests the platform sent to it ({methods}) got an "
                        "answer: it shows online but calls cannot ring."
                    ),
                    action=(
                        f"{FIX_NAT} to let the platform's requests in; "
                        f"{mid_sentence(ENABLE_KEEPALIVES)} so the NAT keeps the path open; "
                        f"then {mid_sentence(REBOOT)}"
                    ),
                    extension=extension,
                    source=_first(rows["target"]),
                    first_seen=rows["ts"].min(),
                    last_seen=rows["ts"].max(),
                    evidence=split_evidence(rows["evidence"]),
                )
            )
        runs = [
            (a, b)
            for a, b in _streaks((~answered).to_numpy())
            if b - a >= policy.keepalive_min_consecutive_unanswered
        ]
        if not runs:
            continue
        lost = rows.iloc[[i for a, b in runs for i in range(a, b)]]
        longest = max(b - a for a, b in runs)
        findings.append(
            Finding(
                code="KEEPALIVE_DROPPED",
                severity="warning",
                summary=(
                    f"Extension {plain(extension)} registers fine, but {int((~answered).sum())} of "
                    f"{len(rows)} requests to it ({methods}) went unanswered, up to {longest} "
                    "in a row: the platform sees it offline although it is registered."
                ),
                action=ACTIONS["keepalive"],
                extension=extension,
                source=_first(lost["target"]),
                first_seen=lost["ts"].min(),
                last_seen=lost["ts"].max(),
                evidence=split_evidence(lost["evidence"]),
            )
        )
    findings.extend(_unreachable_from_logs(events, registered, probed, policy))
    return findings


def _unreachable_from_logs(
    events: pd.DataFrame, registered: set[str], probed: set[str], policy: DiagnosisPolicy
) -> Iterable[Finding]:
    kinds = events["event"].astype(str)
    alive = events[kinds.isin(["reachable", "registered", "refreshed"])]
    for extension, rows in _by_extension(events[kinds == "unreachable"]):
        if extension in probed or len(rows) < policy.keepalive_min_unreachable_events:
            continue
        # a phone the registrar qualifies and that comes back is a registered one
        recovers = bool((alive.loc[alive["extension"] == extension, "ts"] > rows["ts"].min()).any())
        if extension not in registered and not recovers:
            continue
        yield Finding(
            code="KEEPALIVE_DROPPED",
            severity="warning",
            summary=(
                f"Extension {plain(extension)} registers, but the registrar marked it unreachable "
                f"{plural(len(rows), 'time')}: its keepalives get dropped, so it shows offline "
                "although it is registered."
            ),
            action=ACTIONS["keepalive"],
            extension=extension,
            source=_first(rows["source"]),
            first_seen=rows["ts"].min(),
            last_seen=rows["ts"].max(),
            evidence=[
                ref
                for ref in (
                    evidence_ref(f, n, "line")
                    for f, n in zip(rows["source_file"], rows["line"], strict=True)
                )
                if ref
            ],
        )


def _method_counts(rows: pd.DataFrame) -> str:
    counts = rows["method"].astype(str).value_counts()
    return ", ".join(f"{n} {m}" for m, n in counts.items())


def _first(values: pd.Series) -> str | None:
    kept = [v for v in values if present(v)]
    return str(kept[0]) if kept else None


def binding_timeout(
    keepalives: pd.DataFrame,
    messages: pd.DataFrame,
    policy: DiagnosisPolicy,
    *,
    tenants: tuple[np.ndarray, np.ndarray] | None = None,
) -> list[Finding]:
    """NAT_BINDING_TIMEOUT findings (see the module rule).  With tenant-tagged
    keepalives (all tenants judged at once), ``tenants`` holds the tenants' messages
    stacked: positions in ``messages`` and their tenant tags; a phone's packets are
    then those of its own tenant's messages."""
    if keepalives.empty or messages.empty:
        return []
    # only extensions with enough unanswered requests for the episodes can qualify
    unanswered = ~keepalives["answered"].fillna(False).astype(bool)
    needed = policy.keepalive_min_consecutive_unanswered * policy.binding_timeout_min_episodes
    enough = unanswered.groupby(keepalives["extension"]).transform("sum") >= needed
    keepalives = keepalives[enough.to_numpy() & keepalives["target"].notna().to_numpy()]
    if keepalives.empty:
        return []
    outbound = _phone_packets(messages, tenants, set(keepalives["target"].astype(str)))
    findings: list[Finding] = []
    for extension, rows in _by_extension(keepalives[keepalives["target"].notna()]):
        target = str(rows["target"].iloc[0])
        phone = outbound.get(tenant_tag(extension) + target)
        if phone is None:
            continue
        answered = rows["answered"].fillna(False).astype(bool).to_numpy()
        idle = _idle(rows["ts"], phone)
        runs = [
            (a, b)
            for a, b in _streaks(~answered)
            if b - a >= policy.keepalive_min_consecutive_unanswered
        ]
        starts = [a for a, _ in runs if not pd.isna(idle[a])]
        if len(starts) < policy.binding_timeout_min_episodes:
            continue
        delays = pd.Series([idle[a] for a in starts])
        median = float(delays.median())
        tolerance = max(
            policy.binding_timeout_tolerance.total_seconds(), policy.period_max_variation * median
        )
        answered_idle = pd.Series(idle[answered]).dropna()
        if float(delays.max() - delays.min()) > tolerance:
            continue
        if not answered_idle.empty and float(answered_idle.max()) >= float(delays.min()):
            continue
        low = float(answered_idle.max()) if not answered_idle.empty else None
        high = float(delays.min())
        bound = (
            f"between {_seconds(low)} and {_seconds(high)}" if low is not None else _seconds(high)
        )
        lost = rows.iloc[starts]
        findings.append(
            Finding(
                code="NAT_BINDING_TIMEOUT",
                severity="warning",
                summary=(
                    f"Extension {plain(extension)} became unreachable "
                    f"{plural(len(starts), 'time')}, each time about {_seconds(median)} after "
                    "its last packet: the router in "
                    f"front of it forgets the connection after {bound} of silence."
                ),
                action=(
                    f"{ENABLE_KEEPALIVES} (every {max(int(high) // 2, 10)} s or less) or "
                    f"{mid_sentence(SHORTEN_INTERVAL)} below {high:.0f} s; or raise the "
                    "router's UDP timeout"
                ),
                extension=extension,
                source=target,
                first_seen=lost["ts"].min(),
                last_seen=rows["ts"].max(),
                evidence=split_evidence(lost["evidence"]),
            )
        )
    return findings


def _seconds(value: float) -> str:
    """'70 s', or '1.8 s' below 10 s, where whole seconds would blur 1.8 and 2.0 into one."""
    return f"{value:.1f} s" if value < 10 else f"{value:.0f} s"


def _phone_packets(
    messages: pd.DataFrame, tenants: tuple[np.ndarray, np.ndarray] | None, targets: set[str]
) -> dict[str, np.ndarray]:
    """The sorted times of the packets sent from each of ``targets`` (addresses),
    keyed by the address behind its message's tenant tag (none without ``tenants``)."""
    sent = messages["src"].notna().to_numpy(bool) & messages["sport"].notna().to_numpy(bool)
    # only the phones' hosts: building the address of every message costs more
    sent &= messages["src"].isin({host_of(t) for t in targets}).to_numpy(bool)
    if tenants is None:
        rows, tags = np.flatnonzero(sent), None
    else:
        kept = sent[tenants[0]]
        rows, tags = tenants[0][kept], tenants[1][kept]
    address = _address(messages["src"].take(rows), messages["sport"].take(rows))
    keys = address.to_numpy(dtype=object)
    if tags is not None:
        keys = tags.astype(object) + keys
    stamps = messages["ts"].take(rows).dt.tz_convert(None).to_numpy(dtype="datetime64[ns]")
    order = np.argsort(stamps, kind="stable")
    groups = pd.Series(keys[order]).groupby(keys[order], sort=False).indices
    return {str(key): stamps[order][positions] for key, positions in groups.items()}


def _address(hosts: pd.Series, ports: pd.Series) -> pd.Series:
    text = hosts.astype(str)
    bracketed = text.where(~text.str.contains(":", regex=False), "[" + text + "]")
    return bracketed + ":" + ports.astype("Int64").astype(str)


def _idle(ts: pd.Series, phone: np.ndarray) -> np.ndarray:
    """Seconds since the phone's last packet before each ``ts`` (NaN when none)."""
    times = ts.dt.tz_convert(None).to_numpy(dtype="datetime64[ns]")
    positions = np.searchsorted(phone, times, side="left") - 1
    out = np.full(len(times), np.nan)
    valid = positions >= 0
    out[valid] = (times[valid] - phone[positions[valid]]) / np.timedelta64(1, "s")
    return out
