"""Which rows of a capture's tables belong to which tenant, for judging all tenants at once.

Strategy: a multi-tenant capture is diagnosed tenant by tenant, each tenant
with its own messages (:func:`pbxlab.analysis.tenants.tenants_rows`; a message
may belong to several), the transactions and media of the calls those messages
hold, and its own end of evidence.  Running every rule once per tenant pays
pandas' fixed costs once per tenant; instead each table's rows are *stacked*
-- a row once for each tenant it belongs to -- and the keys the rules group by
carry the tenant as a tag (``'3\\x00201'``, as
:mod:`pbxlab.analysis.tenant_evidence` does for the derived tables), so a rule
that reads per extension or per call gives per-tenant results by construction.
:class:`TenantRows` holds the memberships as integer arrays (tenant code, row
position), computed once from the Call-IDs; :func:`tag_keys` prefixes a key
column with each row's tag and :func:`tenant_codes` reads the tenant back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pbxlab.analysis.findings.model import TENANT_SEPARATOR

__all__ = ["TenantRows", "latest", "tag_keys", "tenant_codes", "tenant_tags"]


def tenant_tags(count: int) -> np.ndarray:
    """The tags of ``count`` tenants, in order: ``'0\\x00'``, ``'1\\x00'``... (as
    :func:`pbxlab.analysis.tenant_evidence.stacked_tenants_evidence` names them)."""
    return np.array([f"{i}{TENANT_SEPARATOR}" for i in range(count)], dtype=object)


@dataclass(frozen=True)
class TenantRows:
    """The messages of each tenant, stacked, and the Call-IDs they hold.

    ``owner``/``rows``: for each stacked message, its tenant's code (position in
    ``names``) and its position in the messages table, tenant by tenant in row
    order.  ``calls`` are the distinct Call-IDs of the messages, ``call_pairs``
    the distinct (tenant code, call code) pairs the tenants' messages hold.
    """

    names: list[str]
    owner: np.ndarray
    rows: np.ndarray
    calls: pd.Index
    call_pairs: tuple[np.ndarray, np.ndarray]

    @classmethod
    def of(cls, messages: pd.DataFrame, rows: Mapping[str, np.ndarray]) -> TenantRows:
        """The memberships of ``rows`` (each tenant's positions in ``messages``)."""
        names = list(rows)
        positions = [np.asarray(rows[name], dtype=np.int64) for name in names]
        owner = np.repeat(np.arange(len(names), dtype=np.int64), [len(p) for p in positions])
        stacked = np.concatenate(positions) if positions else np.array([], dtype=np.int64)
        codes, calls = pd.factorize(messages["call_id"])  # -1: no Call-ID
        held = codes[stacked]
        pairs = np.unique(owner[held >= 0] * (len(calls) + 1) + held[held >= 0])
        return cls(
            names=names,
            owner=owner,
            rows=stacked,
            calls=pd.Index(calls),
            call_pairs=(pairs // (len(calls) + 1), pairs % (len(calls) + 1)),
        )

    def by_call(self, call_ids: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        """Tenant codes and positions of the rows of a table (its Call-ID column given)
        whose Call-ID occurs in the tenant's messages: tenant by tenant, in row order."""
        codes = self.calls.get_indexer(pd.Index(call_ids))
        codes[call_ids.isna().to_numpy(dtype=bool)] = -1
        order = np.argsort(codes, kind="stable")  # the rows of each call together
        ordered = codes[order]
        tenants, wanted = self.call_pairs
        starts = np.searchsorted(ordered, wanted, side="left")
        lengths = np.searchsorted(ordered, wanted, side="right") - starts
        owner = np.repeat(tenants, lengths)
        # position k of the run of pair p: starts[p] + k
        offsets = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        found = order[np.repeat(starts, lengths) + offsets]
        # row order within each tenant: one sort of (tenant, row) packed in an integer
        size = max(len(codes), 1)
        packed = np.sort(owner * size + found)
        return packed // size, packed % size

    def mask(self, owner: np.ndarray, rows: np.ndarray, size: int, tenant: int) -> np.ndarray:
        """Boolean mask over a table of ``size`` rows: the rows of one tenant."""
        out = np.zeros(size, dtype=bool)
        out[rows[owner == tenant]] = True
        return out


def tag_keys(values: pd.Series, owner: np.ndarray, tags: np.ndarray) -> pd.Series:
    """``values`` (one per stacked row) prefixed with their row's tenant tag; a missing
    value stays missing."""
    prefix = pd.Series(tags[owner], dtype="string", index=values.index)
    return prefix + values.astype("string")


def tenant_codes(keys: pd.Series, count: int) -> np.ndarray:
    """Each tagged key's tenant code (-1 for a missing or untagged key, or a tag
    beyond ``count`` tenants); each distinct key is read once."""
    codes, distinct = pd.factorize(keys.astype(object))
    known = {tag: code for code, tag in enumerate(tenant_tags(count))}
    owner = [
        known.get(key.split(TENANT_SEPARATOR, 1)[0] + TENANT_SEPARATOR, -1)
        if isinstance(key, str) and TENANT_SEPARATOR in key
        else -1
        for key in distinct
    ]
    return np.array([*owner, -1], dtype=np.int64)[codes]


def latest(
    stamps: Sequence[tuple[np.ndarray, pd.Series]], count: int, *, missing_is_none: bool
) -> list[pd.Timestamp | None]:
    """Per tenant, the latest of the timestamps given as (tenant code per row, times).

    A tenant without rows gets None; one whose rows are all missing NaT, or None
    with ``missing_is_none``.
    """
    latest_ns = np.full(count, np.iinfo(np.int64).min, dtype=np.int64)
    seen = np.zeros(count, dtype=bool)
    tz = None
    for owners, times in stamps:
        keep = owners >= 0
        if not keep.any():
            continue
        tz = getattr(times.dtype, "tz", None) or tz
        values = times.to_numpy(dtype="datetime64[ns]")[keep].view(np.int64)
        seen[owners[keep]] = True
        np.maximum.at(latest_ns, owners[keep], values)  # NaT is the smallest int64: ignored
    out: list[pd.Timestamp | None] = []
    for tenant in range(count):
        if not seen[tenant]:
            out.append(None)
        elif latest_ns[tenant] == np.iinfo(np.int64).min:
            out.append(None if missing_is_none else pd.Timestamp("NaT"))  # pd.NaT, typed
        else:
            out.append(pd.Timestamp(latest_ns[tenant], unit="ns", tz=tz))
    return out
