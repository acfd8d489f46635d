"""Sorting command-line inputs into captures and registrar logs.

Several subcommands take "captures and logs mixed"; this module is the one
place that decides which is which (a cheap sniff of each file's start).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pbxlab.capture.logs import looks_like_registrar_log, read_registrar_log
from pbxlab.capture.reader import Capture, read_capture
from pbxlab.cli.console import progress
from pbxlab.errors import InputError, Location


@dataclass(frozen=True)
class SortedInputs:
    captures: list[Path]
    logs: list[Path]


def sort_inputs(paths: list[Path]) -> SortedInputs:
    """Split ``paths`` into captures and registrar logs; raises InputError for a missing file."""
    captures: list[Path] = []
    logs: list[Path] = []
    for path in paths:
        if not path.exists():
            raise InputError("no such file", Location(str(path)))
        if path.is_dir():
            raise InputError("is a directory, not a capture or log file", Location(str(path)))
        (logs if looks_like_registrar_log(path) else captures).append(path)
    return SortedInputs(captures, logs)


def read_evidence(
    inputs: list[Path],
    *,
    tz: str = "UTC",
    year: int | None = None,
    xlog: Path | None = None,
) -> tuple[Capture | None, pd.DataFrame | None]:
    """The captures (one :class:`Capture`, None without any) and the log events (None
    without logs) of ``inputs``, with progress bars on stderr while reading.

    Raises as :func:`sort_inputs`, :func:`pbxlab.read_capture` and
    :func:`pbxlab.read_registrar_log` do.
    """
    sorted_inputs = sort_inputs(inputs)
    capture = None
    if sorted_inputs.captures:
        with progress("reading captures") as bar:
            capture = read_capture(sorted_inputs.captures, progress=bar.update)
    events = None
    if sorted_inputs.logs:
        with progress("reading logs", unit="items"):
            events = read_registrar_log(sorted_inputs.logs, tz=tz, year=year, xlog=xlog).events
    return capture, events
