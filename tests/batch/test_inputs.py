"""Collecting a batch's files: explicit files, directory walks and the layout tenant."""

from __future__ import annotations

from pathlib import Path

import pytest

from pbxlab.batch.inputs import BatchFile, collect_inputs
from pbxlab.errors import InputError
from tests.batch.conftest import GENERIC_LOG, copy_to, sample


def test_a_directory_names_tenants_by_its_subfolders(tmp_path: Path) -> None:
    copy_to(tmp_path / "acme", "lab-healthy.pcap")
    copy_to(tmp_path / "acme" / "monday", "lab-nat.pcap")
    (tmp_path / "beta").mkdir()
    (tmp_path / "beta" / "registrar.csv").write_text(GENERIC_LOG)
    copy_to(tmp_path, "xlite-register-call.pcap")
    (tmp_path / "notes.txt").write_text("ticket 4711: phones offline since Monday\n")
    copy_to(tmp_path / ".cache", "lab-call.pcap")  # dot-folders are not evidence
    copy_to(tmp_path / "acme" / ".old", "lab-call.pcap")

    found = collect_inputs([tmp_path])

    root = tmp_path.resolve()
    assert found.files == (
        BatchFile(root / "acme" / "lab-healthy.pcap", "capture", "acme"),
        BatchFile(root / "acme" / "monday" / "lab-nat.pcap", "capture", "acme"),
        BatchFile(root / "beta" / "registrar.csv", "log", "beta"),
        BatchFile(root / "xlite-register-call.pcap", "capture", None),
    )
    assert found.skipped == (root / "notes.txt",)


def test_explicit_files_are_read_once_whatever_they_look_like(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a capture\n")
    capture = sample("lab-healthy.pcap")
    found = collect_inputs([capture, notes, capture])
    # a named file that is no log is a capture: reading it fails with the capture's error
    assert [(f.path, f.kind) for f in found.files] == [(capture, "capture"), (notes, "capture")]


def test_missing_and_empty_inputs_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nowhere.pcap.*no such file"):
        collect_inputs([tmp_path / "nowhere.pcap"])
    with pytest.raises(InputError, match="no capture or registrar log found"):
        collect_inputs([tmp_path])
