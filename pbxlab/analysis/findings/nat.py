"""NAT findings: the classic nathelper tests, and whether the platform copes.

Rule (Kamailio nathelper ``nat_uac_test`` semantics, applied to every request a
phone sends and to the SDP of its answers; the "source" is where the platform
saw the message come from: the Via ``received``/``rport`` the server recorded
in its responses, else the packet's source address):

- ``NAT_CONTACT_PRIVATE`` (flag 1): the Contact host is a private address other
  than the source.
- ``NAT_CONTACT_MISMATCH`` (flag 32): the Contact host is a *public* address other
  than the source (a phone that learned a wrong public address, e.g. by STUN, or
  a stale one); the platform must not send requests there.
- ``NAT_VIA_MISMATCH`` (flag 2, with flag 4 noted): the top Via host is an IP
  address other than the source (the summary says when it is a private one).
- ``NAT_PORT_MISMATCH`` (flag 16): over UDP, the top Via port (5060 when absent)
  differs from the source port.  Not applied to TCP/TLS, where replies follow
  the connection and ephemeral source ports are normal, nor to a private source
  that is also the Via host: on a LAN without address translation a phone may
  send from another port than it listens on, and replies to the Via port arrive.
- ``NAT_SDP_PRIVATE`` (flag 8): the SDP connection address is private and other
  than the source.

Only extensions that take part in the service are judged: ones that REGISTER,
send credentials, or get a 2xx answer.  A stranger's single INVITE (a scanner)
is a security matter, not a NAT one.

Severity: NAT the platform *handles* is information.  Each finding is ``info``
when the phone's requests were answered (the server used ``received``/``rport``)
and nothing else broke; it becomes a ``warning`` when the phone's REGISTERs were
never answered, or when the same extension also has a finding that this NAT
explains -- the signalling tests with NAT_INBOUND_BLOCKED, KEEPALIVE_DROPPED or
NAT_BINDING_TIMEOUT, NAT_SDP_PRIVATE with ONE_WAY_AUDIO (see :func:`escalate`).
Requests without Call-ID or CSeq cannot be paired with answers and are not judged
(the parser reports them in ``parse_error``).

``REGISTRATION_TIMEOUT`` (not a nathelper test, but the same evidence): an
extension whose REGISTERs got no answer at all for longer than Timer F (32 s)
and that never registered afterwards: the phone cannot reach the registrar
(outbound firewall, VPN, wrong server).  Critical: the phone is offline.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from pbxlab.analysis.findings.model import (
    FIX_NAT,
    Finding,
    fmt_duration,
    is_ip,
    is_private,
    plural,
    present,
    split_evidence,
    uri_hostport,
)
from pbxlab.analysis.findings.policy import DiagnosisPolicy
from pbxlab.analysis.findings.transactions import observed_address

NAT_CODES = (
    "NAT_CONTACT_PRIVATE",
    "NAT_CONTACT_MISMATCH",
    "NAT_VIA_MISMATCH",
    "NAT_PORT_MISMATCH",
    "NAT_SDP_PRIVATE",
)
SIGNALLING_CODES = NAT_CODES[:4]
# Findings on the same extension that a NAT explains: with them, NAT is no longer handled.
SIGNALLING_BREAKAGE = ("NAT_INBOUND_BLOCKED", "KEEPALIVE_DROPPED", "NAT_BINDING_TIMEOUT")

_ACTION_HANDLED = "None needed: the platform handles this NAT (it answers to the address it sees)"
_ACTION_BROKEN = f"{FIX_NAT}: allow the platform's replies and requests back to the phone"


def nat_flags(tx: pd.DataFrame, policy: DiagnosisPolicy) -> pd.DataFrame:
    """Per transaction, the nathelper tests: columns ``extension``, ``source``,
    ``contact_private``, ``via_mismatch``, ``via_private``, ``port_mismatch``,
    ``sdp_private`` plus the values compared; one row per transaction of ``tx``.
    """
    nets = policy.private_networks
    columns = ["received", "src", "rport", "sport", "contact", "via_host", "via_port"]
    columns += ["transport", "sdp_connection", "method", "to_user", "from_user"]

    def flags(row: tuple[Any, ...]) -> tuple[Any, ...]:
        """The _FLAG_COLUMNS values of one transaction's compared values."""
        received, src, rport, sport, contact, via, via_p, proto, offer, method, to, frm = row
        host, port = observed_address(received, src, rport, sport)
        contact_host = contact_hosts.get(contact) if present(contact) else None
        via_host = via if present(via) else None
        via_port = int(str(via_p)) if present(via_p) else policy.default_sip_port
        transport = str(proto).lower() if present(proto) else "udp"
        sdp = offer if present(offer) else None
        extension = to if method == "REGISTER" else frm
        return (
            extension if present(extension) else None,
            host,
            port,
            contact_host,
            via_port,
            sdp,
            bool(contact_host and is_private(contact_host, nets) and contact_host != host),
            bool(
                contact_host
                and is_ip(contact_host)
                and not is_private(contact_host, nets)
                and host
                and contact_host != host
            ),
            bool(via_host and is_ip(via_host) and host and via_host != host),
            bool(via_host and is_private(via_host, nets) and via_host != host),
            bool(
                transport == "udp"
                and port is not None
                and host
                and via_port != port
                and not (via_host == host and is_private(host, nets))
            ),
            bool(sdp and is_private(sdp, nets) and sdp != host),
        )

    # a phone sends the same values in every request: test each distinct row once
    codes, first = _distinct_rows(tx[columns])
    values = {c: tx[c].take(first).astype(object).tolist() for c in columns}
    contact_hosts = {c: uri_hostport(c)[0] for c in set(values["contact"]) if present(c)}
    results = [flags(row) for row in zip(*(values[c] for c in columns), strict=True)]
    # built from the distinct rows, then spread: the same values, so the same dtypes
    tested = pd.DataFrame({name: [r[i] for r in results] for i, name in enumerate(_FLAG_COLUMNS)})
    return tested.take(codes).set_axis(tx.index)


def _distinct_rows(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per row of ``frame``, the number of its distinct row (in order of first
    appearance), and the position of each distinct row's first appearance."""
    codes = np.zeros(len(frame), dtype=np.int64)
    for column in frame.columns:
        more = pd.factorize(frame[column])[0].astype(np.int64) + 1  # missing (-1) becomes 0
        codes = pd.factorize(codes * (int(more.max(initial=0)) + 1) + more)[0].astype(np.int64)
    return codes, np.unique(codes, return_index=True)[1]


_FLAG_COLUMNS = (
    "extension",
    "source",
    "source_port",
    "contact_host",
    "via_port_used",
    "sdp",
    "contact_private",
    "contact_mismatch",
    "via_mismatch",
    "via_private",
    "port_mismatch",
    "sdp_private",
)

_TESTS = (
    ("NAT_CONTACT_PRIVATE", "contact_private"),
    ("NAT_CONTACT_MISMATCH", "contact_mismatch"),
    ("NAT_VIA_MISMATCH", "via_mismatch"),
    ("NAT_PORT_MISMATCH", "port_mismatch"),
    ("NAT_SDP_PRIVATE", "sdp_private"),
)


def classify(
    tx: pd.DataFrame,
    policy: DiagnosisPolicy,
    evidence_end: pd.Timestamp | None,
    flags: pd.DataFrame | None = None,
) -> list[Finding]:
    """NAT_* and REGISTRATION_TIMEOUT findings from client transactions.

    ``tx`` is :func:`pbxlab.analysis.findings.transactions.transactions` of the
    messages; ``evidence_end`` the time of the last message (transactions younger
    than Timer F at that point are not judged as timed out).  ``flags``, when
    given, is :func:`nat_flags` of ``tx`` (same index), computed beforehand.
    """
    if tx.empty:
        return []
    if flags is None:
        flags = nat_flags(tx, policy)
    named = _classify(tx, flags, policy, lambda extension: (str(extension), evidence_end))
    return [finding for _, finding in named]


def classify_tenants(
    tx: pd.DataFrame,
    flags: pd.DataFrame,
    tenants: Mapping[str, tuple[np.ndarray, pd.Timestamp | None]],
    policy: DiagnosisPolicy,
) -> dict[str, list[Finding]]:
    """:func:`classify` of several tenants' transactions in one pass.

    ``tenants`` maps each tenant to its transactions (a boolean mask over ``tx``,
    which may overlap another tenant's) and its end of evidence; ``flags`` is
    :func:`nat_flags` of ``tx``.  Returns each tenant's findings, equal to
    ``classify(tx[mask], policy, end, flags[mask])``.  The rules group by
    extension: stacking the tenants' rows with the tenant in the extension
    (``i\x00number``, as :mod:`pbxlab.analysis.tenant_evidence` does) pays
    pandas' fixed costs once instead of once per tenant.
    """
    names = list(tenants)
    found: dict[str, list[Finding]] = {name: [] for name in names}
    positions = [np.flatnonzero(tenants[name][0]) for name in names]
    rows = np.concatenate(positions) if positions else np.array([], dtype=np.int64)
    if not len(rows):
        return found
    owner = np.repeat(np.arange(len(names)), [len(p) for p in positions])
    tagged = _tagged(owner, flags["extension"].take(rows).reset_index(drop=True))
    ends = [tenants[name][1] for name in names]
    parsed: dict[object, tuple[int, str]] = {}  # each tagged extension split once

    def parse(extension: object) -> tuple[int, str]:
        known = parsed.get(extension)
        if known is None:
            tag, number = str(extension).split(_SEPARATOR, 1)
            known = parsed[extension] = (int(tag), number)
        return known

    def tenant_of(extension: object) -> tuple[str, pd.Timestamp | None]:
        tag, number = parse(extension)
        return number, ends[tag]

    for extension, finding in _classify(tx, flags, policy, tenant_of, rows, tagged):
        found[names[parse(extension)[0]]].append(finding)
    return found


# never part of a SIP user (RFC 3261 25.1 allows no control characters)
_SEPARATOR = "\x00"


def _tagged(owner: np.ndarray, numbers: pd.Series) -> pd.Series:
    """``i\x00number`` per row (``i`` its ``owner``), None where the number is missing;
    each distinct (owner, number) pair is written once."""
    codes, uniques = pd.factorize(numbers)
    distinct = np.asarray(uniques, dtype=object)
    pairs, pair_names = pd.factorize(owner.astype(np.int64) * (len(distinct) + 1) + codes + 1)
    texts = [
        None if number == 0 else f"{pair // (len(distinct) + 1)}{_SEPARATOR}{distinct[number - 1]}"
        for pair, number in ((int(p), int(p) % (len(distinct) + 1)) for p in pair_names)
    ]
    return pd.Series(np.asarray(texts, dtype=object)[pairs], dtype=object)


def _classify(
    tx: pd.DataFrame,
    flags: pd.DataFrame,
    policy: DiagnosisPolicy,
    named: Callable[[object], tuple[str, pd.Timestamp | None]],
    rows: np.ndarray | None = None,
    keys: pd.Series | None = None,
) -> list[tuple[object, Finding]]:
    """:func:`classify` of ``tx`` and its ``flags``; ``named`` gives, for an
    extension key of ``flags``, the number the findings name and the end of its
    evidence.  Returns each finding with its extension key.  ``rows`` (positions,
    may repeat) and ``keys`` (their extension keys, in place of ``flags``') judge
    those rows instead of every row."""
    if rows is None or keys is None:
        rows, keys = np.arange(len(tx)), flags["extension"].reset_index(drop=True)
    codes, extensions = pd.factorize(keys)  # -1: no extension
    given = codes >= 0
    method, auth, status = (tx[c].take(rows) for c in ("method", "auth", "status"))
    status = status.astype("Float64")
    register = (method == "REGISTER").fillna(False).to_numpy(dtype=bool)
    # per extension (by code): a phone of the platform -- it REGISTERs, sends
    # credentials or gets a 2xx -- and whether any of its requests was answered
    taking_part = _any_per_code(
        codes,
        len(extensions),
        given
        & (
            register
            | auth.fillna(False).astype(bool).to_numpy(dtype=bool)
            | ((status >= 200) & (status < 300)).fillna(False).to_numpy(dtype=bool)
        ),
    )
    answered = _any_per_code(codes, len(extensions), given & status.notna().to_numpy(dtype=bool))
    kept = given & np.append(taking_part, False)[codes]
    # only the transaction columns the rules and summaries read (the frame is wide),
    # taken once for the rows kept
    read = [c for c in _TX_COLUMNS if c in tx.columns]
    data = pd.concat([tx[read], flags.drop(columns=["source", "extension"])], axis=1)
    data["observed"] = flags["source"]
    data = data.take(rows[kept]).reset_index(drop=True)
    data["extension"] = keys[kept].reset_index(drop=True)
    findings: list[tuple[object, Finding]] = []
    columns = _Columns.of(data, codes[kept], extensions)
    for code, column in _TESTS:
        for hits in _hits(columns, data[column].to_numpy(dtype=bool)):
            number, _ = named(hits.extension)
            finding = _nat_finding(code, number, hits, handled=bool(answered[hits.code]))
            findings.append((hits.extension, finding))
    unanswered = data[(data["method"] == "REGISTER") & data["status"].isna()]
    for extension in sorted(set(unanswered["extension"])):
        registers = data[(data["extension"] == extension) & (data["method"] == "REGISTER")]
        number, evidence_end = named(extension)
        timeout = _registration_timeout(number, registers, policy, evidence_end)
        if timeout is not None:
            findings.append((extension, timeout))
    return findings


def _any_per_code(codes: np.ndarray, count: int, values: np.ndarray) -> np.ndarray:
    """Per code (0..count-1), whether ``values`` holds on any row of that code."""
    return np.bincount(codes[values], minlength=count) > 0


class _Hits(NamedTuple):
    """One extension's transactions that failed one test, as its finding quotes them."""

    extension: object
    code: int  # the extension's code in _Columns
    size: int  # how many transactions failed it
    first_row: dict[str, Any]  # the first hit's _SUMMARY_COLUMNS
    via_private: bool  # any hit names a private Via address
    observed: str | None  # the first address the platform saw the requests come from
    first_seen: pd.Timestamp
    last_seen: pd.Timestamp
    evidence: list[str]  # of the first 8 hits and the last one, split


@dataclass(frozen=True)
class _Columns:
    """The columns :func:`_hits` reads, converted once for the five tests."""

    frame: pd.DataFrame  # RangeIndex
    codes: np.ndarray  # the extension of each row, as a code into ``extensions``
    extensions: np.ndarray  # Python objects
    ranks: np.ndarray  # each extension's place in text order
    evidence: np.ndarray  # Python objects
    evidence_is_text: bool  # all of ``evidence`` are strings (as transactions writes them)
    observed: np.ndarray  # Python objects
    observed_given: np.ndarray  # where ``observed`` is present (model.present)
    stamps: np.ndarray  # datetime64[ns]
    via_private: np.ndarray  # bool

    @classmethod
    def of(cls, data: pd.DataFrame, codes: np.ndarray, extensions: Any) -> _Columns:
        names = np.asarray(extensions, dtype=object)
        ranks = np.empty(len(names), dtype=np.int64)
        ranks[sorted(range(len(names)), key=lambda i: str(names[i]))] = np.arange(len(names))
        observed = data["observed"].to_numpy(dtype=object)
        evidence = data["evidence"].to_numpy(dtype=object)
        return cls(
            frame=data,
            codes=codes,
            extensions=names,
            ranks=ranks,
            evidence=evidence,
            evidence_is_text=_all_text(data["evidence"], evidence),
            observed=observed,
            observed_given=data["observed"].notna().to_numpy(dtype=bool) & (observed != ""),
            stamps=data["ts"].to_numpy(dtype="datetime64[ns]"),
            via_private=data["via_private"].to_numpy(dtype=bool),
        )


def _all_text(column: pd.Series, values: np.ndarray) -> bool:
    """Whether all ``values`` (``column`` as Python objects) are strings."""
    if isinstance(column.dtype, pd.StringDtype):
        return not column.isna().any()
    return all(type(v) is str for v in values)


def _hits(columns: _Columns, failed: np.ndarray) -> list[_Hits]:
    """The :class:`_Hits` of each extension with ``failed`` rows, ordered by the
    extension as text.  Whole columns: slicing thousands of small groups out of
    the frame would cost more than the rules themselves."""
    rows = np.flatnonzero(failed)
    if not len(rows):
        return []
    order = np.argsort(columns.ranks[columns.codes[rows]], kind="stable")
    rows = rows[order]  # by extension, then in capture order
    group_codes = columns.codes[rows]
    starts = np.flatnonzero(np.r_[True, group_codes[1:] != group_codes[:-1]])
    ends = np.r_[starts[1:], len(rows)]
    first_rows = {c: columns.frame[c].take(rows[starts]).tolist() for c in _SUMMARY_COLUMNS}
    private = np.add.reduceat(columns.via_private[rows], starts) > 0
    observed = _first_present(columns, rows, starts)
    first_seen, last_seen = _time_bounds(columns, rows, starts)
    evidence = columns.evidence[rows].tolist()
    split = _split_text if columns.evidence_is_text else split_evidence
    return [
        _Hits(
            extension=columns.extensions[code],
            code=code,
            size=end - start,
            first_row={c: first_rows[c][i] for c in _SUMMARY_COLUMNS},
            via_private=bool(private[i]),
            observed=observed[i],
            first_seen=first_seen[i],
            last_seen=last_seen[i],
            # the first transactions and the last one: split_evidence of every hit is costly
            evidence=split([*evidence[start : min(start + 8, end)], *evidence[end - 1 : end]]),
        )
        for i, (code, start, end) in enumerate(
            zip(group_codes[starts].tolist(), starts.tolist(), ends.tolist(), strict=True)
        )
    ]


def _first_present(columns: _Columns, rows: np.ndarray, starts: np.ndarray) -> list[str | None]:
    """Per group of ``rows`` (starting at ``starts``), its first present observed
    address as text."""
    position = np.where(columns.observed_given[rows], np.arange(len(rows)), len(rows))
    first = np.minimum.reduceat(position, starts)
    padded = [*columns.observed[rows].tolist(), None]
    return [None if p == len(rows) else str(padded[p]) for p in first.tolist()]


def _time_bounds(
    columns: _Columns, rows: np.ndarray, starts: np.ndarray
) -> tuple[list[pd.Timestamp], list[pd.Timestamp]]:
    """Per group of ``rows``, the earliest and the latest transaction time."""
    stamps = columns.frame["ts"]
    values = columns.stamps[rows]
    if np.isnat(values).any():  # NaT compares false both ways: as min()/max() would
        chosen = stamps.take(rows).tolist()
        groups = [chosen[a:b] for a, b in zip(starts, [*starts[1:], len(rows)], strict=True)]
        return [min(g) for g in groups], [max(g) for g in groups]
    ints = values.view(np.int64)
    earliest, latest = np.minimum.reduceat(ints, starts), np.maximum.reduceat(ints, starts)
    # where in each group the extremes are, to quote the column's own Timestamps
    group = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(rows)]))
    first = _first_where(ints == earliest[group], starts)
    last = _first_where(ints == latest[group], starts)
    return stamps.take(rows[first]).tolist(), stamps.take(rows[last]).tolist()


def _first_where(mask: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Per group (starting at ``starts``), the first position where ``mask`` holds
    (it holds somewhere in every group)."""
    return np.minimum.reduceat(np.where(mask, np.arange(len(mask)), len(mask)), starts)


def _nat_finding(code: str, ext: str, hits: _Hits, *, handled: bool) -> Finding:
    how = (
        "the platform answered it at its public address, so this NAT is handled"
        if handled
        else "and none of its requests were answered"
    )
    return Finding(
        code=code,
        severity="info" if handled else "warning",
        summary=f"{_SUMMARIES[code](ext, hits)}; {how}.",
        action=_ACTION_HANDLED if handled else _ACTION_BROKEN,
        extension=ext,
        source=hits.observed,
        first_seen=hits.first_seen,
        last_seen=hits.last_seen,
        evidence=hits.evidence,
    )


def _split_text(values: list[str]) -> list[str]:
    """:func:`split_evidence` of text ``values`` in one split: thousands of findings
    each quote nine."""
    return [part for part in map(str.strip, ";".join(values).split(";")) if part]


# what classify, the summaries and REGISTRATION_TIMEOUT read of a transaction
_TX_COLUMNS = ["ts", "method", "status", "auth", "evidence", "copies"]
_TX_COLUMNS += ["src", "sport", "dst", "dport", "via_host"]

_SUMMARY_COLUMNS = ["contact_host", "observed", "via_host", "via_port_used", "source_port", "sdp"]


def _first_row(hits: _Hits) -> dict[str, object]:
    """The first hit's values the summaries quote."""
    return hits.first_row


def _contact_summary(ext: str, hits: _Hits) -> str:
    row = _first_row(hits)
    return (
        f"Extension {ext}'s phone advertises the private Contact address {row['contact_host']} "
        f"but reaches the platform from {row['observed']} "
        f"({plural(hits.size, 'request')})"
    )


def _contact_mismatch_summary(ext: str, hits: _Hits) -> str:
    row = _first_row(hits)
    return (
        f"Extension {ext}'s phone advertises the Contact address {row['contact_host']} "
        f"but its packets come from {row['observed']} ({plural(hits.size, 'request')})"
    )


def _via_summary(ext: str, hits: _Hits) -> str:
    row = _first_row(hits)
    private = " (a private address)" if hits.via_private else ""
    return (
        f"Extension {ext}'s phone names {row['via_host']}{private} in its Via header "
        f"but its packets arrive from {row['observed']} ({plural(hits.size, 'request')})"
    )


def _port_summary(ext: str, hits: _Hits) -> str:
    row = _first_row(hits)
    return (
        f"Extension {ext}'s phone says it listens on port {row['via_port_used']} "
        f"but its packets come from port {row['source_port']} "
        f"({plural(hits.size, 'request')})"
    )


def _sdp_summary(ext: str, hits: _Hits) -> str:
    row = _first_row(hits)
    return (
        f"Extension {ext}'s phone asks for audio at the private address {row['sdp']} "
        f"while it is seen from {row['observed']} ({plural(hits.size, 'call offer')})"
    )


_SUMMARIES = {
    "NAT_CONTACT_PRIVATE": _contact_summary,
    "NAT_CONTACT_MISMATCH": _contact_mismatch_summary,
    "NAT_VIA_MISMATCH": _via_summary,
    "NAT_PORT_MISMATCH": _port_summary,
    "NAT_SDP_PRIVATE": _sdp_summary,
}


def _registration_timeout(
    ext: str,
    registers: pd.DataFrame,
    policy: DiagnosisPolicy,
    evidence_end: pd.Timestamp | None,
) -> Finding | None:
    if registers.empty:
        return None
    ok = registers["status"].fillna(0).astype(int).between(200, 299)
    last_ok = registers.loc[ok, "ts"].max() if ok.any() else None
    unanswered = registers[registers["status"].isna()]
    if last_ok is not None:
        unanswered = unanswered[unanswered["ts"] > last_ok]
    if unanswered.empty:
        return None
    if evidence_end is not None and unanswered["ts"].min() + policy.register_timeout > evidence_end:
        return None  # too young to have timed out: the capture ended first
    copies = int(unanswered["copies"].sum())
    span_end = evidence_end if evidence_end is not None else unanswered["ts"].max()
    registrar = f"{unanswered.iloc[0]['dst']}:{unanswered.iloc[0]['dport']}"
    return Finding(
        code="REGISTRATION_TIMEOUT",
        severity="critical",
        summary=(
            f"Extension {ext}'s phone sent {plural(copies, 'REGISTER')} to {registrar} "
            f"over {_span(unanswered['ts'].min(), span_end)} and never got an answer, so it "
            "is offline."
        ),
        action=(
            f"{FIX_NAT}: let the phone reach the registrar (outbound SIP, VPN route), "
            "then reboot the phone"
        ),
        extension=ext,
        source=f"{unanswered.iloc[0]['src']}:{unanswered.iloc[0]['sport']}",
        first_seen=unanswered["ts"].min(),
        last_seen=unanswered["ts"].max(),
        evidence=split_evidence(unanswered["evidence"]),
    )


def _span(start: pd.Timestamp, end: pd.Timestamp) -> str:
    return fmt_duration(pd.Timedelta(end - start))


def escalate(findings: pd.DataFrame) -> pd.DataFrame:
    """NAT_* info findings become warnings on extensions where something that NAT
    explains broke: the signalling tests when requests to the phone are lost
    (SIGNALLING_BREAKAGE), NAT_SDP_PRIVATE when its audio is one-way; the action then
    says to fix the NAT/firewall."""
    if findings.empty:
        return findings
    out = findings
    for codes, breakage, words in (
        (SIGNALLING_CODES, SIGNALLING_BREAKAGE, "but requests to the phone do not get through it"),
        (("NAT_SDP_PRIVATE",), ("ONE_WAY_AUDIO",), "but the audio sent to the phone does not"),
    ):
        broken = set(out.loc[out["code"].isin(breakage), "extension"].dropna())
        mask = out["code"].isin(codes) & out["extension"].isin(broken) & (out["severity"] == "info")
        if not mask.any():
            continue
        out = out.copy()
        out.loc[mask, "severity"] = "warning"
        out.loc[mask, "action"] = _ACTION_BROKEN
        out.loc[mask, "summary"] = out.loc[mask, "summary"].str.replace(
            "the platform answered it at its public address, so this NAT is handled",
            f"the platform answers it at its public address, {words}",
            regex=False,
        )
    return out
