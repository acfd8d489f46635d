"""Fixtures: stores on a real SQLite file and on a real, throwaway PostgreSQL server.

The PostgreSQL cluster is created once per test session in a temporary
directory (initdb + pg_ctl from Debian's ``postgresql`` package, installed by
scripts/install-system-deps.sh), listens on 127.0.0.1 only, runs with fsync
off for speed, and is stopped and deleted at the end.  As root (CI) the server
runs as the ``postgres`` system user, because PostgreSQL refuses to run as root.
Each test gets its own database.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from pbxlab.extensions import Extension, ExtensionStore, ProvisioningProfile, validated


def _free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pg_bindir() -> Path | None:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        path = Path(candidate)
        if (path / "initdb").exists() and (path / "pg_ctl").exists():
            return path
    return None


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """URL of the maintenance database of a throwaway PostgreSQL server on 127.0.0.1."""
    bindir = _pg_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries missing: run scripts/install-system-deps.sh")
    run_as: list[str] = []
    as_root = os.geteuid() == 0
    # as root the server runs as 'postgres', which must reach the directory: /tmp, not
    # a $TMPDIR that may sit under root's private home
    base = Path(tempfile.mkdtemp(prefix="pbxlab-pg-", dir="/tmp" if as_root else None))
    if as_root:
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(base)
            pytest.skip("running as root and no 'postgres' user to run the server as")
        os.chown(base, account.pw_uid, account.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    data, log = base / "data", base / "server.log"
    port = _free_port()
    env = {**os.environ, "LC_ALL": "C"}
    subprocess.run(
        [*run_as, str(bindir / "initdb"), "-D", str(data), "-U", "pbxlab", "--auth=trust",
         "-E", "UTF8", "--no-sync", "--no-instructions"],
        check=True, capture_output=True, env=env, timeout=120,
    )  # fmt: skip
    options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -k {base} "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    )
    subprocess.run(
        [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log),
         "-w", "-t", "60", "start"],
        check=True, capture_output=True, env=env, timeout=90,
    )  # fmt: skip
    try:
        yield f"postgresql+psycopg://pbxlab@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
            capture_output=True, env=env, timeout=60, check=False,
        )  # fmt: skip
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty schema on the throwaway server (dropped afterwards).

    A schema per test (via the connection's search_path) instead of a database per
    test: CREATE DATABASE costs most of a second, CREATE SCHEMA nothing.
    """
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        yield f"{postgres_server}?options=-csearch_path%3D{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty store: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tenant.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def store(store_url: str) -> Iterator[ExtensionStore]:
    """An open, empty store on each backend."""
    with ExtensionStore.open(store_url, actor="tester") as opened:
        yield opened


@pytest.fixture
def tenant(store: ExtensionStore) -> ExtensionStore:
    """A small tenant: 201 (Yealink), 202 (FMFM to 201), 203; profile, DID, ring group."""
    store.put_profile(validated(ProvisioningProfile, name="office", sip_server="pbx.example.com"))
    store.put_profile(validated(ProvisioningProfile, name="remote", registration_expires=60))
    store.add(
        validated(
            Extension,
            number="201",
            name="Alice",
            sip_password="s3cr3t-Passw0rd",
            voicemail={"pin": "4321", "email_recipients": ["alice@example.com"]},
            phones=[{"mac": "00:15:65:1a:2b:3c", "model": "Yealink T46S", "profile": "office"}],
        )
    )
    store.add(
        validated(
            Extension,
            number="202",
            name="Bob",
            fmfm={
                "enabled": True,
                "strategy": "sequential",
                "destinations": [
                    {"kind": "extension", "target": "201", "ring_timeout": 15},
                    {"kind": "external", "target": "+15551234567"},
                ],
                "no_answer_action": "extension",
                "no_answer_target": "201",
            },
            phones=[{"mac": "00:04:f2:11:22:33", "model": "Polycom VVX 450"}],
        )
    )
    store.add(validated(Extension, number="203", name="Carol", voicemail={"box": "201"}))
    from pbxlab.extensions import Did, RingGroup

    store.put_did(validated(Did, number="+15551230201", route="extension", target="201"))
    store.put_ring_group(validated(RingGroup, number="600", name="Sales", members=["202", "201"]))
    return store
