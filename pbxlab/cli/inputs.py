"""Sorting command-line inputs into captures and registrar logs.

Several subcommands take "captures and logs mixed"; this module is the one
place that decides which is which (a cheap sniff of each file's start).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pbxlab.capture.logs import looks_like_registrar_log
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
