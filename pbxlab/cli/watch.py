"""``pbxlab watch``: status changes and findings as they happen, from an interface or a log.

Output goes to stdout, one line per change: a human table (``--format
table``) or JSON lines (``--format jsonl``: ``{"type": "status", ts,
extension, state, from_state, reason, detected_at}`` or ``{"type":
"finding", extension, code, severity, ...}``).  Messages about the sources
(a rotated log, a lost interface) go to stderr.  Ctrl-C (or SIGTERM) stops
the watch and exits 0; a source that cannot be watched at all (no
permission to capture, no such interface, a bad filter or argument) exits 2.
"""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from types import FrameType

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape

from pbxlab.capture.logs.xlog import load_mapping
from pbxlab.cli.console import settings, stderr
from pbxlab.errors import InputError
from pbxlab.live import FindingChange, Notice, StatusChange, Watcher, WatchPolicy
from pbxlab.live.changes import iso
from pbxlab.live.watcher import Change

FORMATS = ("table", "jsonl")
_STATE_STYLE = {
    "online": "green",
    "ringing": "yellow",
    "in_use": "blue",
    "offline": "red",
    "unknown": "dim",
}
_SEVERITY_STYLE = {"info": "cyan", "warning": "yellow", "critical": "bold red"}


def _clock(ts: pd.Timestamp) -> str:
    """The time of day; with the date when it is not today (a backlog read at start)."""
    when = pd.Timestamp(ts).tz_convert("UTC")
    if when.date() != pd.Timestamp.now(tz="UTC").date():
        return when.strftime("%Y-%m-%d %H:%M:%S")
    return when.strftime("%H:%M:%S.%f")[:-3]


def _tell(message: str, *, warning: bool = False) -> None:
    """A message on stderr, one line whatever its length (greppable); --quiet keeps
    only warnings."""
    if warning:
        stderr().print(f"[yellow]pbxlab watch: {escape(message)}[/yellow]", soft_wrap=True)
    elif not settings.quiet:
        stderr().print(f"[dim]pbxlab watch: {escape(message)}[/dim]", soft_wrap=True)


class _Printer:
    """Writes each change to stdout (table or JSON lines), notices to stderr."""

    def __init__(self, output_format: str) -> None:
        self.format = output_format
        self.out = Console(
            highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 200
        )
        self._header = False

    def __call__(self, change: Change) -> None:
        if isinstance(change, Notice):
            if change.kind in ("opened", "error"):
                return  # said by the command itself (what it follows; why it stops)
            _tell(change.message, warning=change.level != "info")
            return
        if self.format == "jsonl":
            sys.stdout.write(json.dumps(change.to_dict()) + "\n")
            sys.stdout.flush()
            return
        if not self._header:
            self._header = True
            self.out.print(f"[bold]{'time (UTC)':<19}  {'extension':<12}  {'state':<22}  why[/]")
        if isinstance(change, StatusChange):
            style = _STATE_STYLE.get(change.state, "")
            moved = (
                change.state if change.previous is None else f"{change.previous} → {change.state}"
            )
            self.out.print(
                f"{_clock(change.ts):<19}  {escape(change.extension):<12}  "
                f"[{style}]{moved:<22}[/]  {escape(change.reason)}"
            )
        elif isinstance(change, FindingChange):
            row = change.finding
            who = row.get("extension") or row.get("source") or ""
            severity = str(row.get("severity"))
            style = _SEVERITY_STYLE.get(severity, "")
            verb = "finding" if change.new else "escalated"
            # the evidence's time, like status lines (a backlog's finding is not from now)
            seen = row.get("last_seen")
            when = change.detected_at if seen is None or pd.isna(seen) else pd.Timestamp(seen)
            self.out.print(
                f"{_clock(when):<19}  {escape(str(who)):<12}  "
                f"[{style}]{verb} {row.get('code')} ({severity})[/]  "
                f"{escape(str(row.get('summary')))}"
            )
        self.out.file.flush()


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def watch(
    interface: str | None = typer.Option(
        None, "--interface", "-i", help="Capture this interface live (through dumpcap)."
    ),
    bpf: str | None = typer.Option(
        None, "--filter", "-f", help="Capture filter (BPF), e.g. 'udp port 5060'."
    ),
    follow: Path | None = typer.Option(
        None, "--follow", help="Follow this registrar log (tail -F: survives rotation)."
    ),
    output_format: str = typer.Option("table", "--format", help="table or jsonl."),
    log_format: str = typer.Option(
        "auto", "--log-format", help="Log format (default: detected); see `pbxlab parse`."
    ),
    tz: str = typer.Option("UTC", "--tz", help="Time zone of log times written without one."),
    xlog: Path | None = typer.Option(
        None, "--xlog", help="TOML xlog mapping for Kamailio/OpenSIPS logs."
    ),
    from_end: bool = typer.Option(
        False, "--from-end", help="Skip what the log already holds (default: read it first)."
    ),
    window: float = typer.Option(
        300.0, "--window", help="Seconds of evidence kept (findings are judged over it)."
    ),
    ring_dir: Path | None = typer.Option(
        None, "--ring-dir", help="Keep dumpcap's capture ring here (default: a temporary dir)."
    ),
    duration: float | None = typer.Option(
        None, "--duration", help="Stop after this many seconds (default: until Ctrl-C)."
    ),
    findings: bool = typer.Option(
        True, "--findings/--no-findings", help="Report findings as they appear."
    ),
) -> int:
    """Watch an interface or a registrar log; print each status change and finding as it happens."""
    if (interface is None) == (follow is None):
        raise InputError("give exactly one of --interface IFACE or --follow LOGFILE")
    if output_format not in FORMATS:
        raise InputError(f"--format: unknown format {output_format!r}; use table or jsonl")
    if bpf is not None and interface is None:
        raise InputError("--filter applies to --interface only")
    if window < 60:
        raise InputError("--window: keep at least 60 s (keepalive and transaction timers)")
    policy = WatchPolicy(
        window=pd.Timedelta(seconds=window),
        findings_every=10.0 if findings else float("inf"),
    )
    if follow is not None:
        mapping = load_mapping(xlog) if xlog is not None else None
        watcher = Watcher.follow(
            follow, log_format, tz, xlog=mapping, from_start=not from_end, policy=policy
        )
        what = f"following {follow}"
    else:
        assert interface is not None
        watcher = Watcher.capture(interface, bpf, ring_dir=ring_dir, policy=policy)
        what = f"capturing on {interface}" + (f" ({bpf})" if bpf else "")
    printer = _Printer(output_format)
    watcher.subscribe(printer)
    previous = signal.signal(signal.SIGTERM, _stop_on_sigterm)
    _tell(f"{what}; Ctrl-C to stop")
    started = pd.Timestamp.now(tz="UTC")
    try:
        watcher.run(duration)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        watcher.stop()
    if watcher.errors_seen:
        _tell(f"{watcher.errors_seen} malformed packet(s)/line(s) were skipped", warning=True)
    _tell(f"stopped (watched since {iso(started)})")
    return 0


EXAMPLES = (
    "[bold]Examples[/bold]\n\n"
    "  pbxlab watch --interface eth0 --filter 'udp port 5060'\n\n"
    "  pbxlab watch --follow /var/log/asterisk/full\n\n"
    "  pbxlab watch --follow /var/log/kamailio.log --xlog kamailio.toml --format jsonl | jq .\n\n"
    "  pbxlab watch -i any --ring-dir ./ticket-4711-ring --duration 600"
)


def register(app: typer.Typer) -> None:
    """Add ``watch`` to the pbxlab command."""
    app.command("watch", epilog=EXAMPLES)(watch)
