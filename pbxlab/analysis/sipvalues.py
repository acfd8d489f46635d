"""Small value helpers shared by the analysis modules: addresses, contacts, evidence.

Strategy: the ingest tables keep SIP values as sent; analysis compares them.
Contacts are compared by (user, host, port) with the host lower-cased and the
default port filled in (RFC 3261 19.1.4 compares URIs component-wise; URI
parameters such as ``transport`` or ``ob`` do not make a different binding in
practice).  Addresses are rendered ``ip:port`` (``[v6]:port``), the form used
in every derived table.  Evidence points back at the capture frame or log
line as ``file:frame N`` / ``file:line N``.
"""

from __future__ import annotations

import functools
import re
from collections import namedtuple
from collections.abc import Iterator
from pathlib import PurePath
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pbxlab.capture.sip.fields import parse_name_addr, parse_uri, split_list

# RFC 3261 17.1.1.2 / 17.1.2.2: Timer B and Timer F = 64*T1 = 32 s with T1 = 500 ms;
# a client transaction without a final response by then has timed out.
TIMER_F = pd.Timedelta(seconds=32)

DEFAULT_SIP_PORT = 5060  # RFC 3261 19.1.2

_CAPTURE_SUFFIXES = (".pcap", ".pcapng", ".cap", ".pcap.gz", ".pcapng.gz", ".cap.gz")
_EVIDENCE_NUMBER_RE = r":(?:frame|line) (\d+)"
_EVIDENCE_NUMBER_GROUP = r":(?:frame|line) (?P<number>\d+)"
_EXPIRES_RE = re.compile(r"expires\D{0,3}(\d+)", re.IGNORECASE)


class ListedContact(NamedTuple):
    """One entry of a Contact header: URI, its expires parameter, received parameter."""

    uri: str
    expires: int | None
    received: str | None


def endpoint(ip: Any, port: Any) -> str | None:
    """``ip:port`` (``[ip]:port`` for IPv6); None when the address is unknown."""
    if ip is None or ip is pd.NA or (isinstance(ip, float) and pd.isna(ip)):
        return None
    host = f"[{ip}]" if ":" in str(ip) else str(ip)
    if port is None or port is pd.NA or (isinstance(port, float) and pd.isna(port)):
        return host
    return f"{host}:{int(port)}"


def endpoints(ips: pd.Series, ports: pd.Series) -> pd.Series:
    """:func:`endpoint` over two columns at once (a ``string`` Series, NA for no ip)."""
    return pd.Series(endpoint_values(ips, ports), index=ips.index, dtype="string")


def endpoint_values(ips: pd.Series, ports: pd.Series) -> np.ndarray:
    """:func:`endpoint` over two columns at once, as Python values (None for no ip).

    Phones and servers reuse few addresses: each distinct (ip, port) pair is
    rendered once and the rows pick theirs by code.
    """
    ip_codes, ip_values = pd.factorize(ips)
    port_codes, port_values = pd.factorize(ports)
    width = len(port_values) + 1
    pairs = np.where(ip_codes < 0, -1, ip_codes.astype(np.int64) * width + port_codes + 1)
    codes, distinct = pd.factorize(pairs)
    hosts, numbers = list(ip_values), list(port_values)
    rendered = np.empty(len(distinct), dtype=object)
    for k, pair in enumerate(distinct.tolist()):
        ip, port = divmod(pair, width)
        rendered[k] = None if pair < 0 else endpoint(hosts[ip], numbers[port - 1] if port else None)
    values: np.ndarray = rendered[codes]
    return values


def key_codes(*columns: pd.Series) -> np.ndarray:
    """One integer per row naming its combination of values (missing values match each other).

    Equal rows get equal codes, as ``drop_duplicates`` or a merge on these
    columns would match them; the codes are numbered by first appearance.
    """
    codes = np.zeros(len(columns[0]), dtype=np.int64)
    for column in columns:
        other, uniques = pd.factorize(column)
        # pairwise, so the combined code stays below len(rows) ** 2
        codes = pd.factorize(codes * (len(uniques) + 1) + other + 1)[0].astype(np.int64)
    return codes


def utc_column(nanoseconds: Any) -> pd.Series:
    """A UTC time column from nanoseconds since the epoch (``None``: NaT).

    The derivation keeps times as integers while it walks the evidence;
    this turns them back into the tables' time dtype at once.
    """
    values = np.array(
        [_NAT if v is None else v for v in nanoseconds]
        if isinstance(nanoseconds, list)
        else nanoseconds,
        dtype=np.int64,
    )
    return pd.Series(values.view("datetime64[ns]")).dt.tz_localize("UTC")


_NAT = np.iinfo(np.int64).min  # how datetime64 stores NaT


def python_values(column: pd.Series) -> np.ndarray:
    """The values of ``column`` as Python objects (str, int, bool, Timestamp), None when missing.

    Converting a whole column at once costs far less than reading an
    Arrow-backed or nullable column value by value.
    """
    if isinstance(column.dtype, pd.CategoricalDtype):
        # categories once, then the codes (-1, missing, picks the appended None)
        lookup = np.empty(len(column.cat.categories) + 1, dtype=object)
        lookup[:-1] = column.cat.categories.to_numpy(dtype=object)
        picked: np.ndarray = lookup[column.cat.codes.to_numpy()]
        return picked
    values: np.ndarray = column.to_numpy(dtype=object, na_value=None)  # type: ignore[call-overload]
    return values


def host_of(address: str | None) -> str | None:
    """The IP of an ``ip:port`` / ``[v6]:port`` / bare ip string."""
    if not address:
        return None
    if address.startswith("["):
        return address[1 : address.find("]")]
    if address.count(":") == 1:
        return address.split(":", 1)[0]
    return address


def records(frame: pd.DataFrame) -> Iterator[Any]:
    """The rows of ``frame`` as named tuples (attribute access, loosely typed).

    The values are those of ``frame.itertuples(index=False)`` (missing ones
    ``pd.NA`` / ``NaT``), but each column is converted at once: iterating an
    Arrow-backed column value by value costs twenty times more.
    """
    row = namedtuple("row", [str(c) for c in frame.columns], rename=True)  # type: ignore[misc]
    columns = [frame[c].to_numpy(dtype=object) for c in frame.columns]
    return map(row._make, zip(*columns, strict=True))


def contact_key(uri: Any) -> str | None:
    """A comparison key for a Contact URI: ``user@host:port`` (lower-case host).

    ``*`` stays ``*``; a value that is not a SIP URI is compared as written.
    """
    if type(uri) is str:  # the common case first: this runs once per contact seen
        return _contact_key(uri)
    if is_missing(uri):
        return None
    return _contact_key(str(uri))


@functools.lru_cache(maxsize=65536)
def _contact_key(uri: str) -> str:
    # phones repeat the same few contacts in every REGISTER: parse each once
    uri = uri.strip()
    if uri == "*":
        return "*"
    parts = parse_uri(uri)
    if parts.host is None:
        return str(uri)
    port = parts.port if parts.port is not None else DEFAULT_SIP_PORT
    return f"{parts.user or ''}@{parts.host.lower()}:{port}"


def contact_address(uri: Any) -> str | None:
    """``host:port`` a request to this Contact would be sent to (default port 5060)."""
    if is_missing(uri):
        return None
    return _contact_address(str(uri))


@functools.lru_cache(maxsize=65536)
def _contact_address(uri: str) -> str | None:
    parts = parse_uri(uri)
    if parts.host is None:
        return None
    return endpoint(parts.host.strip("[]"), parts.port or DEFAULT_SIP_PORT)


def listed_contacts(contacts: Any) -> list[ListedContact]:
    """Parse a Contact header value list (the ``contacts`` column) into entries."""
    if is_missing(contacts) or not str(contacts).strip():
        return []
    return list(_listed_contacts(str(contacts)))


@functools.lru_cache(maxsize=65536)
def _listed_contacts(contacts: str) -> tuple[ListedContact, ...]:
    # a registrar answers each phone with the same few Contact lists: parse each once
    entries: list[ListedContact] = []
    for item in split_list(str(contacts)):
        if item.strip() == "*":
            entries.append(ListedContact("*", None, None))
            continue
        name_addr = parse_name_addr(item)
        raw = name_addr.params.get("expires")
        expires = int(raw) if raw is not None and raw.isdigit() else None
        received = name_addr.params.get("received")
        if received and received.lower().startswith(("sip:", "sips:")):
            # some registrars (OnSIP) report the NAT address as a URI
            parts = parse_uri(received)
            received = endpoint(parts.host, parts.port) if parts.host else received
        entries.append(ListedContact(name_addr.uri, expires, received or None))
    return tuple(entries)


def expires_from_detail(detail: Any) -> int | None:
    """The expiry in seconds named by an event's detail (``expires 600 s``), if any."""
    if is_missing(detail):
        return None
    match = _EXPIRES_RE.search(str(detail))
    return int(match.group(1)) if match else None


def evidence_ref(source_file: Any, number: Any) -> str | None:
    """``name:frame N`` for a capture, ``name:line N`` for a log; None without a number."""
    if number is None or number is pd.NA or (isinstance(number, float) and pd.isna(number)):
        return None
    return f"{_evidence_prefix(_file_name(source_file))} {int(number)}"


@functools.lru_cache(maxsize=1024)
def _evidence_prefix(name: str) -> str:
    """``'file.pcap:frame'`` / ``'file.log:line'`` of a source file (one per row is costly)."""
    unit = "frame" if name.lower().endswith(_CAPTURE_SUFFIXES) else "line"
    return f"{PurePath(name).name or '?'}:{unit}"


def evidence_refs(source_files: pd.Series, numbers: pd.Series) -> pd.Series:
    """:func:`evidence_ref` over two columns at once (a ``string`` Series, NA without a number)."""
    if isinstance(source_files.dtype, pd.CategoricalDtype):
        codes, names = source_files.cat.codes.to_numpy(), source_files.cat.categories
    else:
        codes, names = pd.factorize(source_files)
    prefixes = np.array([_evidence_prefix(str(name)) for name in names] + [""], dtype=object)
    picked = prefixes[codes]
    missing = np.flatnonzero(codes < 0)
    if len(missing):
        # a missing file reads as evidence_ref reads it (None/NA: "", NaN: "nan")
        files = source_files.iloc[missing].to_numpy(dtype=object)
        picked[missing] = [_evidence_prefix(_file_name(f)) for f in files]
    number = numbers.astype("Int64").astype("string").set_axis(source_files.index)
    return (pd.Series(picked, index=source_files.index, dtype="string") + " " + number).astype(
        "string"
    )


def join_evidence_pairs(first: pd.Series, second: pd.Series) -> pd.Series:
    """:func:`join_evidence` of two ``string`` columns row by row (NA when both are)."""
    second = second.set_axis(first.index)
    joined = (first + ";" + second).where(first != second, first)
    return joined.fillna(first).fillna(second).astype("string")


def _file_name(source_file: Any) -> str:
    return "" if source_file is None or source_file is pd.NA else str(source_file)


def evidence_number(evidence: Any) -> int | None:
    """The frame or line number of the first reference in an evidence string."""
    if is_missing(evidence):
        return None
    match = re.search(_EVIDENCE_NUMBER_RE, str(evidence))
    return int(match.group(1)) if match else None


def evidence_numbers(evidence: pd.Series) -> pd.Series:
    """:func:`evidence_number` of each value (an ``Int64`` Series, NA where there is none)."""
    # Arrow's regex kernel (RE2; the first match, as re.search): no Python call per row
    text = pa.array(evidence.astype("string").array)
    found = pc.struct_field(pc.extract_regex(text, _EVIDENCE_NUMBER_GROUP), [0])
    number = pc.cast(found, pa.int64())
    values = np.asarray(number.fill_null(0).to_numpy(zero_copy_only=False), dtype=np.int64)
    missing = np.asarray(number.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    return pd.Series(pd.arrays.IntegerArray(values, missing), index=evidence.index)


def join_evidence(*refs: str | None) -> str | None:
    """';'-joined distinct references, in order; None when there are none."""
    seen: list[str] = []
    for ref in refs:
        if ref and ref not in seen:
            seen.append(ref)
    return ";".join(seen) if seen else None


def is_missing(value: Any) -> bool:
    """True for None, pd.NA, NaN and NaT."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, (str, bool, int)):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def present(value: Any) -> Any:
    """``value``, or None when it is missing (None, pd.NA, NaN, NaT)."""
    return None if is_missing(value) else value


def present_text(value: Any) -> str | None:
    """``value`` as text, or None when it is missing."""
    return None if is_missing(value) else str(value)
