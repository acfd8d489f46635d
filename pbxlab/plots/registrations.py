"""Registration intervals: how long phones wait between re-registrations, against the expiry.

Strategy: from the REGISTRATIONS table keep the successful registrations
(``result == 'ok'``, a real contact, a granted expiry above zero), group them
by extension and contact (one phone), and take the time from each to the
next; an unregister in between ends the chain (what follows is a new login,
not a refresh).  Each interval is compared with the expiry granted by the
earlier registration: a phone that re-registers later than that lets its
binding lapse, which the timeline then shows as offline gaps.  The figure is
a histogram of the intervals, stacked per extension on shared bins, with a
dashed line at each granted expiry; ``relative=True`` plots ``interval /
granted expiry`` instead, so phones with different expiries share one scale
and 1.0 is the deadline.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from pbxlab.plots.style import SEVERITY_COLOURS, empty_figure, extension_order

__all__ = ["refresh_intervals", "registration_intervals"]


def _is_unregister(row: Any) -> bool:
    contact = None if pd.isna(row.contact) else str(row.contact)
    return (
        contact == "*"
        or (not pd.isna(row.requested_expires) and int(row.requested_expires) == 0)
        or (not pd.isna(row.granted_expires) and int(row.granted_expires) == 0)
    )


def refresh_intervals(registrations: pd.DataFrame) -> pd.DataFrame:
    """Per successive pair of successful registrations of one contact: the interval.

    Only successful REGISTERs count; an unregister of the contact (or of all
    contacts, ``*``) in between ends the chain -- the next registration is a
    new login, not a refresh.  Returns columns ``extension``, ``contact``,
    ``ts`` (the later registration), ``interval_s``, ``granted_expires`` (of
    the earlier one) and ``ratio`` (interval / granted expiry), ordered by
    extension, contact and time.
    """
    ok = registrations[
        (registrations["result"].astype(str) == "ok") & registrations["extension"].notna()
    ]
    ok = ok.sort_values("ts", kind="stable")
    last: dict[tuple[str, str], tuple[pd.Timestamp, int]] = {}
    rows: list[tuple[str, str, pd.Timestamp, float, int]] = []
    records: list[Any] = list(ok.itertuples(index=False))
    for row in records:
        extension = str(row.extension)
        if _is_unregister(row):
            contact = None if pd.isna(row.contact) else str(row.contact)
            for key in [k for k in last if k[0] == extension and contact in ("*", k[1])]:
                del last[key]
            continue
        if pd.isna(row.contact) or pd.isna(row.granted_expires):
            continue
        key = (extension, str(row.contact))
        when = pd.Timestamp(row.ts)
        if key in last:
            since, earlier_grant = last[key]
            rows.append((*key, when, (when - since).total_seconds(), earlier_grant))
        last[key] = (when, int(row.granted_expires))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    intervals = [r[3] for r in rows]
    grants = [r[4] for r in rows]
    return pd.DataFrame(
        {
            "extension": pd.Series([r[0] for r in rows], dtype="string"),
            "contact": pd.Series([r[1] for r in rows], dtype="string"),
            "ts": pd.Series([r[2] for r in rows], dtype="datetime64[ns, UTC]"),
            "interval_s": pd.Series(intervals, dtype="float64"),
            "granted_expires": pd.Series(grants, dtype="Int64"),
            "ratio": pd.Series(
                [i / g for i, g in zip(intervals, grants, strict=True)], dtype="float64"
            ),
        }
    )


def registration_intervals(
    registrations: pd.DataFrame,
    *,
    relative: bool = False,
    bins: int = 40,
    title: str | None = None,
) -> go.Figure:
    """Histogram of the intervals between successive successful REGISTERs per contact.

    ``registrations`` is the REGISTRATIONS table.  One histogram trace per
    extension; a dashed line at every distinct granted expiry (or at 1.0 with
    ``relative=True``, which plots interval / granted expiry).  Hover gives
    the bin's range and count.  Returns a figure with an explanatory
    annotation when no contact registered twice.
    """
    intervals = refresh_intervals(registrations)
    if intervals.empty:
        return empty_figure(
            "No contact registered successfully twice in this evidence", title=title
        )
    value = "ratio" if relative else "interval_s"
    colours = px.colors.qualitative.Safe
    figure = go.Figure()
    # shared bins from zero to past the deadline, so extensions stack and compare
    deadline = 1.0 if relative else float(intervals["granted_expires"].max())
    upper = max(float(intervals[value].max()), deadline) * 1.05
    shared_bins = {"start": 0.0, "end": upper, "size": upper / max(bins, 1)}
    for index, extension in enumerate(extension_order(intervals["extension"])):
        rows = intervals[intervals["extension"] == extension]
        figure.add_trace(
            go.Histogram(
                name=str(extension),
                x=list(rows[value]),
                xbins=shared_bins,
                marker={"color": colours[index % len(colours)]},
                hovertemplate=(
                    f"<b>{extension}</b><br>%{{x}}"
                    + ("× expiry" if relative else " s")
                    + "<br>%{y} refreshes<extra></extra>"
                ),
                meta={"kind": "intervals", "extension": str(extension)},
            )
        )
    late = SEVERITY_COLOURS["warning"]
    if relative:
        figure.add_vline(
            x=1.0,
            line={"dash": "dash", "color": late},
            annotation_text="granted expiry",
            annotation_position="top",
        )
    else:
        for expiry in sorted({int(e) for e in intervals["granted_expires"].dropna()}):
            figure.add_vline(
                x=expiry,
                line={"dash": "dash", "color": late},
                annotation_text=f"expiry {expiry} s",
                annotation_position="top",
            )
    late_count = int((intervals["ratio"] > 1.0).sum())
    heading = title or (
        "Re-registration intervals"
        + (f" · {late_count} later than the granted expiry" if late_count else "")
    )
    figure.update_layout(
        title=heading,
        template="plotly_white",
        barmode="stack",
        height=420,
        xaxis={
            "title": "interval / granted expiry" if relative else "seconds between registrations",
            "rangemode": "tozero",
        },
        yaxis={"title": "refreshes"},
        legend={"title": {"text": "extension"}},
    )
    return figure
