"""What every view shares: status labels, stable CSS classes, messages, confirmations.

Every interactive element carries ``pbx-...`` classes (``_dom_classes``) so a
browser test or a stylesheet can find it; the names are listed in
``docs/widgets.md``.  Field widgets are named after the model's dotted field:
``voicemail.pin`` -> ``pbx-field-voicemail-pin`` (its error: ``pbx-error-voicemail-pin``).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any, TypeVar

import ipywidgets as widgets
import pandas as pd
import plotly.graph_objects as go

from pbxlab.plots.style import state_label as plots_state_label
from pbxlab.tables import STATES

STATE_LABELS = {state: plots_state_label(state) for state in STATES}
"""The guide's coloured dot and word for each state (from :mod:`pbxlab.plots.style`)."""

UNKNOWN_STATE_LABEL = "– Unknown"
"""Shown when the loaded evidence never mentions the extension (absence proves nothing)."""

W = TypeVar("W", bound=widgets.DOMWidget)


def state_label(state: object) -> str:
    """The dot and word for ``state`` (online/ringing/in_use/offline), or the unknown label."""
    if state is None or (not isinstance(state, str) and pd.isna(state)):  # type: ignore[call-overload]
        return UNKNOWN_STATE_LABEL
    return STATE_LABELS.get(str(state), UNKNOWN_STATE_LABEL)


def classed(widget: W, *classes: str) -> W:
    """``widget`` with the CSS ``classes`` added (returns it, for inline use)."""
    for name in classes:
        widget.add_class(name)
    return widget


def field_class(name: str) -> str:
    """The CSS class of the widget editing dotted field ``name`` (``pbx-field-voicemail-pin``)."""
    return "pbx-field-" + name.replace(".", "-").replace("_", "-")


def error_class(name: str) -> str:
    """The CSS class of the error label next to dotted field ``name``."""
    return "pbx-error-" + name.replace(".", "-").replace("_", "-")


def button(description: str, css: str, *, tooltip: str = "", style: str = "") -> widgets.Button:
    """A stock Button with a description, a tooltip and the class ``css``."""
    made = widgets.Button(
        description=description,
        tooltip=tooltip or description,
        button_style=style,
        layout=widgets.Layout(width="auto"),
    )
    return classed(made, css)


class Notice(widgets.HTML):
    """One line telling the result of the last action (success, or the error's message)."""

    def __init__(self, css: str = "pbx-message") -> None:
        super().__init__(value="")
        self.add_class(css)
        self.kind = ""
        self.text = ""

    def ok(self, text: str) -> None:
        """Show ``text`` as a success."""
        self._show("ok", text, "#1a7f37")

    def error(self, text: str) -> None:
        """Show ``text`` as an error."""
        self._show("error", text, "#cf222e")

    def info(self, text: str) -> None:
        """Show ``text`` neutrally."""
        self._show("info", text, "#57606a")

    def clear(self) -> None:
        """Show nothing."""
        self.kind, self.text, self.value = "", "", ""

    def _show(self, kind: str, text: str, colour: str) -> None:
        self.kind, self.text = kind, text
        self.value = f'<span class="pbx-{kind}" style="color:{colour}">{html.escape(text)}</span>'


class ConfirmBar(widgets.HBox):
    """An inline "are you sure?" with Confirm and Cancel (hidden until asked).

    ``ask(question, on_confirm)`` shows it; Confirm runs ``on_confirm`` once and
    hides the bar, Cancel only hides it.  ``option`` (a Checkbox, e.g. "also detach
    references") is shown when given to ``ask``.
    """

    def __init__(self) -> None:
        self.question = widgets.HTML()
        self.option = classed(widgets.Checkbox(value=False, indent=False), "pbx-confirm-option")
        self.confirm = button("Confirm", "pbx-confirm", style="danger")
        self.cancel = button("Cancel", "pbx-confirm-cancel")
        self._action: Callable[[], Any] | None = None
        super().__init__([self.question, self.option, self.confirm, self.cancel])
        self.add_class("pbx-confirm-bar")
        self.layout.display = "none"
        self.confirm.on_click(lambda _: self._run())
        self.cancel.on_click(lambda _: self.hide())

    @property
    def pending(self) -> bool:
        """Whether a question is waiting for an answer."""
        return self._action is not None

    def ask(self, question: str, on_confirm: Callable[[], Any], option: str | None = None) -> None:
        """Show ``question``; Confirm will call ``on_confirm``."""
        self.question.value = f"<b>{html.escape(question)}</b>"
        self.option.description = option or ""
        self.option.value = False
        self.option.layout.display = "" if option else "none"
        self._action = on_confirm
        self.layout.display = ""

    def hide(self) -> None:
        """Forget the question and hide the bar."""
        self._action = None
        self.layout.display = "none"

    def _run(self) -> None:
        action = self._action
        self.hide()
        if action is not None:
            action()


def download_link(text: str, filename: str, css: str, mime: str = "text/csv") -> str:
    """An HTML ``<a download>`` link with ``text`` as a data URI (Jupyter and Voilà alike)."""
    import base64

    payload = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return (
        f'<a class="{css}" download="{html.escape(filename)}" '
        f'href="data:{mime};charset=utf-8;base64,{payload}">Download {html.escape(filename)}</a>'
    )


def replace_figure(shown: go.FigureWidget, figure: go.Figure) -> None:
    """Show ``figure`` in the FigureWidget ``shown``, in place (one update for the browser)."""
    with shown.batch_update():
        shown.data = ()
        shown.add_traces(list(figure.data))
        shown.layout = figure.layout
