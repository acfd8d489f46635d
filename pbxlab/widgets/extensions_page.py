"""The Extensions page: the list, and the detail view of the extension being edited.

Strategy: composition only -- the list's Edit opens an :class:`ExtensionDetail`
above the list; a save reloads the edited rows of the list (old and new number,
for a renumber); Close removes the detail view.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from pbxlab.analysis.analyze import Analysis
from pbxlab.extensions.reboot import DEFAULT_TIMEOUT
from pbxlab.extensions.store import ExtensionStore
from pbxlab.widgets.common import classed
from pbxlab.widgets.extension_detail import ExtensionDetail
from pbxlab.widgets.extensions_list import ExtensionsList

__all__ = ["ExtensionsPage"]


class ExtensionsPage(widgets.VBox):
    """The Extensions list of ``store`` with status from ``analysis``, and its detail view.

    :attr:`list` is the :class:`ExtensionsList`; :attr:`detail` the open
    :class:`ExtensionDetail` (None when none is open).
    """

    def __init__(
        self,
        store: ExtensionStore,
        *,
        analysis: Analysis | None = None,
        at: Any = None,
        page_size: int = 25,
        reboot_timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.store = store
        self.reboot_timeout = reboot_timeout
        self.detail: ExtensionDetail | None = None
        self.list = ExtensionsList(
            store, analysis=analysis, at=at, page_size=page_size, reboot_timeout=reboot_timeout
        )
        self.list.on_edit(self.open_extension)
        self.detail_box = classed(widgets.VBox(), "pbx-detail-box")
        super().__init__([self.detail_box, self.list])
        self.add_class("pbx-extensions-page")

    def open_extension(self, number: str) -> ExtensionDetail:
        """Open the detail view of ``number`` (replacing one already open); returns it."""
        self.detail = ExtensionDetail(
            self.store,
            number,
            on_saved=self._saved,
            on_close=self.close_detail,
            reboot_timeout=self.reboot_timeout,
        )
        self.detail_box.children = [self.detail]
        return self.detail

    def close_detail(self) -> None:
        """Close the detail view."""
        self.detail = None
        self.detail_box.children = []

    def _saved(self, old: str, new: str) -> None:
        self.list.reload_extensions({old, new})
