"""From a parsed :class:`SipMessage` to the message-derived columns of ``messages``.

One pure function, :func:`message_columns`, shared by every backend that
parses SIP bytes itself; its output order is :data:`MESSAGE_COLUMNS`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from pbxlab.capture.sip.fields import (
    Via,
    auth_username,
    parse_cseq,
    parse_digits,
    parse_name_addr,
    parse_uri,
    parse_via,
    split_list,
)
from pbxlab.capture.sip.message import SipMessage
from pbxlab.capture.sip.sdp import SdpInfo, parse_sdp, sdp_part

MAX_COUNT = 0xFFFF  # contact_count / via_count are UInt16

MESSAGE_COLUMNS = (
    "is_request", "method", "status", "reason", "call_id", "cseq_num", "cseq_method",
    "from_user", "from_host", "from_tag", "to_user", "to_host", "to_tag", "request_uri",
    "contact", "contact_expires", "contact_count", "contacts", "expires", "via_host", "via_port",
    "via_transport", "via_received", "via_rport", "via_count", "branch", "user_agent",
    "content_type", "content_length", "sdp_connection", "sdp_audio_port", "sdp_direction",
    "auth", "auth_user", "parse_error",
)  # fmt: skip


# Fast paths for the common shapes of header values; anything unusual (quoted
# display names, which may contain '<' or ';') goes through the general parsers.
_PARTY_RE = re.compile(
    r"\s*<?\s*(?:sips?|tel):(?:([^@;>?:]*)(?::[^@;>?]*)?@)?(\[[^\]]*\]|[^:;>?\s]*)",
    re.IGNORECASE | re.ASCII,
)
_TAG_RE = re.compile(r";\s*tag\s*=\s*([^;>,\s]+)", re.IGNORECASE)


# Header values repeat across a transaction and a capture (the same From, To,
# Via, CSeq in request and responses, retransmissions, refreshes): each value
# parser is memoised, bounded, so a repeated value costs one lookup.
_MEMO = 1 << 12  # repeats are close together (a transaction, a refresh); memory stays small


@lru_cache(maxsize=_MEMO)
def _party(value: str) -> tuple[str | None, str | None, str | None]:
    """(user, host, tag) of a From/To value."""
    if '"' not in value:
        match = _PARTY_RE.match(value)
        if match is not None:
            gt = value.find(">")
            tag = _TAG_RE.search(value, gt + 1 if gt >= 0 else match.end())
            return match.group(1) or None, match.group(2) or None, tag.group(1) if tag else None
    addr = parse_name_addr(value)
    uri = parse_uri(addr.uri)
    return uri.user, uri.host, addr.params.get("tag")


_NO_PARTY = (None, None, None)

# RFC 3261 19.1.1 deprecates a password in a SIP URI (sip:user:password@host), but
# some phones still send one; it must never reach a table (it would be exported).
_URI_PASSWORD_RE = re.compile(r"((?:sips?|tel):[^:@;>?,\s]*):[^@;>?,\s]*@", re.IGNORECASE)
MASK = "********"


def mask_uri_password(text: str | None) -> str | None:
    """``text`` with any ``user:password@`` userinfo reduced to ``user:********@``."""
    if text is None or "@" not in text:
        return text
    return _URI_PASSWORD_RE.sub(rf"\1:{MASK}@", text)


@lru_cache(maxsize=_MEMO)
def _cseq(value: str) -> tuple[int, str] | None:
    return parse_cseq(value)


@lru_cache(maxsize=_MEMO)
def _digits(value: str) -> int | None:
    return parse_digits(value)


@lru_cache(maxsize=_MEMO)
def _via(value: str) -> tuple[int, Via | None, str | None]:
    """(entries in this Via header value, the first entry parsed, its text)."""
    entries = split_list(value)
    if not entries:
        return 0, None, None
    return len(entries), parse_via(entries[0]), entries[0]


@lru_cache(maxsize=_MEMO)
def _contact(value: str) -> tuple[tuple[str, ...], str | None, int | None]:
    """(entries, first URI or '*', expires= of the first) of one Contact header value."""
    entries = tuple(split_list(value))
    if not entries:
        return entries, None, None
    if entries[0] == "*":
        return entries, "*", None
    first = parse_name_addr(entries[0])
    expires = first.params.get("expires")
    return entries, first.uri, parse_digits(expires) if expires is not None else None


def message_columns(msg: SipMessage) -> tuple[tuple[Any, ...], SdpInfo | None]:
    """The message's column values (in MESSAGE_COLUMNS order) and its SDP, if any."""
    headers = msg.headers
    problems = list(msg.problems)

    get = headers.get

    def first(name: str) -> str | None:
        values = get(name)
        return values[0] if values else None

    cseq_num: int | None = None
    cseq_method: str | None = None
    cseq_text = first("cseq")
    if cseq_text is not None:
        cseq = _cseq(cseq_text)
        if cseq is None:
            problems.append(f"malformed CSeq {cseq_text[:40]!r}")
        else:
            cseq_num, cseq_method = cseq
    call_id = first("call-id")
    if call_id is None:
        problems.append("no Call-ID header")

    from_value = first("from")
    from_user, from_host, from_tag = _party(from_value) if from_value else _NO_PARTY
    to_value = first("to")
    to_user, to_host, to_tag = _party(to_value) if to_value else _NO_PARTY

    contact_values = headers.get("contact")
    contact = contact_expires = contacts_text = None
    contact_count = 0
    if contact_values:
        entries, contact, contact_expires = _contact(contact_values[0])
        if len(contact_values) > 1:
            entries = entries + tuple(c for v in contact_values[1:] for c in split_list(v))
        contact_count = len(entries)
        contacts_text = mask_uri_password(", ".join(entries)) if entries else None
        contact = mask_uri_password(contact)

    expires_text = first("expires")
    expires = _digits(expires_text) if expires_text is not None else None
    if expires_text is not None and expires is None:
        problems.append(f"malformed Expires {expires_text[:40]!r}")

    via_values = headers.get("via")
    via_host = via_port = via_transport = via_received = via_rport = branch = None
    via_count = 0
    if via_values:
        via_count, via, via_text = _via(via_values[0])
        for extra in via_values[1:]:
            via_count += _via(extra)[0]
        if via is not None:
            via_host, via_port, via_transport = via.host, via.port, via.transport
            via_received = via.params.get("received")
            via_rport = via.params.get("rport")
            branch = via.params.get("branch")
            if via.host is None:
                problems.append(f"malformed Via {str(via_text)[:60]!r}")

    if contact_count > MAX_COUNT or via_count > MAX_COUNT:  # the columns are UInt16
        problems.append(f"absurd header lists: {contact_count} Contact, {via_count} Via entries")
        contact_count, via_count = min(contact_count, MAX_COUNT), min(via_count, MAX_COUNT)

    user_agent = first("user-agent") or first("server")
    content_type = first("content-type")
    length_text = first("content-length")
    content_length = _digits(length_text) if length_text is not None else None

    auth_value = first("authorization") or first("proxy-authorization")
    auth_user = auth_username(auth_value) if auth_value else None

    sdp: SdpInfo | None = None
    sdp_connection = sdp_port = sdp_direction = None
    sdp_body = sdp_part(content_type, msg.body)
    if sdp_body is not None:
        sdp = parse_sdp(sdp_body)
        audio = sdp.audio
        if audio is not None:  # the columns describe audio; T.38 (m=image) is not
            sdp_connection, sdp_port, sdp_direction = audio.connection, audio.port, audio.direction

    return (
        msg.is_request,
        msg.method,
        msg.status,
        msg.reason,
        call_id,
        cseq_num,
        cseq_method,
        from_user,
        from_host,
        from_tag,
        to_user,
        to_host,
        to_tag,
        mask_uri_password(msg.request_uri),
        contact,
        contact_expires,
        contact_count,
        contacts_text,
        expires,
        via_host,
        via_port,
        via_transport,
        via_received,
        via_rport,
        via_count,
        branch,
        user_agent,
        content_type,
        content_length,
        sdp_connection,
        sdp_port,
        sdp_direction,
        auth_value is not None,
        auth_user,
        "; ".join(problems) if problems else None,
    ), sdp
