"""The Phones tab: the extension's provisioned phones, with reboot, unassign, view configuration.

Strategy: each action is one call of the extensions library
(:func:`pbxlab.extensions.reboot_phone`, :meth:`ExtensionStore.unassign_phone`,
:func:`pbxlab.extensions.view_configuration`, :meth:`ExtensionStore.assign_phone`)
and takes effect at once, like the guide's buttons; the panel then redraws
from the store.  Configurations are shown with the password masked.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from pbxlab.errors import FieldProblem, PbxlabError, ValidationError
from pbxlab.extensions.actions import reboot_phone, view_configuration
from pbxlab.extensions.model import Phone, build
from pbxlab.extensions.reboot import DEFAULT_TIMEOUT
from pbxlab.extensions.store import ExtensionStore
from pbxlab.widgets.common import Notice, button, classed

__all__ = ["PhonesPanel", "phone_class"]

_NO_PROFILE = "(no profile)"


def phone_class(mac: str) -> str:
    """The CSS class of the row of phone ``mac`` (``pbx-phone-00-15-65-1a-2b-3c``)."""
    return "pbx-phone-" + mac.replace(":", "-").lower()


class PhonesPanel(widgets.VBox):
    """The phones of extension ``number``; ``on_change`` is called after assign/unassign."""

    def __init__(
        self,
        store: ExtensionStore,
        number: str,
        *,
        reboot_timeout: float = DEFAULT_TIMEOUT,
        on_change: Callable[[], Any] | None = None,
    ) -> None:
        self.store = store
        self.number = number
        self.reboot_timeout = reboot_timeout
        self._on_change = on_change
        self.phones: list[Phone] = []
        self.message = Notice("pbx-phones-message")
        self.rows_box = classed(widgets.VBox(), "pbx-phone-rows")
        self.config = classed(widgets.HTML(), "pbx-phone-config-text")
        self.new_mac = classed(
            widgets.Text(description="MAC", placeholder="00:15:65:1a:2b:3c"), "pbx-phone-new-mac"
        )
        self.new_model = classed(
            widgets.Text(description="Model", placeholder="Yealink T46S"), "pbx-phone-new-model"
        )
        self.new_profile = classed(widgets.Dropdown(description="Profile"), "pbx-phone-new-profile")
        self.assign = button("Assign phone", "pbx-phone-assign")
        self.assign.on_click(lambda _: self.assign_phone())
        self.new_error = classed(widgets.HTML(), "pbx-error-phones")
        header = widgets.HTML("<b>MAC address · model · profile · status · last registered</b>")
        super().__init__(
            [
                header,
                self.rows_box,
                self.message,
                self.config,
                widgets.HTML("<b>Assign a phone</b>"),
                widgets.HBox([self.new_mac, self.new_model, self.new_profile, self.assign]),
                self.new_error,
            ]
        )
        self.add_class("pbx-phones-tab")
        self.reload()

    def reload(self) -> None:
        """Redraw from the store."""
        self.phones = list(self.store.get(self.number).phones)
        self.new_profile.options = [_NO_PROFILE, *(p.name for p in self.store.profiles())]
        self.rows_box.children = [self._row(p) for p in self.phones] or [
            widgets.HTML("<i>No phone is assigned to this extension.</i>")
        ]

    def _row(self, phone: Phone) -> widgets.HBox:
        registered = (
            phone.last_registered.strftime("%Y-%m-%d %H:%M:%S UTC")
            if phone.last_registered
            else "never seen"
        )
        text = " · ".join(
            html.escape(str(part))
            for part in (
                phone.mac,
                phone.model,
                phone.profile or "no profile",
                phone.status,
                registered,
            )
        )
        reboot = button("Reboot", "pbx-phone-reboot")
        unassign = button("Unassign", "pbx-phone-unassign")
        configuration = button("View configuration", "pbx-phone-config")
        reboot.on_click(lambda _: self.reboot(phone.mac))
        unassign.on_click(lambda _: self.unassign(phone.mac))
        configuration.on_click(lambda _: self.view_configuration(phone.mac))
        return classed(
            widgets.HBox(
                [
                    widgets.HTML(text, layout=widgets.Layout(width="560px")),
                    reboot,
                    unassign,
                    configuration,
                ]
            ),
            "pbx-phone",
            phone_class(phone.mac),
        )

    def reboot(self, mac: str) -> None:
        """Reboot phone ``mac`` with a SIP NOTIFY (waits at most ``reboot_timeout`` s)."""
        try:
            result = reboot_phone(self.store, self.number, mac=mac, timeout=self.reboot_timeout)
        except PbxlabError as exc:
            self.message.error(str(exc))
            return
        (self.message.ok if result.outcome == "accepted" else self.message.error)(
            f"{mac}: {result.summary()}"
        )

    def unassign(self, mac: str) -> None:
        """Detach phone ``mac`` from the extension (it stays in the inventory)."""
        try:
            self.store.unassign_phone(mac)
        except PbxlabError as exc:
            self.message.error(str(exc))
            return
        self.message.ok(f"Phone {mac} unassigned from {self.number}.")
        self.config.value = ""
        self._changed()

    def view_configuration(self, mac: str) -> None:
        """Show phone ``mac``'s provisioning file (password masked)."""
        try:
            config = view_configuration(self.store, self.number, mac)
        except PbxlabError as exc:
            self.message.error(str(exc))
            return
        self.config.value = (
            f"<b>{html.escape(config.filename)}</b><pre>{html.escape(config.content)}</pre>"
        )

    def assign_phone(self) -> None:
        """Assign the phone typed in the MAC/model/profile fields; errors show next to them."""
        profile = self.new_profile.value
        self.new_error.value = ""
        try:
            phone = build(
                Phone,
                {
                    "mac": self.new_mac.value,
                    "model": self.new_model.value,
                    "profile": None if profile in (None, _NO_PROFILE) else profile,
                },
                "phone",
            )
            self.store.assign_phone(self.number, phone)
        except ValidationError as exc:
            self.new_error.value = _problems_html(exc.problems)
            return
        except PbxlabError as exc:
            self.new_error.value = _problems_html([FieldProblem("phone", str(exc))])
            return
        self.new_mac.value = self.new_model.value = ""
        self.message.ok(f"Phone {phone.mac} assigned to {self.number}.")
        self._changed()

    def _changed(self) -> None:
        self.reload()
        if self._on_change is not None:
            self._on_change()


def _problems_html(problems: list[FieldProblem]) -> str:
    lines = "<br>".join(html.escape(str(p)) for p in problems)
    return f'<span style="color:#cf222e">{lines}</span>'
