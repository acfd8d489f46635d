"""REGISTER transactions: outcomes, retransmissions and granted expiry."""

from __future__ import annotations

import pandas as pd
import pytest

from pbxlab import read_capture
from pbxlab.analysis import registrations
from pbxlab.tables import REGISTRATIONS
from tests.analysis.builders import at, register, reply, table
from tests.conftest import corpus_path


def _results(frame: pd.DataFrame) -> list[str]:
    return [str(r) for r in frame["result"]]


def test_challenge_then_login() -> None:
    first = register(0, cseq=1)
    second = register(0.2, cseq=2, auth=True)
    regs = registrations(
        table(first, reply(first, 0.1, 401), second, reply(second, 0.3, 200, expires=600))
    )
    REGISTRATIONS.validate(regs)
    assert _results(regs) == ["challenged", "ok"]
    assert regs["granted_expires"].tolist() == [pd.NA, 600]
    assert regs["auth_user"].tolist() == [pd.NA, "201"]
    assert regs["evidence"].tolist() == ["hand.pcap:frame 1;hand.pcap:frame 2"] * 1 + [
        "hand.pcap:frame 3;hand.pcap:frame 4"
    ]


@pytest.mark.parametrize(
    ("status", "result"),
    [(401, "auth_failed"), (407, "auth_failed"), (403, "forbidden"), (500, "error")],
)
def test_refused_credentials(status: int, result: str) -> None:
    first = register(0, cseq=1)
    second = register(0.2, cseq=2, auth=True)
    regs = registrations(table(first, reply(first, 0.1, 401), second, reply(second, 0.3, status)))
    assert _results(regs) == ["challenged", result]
    assert regs["status"].tolist() == [401, status]


def test_cached_credentials_refused_once_is_a_challenge() -> None:
    # a stale nonce: credentials sent without a fresh challenge, answered 401
    stale = register(0, cseq=5, auth=True)
    assert _results(registrations(table(stale, reply(stale, 0.1, 401)))) == ["challenged"]


def test_retransmissions_and_timeout() -> None:
    request = register(0, expires=60)
    copies = [{**request, "ts": at(s)} for s in (0, 0.5, 1.5, 3.5)]
    regs = registrations(table(*copies))
    assert _results(regs) == ["timeout"]
    assert regs["retransmissions"].tolist() == [3]
    assert regs["status"].isna().all()


def test_answer_after_timer_f_is_a_timeout() -> None:
    request = register(0)
    assert _results(registrations(table(request, reply(request, 40, 200)))) == ["timeout"]


def test_granted_expiry_from_the_contact_list_beats_the_expires_header() -> None:
    request = register(0, expires=3600)
    other = "sip:201@10.0.0.7:5062"
    answer = reply(
        request,
        0.1,
        200,
        contacts=[(other, 100), (request["contact"], 300)],
        expires=3600,
    )
    regs = registrations(table(request, answer))
    assert regs[["requested_expires", "granted_expires"]].iloc[0].tolist() == [3600, 300]


def test_unregister_is_granted_zero() -> None:
    request = register(0, expires=0)
    regs = registrations(table(request, reply(request, 0.1, 200)))
    assert regs["granted_expires"].tolist() == [0]


def test_empty_messages_give_an_empty_table() -> None:
    regs = registrations(table())
    assert regs.empty
    assert list(regs.columns) == list(REGISTRATIONS.names)


def test_maryls_login_and_unregister() -> None:
    messages = read_capture(corpus_path("pcaps/student-labs/MaryLS-Laborator09__sip.pcap")).messages
    regs = registrations(messages)
    REGISTRATIONS.validate(regs)
    assert _results(regs) == ["challenged", "ok", "challenged", "ok"]
    assert regs["requested_expires"].tolist() == [3600, 3600, 0, 0]
    # the 200 OK lists four bindings; this phone's (port 46047) got 3600 s
    assert regs["granted_expires"].tolist()[1::2] == [3600, 0]
    assert regs["source"].unique().tolist() == ["192.168.60.101:46047"]


def test_webex_registers_are_never_answered() -> None:
    regs = registrations(read_capture(corpus_path("pcaps/ndpi/webex.pcap")).messages)
    assert _results(regs) == ["timeout", "timeout"]
    # 22 REGISTERs on the wire: two transactions of 11 copies each
    assert regs["retransmissions"].tolist() == [10, 10]
    assert regs["extension"].unique().tolist() == ["45191"]


def test_wireuploaded_forbidden_lines_and_a_shortened_expiry() -> None:
    regs = registrations(
        read_capture(corpus_path("pcaps/wireshark-wiki/wireuploaded.pcap")).messages
    )
    by_result = regs.groupby("result", observed=True)["extension"].apply(sorted).to_dict()
    assert by_result["forbidden"] == ["210", "210E210.1", "210E210.2", "210E210.3"]
    assert len(by_result["ok"]) == 9
    trunk = regs[regs["extension"] == "5053493876"].iloc[0]
    assert (trunk["requested_expires"], trunk["granted_expires"]) == (3600, 60)


def test_aaa_auth_loops() -> None:
    regs = registrations(read_capture(corpus_path("pcaps/sngrep/aaa.pcap")).messages)
    counts = regs["result"].value_counts().to_dict()
    # nine logins start with a challenge; five credentials are refused (one of them an
    # un-REGISTER), three succeed, one is forbidden
    assert counts == {
        "challenged": 9,
        "auth_failed": 5,
        "ok": 3,
        "forbidden": 1,
        "timeout": 0,
        "error": 0,
    }
