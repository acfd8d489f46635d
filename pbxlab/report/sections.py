"""The report's tables: pure functions from one tenant's analysis and findings.

Strategy: each section of the report is one function returning a small
DataFrame (or dict of them) that the HTML template renders and the
machine-readable export writes, so what a person reads and what a script
reads cannot disagree.  No function here draws or formats HTML.
"""

from __future__ import annotations

import pandas as pd

from pbxlab.analysis import Analysis
from pbxlab.analysis.status import list_view_status
from pbxlab.report.health import HealthPolicy, failed_calls, from_sources, poor_streams
from pbxlab.tables import SEVERITIES

__all__ = [
    "CALL_OUTCOMES",
    "SECURITY_CODES",
    "call_outcomes",
    "extensions_table",
    "findings_by_severity",
    "media_quality",
    "security_findings",
    "worst_extensions",
]

SECURITY_CODES = ("SCANNER", "BRUTE_FORCE", "CREDENTIAL_LEAK_SUSPECTED", "AUTH_FAILURE")
"""Codes the security section lists (scanners, brute force, leaked credentials,
and the refused logins that often come with them)."""

CALL_OUTCOMES = (
    "answered",
    "busy or declined",
    "cancelled",
    "failed",
    "ringing or ongoing",
    "from a flagged attacker",
)


def extensions_table(analysis: Analysis, findings: pd.DataFrame) -> pd.DataFrame:
    """One row per extension: state at the end of the evidence, phones then
    registered, offline share and availability changes (Reliability view),
    number of findings and the worst severity.  Worst first (most severe
    finding, then most time offline), then by number."""
    listing = list_view_status(analysis.status, analysis.bindings)
    known = set(listing["extension"].astype(str))
    about = findings[findings["extension"].notna()]
    extra = sorted(set(about["extension"].astype(str)) - known)
    table = pd.concat(
        [
            listing,
            pd.DataFrame(
                {"extension": extra, "state": ["unknown"] * len(extra), "phones": [[]] * len(extra)}
            ),
        ],
        ignore_index=True,
    )
    table["phones"] = [", ".join(p) for p in table["phones"]]
    rel = analysis.reliability.set_index(analysis.reliability["extension"].astype(str))
    table["offline_fraction"] = table["extension"].map(rel["offline_fraction"]).astype("Float64")
    table["transitions"] = table["extension"].map(rel["transitions"]).astype("Int64")
    per = about.assign(extension=about["extension"].astype(str)).groupby("extension")
    counts = per.size()
    worst = per["severity"].max().astype(str) if len(about) else pd.Series(dtype=str)
    table["findings"] = table["extension"].map(counts).fillna(0).astype("Int64")
    table["worst_severity"] = table["extension"].map(worst).astype("string")
    rank = _severity_rank(table["worst_severity"])
    order = table.assign(
        _rank=-rank, _off=-table["offline_fraction"].fillna(0).astype(float)
    ).sort_values(["_rank", "_off", "extension"], kind="stable")
    return order.drop(columns=["_rank", "_off"]).reset_index(drop=True)


def _severity_rank(severity: pd.Series) -> pd.Series:
    """0 (info) .. 2 (critical), -1 where missing, as floats."""
    ranks = {s: float(i) for i, s in enumerate(SEVERITIES)}
    return pd.Series([ranks.get(str(s), -1.0) for s in severity], index=severity.index)


def findings_by_severity(findings: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The findings split by severity, most severe first (every severity present
    as a key, with an empty frame when none)."""
    severity = findings["severity"].astype(str)
    return {s: findings[severity == s].reset_index(drop=True) for s in reversed(SEVERITIES)}


def worst_extensions(analysis: Analysis, findings: pd.DataFrame, limit: int = 10) -> list[str]:
    """The extensions whose reliability timeline the report draws: those with a
    finding or any offline time, worst first (most severe finding, most changes
    between offline and available, most time offline), at most ``limit``."""
    table = extensions_table(analysis, findings)
    relevant = table[
        (table["findings"] > 0)
        | (table["offline_fraction"].fillna(0) > 0)
        | (table["transitions"].fillna(0) > 0)
    ]
    rank = _severity_rank(relevant["worst_severity"])
    ordered = relevant.assign(
        _rank=-rank,
        _tr=-relevant["transitions"].fillna(0).astype(int),
        _off=-relevant["offline_fraction"].fillna(0).astype(float),
    ).sort_values(["_rank", "_tr", "_off", "extension"], kind="stable")
    in_status = set(analysis.status["extension"].astype(str))
    return [e for e in ordered["extension"].astype(str) if e in in_status][:limit]


def call_outcomes(calls: pd.DataFrame, hostile: set[str] | None = None) -> pd.DataFrame:
    """Calls counted by outcome (:data:`CALL_OUTCOMES`, every one present):
    columns outcome, calls, share.  A call through a B2BUA counts once (its
    first leg, the caller's, decides); a call from one of the ``hostile``
    addresses (:func:`pbxlab.report.health.hostile_sources`) counts as
    "from a flagged attacker" whatever its outcome."""
    first_legs = calls.sort_values("start", kind="stable").drop_duplicates("leg_group")
    status = first_legs["final_status"].astype("Int64")
    failed = failed_calls(first_legs)
    end = first_legs["end_reason"].astype(str)
    answered = first_legs["answered_at"].notna()
    busy = status.isin([486, 600, 603]).fillna(False).astype(bool)
    cancelled = (end == "cancel") | status.eq(487).fillna(False).astype(bool)
    outcome = pd.Series("ringing or ongoing", index=first_legs.index, dtype=object)
    outcome[failed] = "failed"
    outcome[cancelled & ~answered] = "cancelled"
    outcome[busy & ~answered] = "busy or declined"
    outcome[answered] = "answered"
    outcome[from_sources(first_legs, hostile or set())] = "from a flagged attacker"
    counts = outcome.value_counts().reindex(list(CALL_OUTCOMES), fill_value=0)
    total = int(counts.sum())
    return pd.DataFrame(
        {
            "outcome": list(CALL_OUTCOMES),
            "calls": counts.astype(int).to_list(),
            "share": [(int(c) / total) if total else 0.0 for c in counts],
        }
    )


def media_quality(rtp_streams: pd.DataFrame, policy: HealthPolicy | None = None) -> pd.DataFrame:
    """One row per RTP stream: call, direction, codec, packets, loss share, max
    jitter, and ``poor`` (above the health policy's loss or jitter threshold)."""
    rtp = rtp_streams[rtp_streams["kind"].astype(str) == "rtp"]
    packets = rtp["packets"].astype("Float64")
    lost = rtp["lost"].astype("Float64").fillna(0)
    return pd.DataFrame(
        {
            "call_id": rtp["call_id"].astype("string"),
            "direction": rtp["src"].astype(str)
            + ":"
            + rtp["sport"].astype(str)
            + " → "
            + rtp["dst"].astype(str)
            + ":"
            + rtp["dport"].astype(str),
            "codec": rtp["codec"].astype("string"),
            "packets": rtp["packets"].astype("Int64"),
            "loss": (lost / (packets + lost)).fillna(0.0).astype(float),
            "max_jitter_ms": rtp["max_jitter_ms"].astype(float),
            "poor": poor_streams(rtp, policy),
        }
    ).reset_index(drop=True)


def security_findings(findings: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The security section: findings per :data:`SECURITY_CODES` (every code a key)."""
    codes = findings["code"].astype(str)
    return {c: findings[codes == c].reset_index(drop=True) for c in SECURITY_CODES}
