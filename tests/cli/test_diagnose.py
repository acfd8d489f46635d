"""`pbxlab diagnose`: formats, --fail-on exit codes, mixed inputs, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from pbxlab.cli.app import main
from tests.conftest import corpus_path


def test_json_lists_findings_with_the_documented_fields(capsys: pytest.CaptureFixture[str]) -> None:
    capture = corpus_path("pcaps/heplify/ipip0.pcap")
    log = corpus_path("logs/asterisk_security/crowdsec_hub_asterisk-bf.log")
    assert main(["diagnose", str(capture), str(log), "--format", "json"]) == 0
    out = capsys.readouterr()
    records = json.loads(out.out)
    assert {
        "extension",
        "domain",
        "code",
        "severity",
        "first_seen",
        "last_seen",
        "summary",
        "action",
        "evidence",
        "source",
    } == set(records[0])
    brute = next(r for r in records if r["code"] == "BRUTE_FORCE")
    assert brute["extension"] is None and brute["source"] == "172.17.0.1"
    assert brute["first_seen"] == "2021-12-21T12:57:01Z"
    assert records[0]["severity"] == "critical"
    assert "finding(s)" in out.err


@pytest.mark.parametrize(
    ("fail_on", "code"), [(None, 0), ("critical", 0), ("warning", 1), ("info", 1)]
)
def test_fail_on_sets_the_exit_code(fail_on: str | None, code: int) -> None:
    args = ["diagnose", str(corpus_path("pcaps/heplify/ipip0.pcap")), "-f", "csv"]
    assert main(args + (["--fail-on", fail_on] if fail_on else [])) == code


def test_csv_and_table_formats(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    sample = str(corpus_path("pcaps/heplify/ipip0.pcap"))
    assert main(["diagnose", sample, "--format", "csv"]) == 0
    out = tmp_path / "f.csv"
    out.write_text(capsys.readouterr().out)
    table = pd.read_csv(out)
    assert set(table["code"]) == {"AUTH_FAILURE", "SCANNER", "NAT_CONTACT_MISMATCH"}
    assert main(["diagnose", sample]) == 0
    assert "SCANNER" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["diagnose", "missing.pcap"], "no such file"),
        (["diagnose", "{sample}", "--format", "xml"], "unknown --format"),
        (["diagnose", "{sample}", "--fail-on", "fatal"], "unknown --fail-on"),
    ],
)
def test_bad_input_exits_2_without_traceback(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = str(corpus_path("pcaps/heplify/ipip0.pcap"))
    assert main([a.replace("{sample}", sample) for a in args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_domain_option_names_the_tenant_and_rejects_an_unknown_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    sample = str(Path(__file__).resolve().parents[2] / "sample_pcaps" / "lab-nat.pcap")
    assert main(["diagnose", sample, "--domain", "127.0.0.1", "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert records and {r["domain"] for r in records if r["extension"]} == {"127.0.0.1"}
    assert main(["diagnose", sample, "--domain", "nosuch.example"]) == 2
    assert "no REGISTER to 'nosuch.example'" in capsys.readouterr().err
