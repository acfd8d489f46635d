"""Writing a report directory: per tenant a page and machine-readable files, and an index.

Layout of ``out_dir``::

    index.html            tenants ranked by health, least healthy first
    tenants.json          the same ranking for scripts
    <tenant>/report.html  the tenant's self-contained page (opens offline)
    <tenant>/findings.json  `pbxlab diagnose --format json` shape
    <tenant>/findings.csv   `pbxlab diagnose --format csv` shape
    <tenant>/health.json    score, grade and reasons
    <tenant>/extensions.csv the extensions table of the page
    <tenant>/status.parquet       STATUS table
    <tenant>/transitions.parquet  STATUS_CHANGES table

``<tenant>`` is the tenant name made file-system safe (:func:`pbxlab.report.build.slug`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from pbxlab.cli.diagnose import to_records
from pbxlab.errors import InputError, Location
from pbxlab.report.build import TenantReport, build_tenant_report
from pbxlab.report.health import HealthPolicy
from pbxlab.report.html import PAGE_NAME, render_index_html, render_tenant_html
from pbxlab.report.tenants import TenantEvidence

__all__ = ["ReportSet", "ranking", "summary", "write_report_set", "write_tenant_files"]

CSV_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # as `pbxlab diagnose --format csv`


@dataclass(frozen=True)
class ReportSet:
    """What :func:`write_report_set` wrote: the index, and the ranking it shows
    (:func:`ranking`, with each tenant's ``directory``)."""

    out_dir: Path
    index: Path
    ranking: pd.DataFrame


def summary(report: TenantReport) -> dict[str, object]:
    """The index row of one tenant's report (see :func:`ranking`)."""
    return {
        "tenant": report.tenant,
        "directory": report.slug,
        "score": report.health.score,
        "grade": report.health.grade,
        **report.severity_counts(),
        "extensions": len(report.extensions),
        "main_reason": report.health.reasons[0].text if report.health.reasons else "",
    }


def ranking(summaries: Iterable[Mapping[str, object]]) -> pd.DataFrame:
    """Tenants (rows of :func:`summary`) ranked least healthy first: lowest score,
    then most critical and warning findings, then name.  Columns rank, tenant,
    directory, score, grade, critical, warning, info, extensions, main_reason
    (the largest deduction, or '')."""
    columns = ["tenant", "directory", "score", "grade", "critical", "warning", "info"]
    frame = pd.DataFrame(list(summaries), columns=[*columns, "extensions", "main_reason"])
    frame = frame.sort_values(
        ["score", "critical", "warning", "tenant"],
        ascending=[True, False, False, True],
        kind="stable",
    ).reset_index(drop=True)
    frame.insert(0, "rank", range(1, len(frame) + 1))
    return frame


def write_tenant_files(report: TenantReport, directory: Path) -> list[Path]:
    """Write one tenant's page and machine-readable files into ``directory``
    (created); returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {
        name: directory / name
        for name in (
            PAGE_NAME,
            "findings.json",
            "findings.csv",
            "health.json",
            "extensions.csv",
            "status.parquet",
            "transitions.parquet",
        )
    }
    written[PAGE_NAME].write_text(render_tenant_html(report), encoding="utf-8")
    written["findings.json"].write_text(
        json.dumps(to_records(report.findings), indent=2) + "\n", encoding="utf-8"
    )
    report.findings.to_csv(written["findings.csv"], index=False, date_format=CSV_TIME_FORMAT)
    written["health.json"].write_text(
        json.dumps(
            {
                "tenant": report.tenant,
                "score": report.health.score,
                "grade": report.health.grade,
                "reasons": [asdict(r) for r in report.health.reasons],
                "findings": report.severity_counts(),
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    report.extensions.to_csv(written["extensions.csv"], index=False)
    report.analysis.status.to_parquet(written["status.parquet"], index=False)
    report.analysis.transitions.to_parquet(written["transitions.parquet"], index=False)
    return list(written.values())


def write_report_set(
    tenants: Mapping[str, TenantEvidence],
    out_dir: Path,
    *,
    policy: HealthPolicy | None = None,
    progress: Callable[[str], None] | None = None,
) -> ReportSet:
    """Build and write every tenant's report and the index into ``out_dir``.

    ``progress`` is called with each tenant's name before its report is built.
    Raises InputError when ``out_dir`` exists and is not a directory, or two
    tenants' names map to the same directory.
    """
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError("-o must be a directory", Location(str(out_dir)))
    summaries: list[dict[str, object]] = []
    used: dict[str, str] = {}
    for name, evidence in tenants.items():
        if progress is not None:
            progress(name)
        report = build_tenant_report(evidence, policy=policy)
        if report.slug in used:
            raise InputError(
                f"tenants {used[report.slug]!r} and {name!r} would share the directory "
                f"{report.slug!r}; rename one in the tenant mapping"
            )
        used[report.slug] = name
        write_tenant_files(report, out_dir / report.slug)
        summaries.append(summary(report))  # only the summary: reports of many tenants
    ranked = ranking(summaries)
    out_dir.mkdir(parents=True, exist_ok=True)
    index = out_dir / "index.html"
    index.write_text(render_index_html(ranked), encoding="utf-8")
    (out_dir / "tenants.json").write_text(
        json.dumps(ranked.to_dict("records"), indent=2) + "\n", encoding="utf-8"
    )
    return ReportSet(out_dir=out_dir, index=index, ranking=ranked)
