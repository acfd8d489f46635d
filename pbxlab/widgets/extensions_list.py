"""The Extensions list: the guide's columns, search, sort, bulk operations, row actions.

Strategy: the list is a view over two frames the library builds -- the store's
``EXTENSION_LIST`` table (:meth:`ExtensionStore.table`) and a status frame
(:func:`pbxlab.analysis.list_view_status` of a loaded capture/log at a chosen
time, or whatever a live watcher pushes through :meth:`ExtensionsList.set_status`)
-- joined with :func:`pbxlab.extensions.listing.join_status`, then searched and
sorted with the listing's own functions.  Only one page of rows is drawn, and
the row widgets are created once and refilled, so a tenant of thousands of
extensions costs a pandas filter per keystroke, not thousands of widgets.
Every change goes through the store (validated, audited, one transaction) and
the affected rows are reloaded from it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import ipywidgets as widgets
import pandas as pd
from ipywidgets.widgets.widget_bool import CheckboxStyle
from ipywidgets.widgets.widget_string import HTMLStyle, LabelStyle

from pbxlab.analysis import list_view_status
from pbxlab.analysis.analyze import Analysis
from pbxlab.errors import ConflictError, PbxlabError
from pbxlab.extensions.actions import reboot_phone
from pbxlab.extensions.listing import (
    EXTENSION_LIST,
    extension_table,
    join_status,
    search_table,
    sort_table,
)
from pbxlab.extensions.reboot import DEFAULT_TIMEOUT
from pbxlab.extensions.store import ExtensionStore
from pbxlab.widgets.common import (
    ConfirmBar,
    Notice,
    button,
    classed,
    download_link,
    state_label,
)

__all__ = ["COLUMNS", "ExtensionsList"]

COLUMNS: tuple[tuple[str, str, str], ...] = (
    # (column of EXTENSION_LIST, header, width)
    ("number", "Extension", "90px"),
    ("name", "Name", "170px"),
    ("state", "Status", "110px"),
    ("sip_username", "SIP username", "130px"),
    ("voicemail", "Voicemail", "80px"),
    ("phone_count", "Phones", "230px"),
)
"""The sortable columns, in the guide's order (Actions follow)."""

_WIDTH = {name: width for name, _, width in COLUMNS}
_RELOAD_ROWS_MAX = 50  # beyond this, one reload of the whole list beats one query per row
EditCallback = Callable[[str], Any]


class _SharedLooks:
    """Layouts and styles shared by every row's widgets (each is a widget of its own:
    sharing them keeps a page of rows at a third of the widgets)."""

    def __init__(self) -> None:
        self.layouts = {name: widgets.Layout(width=width) for name, width in _WIDTH.items()}
        self.layouts["select"] = widgets.Layout(width="30px")
        self.layouts["auto"] = widgets.Layout(width="auto")
        self.layouts["reliability"] = widgets.Layout(width="auto", display="none")
        self.button_style = widgets.ButtonStyle()
        self.checkbox_style = CheckboxStyle()
        self.label_style = LabelStyle()
        self.html_style = HTMLStyle()

    def layout(self, name: str) -> widgets.Layout:
        return self.layouts[name]

    def button(
        self, description: str, css: str, tooltip: str, style: str = "", layout: str = "auto"
    ) -> widgets.Button:
        made = widgets.Button(
            description=description,
            tooltip=tooltip,
            button_style=style,
            layout=self.layouts[layout],
            style=self.button_style,
        )
        return classed(made, css)


class _Row:
    """The widgets of one drawn row; refilled with another extension on each page."""

    def __init__(self, owner: ExtensionsList) -> None:
        self.owner = owner
        self.number: str | None = None
        self._filling = False
        shared = owner._shared  # one Layout/Style per column, not one per cell
        self.select = classed(
            widgets.Checkbox(
                value=False,
                indent=False,
                layout=shared.layout("select"),
                style=shared.checkbox_style,
            ),
            "pbx-select",
        )
        self.open = classed(
            widgets.Button(
                layout=shared.layout("number"),
                style=shared.button_style,
                tooltip="Open the detail view",
            ),
            "pbx-open",
        )
        self.name = classed(
            widgets.Label(layout=shared.layout("name"), style=shared.label_style), "pbx-name"
        )
        self.state = classed(
            widgets.HTML(layout=shared.layout("state"), style=shared.html_style), "pbx-state"
        )
        self.username = classed(
            widgets.Label(layout=shared.layout("sip_username"), style=shared.label_style),
            "pbx-username",
        )
        self.voicemail = classed(
            widgets.Checkbox(
                value=False,
                indent=False,
                layout=shared.layout("voicemail"),
                style=shared.checkbox_style,
            ),
            "pbx-voicemail",
        )
        self.phones = classed(
            widgets.Label(layout=shared.layout("phone_count"), style=shared.label_style),
            "pbx-phones",
        )
        self.edit = shared.button("Edit", "pbx-edit", "Open the detail view")
        self.copy_password = shared.button(
            "Copy password", "pbx-copy-password", "Show the SIP password to copy it"
        )
        self.reboot = shared.button("Reboot phone", "pbx-reboot", "Send the phone a reboot NOTIFY")
        self.reset_password = shared.button(
            "Reset SIP password", "pbx-reset-password", "Generate a new SIP password"
        )
        self.delete = shared.button("Delete", "pbx-delete", "Delete the extension", "danger")
        # hidden until a reliability view is attached (one shared layout: all rows at once)
        self.reliability = shared.button(
            "Reliability", "pbx-reliability", "The 24-hour status history", layout="reliability"
        )
        self.box = classed(
            widgets.HBox(
                [
                    self.select,
                    self.open,
                    self.name,
                    self.state,
                    self.username,
                    self.voicemail,
                    self.phones,
                    self.edit,
                    self.copy_password,
                    self.reboot,
                    self.reset_password,
                    self.delete,
                    self.reliability,
                ]
            ),
            "pbx-row",
        )
        self.select.observe(self._selected, names="value")
        self.voicemail.observe(self._voicemail, names="value")
        for widget, action in (
            (self.open, owner.edit),
            (self.edit, owner.edit),
            (self.copy_password, owner.copy_password),
            (self.reboot, owner.reboot),
            (self.reset_password, owner.ask_reset_password),
            (self.delete, owner.ask_delete),
            (self.reliability, owner.show_reliability),
        ):
            widget.on_click(self._calling(action))

    def _calling(self, action: Callable[[str], Any]) -> Callable[[widgets.Button], None]:
        def handler(_: widgets.Button) -> None:
            if self.number is not None:
                action(self.number)

        return handler

    def fill(self, record: dict[str, Any] | None, selected: bool) -> None:
        """Show ``record`` (a row of the list frame), or hide the row when None."""
        self._filling = True
        try:
            if self.number is not None:
                self.box.remove_class(f"pbx-row-{self.number}")
            if record is None:
                self.number = None
                self.box.layout.display = "none"
                return
            self.number = str(record["number"])
            self.box.add_class(f"pbx-row-{self.number}")
            self.box.layout.display = ""
            self.select.value = selected
            self.open.description = self.number
            self.name.value = str(record["name"])
            self.state.value = state_label(record["state"])
            self.username.value = str(record["sip_username"])
            self.voicemail.value = bool(record["voicemail"])
            names = record["phones"]
            count = int(record["phone_count"])
            text = f"{count}" + (f": {names}" if count and isinstance(names, str) else "")
            self.phones.value = text
            self.phones.tooltip = text
        finally:
            self._filling = False

    def _selected(self, change: dict[str, Any]) -> None:
        if not self._filling and self.number is not None:
            self.owner.select(self.number, bool(change["new"]))

    def _voicemail(self, change: dict[str, Any]) -> None:
        if not self._filling and self.number is not None:
            self.owner.set_voicemail([self.number], bool(change["new"]))


class ExtensionsList(widgets.VBox):
    """The guide's Extensions list over ``store``, with status from ``analysis``.

    ``page_size`` rows are drawn at a time.  ``on_edit`` is called with the
    number when a row's number or Edit button is clicked.  ``reboot_timeout``
    bounds how long Reboot phone waits for the phone's answer (seconds).
    Everything the user can do is also a method (``search.value = ...``,
    :meth:`sort_by`, :meth:`select`, :meth:`set_voicemail`, ...), which is what
    the tests and notebooks call.
    """

    def __init__(
        self,
        store: ExtensionStore,
        *,
        analysis: Analysis | None = None,
        at: Any = None,
        page_size: int = 25,
        on_edit: EditCallback | None = None,
        reboot_timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.store = store
        self.page_size = page_size
        self.reboot_timeout = reboot_timeout
        self.selected: set[str] = set()
        self.sort_column = "number"
        self.descending = False
        self.page = 0
        self._edit_callbacks: list[EditCallback] = [on_edit] if on_edit else []
        self._reliability_callbacks: list[EditCallback] = []
        self._analysis: Analysis | None = None
        self._status: pd.DataFrame | None = None
        self._base = store.table()
        self._joined = self._base
        self._visible = self._base

        self.search = classed(
            widgets.Text(
                placeholder="Search number, name or SIP username",
                description="Search",
                continuous_update=True,
            ),
            "pbx-search",
        )
        self.search.observe(lambda _: self._filter(), names="value")
        self.time = classed(
            widgets.IntSlider(
                description="Status at",
                min=0,
                max=0,
                continuous_update=False,
                readout=False,
                layout=widgets.Layout(width="420px"),
            ),
            "pbx-status-time",
        )
        self._moving_time = False
        self.time.observe(self._time_moved, names="value")
        self.time_label = classed(widgets.Label(), "pbx-status-time-label")
        self.time_box = widgets.HBox([self.time, self.time_label])
        self.time_box.layout.display = "none"

        self.select_all = classed(
            widgets.Checkbox(
                value=False,
                indent=False,
                description="",
                tooltip="Select every extension the search shows",
                layout=widgets.Layout(width="30px"),
            ),
            "pbx-select-all",
        )
        self.select_all.observe(self._select_all, names="value")
        self._header_buttons: dict[str, widgets.Button] = {}
        header: list[widgets.Widget] = [self.select_all]
        for column, title, width in COLUMNS:
            sort = classed(
                widgets.Button(
                    description=title,
                    tooltip=f"Sort by {title}",
                    layout=widgets.Layout(width=width),
                ),
                "pbx-sort",
                f"pbx-sort-{column.replace('_', '-')}",
            )
            sort.on_click(self._sort_clicked(column))
            self._header_buttons[column] = sort
            header.append(sort)
        header.append(widgets.HTML("<b>Actions</b>"))
        self.header = classed(widgets.HBox(header), "pbx-list-header")

        self._shared = _SharedLooks()
        self._rows = [_Row(self) for _ in range(page_size)]
        self.rows_box = classed(widgets.VBox([r.box for r in self._rows]), "pbx-rows")
        self.prev_page = button("◀ Previous", "pbx-page-prev")
        self.next_page = button("Next ▶", "pbx-page-next")
        self.page_label = classed(widgets.Label(), "pbx-page-label")
        self.prev_page.on_click(lambda _: self.go_to_page(self.page - 1))
        self.next_page.on_click(lambda _: self.go_to_page(self.page + 1))
        pager = widgets.HBox([self.prev_page, self.page_label, self.next_page])

        self.selection_label = classed(widgets.Label(), "pbx-selection-label")
        self.bulk_export = button("Bulk export (CSV)", "pbx-bulk-export")
        self.bulk_export.on_click(lambda _: self.export_selected())
        self.bulk_voicemail_on = button("Voicemail on", "pbx-bulk-voicemail-on")
        self.bulk_voicemail_off = button("Voicemail off", "pbx-bulk-voicemail-off")
        self.bulk_voicemail_on.on_click(lambda _: self.set_voicemail(self.selected_numbers, True))
        self.bulk_voicemail_off.on_click(lambda _: self.set_voicemail(self.selected_numbers, False))
        self.bulk_profile = classed(
            widgets.Dropdown(description="Profile", options=[]), "pbx-bulk-profile"
        )
        self.bulk_profile_apply = button("Apply profile", "pbx-bulk-profile-apply")
        self.bulk_profile_apply.on_click(lambda _: self.apply_profile(self.bulk_profile.value))
        self.export_link = classed(widgets.HTML(), "pbx-export-link")
        bulk = classed(
            widgets.HBox(
                [
                    self.selection_label,
                    self.bulk_export,
                    self.bulk_voicemail_on,
                    self.bulk_voicemail_off,
                    self.bulk_profile,
                    self.bulk_profile_apply,
                ]
            ),
            "pbx-bulk-bar",
        )

        self.message = Notice()
        self.confirm_bar = ConfirmBar()
        self.password = classed(
            widgets.Text(description="SIP password", layout=widgets.Layout(width="460px")),
            "pbx-password",
        )
        self.password_hide = button("Hide", "pbx-password-hide")
        self.password_hide.on_click(lambda _: self.hide_password())
        self.password_box = classed(
            widgets.HBox(
                [
                    self.password,
                    widgets.Label("select and copy it, then Hide"),
                    self.password_hide,
                ]
            ),
            "pbx-password-box",
        )
        self.password_box.layout.display = "none"

        super().__init__(
            [
                widgets.HBox([self.search]),
                self.time_box,
                bulk,
                self.export_link,
                self.message,
                self.confirm_bar,
                self.password_box,
                self.header,
                self.rows_box,
                pager,
            ]
        )
        self.add_class("pbx-extensions-list")
        self._load_profiles()
        if analysis is not None:
            self.set_analysis(analysis, at=at)
        else:
            self._filter()

    # -- what the list shows ---------------------------------------------------------------

    @property
    def table(self) -> pd.DataFrame:
        """Every extension with its status (an EXTENSION_LIST frame), unfiltered."""
        return self._joined

    @property
    def visible(self) -> pd.DataFrame:
        """The extensions the search matches, in the current sort order (all pages)."""
        return self._visible

    @property
    def shown_numbers(self) -> list[str]:
        """The numbers of the rows drawn on the current page, top to bottom."""
        return [r.number for r in self._rows if r.number is not None]

    @property
    def selected_numbers(self) -> list[str]:
        """The selected extensions, in the list's current order (hidden ones included)."""
        order = {n: i for i, n in enumerate(self._joined["number"])}
        return sorted(self.selected, key=lambda n: order.get(n, math.inf))

    def row(self, number: str) -> _Row:
        """The drawn row of ``number``; raises KeyError when it is not on this page."""
        for r in self._rows:
            if r.number == number:
                return r
        raise KeyError(f"extension {number} is not on the current page")

    @property
    def page_count(self) -> int:
        """How many pages the search result spans (at least 1)."""
        return max(1, math.ceil(len(self._visible) / self.page_size))

    # -- status ----------------------------------------------------------------------------

    def set_status(self, status: pd.DataFrame | None, *, merge: bool = False) -> None:
        """Show the states of ``status`` (columns ``extension``, ``state``, optional
        ``start`` and ``phones``; see :func:`pbxlab.extensions.listing.join_status`).

        With ``merge`` the rows update the states already shown (a live watcher
        pushing only what changed); otherwise they replace them, and extensions
        absent from ``status`` show as unknown.  None clears every state.  Raises
        InputError for a missing column or an unknown state.
        """
        if merge and self._status is not None and status is not None:
            status = pd.concat([self._status, status], ignore_index=True)
        if status is not None:
            if "start" in status.columns:
                status = status.sort_values("start", kind="stable")
            status = status.drop_duplicates("extension", keep="last").reset_index(drop=True)
        joined = self._base if status is None else join_status(self._base, status)
        self._status = status
        self._joined = joined
        self._filter(keep_page=True)

    def set_analysis(self, analysis: Analysis | None, *, at: Any = None) -> None:
        """Take the status from ``analysis`` at ``at`` (default: the end of the evidence).

        The "Status at" slider then moves through the evidence's time span.
        """
        self._analysis = analysis
        if analysis is None or analysis.start is None or analysis.end is None:
            self.time_box.layout.display = "none"
            self.set_status(None)
            return
        span = max(0, math.ceil((analysis.end - analysis.start).total_seconds()))
        when = pd.Timestamp(at) if at is not None else analysis.end
        if when.tzinfo is None:
            when = when.tz_localize("UTC")
        offset = min(span, max(0, round((when - analysis.start).total_seconds())))
        self.time_box.layout.display = ""
        self._moving_time = True  # one status computation, not one per slider trait
        try:
            self.time.max = span
            self.time.value = offset
        finally:
            self._moving_time = False
        self._status_from_analysis()

    @property
    def status_time(self) -> pd.Timestamp | None:
        """The moment whose status the list shows (None without an analysis)."""
        if self._analysis is None or self._analysis.start is None:
            return None
        at = self._analysis.start + pd.Timedelta(seconds=self.time.value)
        return min(at, self._analysis.end) if self._analysis.end is not None else at

    def show_status_at(self, at: Any) -> None:
        """Move the "Status at" slider to ``at`` (a pandas.Timestamp input; naive = UTC)."""
        if self._analysis is None or self._analysis.start is None:
            raise ValueError("no capture or log is loaded: nothing to take a status from")
        when = pd.Timestamp(at)
        when = when.tz_localize("UTC") if when.tzinfo is None else when
        self.time.value = max(
            0, min(self.time.max, round((when - self._analysis.start).total_seconds()))
        )

    def _time_moved(self, _: dict[str, Any]) -> None:
        if not self._moving_time:
            self._status_from_analysis()

    def _status_from_analysis(self) -> None:
        at = self.status_time
        if self._analysis is None or at is None:
            return
        self.time_label.value = at.strftime("%Y-%m-%d %H:%M:%S UTC")
        self.set_status(list_view_status(self._analysis.status, self._analysis.bindings, at))

    # -- search, sort, pages ---------------------------------------------------------------

    def sort_by(self, column: str, *, descending: bool | None = None) -> None:
        """Sort by ``column`` (one of :data:`COLUMNS`); ``descending`` None flips the
        order when the column is already the sort column.  Raises InputError for an
        unknown column."""
        if descending is None:
            descending = not self.descending if column == self.sort_column else False
        sort_table(self._joined.head(0), column)  # raises InputError for an unknown column
        self.sort_column, self.descending = column, descending
        for name, header in self._header_buttons.items():
            title = next(t for c, t, _ in COLUMNS if c == name)
            arrow = (" ▼" if descending else " ▲") if name == column else ""
            header.description = title + arrow
        self._filter()

    def _sort_clicked(self, column: str) -> Callable[[widgets.Button], None]:
        return lambda _: self.sort_by(column)

    def go_to_page(self, page: int) -> None:
        """Show page ``page`` (0-based, clamped to the existing pages)."""
        self.page = max(0, min(page, self.page_count - 1))
        self._draw()

    def _filter(self, *, keep_page: bool = False) -> None:
        found = search_table(self._joined, self.search.value)
        self._visible = sort_table(found, self.sort_column, descending=self.descending)
        if not keep_page:
            self.page = 0
        self.page = min(self.page, self.page_count - 1)
        self._draw()

    def _draw(self) -> None:
        first = self.page * self.page_size
        page = self._visible.iloc[first : first + self.page_size]
        records: list[dict[str, Any]] = [
            {str(k): v for k, v in r.items()} for r in page.to_dict("records")
        ]
        for i, row in enumerate(self._rows):
            record = records[i] if i < len(records) else None
            row.fill(record, record is not None and str(record["number"]) in self.selected)
        total = len(self._visible)
        last = min(first + self.page_size, total)
        shown = f"{first + 1}–{last} of {total}" if total else "no extension matches"
        if total != len(self._joined):
            shown += f" (of {len(self._joined)})"
        self.page_label.value = shown
        self.prev_page.disabled = self.page == 0
        self.next_page.disabled = self.page >= self.page_count - 1
        self._show_selection()

    # -- selection and bulk operations -----------------------------------------------------

    def select(self, number: str, selected: bool = True) -> None:
        """Tick (or untick) the checkbox of ``number``."""
        if selected:
            self.selected.add(number)
        else:
            self.selected.discard(number)
        for row in self._rows:
            if row.number == number and row.select.value != selected:
                row._filling = True
                row.select.value = selected
                row._filling = False
        self._show_selection()

    def _select_all(self, change: dict[str, Any]) -> None:
        numbers = set(self._visible["number"].astype(str))
        if change["new"]:
            self.selected |= numbers
        else:
            self.selected -= numbers
        self._draw()

    def _show_selection(self) -> None:
        self.selection_label.value = f"{len(self.selected)} selected"
        for widget in (
            self.bulk_export,
            self.bulk_voicemail_on,
            self.bulk_voicemail_off,
            self.bulk_profile_apply,
        ):
            widget.disabled = not self.selected

    def export_selected(self, *, include_secrets: bool = False) -> str:
        """CSV of the selected extensions (secrets only if asked), offered as a download link.

        Returns the CSV text ("" when nothing could be exported; the message says why).
        """
        numbers = self.selected_numbers
        if not numbers:
            self.message.error("Select extensions to export first.")
            return ""
        try:
            text = self.store.export_csv(numbers, include_secrets=include_secrets)
        except PbxlabError as exc:
            self.message.error(str(exc))
            return ""
        self.export_link.value = download_link(text, "extensions.csv", "pbx-export-download")
        self.message.ok(f"Exported {len(numbers)} extension(s) to CSV.")
        return text

    def set_voicemail(self, numbers: Sequence[str], enabled: bool) -> None:
        """Switch voicemail on or off for ``numbers`` (one transaction; reloads their rows)."""
        numbers = list(numbers)
        if not numbers:
            self.message.error("Select extensions first.")
            return
        try:
            changed = self.store.bulk_set_voicemail(numbers, enabled)
        except PbxlabError as exc:
            self.message.error(str(exc))
            self._reload(numbers)
            return
        word = "on" if enabled else "off"
        self.message.ok(f"Voicemail {word} for {len(numbers)} extension(s) ({changed} changed).")
        self._reload(numbers)

    def apply_profile(self, profile: str | None) -> None:
        """Apply provisioning ``profile`` to every phone of the selected extensions."""
        numbers = self.selected_numbers
        if not profile or not numbers:
            self.message.error("Select extensions and a provisioning profile first.")
            return
        try:
            changed = self.store.bulk_apply_profile(profile, numbers)
        except PbxlabError as exc:
            self.message.error(str(exc))
            return
        self.message.ok(
            f"Profile {profile!r} applied to {len(numbers)} extension(s) "
            f"({changed} phone(s) changed)."
        )
        self._reload(numbers)

    def _load_profiles(self) -> None:
        self.bulk_profile.options = [p.name for p in self.store.profiles()]

    # -- row actions -----------------------------------------------------------------------

    def on_edit(self, callback: EditCallback) -> None:
        """Call ``callback(number)`` when a row's number or Edit button is clicked."""
        self._edit_callbacks.append(callback)

    def edit(self, number: str) -> None:
        """Open the detail view of ``number`` (through the ``on_edit`` callbacks)."""
        if not self._edit_callbacks:
            self.message.info(f"Extension {number}: no detail view is attached to this list.")
        for callback in self._edit_callbacks:
            callback(number)

    def on_reliability(self, callback: EditCallback) -> None:
        """Show a Reliability button on each row; clicking it calls ``callback(number)``."""
        self._reliability_callbacks.append(callback)
        self._shared.layouts["reliability"].display = ""

    def show_reliability(self, number: str) -> None:
        """Open the Reliability view of ``number`` (through the ``on_reliability`` callbacks)."""
        for callback in self._reliability_callbacks:
            callback(number)

    def copy_password(self, number: str) -> None:
        """Show ``number``'s SIP password in a field to copy it (audited as a reveal)."""
        try:
            secret = self.store.reveal_password(number)
        except PbxlabError as exc:
            self.message.error(str(exc))
            return
        self._show_password(number, secret)
        self.message.info(f"SIP password of {number} shown: copy it, then Hide.")

    def _show_password(self, number: str, secret: str) -> None:
        self.password.description = f"Password {number}"
        self.password.value = secret
        self.password_box.layout.display = ""

    def hide_password(self) -> None:
        """Remove the shown password from the page."""
        self.password.value = ""
        self.password_box.layout.display = "none"

    def reboot(self, number: str) -> None:
        """Send the phone of ``number`` a reboot NOTIFY and tell its answer.

        Waits at most ``reboot_timeout`` seconds (the kernel is busy meanwhile).
        """
        self.message.info(f"Rebooting the phone of {number}…")
        try:
            result = reboot_phone(self.store, number, timeout=self.reboot_timeout)
        except PbxlabError as exc:
            self.message.error(str(exc))
            return
        text = f"Extension {number}: {result.summary()}"
        if result.outcome == "accepted":
            self.message.ok(text)
        else:
            self.message.error(text)

    def ask_reset_password(self, number: str) -> None:
        """Ask for confirmation, then :meth:`reset_password`."""
        self.confirm_bar.ask(
            f"Reset the SIP password of {number}? Its phones must re-authenticate "
            "with the new one.",
            lambda: self.reset_password(number),
        )

    def reset_password(self, number: str) -> None:
        """Give ``number`` a new random SIP password and show it once, to copy."""
        try:
            secret = self.store.reset_password(number)
        except PbxlabError as exc:
            self.message.error(str(exc))
            return
        self._show_password(number, secret.get_secret_value())
        self.message.ok(f"New SIP password for {number}: update the phone (or reboot it).")

    def ask_delete(self, number: str) -> None:
        """Ask for confirmation (with the option to detach references), then :meth:`delete`."""
        self.confirm_bar.ask(
            f"Delete extension {number}?",
            lambda: self.delete(number, cascade=self.confirm_bar.option.value),
            option="also detach DIDs, ring groups and FMFM destinations pointing at it",
        )

    def delete(self, number: str, *, cascade: bool = False) -> None:
        """Delete ``number`` (see :meth:`ExtensionStore.delete`); tells what was detached."""
        try:
            refs = self.store.delete(number, cascade=cascade)
        except ConflictError as exc:
            self.message.error(f"{exc} Tick the option to detach them.")
            return
        except PbxlabError as exc:
            self.message.error(str(exc))
            return
        self.selected.discard(number)
        detached = f" ({len(refs)} reference(s) detached)" if refs else ""
        self.message.ok(f"Extension {number} deleted{detached}.")
        self.refresh()

    # -- reloading -------------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload every extension (and the profiles) from the store, keeping search and sort."""
        self._base = self.store.table()
        self.selected &= set(self._base["number"].astype(str))
        self._load_profiles()
        self.set_status(self._status)

    def reload_extensions(self, numbers: Iterable[str]) -> None:
        """Reload the rows of ``numbers`` from the store (after an edit elsewhere)."""
        self._reload(list(numbers))

    def _reload(self, numbers: list[str]) -> None:
        wanted = set(numbers)
        if len(wanted) > _RELOAD_ROWS_MAX:
            self.refresh()
            return
        fresh = extension_table(
            e for n in wanted if self.store.exists(n) for e in [self.store.get(n)]
        )
        kept = self._base[~self._base["number"].isin(wanted)]
        self._base = EXTENSION_LIST.concat([kept, fresh])
        self.set_status(self._status)
