"""The workbench's views on a tenant of 1,000 extensions and a day of status history.

Builds a store of ``--count`` extensions (one phone each) and a synthetic
24-hour status history (each extension changing state every 5 to 60 minutes,
one in twenty flapping every minute or two, with a binding per online
interval), then times what a support engineer waits for:

- building the Extensions list with the status at the end of the day;
- typing a search one keystroke at a time, clearing it, sorting by a column,
  turning a page, and moving the "Status at" slider to another time;
- building the Reliability view (the worst extensions' timelines) and
  changing its selection and time range.

    python benchmarks/bench_widgets.py [--count 1000] [--hours 24] [--repeat 3]

Prints the median of ``--repeat`` runs of each step.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from pbxlab.analysis import Analysis, reliability, transitions
from pbxlab.extensions import Extension, ExtensionStore, validated
from pbxlab.tables import (
    BINDINGS,
    CALLS,
    EVENTS,
    KEEPALIVES,
    MESSAGES,
    REGISTRATIONS,
    RTP_STREAMS,
    STATUS,
)
from pbxlab.widgets import ExtensionsList, ReliabilityView

FIRST = 2000
START = pd.Timestamp("2026-11-25T00:00:00Z")


def day_of_history(count: int, hours: float, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(STATUS, BINDINGS) frames: ``count`` extensions over ``hours`` hours."""
    rng = np.random.default_rng(seed)
    end = START + pd.Timedelta(hours=hours)
    span = (end - START).total_seconds()
    rows: dict[str, list[object]] = {"extension": [], "start": [], "end": [], "state": []}
    binds: dict[str, list[object]] = {
        "extension": [],
        "contact": [],
        "user_agent": [],
        "start": [],
        "end": [],
        "end_reason": [],
    }
    states = np.array(["online", "ringing", "in_use", "offline"])
    for i in range(count):
        number = str(FIRST + i)
        flapping = i % 20 == 0
        low, high = (60, 120) if flapping else (300, 3600)
        cuts = np.cumsum(rng.uniform(low, high, size=int(span / low) + 2))
        cuts = np.concatenate([[0.0], cuts[cuts < span], [span]])
        if flapping:
            chosen = np.where(np.arange(len(cuts) - 1) % 2 == 0, "online", "offline")
        else:
            chosen = states[rng.choice(4, size=len(cuts) - 1, p=[0.7, 0.05, 0.15, 0.1])]
        begin = START + pd.to_timedelta(cuts[:-1], unit="s")
        finish = START + pd.to_timedelta(cuts[1:], unit="s")
        rows["extension"] += [number] * len(chosen)
        rows["start"] += list(begin)
        rows["end"] += list(finish)
        rows["state"] += list(chosen)
        online = chosen != "offline"
        binds["extension"] += [number] * int(online.sum())
        binds["contact"] += [f"sip:{number}@198.51.100.{i % 250}:5060"] * int(online.sum())
        binds["user_agent"] += ["Yealink SIP-T46S 66.86.0.15"] * int(online.sum())
        binds["start"] += list(begin[online])
        binds["end"] += list(finish[online])
        binds["end_reason"] += ["expired"] * int(online.sum())
    status = STATUS.build({**rows, "reason": [None] * len(rows["state"])})
    n = len(binds["extension"])
    bindings = BINDINGS.build(
        {
            **binds,
            "source": [None] * n,
            "granted_expires": [3600] * n,
            "refreshes": [0] * n,
            "source_file": ["synthetic"] * n,
            "evidence": [None] * n,
        }
    )
    return status, bindings


def analysis_of(status: pd.DataFrame, bindings: pd.DataFrame) -> Analysis:
    """An Analysis carrying ``status`` and ``bindings`` (no messages: the views read these)."""
    end = status["end"].max()
    return Analysis(
        messages=MESSAGES.empty(),
        rtp_streams=RTP_STREAMS.empty(),
        registrations=REGISTRATIONS.empty(),
        events=EVENTS.empty(),
        bindings=bindings,
        keepalives=KEEPALIVES.empty(),
        calls=CALLS.empty(),
        status=status,
        transitions=transitions(status),
        reliability=reliability(status, end=end),
        start=status["start"].min(),
        end=end,
    )


def timed(repeat: int, step: Callable[[], object]) -> tuple[float, float]:
    """Median (wall, CPU) seconds of ``repeat`` runs of ``step``.

    CPU time is shown too because on a shared machine the wall time mostly
    measures the other jobs.
    """
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        step()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    """Run the benchmark and print the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    began = time.perf_counter()
    status, bindings = day_of_history(args.count, args.hours)
    analysis = analysis_of(status, bindings)
    print(
        f"history: {args.count} extensions, {len(status)} status intervals, "
        f"{len(analysis.transitions)} changes over {args.hours:g} h "
        f"(generated in {time.perf_counter() - began:.1f} s)"
    )
    with (
        tempfile.TemporaryDirectory() as tmp,
        ExtensionStore.open(Path(tmp) / "bench.db", actor="benchmark") as store,
    ):
        store.import_extensions(
            [
                validated(
                    Extension,
                    number=str(FIRST + i),
                    name=f"User {FIRST + i}",
                    phones=[
                        {
                            "mac": f"00:15:65:00:{i >> 8:02x}:{i & 255:02x}",
                            "model": "Yealink T46S",
                        }
                    ],
                )
                for i in range(args.count)
            ]
        )
        results: list[tuple[str, tuple[float, float]]] = []
        results.append(("store.table() (the list's data)", timed(args.repeat, store.table)))
        view = ExtensionsList(store, analysis=analysis)
        results.append(
            (
                "build the list with status",
                timed(args.repeat, lambda: ExtensionsList(store, analysis=analysis)),
            )
        )

        def type_search() -> None:
            for typed in ("2", "21", "215", "2150"):
                view.search.value = typed
            view.search.value = ""

        wall, cpu = timed(args.repeat, type_search)
        results.append(("search: one keystroke (of 4, then clear)", (wall / 5, cpu / 5)))
        results.append(
            (
                "sort by status",
                timed(args.repeat, lambda: view.sort_by("state", descending=False)),
            )
        )
        results.append(("next page", timed(args.repeat, lambda: view.go_to_page(view.page + 1))))
        # each repetition asks for something new: an unchanged value would cost nothing
        moments = iter(
            START + pd.Timedelta(hours=args.hours * k / (args.repeat + 2))
            for k in range(1, args.repeat + 2)
        )
        results.append(
            (
                "status at another time",
                timed(args.repeat, lambda: view.show_status_at(next(moments))),
            )
        )
        rel = ReliabilityView(analysis)
        results.append(
            (
                "build the reliability view (10 worst extensions)",
                timed(args.repeat, lambda: ReliabilityView(analysis)),
            )
        )
        selections = iter(
            [str(FIRST + i) for i in range(k, k + 200, 10)] for k in range(args.repeat)
        )
        results.append(
            (
                "reliability: show 20 other extensions",
                timed(args.repeat, lambda: rel.show(next(selections))),
            )
        )
        spans = iter(pd.Timedelta(hours=6 + k) for k in range(args.repeat))
        end = analysis.end
        results.append(
            (
                "reliability: another time range (last 6-8 h)",
                timed(args.repeat, lambda: rel.show_range(end - next(spans), end)),
            )
        )
    width = max(len(name) for name, _ in results)
    print(f"{'step':<{width}}  {'wall':>9}  {'CPU':>9}")
    for name, (wall, cpu) in results:
        print(f"{name:<{width}}  {wall * 1000:6.1f} ms  {cpu * 1000:6.1f} ms")


if __name__ == "__main__":
    main()
