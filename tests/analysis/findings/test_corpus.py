"""Findings on the public corpus where SOURCES.md tells the truth (reviewed expectations).

Each case lists, per extension (or source), the codes and severities pbxlab must
report; ``exactly`` cases also assert nothing else at warning or above.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from pbxlab import read_capture, read_registrar_log
from pbxlab.analysis import analyze, diagnose
from pbxlab.tables import FINDINGS
from tests.conftest import corpus_path


@cache
def findings_of(relative: str) -> pd.DataFrame:
    path = corpus_path(relative)
    if relative.startswith("logs/"):
        return diagnose(analyze(events=read_registrar_log(path).events))
    return diagnose(analyze(read_capture(path)))


def warnings(found: pd.DataFrame) -> set[tuple[str, str, str]]:
    serious = found[found["severity"] != "info"]
    return {
        (
            str(r.extension if isinstance(r.extension, str) else r.source),
            str(r.code),
            str(r.severity),
        )
        for r in serious.itertuples()
    }


def test_aaa_natted_softphone_with_auth_loops() -> None:
    """Nero SIPPS behind NAT (Via/Contact 192.168.1.2, received=80.230.219.70), 401/403 loops."""
    found = findings_of("pcaps/sngrep/aaa.pcap")
    FINDINGS.validate(found)
    assert warnings(found) == {("voi18063", "AUTH_FAILURE", "warning")}
    nat = found[found["code"].astype(str).str.startswith("NAT_")]
    assert set(nat["extension"]) == {"voi18062", "voi18063", "35104723"}
    assert {"NAT_CONTACT_PRIVATE", "NAT_VIA_MISMATCH", "NAT_SDP_PRIVATE"} <= set(nat["code"])
    assert (nat["severity"] == "info").all()  # the registrar answers via received/rport
    auth = found[found["code"] == "AUTH_FAILURE"].iloc[0]
    assert (
        auth["evidence"]
        == "aaa.pcap:frame 30;aaa.pcap:frame 32;aaa.pcap:frame 121;aaa.pcap:frame 122"
    )


def test_ipip0_toll_fraud_probe_and_polycom_contact_mismatch() -> None:
    found = findings_of("pcaps/heplify/ipip0.pcap")
    assert warnings(found) == {
        ("179.43.150.26", "SCANNER", "warning"),
        ("1154", "AUTH_FAILURE", "warning"),
    }
    scanner = found[found["code"] == "SCANNER"].iloc[0]
    assert pd.isna(scanner["extension"]) and "+3908351673002" in scanner["summary"]
    mismatch = found[found["code"] == "NAT_CONTACT_MISMATCH"].iloc[0]
    assert mismatch["extension"] == "1154"
    assert "109.70.144.77" in mismatch["summary"] and "5.148.125.101" in mismatch["summary"]


def test_webex_registers_never_answered() -> None:
    found = findings_of("pcaps/ndpi/webex.pcap")
    assert warnings(found) == {
        ("45191", "REGISTRATION_TIMEOUT", "critical"),
        ("45191", "NAT_CONTACT_PRIVATE", "warning"),
        ("45191", "NAT_VIA_MISMATCH", "warning"),
    }
    timeout = found[found["code"] == "REGISTRATION_TIMEOUT"].iloc[0]
    assert "22 REGISTERs to 172.16.1.75:5060" in timeout["summary"]


def test_maryls_several_contacts_on_one_aor() -> None:
    found = findings_of("pcaps/student-labs/MaryLS-Laborator09__sip.pcap")
    assert warnings(found) == set()  # NAT handled (rport, media both ways)
    phones = found[found["code"] == "MULTIPLE_PHONES"].iloc[0]
    assert phones["extension"] == "eim" and "4 phones" in phones["summary"]
    assert "stale bindings" in phones["summary"]


def test_wireuploaded_403_forbidden_for_210_and_its_lines() -> None:
    found = findings_of("pcaps/wireshark-wiki/wireuploaded.pcap")
    assert warnings(found) == {
        (ext, "AUTH_FAILURE", "warning") for ext in ("210", "210E210.1", "210E210.2", "210E210.3")
    }


@pytest.mark.parametrize(
    "relative",
    [
        "pcaps/wireshark-wiki/sip-rtp-g711.pcap",
        "pcaps/wireshark-wiki/sip-rtp-opus.pcap",
        "pcaps/wireshark-wiki/rtp_conversacion.pcap",
        "pcaps/ndpi/sip_hello.pcapng",
        "pcaps/wireshark-wiki/MagicJack_pwr_up.pcap",
        "pcaps/suricata-verify/sip_compact_form.pcap",
    ],
)
def test_healthy_or_handled_captures_get_no_warning(relative: str) -> None:
    assert warnings(findings_of(relative)) == set()


def test_crowdsec_brute_force_log() -> None:
    found = findings_of("logs/asterisk_security/crowdsec_hub_asterisk-bf.log")
    assert warnings(found) == {("172.17.0.1", "BRUTE_FORCE", "critical")}
    row = found.iloc[0]
    assert "6 times" in row["summary"] and "6001" in row["summary"]
    assert row["evidence"].startswith("crowdsec_hub_asterisk-bf.log:line 1;")


def test_crowdsec_user_enumeration_log() -> None:
    found = findings_of("logs/asterisk_security/crowdsec_hub_asterisk-user-enum.log")
    assert warnings(found) == {("172.17.0.1", "SCANNER", "warning")}
    assert "probed 6 extensions" in found.iloc[0]["summary"]


@pytest.mark.parametrize(
    ("relative", "extension", "times"),
    [
        ("logs/asterisk_chansip/gh_futel_asteriskserver_issue119_peer_reachability.log", "668", 5),
        ("logs/asterisk_chansip/gh_linphone_android_issue1064_lagged_unreachable.log", "4001", 2),
    ],
)
def test_chan_sip_peers_going_unreachable_and_back(
    relative: str, extension: str, times: int
) -> None:
    found = findings_of(relative)
    assert warnings(found) == {(extension, "KEEPALIVE_DROPPED", "warning")}
    assert f"unreachable {times} times" in found.iloc[0]["summary"]


def test_capture_and_log_together(tmp_path: Path) -> None:
    capture = read_capture(corpus_path("pcaps/heplify/ipip0.pcap"))
    log = read_registrar_log(corpus_path("logs/asterisk_security/crowdsec_hub_asterisk-bf.log"))
    found = diagnose(analyze(capture, events=log.events))
    assert {("172.17.0.1", "BRUTE_FORCE", "critical"), ("179.43.150.26", "SCANNER", "warning")} <= (
        warnings(found)
    )
    assert found.iloc[0]["severity"] == "critical"  # most severe first
