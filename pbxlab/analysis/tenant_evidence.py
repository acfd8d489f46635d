"""The derived tables of every tenant of a capture, computed in one pass.

Strategy: deriving registrations, bindings and keepalives tenant by tenant
repeats the fixed costs of pandas and of the derivation once per SIP domain
(16 passes on a busy PBX node).  Instead the tenants' rows are stacked into
one frame -- a message that belongs to two tenants appears once for each --
in which the keys the derivation groups by carry the tenant: the Call-ID
(REGISTER transactions, keepalive requests) and the To user (the extension,
and the line a keepalive request names; a request whose To names no user
takes its Request-URI user here, as :mod:`pbxlab.analysis.keepalives` would).
One :func:`pbxlab.analysis.events.capture_evidence`-style pass then derives
everything, each tenant's bindings and pending keepalives ending at that
tenant's own end of evidence, and the results are split back per tenant
with the plain extension names.  The output equals the tenant-by-tenant
derivation (``tests/analysis/test_tenant_evidence.py``), except that
registrar events without an extension (a REGISTER whose To names no user)
belong to no tenant and are left out: no binding, status or finding reads
them.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from pbxlab.analysis.bindings import bindings_from_events
from pbxlab.analysis.events import (
    CaptureEvidence,
    expiry_events,
    keepalive_events,
    merge_events,
)
from pbxlab.analysis.keepalives import KeepalivePolicy, keepalives
from pbxlab.analysis.regevents import registration_events
from pbxlab.analysis.registrations import register_transactions, registrations_table
from pbxlab.capture.sip.fields import parse_uri

__all__ = ["stacked_tenants_evidence", "tenants_evidence"]

# never part of a SIP user or Call-ID (RFC 3261 25.1 allows no control characters)
_SEPARATOR = "\x00"

# the message columns the derivation reads
_COLUMNS = [
    "ts",
    "frame",
    "source_file",
    "src",
    "sport",
    "dst",
    "dport",
    "is_request",
    "method",
    "status",
    "call_id",
    "cseq_num",
    "cseq_method",
    "to_user",
    "to_host",
    "request_uri",
    "contact",
    "contact_expires",
    "contacts",
    "expires",
    "branch",
    "user_agent",
    "auth",
    "auth_user",
]


def tenants_evidence(
    messages: pd.DataFrame,
    rows: Mapping[str, np.ndarray],
    ends: Mapping[str, pd.Timestamp | None],
    keepalive_policy: KeepalivePolicy | None = None,
    *,
    registrations: bool = True,
) -> dict[str, CaptureEvidence]:
    """Registrations, events, bindings and keepalives of each tenant, derived at once.

    ``rows`` holds each tenant's row positions in ``messages`` (from
    :func:`pbxlab.analysis.tenants.tenants_rows`; the same message may belong
    to several), ``ends`` each tenant's end of evidence.  Returns, per tenant
    (keyed as ``rows``), what ``capture_evidence(tenant's messages, until=end)``
    returns; with ``registrations=False`` (the findings read none) its
    ``registrations`` are left empty.  Raises KeyError for a tenant of ``rows``
    missing from ``ends``.
    """
    derived, tags = stacked_tenants_evidence(
        messages, rows, ends, keepalive_policy, registrations=registrations
    )
    return _tenant_parts(derived, tags)


def stacked_tenants_evidence(
    messages: pd.DataFrame,
    rows: Mapping[str, np.ndarray],
    ends: Mapping[str, pd.Timestamp | None],
    keepalive_policy: KeepalivePolicy | None = None,
    *,
    registrations: bool = True,
) -> tuple[CaptureEvidence, dict[str, str]]:
    """:func:`tenants_evidence` before the split: all tenants' tables in one, their
    keys (extension, Call-ID) prefixed with the tenant's tag; returns the tables
    and each tenant's tag (``'0\x00'``, ``'1\x00'``... in the order of ``rows``).
    A tenant's rows are its rows of :func:`tenants_evidence`, in the same order
    (interleaved with the other tenants'); registrar events without an extension
    belong to no tenant."""
    policy = keepalive_policy or KeepalivePolicy()
    names = list(rows)
    positions = [np.asarray(rows[name], dtype=np.int64) for name in names]
    owner = np.repeat(np.arange(len(names)), [len(p) for p in positions])
    stacked = messages[_COLUMNS].take(np.concatenate(positions) if positions else [])
    stacked = stacked.reset_index(drop=True)
    prefix = pd.Series([f"{i}{_SEPARATOR}" for i in range(len(names))], dtype="string")
    tags = prefix.take(owner).reset_index(drop=True)
    stacked["call_id"] = tags + stacked["call_id"]
    stacked["to_user"] = tags + _line_user(stacked, policy)
    end_of = {tag: ends[name] for tag, name in zip(prefix, names, strict=True)}

    transactions = register_transactions(stacked)
    known = registration_events(stacked, transactions=transactions)
    bound = bindings_from_events(known, ends=_per_extension(known["extension"], end_of))
    probes = keepalives(stacked, bound, policy)
    # bindings end with their tenant's evidence, so each probe's tenant has an end
    probe_ends = pd.Series(
        [end_of[_tag(e)] for e in probes["extension"]], index=probes.index, dtype=probes["ts"].dtype
    )
    reachability = keepalive_events(probes, probe_ends, policy)
    derived = CaptureEvidence(
        registrations=registrations_table(transactions if registrations else transactions[:0]),
        events=merge_events([known, expiry_events(bound), reachability]),
        bindings=bound,
        keepalives=probes,
    )
    return derived, dict(zip(names, prefix, strict=True))


def _line_user(stacked: pd.DataFrame, policy: KeepalivePolicy) -> pd.Series:
    """The To user; for a keepalive request whose To has none, its Request-URI user."""
    users = stacked["to_user"].astype("string")
    blank = users.isna() | (users == "")
    probe = stacked["is_request"].fillna(False).astype(bool) & stacked["method"].isin(
        list(policy.methods)
    )
    fill = (blank & probe).to_numpy(dtype=bool)
    if not fill.any():
        return users
    uris = stacked["request_uri"].to_numpy(dtype=object)
    from_uri = pd.Series(
        [
            parse_uri(uri).user if wanted and isinstance(uri, str) else None
            for wanted, uri in zip(fill, uris, strict=True)
        ],
        index=users.index,
        dtype="string",
    )
    users = users.where(~fill, from_uri)
    return users


def _tag(extension: object) -> str:
    """The tenant prefix of a stacked extension."""
    return str(extension).split(_SEPARATOR, 1)[0] + _SEPARATOR


def _per_extension(
    extensions: pd.Series, end_of: Mapping[str, pd.Timestamp | None]
) -> dict[str, pd.Timestamp]:
    """Each stacked extension's end of evidence (none for a tenant without one)."""
    ends = {str(e): end_of[_tag(e)] for e in extensions.dropna().unique()}
    return {e: end for e, end in ends.items() if end is not None}


def _tenant_parts(derived: CaptureEvidence, tags: Mapping[str, str]) -> dict[str, CaptureEvidence]:
    """Each tenant's rows (keys prefixed with its tag), with the prefix removed."""
    tables = {
        "registrations": _split(derived.registrations, tags, ("extension", "call_id")),
        "events": _split(derived.events, tags, ("extension",)),
        "bindings": _split(derived.bindings, tags, ("extension",)),
        "keepalives": _split(derived.keepalives, tags, ("extension",)),
    }
    return {
        name: CaptureEvidence(**{t: parts[name] for t, parts in tables.items()}) for name in tags
    }


def _split(
    table: pd.DataFrame, tags: Mapping[str, str], columns: tuple[str, ...]
) -> dict[str, pd.DataFrame]:
    """Per tenant, the rows whose first key column starts with its tag, every key
    column without it; the table is grouped by tag once, not scanned once per tenant."""
    # each distinct key's tag once, not each row's
    codes, keys = pd.factorize(table[columns[0]].astype(object))
    key_tags = [_tag(k) if isinstance(k, str) else "" for k in keys]
    tag_codes = {tag: code for code, tag in enumerate(tags.values())}
    owner_of_key = np.array([tag_codes.get(t, -1) for t in key_tags] + [-1], dtype=np.int64)
    owners = owner_of_key[codes]  # a missing key (-1) takes the last slot: no tenant
    order = np.argsort(owners, kind="stable")
    bounds = np.searchsorted(owners[order], np.arange(len(tag_codes) + 1))
    parts: dict[str, pd.DataFrame] = {}
    for name, tag in tags.items():
        code = tag_codes[tag]
        positions = order[bounds[code] : bounds[code + 1]]
        part = table.take(positions).reset_index(drop=True)
        for column in columns:
            part[column] = part[column].str.slice(len(tag))
        parts[name] = part
    return parts
