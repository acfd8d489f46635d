"""``pbxlab status``: every extension's state at a moment, or one extension's history.

Inputs are captures and registrar logs, mixed (told apart by content); they
are analysed together as one tenant's evidence (:func:`pbxlab.analysis.analyze`).
Output goes to stdout as a table, JSON or CSV; times are ISO 8601 UTC.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from pbxlab.analysis import Analysis, analyze, sip_domains, status_at
from pbxlab.cli.console import progress, say, settings
from pbxlab.cli.inputs import read_evidence
from pbxlab.errors import InputError

FORMATS = ("table", "json", "csv")


def iso(ts: Any) -> str | None:
    """ISO 8601 UTC with a ``Z`` suffix (microseconds); None for a missing time."""
    if ts is None or pd.isna(ts):
        return None
    return pd.Timestamp(ts).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> pd.Timestamp:
    """``--at`` value as a UTC timestamp (naive times are UTC); raises InputError."""
    try:
        when = pd.Timestamp(text)
    except (ValueError, TypeError) as exc:
        raise InputError(
            f"--at: cannot read the time {text!r}; use ISO 8601, e.g. 2024-05-01T12:00:00Z"
        ) from exc
    if pd.isna(when):
        raise InputError(f"--at: cannot read the time {text!r}")
    return when.tz_localize("UTC") if when.tzinfo is None else when.tz_convert("UTC")


def load(
    inputs: list[Path],
    domain: str | None = None,
    *,
    tz: str = "UTC",
    year: int | None = None,
    xlog: Path | None = None,
) -> Analysis:
    """Read captures and logs (by content) and analyse them together.

    Warns on stderr when a capture holds several tenants' SIP domains and no
    ``domain`` was chosen (their extension numbers may collide).
    """
    capture, events = read_evidence(inputs, tz=tz, year=year, xlog=xlog)
    if capture is not None:
        domains = sip_domains(capture.messages)["domain"].tolist()
        if domain is None and len(domains) > 1:
            shown = ", ".join(domains[:5]) + (" ..." if len(domains) > 5 else "")
            say(
                f"[yellow]the input holds {len(domains)} SIP domains ({shown}); extensions "
                "with the same number in different domains are merged -- choose one with "
                "--domain[/yellow]"
            )
        if domain is not None and domain.lower() not in {d.lower() for d in domains}:
            raise InputError(
                f"--domain: no REGISTER to {domain!r} in the input "
                f"(domains: {', '.join(domains) or 'none'})"
            )
    with progress("analysing", unit="items"):
        return analyze(capture=capture, events=events, domain=domain)


def history_rows(analysis: Analysis, extension: str, at: pd.Timestamp | None) -> pd.DataFrame:
    """One extension's intervals (up to ``at`` when given); raises InputError if unknown."""
    history = analysis.status[analysis.status["extension"] == extension]
    if history.empty:
        known = sorted(analysis.status["extension"].dropna().unique())
        listed = ", ".join(known[:20]) + (" ..." if len(known) > 20 else "")
        raise InputError(
            f"--history: no extension {extension!r} in the input (extensions: {listed or 'none'})"
        )
    if at is not None:
        history = history[history["start"] <= at].copy()
        history["end"] = history["end"].where(history["end"] <= at, at)
    return pd.DataFrame(
        {
            "extension": history["extension"].astype(str),
            "state": history["state"].astype(str),
            "start": [iso(t) for t in history["start"]],
            "end": [iso(t) for t in history["end"]],
            "reason": history["reason"].astype("string"),
        }
    ).reset_index(drop=True)


def snapshot_rows(analysis: Analysis, at: pd.Timestamp) -> pd.DataFrame:
    """Every extension's state at ``at``: extension, state, since, reason."""
    current = status_at(analysis.status, at)
    return pd.DataFrame(
        {
            "extension": current["extension"].astype(str),
            "state": current["state"].astype(str),
            "since": [iso(t) for t in current["since"]],
            "reason": current["reason"].astype("string"),
        }
    )


def _emit(rows: pd.DataFrame, output_format: str, title: str) -> None:
    if output_format == "json":
        records = [
            {k: (None if pd.isna(v) else v) for k, v in rec.items()}
            for rec in rows.to_dict(orient="records")
        ]
        typer.echo(json.dumps(records, indent=2))
    elif output_format == "csv":
        typer.echo(rows.to_csv(index=False), nl=False)
    else:
        table = Table(title=title, show_edge=False)
        for column in rows.columns:
            table.add_column(column)
        for rec in rows.itertuples(index=False):
            table.add_row(*("" if pd.isna(v) else str(v) for v in rec))
        # piped into a file or a ticket: wide enough for full ISO times
        Console(width=None if sys.stdout.isatty() else 160).print(table)


def status(
    inputs: list[Path] = typer.Argument(
        ..., help="Capture files and registrar logs of one tenant (told apart by content)."
    ),
    at: str | None = typer.Option(
        None, "--at", help="Time (ISO 8601; naive = UTC). Default: the end of the input."
    ),
    history: str | None = typer.Option(
        None, "--history", help="Show this extension's state intervals instead."
    ),
    output_format: str = typer.Option("table", "--format", help="table, json or csv."),
    domain: str | None = typer.Option(
        None, "--domain", help="Only this tenant (SIP domain) of a multi-tenant capture."
    ),
    tz: str = typer.Option("UTC", help="Time zone of log times written without an offset."),
    year: int | None = typer.Option(None, help="Year of log dates that omit it (syslog)."),
    xlog: Path | None = typer.Option(None, help="Kamailio/OpenSIPS xlog mapping (TOML)."),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="No progress bars or notes."),
) -> None:
    """Extension status (online, ringing, in_use, offline) at a moment, or one's history.

    Without --history: every extension's state at --at (default: the end of the
    evidence), with since when and why.  With --history EXT: that extension's
    state intervals.  Output on stdout; times are ISO 8601 UTC.
    """
    if output_format not in FORMATS:
        raise InputError(f"--format: unknown format {output_format!r}; use table, json or csv")
    settings.quiet = settings.quiet or quiet
    when = parse_time(at) if at is not None else None
    analysis = load(inputs, domain, tz=tz, year=year, xlog=xlog)
    if analysis.end is None:
        say("no SIP messages or registrar events in the input")
    if history is not None:
        rows = history_rows(analysis, history, when)
        _emit(rows, output_format, f"status history of {history}")
        return
    moment = when if when is not None else analysis.end
    if moment is None:
        rows = pd.DataFrame(columns=["extension", "state", "since", "reason"])
    else:
        rows = snapshot_rows(analysis, moment)
        if rows.empty and len(analysis.status):
            say(
                f"no extension has evidence at {iso(moment)} "
                f"(the input covers {iso(analysis.start)} to {iso(analysis.end)})"
            )
    _emit(rows, output_format, f"status at {iso(moment)}")


EXAMPLES = (
    "[bold]Examples[/bold]\n\n"
    "  pbxlab status capture.pcap\n\n"
    "  pbxlab status capture.pcap /var/log/asterisk/full --at 2024-05-01T09:30:00Z\n\n"
    "  pbxlab status capture.pcap --history 201 --format json\n\n"
    "  pbxlab status node1.pcap --domain acme.example.com --format csv > status.csv"
)


def register(app: typer.Typer) -> None:
    """Add ``status`` to the pbxlab command."""
    app.command("status", epilog=EXAMPLES)(status)
