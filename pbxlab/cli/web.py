"""``pbxlab web``: the workbench as a web page, for people who don't write code.

One command serves the extensions page and the reliability view of a store
and the captures/logs given, with Voilà on 127.0.0.1 (docs/webapp.md).  The
page's address, with its access token, is the command's output: one line on
stdout once the page can be loaded (and, unless ``--no-browser``, opened in
the default browser); messages and Voilà's log go to stderr.  Runs until
Ctrl-C or SIGTERM, then stops Voilà and its kernels.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import webbrowser
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.markup import escape

from pbxlab.cli.console import say, settings
from pbxlab.extensions.store import DEFAULT_DB_FILE, ExtensionStore
from pbxlab.web.config import WebConfig, shown_store
from pbxlab.web.server import DEFAULT_PORT, HOST, WebServer, WebServerError


def web(
    inputs: Annotated[
        list[Path] | None,
        typer.Argument(help="Captures and registrar logs (mixed) whose status the page shows."),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="PBXLAB_EXT_DB",
            help=f"Store: SQLAlchemy URL or SQLite file path (default ./{DEFAULT_DB_FILE}).",
        ),
    ] = None,
    domain: Annotated[
        str | None,
        typer.Option(help="The tenant's SIP domain, when a capture holds several tenants."),
    ] = None,
    port: Annotated[int, typer.Option(help=f"TCP port on {HOST}.", min=1, max=65535)] = (
        DEFAULT_PORT
    ),
    browser: Annotated[
        bool, typer.Option("--browser/--no-browser", help="Open the page in the default browser.")
    ] = True,
    quiet: Annotated[
        bool, typer.Option("-q", "--quiet", help="No messages; Voilà logs warnings only.")
    ] = False,
) -> None:
    """Serve the extensions page and reliability view on http://127.0.0.1:PORT/."""
    config = WebConfig.checked(db, inputs or [], domain)
    # Open the store here once: a bad URL or an unreadable file is reported now,
    # in the terminal, and a new SQLite store gets its schema before the page loads.
    ExtensionStore.open(config.db).close()
    quiet = quiet or settings.quiet

    def terminate(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    # SIGTERM (a service manager, a test) stops Voilà and its kernels like Ctrl-C does
    previous = signal.signal(signal.SIGTERM, terminate)
    server: WebServer | None = None
    try:
        server = WebServer.start(config, port, log_level="WARN" if quiet else "INFO")
        server.wait_ready()
        evidence = f"{len(config.inputs)} capture/log file(s)" if config.inputs else "no evidence"
        store = escape(shown_store(config.db))
        say(f"serving the workbench of {store} with {evidence}", quiet=quiet)
        say("open the address printed below (it holds the access token); Ctrl-C stops", quiet=quiet)
        typer.echo(server.url)
        sys.stdout.flush()
        if browser:
            open_in_browser(server.url, quiet)
        code = server.process.wait()
        if code != 0:
            raise WebServerError(f"Voilà exited with status {code} (its log is above)")
    except KeyboardInterrupt:
        say("stopping the web server", quiet=quiet)
    finally:
        if server is not None:
            server.stop()
        signal.signal(signal.SIGTERM, previous)
        sys.stderr.flush()


EXAMPLES = (
    "[bold]Examples[/bold]\n\n"
    "  pbxlab web ticket-4711.pcap --db tenant.db\n\n"
    "  pbxlab web capture.pcap /var/log/asterisk/full --db tenant.db --port 8900\n\n"
    "  pbxlab web --db postgresql+psycopg://pbx@db.example.com/acme --no-browser\n\n"
    "The page has the Extensions, Reliability and Triage tabs. See docs/webapp.md."
)


def open_in_browser(url: str, quiet: bool) -> None:
    """Open ``url`` in the desktop's browser, from a thread (the call may take a while).

    Without a graphical display (a server, a container) nothing is opened: Python's
    fallback would run a console browser (lynx, w3m) in this very terminal.
    """
    graphical = sys.platform == "darwin" or any(
        os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY")
    )
    if not graphical:
        say("no graphical display here: open the address in a browser yourself", quiet=quiet)
        return
    threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()


def register(app: typer.Typer) -> None:
    """Add ``web`` to the pbxlab command."""
    app.command("web", epilog=EXAMPLES)(web)
