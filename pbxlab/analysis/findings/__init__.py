"""Findings: from the ingest and derived tables to diagnoses that say why.

:func:`diagnose` runs every classifier (one module per family: :mod:`.nat`,
:mod:`.security`, :mod:`.registration`, :mod:`.media`, :mod:`.phones`) over
the evidence, with the thresholds of one :class:`DiagnosisPolicy`, and
returns the ``findings`` table (FINDINGS schema): extension or source, code,
severity, first/last seen, a one-sentence summary, the action in the user
guide's terms, and evidence pointers (``file:frame N`` / ``file:line N``).
Each module's docstring states its rules, thresholds and why.

An extension is (SIP domain, number): a capture whose REGISTERs name several
domains is diagnosed tenant by tenant (see :func:`diagnose`), and every
finding about an extension carries its ``domain``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

import numpy as np
import pandas as pd

from pbxlab.analysis.events import capture_evidence
from pbxlab.analysis.findings import media, nat, phones, registration, security
from pbxlab.analysis.findings.model import Finding, plain, tenant_tag, to_frame
from pbxlab.analysis.findings.policy import DiagnosisPolicy
from pbxlab.analysis.findings.stacking import (
    TenantRows,
    latest,
    tag_keys,
    tenant_codes,
    tenant_tags,
)
from pbxlab.analysis.findings.transactions import transactions
from pbxlab.analysis.keepalives import sip_probes
from pbxlab.analysis.tenant_evidence import stacked_tenants_evidence
from pbxlab.analysis.tenants import sip_domains, tenants_rows
from pbxlab.tables import BINDINGS, EVENTS, FINDINGS, KEEPALIVES, MESSAGES, RTP_STREAMS

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
    domain: str | None = None,
) -> pd.DataFrame:
    """Every finding the evidence supports, as the ``findings`` table (FINDINGS schema).

    ``source`` is an object with tables as attributes (the ``Analysis`` of
    :func:`pbxlab.analysis.analyze`, a ``Capture``, a ``LogRead``); tables passed
    by keyword override its attributes.  An extension is identified by its SIP
    domain and number: ``domain`` keeps that tenant of a multi-tenant capture
    (see :func:`pbxlab.analysis.tenant_messages`); without it, a capture whose
    REGISTERs name several domains is diagnosed tenant by tenant (each tenant's
    bindings and keepalives from its own messages, all derived in one pass by
    :func:`pbxlab.analysis.tenant_evidence.tenants_evidence`; network sources
    judged over the whole capture) and the results concatenated.  Rows are ordered by severity
    (critical first), then extension/source, domain, code and first evidence.
    Raises TypeError when ``source`` holds none of the tables.
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
    policy = policy or DiagnosisPolicy()
    domains = _domains(evidence.messages)
    if domain is not None:
        return order(_diagnose_tenants(evidence, [domain], policy, include_logs=True))
    if len(domains) > 1:
        return order(_diagnose_tenants(evidence, domains, policy, include_logs=False))
    if bindings is None and not isinstance(getattr(source, "bindings", None), pd.DataFrame):
        evidence = derive(evidence, keep_keepalives=keepalives is not None)
    found = run_classifiers(evidence, policy)
    return order(
        nat.escalate(
            to_frame(_in_domain(found, domains[0] if domains else None), policy.max_evidence)
        )
    )


def _domains(messages: pd.DataFrame) -> list[str]:
    return [str(d) for d in sip_domains(messages)["domain"]] if len(messages) else []


def _in_domain(found: list[Finding], domain: str | None) -> list[Finding]:
    """``found`` with the domain set on the findings about an extension."""
    if domain is None:
        return found
    return [replace(f, domain=domain) if f.extension is not None else f for f in found]


def _diagnose_tenants(
    evidence: Evidence, domains: list[str], policy: DiagnosisPolicy, *, include_logs: bool
) -> pd.DataFrame:
    """Findings of each tenant of ``evidence`` separately, concatenated.

    Network sources (SCANNER, BRUTE_FORCE) are judged over the whole evidence,
    since an attacker spreads its probes over the tenants; their failures are
    then not counted against any tenant's extensions.  Registrar-log events carry
    no domain: with ``include_logs`` they join every tenant (one chosen domain,
    as :func:`pbxlab.analysis.analyze` does); otherwise they are diagnosed on
    their own, with no domain.
    """
    tx = transactions(evidence.messages)
    log_events = _log_events(evidence)
    everything = _attempts(tx, log_events, policy)
    source_findings, hostile = security.judge_sources(everything, policy)
    frames = [to_frame(source_findings, policy.max_evidence)]
    rows = tenants_rows(evidence.messages, domains)
    from_tx = everything.iloc[: len(tx)]  # attempt rows are the transactions', in order
    if include_logs:
        frames.extend(
            _with_logs(evidence, name, positions, tx, log_events, hostile, policy)
            for name, positions in rows.items()
        )
    else:
        frames.append(_all_tenants(evidence, rows, tx, from_tx, hostile, policy))
        if len(log_events):
            # the log events on their own: no messages, hence no transactions or attempts
            found = run_classifiers(
                derive(Evidence(events=log_events)),
                policy,
                tx=tx[_TENANT_TX_COLUMNS].iloc[:0],
                hostile=hostile,
                attempts=from_tx.iloc[:0],
                nat_findings=[],
            )
            frames.append(nat.escalate(to_frame(found, policy.max_evidence)))
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else FINDINGS.empty()


def _with_logs(
    evidence: Evidence,
    domain: str,
    positions: np.ndarray,
    tx: pd.DataFrame,
    log_events: pd.DataFrame,
    hostile: set[str],
    policy: DiagnosisPolicy,
) -> pd.DataFrame:
    """The findings of one tenant whose evidence includes the registrar-log events
    (its attempts then include the logs' too, so they are derived here)."""
    messages = evidence.messages.take(positions).reset_index(drop=True)
    calls = set(messages["call_id"].dropna().unique())
    media = evidence.rtp_streams[evidence.rtp_streams["call_id"].isin(calls)]
    part = derive(  # its log events join its bindings
        Evidence(messages=messages, rtp_streams=media.reset_index(drop=True), events=log_events)
    )
    in_tenant = tx["call_id"].isin(calls).to_numpy(dtype=bool)
    flags = nat.nat_flags(tx, policy)
    nat_found = nat.classify_tenants(tx, flags, {domain: (in_tenant, _evidence_end(part))}, policy)
    found = run_classifiers(
        part,
        policy,
        tx=tx[in_tenant].reset_index(drop=True),
        hostile=hostile,
        nat_findings=nat_found[domain],
    )
    return nat.escalate(to_frame(_in_domain(found, domain), policy.max_evidence))


def _all_tenants(
    evidence: Evidence,
    rows: dict[str, np.ndarray],
    tx: pd.DataFrame,
    from_tx: pd.DataFrame,
    hostile: set[str],
    policy: DiagnosisPolicy,
) -> pd.DataFrame:
    """The findings about the extensions of every tenant of ``rows``, judged at once.

    Every table is stacked, a row once per tenant it belongs to, with the tenant
    in its keys (see :mod:`.stacking`): the rules run once and their findings are
    split back to (domain, extension); each tenant's are those its own evidence
    gives, in the order a tenant-by-tenant run gives them.
    """
    messages, streams = evidence.messages, evidence.rtp_streams
    stack = TenantRows.of(messages, rows)
    count = len(stack.names)
    tags = tenant_tags(count)
    tx_owner, tx_rows = stack.by_call(tx["call_id"])
    media_owner, media_rows = stack.by_call(streams["call_id"])
    message_ts = messages["ts"].take(stack.rows)
    # each tenant's end of evidence: its messages and media (for the derivation), ...
    ends = latest(
        [
            (stack.owner, message_ts),
            (media_owner, streams["last_ts"].take(media_rows)),
            (media_owner, streams["first_ts"].take(media_rows)),
        ],
        count,
        missing_is_none=True,
    )
    derived, _ = stacked_tenants_evidence(
        messages,
        rows,
        dict(zip(stack.names, ends, strict=True)),
        registrations=False,  # no rule reads them
    )
    event_owner = tenant_codes(derived.events["extension"], count)
    # ... and its messages and derived events (for the rules)
    evidence_ends = latest(
        [(stack.owner, message_ts), (event_owner, derived.events["ts"])],
        count,
        missing_is_none=False,
    )
    flags = nat.nat_flags(tx, policy)  # the NAT tests once, not once per tenant
    nat_found = nat.classify_tenants(
        tx,
        flags,
        {
            name: (stack.mask(tx_owner, tx_rows, len(tx), code), evidence_ends[code])
            for code, name in enumerate(stack.names)
        },
        policy,
    )
    tenant_tx, attempts = _stacked_transactions(tx, from_tx, tx_owner, tx_rows, tags)
    call_streams, call_messages = _one_way_calls(messages, streams, stack, tags, policy)
    log_events = _tenants_log_events(messages, stack, derived.events, event_owner)
    found = _extension_rules(
        Evidence(
            messages=messages,
            rtp_streams=call_streams,
            events=derived.events,
            bindings=derived.bindings,
            keepalives=derived.keepalives,
        ),
        policy,
        tx=tenant_tx,
        attempts=attempts,
        hostile=hostile,
        log_events=log_events,
        ends=_row_ends(derived.keepalives, evidence_ends),
        message_tenants=(stack.rows, tags[stack.owner]),
        call_messages=call_messages,
    )
    return _split_findings(found, stack.names, nat_found, policy)


def _stacked_transactions(
    tx: pd.DataFrame, from_tx: pd.DataFrame, owner: np.ndarray, rows: np.ndarray, tags: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tenants' transactions (``rows`` of ``tx``, tenants ``owner``) stacked with
    their To user tagged, and their attempt rows (``from_tx``) that
    :func:`security.judge_extensions` reads, with their extension tagged."""
    # with the NAT findings and the attempts given, the rules read few transaction columns
    stacked = tx[_TENANT_TX_COLUMNS].take(rows).reset_index(drop=True)
    stacked["to_user"] = tag_keys(stacked["to_user"], owner, tags)
    judged = from_tx["outcome"].isin(security.JUDGED).to_numpy(dtype=bool)[rows]
    attempts = from_tx.take(rows[judged]).reset_index(drop=True)
    attempts["extension"] = tag_keys(attempts["extension"], owner[judged], tags)
    return stacked, attempts


def _one_way_calls(
    messages: pd.DataFrame,
    streams: pd.DataFrame,
    stack: TenantRows,
    tags: np.ndarray,
    policy: DiagnosisPolicy,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The media streams and messages of the calls with one-way media, stacked per
    tenant with tagged Call-IDs: whether a call is one-way does not depend on the
    tenant (a tenant holds all the streams of its calls), so only those are stacked."""
    one_way = media.one_way_calls(streams, policy)
    owner, rows = stack.by_call(streams["call_id"].where(streams["call_id"].isin(one_way)))
    call_streams = streams.take(rows).reset_index(drop=True)
    call_streams["call_id"] = tag_keys(call_streams["call_id"], owner, tags)
    held = messages["call_id"].isin(one_way).to_numpy(dtype=bool)[stack.rows]
    call_messages = messages[_CALL_COLUMNS].take(stack.rows[held]).reset_index(drop=True)
    call_messages["call_id"] = tag_keys(call_messages["call_id"], stack.owner[held], tags)
    return call_streams, call_messages


# what run_classifiers reads of the transactions when given their attempts and NAT findings
_TENANT_TX_COLUMNS = ["ts", "method", "status", "to_user", "answer_contacts"]
_TENANT_TX_COLUMNS += ["answer_contact_count", "evidence"]

# what the ONE_WAY_AUDIO rule reads of a call's messages
_CALL_COLUMNS = ["call_id", "frame", "is_request", "method", "from_user", "to_user"]
_CALL_COLUMNS += ["sdp_connection"]


def _end(evidence: Evidence) -> pd.Timestamp | None:
    """The last moment the evidence covers (messages, media, events), None when empty."""
    stamps = [
        s.dropna()
        for s in (
            evidence.messages["ts"],
            evidence.rtp_streams["last_ts"],
            evidence.rtp_streams["first_ts"],
            evidence.events["ts"],
        )
        if s.notna().any()
    ]
    return max(s.max() for s in stamps) if stamps else None


def derive(evidence: Evidence, *, keep_keepalives: bool = False) -> Evidence:
    """``evidence`` completed with the derived tables :func:`pbxlab.analysis.analyze`
    would give (events merged with the capture's, bindings, keepalives); calls and
    status, which no rule reads, are not computed."""
    if evidence.messages.empty and evidence.events.empty:
        return evidence  # nothing to derive from (media alone has no extensions)
    until = _end(evidence)
    derived = capture_evidence(evidence.messages, evidence.events, until=until)
    return replace(
        evidence,
        events=derived.events,
        bindings=derived.bindings,
        keepalives=evidence.keepalives if keep_keepalives else derived.keepalives,
    )


def _log_events(evidence: Evidence) -> pd.DataFrame:
    """The events that come from logs, not derived from the evidence's captures."""
    # distinct names first: iterating a whole arrow column in Python is slow
    capture_files = set(evidence.messages["source_file"].dropna().astype(str).unique())
    return evidence.events[~evidence.events["source_file"].astype(str).isin(capture_files)]


def _attempts(tx: pd.DataFrame, log_events: pd.DataFrame, policy: DiagnosisPolicy) -> pd.DataFrame:
    return pd.concat(
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


def run_classifiers(
    evidence: Evidence,
    policy: DiagnosisPolicy,
    *,
    tx: pd.DataFrame | None = None,
    nat_flags: pd.DataFrame | None = None,
    hostile: set[str] | None = None,
    attempts: pd.DataFrame | None = None,
    nat_findings: list[Finding] | None = None,
) -> list[Finding]:
    """All findings of all families, unordered.  ``tx`` (transactions), ``nat_flags``
    (:func:`nat.nat_flags` of ``tx``) and ``attempts`` (security attempt rows) of the
    evidence are derived unless given, and so are ``nat_findings`` (:func:`nat.classify`);
    with ``hostile`` (sources judged elsewhere) only the findings about extensions
    are made, not those about sources."""
    if tx is None:
        tx = transactions(evidence.messages)
        nat_flags = None  # any given belong to other transactions
    end = _evidence_end(evidence)
    log_events = _log_events(evidence)
    if attempts is None:
        attempts = _attempts(tx, log_events, policy)
    found = _extension_rules(
        evidence,
        policy,
        tx=tx,
        attempts=attempts,
        hostile=hostile,
        log_events=log_events,
        ends=end,
    )
    return [
        *(nat.classify(tx, policy, end, nat_flags) if nat_findings is None else nat_findings),
        *(finding for _, finding in found),
    ]


def _extension_rules(
    evidence: Evidence,
    policy: DiagnosisPolicy,
    *,
    tx: pd.DataFrame,
    attempts: pd.DataFrame,
    hostile: set[str] | None,
    log_events: pd.DataFrame,
    ends: pd.Timestamp | pd.Series | None,
    message_tenants: tuple[np.ndarray, np.ndarray] | None = None,
    call_messages: pd.DataFrame | None = None,
) -> list[tuple[str, Finding]]:
    """The findings of every family but NAT's, each with the tenant tag of its key.

    The tables may be one tenant's or all tenants' stacked with tagged keys (see
    :mod:`.stacking`); then ``ends`` holds each keepalive row's end of evidence,
    ``message_tenants`` the tenants' messages stacked (positions in the messages,
    tags) and ``call_messages`` the stacked messages of the calls with media.
    """
    probes = sip_probes(evidence.keepalives)  # CRLF pings do not decide reachability
    if ends is not None and len(probes):
        if isinstance(ends, pd.Series):
            ends = ends[probes.index]
        # unanswered requests too young at the end of the evidence are pending, not lost
        young = probes["ts"] + policy.keepalive_answer_timeout > ends
        probes = probes[~(young & ~probes["answered"].fillna(False).astype(bool))]
    registered = _registered(tx, evidence)
    episodes = [
        *registration.episodes_from_bindings(evidence.bindings, policy),
        *registration.episodes_from_keepalives(probes, policy),
        *registration.episodes_from_events(
            log_events[~log_events["extension"].isin(probes["extension"].unique())]
        ),
    ]
    by_extension = [
        *(
            security.classify(attempts, policy)
            if hostile is None
            else security.judge_extensions(attempts, hostile, policy)
        ),
        *registration.flapping(episodes, policy),
        *registration.reachability(probes, log_events, registered, policy),
        *registration.binding_timeout(probes, evidence.messages, policy, tenants=message_tenants),
    ]
    calls = media.classify_calls(
        evidence.rtp_streams,
        evidence.messages if call_messages is None else call_messages,
        policy,
    )
    return [
        *((_tag_of(f.extension), f) for f in by_extension),
        *((tenant_tag(call), f) for call, f in calls),
        *((_tag_of(f.extension), f) for f in phones.classify(tx, evidence.bindings, policy)),
    ]


def _tag_of(key: str | None) -> str:
    return "" if key is None else tenant_tag(key)


def _row_ends(keepalives: pd.DataFrame, ends: list[pd.Timestamp | None]) -> pd.Series:
    """The end of evidence of each keepalive row's tenant (NaT for none)."""
    codes = tenant_codes(keepalives["extension"], len(ends))
    stamps = pd.DatetimeIndex([pd.NaT if e is None else e for e in [*ends, None]])
    return pd.Series(stamps.take(codes), index=keepalives.index)


def _tenants_log_events(
    messages: pd.DataFrame, stack: TenantRows, events: pd.DataFrame, owner: np.ndarray
) -> pd.DataFrame:
    """The stacked events that :func:`_log_events` of their tenant would keep: those
    not from the tenant's own capture files (events of no tenant left out)."""
    files, names = pd.factorize(messages["source_file"])
    names_index = pd.Index([str(n) for n in names])
    held = files[stack.rows]
    width = len(names) + 1
    pairs = np.unique(stack.owner[held >= 0] * width + held[held >= 0])
    event_files = names_index.get_indexer(pd.Index(events["source_file"].astype(str)))
    own = (event_files >= 0) & np.isin(owner * width + event_files, pairs)
    chosen: pd.DataFrame = events[(owner >= 0) & ~own]
    return chosen


def _split_findings(
    found: list[tuple[str, Finding]],
    names: list[str],
    nat_found: dict[str, list[Finding]],
    policy: DiagnosisPolicy,
) -> pd.DataFrame:
    """The findings of stacked tenants as the concatenation of each tenant's table:
    tenant by tenant, NAT findings first, each with its plain extension and domain."""
    tags = tenant_tags(len(names))
    code_of = {str(tag): code for code, tag in enumerate(tags)}
    buckets: list[list[tuple[str | None, Finding]]] = [
        [(None if f.extension is None else tags[code] + f.extension, f) for f in nat_found[name]]
        for code, name in enumerate(names)
    ]
    for tag, finding in found:
        buckets[code_of[tag]].append((finding.extension, finding))
    ordered = [pair for bucket in buckets for pair in bucket]
    if not ordered:
        return FINDINGS.empty()
    frame = to_frame([f for _, f in ordered], policy.max_evidence)
    keys = [key for key, _ in ordered]
    # escalation is per tenant: the tagged extensions keep the tenants apart
    frame["extension"] = pd.Series(keys, dtype=frame["extension"].dtype)
    frame = nat.escalate(frame)
    domains = [None if key is None else names[code_of[tenant_tag(key)]] for key in keys]
    frame["extension"] = pd.Series(
        [None if key is None else plain(key) for key in keys], dtype=frame["extension"].dtype
    )
    frame["domain"] = pd.Series(domains, dtype=frame["domain"].dtype)
    return frame


def _evidence_end(evidence: Evidence) -> pd.Timestamp | None:
    """The time of the last message or event of the evidence, None when there is none."""
    stamps = pd.concat([evidence.messages["ts"], evidence.events["ts"]], ignore_index=True)
    return stamps.max() if len(stamps) else None


def _registered(tx: pd.DataFrame, evidence: Evidence) -> set[str]:
    """Extensions with evidence of a successful registration."""
    # distinct names first: iterating a whole arrow column in Python is slow
    names: set[str] = {str(e) for e in evidence.bindings["extension"].dropna().unique()}
    kinds = evidence.events["event"].astype(str)
    names |= {
        str(e)
        for e in evidence.events.loc[kinds.isin(["registered", "refreshed"]), "extension"]
        .dropna()
        .unique()
    }
    if not tx.empty:
        ok = (tx["method"] == "REGISTER") & tx["status"].fillna(0).astype(int).between(200, 299)
        names |= {str(e) for e in tx.loc[ok, "to_user"].dropna().unique()}
    return names


def order(findings: pd.DataFrame) -> pd.DataFrame:
    """Findings sorted: critical first, then by extension/source, domain, code, first seen."""
    if findings.empty:
        return FINDINGS.empty()
    key = findings.assign(
        _rank=-findings["severity"].cat.codes,
        _who=findings["extension"].fillna(findings["source"]).fillna(""),
    )
    key = key.assign(_domain=key["domain"].fillna(""))
    key = key.sort_values(["_rank", "_who", "_domain", "code", "first_seen"], kind="stable")
    return FINDINGS.conform(key.drop(columns=["_rank", "_who", "_domain"]).reset_index(drop=True))


__all__ = ["CODES", "DiagnosisPolicy", "Evidence", "Finding", "diagnose", "gather", "order"]
