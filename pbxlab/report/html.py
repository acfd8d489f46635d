"""Self-contained HTML pages of the report, from Jinja2 templates.

Strategy: a tenant page embeds plotly.js once, inline (no CDN: the page must
open offline, attached to an e-mail), then each figure as a ``<div>`` and a
call to ``Plotly.newPlot``.  Templates are autoescaped; only the figure
markup, produced by plotly itself, is inserted as is.  The index page is plain
HTML (no script) linking to each tenant's page.
"""

from __future__ import annotations

import functools
from typing import Any

import pandas as pd
import plotly.io as pio
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from plotly.offline import get_plotlyjs

from pbxlab import __version__
from pbxlab.report.build import TenantReport
from pbxlab.report.figures import FIGURE_TITLES
from pbxlab.report.sections import SECURITY_CODES

__all__ = ["PAGE_NAME", "render_index_html", "render_tenant_html"]

PAGE_NAME = "report.html"
"""File name of a tenant's page inside its directory."""

FIGURE_CONFIG = {"displaylogo": False, "responsive": True}
"""No plotly logo (a link to plotly.com: the page makes no external reference)."""

SECURITY_HEADINGS = {
    "SCANNER": "Scanners",
    "BRUTE_FORCE": "Brute-force attempts",
    "CREDENTIAL_LEAK_SUSPECTED": "Suspected leaked credentials",
    "AUTH_FAILURE": "Refused logins",
}


@functools.cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("pbxlab.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    env.filters["percent"] = _percent
    env.filters["evidence_list"] = _evidence_list
    env.filters["blank"] = _blank
    return env


@functools.cache
def _plotly_js() -> Markup:
    # the bundle has no "</script" in it (checked by the tests), so it can be inlined
    return Markup(get_plotlyjs())


def render_tenant_html(report: TenantReport) -> str:
    """The self-contained HTML page of one tenant's report."""
    figures = {
        name: Markup(
            pio.to_html(
                figure,
                full_html=False,
                include_plotlyjs=False,
                config=FIGURE_CONFIG,
                div_id=f"figure-{name}",
            )
        )
        for name, figure in report.figures.items()
    }
    return (
        _environment()
        .get_template("tenant.html.j2")
        .render(
            report=report,
            health=report.health,
            counts=report.severity_counts(),
            findings={s: f.to_dict("records") for s, f in report.findings_by_severity.items()},
            extensions=report.extensions.to_dict("records"),
            calls=report.call_outcomes.to_dict("records"),
            total_calls=int(report.call_outcomes["calls"].sum()),
            media=report.media_quality.to_dict("records"),
            poor_streams=int(report.media_quality["poor"].sum()),
            security=[
                (SECURITY_HEADINGS[c], report.security[c].to_dict("records"))
                for c in SECURITY_CODES
            ],
            figures=figures,
            titles=FIGURE_TITLES,
            plotly_js=_plotly_js(),
            version=__version__,
        )
    )


def render_index_html(ranked: pd.DataFrame) -> str:
    """The index page: ``ranked`` (see :func:`pbxlab.report.write.ranking`) as a table
    linking each tenant's page (``directory``/report.html)."""
    rows = [{**row, "href": f"{row['directory']}/{PAGE_NAME}"} for row in ranked.to_dict("records")]
    return (
        _environment()
        .get_template("index.html.j2")
        .render(rows=rows, version=__version__, tenants=len(rows))
    )


def _when(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC")
    return stamp.strftime("%Y-%m-%d %H:%M:%S UTC")


def _percent(value: Any) -> str:
    if value is None or pd.isna(value):
        return ""
    return f"{float(value):.1%}"


def _evidence_list(value: Any) -> list[str]:
    if not isinstance(value, str) or not value:
        return []
    return [part for part in value.split(";") if part]


def _blank(value: Any) -> Any:
    """Missing values (None, NaN, NA, NaT) as empty text."""
    if value is None or (not isinstance(value, str | list) and pd.isna(value)):
        return ""
    return value
