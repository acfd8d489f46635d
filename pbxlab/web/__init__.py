"""The workbench as a web page: ``pbxlab web`` serves it with Voilà (docs/webapp.md).

:func:`workbench_page` (in :mod:`pbxlab.web.page`, which loads the widgets) is what
the served notebook displays.
"""

from pbxlab.web.config import WebConfig
from pbxlab.web.server import WebServer, WebServerError

__all__ = ["WebConfig", "WebServer", "WebServerError"]
