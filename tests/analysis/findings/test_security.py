"""Security findings, judged per account and time window (hand-built captures and logs)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from pbxlab.analysis import diagnose
from tests.analysis.findings import frames as f

OFFICE = "203.0.113.50"
ATTACKER = "192.0.2.66"


def rows_of(findings: pd.DataFrame, code: str) -> pd.DataFrame:
    return findings[findings["code"] == code]


def failed_login(
    ts: float, user: str, src: str, sport: int = 5060, **kw: Any
) -> list[dict[str, Any]]:
    """Challenge, then credentials rejected with another 401."""
    return [
        *f.exchange(ts, "REGISTER", user=user, src=src, sport=sport, status=401, cseq=1, **kw),
        *f.exchange(
            ts + 0.1,
            "REGISTER",
            user=user,
            src=src,
            sport=sport,
            status=401,
            auth=True,
            cseq=2,
            **kw,
        ),
    ]


def test_twelve_office_phones_behind_one_ip_are_not_a_scanner() -> None:
    rows = [r for i in range(12) for r in f.login(i * 2, f"2{i:02d}", OFFICE, sport=5060 + i)]
    found = diagnose(messages=f.messages(rows))
    assert found[found["code"].isin(["SCANNER", "BRUTE_FORCE", "AUTH_FAILURE"])].empty


def test_a_source_probing_many_accounts_is_a_scanner() -> None:
    rows = [
        r
        for i, name in enumerate(["100", "101", "admin", "test", "1000", "200"])
        for r in f.exchange(i, "REGISTER", user=name, src=ATTACKER, status=404)
    ]
    found = rows_of(diagnose(messages=f.messages(rows)), "SCANNER")
    assert len(found) == 1
    row = found.iloc[0]
    assert row["source"] == ATTACKER and pd.isna(row["extension"])
    assert "probed 6 extensions" in row["summary"]
    assert row["severity"] == "warning"
    assert "Block 192.0.2.66" in row["action"]


def test_a_carrier_sending_calls_some_to_unassigned_numbers_is_not_a_scanner() -> None:
    itsp = "198.18.0.5"
    rows = [
        r
        for i in range(12)
        for r in f.exchange(
            i * 10,
            "INVITE",
            user="+4930123",
            to_user=f"+49301234{i:03d}",
            src=itsp,
            status=404 if i % 2 else 200,
            call_id=f"in-{i}",
        )
    ]
    assert diagnose(messages=f.messages(rows)).query("code == 'SCANNER'").empty


def test_a_known_attack_tool_is_a_scanner_at_once() -> None:
    rows = f.exchange(0, "OPTIONS", user="100", src=ATTACKER, user_agent="friendly-scanner")
    row = rows_of(diagnose(messages=f.messages(rows)), "SCANNER").iloc[0]
    assert "'friendly-scanner'" in row["summary"]


def test_an_unauthenticated_invite_to_an_outside_number_is_a_toll_fraud_probe() -> None:
    rows = f.exchange(0, "INVITE", user="1000", to_user="0044203000000", src=ATTACKER, status=403)
    row = rows_of(diagnose(messages=f.messages(rows)), "SCANNER").iloc[0]
    assert "toll-fraud" in row["summary"] and "0044203000000" in row["summary"]


def test_a_customer_calling_abroad_after_the_proxy_challenge_is_not_a_probe() -> None:
    rows = [
        *f.login(0, "201", OFFICE),
        *f.exchange(
            5, "INVITE", user="201", to_user="0044203000000", src=OFFICE, status=407, call_id="c"
        ),
        *f.exchange(
            5.2,
            "INVITE",
            user="201",
            to_user="0044203000000",
            src=OFFICE,
            auth=True,
            call_id="c",
            cseq=2,
        ),
    ]
    assert rows_of(diagnose(messages=f.messages(rows)), "SCANNER").empty


def test_fast_repeated_failures_on_one_account_are_brute_force() -> None:
    rows = [r for i in range(8) for r in failed_login(i * 2, "201", ATTACKER, sport=6000 + i)]
    found = diagnose(messages=f.messages(rows))
    row = rows_of(found, "BRUTE_FORCE").iloc[0]
    assert row["severity"] == "critical"
    assert "failed to log in 8 times" in row["summary"] and "201" in row["summary"]
    # an attacker's failures are not the customer's phone misconfiguration
    assert rows_of(found, "AUTH_FAILURE").empty


def test_a_username_typo_fixed_by_the_user_is_neither_brute_force_nor_auth_failure() -> None:
    rows = [
        *failed_login(0, "2011", OFFICE),
        *failed_login(20, "2011", OFFICE),
        *f.login(60, "201", OFFICE),
    ]
    found = diagnose(messages=f.messages(rows))
    assert found[found["code"].isin(["BRUTE_FORCE", "AUTH_FAILURE", "SCANNER"])].empty


def test_a_password_fixed_within_minutes_is_not_an_auth_failure() -> None:
    rows = [
        *failed_login(0, "201", OFFICE),
        *failed_login(30, "201", OFFICE),
        *f.login(200, "201", OFFICE),
    ]
    assert rows_of(diagnose(messages=f.messages(rows)), "AUTH_FAILURE").empty


def test_a_phone_with_a_stale_password_is_an_auth_failure_not_brute_force() -> None:
    # retries every 60 s (RFC 5626 back-off) on its own account only
    rows = [r for i in range(8) for r in failed_login(i * 60, "201", OFFICE)]
    found = diagnose(messages=f.messages(rows))
    assert rows_of(found, "BRUTE_FORCE").empty
    row = rows_of(found, "AUTH_FAILURE").iloc[0]
    assert row["extension"] == "201" and row["severity"] == "warning"
    assert "refused 8 times" in row["summary"] and "never logged in after" in row["summary"]
    assert "Reset the SIP password" in row["action"]
    assert len(row["evidence"].split(";")) <= 8


def test_two_real_accounts_on_one_softphone_stay_separate() -> None:
    """A success on one account does not excuse the other (their Contacts differ)."""
    rows = [
        *failed_login(0, "voi18063", OFFICE, contact="sip:voi18063@192.168.1.2;line=a"),
        *failed_login(60, "voi18063", OFFICE, contact="sip:voi18063@192.168.1.2;line=a"),
        *f.login(120, "voi18062", OFFICE, contact="sip:voi18062@192.168.1.2;line=b"),
    ]
    found = rows_of(diagnose(messages=f.messages(rows)), "AUTH_FAILURE")
    assert list(found["extension"]) == ["voi18063"]


def test_one_forbidden_that_never_recovers_is_an_auth_failure() -> None:
    rows = f.exchange(0, "REGISTER", user="210", src="192.168.60.76", status=403)
    rows += f.login(10, "206", "192.168.60.94")
    found = rows_of(diagnose(messages=f.messages(rows)), "AUTH_FAILURE")
    assert list(found["extension"]) == ["210"]
    assert "403 Forbidden" in found.iloc[0]["summary"]


def test_a_403_to_an_invite_is_call_routing_not_an_auth_failure() -> None:
    rows = [*f.login(0, "201", OFFICE)]
    rows += f.exchange(
        5, "INVITE", user="201", to_user="0900123456", src=OFFICE, status=403, auth=True
    )
    rows += f.exchange(
        9, "INVITE", user="201", to_user="0900123457", src=OFFICE, status=403, auth=True
    )
    assert rows_of(diagnose(messages=f.messages(rows)), "AUTH_FAILURE").empty


def test_a_registration_from_an_unrelated_site_and_device_is_a_suspected_leak() -> None:
    rows = [
        *f.login(0, "201", OFFICE),
        *f.login(600, "201", "198.18.7.9", user_agent="MicroSIP/3.21.3"),
    ]
    row = rows_of(diagnose(messages=f.messages(rows)), "CREDENTIAL_LEAK_SUSPECTED").iloc[0]
    assert row["extension"] == "201" and row["severity"] == "warning"
    assert "198.18.7.9" in row["summary"] and "MicroSIP" in row["summary"]


def test_desk_phone_and_softphone_in_one_office_are_not_a_leak() -> None:
    rows = [
        *f.login(0, "201", OFFICE, sport=5060),
        *f.login(600, "201", OFFICE, sport=5070, user_agent="Zoiper rv2.10"),
        *f.login(900, "202", "192.168.1.30", user_agent="Yealink"),
        *f.login(1000, "202", "192.168.7.40", user_agent="Zoiper rv2.10"),
    ]
    assert rows_of(diagnose(messages=f.messages(rows)), "CREDENTIAL_LEAK_SUSPECTED").empty


def test_brute_force_then_success_is_a_critical_leak() -> None:
    rows = [r for i in range(6) for r in failed_login(i, "201", ATTACKER)]
    rows += f.login(20, "201", ATTACKER)
    found = diagnose(messages=f.messages(rows))
    leak = rows_of(found, "CREDENTIAL_LEAK_SUSPECTED").iloc[0]
    assert leak["severity"] == "critical" and leak["extension"] == "201"
    assert not rows_of(found, "BRUTE_FORCE").empty


def test_log_events_give_the_same_security_judgement() -> None:
    bf = f.events(
        [
            {
                "ts": f.at(i),
                "extension": "6001",
                "source": f"{ATTACKER}:5060",
                "event": "auth_failed",
            }
            for i in range(6)
        ]
    )
    enum = f.events(
        [
            {
                "ts": f.at(i),
                "extension": name,
                "source": f"{ATTACKER}:5061",
                "event": "unknown_user",
            }
            for i, name in enumerate(["admin", "root", "toto", "tata", "tutu", "test"])
        ],
        source_file="enum.log",
    )
    found = diagnose(events=pd.concat([bf, enum], ignore_index=True))
    assert set(found["code"]) == {"BRUTE_FORCE", "SCANNER"}
    assert (found["evidence"].str.contains(r"\.log:line \d", regex=True)).all()
