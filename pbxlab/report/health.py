"""A tenant's health score, 0-100, and the reasons it is not 100.

Strategy: the score starts at 100 and loses points for what a support engineer
would have to act on, each deduction becoming one plain-language reason:

1. **Findings.**  Each finding costs its severity's penalty (critical 20,
   warning 7, info 1).  The findings of one code together cost at most
   ``code_cap`` (40): one problem repeated over many extensions (NAT on every
   phone of an office) is one problem to fix, and must not hide the others.
2. **Availability.**  ``offline_weight`` (20) times the mean share of the
   observed time the extensions spent offline (the Reliability view's
   ``offline_fraction``): a tenant whose phones are offline half the time loses
   10 points even when no rule names why.
3. **Calls.**  ``failed_call_weight`` (15) times the share of calls that failed
   for a reason other than the callee's choice (busy, declined, cancelled by
   the caller are outcomes, not faults; see :data:`USER_OUTCOME_STATUSES`).
   Calls from a source that a SCANNER or BRUTE_FORCE finding names are not
   counted: refusing them is the platform working, and the finding already
   costs its points.
4. **Media.**  ``poor_media_weight`` (10) times the share of RTP streams with
   loss above ``loss_threshold`` (5 %, where G.711 speech becomes audibly
   broken, ITU-T G.113 Appendix I) or jitter above ``jitter_threshold_ms``
   (30 ms, the usual jitter-buffer budget).

The score is ``max(0, 100 - sum(deductions))`` rounded half up to an integer; the
grade is *healthy* from 80, *degraded* from 50, else *unhealthy*.  Every
weight is a field of :class:`HealthPolicy`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from pbxlab.analysis.sipvalues import host_of
from pbxlab.tables import SEVERITIES

__all__ = [
    "HOSTILE_CODES",
    "USER_OUTCOME_STATUSES",
    "Health",
    "HealthPolicy",
    "Reason",
    "failed_calls",
    "from_sources",
    "health",
    "hostile_sources",
    "poor_streams",
]

HOSTILE_CODES = frozenset({"SCANNER", "BRUTE_FORCE"})
"""Findings whose ``source`` is an attacker: its calls are not the tenant's calls."""

USER_OUTCOME_STATUSES = frozenset({486, 487, 600, 603})
"""Final statuses that are the callee's or caller's choice, not a fault: Busy
Here, Request Terminated (the caller hung up), Busy Everywhere, Decline."""


@dataclass(frozen=True, slots=True)
class HealthPolicy:
    """The weights of the health score (module docstring: the rule)."""

    critical_penalty: float = 20.0
    warning_penalty: float = 7.0
    info_penalty: float = 1.0
    code_cap: float = 40.0
    """At most this many points for all findings of one code."""
    offline_weight: float = 20.0
    """Points lost if every extension were offline all of the observed time."""
    failed_call_weight: float = 15.0
    """Points lost if every call failed."""
    poor_media_weight: float = 10.0
    """Points lost if every RTP stream were poor."""
    loss_threshold: float = 0.05
    """Share of packets lost above which a stream is poor (G.113: audible at ~5 % for G.711)."""
    jitter_threshold_ms: float = 30.0
    """Jitter above which a stream is poor (a typical adaptive jitter buffer's budget)."""
    healthy_from: int = 80
    degraded_from: int = 50

    def describe(self) -> str:
        """The rule in one paragraph, with this policy's numbers (shown on the report)."""
        return (
            f"The score starts at 100. Each finding costs {self.critical_penalty:g} (critical), "
            f"{self.warning_penalty:g} (warning) or {self.info_penalty:g} (info) points, at most "
            f"{self.code_cap:g} for all findings of one code; the mean share of time the "
            f"extensions were offline costs up to {self.offline_weight:g}, the share of failed "
            f"calls (not counting busy, declined or cancelled calls, nor calls from a flagged "
            f"scanner or brute-forcer) up to {self.failed_call_weight:g} and the share of poor "
            f"RTP streams (loss "
            f"above {self.loss_threshold:.0%} or jitter above {self.jitter_threshold_ms:g} ms) up "
            f"to {self.poor_media_weight:g}. Healthy from {self.healthy_from}, degraded from "
            f"{self.degraded_from}, else unhealthy."
        )

    def penalty(self, severity: str) -> float:
        """Points one finding of ``severity`` costs."""
        return {
            "critical": self.critical_penalty,
            "warning": self.warning_penalty,
            "info": self.info_penalty,
        }[severity]


@dataclass(frozen=True, slots=True)
class Reason:
    """One deduction: how many points, and why in one sentence."""

    points: float
    text: str
    code: str | None = None
    """The finding code, for deductions that come from findings."""


@dataclass(frozen=True, slots=True)
class Health:
    """A tenant's score (0-100), its grade, and the deductions, largest first."""

    score: int
    grade: str
    reasons: tuple[Reason, ...]
    rule: str
    """The scoring rule applied (:meth:`HealthPolicy.describe`)."""


def health(
    findings: pd.DataFrame,
    reliability: pd.DataFrame,
    calls: pd.DataFrame,
    rtp_streams: pd.DataFrame,
    policy: HealthPolicy | None = None,
) -> Health:
    """The :class:`Health` of a tenant from its FINDINGS, RELIABILITY, CALLS and
    RTP_STREAMS tables (any may be empty: it then costs nothing)."""
    policy = policy or HealthPolicy()
    reasons = [
        *_finding_reasons(findings, policy),
        *_availability_reason(reliability, policy),
        *_call_reason(calls, hostile_sources(findings), policy),
        *_media_reason(rtp_streams, policy),
    ]
    reasons.sort(key=lambda r: (-r.points, r.text))
    # half up (56.5 -> 57), not Python's half-to-even: a score people check by hand
    score = math.floor(max(0.0, 100.0 - sum(r.points for r in reasons)) + 0.5)
    if score >= policy.healthy_from:
        grade = "healthy"
    elif score >= policy.degraded_from:
        grade = "degraded"
    else:
        grade = "unhealthy"
    return Health(score=score, grade=grade, reasons=tuple(reasons), rule=policy.describe())


def _finding_reasons(findings: pd.DataFrame, policy: HealthPolicy) -> list[Reason]:
    reasons: list[Reason] = []
    if findings.empty:
        return reasons
    codes = findings["code"].astype(str)
    for code in sorted(codes.unique()):
        group = findings[codes == code]
        severities = group["severity"].astype(str)
        raw = sum(policy.penalty(s) for s in severities)
        points = min(raw, policy.code_cap)
        counts = severities.value_counts()
        by_severity = ", ".join(
            f"{int(counts[s])} {s}" for s in reversed(SEVERITIES) if s in counts.index
        )
        who = _who(group)
        capped = f" (capped at {policy.code_cap:g})" if raw > points else ""
        reasons.append(
            Reason(
                points=points,
                text=f"{code}: {by_severity} finding{'s' if len(group) > 1 else ''} "
                f"({who}){capped}",
                code=code,
            )
        )
    return reasons


def _who(group: pd.DataFrame) -> str:
    extensions = sorted({str(e) for e in group["extension"].dropna()})
    sources = sorted({str(s) for s in group["source"].dropna()} if not extensions else [])
    names = [f"extension {e}" for e in extensions] or [f"source {s}" for s in sources]
    if len(names) > 4:
        return ", ".join(names[:4]) + f" and {len(names) - 4} more"
    return ", ".join(names) or "no extension named"


def _availability_reason(reliability: pd.DataFrame, policy: HealthPolicy) -> list[Reason]:
    observed = reliability[reliability["observed_hours"].fillna(0) > 0]
    if observed.empty:
        return []
    mean_offline = float(observed["offline_fraction"].fillna(0.0).mean())
    points = policy.offline_weight * mean_offline
    if points <= 0:
        return []
    worst = observed.sort_values("offline_fraction", ascending=False, kind="stable").iloc[0]
    return [
        Reason(
            points=points,
            text=f"Extensions were offline {mean_offline:.0%} of the observed time on average "
            f"(worst: {worst['extension']}, {float(worst['offline_fraction']):.0%})",
        )
    ]


def failed_calls(calls: pd.DataFrame) -> pd.Series:
    """Boolean per call: it failed for a reason other than the parties' choice
    (a final status >= 300 outside :data:`USER_OUTCOME_STATUSES`, or no answer at all)."""
    status = calls["final_status"].astype("Int64")
    refused = status.ge(300).fillna(False) & ~status.isin(USER_OUTCOME_STATUSES).fillna(False)
    timed_out = calls["end_reason"].astype(str) == "timeout"
    return (refused | timed_out).astype(bool)


def hostile_sources(findings: pd.DataFrame) -> set[str]:
    """IP addresses named as the ``source`` of a SCANNER or BRUTE_FORCE finding."""
    hostile = findings[findings["code"].astype(str).isin(HOSTILE_CODES)]
    return {str(s) for s in hostile["source"].dropna()}


def from_sources(calls: pd.DataFrame, sources: set[str]) -> pd.Series:
    """Boolean per call: its INVITE came from one of ``sources`` (IP addresses)."""
    hosts = [host_of(str(s)) if isinstance(s, str) else None for s in calls["src"]]
    return pd.Series([h in sources for h in hosts], index=calls.index, dtype=bool)


def _call_reason(calls: pd.DataFrame, hostile: set[str], policy: HealthPolicy) -> list[Reason]:
    counted = calls[~from_sources(calls, hostile)] if len(calls) else calls
    if counted.empty:
        return []
    failed = failed_calls(counted)
    share = float(failed.mean())
    if share <= 0:
        return []
    return [
        Reason(
            points=policy.failed_call_weight * share,
            text=f"{int(failed.sum())} of {len(counted)} calls failed ({share:.0%})",
        )
    ]


def poor_streams(rtp_streams: pd.DataFrame, policy: HealthPolicy | None = None) -> pd.Series:
    """Boolean per RTP stream: loss or jitter above the policy's thresholds."""
    policy = policy or HealthPolicy()
    packets = rtp_streams["packets"].astype("Float64")
    lost = rtp_streams["lost"].astype("Float64").fillna(0)
    loss = (lost / (packets + lost)).fillna(0)
    jitter = rtp_streams["max_jitter_ms"].astype("Float64").fillna(0)
    return ((loss > policy.loss_threshold) | (jitter > policy.jitter_threshold_ms)).astype(bool)


def _media_reason(rtp_streams: pd.DataFrame, policy: HealthPolicy) -> list[Reason]:
    rtp = rtp_streams[rtp_streams["kind"].astype(str) == "rtp"]
    if rtp.empty:
        return []
    poor = poor_streams(rtp, policy)
    share = float(poor.mean())
    if share <= 0:
        return []
    return [
        Reason(
            points=policy.poor_media_weight * share,
            text=f"{int(poor.sum())} of {len(rtp)} RTP streams had loss above "
            f"{policy.loss_threshold:.0%} or jitter above {policy.jitter_threshold_ms:g} ms",
        )
    ]
