"""Small hand-built tables for the findings tests, built through the declared schemas."""

from __future__ import annotations

import itertools
from typing import Any

import pandas as pd

from pbxlab.tables import BINDINGS, EVENTS, KEEPALIVES, MESSAGES, RTP_STREAMS

T0 = pd.Timestamp("2026-11-02 09:00:00", tz="UTC")
FILE = "lab.pcap"
PLATFORM = "198.51.100.10"

_frames = itertools.count(1)


def at(seconds: float) -> pd.Timestamp:
    """T0 plus ``seconds``."""
    return T0 + pd.Timedelta(seconds=seconds)


def _table(schema: Any, rows: list[dict[str, Any]], defaults: dict[str, Any]) -> pd.DataFrame:
    if not rows:
        return schema.empty()
    full = [{**defaults, **row} for row in rows]
    return schema.build({name: [r.get(name) for r in full] for name in schema.names})


def messages(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """MESSAGES from partial rows (frame numbers assigned in order when missing)."""
    numbered = [{"frame": next(_frames), **row} for row in rows]
    return _table(
        MESSAGES,
        numbered,
        {"source_file": FILE, "transport": "udp", "auth": False, "encap": "none"},
    )


def exchange(
    ts: float,
    method: str,
    *,
    user: str,
    src: str,
    sport: int = 5060,
    dst: str = PLATFORM,
    status: int | None = 200,
    auth: bool = False,
    to_user: str | None = None,
    contact: str | None = None,
    via_host: str | None = None,
    via_port: int | None = None,
    received: str | None = None,
    rport: str | None = None,
    user_agent: str | None = "Yealink SIP-T46S 66.85.0.5",
    sdp: str | None = None,
    call_id: str | None = None,
    cseq: int = 1,
    transport: str = "udp",
    answer_contacts: str | None = None,
    answer_count: int | None = None,
) -> list[dict[str, Any]]:
    """A request from a phone and (unless ``status`` is None) its final answer."""
    call_id = call_id or f"{method}-{user}-{ts}@{src}"
    to_user = to_user or user
    request = {
        "ts": at(ts),
        "src": src,
        "sport": sport,
        "dst": dst,
        "dport": 5060,
        "transport": transport,
        "is_request": True,
        "method": method,
        "call_id": call_id,
        "cseq_num": cseq,
        "cseq_method": method,
        "from_user": user,
        "to_user": to_user,
        "contact": contact or f"sip:{user}@{src}:{sport}",
        "contact_count": 1,
        "via_host": via_host or src,
        "via_port": via_port if via_port is not None else sport,
        "via_rport": "",
        "user_agent": user_agent,
        "auth": auth,
        "auth_user": user if auth else None,
        "sdp_connection": sdp,
        "expires": 3600 if method == "REGISTER" else None,
    }
    if status is None:
        return [request]
    answer = {
        "ts": at(ts + 0.05),
        "src": dst,
        "sport": 5060,
        "dst": src,
        "dport": sport,
        "transport": transport,
        "is_request": False,
        "status": status,
        "call_id": call_id,
        "cseq_num": cseq,
        "cseq_method": method,
        "from_user": user,
        "to_user": to_user,
        "via_host": request["via_host"],
        "via_port": request["via_port"],
        "via_received": received,
        "via_rport": rport,
        "contacts": answer_contacts,
        "contact_count": answer_count if answer_count is not None else (1 if status < 300 else 0),
        "contact_expires": 3600 if method == "REGISTER" and status < 300 else None,
    }
    return [request, answer]


def login(ts: float, user: str, src: str, sport: int = 5060, **kw: Any) -> list[dict[str, Any]]:
    """A normal challenge-then-login REGISTER: 401, then credentials and 200."""
    return [
        *exchange(ts, "REGISTER", user=user, src=src, sport=sport, status=401, cseq=1, **kw),
        *exchange(ts + 0.1, "REGISTER", user=user, src=src, sport=sport, auth=True, cseq=2, **kw),
    ]


def bindings(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """BINDINGS from partial rows."""
    return _table(BINDINGS, rows, {"source_file": FILE, "refreshes": 0, "granted_expires": 60})


def keepalives(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """KEEPALIVES from partial rows (evidence 'lab.pcap:frame N' assigned when missing)."""
    numbered = [{"evidence": f"{FILE}:frame {next(_frames)}", **row} for row in rows]
    return _table(KEEPALIVES, numbered, {"source_file": FILE, "method": "OPTIONS"})


def events(rows: list[dict[str, Any]], source_file: str = "registrar.log") -> pd.DataFrame:
    """EVENTS from partial rows (line numbers assigned in order when missing)."""
    numbered = [{"line": i, **row} for i, row in enumerate(rows, 1)]
    return _table(EVENTS, numbered, {"source_file": source_file})


def rtp(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """RTP_STREAMS from partial rows."""
    return _table(
        RTP_STREAMS,
        rows,
        {
            "source_file": FILE,
            "kind": "rtp",
            "payload_type": 0,
            "codec": "PCMU",
            "lost": 0,
            "max_jitter_ms": 1.0,
            "first_ts": at(0),
            "last_ts": at(10),
            "first_frame": 100,
            "dst_announced": True,
            "src_announced": True,
        },
    )
