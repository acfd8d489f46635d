"""One tenant out of a multi-tenant capture: the SIP domain its phones register to.

Strategy: an extension is the user part of an AOR, so two tenants of one
hosted PBX that both have an extension 201 would be mixed if a capture of the
PBX node were analysed whole.  A tenant is identified by its SIP domain (the
host of the To URI its phones REGISTER to).  A SIP dialog or transaction
(one Call-ID) belongs to the tenant when any of its messages names the
domain in From or To, or when the platform sent it to an address that
registered in the domain (qualify OPTIONS, NOTIFYs and B2BUA legs towards a
phone carry the phone's address, not the domain) -- unless it names another
registration domain (a PBX registering upstream as a trunk is itself a
"phone" of the upstream domain).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pbxlab.analysis.sipvalues import endpoints

__all__ = ["sip_domains", "tenant_messages", "tenants_messages", "tenants_rows"]


def sip_domains(messages: pd.DataFrame) -> pd.DataFrame:
    """Registration domains of a capture: columns domain, extensions, registers (most first)."""
    registers = messages[messages["is_request"] & (messages["method"] == "REGISTER")]
    domains = registers["to_host"].astype("string").str.lower()
    frame = pd.DataFrame({"domain": domains, "extension": registers["to_user"]}).dropna(
        subset=["domain"]
    )
    summary = frame.groupby("domain").agg(
        extensions=("extension", "nunique"), registers=("extension", "size")
    )
    ordered = summary.sort_values(["registers", "extensions"], ascending=False).reset_index()
    return ordered.astype({"domain": "string", "extensions": "Int64", "registers": "Int64"})


def tenant_messages(messages: pd.DataFrame, domain: str) -> pd.DataFrame:
    """The rows of ``messages`` belonging to the tenant of SIP ``domain`` (see module doc).

    Comparison is case-insensitive; returns an empty frame (same columns)
    when nothing belongs to the domain.
    """
    return tenants_messages(messages, [domain])[domain]


def tenants_messages(messages: pd.DataFrame, domains: list[str]) -> dict[str, pd.DataFrame]:
    """:func:`tenant_messages` of each of ``domains`` (keyed as given), sharing the work
    that does not depend on the domain (hosts, endpoints and Call-IDs are factorised
    once, so each domain costs a few integer comparisons)."""
    return {
        domain: messages.take(rows).reset_index(drop=True)
        for domain, rows in tenants_rows(messages, domains).items()
    }


def tenants_rows(messages: pd.DataFrame, domains: list[str]) -> dict[str, np.ndarray]:
    """The positions (ascending) of each domain's rows in ``messages`` (see
    :func:`tenants_messages`); a message may belong to several tenants."""
    from_host = messages["from_host"].astype("string").str.lower()
    to_host = messages["to_host"].astype("string").str.lower()
    is_register = (
        (messages["is_request"] & (messages["method"] == "REGISTER")).fillna(False).to_numpy(bool)
    )
    hosts, host_names = pd.factorize(pd.concat([from_host, to_host], ignore_index=True))
    from_code, to_code = hosts[: len(messages)], hosts[len(messages) :]
    host_index = {str(name): code for code, name in enumerate(host_names)}
    calls, _ = pd.factorize(messages["call_id"])  # -1 for a missing Call-ID
    call_count = int(calls.max()) + 1 if len(calls) else 0
    register_endpoints = endpoints(
        messages.loc[is_register, "src"], messages.loc[is_register, "sport"]
    ).to_numpy(dtype=object)
    register_domains = {host_index[str(h)] for h in to_host[is_register].dropna()}
    requests = messages["is_request"].fillna(False).to_numpy(dtype=bool) & ~is_register
    request_endpoints = endpoints(messages.loc[requests, "dst"], messages.loc[requests, "dport"])
    request_calls = calls[requests]

    def call_set(rows: np.ndarray) -> np.ndarray:
        """Which Call-IDs (by code) occur on the rows."""
        found = np.zeros(call_count, dtype=bool)
        codes = calls[rows]
        found[codes[codes >= 0]] = True
        return found

    out: dict[str, np.ndarray] = {}
    for domain in domains:
        wanted = host_index.get(domain.lower(), -2)
        named = (from_code == wanted) | (to_code == wanted)
        phones = set(register_endpoints[named[is_register]])
        others = np.array(sorted(register_domains - {wanted}), dtype=hosts.dtype)
        named_other = np.isin(from_code, others) | np.isin(to_code, others)
        mine = call_set(named)
        foreign = call_set(named_other) & ~mine
        # requests towards the tenant's phones that name no other tenant (a PBX that itself
        # registers as a trunk must not pull in its own tenants' traffic)
        towards_phone = request_endpoints.isin(phones).to_numpy()
        reached = np.zeros(call_count, dtype=bool)
        codes = request_calls[towards_phone]
        reached[codes[codes >= 0]] = True
        keep = mine | (reached & ~foreign)
        rows = (calls >= 0) & keep[np.maximum(calls, 0)]
        out[domain] = np.flatnonzero(rows)
    return out
