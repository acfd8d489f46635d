"""``pbxlab diagnose``: captures and registrar logs, mixed, to the findings table.

Output on stdout: a table for people, or JSON / CSV for scripts (DESIGN.md:
a JSON list of ``{extension, domain, code, severity, first_seen, last_seen,
summary, action, evidence}``, times in ISO 8601 UTC, ``extension`` null and
``source`` set when the finding is about a network source).  A capture of
several tenants (SIP domains) is diagnosed tenant by tenant unless ``--domain``
picks one.  Exit 1 when a finding
reaches ``--fail-on``; bad input exits 2 through the app's error handling.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from pbxlab.analysis import sip_domains
from pbxlab.analysis.findings import diagnose as diagnose_findings
from pbxlab.cli.console import echo_json, progress, say, settings
from pbxlab.cli.inputs import read_evidence
from pbxlab.errors import InputError
from pbxlab.tables import EVENTS, SEVERITIES

FORMATS = ("table", "json", "csv")
JSON_FIELDS = (
    "extension",
    "domain",
    "source",
    "code",
    "severity",
    "first_seen",
    "last_seen",
    "summary",
    "action",
    "evidence",
)


def findings_of(
    inputs: list[Path],
    tz: str = "UTC",
    year: int | None = None,
    xlog: Path | None = None,
    domain: str | None = None,
) -> pd.DataFrame:
    """The findings of captures and logs given together (told apart by content);
    with ``domain``, of that tenant only, else of every tenant separately.

    Raises InputError for a missing file or a ``domain`` no REGISTER names,
    CaptureFormatError / LogFormatError for a file that is neither a readable
    capture nor a known log.
    """
    capture, log_events = read_evidence(inputs, tz=tz, year=year, xlog=xlog)
    events = log_events if log_events is not None else EVENTS.empty()
    if capture is None:
        if domain is not None:
            raise InputError("--domain needs a capture: registrar logs carry no SIP domain")
        with progress("diagnosing", unit="items"):
            return diagnose_findings(events=events)
    if domain is not None:
        domains = [str(d) for d in sip_domains(capture.messages)["domain"]]
        if domain.lower() not in {d.lower() for d in domains}:
            raise InputError(
                f"--domain: no REGISTER to {domain!r} in the input "
                f"(domains: {', '.join(domains) or 'none'})"
            )
    with progress("diagnosing", unit="items"):
        return diagnose_findings(
            messages=capture.messages, rtp_streams=capture.rtp_streams, events=events, domain=domain
        )


def to_records(findings: pd.DataFrame) -> list[dict[str, object]]:
    """JSON-ready findings: ISO 8601 UTC times, None for missing values."""
    records: list[dict[str, object]] = []
    for row in findings.itertuples(index=False):
        record: dict[str, object] = {}
        for name in JSON_FIELDS:
            value = getattr(row, name)
            if isinstance(value, pd.Timestamp):
                record[name] = value.tz_convert("UTC").isoformat().replace("+00:00", "Z")
            elif (
                value is None or value is pd.NaT or (not isinstance(value, str) and pd.isna(value))
            ):
                record[name] = None
            else:
                record[name] = str(value)
        records.append(record)
    return records


def reaches(findings: pd.DataFrame, severity: str) -> bool:
    """Whether any finding is at least ``severity`` (info < warning < critical)."""
    floor = SEVERITIES.index(severity)
    return any(SEVERITIES.index(str(s)) >= floor for s in findings["severity"])


def diagnose(
    inputs: list[Path] = typer.Argument(
        ..., help="Captures (pcap, pcapng, .gz) and registrar logs, in any mix."
    ),
    output_format: str = typer.Option(
        "table", "--format", "-f", help=f"Output: {', '.join(FORMATS)}."
    ),
    fail_on: str | None = typer.Option(
        None,
        "--fail-on",
        help=f"Exit 1 when a finding is at least this severe: {', '.join(SEVERITIES)}.",
    ),
    tz: str = typer.Option("UTC", help="Time zone of log times written without an offset."),
    year: int | None = typer.Option(None, help="Year of log dates that omit it (syslog)."),
    xlog: Path | None = typer.Option(None, help="Kamailio/OpenSIPS xlog mapping (TOML)."),
    domain: str | None = typer.Option(
        None,
        "--domain",
        help="Only this tenant (SIP domain) of a multi-tenant capture; default: every "
        "tenant separately.",
    ),
    quiet: bool = typer.Option(False, "-q", "--quiet", help="No progress bars or summary."),
) -> int:
    """Diagnose extensions: what is wrong, why, the evidence and what to do.

    Captures and registrar logs are told apart by content and analysed together;
    a capture of several tenants (SIP domains) is diagnosed tenant by tenant.
    Findings go to stdout (a table, or JSON / CSV for scripts), the count by
    severity to stderr.
    """
    if output_format not in FORMATS:
        raise InputError(f"unknown --format {output_format!r}: use one of {', '.join(FORMATS)}")
    if fail_on is not None and fail_on not in SEVERITIES:
        raise InputError(f"unknown --fail-on {fail_on!r}: use one of {', '.join(SEVERITIES)}")
    settings.quiet = settings.quiet or quiet
    findings = findings_of(inputs, tz=tz, year=year, xlog=xlog, domain=domain)
    if output_format == "json":
        echo_json(to_records(findings))
    elif output_format == "csv":
        findings.to_csv(sys.stdout, index=False, date_format="%Y-%m-%dT%H:%M:%S.%fZ")
    else:
        _print_table(findings)
    counts = findings["severity"].value_counts()
    say(
        f"{len(findings)} finding(s): "
        + ", ".join(f"{int(counts.get(s, 0))} {s}" for s in reversed(SEVERITIES))
    )
    if fail_on is not None and reaches(findings, fail_on):
        raise typer.Exit(1)
    return 0


def _print_table(findings: pd.DataFrame) -> None:
    # a terminal gets its own width; a pipe or file a wide table instead of 80 columns
    console = Console(width=None if sys.stdout.isatty() else 180)
    if findings.empty:
        console.print("No findings.")
        return
    table = Table(show_lines=True)
    for name in ("severity", "who", "code", "summary", "action", "evidence"):
        table.add_column(name, overflow="fold")
    for row in findings.itertuples(index=False):
        who = row.extension if isinstance(row.extension, str) else f"source {row.source}"
        if isinstance(row.extension, str) and isinstance(row.domain, str):
            who = f"{row.extension}@{row.domain}"
        evidence = str(row.evidence).split(";") if isinstance(row.evidence, str) else []
        shown = "\n".join(evidence[:3]) + (f"\n(+{len(evidence) - 3})" if len(evidence) > 3 else "")
        table.add_row(
            str(row.severity), who, str(row.code), str(row.summary), str(row.action), shown
        )
    console.print(table)


EXAMPLES = (
    "[bold]Examples[/bold]\n\n"
    "  pbxlab diagnose ticket-4711.pcap\n\n"
    "  pbxlab diagnose node1.pcap.gz /var/log/asterisk/full --domain acme.example.com\n\n"
    "  pbxlab diagnose *.pcap --format json > findings.json\n\n"
    "  pbxlab -q diagnose today.pcap --fail-on critical || notify-oncall\n\n"
    "Exit codes: 0 done (findings or not); 1 a finding reached --fail-on; 2 bad input or usage."
)


def register(app: typer.Typer) -> None:
    """Add ``diagnose`` to the pbxlab command."""
    app.command("diagnose", epilog=EXAMPLES)(diagnose)
