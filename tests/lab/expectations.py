"""What each lab scenario's capture must show, at the level of SIP messages.

One check per scenario of lab/catalog.py, run on the committed recordings
(test_samples.py) and on live runs (test_live.py): a live run must show what
its recording shows.  The diagnosis each scenario must produce (status
history, finding codes) is written in lab/SCENARIOS.md; these checks pin the
traffic that truth rests on.
"""

from __future__ import annotations

import ipaddress
import itertools
from collections.abc import Callable

import pandas as pd

import pbxlab

REGISTRAR = "127.0.0.1"
TRANSACTION = ["call_id", "cseq_num", "cseq_method"]


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Categories and Arrow strings as plain objects, so that merges and comparisons behave."""
    return frame.astype({c: object for c in frame.columns if c not in ("ts", "frame", "status")})


def transactions(messages: pd.DataFrame) -> pd.DataFrame:
    """One row per request hop (ACK excluded): first frame, times sent, and final status.

    A hop is a request between one source and one destination; the registrar
    forwarding an INVITE makes a second hop of the same transaction.
    ``final`` is the first final (>= 200) answer from the destination, or
    <NA> when it never answered; ``answered`` is any answer at all.
    """
    m = _plain(messages)
    requests = m[m["is_request"].astype(bool) & (m["method"] != "ACK")]
    hops = (
        requests.groupby([*TRANSACTION, "src", "sport", "dst", "dport"], sort=False, dropna=False)
        .agg(
            frame=("frame", "first"),
            ts=("ts", "first"),
            sent=("frame", "size"),
            method=("method", "first"),
            from_user=("from_user", "first"),
            to_user=("to_user", "first"),
            auth_user=("auth_user", "first"),
            expires=("expires", "first"),
            via_host=("via_host", "first"),
            contact=("contact", "first"),
            user_agent=("user_agent", "first"),
        )
        .reset_index()
        .sort_values("frame")
    )
    responses = m[~m["is_request"].astype(bool)]
    reverse = {"src": "dst", "sport": "dport", "dst": "src", "dport": "sport"}
    answered = (
        responses.rename(columns=reverse)
        .groupby([*TRANSACTION, "src", "sport", "dst", "dport"], sort=False, dropna=False)
        .agg(answered=("frame", "size"))
        .reset_index()
    )
    finals = responses[responses["status"] >= 200].rename(columns=reverse)
    finals = (
        finals.groupby([*TRANSACTION, "src", "sport", "dst", "dport"], sort=False, dropna=False)
        .agg(final=("status", "first"), final_frame=("frame", "first"))
        .reset_index()
    )
    keys = [*TRANSACTION, "src", "sport", "dst", "dport"]
    out = hops.merge(answered, on=keys, how="left").merge(finals, on=keys, how="left")
    out["answered"] = out["answered"].fillna(0).astype(int) > 0
    out["final"] = out["final"].astype("UInt16")
    times = m.set_index("frame")["ts"]
    out["final_ts"] = pd.to_datetime(out["final_frame"].map(times), utc=True)
    return out.reset_index(drop=True)


def register_outcomes(capture: pbxlab.Capture, extension: str) -> list[int | None]:
    """Final statuses of the REGISTERs for ``extension`` sent to the registrar, in order."""
    t = transactions(capture.messages)
    mine = t[(t["method"] == "REGISTER") & (t["to_user"] == extension) & (t["dst"] == REGISTRAR)]
    return [None if pd.isna(s) else int(s) for s in mine["final"]]


def seconds(capture: pbxlab.Capture, ts: pd.Series | pd.Timestamp) -> pd.Series | float:
    """Seconds since the capture's first SIP message."""
    start = capture.messages["ts"].min()
    return (ts - start) / pd.Timedelta(seconds=1)


def keepalives_to(capture: pbxlab.Capture, ip: str) -> pd.DataFrame:
    """The registrar's OPTIONS keepalives to ``ip``, with whether each was answered."""
    t = transactions(capture.messages)
    return t[(t["method"] == "OPTIONS") & (t["src"] == REGISTRAR) & (t["dst"] == ip)]


def assert_loopback_only(capture: pbxlab.Capture) -> None:
    """Every packet of the capture (signalling and media) was between loopback addresses."""
    addresses = set(capture.messages["src"].astype(str)) | set(capture.messages["dst"].astype(str))
    addresses |= set(capture.rtp_streams["src"].astype(str))
    addresses |= set(capture.rtp_streams["dst"].astype(str))
    assert addresses, "no packet in the capture"
    assert all(ipaddress.ip_address(a).is_loopback for a in addresses), sorted(addresses)
    assert capture.errors.empty, capture.errors.to_string()
    assert capture.messages["parse_error"].isna().all()


def _successful_registers(capture: pbxlab.Capture, extension: str) -> pd.DataFrame:
    t = transactions(capture.messages)
    return t[
        (t["method"] == "REGISTER")
        & (t["to_user"] == extension)
        & (t["dst"] == REGISTRAR)
        & (t["final"] == 200)
    ]


def check_healthy(capture: pbxlab.Capture) -> None:
    assert register_outcomes(capture, "201") == [401, 200] * 3
    granted = capture.messages[
        (capture.messages["status"] == 200) & (capture.messages["cseq_method"] == "REGISTER")
    ]["contact_expires"]
    assert list(granted) == [10, 10, 10]
    pings = keepalives_to(capture, "127.0.0.11")
    assert len(pings) >= 4
    assert (pings["final"] == 200).all()
    assert set(capture.messages["status"].dropna()) == {200, 401}


def check_flapping(capture: pbxlab.Capture) -> None:
    # 210: expiry without refresh. Four registrations of 4 s, 7 s apart, so
    # it lapses three times for 3 s; the registrar stops its keepalives then.
    lapsing = _successful_registers(capture, "210")
    assert list(lapsing["expires"]) == [4, 4, 4, 4]
    starts = [float(s) for s in seconds(capture, lapsing["ts"])]
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert all(6.5 < g < 7.6 for g in gaps), gaps
    pings = [float(s) for s in seconds(capture, keepalives_to(capture, "127.0.0.20")["ts"])]
    for registered, next_registered in itertools.pairwise(starts):
        assert not [p for p in pings if registered + 5.0 < p < next_registered], pings
    # 211: unregister/register loop, every REGISTER authenticated and accepted.
    looping = _successful_registers(capture, "211")
    assert list(looping["expires"]) == [20, 0] * 4
    assert register_outcomes(capture, "211") == [401, 200] * 8


def check_nat(capture: pbxlab.Capture) -> None:
    t = transactions(capture.messages)
    m = _plain(capture.messages)
    for extension, port, lan_ip in (("202", 5062, "192.168.1.10"), ("203", 5064, "192.168.1.11")):
        assert register_outcomes(capture, extension) == [401, 200, 401, 200]
        registers = t[(t["method"] == "REGISTER") & (t["to_user"] == extension)]
        assert set(registers["src"]) == {"127.0.0.13"}
        assert set(registers["sport"]) == {port}
        assert set(registers["via_host"]) == {lan_ip}
        assert set(registers["contact"]) == {f"sip:{extension}@{lan_ip}:5060"}
        # The registrar answered to the packet's source and said so in the Via.
        answers = m[(m["cseq_method"] == "REGISTER") & (m["to_user"] == extension)]
        answers = answers[~answers["is_request"].astype(bool)]
        assert set(answers["dst"]) == {"127.0.0.13"}
        assert set(answers["dport"]) == {port}
        assert set(answers["via_received"]) == {"127.0.0.13"}
        assert set(answers["via_rport"]) == {str(port)}
    # Keepalives reach both phones at the NAT's address and are answered.
    pings = keepalives_to(capture, "127.0.0.13")
    assert set(pings["dport"]) == {5062, 5064}
    assert len(pings) >= 6
    assert (pings["final"] == 200).all()


def check_no_answer(capture: pbxlab.Capture) -> None:
    assert register_outcomes(capture, "204") == [401, 200, 401, 200]
    pings = keepalives_to(capture, "127.0.0.14")
    assert len(pings) >= 3
    assert not pings["answered"].any()
    # After 6 s without an answer the registrar drops the contact: no
    # keepalives between then and the phone's next registration.
    registered = [float(s) for s in seconds(capture, _successful_registers(capture, "204")["ts"])]
    ping_times = [float(s) for s in seconds(capture, pings["ts"])]
    assert not [p for p in ping_times if registered[0] + 7.0 < p < registered[1]], ping_times
    t = transactions(capture.messages)
    forwarded = t[(t["method"] == "INVITE") & (t["dst"] == "127.0.0.14")]
    assert len(forwarded) == 1
    assert int(forwarded["sent"].iloc[0]) >= 3  # retransmitted, never answered
    assert not forwarded["answered"].any()
    caller = t[(t["method"] == "INVITE") & (t["src"] == "127.0.0.19")]
    assert list(caller["final"]) == [407, 408]
    assert (keepalives_to(capture, "127.0.0.19")["final"] == 200).all()


def check_two_phones(capture: pbxlab.Capture) -> None:
    m = _plain(capture.messages)
    ok = m[(m["status"] == 200) & (m["cseq_method"] == "REGISTER") & (m["to_user"] == "205")]
    assert ok["contact_count"].max() == 2
    t = transactions(capture.messages)
    invites = t[(t["method"] == "INVITE") & (t["src"] == REGISTRAR)]
    assert dict(zip(invites["dst"], invites["final"], strict=True)) == {
        "127.0.0.15": 200,
        "127.0.0.16": 487,
    }
    ringing = m[(m["status"] == 180) & (m["dst"] == REGISTRAR)]
    assert set(ringing["src"]) == {"127.0.0.15", "127.0.0.16"}
    cancels = t[t["method"] == "CANCEL"]
    assert list(zip(cancels["dst"], cancels["final"], strict=True)) == [("127.0.0.16", 200)]
    caller = t[(t["method"] == "INVITE") & (t["src"] == "127.0.0.19")]
    assert list(caller["final"]) == [407, 200]
    bye = t[(t["method"] == "BYE") & (t["src"] == "127.0.0.19")]
    assert list(bye["final"]) == [200]
    rtp = capture.rtp_streams
    directions = set(zip(rtp["src"].astype(str), rtp["dst"].astype(str), strict=True))
    assert directions == {("127.0.0.19", "127.0.0.15"), ("127.0.0.15", "127.0.0.19")}


def check_wrong_password(capture: pbxlab.Capture) -> None:
    assert register_outcomes(capture, "206") == [401] * 8
    t = transactions(capture.messages)
    attempts = t[(t["method"] == "REGISTER") & (t["to_user"] == "206") & t["auth_user"].notna()]
    assert list(attempts["auth_user"]) == ["206"] * 4
    assert register_outcomes(capture, "207") == [401, 403, 401, 200]
    forbidden = t[(t["to_user"] == "207") & (t["final"] == 403)]
    assert list(forbidden["auth_user"]) == ["2O7"]


def check_scanner(capture: pbxlab.Capture) -> None:
    t = transactions(capture.messages)
    probes = t[t["src"] == "127.0.0.66"]
    assert set(probes["user_agent"]) == {"friendly-scanner"}
    assert probes["auth_user"].isna().all()  # it never tries a password
    for method, finals in (
        ("OPTIONS", {404: 19, 200: 1}),
        ("REGISTER", {401: 20}),
        ("INVITE", {407: 20}),
    ):
        mine = probes[probes["method"] == method]
        assert mine["to_user"].nunique() == 20
        assert mine["final"].value_counts().to_dict() == finals
    # The one live extension answered the probe through the registrar...
    forwarded = t[(t["method"] == "OPTIONS") & (t["src"] == REGISTRAR) & (t["to_user"] == "201")]
    assert (forwarded["dst"] == "127.0.0.11").any()
    # ...and its own registration was untouched.
    assert register_outcomes(capture, "201")[:2] == [401, 200]
    assert set(register_outcomes(capture, "201")) == {401, 200}


def check_call(capture: pbxlab.Capture) -> None:
    t = transactions(capture.messages)
    m = _plain(capture.messages)
    caller = t[(t["method"] == "INVITE") & (t["src"] == "127.0.0.19")]
    assert list(caller["final"]) == [407, 200]
    call_id = caller["call_id"].iloc[-1]
    dialog = m[m["call_id"] == call_id]
    ringing = dialog[(dialog["status"] == 180) & (dialog["dst"] == "127.0.0.19")]["ts"].min()
    answered = dialog[(dialog["status"] == 200) & (dialog["cseq_method"] == "INVITE")]["ts"].min()
    assert 1.2 < (answered - ringing) / pd.Timedelta(seconds=1) < 2.5
    # ACK and BYE follow the Record-Route through the registrar to the callee.
    for method in ("ACK", "BYE"):
        hops = dialog[dialog["is_request"].astype(bool) & (dialog["method"] == method)]
        hops = hops[hops["cseq_num"] == hops["cseq_num"].max()]
        assert list(zip(hops["src"], hops["dst"], strict=True))[-2:] == [
            ("127.0.0.19", REGISTRAR),
            (REGISTRAR, "127.0.0.18"),
        ]
    assert list(t[(t["method"] == "BYE") & (t["src"] == "127.0.0.19")]["final"]) == [200]
    rtp = capture.rtp_streams
    directions = set(zip(rtp["src"].astype(str), rtp["dst"].astype(str), strict=True))
    assert directions == {("127.0.0.19", "127.0.0.18"), ("127.0.0.18", "127.0.0.19")}
    assert (rtp["packets"] >= 140).all()  # 3 s of 20 ms packets each way


def check_one_way_audio(capture: pbxlab.Capture) -> None:
    assert register_outcomes(capture, "212") == [401, 200]
    t = transactions(capture.messages)
    m = _plain(capture.messages)
    caller = t[(t["method"] == "INVITE") & (t["src"] == "127.0.0.13")]
    assert list(caller["final"]) == [407, 200]
    offers = m[m["is_request"].astype(bool) & (m["method"] == "INVITE")]
    assert set(offers[offers["src"] == "127.0.0.13"]["sdp_connection"]) == {"192.168.1.12"}
    assert set(offers[offers["dst"] == "127.0.0.18"]["sdp_connection"]) == {"192.168.1.12"}
    assert list(t[(t["method"] == "BYE") & (t["src"] == "127.0.0.13")]["final"]) == [200]
    # The registrar's keepalives reach the caller at its NAT address and are answered.
    pings = keepalives_to(capture, "127.0.0.13")
    assert len(pings) >= 2
    assert (pings["final"] == 200).all()
    rtp = capture.rtp_streams
    directions = set(zip(rtp["src"].astype(str), rtp["dst"].astype(str), strict=True))
    assert directions == {("127.0.0.13", "127.0.0.18")}  # nothing comes back
    assert (rtp["packets"] >= 140).all()


def check_nat_timeout(capture: pbxlab.Capture) -> None:
    # 213 registers for 60 s, refreshing every 6.5 s, from 127.0.0.22:5062
    # with its LAN address in Via and Contact.
    assert register_outcomes(capture, "213") == [401, 200] * 4
    registers = _successful_registers(capture, "213")
    assert list(registers["expires"]) == [60] * 4
    assert set(registers["src"]) == {"127.0.0.22"}
    assert set(registers["via_host"]) == {"192.168.1.13"}
    assert set(registers["contact"]) == {"sip:213@192.168.1.13:5060"}
    # The "NAT" lets a keepalive through only within 1.8 s of the phone's last
    # packet (a REGISTER or an answer): at most the first one after each
    # REGISTER is answered, the next ones (2 s later) are dropped.
    registered = [float(s) for s in seconds(capture, registers["ts"])]
    pings = keepalives_to(capture, "127.0.0.22")
    assert set(pings["dport"]) == {5062}
    answered = [float(s) for s in seconds(capture, pings[pings["answered"]]["ts"])]
    lost = [float(s) for s in seconds(capture, pings[~pings["answered"]]["ts"])]
    assert len(answered) >= 2, answered
    assert len(lost) >= 2 * len(registered) - 1, lost
    for ping in answered:
        assert any(0 <= ping - r < 1.8 for r in registered), (ping, registered)
    for ping in lost:
        assert not any(0 <= ping - r < 1.8 for r in registered), (ping, registered)


CHECKS: dict[str, Callable[[pbxlab.Capture], None]] = {
    "healthy": check_healthy,
    "flapping": check_flapping,
    "nat": check_nat,
    "no-answer": check_no_answer,
    "two-phones": check_two_phones,
    "wrong-password": check_wrong_password,
    "scanner": check_scanner,
    "call": check_call,
    "one-way-audio": check_one_way_audio,
    "nat-timeout": check_nat_timeout,
}
