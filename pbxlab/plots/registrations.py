"""Registration intervals: how long phones wait between re-registrations, against the expiry.

Strategy: from the REGISTRATIONS table keep the successful registrations
(``result == 'ok'``, a real contact, a granted expiry above zero -- an
unregister is not a refresh), group them by extension and contact (one
phone), and take the time from each to the next.  Each interval is compared
with the expiry granted by the earlier registration: a phone that
re-registers later than that lets its binding lapse, which is what the
timeline then shows as offline gaps.  The figure is a histogram of the
intervals per extension with a dashed line at each granted expiry;
``relative=True`` plots ``interval / granted expiry`` instead, so phones with
different expiries share one scale and 1.0 is the deadline.
"""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from pbxlab.plots.style import SEVERITY_COLOURS, empty_figure, extension_order

__all__ = ["refresh_intervals", "registration_intervals"]


def refresh_intervals(registrations: pd.DataFrame) -> pd.DataFrame:
    """Per successive pair of successful registrations of one contact: the interval.

    Returns columns ``extension``, ``contact``, ``ts`` (the later
    registration), ``interval_s``, ``granted_expires`` (of the earlier one)
    and ``ratio`` (interval / granted expiry), ordered by extension then time.
    """
    ok = registrations[
        (registrations["result"].astype(str) == "ok")
        & registrations["granted_expires"].fillna(0).gt(0)
        & registrations["contact"].notna()
        & registrations["contact"].ne("*")
        & registrations["extension"].notna()
    ]
    ok = ok.assign(extension=ok["extension"].astype(str), contact=ok["contact"].astype(str))
    ok = ok.sort_values(["extension", "contact", "ts"], kind="stable")
    phone = ok.groupby(["extension", "contact"], sort=False)
    previous_ts = phone["ts"].shift(1)
    previous_expiry = phone["granted_expires"].shift(1)
    pairs = ok.assign(
        interval_s=(ok["ts"] - previous_ts).dt.total_seconds(),
        granted_expires=previous_expiry.astype("Int64"),
    )
    pairs = pairs[previous_ts.notna()]
    ratio = pairs["interval_s"] / pairs["granted_expires"].astype("float64")
    out = pd.DataFrame(
        {
            "extension": pairs["extension"].astype("string"),
            "contact": pairs["contact"].astype("string"),
            "ts": pairs["ts"],
            "interval_s": pairs["interval_s"].astype("float64"),
            "granted_expires": pairs["granted_expires"],
            "ratio": ratio.astype("float64"),
        }
    )
    return out.reset_index(drop=True)


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
    for index, extension in enumerate(extension_order(intervals["extension"])):
        rows = intervals[intervals["extension"] == extension]
        figure.add_trace(
            go.Histogram(
                name=str(extension),
                x=list(rows[value]),
                nbinsx=bins,
                marker={"color": colours[index % len(colours)]},
                opacity=0.75,
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
        barmode="overlay",
        height=420,
        xaxis={
            "title": "interval / granted expiry" if relative else "seconds between registrations",
            "rangemode": "tozero",
        },
        yaxis={"title": "refreshes"},
        legend={"title": {"text": "extension"}},
    )
    return figure
