"""Findings: from the ingest and derived tables to diagnoses that say why.

:func:`diagnose` runs every classifier (one module per family: :mod:`.nat`,
:mod:`.security`, :mod:`.registration`, :mod:`.media`, :mod:`.phones`) over
the evidence, with the thresholds of one :class:`DiagnosisPolicy`, and
returns the ``findings`` table (FINDINGS schema): extension or source, code,
severity, first/last seen, a one-sentence summary, the action in the user
guide's terms, and evidence pointers (``file:frame N`` / ``file:line N``).
Each module's docstring states its rules, thresholds and why.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, fields, replace

import pandas as pd

from pbxlab.analysis.findings import media, nat, phones, registration, security
from pbxlab.analysis.findings.model import Finding, to_frame
from pbxlab.analysis.findings.policy import DiagnosisPolicy
from pbxlab.analysis.findings.transactions import transactions
from pbxlab.tables import BINDINGS, ERRORS, EVENTS, FINDINGS, KEEPALIVES, MESSAGES, RTP_STREAMS

CODES = (
    "FLAPPING",
    "NAT_CONTACT_PRIVATE",
    "NAT_CONTACT_MISMATCH",
    "NAT_VIA_MISMATCH",
    "NAT_PORT_MISMATCH",
    "NAT_SDP_PRIVATE",
    "NAT_INBOUND_BLOCKED",
    "ONE_WAY_AUDIO",
    "KEEPALIVE_DROPPED",
    "NAT_BINDING_TIMEOUT",
    "REGISTRATION_TIMEOUT",
    "AUTH_FAILURE",
    "SCANNER",
    "BRUTE_FORCE",
    "CREDENTIAL_LEAK_SUSPECTED",
    "MULTIPLE_PHONES",
)
"""Every finding code :func:`diagnose` can return (DESIGN.md's list plus
NAT_CONTACT_MISMATCH, nathelper flag 32, and REGISTRATION_TIMEOUT)."""


@dataclass(frozen=True)
class Evidence:
    """The tables the classifiers read; any may be empty (then its rules find nothing).

    ``messages`` and ``rtp_streams`` come from captures, ``events`` from registrar
    logs (and from captures), ``bindings`` and ``keepalives`` from
    :mod:`pbxlab.analysis`.
    """

    messages: pd.DataFrame = field(default_factory=MESSAGES.empty)
    rtp_streams: pd.DataFrame = field(default_factory=RTP_STREAMS.empty)
    events: pd.DataFrame = field(default_factory=EVENTS.empty)
    bindings: pd.DataFrame = field(default_factory=BINDINGS.empty)
    keepalives: pd.DataFrame = field(default_factory=KEEPALIVES.empty)


def gather(source: object = None, **tables: pd.DataFrame | None) -> Evidence:
    """An :class:`Evidence` from an object carrying tables as attributes (a
    ``Capture``, an ``Analysis``, a ``LogRead``...) and/or tables given by name;
    names given explicitly win.  Raises TypeError for an unknown table name."""
    names = {f.name for f in fields(Evidence)}
    unknown = set(tables) - names
    if unknown:
        raise TypeError(
            f"unknown evidence tables {sorted(unknown)}; expected some of {sorted(names)}"
        )
    chosen: dict[str, pd.DataFrame] = {}
    for name in names:
        value = tables.get(name)
        if value is None and source is not None:
            value = getattr(source, name, None)
        if isinstance(value, pd.DataFrame):
            chosen[name] = value
    return replace(Evidence(), **chosen)


def diagnose(
    source: object = None,
    *,
    messages: pd.DataFrame | None = None,
    rtp_streams: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    bindings: pd.DataFrame | None = None,
    keepalives: pd.DataFrame | None = None,
    policy: DiagnosisPolicy | None = None,
) -> pd.DataFrame:
    """Every finding the evidence supports, as the ``findings`` table (FINDINGS schema).

    ``source`` is an object with tables as attributes (the ``Analysis`` of
    :func:`pbxlab.analysis.analyze`, a ``Capture``, a ``LogRead``); tables passed
    by keyword override its attributes.  Rows are ordered by severity (critical
    first), then extension/source, code and first evidence.  Raises TypeError
    when ``source`` holds none of the tables.
    """
    evidence = gather(
        source,
        messages=messages,
        rtp_streams=rtp_streams,
        events=events,
        bindings=bindings,
        keepalives=keepalives,
    )
    if (
        source is not None
        and all(getattr(source, f.name, None) is None for f in fields(Evidence))
        and all(t is None for t in (messages, rtp_streams, events, bindings, keepalives))
    ):
        raise TypeError(f"{type(source).__name__} carries none of the evidence tables")
    if bindings is None and not isinstance(getattr(source, "bindings", None), pd.DataFrame):
        evidence = derive(evidence, keep_keepalives=keepalives is not None)
    policy = policy or DiagnosisPolicy()
    found = run_classifiers(evidence, policy)
    frame = nat.escalate(to_frame(found, policy.max_evidence))
    return order(frame)


def derive(evidence: Evidence, *, keep_keepalives: bool = False) -> Evidence:
    """``evidence`` completed with the derived tables of :func:`pbxlab.analysis.analyze`
    (events merged with the capture's, bindings, keepalives)."""
    from pbxlab.analysis.analyze import analyze
    from pbxlab.capture.reader import Capture

    if evidence.messages.empty and evidence.events.empty:
        return evidence  # nothing to derive from (media alone has no extensions)
    capture = None
    if len(evidence.messages):
        capture = Capture(
            messages=evidence.messages,
            rtp_streams=evidence.rtp_streams,
            errors=ERRORS.empty(),
            files=sorted(set(evidence.messages["source_file"].dropna().astype(str))),
            stats=Counter(),
        )
    analysis = analyze(capture, events=evidence.events)
    return replace(
        evidence,
        events=analysis.events,
        bindings=analysis.bindings,
        keepalives=evidence.keepalives if keep_keepalives else analysis.keepalives,
    )


def run_classifiers(evidence: Evidence, policy: DiagnosisPolicy) -> list[Finding]:
    """All findings of all families, unordered."""
    tx = transactions(evidence.messages)
    stamps = pd.concat([evidence.messages["ts"], evidence.events["ts"]], ignore_index=True)
    end = stamps.max() if len(stamps) else None
    probes = evidence.keepalives
    if end is not None and len(probes):
        # unanswered requests too young at the end of the evidence are pending, not lost
        young = probes["ts"] + policy.keepalive_answer_timeout > end
        probes = probes[~(young & ~probes["answered"].fillna(False).astype(bool))]
    capture_files = set(evidence.messages["source_file"].dropna().astype(str))
    log_events = evidence.events[~evidence.events["source_file"].astype(str).isin(capture_files)]
    attempts = pd.concat(
        [
            frame
            for frame in (
                security.attempts_from_transactions(tx, policy),
                security.attempts_from_events(log_events),
            )
            if len(frame)
        ]
        or [security.attempts_from_events(EVENTS.empty())],
        ignore_index=True,
    )
    registered = _registered(tx, evidence)
    episodes = [
        *registration.episodes_from_bindings(evidence.bindings, policy),
        *registration.episodes_from_keepalives(probes, policy),
        *registration.episodes_from_events(
            log_events[~log_events["extension"].isin(set(probes["extension"]))]
        ),
    ]
    return [
        *nat.classify(tx, policy, end),
        *security.classify(attempts, policy),
        *registration.flapping(episodes, policy),
        *registration.reachability(probes, log_events, registered, policy),
        *registration.binding_timeout(probes, evidence.messages, policy),
        *media.classify(evidence.rtp_streams, evidence.messages, policy),
        *phones.classify(tx, evidence.bindings, policy),
    ]


def _registered(tx: pd.DataFrame, evidence: Evidence) -> set[str]:
    """Extensions with evidence of a successful registration."""
    names: set[str] = set(evidence.bindings["extension"].dropna().astype(str))
    kinds = evidence.events["event"].astype(str)
    names |= set(
        evidence.events.loc[kinds.isin(["registered", "refreshed"]), "extension"]
        .dropna()
        .astype(str)
    )
    if not tx.empty:
        ok = (tx["method"] == "REGISTER") & tx["status"].fillna(0).astype(int).between(200, 299)
        names |= set(tx.loc[ok, "to_user"].dropna().astype(str))
    return names


def order(findings: pd.DataFrame) -> pd.DataFrame:
    """Findings sorted: critical first, then by extension/source, code, first seen."""
    if findings.empty:
        return FINDINGS.empty()
    key = findings.assign(
        _rank=-findings["severity"].cat.codes,
        _who=findings["extension"].fillna(findings["source"]).fillna(""),
    )
    key = key.sort_values(["_rank", "_who", "code", "first_seen"], kind="stable")
    return FINDINGS.conform(key.drop(columns=["_rank", "_who"]).reset_index(drop=True))


__all__ = ["CODES", "DiagnosisPolicy", "Evidence", "Finding", "diagnose", "gather", "order"]
