"""From a parsed :class:`SipMessage` to the message-derived columns of ``messages``.

One pure function, :func:`message_columns`, shared by every backend that
parses SIP bytes itself; its output order is :data:`MESSAGE_COLUMNS`.
"""

from __future__ import annotations

from typing import Any

from pbxlab.capture.sip.fields import (
    auth_username,
    parse_cseq,
    parse_digits,
    parse_name_addr,
    parse_uri,
    parse_via,
    split_list,
)
from pbxlab.capture.sip.message import SipMessage
from pbxlab.capture.sip.sdp import SdpInfo, parse_sdp

MESSAGE_COLUMNS = (
    "is_request", "method", "status", "reason", "call_id", "cseq_num", "cseq_method",
    "from_user", "from_host", "from_tag", "to_user", "to_host", "to_tag", "request_uri",
    "contact", "contact_expires", "contact_count", "contacts", "expires", "via_host", "via_port",
    "via_transport", "via_received", "via_rport", "via_count", "branch", "user_agent",
    "content_type", "content_length", "sdp_connection", "sdp_audio_port", "sdp_direction",
    "auth", "auth_user", "parse_error",
)  # fmt: skip


def _party(value: str | None) -> tuple[str | None, str | None, str | None]:
    if value is None:
        return None, None, None
    addr = parse_name_addr(value)
    uri = parse_uri(addr.uri)
    return uri.user, uri.host, addr.params.get("tag")


def message_columns(msg: SipMessage) -> tuple[tuple[Any, ...], SdpInfo | None]:
    """The message's column values (in MESSAGE_COLUMNS order) and its SDP, if any."""
    headers = msg.headers
    problems = list(msg.problems)

    def first(name: str) -> str | None:
        values = headers.get(name)
        return values[0] if values else None

    cseq_num: int | None = None
    cseq_method: str | None = None
    cseq_text = first("cseq")
    if cseq_text is not None:
        cseq = parse_cseq(cseq_text)
        if cseq is None:
            problems.append(f"malformed CSeq {cseq_text[:40]!r}")
        else:
            cseq_num, cseq_method = cseq
    call_id = first("call-id")
    if call_id is None:
        problems.append("no Call-ID header")

    from_user, from_host, from_tag = _party(first("from"))
    to_user, to_host, to_tag = _party(first("to"))

    contact_values = headers.get("contact", [])
    contacts = [c for value in contact_values for c in split_list(value)]
    contact = contact_expires = None
    if contacts:
        if contacts[0] == "*":
            contact = "*"
        else:
            first_contact = parse_name_addr(contacts[0])
            contact = first_contact.uri
            if "expires" in first_contact.params:
                contact_expires = parse_digits(first_contact.params["expires"])

    expires_text = first("expires")
    expires = parse_digits(expires_text) if expires_text is not None else None
    if expires_text is not None and expires is None:
        problems.append(f"malformed Expires {expires_text[:40]!r}")

    vias = [v for value in headers.get("via", []) for v in split_list(value)]
    via_host = via_port = via_transport = via_received = via_rport = branch = None
    if vias:
        via = parse_via(vias[0])
        via_host, via_port, via_transport = via.host, via.port, via.transport
        via_received = via.params.get("received")
        via_rport = via.params.get("rport")
        branch = via.params.get("branch")
        if via.host is None:
            problems.append(f"malformed Via {vias[0][:60]!r}")

    user_agent = first("user-agent") or first("server")
    content_type = first("content-type")
    length_text = first("content-length")
    content_length = parse_digits(length_text) if length_text is not None else None

    auth_value = first("authorization") or first("proxy-authorization")
    auth_user = auth_username(auth_value) if auth_value else None

    sdp: SdpInfo | None = None
    sdp_connection = sdp_port = sdp_direction = None
    if msg.body and (
        (content_type is not None and "sdp" in content_type.lower())
        or (content_type is None and msg.body[:4] == b"v=0\r")
    ):
        sdp = parse_sdp(msg.body)
        audio = sdp.audio
        if audio is not None:
            sdp_connection, sdp_port, sdp_direction = audio.connection, audio.port, audio.direction
        else:
            sdp_connection = sdp.connection

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
        msg.request_uri,
        contact,
        contact_expires,
        len(contacts),
        ", ".join(contacts) if contacts else None,
        expires,
        via_host,
        via_port,
        via_transport,
        via_received,
        via_rport,
        len(vias),
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
