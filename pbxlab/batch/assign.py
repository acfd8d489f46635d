"""Which rows of which parsed file belong to which tenant.

Strategy: rules are applied in a fixed order of precedence, each to the
evidence the previous ones left (docs/batch.md):

1. **Directory layout** -- a file under ``INPUT/NAME/`` is tenant ``NAME``'s, whole.
2. **SIP domain** -- a SIP dialog (Call-ID) goes to the tenant of a registration
   domain it names, or that was sent to a phone registered in that domain
   (:func:`pbxlab.analysis.tenants_messages`); the tenant map renames or merges
   domains (``acme.example.com`` -> ``acme``), an unmapped domain is a tenant
   named by the domain.
3. **Networks** of the tenant map -- a dialog with a message from or to an address
   in a mapped network; a log event whose source or contact address is in one.
4. **Phones** -- a log event from or about an address that registered (in the
   captures) in exactly one tenant.
5. Everything else is the :data:`UNMAPPED` pseudo-tenant: analysed and reported
   like a tenant, never dropped.

When nothing tells tenants apart (no tenant map, no directory layout, at most
one registration domain) the whole input is one tenant, named by its domain
(or ``default``), as ``pbxlab diagnose`` treats it.  Only the routing columns
of the messages (hosts, endpoints, Call-ID) are read here; the result is row
positions per file and table, which :mod:`pbxlab.batch.tenant` reads back.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pbxlab.analysis.sipvalues import contact_address, host_of
from pbxlab.analysis.tenants import sip_domains, tenants_messages
from pbxlab.batch.tenantmap import UNMAPPED, TenantMap
from pbxlab.batch.units import TABLES, UnitResult

__all__ = ["DEFAULT_TENANT", "Assignment", "TenantParts", "Unmapped", "assign_tenants"]

DEFAULT_TENANT = "default"
"""The tenant of an input that names no SIP domain and is not told apart otherwise."""

_ROUTING = [
    "call_id",
    "from_host",
    "to_host",
    "to_user",
    "is_request",
    "method",
    "src",
    "sport",
    "dst",
    "dport",
]
_HINTS = 10

Rows = np.ndarray | None  # sorted row positions in one unit's table; None: every row


@dataclass(frozen=True)
class TenantParts:
    """One tenant's evidence: table name -> unit index -> rows, and its input files."""

    tables: dict[str, dict[int, Rows]]
    inputs: tuple[Path, ...]

    def rows(self, table: str) -> int:
        """How many rows of ``table`` the tenant holds (None counts as unknown: -1)."""
        counts = [(-1 if r is None else len(r)) for r in self.tables.get(table, {}).values()]
        return -1 if -1 in counts else sum(counts)


@dataclass(frozen=True)
class Unmapped:
    """Evidence no rule assigned: row counts per table and file, and the names most
    often seen in it (``to_host`` of messages, ``source`` hosts of events) -- what a
    tenant map would need to name."""

    rows: dict[str, int] = field(default_factory=dict)
    by_file: dict[str, dict[str, int]] = field(default_factory=dict)
    hints: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return any(self.rows.values())


@dataclass(frozen=True)
class Assignment:
    """Tenants (sorted, :data:`UNMAPPED` last) with their parts, and what was unmapped."""

    tenants: dict[str, TenantParts]
    unmapped: Unmapped


class _Collector:
    """tenant -> table -> unit -> list of row arrays (merged at the end)."""

    def __init__(self, units: Sequence[UnitResult]) -> None:
        self.units = units
        self.parts: dict[str, dict[str, dict[int, list[np.ndarray] | None]]] = defaultdict(
            lambda: defaultdict(dict)
        )

    def whole(self, tenant: str, unit: int) -> None:
        for table in self.units[unit].rows:
            if table != "errors":
                self.parts[tenant][table][unit] = None

    def add(self, tenant: str, table: str, unit: int, rows: np.ndarray) -> None:
        if not len(rows):
            return
        slot = self.parts[tenant][table]
        current = slot.setdefault(unit, [])
        if current is not None:
            current.append(rows)

    def add_global(
        self, tenant: str, table: str, positions: np.ndarray, frame: pd.DataFrame
    ) -> None:
        """Rows given by positions in a frame with ``_unit``/``_row`` columns."""
        units = frame["_unit"].to_numpy()[positions]
        rows = frame["_row"].to_numpy()[positions]
        for unit in np.unique(units):
            self.add(tenant, table, int(unit), rows[units == unit])

    def build(self) -> dict[str, TenantParts]:
        out: dict[str, TenantParts] = {}
        names = sorted(n for n in self.parts if n != UNMAPPED)
        names += [UNMAPPED] if UNMAPPED in self.parts else []
        for name in names:
            tables: dict[str, dict[int, Rows]] = {}
            used: set[int] = set()
            for table, by_unit in self.parts[name].items():
                tables[table] = {}
                for unit, pieces in sorted(by_unit.items()):
                    merged = None if pieces is None else np.unique(np.concatenate(pieces))
                    tables[table][unit] = merged
                    used.add(unit)
            inputs = tuple(self.units[u].file.path for u in sorted(used))
            out[name] = TenantParts(tables, inputs)
        return out


def _routing_frame(
    units: Sequence[UnitResult], chosen: list[int], table: str, columns: list[str]
) -> pd.DataFrame:
    """The named columns of ``table`` of the chosen units, with ``_unit`` and ``_row``."""
    parts = []
    for unit in chosen:
        frame = units[unit].read(table, columns=columns)
        frame["_unit"] = np.int32(unit)
        frame["_row"] = np.arange(len(frame), dtype=np.int64)
        parts.append(frame)
    if not parts:
        empty = TABLES[table].empty()[columns]
        return empty.assign(_unit=np.array([], np.int32), _row=np.array([], np.int64))
    return pd.concat(parts, ignore_index=True)


def assign_tenants(units: Sequence[UnitResult], tenant_map: TenantMap | None = None) -> Assignment:
    """Give every row of every unit's messages, rtp_streams and events to tenants
    (see module doc for the rules and their precedence).  Returns an
    :class:`Assignment`; a row a dialog ties to two tenants (a call between
    them) is in both."""
    tenant_map = tenant_map or TenantMap()
    collect = _Collector(units)
    loose_captures: list[int] = []
    loose_logs: list[int] = []
    for i, unit in enumerate(units):
        if unit.file.layout_tenant is not None:
            collect.whole(unit.file.layout_tenant, i)
        elif unit.file.kind == "capture":
            loose_captures.append(i)
        else:
            loose_logs.append(i)
    messages = _routing_frame(units, loose_captures, "messages", _ROUTING)
    domains = [str(d) for d in sip_domains(messages)["domain"]] if len(messages) else []
    layout = len(loose_captures) + len(loose_logs) < len(units)
    if not tenant_map and not layout and len(domains) <= 1:
        name = domains[0] if domains else DEFAULT_TENANT
        for i in loose_captures + loose_logs:
            collect.whole(name, i)
        return Assignment(collect.build(), Unmapped())

    message_tenants = _message_tenants(messages, domains, tenant_map)
    for tenant, positions in message_tenants.items():
        collect.add_global(tenant, "messages", positions, messages)
    claimed = np.zeros(len(messages), dtype=bool)
    for positions in message_tenants.values():
        claimed[positions] = True
    unmapped_messages = np.flatnonzero(~claimed)
    collect.add_global(UNMAPPED, "messages", unmapped_messages, messages)

    rtp = _routing_frame(units, loose_captures, "rtp_streams", ["call_id"])
    unmapped_rtp = _assign_by_call(collect, rtp, messages, message_tenants)

    events = _routing_frame(units, loose_logs, "events", ["source", "contact"])
    phones = _phone_hosts(messages, message_tenants)
    event_tenants = _event_tenants(events, tenant_map, phones)
    for tenant in pd.unique(event_tenants.dropna()):
        collect.add_global(
            str(tenant), "events", np.flatnonzero((event_tenants == tenant).to_numpy()), events
        )
    unmapped_events = np.flatnonzero(event_tenants.isna().to_numpy())
    collect.add_global(UNMAPPED, "events", unmapped_events, events)

    unmapped = _summary(
        units,
        {"messages": (messages, unmapped_messages), "rtp_streams": (rtp, unmapped_rtp)},
        {"events": (events, unmapped_events)},
    )
    return Assignment(collect.build(), unmapped)


def _message_tenants(
    messages: pd.DataFrame, domains: list[str], tenant_map: TenantMap
) -> dict[str, np.ndarray]:
    """tenant -> sorted positions in ``messages`` (SIP domains, then mapped networks)."""
    found: dict[str, list[np.ndarray]] = defaultdict(list)
    known = {d.lower() for d in domains}
    wanted = domains + sorted(d for d in tenant_map.domains if d not in known)
    if len(messages):
        indexed = messages.assign(_pos=np.arange(len(messages)))
        for domain, frame in tenants_messages(indexed, wanted).items():
            if len(frame):
                tenant = tenant_map.tenant_of_domain(domain) or domain
                found[tenant].append(frame["_pos"].to_numpy())
    claimed = np.zeros(len(messages), dtype=bool)
    for pieces in found.values():
        for positions in pieces:
            claimed[positions] = True
    if tenant_map.networks and not claimed.all():
        for tenant, positions in _network_tenants(messages, claimed, tenant_map).items():
            found[tenant].append(positions)
    return {t: np.unique(np.concatenate(p)) for t, p in found.items()}


def _network_tenants(
    messages: pd.DataFrame, claimed: np.ndarray, tenant_map: TenantMap
) -> dict[str, np.ndarray]:
    """Unclaimed dialogs with a message from or to a mapped network (whole dialogs;
    a message without a Call-ID by its own addresses)."""
    rest = messages.loc[~claimed, ["call_id", "src", "dst"]].assign(_pos=np.flatnonzero(~claimed))
    addresses = pd.unique(pd.concat([rest["src"], rest["dst"]]).dropna())
    owner = {a: tenant_map.tenant_of_address(str(a)) for a in addresses}
    pairs = pd.concat(
        [
            pd.DataFrame({"_pos": rest["_pos"], "call_id": rest["call_id"], "tenant": side})
            for side in (rest["src"].map(owner), rest["dst"].map(owner))
        ],
        ignore_index=True,
    ).dropna(subset=["tenant"])
    by_call = pairs.dropna(subset=["call_id"])[["call_id", "tenant"]].drop_duplicates()
    with_call = rest.dropna(subset=["call_id"])[["_pos", "call_id"]].merge(by_call, on="call_id")
    without_call = pairs[pairs["call_id"].isna()][["_pos", "tenant"]]
    chosen = pd.concat([with_call[["_pos", "tenant"]], without_call], ignore_index=True)
    return {
        str(tenant): np.unique(group["_pos"].to_numpy())
        for tenant, group in chosen.groupby("tenant")
    }


def _assign_by_call(
    collect: _Collector,
    rtp: pd.DataFrame,
    messages: pd.DataFrame,
    message_tenants: dict[str, np.ndarray],
) -> np.ndarray:
    """Media streams go with the dialog whose SDP announced them; returns the
    positions of streams no tenant's dialog announced."""
    claimed = np.zeros(len(rtp), dtype=bool)
    calls = rtp["call_id"]
    for tenant, positions in message_tenants.items():
        tenant_calls = pd.unique(messages["call_id"].to_numpy()[positions])
        hit = calls.isin(pd.Series(tenant_calls).dropna()).to_numpy()
        collect.add_global(tenant, "rtp_streams", np.flatnonzero(hit), rtp)
        claimed |= hit
    unmapped = np.flatnonzero(~claimed)
    collect.add_global(UNMAPPED, "rtp_streams", unmapped, rtp)
    return unmapped


def _phone_hosts(messages: pd.DataFrame, message_tenants: dict[str, np.ndarray]) -> dict[str, str]:
    """IP -> tenant for addresses that sent REGISTERs in exactly one tenant."""
    is_register = (
        (messages["is_request"] & (messages["method"] == "REGISTER")).fillna(False).to_numpy(bool)
    )
    owners: dict[str, set[str]] = defaultdict(set)
    sources = messages["src"].to_numpy()
    for tenant, positions in message_tenants.items():
        for host in pd.unique(sources[positions[is_register[positions]]]):
            if isinstance(host, str):
                owners[host].add(tenant)
    return {host: next(iter(t)) for host, t in owners.items() if len(t) == 1}


def _address_host(value: str) -> str | None:
    """The host of an event's source (``ip``, ``ip:port``) or contact (URI or ip:port)."""
    if value.lower().startswith(("sip:", "sips:", "<sip")):
        address = contact_address(value.strip("<>"))
        return host_of(address) if address else None
    return host_of(value)


def _event_tenants(
    events: pd.DataFrame, tenant_map: TenantMap, phones: dict[str, str]
) -> pd.Series:
    """Each event's tenant (None when unmapped): mapped networks, mapped contact
    domains, then phones seen registering in the captures."""
    decided: dict[str, str | None] = {}

    def tenant_of(value: object, by_phone: bool) -> str | None:
        if not isinstance(value, str) or not value:
            return None
        key = f"{by_phone}|{value}"
        if key not in decided:
            host = _address_host(value)
            tenant = None
            if host:
                if by_phone:
                    tenant = phones.get(host)
                else:
                    tenant = tenant_map.tenant_of_address(host) or tenant_map.tenant_of_domain(host)
            decided[key] = tenant
        return decided[key]

    result: list[str | None] = []
    for source, contact in zip(events["source"], events["contact"], strict=True):
        result.append(
            tenant_of(source, False)
            or tenant_of(contact, False)
            or tenant_of(source, True)
            or tenant_of(contact, True)
        )
    return pd.Series(result, index=events.index, dtype="object")


def _summary(
    units: Sequence[UnitResult],
    message_tables: dict[str, tuple[pd.DataFrame, np.ndarray]],
    event_tables: dict[str, tuple[pd.DataFrame, np.ndarray]],
) -> Unmapped:
    rows: dict[str, int] = {}
    by_file: dict[str, dict[str, int]] = defaultdict(dict)
    hints: Counter[str] = Counter()
    for table, (frame, positions) in {**message_tables, **event_tables}.items():
        rows[table] = len(positions)
        unit_of = frame["_unit"].to_numpy()[positions]
        for unit, count in zip(*np.unique(unit_of, return_counts=True), strict=True):
            by_file[str(units[int(unit)].file.path)][table] = int(count)
    frame, positions = message_tables["messages"]
    hints.update(str(h) for h in frame["to_host"].to_numpy()[positions] if isinstance(h, str))
    frame, positions = event_tables["events"]
    for value in frame["source"].to_numpy()[positions]:
        host = _address_host(value) if isinstance(value, str) else None
        if host:
            hints[host] += 1
    return Unmapped(rows, dict(by_file), tuple(h for h, _ in hints.most_common(_HINTS)))
