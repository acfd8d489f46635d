"""INVITE dialogs: ringing, answer, end, forking, media, B2BUA legs."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from pbxlab import read_capture
from pbxlab.analysis import calls
from pbxlab.tables import CALLS
from tests.analysis.builders import PBX, at, reply, request, table
from tests.conftest import corpus_path

ALICE = ("192.168.1.10", 5060)
BOB = ("192.168.1.20", 5060)


def _invite(t: float, call_id: str = "c1", src: Any = ALICE, dst: Any = PBX, cseq: int = 1) -> Any:
    return request(
        t, "INVITE", src=src, dst=dst, from_user="201", to_user="202", call_id=call_id, cseq=cseq
    )


def _one(*rows: dict[str, Any]) -> pd.Series:
    found = calls(table(*rows))
    CALLS.validate(found)
    assert len(found) == 1
    return found.iloc[0]


def test_ringing_answered_and_hung_up() -> None:
    invite = _invite(0)
    bye = request(
        30, "BYE", src=BOB, dst=ALICE, from_user="202", to_user="201", call_id="c1", cseq=2
    )
    call = _one(
        invite,
        reply(invite, 0.01, 100),
        reply(invite, 0.5, 180),
        reply(invite, 4, 200),
        bye,
        reply(bye, 30.01, 200),
    )
    assert (call["ringing_at"], call["answered_at"], call["end"]) == (at(0.5), at(4), at(30))
    assert (call["end_reason"], call["final_status"]) == ("bye", 200)
    assert call["evidence"] == "hand.pcap:frame 1;hand.pcap:frame 4;hand.pcap:frame 5"


@pytest.mark.parametrize(
    ("tail", "end_reason", "final_status", "end"),
    [
        ([("cancel", 8)], "cancel", None, at(8)),
        ([(486, 3)], "failed", 486, at(3)),
        ([], "ongoing", None, at(0.5)),  # still ringing when the evidence ends
    ],
)
def test_unanswered_endings(
    tail: list[tuple[Any, float]], end_reason: str, final_status: int | None, end: pd.Timestamp
) -> None:
    invite = _invite(0)
    rows = [invite, reply(invite, 0.5, 180)]
    for what, t in tail:
        if what == "cancel":
            rows.append(
                request(
                    t, "CANCEL", src=ALICE, dst=PBX, from_user="201", to_user="202", call_id="c1"
                )
            )
        else:
            rows.append(reply(invite, t, what))
    call = _one(*rows)
    assert call["end_reason"] == end_reason
    assert (None if pd.isna(call["final_status"]) else call["final_status"]) == final_status
    assert call["end"] == end


def test_no_response_within_timer_b_is_a_timeout() -> None:
    invite = _invite(0)
    later = request(60, "OPTIONS", src=PBX, dst=BOB, from_user=None, to_user="x", call_id="o")
    call = calls(table(invite, {**invite, "ts": at(0.5)}, later)).iloc[0]
    assert (call["end_reason"], call["end"]) == ("timeout", at(32))


def test_challenged_invite_resent_with_credentials_is_one_call() -> None:
    first = _invite(0, cseq=1)
    second = _invite(1, cseq=2)
    call = _one(
        first, reply(first, 0.1, 407), second, reply(second, 1.5, 180), reply(second, 3, 200)
    )
    assert (call["final_status"], call["answered_at"]) == (200, at(3))


def test_forked_answers_stay_one_call() -> None:
    invite = _invite(0)
    ring_a = {**reply(invite, 0.4, 180), "to_tag": "a"}
    ring_b = {**reply(invite, 0.6, 180), "to_tag": "b"}
    answer_b = {**reply(invite, 2, 200), "to_tag": "b"}
    call = _one(invite, ring_a, ring_b, answer_b)
    assert (call["ringing_at"], call["answered_at"], call["end_reason"]) == (
        at(0.4),
        at(2),
        "ongoing",
    )


def test_b2bua_legs_share_a_group() -> None:
    leg_a = _invite(0, call_id="leg-a", src=ALICE, dst=PBX)
    leg_b = _invite(0.05, call_id="leg-b", src=PBX, dst=BOB)
    unrelated = _invite(0.1, call_id="other", src=("192.168.1.30", 5060), dst=PBX)
    found = calls(table(leg_a, leg_b, unrelated)).set_index("call_id")
    assert found.loc["leg-a", "leg_group"] == found.loc["leg-b", "leg_group"] == "leg-a"
    # same parties, but not sent from the PBX address leg-a went to
    assert found.loc["other", "leg_group"] == "other"


def test_sip_call_rtp_g711_ringing_then_answered() -> None:
    capture = read_capture(corpus_path("pcaps/wireshark-wiki/SIP_CALL_RTP_G711.pcap"))
    found = calls(capture.messages, capture.rtp_streams).set_index("call_id")
    first = found.loc["12013223@200.57.7.195"]
    assert first["callee"] == "francisco"
    assert first["ringing_at"] < first["answered_at"]
    assert (first["end_reason"], first["final_status"]) == ("ongoing", 200)
    assert (first["rtp_streams"], first["rtp_directions"]) == (2, 2)
    second = found.loc["12015624@200.57.7.195"]
    assert (second["caller"], second["end_reason"]) == ("5514540002", "ongoing")
    assert pd.notna(second["ringing_at"]) and pd.isna(second["answered_at"])


def test_sip_rtp_g711_hung_up_then_a_second_call() -> None:
    capture = read_capture(corpus_path("pcaps/wireshark-wiki/sip-rtp-g711.pcap"))
    found = calls(capture.messages, capture.rtp_streams)
    assert found["end_reason"].tolist() == ["bye", "ongoing"]
    assert found["final_status"].tolist() == [200, 200]
    # two RTP streams, both towards 10.0.2.20:6000: media in one direction only
    assert found["rtp_directions"].tolist() == [0, 1]


def test_aaa_cancelled_and_refused_calls() -> None:
    found = calls(read_capture(corpus_path("pcaps/sngrep/aaa.pcap")).messages)
    assert found["end_reason"].tolist() == ["cancel", "failed", "failed", "failed"]
    assert found["final_status"].tolist() == [408, 403, 403, 480]
    assert found["ringing_at"].notna().tolist() == [False, False, False, True]


def test_no_invite_gives_an_empty_table() -> None:
    assert list(calls(table()).columns) == list(CALLS.names)
