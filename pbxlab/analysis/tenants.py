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
    is_register = messages["is_request"] & (messages["method"] == "REGISTER")
    phones = set(
        endpoints(
            messages.loc[is_register & named, "src"], messages.loc[is_register & named, "sport"]
        )
    )
    others = set(to_host[is_register].dropna()) - {wanted}
    named_other = from_host.isin(others).fillna(False) | to_host.isin(others).fillna(False)
    # requests towards the tenant's phones that name no other tenant (a PBX that itself
    # registers as a trunk must not pull in its own tenants' traffic)
    requests = messages[messages["is_request"] & ~is_register]
    towards_phone = endpoints(requests["dst"], requests["dport"]).isin(phones).to_numpy()
    mine = set(messages.loc[named, "call_id"].dropna())
    foreign = set(messages.loc[named_other, "call_id"].dropna()) - mine
    reached = set(requests.loc[towards_phone, "call_id"].dropna()) - foreign
    return messages[messages["call_id"].isin(mine | reached)].reset_index(drop=True)
