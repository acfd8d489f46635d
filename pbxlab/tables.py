"""The schemas of pbxlab's tables, each declared once (see DESIGN.md).

Timestamps are timezone-aware UTC; every row points back at its evidence
(``source_file`` plus ``frame`` in a capture, or ``line`` in a log).
"""

from __future__ import annotations

import pandas as pd

from pbxlab.schema import STRING, UTC_NS, Column, TableSchema

CATEGORY = "category"

MESSAGES = TableSchema(
    "messages",
    "One row per SIP message seen in a capture.",
    [
        Column("ts", UTC_NS, "When the message was captured (UTC).", nullable=False),
        Column("source_file", CATEGORY, "Capture file the message came from."),
        Column(
            "frame",
            "Int64",
            "1-based frame number in the capture (the last frame for "
            "messages reassembled from several).",
        ),
        Column("src", STRING, "Source IP address of the message."),
        Column("sport", "UInt16", "Source port."),
        Column("dst", STRING, "Destination IP address."),
        Column("dport", "UInt16", "Destination port."),
        Column("transport", CATEGORY, "udp or tcp (for HEP: the transport HEP reports)."),
        Column(
            "encap",
            CATEGORY,
            "Encapsulation the SIP was found in (none, hep2, hep3, gtp, "
            "gre, ipip, vlan, pppoe, l2tp; '+'-joined when nested).",
        ),
        Column("is_request", "boolean", "True for requests, False for responses.", nullable=False),
        Column("method", CATEGORY, "Request method (requests only)."),
        Column("status", "UInt16", "Response status code (responses only)."),
        Column("reason", STRING, "Response reason phrase."),
        Column("call_id", STRING, "Call-ID header."),
        Column("cseq_num", "Int64", "CSeq sequence number."),
        Column("cseq_method", CATEGORY, "CSeq method (what a response answers)."),
        Column("from_user", STRING, "User part of the From URI."),
        Column("from_host", STRING, "Host part of the From URI."),
        Column("from_tag", STRING, "From tag."),
        Column("to_user", STRING, "User part of the To URI (the AOR for REGISTER)."),
        Column("to_host", STRING, "Host part of the To URI."),
        Column("to_tag", STRING, "To tag."),
        Column("request_uri", STRING, "Request-URI (requests only)."),
        Column("contact", STRING, "First Contact URI ('*' for unregister-all)."),
        Column("contact_expires", "Int64", "expires parameter of the first Contact."),
        Column("contact_count", "UInt16", "Number of Contact entries in the message."),
        Column("contacts", STRING, "All Contact values as sent (for registrar 200 OK lists)."),
        Column("expires", "Int64", "Expires header."),
        Column("via_host", STRING, "sent-by host of the top Via."),
        Column("via_port", "UInt16", "sent-by port of the top Via (when given)."),
        Column("via_transport", CATEGORY, "Transport named in the top Via (UDP, TCP, TLS...)."),
        Column("via_received", STRING, "received parameter of the top Via."),
        Column(
            "via_rport",
            STRING,
            "rport parameter of the top Via ('' when present without a value, i.e. requested).",
        ),
        Column("via_count", "UInt16", "Number of Via entries."),
        Column("branch", STRING, "branch parameter of the top Via."),
        Column("user_agent", STRING, "User-Agent header, or Server for responses without one."),
        Column("content_type", STRING, "Content-Type header."),
        Column("content_length", "Int64", "Content-Length header as declared."),
        Column("sdp_connection", STRING, "Connection address of the SDP audio stream."),
        Column("sdp_audio_port", "UInt16", "Port of the first SDP m=audio line."),
        Column("sdp_direction", CATEGORY, "sendrecv / sendonly / recvonly / inactive."),
        Column(
            "auth",
            "boolean",
            "Whether an Authorization or Proxy-Authorization header was present.",
            nullable=False,
        ),
        Column("auth_user", STRING, "username= of the Authorization header (never a secret)."),
        Column("parse_error", STRING, "None, or what was wrong with the message."),
    ],
)

RTP_STREAMS = TableSchema(
    "rtp_streams",
    "One row per direction of media (RTP) or its control channel (RTCP), found via SDP.",
    [
        Column("source_file", CATEGORY, "Capture file."),
        Column("kind", CATEGORY, "rtp or rtcp."),
        Column("call_id", STRING, "Call-ID of the SIP dialog whose SDP announced the media."),
        Column("ssrc", "UInt32", "Synchronisation source of the stream."),
        Column("src", STRING, "Source IP address."),
        Column("sport", "UInt16", "Source port."),
        Column("dst", STRING, "Destination IP address."),
        Column("dport", "UInt16", "Destination port."),
        Column("payload_type", "UInt8", "RTP payload type of the first packet."),
        Column("codec", STRING, "Codec from the SDP rtpmap (or the static payload type)."),
        Column("packets", "Int64", "Packets seen."),
        Column("lost", "Int64", "Packets missing by sequence number (RFC 3550 A.3)."),
        Column("max_jitter_ms", "float64", "Largest interarrival jitter (RFC 3550 6.4.1)."),
        Column("first_ts", UTC_NS, "First packet time."),
        Column("last_ts", UTC_NS, "Last packet time."),
        Column("first_frame", "Int64", "Frame of the first packet."),
        Column("dst_announced", "boolean", "The destination ip:port was announced in an SDP."),
        Column(
            "src_announced",
            "boolean",
            "The source ip:port was announced in an SDP; False "
            "means media came from an address the SDP did not announce (typically NAT).",
        ),
    ],
)

ERRORS = TableSchema(
    "errors",
    "What a reader could not read, with where and why; the rest was returned.",
    [
        Column("source_file", CATEGORY, "File the problem is in."),
        Column("frame", "Int64", "Frame number (captures)."),
        Column("line", "Int64", "Line number (logs)."),
        Column("byte_offset", "Int64", "Byte offset in the (uncompressed) file."),
        Column(
            "stage",
            CATEGORY,
            "Layer that failed: framing, link, ip, tcp, udp, sip, hep, tunnel, log.",
        ),
        Column("error", STRING, "What was wrong."),
        Column("excerpt", STRING, "The offending input, quoted (truncated)."),
    ],
)

EVENT_KINDS = (
    "registered",
    "refreshed",
    "unregistered",
    "expired",
    "reachable",
    "unreachable",
    "lagged",
    "auth_failed",
    "challenge",
    # security and call-state events that registrar logs report beside registrations
    "unknown_user",  # a request named an account/extension that does not exist
    "rejected",  # refused by policy: ACL, domain, unknown dialled extension, scanner
    "ringing",
    "in_use",
    "idle",
)

EVENTS = TableSchema(
    "events",
    "Unified registrar events, from logs or derived from captures.",
    [
        Column("ts", UTC_NS, "When the event happened (UTC).", nullable=False),
        Column("extension", STRING, "Extension (AOR user / endpoint / peer name)."),
        Column("contact", STRING, "Contact URI or ip:port concerned."),
        Column("source", STRING, "Network source (ip or ip:port) the event is about."),
        Column("event", pd.CategoricalDtype(list(EVENT_KINDS)), "What happened.", nullable=False),
        Column("rtt_ms", "float64", "Qualify round-trip time, when reported."),
        Column("user_agent", STRING, "User agent, when reported."),
        Column("detail", STRING, "Further detail from the source (expiry, reason...)."),
        Column("source_file", CATEGORY, "File the event came from."),
        Column("line", "Int64", "Line number (logs) or frame number (captures)."),
    ],
)


# -- derived tables (pbxlab.analysis) -------------------------------------------------

REGISTRATION_RESULTS = ("ok", "challenged", "auth_failed", "forbidden", "timeout", "error")

REGISTRATIONS = TableSchema(
    "registrations",
    "One row per REGISTER transaction and its outcome.",
    [
        Column("ts", UTC_NS, "When the REGISTER was sent (first transmission).", nullable=False),
        Column("extension", STRING, "AOR user (To user) being registered."),
        Column("domain", STRING, "AOR host (To host), the tenant's SIP domain."),
        Column("contact", STRING, "First Contact URI of the request ('*' to remove all)."),
        Column("source", STRING, "Where the REGISTER came from (ip:port as seen on the wire)."),
        Column("requested_expires", "Int64", "Expiry asked for (Contact expires= or Expires)."),
        Column("granted_expires", "Int64", "Expiry the registrar granted for this contact."),
        Column(
            "result", pd.CategoricalDtype(list(REGISTRATION_RESULTS)), "Outcome.", nullable=False
        ),
        Column("status", "UInt16", "Final response status (None on timeout)."),
        Column("user_agent", STRING, "User-Agent of the REGISTER."),
        Column("auth_user", STRING, "Digest username sent, if any."),
        Column("call_id", STRING, "Call-ID."),
        Column("cseq_num", "Int64", "CSeq number."),
        Column("retransmissions", "Int64", "Extra copies of the request seen."),
        Column("answered_ts", UTC_NS, "When the final response was seen."),
        Column("source_file", CATEGORY, "Capture or log file."),
        Column("evidence", STRING, "Frames (or lines) of the request and its final response."),
    ],
)

BINDING_END_REASONS = ("unregistered", "expired", "replaced", "still_active", "capture_ended")

BINDINGS = TableSchema(
    "bindings",
    "One row per contact binding interval of an extension.",
    [
        Column("extension", STRING, "AOR user.", nullable=False),
        Column("contact", STRING, "Contact URI bound.", nullable=False),
        Column("source", STRING, "Network source of the registering phone (ip:port)."),
        Column("user_agent", STRING, "User agent that registered the binding."),
        Column("start", UTC_NS, "Binding became active.", nullable=False),
        Column("end", UTC_NS, "Binding ended (or the end of the evidence).", nullable=False),
        Column(
            "end_reason",
            pd.CategoricalDtype(list(BINDING_END_REASONS)),
            "Why the binding ended.",
            nullable=False,
        ),
        Column("granted_expires", "Int64", "Last expiry granted."),
        Column("refreshes", "Int64", "Successful re-registrations within the interval."),
        Column("source_file", CATEGORY, "Capture or log file."),
        Column("evidence", STRING, "Frames (or lines) that opened and closed the binding."),
    ],
)

CRLF_KINDS = ("ping", "pong", "other")

CRLF_KEEPALIVES = TableSchema(
    "crlf_keepalives",
    "Keepalive packets between SIP messages: RFC 5626 CRLF pings and pongs, NAT fillers.",
    [
        Column("ts", UTC_NS, "When the packet was captured (UTC).", nullable=False),
        Column("source_file", CATEGORY, "Capture file."),
        Column("frame", "Int64", "1-based frame number in the capture."),
        Column("src", STRING, "Source IP address."),
        Column("sport", "UInt16", "Source port."),
        Column("dst", STRING, "Destination IP address."),
        Column("dport", "UInt16", "Destination port."),
        Column("transport", CATEGORY, "udp or tcp."),
        Column(
            "kind",
            pd.CategoricalDtype(list(CRLF_KINDS)),
            "ping (CRLFCRLF), pong (a single CRLF), other (a lone LF or NUL bytes, "
            "one-way NAT keepalives).",
            nullable=False,
        ),
    ],
)

KEEPALIVE_DIRECTIONS = ("to_phone", "from_phone")

KEEPALIVES = TableSchema(
    "keepalives",
    "Requests the platform sent towards a registered phone, and CRLF keepalive pings "
    "either way, and whether they were answered.",
    [
        Column("ts", UTC_NS, "When the request (or ping) was sent.", nullable=False),
        Column("extension", STRING, "Extension whose contact was probed."),
        Column("target", STRING, "Where the request went (ip:port)."),
        Column("method", CATEGORY, "OPTIONS, NOTIFY, INVITE... or CRLF (an RFC 5626 ping)."),
        Column(
            "direction",
            pd.CategoricalDtype(list(KEEPALIVE_DIRECTIONS)),
            "to_phone (the platform probes the contact) or from_phone (the phone's own "
            "CRLF ping keeping its flow open).",
            nullable=False,
        ),
        Column(
            "answered",
            "boolean",
            "Whether any response (for a CRLF ping: a pong) came back.",
            nullable=False,
        ),
        Column("status", "UInt16", "Final response status."),
        Column("rtt_ms", "float64", "Time to the first response (or pong)."),
        Column("source_file", CATEGORY, "Capture file."),
        Column("evidence", STRING, "Frames of the request and its answer."),
    ],
)

CALL_END_REASONS = ("bye", "cancel", "failed", "timeout", "ongoing")

CALLS = TableSchema(
    "calls",
    "One row per INVITE dialog (a B2BUA's legs are separate rows with a shared leg_group).",
    [
        Column("call_id", STRING, "Call-ID.", nullable=False),
        Column("caller", STRING, "From user."),
        Column("callee", STRING, "To user (or Request-URI user)."),
        Column("src", STRING, "Where the INVITE came from (ip:port)."),
        Column("dst", STRING, "Where the INVITE went (ip:port)."),
        Column("start", UTC_NS, "First INVITE.", nullable=False),
        Column("ringing_at", UTC_NS, "First 180/183."),
        Column("answered_at", UTC_NS, "2xx to the INVITE."),
        Column("end", UTC_NS, "BYE, CANCEL, final failure or last evidence."),
        Column(
            "end_reason",
            pd.CategoricalDtype(list(CALL_END_REASONS)),
            "How it ended.",
            nullable=False,
        ),
        Column("final_status", "UInt16", "Final response status to the INVITE."),
        Column("rtp_streams", "Int64", "RTP streams attributed to the call."),
        Column("rtp_directions", "Int64", "Distinct directions with media (0, 1 or 2+)."),
        Column("leg_group", STRING, "Identifier shared by correlated legs through a B2BUA."),
        Column("source_file", CATEGORY, "Capture file."),
        Column("evidence", STRING, "Frames of the INVITE, answer and end."),
    ],
)

STATES = ("online", "ringing", "in_use", "offline")

STATUS = TableSchema(
    "status",
    "Status history: per extension, intervals of one state (DESIGN.md status semantics).",
    [
        Column("extension", STRING, "Extension.", nullable=False),
        Column("start", UTC_NS, "Interval start.", nullable=False),
        Column("end", UTC_NS, "Interval end.", nullable=False),
        Column(
            "state",
            pd.CategoricalDtype(list(STATES)),
            "online, ringing, in_use, offline.",
            nullable=False,
        ),
        Column(
            "reason",
            STRING,
            "Why the state holds (e.g. 'binding expired', 'keepalive unanswered', '180 Ringing').",
        ),
    ],
)

SEVERITIES = ("info", "warning", "critical")

FINDINGS = TableSchema(
    "findings",
    "One row per diagnosis, with the evidence and the action to take.",
    [
        Column("extension", STRING, "Extension concerned (None when about a source)."),
        Column("domain", STRING, "SIP domain (tenant) of the extension, when known."),
        Column("source", STRING, "Network source concerned (scanners, brute force)."),
        Column("code", CATEGORY, "Finding code (DESIGN.md).", nullable=False),
        Column(
            "severity",
            pd.CategoricalDtype(list(SEVERITIES), ordered=True),
            "Severity.",
            nullable=False,
        ),
        Column("first_seen", UTC_NS, "First evidence."),
        Column("last_seen", UTC_NS, "Last evidence."),
        Column("summary", STRING, "One plain sentence a customer could read.", nullable=False),
        Column("action", STRING, "What the support engineer should do, in the guide's terms."),
        Column("evidence", STRING, "Where to look: 'file:frame N' / 'file:line N', ';'-joined."),
    ],
)

__all__ = [
    "BINDINGS",
    "BINDING_END_REASONS",
    "CALLS",
    "CALL_END_REASONS",
    "CRLF_KEEPALIVES",
    "CRLF_KINDS",
    "ERRORS",
    "EVENTS",
    "EVENT_KINDS",
    "FINDINGS",
    "KEEPALIVES",
    "KEEPALIVE_DIRECTIONS",
    "MESSAGES",
    "REGISTRATIONS",
    "REGISTRATION_RESULTS",
    "RTP_STREAMS",
    "SEVERITIES",
    "STATES",
    "STATUS",
]
