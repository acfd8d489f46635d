"""The watcher driving the notebook widgets, and a source that cannot be watched."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pbxlab.errors import LogFormatError
from pbxlab.extensions import Extension, ExtensionStore
from pbxlab.live import Notice, Watcher
from pbxlab.live.views import connect_widgets
from pbxlab.widgets import ExtensionsList, ReliabilityView

PJSIP = "[{ts}] VERBOSE[42] res_pjsip_registrar.c: {what}\n"


def _line(what: str) -> str:
    what = what.replace(" 600 s", " 600 seconds")
    return PJSIP.format(ts=pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%d %H:%M:%S"), what=what)


def test_status_changes_move_the_lists_dots_and_redraw_the_history(tmp_path: Path) -> None:
    with ExtensionStore.open(str(tmp_path / "tenant.db")) as store:
        for number in ("201", "202"):
            store.add(Extension(number=number, name=f"Phone {number}"))
        log = tmp_path / "full.log"
        log.write_text(
            _line("Added contact 'sip:201@192.0.2.11:5060' to AOR '201' with expiration of 600 s")
        )
        watcher = Watcher.follow(log)
        listing, history = ExtensionsList(store), ReliabilityView()
        disconnect = connect_widgets(watcher, listing, history, every=0.0)
        watcher.step()
        states = listing.table.set_index("number")["state"]
        assert states["201"] == "online" and pd.isna(states["202"])
        assert history.analysis is not None and history.analysis.end is not None
        assert "201" in history.extensions.options
        with log.open("a") as sink:
            sink.write(
                _line("Removed contact 'sip:201@192.0.2.11:5060' from AOR '201' due to request")
            )
        watcher.step()
        assert listing.table.set_index("number")["state"]["201"] == "offline"
        disconnect()
        watcher.stop()


def test_a_source_that_cannot_be_watched_stops_the_watch_with_an_error_notice(
    tmp_path: Path,
) -> None:
    log = tmp_path / "capture.log"
    log.write_bytes(b"\x0a\x0d\x0d\x0a" + bytes(60))
    watcher = Watcher.follow(log)
    seen: list[object] = []
    watcher.subscribe(seen.append)
    with pytest.raises(LogFormatError, match="packet capture"):
        watcher.run(duration=2)
    assert isinstance(watcher.error, LogFormatError)
    assert [n.level for n in seen if isinstance(n, Notice) and n.kind == "error"] == ["error"]
    watcher.stop()
