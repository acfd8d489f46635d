"""What every ``pbxlab`` subcommand shares about output: where it goes and progress bars.

The contract (DESIGN.md "Command line"): machine-readable output on stdout,
messages and progress on stderr; progress bars only when stderr is a terminal
and ``--quiet`` was not given (a cron job's log never fills with bar frames);
``--quiet`` also silences the summaries commands print on stderr -- errors are
still printed.  Subcommands call :func:`say` for messages, :func:`progress` around
long work, and :func:`batch_progress` to show a :func:`pbxlab.batch.run_batch`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich import filesize
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

if TYPE_CHECKING:
    from pbxlab.batch import Step

__all__ = [
    "Bar",
    "batch_progress",
    "echo_json",
    "progress",
    "say",
    "settings",
    "stderr",
]


@dataclass
class Settings:
    """Options of the root command, for every subcommand."""

    quiet: bool = False
    debug: bool = False


settings = Settings()


def stderr() -> Console:
    """A console on stderr (made per call: tests swap ``sys.stderr``)."""
    return Console(stderr=True, file=sys.stderr)


def say(message: str, *, quiet: bool = False) -> None:
    """A message for people, on stderr (rich markup allowed); none with --quiet."""
    if not (quiet or settings.quiet):
        stderr().print(message)


def echo_json(value: Any) -> None:
    """``value`` as indented JSON on stdout, one trailing newline."""
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


def bars_enabled(quiet: bool = False) -> bool:
    """Whether to draw progress bars: stderr is a terminal and nobody asked for quiet."""
    return not (quiet or settings.quiet) and stderr().is_terminal


def _amount(done: float, total: float | None, unit: str) -> str:
    if unit != "bytes":
        return f"{int(done)}/{int(total)}" if total is not None else str(int(done))
    shown = filesize.decimal(int(done))
    return f"{shown}/{filesize.decimal(int(total))}" if total is not None else shown


class Bar:
    """One progress bar (or nothing, when bars are off): ``update(done, total, text)``."""

    def __init__(self, bars: Progress | None, unit: str, text: str) -> None:
        self._bars, self._unit = bars, unit
        self._task = bars.add_task(text, total=None, amount="") if bars is not None else None

    def update(self, done: float, total: float | None = None, text: str | None = None) -> None:
        """Move the bar to ``done`` (of ``total``, when known) with a short ``text``."""
        if self._bars is None or self._task is None:
            return
        fields: dict[str, Any] = {"completed": done, "amount": _amount(done, total, self._unit)}
        if total is not None:
            fields["total"] = total
        if text is not None:
            fields["description"] = text
        self._bars.update(self._task, **fields)


def _bars() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[amount]}"),
        TimeElapsedColumn(),
        console=stderr(),
        transient=True,
    )


@contextmanager
def progress(text: str, *, unit: str = "bytes", quiet: bool = False) -> Iterator[Bar]:
    """A progress bar on stderr around long work (``unit``: bytes or items); a bar
    that draws nothing when stderr is not a terminal or output is quiet."""
    if not bars_enabled(quiet):
        yield Bar(None, unit, text)
        return
    with _bars() as bars:
        yield Bar(bars, unit, text)


_STAGES = {"parse": ("parsing", "bytes"), "assign": ("assigning", "items")}


@contextmanager
def batch_progress(*, quiet: bool = False) -> Iterator[Callable[[Step], None]]:
    """A ``progress`` callback for :func:`pbxlab.batch.run_batch`: one bar per stage
    (parsing in bytes, analysing in tenants).  Draws nothing when bars are off."""
    if not bars_enabled(quiet):
        yield lambda step: None
        return
    with _bars() as bars:
        stages: dict[str, Bar] = {}

        def show(step: Step) -> None:
            label, unit = _STAGES.get(step.stage, ("analysing", "items"))
            if step.stage not in stages:
                stages[step.stage] = Bar(bars, unit, label)
            stages[step.stage].update(step.done, step.total, f"{label} {step.detail}".strip())

        yield show
