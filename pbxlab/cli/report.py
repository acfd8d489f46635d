"""``pbxlab report``: captures and logs to a directory of tenant-health reports.

Writes, per tenant, a self-contained HTML page and machine-readable files, and
an index ranking the tenants by health (layout: :mod:`pbxlab.report.write`,
docs/report.md).  Prints the index's path on stdout, progress and a summary on
stderr.  Exit 1 when a finding of any tenant reaches ``--fail-on``; bad input
exits 2 through the app's error handling.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import typer
from rich.console import Console

from pbxlab.cli.diagnose import reaches
from pbxlab.errors import InputError, Location
from pbxlab.report.tenants import TenantEvidence, tenants_by_domain
from pbxlab.report.write import write_report_set
from pbxlab.tables import SEVERITIES

_err = Console(stderr=True)


def load_tenants(
    inputs: list[Path], *, tz: str = "UTC", year: int | None = None
) -> Mapping[str, TenantEvidence]:
    """Each tenant's analysis and findings of ``inputs`` (tenants by SIP domain)."""
    return tenants_by_domain(inputs, tz=tz, year=year)


def report(
    inputs: list[Path] = typer.Argument(
        ..., help="Captures (pcap, pcapng, .gz) and registrar logs, in any mix."
    ),
    output: Path = typer.Option(
        ...,
        "--output",
        "-o",
        help="Directory to write into (created): index.html, tenants.json and one "
        "directory per tenant.",
    ),
    fail_on: str | None = typer.Option(
        None,
        "--fail-on",
        help=f"Exit 1 when any tenant has a finding at least this severe: {', '.join(SEVERITIES)}.",
    ),
    tz: str = typer.Option("UTC", help="Time zone of log times written without an offset."),
    year: int | None = typer.Option(None, help="Year of log dates that omit it (syslog)."),
) -> int:
    """Tenant-health reports: per tenant a self-contained HTML page (health score and
    why, extensions, findings with actions and evidence, reliability, calls, media,
    security) and the same content as JSON/CSV/Parquet; an index ranks the tenants."""
    if fail_on is not None and fail_on not in SEVERITIES:
        raise InputError(f"unknown --fail-on {fail_on!r}: use one of {', '.join(SEVERITIES)}")
    if output.exists() and not output.is_dir():  # before the long part, not after
        raise InputError("-o must be a directory", Location(str(output)))
    with _err.status("reading and analysing the inputs...") as spinner:
        tenants = load_tenants(inputs, tz=tz, year=year)
        total = len(tenants)
        done = iter(range(1, total + 1))

        def progress(name: str) -> None:
            spinner.update(f"writing the report of {name} ({next(done)}/{total})...")

        written = write_report_set(tenants, output, progress=progress)
    ranked = written.ranking
    worst = ranked.iloc[0] if len(ranked) else None
    _err.print(
        f"{len(ranked)} tenant report(s) in {output}"
        + (
            f"; least healthy: {worst['tenant']} ({worst['score']}/100)"
            if worst is not None
            else ""
        )
    )
    typer.echo(str(written.index))
    if fail_on is not None and any(reaches(t.findings, fail_on) for t in tenants.values()):
        raise typer.Exit(1)
    return 0


def register(app: typer.Typer) -> None:
    """Add ``report`` to the pbxlab command."""
    app.command("report")(report)
