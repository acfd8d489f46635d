"""ONE_WAY_AUDIO and MULTIPLE_PHONES on hand-built tables."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from pbxlab.analysis import diagnose
from tests.analysis.findings import frames as f

PHONE_LAN = "192.168.1.20"
PUBLIC = "203.0.113.7"


def call(sdp: str = PHONE_LAN, src: str = PHONE_LAN) -> pd.DataFrame:
    return f.messages(
        f.exchange(
            0, "INVITE", user="201", to_user="300", src=src, sdp=sdp, call_id="c1", auth=True
        )
    )


def stream(src: str, dst: str, packets: int = 500, **kw: Any) -> dict[str, Any]:
    return {
        "call_id": "c1",
        "src": src,
        "sport": 4000,
        "dst": dst,
        "dport": 10000,
        "packets": packets,
        **kw,
    }


def one_way(found: pd.DataFrame) -> pd.DataFrame:
    return found[found["code"] == "ONE_WAY_AUDIO"]


def test_audio_from_a_natted_phone_with_nothing_back_is_one_way_audio() -> None:
    media = f.rtp([stream(PUBLIC, f.PLATFORM, src_announced=False)])
    row = one_way(diagnose(messages=call(), rtp_streams=media)).iloc[0]
    assert row["severity"] == "warning" and row["extension"] == "201"
    assert "500 packets" in row["summary"] and "cannot reach the phone's RTP port" in row["summary"]
    assert "Fix the NAT/firewall" in row["action"]
    assert "lab.pcap:frame 100" in row["evidence"]


def test_one_way_audio_makes_the_private_sdp_a_warning_but_not_the_handled_signalling() -> None:
    messages = f.messages(
        [
            *f.login(0, "201", PHONE_LAN, received=PUBLIC, rport="40001"),
            *f.exchange(
                5,
                "INVITE",
                user="201",
                to_user="300",
                src=PHONE_LAN,
                sdp=PHONE_LAN,
                received=PUBLIC,
                rport="40001",
                call_id="c1",
                auth=True,
            ),
        ]
    )
    media = f.rtp([stream(PUBLIC, f.PLATFORM, src_announced=False)])
    found = diagnose(messages=messages, rtp_streams=media)
    severities = dict(zip(found["code"].astype(str), found["severity"].astype(str), strict=True))
    assert severities["ONE_WAY_AUDIO"] == "warning"
    assert severities["NAT_SDP_PRIVATE"] == "warning"
    assert severities["NAT_CONTACT_PRIVATE"] == "info"
    sdp = found[found["code"] == "NAT_SDP_PRIVATE"].iloc[0]
    assert "audio sent to the phone does not" in sdp["summary"]


def test_media_both_ways_is_not_one_way() -> None:
    media = f.rtp([stream(PHONE_LAN, f.PLATFORM), stream(f.PLATFORM, PHONE_LAN)])
    assert one_way(diagnose(messages=call(), rtp_streams=media)).empty


def test_a_few_packets_of_call_setup_are_not_judged() -> None:
    media = f.rtp([stream(PUBLIC, f.PLATFORM, packets=20, src_announced=False)])
    assert one_way(diagnose(messages=call(), rtp_streams=media)).empty


def test_one_way_on_one_lan_is_information_only() -> None:
    media = f.rtp([stream("10.0.2.15", "10.0.2.20")])
    row = one_way(
        diagnose(messages=call(sdp="10.0.2.20", src="10.0.2.20"), rtp_streams=media)
    ).iloc[0]
    assert row["severity"] == "info" and "same network" in row["summary"]


def test_rtcp_alone_does_not_count() -> None:
    media = f.rtp([stream(PUBLIC, f.PLATFORM, kind="rtcp", src_announced=False)])
    assert one_way(diagnose(messages=call(), rtp_streams=media)).empty


LIST = (
    "<sip:eim@192.168.60.101:47366>;expires=3283, <sip:eim@192.168.60.101:34851>;expires=3311, "
    "<sip:eim@192.168.60.101:46047>;expires=3600"
)


def test_a_registrar_listing_several_contacts_means_multiple_phones() -> None:
    rows = f.exchange(
        0, "REGISTER", user="eim", src=PHONE_LAN, answer_contacts=LIST, answer_count=3
    )
    found = diagnose(messages=f.messages(rows))
    row = found[found["code"] == "MULTIPLE_PHONES"].iloc[0]
    assert row["severity"] == "info" and row["extension"] == "eim"
    assert "3 phones registered at once" in row["summary"]
    assert "stale bindings" in row["summary"]  # one host, several ports


def binding(contact: str, start: float, end: float, reason: str = "still_active") -> dict[str, Any]:
    return {
        "extension": "201",
        "contact": contact,
        "start": f.at(start),
        "end": f.at(end),
        "end_reason": reason,
        "evidence": f"lab.pcap:frame {int(start) + 1}",
    }


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([binding("sip:201@10.0.0.5", 0, 3600), binding("sip:201@10.0.0.9", 60, 3600)], 1),
        # one phone re-registering from a new port: replaced, never two at once
        (
            [
                binding("sip:201@10.0.0.5:5060", 0, 60, "replaced"),
                binding("sip:201@10.0.0.5:5062", 60, 3600),
            ],
            0,
        ),
        ([binding("sip:201@10.0.0.5", 0, 3600)], 0),
    ],
)
def test_multiple_phones_from_bindings(rows: list[dict[str, Any]], expected: int) -> None:
    found = diagnose(bindings=f.bindings(rows))
    found = found[found["code"] == "MULTIPLE_PHONES"]
    assert len(found) == expected
    if expected:
        assert "desk" not in found.iloc[0]["summary"]
        assert "2 phones registered at once" in found.iloc[0]["summary"]
