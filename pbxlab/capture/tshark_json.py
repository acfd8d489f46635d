"""Map tshark's JSON dissection of one packet to pbxlab rows (no I/O).

Strategy: tshark (``-T json --no-duplicate-keys``) describes a packet as a
dict of protocol layers; a layer is a tree of ``"proto.field": value`` pairs
where subtrees hang under ``"<field>_tree"`` keys and repeated fields become
lists.  A layer that occurs several times in one frame (two ``sip`` messages
in one TCP segment, the outer and inner ``ip`` of a tunnel) becomes a list of
layer dicts.  We flatten each SIP message's tree once into
``{field: [values in document order]}`` and read our columns from tshark's
own field names (``sip.Method``, ``sip.Via.received``, ``sdp.media.port``...),
so this backend stays an independent second opinion to the native parser:
nothing here re-parses SIP text except where tshark leaves a value unsplit
(the reason phrase of a status line, the parameters of the first of several
Contacts in one header).

Every function takes plain dicts/strings and returns plain values; the
pyshark runner and the backend own the I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pbxlab.capture.message_columns import mask_uri_password

Tree = Mapping[str, Any]
FlatFields = dict[str, list[Any]]

# Expert-info severities (epan/proto.h PI_*) and the "malformed" group.
_SEVERITY_WARN = 0x00600000
_GROUP_MALFORMED = 0x07000000

_SDP_DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")

# frame.protocols tokens that mean the SIP travelled inside a tunnel.
_ENCAP_TOKENS = {
    "vlan": "vlan",
    "ieee8021ad": "vlan",
    "pppoes": "pppoe",
    "l2tp": "l2tp",
    "gre": "gre",
    "gtp": "gtp",
}
_IP_TOKENS = ("ip", "ipv6")
_TRANSPORT_TOKENS = ("udp", "tcp")


def flatten(tree: Tree) -> FlatFields:
    """All fields of a layer tree as ``{name: [values...]}`` in document order.

    Subtree dicts are kept as values too (so callers can look inside one
    Contact or one Via entry) and are also walked.
    """
    out: FlatFields = {}
    _walk(tree, out)
    return out


def _walk(node: Tree, out: FlatFields) -> None:
    for key, value in node.items():
        items = value if isinstance(value, list) else (value,)
        bucket = out.setdefault(key, [])
        for item in items:
            bucket.append(item)
            if isinstance(item, dict):
                _walk(item, out)


def first(flat: FlatFields, name: str) -> str | None:
    """The first string value of field ``name``, stripped; None when absent or empty.

    tshark keeps a header value's trailing blanks ("Brekeke  "); they are
    not part of the value (RFC 3261 LWS).
    """
    for value in flat.get(name, ()):
        if isinstance(value, str):
            return value.strip() or None
    return None


def strings(flat: FlatFields, name: str) -> list[str]:
    """Every string value of field ``name``, in order."""
    return [v for v in flat.get(name, ()) if isinstance(v, str)]


def subtrees(flat: FlatFields, name: str) -> list[Tree]:
    """Every subtree (dict) value of field ``name``, in order."""
    return [v for v in flat.get(name, ()) if isinstance(v, dict)]


def layer_instances(layers: Tree, name: str) -> list[Tree]:
    """Each occurrence of protocol layer ``name`` in a packet's ``layers`` dict."""
    value = layers.get(name)
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, dict)]


def to_int(text: str | None) -> int | None:
    """``text`` as an int (decimal or 0x-hex), None when absent or not a number."""
    if text is None:
        return None
    text = text.strip()
    try:
        return int(text, 16) if text.lower().startswith("0x") else int(text)
    except ValueError:
        return None


def epoch_ns(text: str) -> int:
    """tshark's ``frame.time_epoch`` ("1120469572.844249000") as integer nanoseconds.

    Parsed as text, not float, so nanosecond captures keep every digit.
    """
    text = text.strip()
    if text.startswith("-"):  # pre-1970 timestamps (corrupt captures have them)
        return -epoch_ns(text[1:])
    seconds, _, fraction = text.partition(".")
    return int(seconds or "0") * 1_000_000_000 + int((fraction + "000000000")[:9])


# -- the packet's addressing and encapsulation ------------------------------


@dataclass(frozen=True, slots=True)
class Addressing:
    """The innermost IP/transport pair that carried a SIP message."""

    src: str | None
    sport: int | None
    dst: str | None
    dport: int | None
    transport: str | None
    encap: str


def encapsulation(protocols: str) -> str:
    """The tunnels named in ``frame.protocols`` before the SIP, '+'-joined, or "none".

    IP directly inside IP (also IPv6 in IPv4 and so on) is "ipip"; a GRE or GTP
    tunnel's inner IP is part of that tunnel, not a second one.
    """
    tokens = protocols.split(":")
    if "sip" in tokens:
        tokens = tokens[: tokens.index("sip")]
    found: list[str] = []
    previous_ip = False
    for token in tokens:
        kind = _ENCAP_TOKENS.get(token)
        if token in _IP_TOKENS:
            if previous_ip:
                kind = "ipip"
            previous_ip = True
        elif not token.startswith("ipv6."):  # IPv6 extension headers keep IP context
            previous_ip = False
        if kind is not None and (not found or found[-1] != kind):
            found.append(kind)
    return "+".join(found) if found else "none"


def addressing(layers: Tree, protocols: str) -> Addressing:
    """Source/destination of the innermost IP and UDP/TCP layers before the SIP."""
    tokens = protocols.split(":")
    if "sip" in tokens:
        tokens = tokens[: tokens.index("sip")]
    ip_name = _last_of(tokens, _IP_TOKENS)
    transport = _last_of(tokens, _TRANSPORT_TOKENS)
    src = dst = None
    if ip_name is not None:
        inner_ip = _last_instance(layers, ip_name)
        src = _get(inner_ip, f"{ip_name}.src")
        dst = _get(inner_ip, f"{ip_name}.dst")
    sport = dport = None
    if transport is not None:
        inner = _last_instance(layers, transport)
        sport = to_int(_get(inner, f"{transport}.srcport"))
        dport = to_int(_get(inner, f"{transport}.dstport"))
    return Addressing(src, sport, dst, dport, transport, encapsulation(protocols))


def _last_of(tokens: Sequence[str], wanted: Sequence[str]) -> str | None:
    for token in reversed(tokens):
        if token in wanted:
            return token
    return None


def _last_instance(layers: Tree, name: str) -> Tree:
    instances = layer_instances(layers, name)
    return instances[-1] if instances else {}


def _get(tree: Tree, name: str) -> str | None:
    value = tree.get(name)
    return value if isinstance(value, str) else None


# -- one SIP message -----------------------------------------------------------


def sip_message_fields(sip: Tree) -> dict[str, Any] | None:
    """Our ``messages`` columns (except packet-level ones) from one ``sip`` layer.

    Returns None when tshark found no start line (its "Continuation" data:
    bytes on a SIP port that are not a SIP message, e.g. HTTP on 5060).
    """
    return message_fields(flatten(sip))


def message_fields(flat: FlatFields) -> dict[str, Any] | None:
    """:func:`sip_message_fields` of an already :func:`flatten` ed ``sip`` layer."""
    request_line = first(flat, "sip.Request-Line")
    status_line = first(flat, "sip.Status-Line")
    if request_line is None and status_line is None:
        return None
    is_request = request_line is not None
    status = to_int(first(flat, "sip.Status-Code")) if not is_request else None
    reason = None
    if status_line is not None:
        parts = status_line.split(None, 2)
        reason = parts[2] if len(parts) == 3 else ""

    contact_values = strings(flat, "sip.Contact")
    contact_uris = strings(flat, "sip.contact.uri")
    contact_count = len(contact_uris)
    if not contact_count and contact_values:
        contact_count = sum(len(_split_header_list(v)) for v in contact_values)
    first_contact = contact_uris[0] if contact_uris else None
    if first_contact is None and contact_values and contact_values[0].strip() == "*":
        first_contact = "*"

    top_via = _top_via(flat)
    via_count = len(strings(flat, "sip.Via.transport")) or len(strings(flat, "sip.Via"))

    content_length = to_int(first(flat, "sip.Content-Length"))
    if "sip.content_length.invalid" in flat:
        content_length = None  # tshark shows 0 for an unreadable value

    authorization = first(flat, "sip.Authorization") or first(flat, "sip.Proxy-Authorization")
    connection, audio_port, direction = sdp_audio(flat)
    return {
        "is_request": is_request,
        "method": first(flat, "sip.Method"),
        "status": status,
        "reason": reason,
        "call_id": first(flat, "sip.Call-ID"),
        "cseq_num": to_int(first(flat, "sip.CSeq.seq")),
        "cseq_method": first(flat, "sip.CSeq.method"),
        "from_user": _user(flat, "from"),
        "from_host": first(flat, "sip.from.host"),
        "from_tag": first(flat, "sip.from.tag"),
        "to_user": _user(flat, "to"),
        "to_host": first(flat, "sip.to.host"),
        "to_tag": first(flat, "sip.to.tag"),
        "request_uri": mask_uri_password(first(flat, "sip.r-uri")),
        "contact": mask_uri_password(first_contact),
        "contact_expires": _first_contact_expires(flat, contact_values, len(contact_uris)),
        "contact_count": contact_count if contact_values else 0,
        "contacts": mask_uri_password(", ".join(v.strip() for v in contact_values))
        if contact_values
        else None,
        "expires": to_int(first(flat, "sip.Expires")),
        "via_host": top_via.get("sent-by.address"),
        "via_port": to_int(top_via.get("sent-by.port")),
        "via_transport": top_via.get("transport"),
        "via_received": top_via.get("received"),
        "via_rport": _rport(top_via.get("rport")),
        "via_count": via_count,
        "branch": top_via.get("branch"),
        "user_agent": first(flat, "sip.User-Agent") or first(flat, "sip.Server"),
        "content_type": first(flat, "sip.Content-Type"),
        "content_length": content_length,
        "sdp_connection": connection,
        "sdp_audio_port": audio_port,
        "sdp_direction": direction,
        "auth": authorization is not None,
        "auth_user": _unquote(first(flat, "sip.auth.username")) if authorization else None,
        "parse_error": expert_problems(flat),
    }


_VIA_FIELDS = ("transport", "sent-by.address", "sent-by.port", "received", "rport", "branch")


def _top_via(flat: FlatFields) -> dict[str, str | None]:
    """The top Via entry's fields.

    One Via header holding several comma-joined entries gives tshark a single
    tree whose fields are lists across the entries; a parameter only some
    entries carry then has fewer values than entries.  Such a value is the
    top entry's only if the top entry's own text carries that parameter.
    """
    trees = subtrees(flat, "sip.Via_tree")
    if not trees:
        return {}
    tree = trees[0]
    entries = len(_as_list(tree.get("sip.Via.transport"))) or 1
    out: dict[str, str | None] = {}
    top_text: str | None = None
    for name in _VIA_FIELDS:
        values = [
            v.strip() or None for v in _as_list(tree.get(f"sip.Via.{name}")) if isinstance(v, str)
        ]
        if not values:
            out[name] = None
        elif entries == 1 or len(values) == entries:
            out[name] = values[0]
        else:
            if top_text is None:
                top_text = _split_header_list(first(flat, "sip.Via") or "")[0].lower()
            out[name] = values[0] if _top_entry_has(top_text, name) else None
    return out


def _top_entry_has(text: str, name: str) -> bool:
    if name == "sent-by.port":
        sent_by = text.split(None, 1)[1].split(";", 1)[0] if " " in text else ""
        return ":" in sent_by.rpartition("]")[2]  # host:port or [v6]:port
    return f";{name}" in text.replace(" ", "")


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _user(flat: FlatFields, party: str) -> str | None:
    """User part of the From/To URI; for a tel: URI tshark does not split, its number."""
    user = first(flat, f"sip.{party}.user")
    if user is None:
        address = first(flat, f"sip.{party}.addr")
        if address is not None and address.lower().startswith("tel:"):
            user = address[4:].split(";", 1)[0]
    return user


def _unquote(value: str | None) -> str | None:
    # tshark shows digest parameters as sent, quotes included.
    if value is not None and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def _rport(value: str | None) -> str | None:
    # tshark shows a bare ";rport" (a request for it) as the text "rport".
    if value is None:
        return None
    return "" if value == "rport" else value


def _first_contact_expires(flat: FlatFields, values: list[str], uri_count: int) -> int | None:
    if uri_count <= 1:
        params = strings(flat, "sip.contact.parameter")
    else:
        # tshark merges the parameters of all Contacts of one header into one
        # list; split the first header value to know which belong to the first.
        first_entry = _split_header_list(values[0])[0] if values else ""
        params = first_entry.rpartition(">")[2].split(";") if ">" in first_entry else []
    for param in params:
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "expires":
            return to_int(value)
    return None


def _split_header_list(value: str) -> list[str]:
    """Split a comma-joined header value outside quotes and <...>."""
    parts: list[str] = []
    depth = 0
    quoted = False
    start = 0
    for index, char in enumerate(value):
        if char == '"':
            quoted = not quoted
        elif not quoted and char == "<":
            depth += 1
        elif not quoted and char == ">":
            depth = max(0, depth - 1)
        elif char == "," and not quoted and depth == 0:
            parts.append(value[start:index])
            start = index + 1
    parts.append(value[start:])
    return [p.strip() for p in parts if p.strip()] or [""]


def sdp_audio(flat: FlatFields) -> tuple[str | None, int | None, str | None]:
    """(connection address, port, direction) of the first audio stream in an SDP body.

    tshark lists session- and media-level ``c=`` lines in order; with one
    more ``c=`` than ``m=`` lines the first is the session default and the
    others belong to the media in turn.  The direction is the first
    sendrecv/sendonly/recvonly/inactive attribute, RFC 4566's default
    sendrecv when the SDP names none.
    """
    media = subtrees(flat, "sdp.media_tree")
    if not media:
        return None, None, None
    audio_index = next(
        (i for i, m in enumerate(media) if _get(m, "sdp.media.media") == "audio"), None
    )
    if audio_index is None:
        return None, None, None
    port = to_int(_get(media[audio_index], "sdp.media.port"))
    addresses = strings(flat, "sdp.connection_info.address")
    connection = None
    if len(addresses) == len(media) + 1:
        connection = addresses[audio_index + 1]
    elif len(addresses) == len(media):
        connection = addresses[audio_index]
    elif addresses:
        connection = addresses[0]
    direction = "sendrecv"
    for attribute in strings(flat, "sdp.media_attr"):
        if attribute.strip().lower() in _SDP_DIRECTIONS:
            direction = attribute.strip().lower()
            break
    return connection, port, direction


def sdp_endpoints(flat: FlatFields) -> list[tuple[str, int]]:
    """Every (connection address, media port) an SDP body announces."""
    media = subtrees(flat, "sdp.media_tree")
    addresses = strings(flat, "sdp.connection_info.address")
    out: list[tuple[str, int]] = []
    for index, m in enumerate(media):
        port = to_int(_get(m, "sdp.media.port"))
        if port is None or port == 0:
            continue
        if len(addresses) == len(media) + 1:
            address = addresses[index + 1]
        elif len(addresses) == len(media):
            address = addresses[index]
        elif addresses:
            address = addresses[0]
        else:
            continue
        out.append((address, port))
    return out


def expert_problems(flat: FlatFields) -> str | None:
    """tshark's complaints about a SIP message, '; '-joined, or None.

    Kept: expert items of severity warning or worse, and any item in the
    "malformed" group (tshark files "Invalid content_length" as a malformed
    note).  Notes such as "Unrecognised SIP header" are normal in real
    traffic (X- headers) and are left out.
    """
    found: list[str] = []
    for item in subtrees(flat, "_ws.expert"):
        message = _get(item, "_ws.expert.message")
        severity = to_int(_get(item, "_ws.expert.severity")) or 0
        group = to_int(_get(item, "_ws.expert.group")) or 0
        if message and (severity >= _SEVERITY_WARN or group == _GROUP_MALFORMED):
            found.append(message)
    if not found and strings(flat, "_ws.malformed"):
        found.append("Malformed Packet")
    return "; ".join(dict.fromkeys(found)) if found else None


# -- RTP / RTCP ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MediaPacket:
    """One RTP or RTCP packet as tshark decoded it."""

    kind: str  # "rtp" or "rtcp"
    ssrc: int | None
    payload_type: int | None
    seq: int | None
    setup_frame: int | None
    call_id: str | None


def media_packets(layers: Tree) -> Iterator[MediaPacket]:
    """The RTP packets and RTCP compound packets in one frame's layers."""
    for rtp in layer_instances(layers, "rtp"):
        flat = flatten(rtp)
        yield MediaPacket(
            "rtp",
            to_int(first(flat, "rtp.ssrc")),
            to_int(first(flat, "rtp.p_type")),
            to_int(first(flat, "rtp.seq")),
            to_int(first(flat, "rtp.setup-frame")),
            first(flat, "sip.call_id_generated"),
        )
    rtcp_layers = layer_instances(layers, "rtcp")
    if rtcp_layers:
        # A compound RTCP packet (SR + SDES + ...) is one packet on the wire.
        flat = flatten(rtcp_layers[0])
        yield MediaPacket(
            "rtcp",
            to_int(first(flat, "rtcp.senderssrc")),
            to_int(first(flat, "rtcp.pt")),
            None,
            to_int(first(flat, "rtcp.setup-frame")),
            None,
        )


_STREAM_LINE = re.compile(
    r"^\s*(?P<start>[\d.]+)\s+(?P<end>[\d.]+)\s+(?P<src>\S+)\s+(?P<sport>\d+)\s+"
    r"(?P<dst>\S+)\s+(?P<dport>\d+)\s+(?P<ssrc>0x[0-9A-Fa-f]+)\s+(?P<payload>.+?)\s+"
    r"(?P<packets>\d+)\s+(?P<lost>-?\d+)\s+\(.*?\)\s+(?P<deltas>(?:[\d.]+\s+){3})"
    r"(?P<min_jitter>[\d.]+)\s+(?P<mean_jitter>[\d.]+)\s+(?P<max_jitter>[\d.]+)"
)


@dataclass(frozen=True, slots=True)
class StreamStats:
    """One row of tshark's ``-z rtp,streams`` report (its RFC 3550 analysis)."""

    src: str
    sport: int
    dst: str
    dport: int
    ssrc: int
    codec: str
    packets: int
    lost: int
    max_jitter_ms: float


def parse_rtp_streams_report(text: str) -> list[StreamStats]:
    """The stream rows of ``tshark -q -z rtp,streams`` output (other lines ignored)."""
    rows: list[StreamStats] = []
    for line in text.splitlines():
        match = _STREAM_LINE.match(line)
        if match is None:
            continue
        rows.append(
            StreamStats(
                src=match["src"],
                sport=int(match["sport"]),
                dst=match["dst"],
                dport=int(match["dport"]),
                ssrc=int(match["ssrc"], 16),
                codec=match["payload"].strip(),
                packets=int(match["packets"]),
                lost=int(match["lost"]),
                max_jitter_ms=float(match["max_jitter"]),
            )
        )
    return rows
