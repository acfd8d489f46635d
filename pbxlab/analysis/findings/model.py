"""What every classifier shares: the finding record, evidence pointers, addresses.

A classifier appends :class:`Finding` s to a list; :func:`to_frame` turns the
list into the ``findings`` table (FINDINGS schema).  The classifiers may judge
all tenants of a capture at once: their keys (extension, Call-ID) then carry the
tenant as a tag (``'3\x00201'``, see :mod:`pbxlab.analysis.tenant_evidence`),
so every rule that groups by extension or call is per tenant by construction;
:func:`plain` gives the name a summary shows, :func:`tenant_tag` the tag.  Evidence is a list of
``'file:frame N'`` / ``'file:line N'`` strings, cut to the policy's maximum
(first and last occurrences kept, since those bound the problem in time).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from pbxlab.tables import FINDINGS

# Actions in the user guide's own words (seed/extensions-user-guide.txt).
REBOOT = "Reboot the phone"
RESET_PASSWORD = "Reset the SIP password"
FIX_NAT = "Fix the NAT/firewall"
SHORTEN_INTERVAL = "Shorten the registration interval"
ENABLE_KEEPALIVES = "Enable keepalives"


# between a tenant's tag and a key, as in pbxlab.analysis.tenant_evidence: never part of a
# SIP user or Call-ID (RFC 3261 25.1 allows no control characters)
TENANT_SEPARATOR = "\x00"


def plain(key: object) -> str:
    """The name a key stands for: ``'3\x00201'`` -> ``'201'``; an untagged key as text."""
    return str(key).split(TENANT_SEPARATOR, 1)[-1]


def tenant_tag(key: object) -> str:
    """The tenant tag of a key, separator included (``'3\x00'``); ``''`` when untagged."""
    text = str(key)
    cut = text.find(TENANT_SEPARATOR)
    return text[: cut + 1] if cut >= 0 else ""


@dataclass(frozen=True, slots=True)
class Finding:
    """One diagnosis before it becomes a row of the findings table."""

    code: str
    severity: str
    summary: str
    action: str
    extension: str | None = None
    source: str | None = None
    first_seen: pd.Timestamp | None = None
    last_seen: pd.Timestamp | None = None
    evidence: Sequence[str] = field(default_factory=tuple)
    domain: str | None = None


def to_frame(findings: Iterable[Finding], max_evidence: int) -> pd.DataFrame:
    """The findings table (FINDINGS schema) of ``findings``."""
    rows = list(findings)
    if not rows:
        return FINDINGS.empty()
    return FINDINGS.build(
        {
            "extension": [f.extension for f in rows],
            "domain": [f.domain for f in rows],
            "source": [f.source for f in rows],
            "code": [f.code for f in rows],
            "severity": [f.severity for f in rows],
            "first_seen": [_stamp(f.first_seen) for f in rows],
            "last_seen": [_stamp(f.last_seen) for f in rows],
            "summary": [f.summary for f in rows],
            "action": [f.action for f in rows],
            "evidence": [join_evidence(f.evidence, max_evidence) for f in rows],
        }
    )


def _stamp(value: pd.Timestamp | None) -> pd.Timestamp | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value)


def positions_by_value(values: pd.Series) -> dict[Any, np.ndarray]:
    """The positions (ascending) of each distinct value of ``values``, missing ones
    left out: ``groupby(values).indices`` without pandas' per-group costs."""
    codes, distinct = pd.factorize(values)  # -1: missing
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(distinct) + 1))
    return {
        value: order[bounds[code] : bounds[code + 1]]
        for code, value in enumerate(distinct.tolist())
    }


def evidence_ref(source_file: object, number: object, unit: str = "frame") -> str | None:
    """``'file:frame N'`` (or ``'file:line N'``), None when the number is unknown."""
    if not present(number):
        return None
    name = os.path.basename(str(source_file)) if _present(source_file) else "?"
    return f"{name}:{unit} {int(str(number))}"


def split_evidence(values: Iterable[object]) -> list[str]:
    """Flatten ';'-joined evidence strings (as the derived tables store them)."""
    out: list[str] = []
    for value in values:
        if _present(value):
            out.extend(part.strip() for part in str(value).split(";") if part.strip())
    return out


def join_evidence(evidence: Sequence[str], limit: int) -> str:
    """Unique pointers in order, at most ``limit`` (the first ones and the last one)."""
    unique = [e for e in dict.fromkeys(evidence) if e]
    if len(unique) > limit >= 2:
        unique = [*unique[: limit - 1], unique[-1]]
    return ";".join(unique[:limit])


def _present(value: object) -> bool:
    if type(value) is str:  # the common case first: no NA checks needed
        return True
    return (
        value is not None
        and not (isinstance(value, float) and pd.isna(value))
        and (value is not pd.NA and value is not pd.NaT)
    )


def present(value: object) -> bool:
    """True for a real value (not None / NA / NaN / NaT / '')."""
    if type(value) is str:  # the common case first: no NA checks needed
        return value != ""
    return _present(value) and value != ""


@lru_cache(maxsize=65536)
def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


@lru_cache(maxsize=16)
def _networks(
    networks: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(n) for n in networks)


def is_ip(text: object) -> bool:
    """Whether ``text`` is an IP address literal (not a host name)."""
    return present(text) and _ip(str(text)) is not None


def is_private(text: object, networks: tuple[str, ...]) -> bool:
    """Whether ``text`` is an IP address inside one of ``networks``."""
    if not present(text):
        return False
    return _private(str(text), networks)


@lru_cache(maxsize=65536)
def _private(text: str, networks: tuple[str, ...]) -> bool:
    address = _ip(text)
    if address is None:
        return False
    return any(address.version == n.version and address in n for n in _networks(networks))


def site_of(host: object, prefix_v4: int, prefix_v6: int) -> str | None:
    """The network (site) an address belongs to: its /prefix; None for non-addresses."""
    if not present(host):
        return None
    address = _ip(str(host))
    if address is None:
        return None
    prefix = prefix_v4 if address.version == 4 else prefix_v6
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def host_of(address: object) -> str | None:
    """The host of ``'ip:port'``, ``'[v6]:port'`` or a bare address."""
    if not present(address):
        return None
    text = str(address)
    if text.startswith("["):
        return text[1 : text.index("]")] if "]" in text else text
    if text.count(":") == 1:
        return text.split(":", 1)[0]
    return text


def uri_hostport(uri: object) -> tuple[str | None, int | None]:
    """Host and port of a SIP URI such as ``sip:201@192.168.1.2:5060;transport=udp``."""
    if not present(uri):
        return None, None
    text = str(uri).strip().strip("<>")
    if ":" in text and text.split(":", 1)[0].lower() in {"sip", "sips", "tel"}:
        text = text.split(":", 1)[1]
    text = text.split(";", 1)[0].split("?", 1)[0]
    text = text.rsplit("@", 1)[-1]
    if text.startswith("["):
        end = text.find("]")
        host = text[1:end] if end > 0 else text
        rest = text[end + 1 :] if end > 0 else ""
        port = rest[1:] if rest.startswith(":") else ""
    elif text.count(":") == 1:
        host, port = text.split(":", 1)
    else:
        host, port = text, ""
    return (host or None), (int(port) if port.isdigit() else None)


def mid_sentence(action: str) -> str:
    """An action phrase for the middle of a sentence: 'Reboot the phone' -> 'reboot the phone'."""
    return action[:1].lower() + action[1:]


def plural(count: int, word: str, many: str | None = None) -> str:
    """``'1 REGISTER'`` / ``'3 REGISTERs'``."""
    return f"{count} {word if count == 1 else (many or word + 's')}"


def fmt_duration(delta: pd.Timedelta) -> str:
    """``'45 s'``, ``'12 min'``, ``'3.5 h'``: how a customer reads a duration."""
    seconds = delta.total_seconds()
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
