"""One tenant out of a multi-tenant capture: the SIP domain its phones register to.

Strategy: an extension is the user part of an AOR, so two tenants of one
hosted PBX that both have an extension 201 would be mixed if a capture of the
PBX node were analysed whole.  A tenant is identified by its SIP domain (the
host of the To URI its phones REGISTER to).  A SIP dialog or transaction
(one Call-ID) belongs to the tenant when any of its messages names the
domain in From or To, or when the platform sent it to an address that
registered in the domain (qualify OPTIONS, NOTIFYs and B2BUA legs towards a
phone carry the phone's address, not the domain).
"""

from __future__ import annotations

import pandas as pd

from pbxlab.analysis.sipvalues import endpoints

__all__ = ["sip_domains", "tenant_messages"]


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
    wanted = domain.lower()
    from_host = messages["from_host"].astype("string").str.lower()
    to_host = messages["to_host"].astype("string").str.lower()
    named = (from_host == wanted).fillna(False) | (to_host == wanted).fillna(False)
    registers = messages["is_request"] & (messages["method"] == "REGISTER") & named
    phones = set(endpoints(messages.loc[registers, "src"], messages.loc[registers, "sport"]))
    requests = messages[messages["is_request"]]
    towards_phone = endpoints(requests["dst"], requests["dport"]).isin(phones)
    call_ids = set(messages.loc[named, "call_id"].dropna()) | set(
        requests.loc[towards_phone.to_numpy(), "call_id"].dropna()
    )
    return messages[messages["call_id"].isin(call_ids)].reset_index(drop=True)
