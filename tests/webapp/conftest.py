"""A served workbench: ``pbxlab web`` on a free loopback port, a seeded store, a sample capture.

The server is the real command (``python -m pbxlab web``), started once per test
module, with a known token (``$JUPYTER_TOKEN``).  It is ready when it prints
the page's address on stdout; at teardown it gets SIGTERM (Voilà then shuts its kernels
down) and every process it started must be gone within seconds -- a leftover
is killed and fails the test run.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from pbxlab.extensions import Extension, ExtensionStore, ProvisioningProfile, validated
from tests.conftest import SAMPLES

CAPTURE = SAMPLES / "lab-flapping.pcap"
"""210 expires without refresh, 211 unregisters and registers again: a reliability view to see."""
START_TIMEOUT = 90.0
STOP_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def seed_tenant(store: ExtensionStore) -> None:
    """Five extensions; 210 and 211 are the ones the flapping sample shows."""
    store.put_profile(validated(ProvisioningProfile, name="office", sip_server="pbx.example.com"))
    store.add(
        validated(
            Extension,
            number="201",
            name="Alice Martin",
            phones=[{"mac": "00:15:65:1a:2b:3c", "model": "Yealink T46S", "profile": "office"}],
        )
    )
    store.add(validated(Extension, number="202", name="Bob Stone"))
    store.add(validated(Extension, number="210", name="Front Desk"))
    store.add(
        validated(
            Extension,
            number="211",
            name="Warehouse",
            voicemail={"enabled": True, "pin": "4321", "email_recipients": ["wh@example.com"]},
        )
    )
    store.add(validated(Extension, number="220", name="Conference Room"))


@dataclass(frozen=True)
class ServedWorkbench:
    """A running ``pbxlab web``: its address (token included), store, capture and log."""

    url: str
    base: str
    db: Path
    capture: Path
    log: Path
    process: subprocess.Popen[bytes]
    token: str

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _wait_until_served(
    process: subprocess.Popen[bytes], stdout: Path, log: Path, timeout: float
) -> str:
    """The URL ``pbxlab web`` prints once Voilà listens; fails if it exits or stalls."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = stdout.read_text().splitlines() if stdout.exists() else []
        if lines:
            return lines[0].strip()
        if process.poll() is not None:
            break
        time.sleep(0.2)
    text = log.read_text(errors="replace") if log.exists() else ""
    pytest.fail(f"pbxlab web did not serve within {timeout:.0f} s:\n{text}", pytrace=False)


def stop_and_check_nothing_left(process: subprocess.Popen[bytes], timeout: float) -> list[str]:
    """SIGTERM ``process``; returns what was still running afterwards (then killed)."""
    try:
        started = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        started = []
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)
            return [f"pbxlab web (pid {process.pid}) ignored SIGTERM"]
    _, alive = psutil.wait_procs(started, timeout=timeout)
    left = []
    for proc in alive:
        try:
            left.append(f"pid {proc.pid}: {' '.join(proc.cmdline())}")
            proc.kill()
        except psutil.NoSuchProcess:
            pass
    return left


@pytest.fixture(scope="module")
def web_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite store with the seeded tenant."""
    db = tmp_path_factory.mktemp("web-store") / "tenant.db"
    with ExtensionStore.open(str(db), actor="tests") as store:
        seed_tenant(store)
    return db


@pytest.fixture(scope="module")
def workbench(
    web_store: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServedWorkbench]:
    """``pbxlab web`` serving ``web_store`` and the flapping sample on 127.0.0.1."""
    folder = tmp_path_factory.mktemp("web-server")
    log, stdout = folder / "pbxlab-web.log", folder / "stdout.txt"
    port = free_port()
    token = secrets.token_urlsafe(16)
    env = {
        **os.environ,
        "JUPYTER_TOKEN": token,
        # the kernel's Jupyter/IPython state stays in the test's folder
        "JUPYTER_RUNTIME_DIR": str(folder / "runtime"),
        "IPYTHONDIR": str(folder / "ipython"),
        "PYTHONUNBUFFERED": "1",
    }
    command = [
        sys.executable, "-m", "pbxlab", "web", str(CAPTURE), "--db", str(web_store),
        "--port", str(port), "--no-browser",
    ]  # fmt: skip
    with log.open("wb") as messages, stdout.open("wb") as output:
        process = subprocess.Popen(
            command, env=env, stdin=subprocess.DEVNULL, stdout=output, stderr=messages
        )
    try:
        url = _wait_until_served(process, stdout, log, START_TIMEOUT)
        yield ServedWorkbench(
            url=url,
            base=f"http://127.0.0.1:{port}",
            db=web_store,
            capture=CAPTURE,
            log=log,
            process=process,
            token=token,
        )
    finally:
        left = stop_and_check_nothing_left(process, STOP_TIMEOUT)
    assert not left, "processes left after pbxlab web stopped:\n" + "\n".join(left)
