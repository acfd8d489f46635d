"""The analysis tables on the lab recordings in sample_pcaps/ (kamailio + SIPp, loopback).

Each recording's ground truth is in sample_pcaps/README.md.
"""

from __future__ import annotations

from functools import cache

import pytest

from pbxlab import read_capture
from pbxlab.analysis import Analysis, analyze
from tests.conftest import SAMPLES


@cache
def _lab(name: str) -> Analysis:
    path = SAMPLES / f"lab-{name}.pcap"
    if not path.exists():
        pytest.skip(f"{path} not recorded")
    return analyze(read_capture(path))


def _states(result: Analysis, extension: str) -> list[str]:
    rows = result.status[result.status["extension"] == extension]
    return rows["state"].astype(str).tolist()


def test_healthy_phone() -> None:
    result = _lab("healthy")
    assert result.bindings["end_reason"].tolist() == ["still_active"]
    assert result.bindings["refreshes"].tolist() == [2]
    assert result.keepalives["answered"].all() and len(result.keepalives) == 6
    assert _states(result, "201") == ["online"]
    assert result.reliability["transitions"].tolist() == [0]


def test_flapping_phones() -> None:
    result = _lab("flapping")
    expired = result.bindings[result.bindings["extension"] == "210"]["end_reason"].tolist()
    assert expired == ["expired", "expired", "expired", "still_active"]
    loop = result.bindings[result.bindings["extension"] == "211"]["end_reason"].tolist()
    assert loop == ["unregistered"] * 4
    assert (result.registrations["result"].isin(["ok", "challenged"])).all()
    assert _states(result, "210") == ["online", "offline"] * 3 + ["online"]
    assert _states(result, "211") == ["online", "offline"] * 4
    by_extension = result.reliability.set_index("extension")
    assert by_extension.loc["210", "transitions"] == 6
    assert by_extension.loc["211", "transitions"] == 7
    assert (by_extension["flapping_score"] == 1.0).all()


def test_nat_handled() -> None:
    result = _lab("nat")
    bound = result.bindings.set_index("extension")
    assert bound.loc["202", "contact"] == "sip:202@192.168.1.10:5060"
    assert bound.loc["202", "source"] == "127.0.0.13:5062"
    assert bound.loc["203", "source"] == "127.0.0.13:5064"
    # the registrar's keepalives reach the phones at the NAT's address
    assert set(result.keepalives["target"]) == {"127.0.0.13:5062", "127.0.0.13:5064"}
    assert result.keepalives["answered"].all()
    assert _states(result, "202") == _states(result, "203") == ["online"]


def test_phone_that_never_answers() -> None:
    result = _lab("no-answer")
    probes = result.keepalives[result.keepalives["extension"] == "204"]
    assert not probes["answered"].any()
    assert set(probes["method"]) == {"OPTIONS", "INVITE"}
    history = result.status[result.status["extension"] == "204"]
    assert "offline" in _states(result, "204")
    assert history["reason"].str.contains("unreachable").any()
    call = result.calls.iloc[0]
    assert (call["callee"], call["end_reason"], call["final_status"]) == ("204", "failed", 408)


def test_two_phones_on_one_extension() -> None:
    result = _lab("two-phones")
    bound = result.bindings[result.bindings["extension"] == "205"]
    assert len(bound) == 2 and (bound["end_reason"] == "still_active").all()
    assert _states(result, "205") == ["online", "ringing", "in_use", "online"]
    last = result.status[result.status["extension"] == "205"].iloc[-1]
    assert last["reason"] == "registered (2 contacts)"
    # the forked INVITE reached both phones
    invites = result.keepalives[result.keepalives["method"] == "INVITE"]
    assert len(invites) == 2 and invites["answered"].all()


def test_wrong_password_and_typo() -> None:
    result = _lab("wrong-password")
    by_ext = result.registrations.groupby("extension")["result"].apply(
        lambda r: r.astype(str).tolist()
    )
    assert by_ext["206"] == ["challenged", "auth_failed"] * 4
    # the typo: the misspelt user name is refused (403), the corrected one registers
    assert by_ext["207"] == ["challenged", "forbidden", "challenged", "ok"]
    assert _states(result, "206") == ["offline"]
    assert (
        result.status[result.status["extension"] == "206"]["reason"]
        .iloc[0]
        .startswith("registration auth failed")
    )
    assert _states(result, "207") == ["offline", "online"]


def test_scanner_probes_do_not_invent_extensions() -> None:
    result = _lab("scanner")
    assert result.status["extension"].unique().tolist() == ["201"]
    assert len(result.calls) == 20
    assert (result.calls["final_status"] == 407).all()


def test_call_rings_then_is_answered() -> None:
    result = _lab("call")
    call = result.calls.iloc[0]
    assert (call["caller"], call["callee"], call["end_reason"]) == ("209", "208", "bye")
    assert (call["rtp_streams"], call["rtp_directions"]) == (2, 2)
    assert _states(result, "208") == ["online", "ringing", "in_use", "online"]
    assert _states(result, "209") == ["online", "in_use", "online"]


def test_one_way_audio_has_media_in_one_direction() -> None:
    call = _lab("one-way-audio").calls.iloc[0]
    assert (call["end_reason"], call["rtp_streams"], call["rtp_directions"]) == ("bye", 1, 1)
