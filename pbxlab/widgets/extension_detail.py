"""The extension detail view: the guide's tabs, validation next to each field, save/cancel.

Strategy: every form field is bound to one dotted field of the model
(``voicemail.pin``, ``fmfm.strategy``...).  Save collects the fields into a
``{dotted name: value}`` change and hands it to :meth:`ExtensionStore.update`,
which validates the whole extension (the model's rules and the tenant's
references) in one transaction; each :class:`~pbxlab.errors.FieldProblem` it
reports is shown next to the field it names and the tab gets a warning mark.
A changed number is applied afterwards with :meth:`ExtensionStore.renumber`
(references repointed on request).  Nothing here decides what is valid.
The SIP username is shown read-only; the SIP password only after Reveal
(audited by the store); the voicemail PIN is write-only (blank keeps it).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, get_args

import ipywidgets as widgets

from pbxlab.errors import FieldProblem, PbxlabError, ValidationError
from pbxlab.extensions.fields import get
from pbxlab.extensions.model import Extension, FmfmStrategy, NoAnswerAction
from pbxlab.extensions.reboot import DEFAULT_TIMEOUT
from pbxlab.extensions.store import ExtensionStore
from pbxlab.widgets.common import Notice, button, classed, error_class, field_class
from pbxlab.widgets.destinations import DestinationsEditor
from pbxlab.widgets.phones import PhonesPanel

__all__ = ["TABS", "ExtensionDetail"]

TABS = ("General", "Voicemail", "Find Me/Follow Me", "Caller ID", "Directory", "Phones")
MASK = "********"
SavedCallback = Callable[[str, str], Any]
"""Called with (old number, number) after a save."""


@dataclass
class _Field:
    """A form field bound to dotted model field ``name``."""

    name: str
    tab: str
    widget: Any
    error: widgets.HTML
    row: widgets.Widget
    show: Callable[[Any], Any]  # model value -> widget value
    read: Callable[[Any], Any]  # widget value -> change value
    messages: list[str]  # the problems shown next to it


def _text_in(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


def _same(value: Any) -> Any:
    return value


class ExtensionDetail(widgets.VBox):
    """The detail view of extension ``number`` in ``store``.

    ``on_saved(old_number, number)`` runs after a successful save,
    ``on_close()`` when Close is clicked.  The form fields are in
    :attr:`fields` by dotted name (``detail.fields["name"].widget.value = ...``).
    """

    def __init__(
        self,
        store: ExtensionStore,
        number: str,
        *,
        on_saved: SavedCallback | None = None,
        on_close: Callable[[], Any] | None = None,
        reboot_timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.store = store
        self.number = number
        self.extension: Extension = store.get(number)
        self._saved_callbacks: list[SavedCallback] = [on_saved] if on_saved else []
        self._close_callbacks: list[Callable[[], Any]] = [on_close] if on_close else []
        self.fields: dict[str, _Field] = {}
        self._tab_rows: dict[str, list[widgets.Widget]] = {t: [] for t in TABS}

        self.title = classed(widgets.HTML(), "pbx-detail-title")
        self.message = Notice("pbx-detail-message")
        self._build_general()
        self._build_voicemail()
        self._build_fmfm()
        self._build_caller_id()
        self._build_directory()
        self.phones = PhonesPanel(
            store, number, reboot_timeout=reboot_timeout, on_change=self._phones_changed
        )
        self._tab_rows["Phones"] = [self.phones]

        self.tabs = classed(
            widgets.Tab(children=[widgets.VBox(self._tab_rows[t]) for t in TABS]),
            "pbx-detail-tabs",
        )
        self.tabs.titles = TABS
        for i, tab in enumerate(TABS):
            self.tabs.children[i].add_class(
                "pbx-tab-" + tab.lower().replace(" ", "-").replace("/", "-")
            )
        self.save_button = button("Save", "pbx-save", style="primary")
        self.cancel_button = button("Cancel", "pbx-cancel", tooltip="Discard the changes")
        self.close_button = button("Close", "pbx-close")
        self.save_button.on_click(lambda _: self.save())
        self.cancel_button.on_click(lambda _: self.cancel())
        self.close_button.on_click(lambda _: self.close_view())
        super().__init__(
            [
                self.title,
                self.tabs,
                widgets.HBox([self.save_button, self.cancel_button, self.close_button]),
                self.message,
            ]
        )
        self.add_class("pbx-detail")
        self.add_class(f"pbx-detail-{number}")
        self._show(self.extension)

    # -- building the tabs -----------------------------------------------------------------

    def _add(
        self,
        name: str,
        tab: str,
        label: str,
        widget: Any,
        *,
        show: Callable[[Any], Any] = _text_in,
        read: Callable[[Any], Any] = _same,
        extra: list[widgets.Widget] | None = None,
        help_text: str = "",
    ) -> _Field:
        classed(widget, field_class(name))
        error = classed(widgets.HTML(), "pbx-error", error_class(name))
        caption = widgets.HTML(f"{html.escape(label)}", layout=widgets.Layout(width="190px"))
        if help_text:
            caption.value += f'<br><small style="color:#57606a">{html.escape(help_text)}</small>'
        row = widgets.HBox([caption, widget, *(extra or []), error])
        made = _Field(name, tab, widget, error, row, show, read, [])
        self.fields[name] = made
        self._tab_rows[tab].append(row)
        return made

    def _build_general(self) -> None:
        tab = "General"
        self._add("number", tab, "Extension number", widgets.Text())
        self.update_references = classed(
            widgets.Checkbox(
                value=False,
                indent=False,
                description="on renumber, repoint DIDs, ring groups and FMFM",
            ),
            "pbx-update-references",
        )
        self._tab_rows[tab].append(self.update_references)
        self._add("name", tab, "Name", widgets.Text())
        username = widgets.Text(disabled=True)
        self._add("sip_username", tab, "SIP username", username, help_text="read-only")
        self.password = classed(widgets.Text(value=MASK, disabled=True), "pbx-field-sip-password")
        self.reveal_button = button("Reveal", "pbx-reveal-password", tooltip="Show the password")
        self.hide_button = button("Hide", "pbx-hide-password")
        self.reveal_button.on_click(lambda _: self.reveal_password())
        self.hide_button.on_click(lambda _: self.hide_password())
        self.hide_button.layout.display = "none"
        self._tab_rows[tab].append(
            widgets.HBox(
                [
                    widgets.HTML("SIP password", layout=widgets.Layout(width="190px")),
                    self.password,
                    self.reveal_button,
                    self.hide_button,
                ]
            )
        )
        self.outbound_did = widgets.Text(placeholder="+15551234567")
        self._add("caller_id.outbound_did", tab, "Outbound caller ID (DID)", self.outbound_did)
        self._add("local_ip", tab, "Local IP address", widgets.Text(placeholder="192.168.1.20"))
        self._add(
            "ring_timeout",
            tab,
            "Ring timeout (s)",
            widgets.IntText(),
            show=int,
            help_text="before voicemail or the no-answer destination",
        )

    def _build_voicemail(self) -> None:
        tab = "Voicemail"
        self._add("voicemail.enabled", tab, "Voicemail", widgets.Checkbox(indent=False), show=bool)
        self._add(
            "voicemail.box",
            tab,
            "Linked voicemail box",
            widgets.Text(placeholder="blank: the extension's own box"),
        )
        self._add(
            "voicemail.pin",
            tab,
            "PIN",
            widgets.Password(placeholder="blank: unchanged"),
            show=lambda _: "",
            help_text="4 to 10 digits",
        )
        self._add(
            "voicemail.email_recipients",
            tab,
            "Email recipients",
            widgets.Text(placeholder="a@example.com; b@example.com"),
        )
        self._add(
            "voicemail.transcribe", tab, "Transcribe", widgets.Checkbox(indent=False), show=bool
        )
        self._add(
            "voicemail.attach", tab, "Attach audio", widgets.Checkbox(indent=False), show=bool
        )

    def _build_fmfm(self) -> None:
        tab = "Find Me/Follow Me"
        self._add("fmfm.enabled", tab, "Enabled", widgets.Checkbox(indent=False), show=bool)
        self._add(
            "fmfm.strategy",
            tab,
            "Strategy",
            widgets.ToggleButtons(options=list(get_args(FmfmStrategy))),
            show=str,
        )
        self.destinations = DestinationsEditor()
        self._add(
            "fmfm.destinations",
            tab,
            "Destinations (in ring order)",
            self.destinations,
            show=lambda value: value,
        )
        self._add(
            "fmfm.no_answer_action",
            tab,
            "No-answer action",
            widgets.Dropdown(options=list(get_args(NoAnswerAction))),
            show=str,
        )
        self._add(
            "fmfm.no_answer_target",
            tab,
            "No-answer target",
            widgets.Text(placeholder="extension, +E.164 or box"),
        )

    def _build_caller_id(self) -> None:
        tab = "Caller ID"
        # The guide shows the outbound DID on General and Caller ID: one widget, two places.
        self._tab_rows[tab].append(self.fields["caller_id.outbound_did"].row)
        self._add(
            "caller_id.inbound_prefix",
            tab,
            "Inbound caller ID prefix",
            widgets.Text(placeholder='e.g. "EXT: "'),
        )
        self._add(
            "caller_id.cnam",
            tab,
            "Custom CNAM",
            widgets.Text(placeholder="blank: the tenant default"),
        )

    def _build_directory(self) -> None:
        tab = "Directory"
        self._add(
            "directory.include",
            tab,
            "Include in directory",
            widgets.Checkbox(indent=False),
            show=bool,
        )
        self._add("directory.first_name", tab, "Directory first name", widgets.Text())
        self._add("directory.last_name", tab, "Directory last name", widgets.Text())
        self._add(
            "directory.recorded_name_file",
            tab,
            "Recorded name file",
            widgets.Text(placeholder="alice.wav"),
        )

    # -- showing and reading ---------------------------------------------------------------

    def _show(self, ext: Extension) -> None:
        self.extension = ext
        self.number = ext.number
        self.title.value = f"<h3>Extension {html.escape(ext.number)} — {html.escape(ext.name)}</h3>"
        for name, field in self.fields.items():
            field.widget.value = field.show(get(ext, name))
        self.hide_password()
        self.update_references.value = False
        self.clear_errors()

    def changes(self) -> dict[str, Any]:
        """The form's values as ``{dotted field: value}`` for :meth:`ExtensionStore.update`
        (number, SIP username, and a blank PIN excluded)."""
        out: dict[str, Any] = {}
        for name, field in self.fields.items():
            if name in ("number", "sip_username"):
                continue
            value = field.read(field.widget.value)
            if name == "voicemail.pin" and not value:
                continue
            out[name] = value
        return out

    @property
    def errors(self) -> dict[str, str]:
        """The error text shown next to each field (only fields with an error)."""
        shown = {n: "; ".join(f.messages) for n, f in self.fields.items() if f.messages}
        shown.update(
            {
                "fmfm.destinations" + (f".{i}" if i >= 0 else ""): message
                for i, message in self.destinations.errors.items()
            }
        )
        return shown

    def clear_errors(self) -> None:
        """Hide every error message and tab mark."""
        for field in self.fields.values():
            field.messages.clear()
            field.error.value = ""
        self.destinations.clear_errors()
        self.message.clear()
        self.tabs.titles = TABS

    def show_problems(self, problems: list[FieldProblem]) -> None:
        """Show each problem next to the field it names; the tab gets a ⚠ mark."""
        marked: set[str] = set()
        loose: list[str] = []
        for problem in problems:
            field = self._field_of(problem.field)
            if field is None:
                if problem.field.startswith("phones"):
                    marked.add("Phones")
                loose.append(str(problem))
                continue
            marked.add(field.tab)
            if field.name == "fmfm.destinations":
                self._destination_problem(problem)
                continue
            field.messages.append(problem.message)
            field.error.value = _error_html("; ".join(field.messages))
        self.tabs.titles = [f"{t} ⚠" if t in marked else t for t in TABS]
        summary = "Not saved: " + ("; ".join(loose) if loose else "fix the fields marked in red.")
        self.message.error(summary)

    def _field_of(self, name: str) -> _Field | None:
        best = None
        for candidate in self.fields:
            if (name == candidate or name.startswith(candidate + ".")) and (
                best is None or len(candidate) > len(best)
            ):
                best = candidate
        return self.fields[best] if best else None

    def _destination_problem(self, problem: FieldProblem) -> None:
        rest = problem.field.removeprefix("fmfm.destinations").lstrip(".")
        index_text, _, leaf = rest.partition(".")
        index = int(index_text) if index_text.isdigit() else None
        message = f"{leaf}: {problem.message}" if leaf else problem.message
        self.destinations.show_error(index, message)

    # -- actions ---------------------------------------------------------------------------

    def save(self) -> bool:
        """Store the form (and a new number); returns whether it was saved.

        On a validation error nothing is stored and each problem shows next to its field.
        """
        self.clear_errors()
        old = self.extension.number
        new_number = str(self.fields["number"].widget.value).strip()
        try:
            self.store.update(old, self.changes())
        except ValidationError as exc:
            self.show_problems(exc.problems)
            return False
        except PbxlabError as exc:
            self.message.error(f"Not saved: {exc}")
            return False
        note = ""
        if new_number != old:
            try:
                result = self.store.renumber(
                    old, new_number, update_references=self.update_references.value
                )
            except ValidationError as exc:
                self.show_problems(exc.problems)
                self.message.error(
                    f"The other changes were saved; the number stays {old}: "
                    + "; ".join(p.message for p in exc.problems)
                )
                self._reload_keeping_errors(old)
                return False
            except PbxlabError as exc:
                self.show_problems([FieldProblem("number", str(exc))])
                self._reload_keeping_errors(old)
                return False
            if result.dangling:
                listed = "; ".join(str(r) for r in result.dangling)
                note = f" Still pointing at {old}: {listed}."
            elif result.references:
                note = f" {len(result.references)} reference(s) repointed to {new_number}."
        self.phones.number = new_number
        if new_number != old:
            self.remove_class(f"pbx-detail-{old}")
            self.add_class(f"pbx-detail-{new_number}")
        self._show(self.store.get(new_number))
        self.message.ok(f"Saved extension {new_number}.{note}")
        for callback in self._saved_callbacks:
            callback(old, new_number)
        return True

    def _reload_keeping_errors(self, number: str) -> None:
        # the stored values again (the saved part), keeping the typed number and the errors
        self.extension = self.store.get(number)
        for name, field in self.fields.items():
            if name not in ("number", "fmfm.destinations"):
                field.widget.value = field.show(get(self.extension, name))

    def cancel(self) -> None:
        """Discard the edits: show the stored extension again."""
        self._show(self.store.get(self.extension.number))
        self.message.info("Changes discarded.")

    def close_view(self) -> None:
        """Tell the owner to close this view (edits not saved are dropped)."""
        for callback in self._close_callbacks:
            callback()

    def on_saved(self, callback: SavedCallback) -> None:
        """Call ``callback(old_number, number)`` after each successful save."""
        self._saved_callbacks.append(callback)

    def on_close(self, callback: Callable[[], Any]) -> None:
        """Call ``callback()`` when Close is clicked."""
        self._close_callbacks.append(callback)

    def reveal_password(self) -> None:
        """Show the SIP password (an explicit request, audited by the store)."""
        try:
            self.password.value = self.store.reveal_password(self.extension.number)
        except PbxlabError as exc:
            self.message.error(str(exc))
            return
        self.reveal_button.layout.display = "none"
        self.hide_button.layout.display = ""

    def hide_password(self) -> None:
        """Mask the SIP password again."""
        self.password.value = MASK
        self.reveal_button.layout.display = ""
        self.hide_button.layout.display = "none"

    def _phones_changed(self) -> None:
        self.extension = self.store.get(self.extension.number)
        for callback in self._saved_callbacks:
            callback(self.extension.number, self.extension.number)


def _error_html(message: str) -> str:
    return f'<span style="color:#cf222e">{html.escape(message)}</span>'
