"""The lab's catalog and Kamailio configuration are consistent (no live run needed)."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from lab.catalog import SCENARIO_DIR, SCENARIOS, Agent, lab_password
from lab.run_scenario import KAMAILIO_CFG, _sipp_command


def test_agents_refuse_addresses_off_loopback() -> None:
    with pytest.raises(ValueError, match=r"192\.168\.1\.10' is not a loopback address"):
        Agent(name="phone", scenario="phone-healthy.xml", ip="192.168.1.10")


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_files_exist_and_parse(name: str) -> None:
    for agent in SCENARIOS[name].agents:
        for file in (agent.scenario, agent.out_of_call):
            if file:
                root = ET.parse(SCENARIO_DIR / file).getroot()
                assert root.tag == "scenario"
        if agent.inject_csv:
            assert (SCENARIO_DIR / agent.inject_csv).read_text().startswith("SEQUENTIAL\n")


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_agents_of_a_scenario_do_not_share_a_socket(name: str) -> None:
    sockets = [(a.ip, a.port) for a in SCENARIOS[name].agents]
    assert len(sockets) == len(set(sockets))


def test_sipp_command_binds_the_agents_loopback_address() -> None:
    scenario = SCENARIOS["nat"]
    command = _sipp_command(scenario.agents[0], 5060, scenario)
    assert command[:2] == ["sipp", "127.0.0.1:5060"]
    assert command[command.index("-i") + 1] == "127.0.0.13"
    assert command[command.index("-p") + 1] == "5062"
    assert "-bind_local" in command
    assert command[command.index("-ap") + 1] == lab_password("202")
    assert command[command.index("lan_ip") - 1 :][:3] == ["-set", "lan_ip", "192.168.1.10"]


def test_every_lab_extension_is_in_the_registrars_directory() -> None:
    directory = re.search(r'\$au =~ "([^"]+)"', KAMAILIO_CFG.read_text())
    assert directory is not None
    for scenario in SCENARIOS.values():
        for agent in scenario.agents:
            if agent.extension:
                assert re.match(directory.group(1), agent.extension), agent


@pytest.mark.skipif(shutil.which("kamailio") is None, reason="kamailio is not installed")
def test_kamailio_accepts_the_configuration() -> None:
    check = subprocess.run(
        # Check mode parses and exits; -l keeps even its listen list on loopback.
        ["kamailio", "-c", "-f", str(KAMAILIO_CFG), "-l", "udp:127.0.0.1:5060"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert check.returncode == 0, check.stderr[-2000:]
