"""NAT findings on hand-built traffic: nathelper tests, handled vs broken NAT."""

from __future__ import annotations

import pandas as pd
import pytest

from pbxlab.analysis import diagnose
from tests.analysis.findings import frames as f

PHONE_LAN = "192.168.1.20"
PUBLIC = "203.0.113.7"


def codes(findings: pd.DataFrame, extension: str | None = None) -> dict[str, str]:
    rows = findings if extension is None else findings[findings["extension"] == extension]
    return dict(zip(rows["code"].astype(str), rows["severity"].astype(str), strict=True))


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # captured on the phone's side: only the server's received/rport show the NAT
        (
            f.login(0, "201", PHONE_LAN, received=PUBLIC, rport="40001"),
            {"NAT_CONTACT_PRIVATE", "NAT_VIA_MISMATCH", "NAT_PORT_MISMATCH"},
        ),
        # captured at the platform: the packet source itself is the public address
        (
            f.login(
                0,
                "201",
                PUBLIC,
                sport=40001,
                contact=f"sip:201@{PHONE_LAN}:5060",
                via_host=PHONE_LAN,
                via_port=5060,
            ),
            {"NAT_CONTACT_PRIVATE", "NAT_VIA_MISMATCH", "NAT_PORT_MISMATCH"},
        ),
        # a phone that learned a wrong public address (nathelper flag 32)
        (
            f.login(0, "201", PUBLIC, contact="sip:201@192.0.2.99:5060"),
            {"NAT_CONTACT_MISMATCH"},
        ),
        # the same LAN as the PBX, no translation: nothing to say
        (f.login(0, "201", PHONE_LAN), set()),
        # LAN phone sending from another port than it listens on: replies reach the Via port
        (f.login(0, "201", PHONE_LAN, sport=1627, via_port=5060), set()),
        # TCP: ephemeral source ports are normal, replies follow the connection
        (f.login(0, "201", PUBLIC, sport=51234, via_port=5060, transport="tcp"), set()),
    ],
)
def test_nathelper_tests_per_extension(rows: list[dict[str, object]], expected: set[str]) -> None:
    found = diagnose(messages=f.messages(rows))
    assert set(codes(found, "201")) == expected
    assert set(codes(found, "201").values()) <= {"info"}  # answered: the platform handles it


def test_private_sdp_is_info_when_media_flows_both_ways() -> None:
    rows = [
        *f.login(0, "201", PHONE_LAN, received=PUBLIC, rport="5060"),
        *f.exchange(
            5,
            "INVITE",
            user="201",
            to_user="300",
            src=PHONE_LAN,
            sdp=PHONE_LAN,
            received=PUBLIC,
            rport="5060",
            auth=True,
            call_id="c1",
        ),
    ]
    media = f.rtp(
        [
            {
                "call_id": "c1",
                "src": PUBLIC,
                "sport": 4000,
                "dst": f.PLATFORM,
                "dport": 10000,
                "packets": 400,
                "src_announced": False,
            },
            {
                "call_id": "c1",
                "src": f.PLATFORM,
                "sport": 10000,
                "dst": PUBLIC,
                "dport": 4000,
                "packets": 400,
            },
        ]
    )
    found = diagnose(messages=f.messages(rows), rtp_streams=media)
    assert codes(found, "201")["NAT_SDP_PRIVATE"] == "info"
    assert "ONE_WAY_AUDIO" not in codes(found)


def test_nat_becomes_a_warning_when_it_breaks_inbound_requests() -> None:
    rows = f.login(0, "201", PHONE_LAN, received=PUBLIC, rport="40001")
    rows += f.login(300, "201", PHONE_LAN, received=PUBLIC, rport="40001")  # evidence goes on
    probes = f.keepalives(
        [
            {"ts": f.at(30 * i), "extension": "201", "target": f"{PUBLIC}:40001", "answered": False}
            for i in range(1, 4)
        ]
    )
    found = diagnose(messages=f.messages(rows), keepalives=probes)
    by_code = codes(found, "201")
    assert by_code["NAT_INBOUND_BLOCKED"] == "critical"
    assert by_code["NAT_CONTACT_PRIVATE"] == "warning"
    row = found[found["code"] == "NAT_CONTACT_PRIVATE"].iloc[0]
    assert "Fix the NAT/firewall" in row["action"]
    assert "requests to the phone do not get through" in row["summary"]


def test_unanswered_registers_are_a_registration_timeout_and_unhandled_nat() -> None:
    rows = [
        row
        for t in (0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5, 40)
        for row in f.exchange(
            t,
            "REGISTER",
            user="45191",
            src="10.8.0.1",
            sport=64538,
            status=None,
            contact="sip:45191@10.133.206.47:64538",
            via_host="10.133.206.47",
            via_port=64538,
            call_id="reg-1",
            cseq=1,
        )
    ]
    found = diagnose(messages=f.messages(rows))
    by_code = codes(found, "45191")
    assert by_code["REGISTRATION_TIMEOUT"] == "critical"
    assert by_code["NAT_CONTACT_PRIVATE"] == "warning"
    summary = found[found["code"] == "REGISTRATION_TIMEOUT"].iloc[0]["summary"]
    assert "8 REGISTERs" in summary and "never got an answer" in summary


def test_a_register_younger_than_timer_f_at_the_end_is_not_judged() -> None:
    rows = f.exchange(0, "REGISTER", user="201", src=PUBLIC, status=None)
    rows += f.exchange(10, "OPTIONS", user="x", src="198.51.100.77")  # evidence ends at 10 s
    assert "REGISTRATION_TIMEOUT" not in codes(diagnose(messages=f.messages(rows)))


def test_a_strangers_invite_is_not_judged_for_nat() -> None:
    rows = f.exchange(
        0,
        "INVITE",
        user="18121862248",
        to_user="+3908351673002",
        src="179.43.150.26",
        sport=33489,
        via_port=5060,
        status=403,
    )
    found = diagnose(messages=f.messages(rows))
    assert not any(c.startswith("NAT_") for c in codes(found))
