"""Reboot phone: a real SIP NOTIFY to a real SIPp phone on 127.0.0.1."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import SecretStr

from pbxlab.capture.sip import parse_message
from pbxlab.errors import PhoneActionError
from pbxlab.extensions import Extension, ExtensionStore, reboot_event, reboot_phone, validated
from pbxlab.extensions.reboot import (
    Final,
    NotifyTransaction,
    build_notify,
    notify_target,
    send_reboot,
)
from tests.extensions.sipp_phone import sipp_phone

PASSWORD = "s3cr3t-Passw0rd"

pytestmark = pytest.mark.lab


@pytest.mark.parametrize(
    ("model", "user_agent", "vendor", "event"),
    [
        ("Snom D785", None, "snom", "check-sync;reboot=true"),
        ("Yealink T46S", None, "yealink", "check-sync;reboot=true"),
        ("Cisco SPA504G", None, "linksys", "reboot_now"),
        ("Linksys SPA942", None, "linksys", "reboot_now"),
        ("Polycom VVX 450", None, "polycom", "check-sync"),
        ("Grandstream GXP2160", None, "grandstream", "check-sync"),
        (None, "snom320/8.7.3.25", "snom", "check-sync;reboot=true"),
        (None, "Yealink SIP-T46S 66.86.0.15", "yealink", "check-sync;reboot=true"),
        (None, "Cisco/SPA504G-7.5.5", "linksys", "reboot_now"),
        ("Desk phone", "PolycomVVX-VVX_410-UA/5.9.0", "polycom", "check-sync"),
        (None, "Zoiper rv2.10", "generic", "check-sync"),
        (None, None, "generic", "check-sync"),
    ],
)
def test_vendor_variant(model: str | None, user_agent: str | None, vendor: str, event: str) -> None:
    variant = reboot_event(model, user_agent)
    assert (variant.vendor, variant.event) == (vendor, event)


@pytest.mark.parametrize(
    ("contact", "source", "expected"),
    [
        ("sip:201@127.0.0.1:5062;ob", None, "127.0.0.1:5062"),
        ("<sip:201@127.0.0.1>", None, "127.0.0.1:5060"),
        ("sip:201@[::1]:5070", None, "[::1]:5070"),
        ("sip:201@192.168.1.20:5060", "127.0.0.1:40000", "127.0.0.1:40000"),  # NAT: source wins
    ],
)
def test_notify_target(contact: str, source: str | None, expected: str) -> None:
    assert str(notify_target(contact, source)) == expected


@pytest.mark.parametrize(
    ("contact", "match"),
    [
        ("sip:201@127.0.0.1:5060;transport=tcp", "UDP only"),
        ("tel:+15551230201", "not a sip: URI"),
        ("sips:201@127.0.0.1:5061", "not a sip: URI"),
    ],
)
def test_unusable_contacts(contact: str, match: str) -> None:
    with pytest.raises(PhoneActionError, match=match):
        notify_target(contact)


def test_notify_is_a_well_formed_request() -> None:
    data = build_notify(
        notify_target("sip:201@127.0.0.1:5062;ob"), event="check-sync", local=("127.0.0.1", 40000),
        call_id="abc@pbxlab", from_tag="f1", cseq=2, branch="z9hG4bKx",
    )  # fmt: skip
    message = parse_message(data)
    assert (message.method, message.request_uri) == ("NOTIFY", "sip:201@127.0.0.1:5062;ob")
    assert message.header("Event") == "check-sync"
    assert message.header("CSeq") == "2 NOTIFY"
    assert message.header("To") == "<sip:201@127.0.0.1:5062>"
    assert message.header("Subscription-State") == "terminated"
    assert message.problems == []


def test_challenged_reboot_is_accepted(tmp_path: Path) -> None:
    with sipp_phone("phone_reboot_challenge.xml", tmp_path, "201", PASSWORD) as phone:
        result = send_reboot(
            notify_target(f"sip:201@127.0.0.1:{phone.port}"), event="check-sync;reboot=true",
            vendor="yealink", username="201", password=SecretStr(PASSWORD), timeout=8,
        )  # fmt: skip
    assert phone.returncode == 0, phone.errors  # SIPp saw the Event and a valid digest answer
    assert (result.outcome, result.status, result.challenged) == ("accepted", 200, True)
    assert "accepted the reboot NOTIFY" in result.summary()
    assert PASSWORD not in repr(result)


def test_wrong_password_is_refused(tmp_path: Path) -> None:
    with sipp_phone("phone_reboot_challenge.xml", tmp_path, "201", PASSWORD) as phone:
        result = send_reboot(
            notify_target(f"sip:201@127.0.0.1:{phone.port}"), event="check-sync;reboot=true",
            username="201", password=SecretStr("not-the-password"), timeout=8,
        )  # fmt: skip
    assert (result.outcome, result.status, result.reason) == ("rejected", 403, "Forbidden")
    assert result.challenged


def test_stored_extension_reboots_its_linksys_phone(tmp_path: Path) -> None:
    with ExtensionStore.open(tmp_path / "tenant.db", actor="tester") as store:
        with sipp_phone("phone_reboot_plain.xml", tmp_path) as phone:
            store.add(
                validated(Extension, number="201", name="Alice", sip_password=PASSWORD,
                          phones=[{"mac": "00:0e:08:aa:bb:cc", "model": "Linksys SPA942",
                                   "contact": f"sip:201@127.0.0.1:{phone.port}"}])
            )  # fmt: skip
            result = reboot_phone(store, "201", timeout=8)
        assert phone.returncode == 0, phone.errors  # SIPp insisted on Event: reboot_now
        assert (result.outcome, result.event, result.challenged) == (
            "accepted",
            "reboot_now",
            False,
        )
        log = store.audit_log("00:0e:08:aa:bb:cc")
        assert list(log["action"]) == ["reboot"]
        assert '"outcome": [null, "accepted"]' in log.iloc[0]["changes"]


def test_silent_phone_times_out_with_retransmissions() -> None:
    # A bound socket that never answers: no ICMP, the datagrams just vanish.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        port = silent.getsockname()[1]
        result = send_reboot(notify_target(f"sip:201@127.0.0.1:{port}"), event="check-sync",
                             timeout=1.2)  # fmt: skip
        received = 0
        silent.settimeout(0.1)
        try:
            while True:
                silent.recv(65535)
                received += 1
        except TimeoutError:
            pass
    assert result.outcome == "timeout" and result.status is None
    assert 1.2 <= result.elapsed < 2.0
    assert result.datagrams_sent == received == 2  # at 0 s and T1 = 0.5 s; next is at 1.5 s
    assert "no answer from 127.0.0.1" in result.summary()


def test_reboot_without_a_contact_says_what_to_do(tmp_path: Path) -> None:
    with ExtensionStore.open(tmp_path / "tenant.db") as store:
        store.add(validated(Extension, number="201", name="Alice"))
        with pytest.raises(PhoneActionError, match="no registered contact on record"):
            reboot_phone(store, "201")


def _response(tx: NotifyTransaction, status_line: str, *extra: str, cseq: int | None = None,
              call_id: str | None = None) -> bytes:  # fmt: skip
    lines = [
        f"SIP/2.0 {status_line}",
        "Via: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bKx",
        "From: <sip:pbxlab@127.0.0.1>;tag=" + tx.from_tag,
        "To: <sip:201@127.0.0.1>;tag=phone",
        f"Call-ID: {call_id or tx.call_id}",
        f"CSeq: {cseq or tx.cseq} NOTIFY",
        *extra,
        "Content-Length: 0",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


CHALLENGE = 'WWW-Authenticate: Digest realm="phone", nonce="abc", qop="auth"'


def _transaction(password: str | None = PASSWORD) -> NotifyTransaction:
    return NotifyTransaction(
        notify_target("sip:201@127.0.0.1:5062"), event="check-sync", local=("127.0.0.1", 40000),
        username="201", password=SecretStr(password) if password else None,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("make", "verdict"),
    [
        (lambda tx: b"\x00\x01 not sip", "ignore"),
        (lambda tx: _response(tx, "200 OK", call_id="other@x"), "ignore"),
        (lambda tx: _response(tx, "200 OK", cseq=7), "ignore"),
        (lambda tx: b"OPTIONS sip:pbxlab@127.0.0.1 SIP/2.0\r\nContent-Length: 0\r\n\r\n", "ignore"),
        (lambda tx: _response(tx, "100 Trying"), "provisional"),
        (lambda tx: _response(tx, "200 OK"), Final(200, "OK")),
        (lambda tx: _response(tx, "489 Bad Event"), Final(489, "Bad Event")),
        (lambda tx: _response(tx, "401 Unauthorized"), Final(401, "Unauthorized")),  # no challenge
    ],
)
def test_transaction_verdicts(make: Callable[[NotifyTransaction], bytes], verdict: object) -> None:
    tx = _transaction()
    assert tx.receive(make(tx)) == verdict


def test_transaction_answers_one_challenge_only() -> None:
    tx = _transaction()
    first_request = tx.request
    assert tx.receive(_response(tx, "401 Unauthorized", CHALLENGE)) == "resend"
    assert tx.cseq == 2 and tx.challenged and tx.request != first_request
    resent = parse_message(tx.request)
    assert resent.header("CSeq") == "2 NOTIFY"
    assert (resent.header("Authorization") or "").startswith('Digest username="201"')
    assert PASSWORD not in tx.request.decode()
    assert tx.receive(_response(tx, "401 Unauthorized", CHALLENGE, cseq=1)) == "ignore"  # late
    assert tx.receive(_response(tx, "401 Unauthorized", CHALLENGE)) == Final(401, "Unauthorized")


def test_proxy_challenge_and_missing_credentials() -> None:
    tx = _transaction()
    proxy = CHALLENGE.replace("WWW-Authenticate", "Proxy-Authenticate")
    assert tx.receive(_response(tx, "407 Proxy Authentication Required", proxy)) == "resend"
    assert parse_message(tx.request).header("Proxy-Authorization") is not None
    anonymous = _transaction(password=None)
    assert anonymous.receive(_response(anonymous, "401 Unauthorized", CHALLENGE)) == Final(
        401, "Unauthorized"
    )
