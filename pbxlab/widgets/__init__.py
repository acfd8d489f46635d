"""Jupyter widgets: the support engineer's workbench (see docs/widgets.md).

Thin views over :mod:`pbxlab.extensions` (the store) and :mod:`pbxlab.analysis`;
every element carries a stable ``pbx-...`` CSS class for browser tests.
"""

from pbxlab.widgets.common import STATE_LABELS, state_label
from pbxlab.widgets.destinations import DestinationsEditor
from pbxlab.widgets.extension_detail import TABS, ExtensionDetail
from pbxlab.widgets.extensions_list import COLUMNS, ExtensionsList
from pbxlab.widgets.extensions_page import ExtensionsPage
from pbxlab.widgets.loading import Evidence, evidence_events, load_evidence, save_uploads
from pbxlab.widgets.phones import PhonesPanel
from pbxlab.widgets.reliability import ReliabilityView
from pbxlab.widgets.triage import TriageView
from pbxlab.widgets.workbench import WORKBENCH_TABS, Workbench

__all__ = [
    "COLUMNS",
    "STATE_LABELS",
    "TABS",
    "WORKBENCH_TABS",
    "DestinationsEditor",
    "Evidence",
    "ExtensionDetail",
    "ExtensionsList",
    "ExtensionsPage",
    "PhonesPanel",
    "ReliabilityView",
    "TriageView",
    "Workbench",
    "evidence_events",
    "load_evidence",
    "save_uploads",
    "state_label",
]
