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
"phone" of the upstream domain).  Hosts, ``ip:port`` endpoints and Call-IDs are
compared as integer codes (each column factorised once), so a capture with
many domains costs a few whole-column comparisons per domain.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["sip_domains", "tenant_messages", "tenants_messages", "tenants_rows"]


def sip_domains(messages: pd.DataFrame) -> pd.DataFrame:
    """Registration domains of a capture: columns domain, extensions, registers (most first)."""
    # the two columns read, not the wide frame's rows
    registers = messages[["to_host", "to_user"]][
        messages["is_request"] & (messages["method"] == "REGISTER")
    ]
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
    # hosts, endpoints and Call-IDs as integer codes once: each domain then costs a few
    # integer comparisons over whole columns, never a Python loop over rows
    from_code, to_code, host_index = _host_codes(messages)
    is_request = messages["is_request"].fillna(False).to_numpy(dtype=bool)
    is_register = is_request & (messages["method"] == "REGISTER").fillna(False).to_numpy(bool)
    calls, _ = pd.factorize(messages["call_id"])  # -1 for a missing Call-ID
    call_count = int(calls.max()) + 1 if len(calls) else 0
    requests = is_request & ~is_register
    register_endpoints, request_endpoints, endpoint_count = _endpoint_codes(
        messages, is_register, requests
    )
    register_domains = np.zeros(len(host_index) + 1, dtype=bool)  # the last slot: no host
    register_domains[to_code[is_register]] = True
    register_domains[-1] = False
    names_domain = register_domains[from_code], register_domains[to_code]
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
        phones = np.zeros(endpoint_count, dtype=bool)
        phones[register_endpoints[named[is_register]]] = True
        named_other = (names_domain[0] & (from_code != wanted)) | (
            names_domain[1] & (to_code != wanted)
        )
        mine = call_set(named)
        foreign = call_set(named_other) & ~mine
        # requests towards the tenant's phones that name no other tenant (a PBX that itself
        # registers as a trunk must not pull in its own tenants' traffic)
        reached = np.zeros(call_count, dtype=bool)
        codes = request_calls[phones[request_endpoints]]
        reached[codes[codes >= 0]] = True
        keep = mine | (reached & ~foreign)
        rows = (calls >= 0) & keep[np.maximum(calls, 0)]
        out[domain] = np.flatnonzero(rows)
    return out


def _host_codes(messages: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """Codes of the From and To hosts, lower-cased (-1: none; the same code for the
    same host in both), and each host's code."""
    hosts = pd.concat(
        [messages["from_host"].astype("string"), messages["to_host"].astype("string")],
        ignore_index=True,
    )
    codes, names = pd.factorize(hosts)
    # the distinct names lower-cased, not every row
    lowered, lowered_names = pd.factorize(pd.Series(names, dtype="string").str.lower())
    codes = np.where(codes >= 0, np.append(lowered, -1)[codes], -1)
    host_index = {str(name): code for code, name in enumerate(lowered_names)}
    return codes[: len(messages)], codes[len(messages) :], host_index


def _endpoint_codes(
    messages: pd.DataFrame, registers: np.ndarray, requests: np.ndarray
) -> tuple[np.ndarray, np.ndarray, int]:
    """Codes of the REGISTERs' source endpoints and of the other requests' destination
    endpoints (:func:`pbxlab.analysis.sipvalues.endpoint`: equal codes for equal
    ``ip:port``, one code for an unknown address), and the number of codes."""
    ips = pd.concat(
        [messages["src"][registers], messages["dst"][requests]], ignore_index=True
    ).astype("string")
    ports = pd.concat(
        [messages["sport"][registers], messages["dport"][requests]], ignore_index=True
    )
    ip_codes = pd.factorize(ips)[0].astype(np.int64)
    port_codes = pd.factorize(ports.astype("Int64"))[0].astype(np.int64) + 1  # missing: 0
    pairs = ip_codes * (int(port_codes.max(initial=0)) + 1) + port_codes
    codes = pd.factorize(np.where(ip_codes >= 0, pairs, -1))[0]  # unknown address: one code
    split = int(registers.sum())
    return codes[:split], codes[split:], int(codes.max(initial=-1)) + 1
