"""How the corpus logs are read for the golden tests (shared by the test and the
script that writes the golden files for review).

Each file is copied to a temporary directory and given a fixed modification
time, so year-less dates and snapshot times do not depend on when the corpus
was checked out.  The fail2ban fixtures use fail2ban's own test clock (August
2005), which their ``# failJSON`` times assume.
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from pbxlab.capture.logs import LogRead, read_registrar_log

REPO = Path(__file__).resolve().parents[3]
GOLDEN = REPO / "tests" / "golden" / "logs"
XLOG_EXAMPLE = REPO / "docs" / "examples" / "xlog-mapping.toml"
REFERENCE = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
FAIL2BAN_REFERENCE = datetime(2005, 8, 14, 12, 0, tzinfo=UTC)
# Kamailio/OpenSIPS events come from the deployment's xlog lines: read with the example mapping
XLOG_DIRS = ("kamailio", "opensips")
EVENT_COLUMNS = [
    "line",
    "ts",
    "event",
    "extension",
    "contact",
    "source",
    "rtt_ms",
    "user_agent",
    "detail",
]
ERROR_COLUMNS = ["line", "error", "excerpt"]


def reference_for(relative: str) -> datetime:
    """The modification time the corpus file is given before reading."""
    return FAIL2BAN_REFERENCE if "fail2ban" in relative else REFERENCE


def read_corpus_log(corpus: Path, relative: str, workdir: Path) -> LogRead:
    """Read one corpus log as the golden files expect (fixed mtime, example xlog mapping)."""
    copy = workdir / Path(relative).name
    shutil.copyfile(corpus / relative, copy)
    stamp = reference_for(relative).timestamp()
    os.utime(copy, (stamp, stamp))
    xlog = XLOG_EXAMPLE if Path(relative).parts[1] in XLOG_DIRS else None
    return read_registrar_log(copy, xlog=xlog)


def golden_name(relative: str) -> str:
    """File name stem of a corpus file's golden files."""
    return relative.replace("/", "__")


def events_table(read: LogRead) -> pd.DataFrame:
    """The events as the golden CSV holds them (ts in ISO 8601, no file column)."""
    frame = read.events[EVENT_COLUMNS].copy()
    frame["ts"] = frame["ts"].dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return frame.astype("object").where(frame.notna(), None)


def errors_table(read: LogRead) -> pd.DataFrame:
    """The errors as the golden CSV holds them."""
    frame = read.errors[ERROR_COLUMNS].copy()
    return frame.astype("object").where(frame.notna(), None)


def load_golden(path: Path) -> pd.DataFrame:
    """A golden CSV back as a frame comparable with :func:`events_table`."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame = frame.astype("object").where(frame != "", None)
    return frame
