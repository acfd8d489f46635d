"""Small inputs for batch runs: sample captures and a generic registrar log."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import SAMPLES

# registrations from a mapped network (acme), a lab phone (127.0.0.11, tenant of the
# lab captures' domain) and an address nothing names
GENERIC_LOG = (
    "ts,event,extension,contact,source,rtt_ms,user_agent,detail\n"
    "2026-11-26T12:34:00Z,registered,301,sip:301@198.51.100.4:5060,198.51.100.4:5060,,"
    "Yealink T46U,expires 3600\n"
    "2026-11-26T12:34:05Z,auth_failed,302,,203.0.113.9:5060,,,\n"
    "2026-11-26T12:34:06Z,reachable,201,,127.0.0.11:5060,12.5,,\n"
)


def sample(name: str) -> Path:
    """A bundled sample capture (absolute path)."""
    return (SAMPLES / name).resolve()


def copy_to(directory: Path, *names: str) -> list[Path]:
    """Copies of sample captures in ``directory`` (created)."""
    directory.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy(sample(name), directory / name)) for name in names]
