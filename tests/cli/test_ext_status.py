"""`pbxlab ext list --status-from`: the Extensions list with status from evidence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pbxlab.cli.app import main
from tests.conftest import SAMPLES


def test_list_joins_status_and_phones_from_a_capture(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "t.db")
    for number in ("202", "203", "299"):
        assert main(["ext", "--db", db, "add", number, "--name", f"User {number}"]) == 0
    capsys.readouterr()
    args = [
        "ext",
        "--db",
        db,
        "list",
        "--format",
        "json",
        "--status-from",
        str(SAMPLES / "lab-nat.pcap"),
    ]
    assert main(args) == 0
    rows = {row["number"]: row for row in json.loads(capsys.readouterr().out)}
    # the two NAT'd phones of the lab recording are online at its end; 299 is not in it
    assert rows["202"]["state"] == "online"
    assert rows["202"]["phone_count"] == 1
    assert rows["203"]["state"] == "online"
    assert rows["299"]["state"] is None
    assert rows["299"]["phone_count"] == 0
