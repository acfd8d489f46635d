"""Tenant mapping files: which SIP domains and networks belong to which tenant.

Strategy: a mapping is a list of rules, each "this domain (or this IP network)
is tenant T".  Two file formats say the same thing -- TOML for people, CSV for
exports from a provisioning system -- and both parse (from text, no I/O) into
one :class:`TenantMap`.  Conflicts are errors naming the offending line or
table: the same domain or the same network given to two tenants.  Matching is
case-insensitive for domains; a ``*.example.com`` rule covers every subdomain
of ``example.com`` (an exact rule wins over a wildcard); an address inside
several networks belongs to the most specific one (longest prefix), the way a
router would decide.

TOML::

    [tenants.acme]
    domains = ["acme.example.com", "*.acme.example"]
    networks = ["203.0.113.0/24", "2001:db8:1::/48"]

    [tenants.beta]
    domains = ["beta.example.net"]

CSV (header required; ``match`` is a domain, an IP address or a CIDR; an
optional ``kind`` column says ``domain`` for a SIP domain written as an IP
address, which is otherwise a network)::

    match,tenant,kind
    acme.example.com,acme,
    203.0.113.0/24,acme,
    192.0.2.10,lab,domain

In TOML an address under ``domains`` is such a SIP domain.
"""

from __future__ import annotations

import csv
import io
import ipaddress
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pbxlab.errors import InputError, Location

__all__ = ["UNMAPPED", "TenantMap", "load_tenant_map", "parse_csv_map", "parse_toml_map"]

UNMAPPED = "(unmapped)"
"""The pseudo-tenant of evidence no rule assigns (reported, analysed, never dropped)."""

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# RFC 1035 labels (letters, digits, hyphens; underscores tolerated as seen in SRV names)
_DOMAIN = re.compile(r"^(?:\*\.)?(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_-]+$")


@dataclass(frozen=True)
class TenantMap:
    """Rules giving SIP domains and IP networks to tenants (see module doc).

    ``domains``: exact domain (lower case) -> tenant; ``wildcards``: parent
    domain of a ``*.`` rule -> tenant; ``networks``: (network, tenant), most
    specific first.
    """

    domains: dict[str, str] = field(default_factory=dict)
    wildcards: dict[str, str] = field(default_factory=dict)
    networks: tuple[tuple[Network, str], ...] = ()

    @property
    def tenants(self) -> list[str]:
        """Every tenant some rule names, sorted."""
        named = set(self.domains.values()) | set(self.wildcards.values())
        return sorted(named | {tenant for _, tenant in self.networks})

    def __bool__(self) -> bool:
        return bool(self.domains or self.wildcards or self.networks)

    def tenant_of_domain(self, domain: str) -> str | None:
        """The tenant of SIP ``domain`` (exact rule first, then the closest wildcard), or None."""
        name = domain.lower().rstrip(".")
        exact = self.domains.get(name)
        if exact is not None:
            return exact
        labels = name.split(".")
        for i in range(1, len(labels)):
            parent = ".".join(labels[i:])
            if parent in self.wildcards:
                return self.wildcards[parent]
        return None

    def tenant_of_address(self, address: str) -> str | None:
        """The tenant of the most specific network holding IP ``address``, or None
        (also for text that is not an IP address)."""
        try:
            ip = ipaddress.ip_address(address.strip("[]"))
        except ValueError:
            return None
        for network, tenant in self.networks:
            if ip.version == network.version and ip in network:
                return tenant
        return None


class _Builder:
    """Collects rules, refusing a domain or network given to two tenants."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.domains: dict[str, str] = {}
        self.wildcards: dict[str, str] = {}
        self.networks: dict[Network, str] = {}

    def add(self, match: str, tenant: str, where: Location, kind: str = "") -> None:
        """Add a rule; ``kind`` is domain, network, or empty to tell by the text."""
        match, tenant, kind = match.strip(), tenant.strip(), kind.strip().lower()
        if not tenant:
            raise InputError(f"empty tenant name for {match!r}", where)
        if tenant == UNMAPPED:
            raise InputError(f"{UNMAPPED!r} is reserved for evidence no rule maps", where)
        if not match:
            raise InputError(f"empty domain or network for tenant {tenant!r}", where)
        if kind not in ("", "domain", "network"):
            raise InputError(f"unknown kind {kind!r}: use domain or network", where)
        network = _network(match)
        if kind == "network" and network is None:
            raise InputError(f"{match!r} is not an IP address or network (CIDR)", where)
        if network is not None and kind != "domain":
            self._put(self.networks, network, tenant, str(network), where)
            return
        domain = match.lower().rstrip(".")
        if kind == "domain" and _is_address(domain):
            # a SIP domain written as an address: phones REGISTER to sip:201@192.0.2.10
            self._put(self.domains, domain.strip("[]"), tenant, domain, where)
            return
        if not _DOMAIN.match(domain):
            raise InputError(
                f"{match!r} is neither a domain, an IP address nor a network (CIDR)", where
            )
        if domain.startswith("*."):
            self._put(self.wildcards, domain[2:], tenant, domain, where)
        else:
            self._put(self.domains, domain, tenant, domain, where)

    @staticmethod
    def _put(rules: dict[Any, str], key: Any, tenant: str, shown: str, where: Location) -> None:
        previous = rules.get(key)
        if previous is not None and previous != tenant:
            raise InputError(
                f"{shown!r} is mapped to two tenants: {previous!r} and {tenant!r}", where
            )
        rules[key] = tenant

    def build(self) -> TenantMap:
        ordered = sorted(self.networks.items(), key=lambda item: -item[0].prefixlen)
        return TenantMap(dict(self.domains), dict(self.wildcards), tuple(ordered))


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True


def _network(text: str) -> Network | None:
    try:
        return ipaddress.ip_network(text.strip("[]"), strict=False)
    except ValueError:
        return None


def parse_toml_map(text: str, source: str = "<tenant map>") -> TenantMap:
    """A :class:`TenantMap` from TOML text (``[tenants.NAME]`` tables with ``domains``
    and ``networks`` lists).  Raises InputError naming ``source`` and the tenant."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", Location(source)) from exc
    tenants = document.get("tenants")
    unknown = set(document) - {"tenants"}
    if unknown:
        raise InputError(
            f"unknown top-level keys {sorted(unknown)}; expected [tenants.NAME] tables",
            Location(source),
        )
    if not isinstance(tenants, dict) or not tenants:
        raise InputError("no [tenants.NAME] tables", Location(source))
    builder = _Builder(source)
    for name, table in tenants.items():
        where = Location(f"{source} [tenants.{name}]")
        if not isinstance(table, dict):
            raise InputError("expected a table with domains and networks lists", where)
        extra = set(table) - {"domains", "networks"}
        if extra:
            raise InputError(f"unknown keys {sorted(extra)}; use domains and networks", where)
        for key in ("domains", "networks"):
            values = table.get(key, [])
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise InputError(f"{key} must be a list of strings, got {values!r}", where)
            for value in values:
                if key == "domains" and _network(value) is not None and not _is_address(value):
                    raise InputError(f"{value!r} is a network: list it under networks", where)
                builder.add(value, str(name), where, key.rstrip("s"))
    return builder.build()


def parse_csv_map(text: str, source: str = "<tenant map>") -> TenantMap:
    """A :class:`TenantMap` from CSV text with a ``match,tenant[,kind]`` header (match:
    a domain, ``*.domain``, an IP or a CIDR; kind: ``domain`` or ``network``, by
    default told by the text -- an IP is a network unless kind says ``domain``).
    Raises InputError naming the line."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None or [h.strip().lower() for h in header[:2]] != ["match", "tenant"]:
        raise InputError(
            f"the first line must be the header 'match,tenant', got {header!r}",
            Location(source, line=1),
        )
    builder = _Builder(source)
    for row in reader:
        line = reader.line_num
        if not row or all(not cell.strip() for cell in row) or row[0].lstrip().startswith("#"):
            continue
        if len(row) < 2:
            raise InputError(f"expected 'match,tenant', got {row!r}", Location(source, line=line))
        kind = row[2] if len(row) > 2 else ""
        builder.add(row[0], row[1], Location(source, line=line), kind)
    return builder.build()


def load_tenant_map(path: str | Path) -> TenantMap:
    """Read a tenant mapping file: ``.toml`` or ``.csv`` (see module doc).

    Raises InputError for a missing file, another extension, or a bad rule.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".toml", ".csv"):
        raise InputError("a tenant map is a .toml or .csv file", Location(str(path)))
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputError("no such file", Location(str(path))) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the tenant map: {exc}", Location(str(path))) from exc
    if suffix == ".toml":
        return parse_toml_map(text, str(path))
    return parse_csv_map(text, str(path))
