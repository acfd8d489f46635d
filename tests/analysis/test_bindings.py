"""Binding intervals: each life-cycle transition from hand-built evidence, and the corpus."""

from __future__ import annotations

import pandas as pd

from pbxlab import read_capture
from pbxlab.analysis import BindingPolicy, bindings, bindings_from_events
from pbxlab.tables import BINDINGS
from tests.analysis.builders import at, event, events, register, reply, table
from tests.conftest import corpus_path

PHONE = "sip:201@192.168.1.10:5060"


def _login(t: float, **kwargs: object) -> list[dict[str, object]]:
    """A REGISTER answered 200 OK listing its own contact with the asked expiry."""
    request = register(t, **kwargs)  # type: ignore[arg-type]
    expires = request["expires"]
    return [request, reply(request, t + 0.05, 200, contacts=[(request["contact"], expires)])]


def _summary(frame: pd.DataFrame) -> list[tuple[str, str, str]]:
    return [
        (str(r.extension), str(r.contact), str(r.end_reason)) for r in frame.itertuples(index=False)
    ]


def test_registered_refreshed_unregistered() -> None:
    messages = table(
        *_login(0, cseq=1),
        *_login(300, cseq=2),
        *_login(400, cseq=3, expires=0),
    )
    found = bindings(messages)
    BINDINGS.validate(found)
    assert _summary(found) == [("201", PHONE, "unregistered")]
    row = found.iloc[0]
    assert (row["start"], row["end"]) == (at(0.05), at(400.05))
    assert row["refreshes"] == 1
    assert row["source"] == "192.168.1.10:5060"
    assert row["evidence"] == "hand.pcap:frame 2;hand.pcap:frame 4;hand.pcap:frame 6"


def test_expired_without_refresh_ends_at_the_granted_expiry() -> None:
    # granted 60 s; the next successful REGISTER comes 200 s later: a lapse, then a new binding
    messages = table(*_login(0, cseq=1, expires=60), *_login(200, cseq=2, expires=60))
    found = bindings(messages)
    assert _summary(found) == [("201", PHONE, "expired"), ("201", PHONE, "still_active")]
    assert found["end"].iloc[0] == at(60.05)
    assert found["start"].iloc[1] == at(200.05)


def test_refresh_within_the_grace_continues_the_binding() -> None:
    messages = table(*_login(0, cseq=1, expires=60), *_login(61, cseq=2, expires=60))
    assert _summary(bindings(messages)) == [("201", PHONE, "still_active")]
    strict = bindings(messages, policy=BindingPolicy(expiry_grace=pd.Timedelta(0)))
    assert _summary(strict) == [("201", PHONE, "expired"), ("201", PHONE, "still_active")]


def test_same_phone_from_a_new_port_replaces_the_old_binding() -> None:
    messages = table(
        *_login(0, src=("192.168.1.10", 5060), call_id="a"),
        *_login(30, src=("192.168.1.10", 5072), call_id="b"),
    )
    found = bindings(messages)
    assert [r for r in found["end_reason"]] == ["replaced", "still_active"]
    assert found["end"].iloc[0] == found["start"].iloc[1] == at(30.05)


def test_nat_rebinding_same_contact_new_source_is_a_replacement() -> None:
    events_ = events(
        event(0, "registered", contact=PHONE, source="198.51.100.7:40001", detail="expires 600 s"),
        event(100, "refreshed", contact=PHONE, source="198.51.100.7:40001", detail="expires 600 s"),
        event(200, "refreshed", contact=PHONE, source="198.51.100.7:51234", detail="expires 600 s"),
    )
    found = bindings_from_events(events_, until=at(300))
    assert found["end_reason"].tolist() == ["replaced", "still_active"]
    assert found["source"].tolist() == ["198.51.100.7:40001", "198.51.100.7:51234"]
    assert found["refreshes"].tolist() == [1, 0]


def test_two_phones_on_one_extension_both_stay_bound() -> None:
    messages = table(
        *_login(0, src=("192.168.1.10", 5060), call_id="desk"),
        *_login(5, src=("192.168.1.10", 5062), call_id="soft", ua="Zoiper 5"),
    )
    found = bindings(messages)
    assert found["end_reason"].tolist() == ["still_active", "still_active"]
    assert found["user_agent"].tolist() == ["Yealink SIP-T46U", "Zoiper 5"]


def test_contact_star_unregisters_every_contact() -> None:
    remove_all = register(50, contact="*", expires=0, call_id="desk", cseq=9)
    messages = table(
        *_login(0, src=("192.168.1.10", 5060), call_id="desk"),
        *_login(5, src=("192.168.1.11", 5060), call_id="soft", ua="Zoiper 5"),
        remove_all,
        reply(remove_all, 50.1, 200),
    )
    found = bindings(messages)
    assert found["end_reason"].tolist() == ["unregistered", "unregistered"]
    assert (found["end"] == at(50.1)).all()


def test_log_events_without_expiry_end_as_capture_ended() -> None:
    found = bindings_from_events(
        events(event(0, "registered", contact=PHONE), event(10, "reachable")), until=at(60)
    )
    assert _summary(found) == [("201", PHONE, "capture_ended")]
    assert found["end"].iloc[0] == at(60)


def test_log_expired_and_unregistered_events() -> None:
    found = bindings_from_events(
        events(
            event(0, "registered", contact=PHONE, detail="expires 3600 s"),
            event(100, "expired", contact=PHONE),
            event(200, "registered", contact=PHONE, detail="expires 3600 s"),
            event(300, "unregistered", contact=PHONE, detail="removed due to remove existing"),
        )
    )
    assert found["end_reason"].tolist() == ["expired", "unregistered"]
    assert found["end"].tolist() == [at(100), at(300)]


def test_qualify_only_logs_imply_a_binding() -> None:
    found = bindings_from_events(
        events(event(0, "unreachable", "668"), event(60, "reachable", "668")), until=at(120)
    )
    assert _summary(found) == [("668", "(unknown contact)", "capture_ended")]
    assert found["start"].iloc[0] == at(0)


def test_no_events_give_an_empty_table() -> None:
    assert list(bindings_from_events(events()).columns) == list(BINDINGS.names)


def test_maryls_four_bindings_one_unregistered() -> None:
    messages = read_capture(corpus_path("pcaps/student-labs/MaryLS-Laborator09__sip.pcap")).messages
    found = bindings(messages).set_index("contact")
    assert len(found) == 4
    own = found.loc["sip:eim@192.168.60.101:46047;transport=udp"]
    assert (own["end_reason"], own["granted_expires"]) == ("unregistered", 3600)
    stale = found.drop(index="sip:eim@192.168.60.101:46047;transport=udp")
    # bindings of earlier sessions, listed by the registrar with their remaining expiry
    assert stale["end_reason"].tolist() == ["still_active"] * 3
    assert sorted(stale["granted_expires"]) == [3283, 3311, 3423]
    assert sorted(stale["source"]) == [
        "141.85.225.204:43820",
        "141.85.225.204:51166",
        "141.85.225.204:58250",
    ]


def test_sip_hello_refreshes_every_300_seconds() -> None:
    found = bindings(read_capture(corpus_path("pcaps/ndpi/sip_hello.pcapng")).messages)
    assert len(found) == 1
    row = found.iloc[0]
    assert (row["extension"], row["end_reason"], row["granted_expires"], row["refreshes"]) == (
        "26841945",
        "still_active",
        600,
        1,
    )


def test_magicjack_reboot_replaces_the_binding() -> None:
    found = bindings(
        read_capture(corpus_path("pcaps/wireshark-wiki/MagicJack_pwr_up.pcap")).messages
    )
    assert found["end_reason"].tolist() == ["replaced", "still_active"]
    assert found["source"].tolist() == ["192.168.0.10:40140", "192.168.0.10:54304"]
    assert found["granted_expires"].tolist() == [1800, 1800]
