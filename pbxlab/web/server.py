"""Serving the workbench notebook as a web page with Voilà, on loopback only.

Strategy: Voilà runs as a child process (``python -m voila``) on 127.0.0.1 with
the packaged ``workbench.ipynb``; the page's configuration travels in the
environment (:mod:`pbxlab.web.config`), which the notebook's kernel inherits.
The page can reveal SIP passwords, so it is never bound to another interface and
it asks for a token: a random one unless ``$JUPYTER_TOKEN`` names it (the Jupyter
convention; the tests use it), passed through the environment rather than the
command line, where other local users could read it.  Voilà's stock "lab"
template links Font Awesome from a CDN, which a machine without Internet access
turns into console errors; the packaged ``pbxlab`` template is that template
without the links (Voilà's own bundle already carries the icons).

Stopping: SIGTERM or SIGINT make Voilà shut its kernels down and exit;
:meth:`WebServer.stop` sends SIGTERM, waits, and kills what is left.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO
from urllib.parse import quote

from pbxlab.errors import InputError
from pbxlab.web.config import WebConfig

HOST = "127.0.0.1"
DEFAULT_PORT = 8866
"""Voilà's usual port."""
NOTEBOOK = Path(__file__).with_name("workbench.ipynb")
JUPYTER_DATA = Path(__file__).with_name("jupyter")
"""A Jupyter data directory holding the ``pbxlab`` Voilà template."""
TEMPLATE = "pbxlab"
STARTUP_TIMEOUT = 60.0
"""Seconds Voilà may take to listen (imports and template discovery; ~5 s idle)."""
STOP_TIMEOUT = 15.0
"""Seconds Voilà may take to shut its kernels down after SIGTERM."""


class WebServerError(InputError):
    """Voilà did not start, or the port is taken."""


def port_is_free(port: int, host: str = HOST) -> bool:
    """Whether ``host:port`` can be bound now (TCP)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def voila_command(port: int, notebook: Path = NOTEBOOK, log_level: str = "INFO") -> list[str]:
    """The Voilà command line serving ``notebook`` on 127.0.0.1:``port``."""
    return [
        sys.executable,
        "-m",
        "voila",
        str(notebook),
        f"--port={port}",
        f"--Voila.ip={HOST}",
        "--Voila.port_retries=0",  # the URL printed is the URL served
        "--Voila.open_browser=False",  # pbxlab opens it, with the token
        "--Voila.auto_token=True",  # the token comes from $JUPYTER_TOKEN
        f"--VoilaConfiguration.template={TEMPLATE}",
        "--VoilaConfiguration.theme=light",
        f"--Voila.log_level={log_level}",
    ]


def voila_environment(
    config: WebConfig, token: str, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment of the Voilà process: ``base`` plus the page config and token."""
    env = dict(os.environ if base is None else base)
    env.update(config.environment())
    env["JUPYTER_TOKEN"] = token
    env["JUPYTER_PATH"] = os.pathsep.join(
        p for p in (str(JUPYTER_DATA), env.get("JUPYTER_PATH", "")) if p
    )
    return env


@dataclass
class WebServer:
    """A running Voilà serving the workbench (use as a context manager, or call stop)."""

    process: subprocess.Popen[bytes]
    port: int
    token: str = field(repr=False)

    @property
    def url(self) -> str:
        """The page's address, token included."""
        return f"http://{HOST}:{self.port}/?token={quote(self.token)}"

    @classmethod
    def start(
        cls,
        config: WebConfig,
        port: int = DEFAULT_PORT,
        *,
        token: str | None = None,
        output: IO[bytes] | IO[str] | None = None,
        log_level: str = "INFO",
    ) -> WebServer:
        """Start Voilà on 127.0.0.1:``port``; raises WebServerError if the port is taken.

        ``token`` defaults to ``$JUPYTER_TOKEN``, else a random one.  Voilà's log
        (at ``log_level``) goes to ``output`` (default: this process's stderr).  Returns at once;
        :meth:`wait_ready` waits until the page can be loaded.
        """
        if not port_is_free(port):
            raise WebServerError(f"port {port} on {HOST} is in use; choose another with --port")
        chosen = token or os.environ.get("JUPYTER_TOKEN") or secrets.token_urlsafe(24)
        process = subprocess.Popen(
            voila_command(port, log_level=log_level),
            env=voila_environment(config, chosen),
            stdin=subprocess.DEVNULL,
            # stdout is the caller's machine-readable channel: Voilà's chatter goes elsewhere
            stdout=output if output is not None else sys.stderr,
            stderr=subprocess.STDOUT,
        )
        return cls(process, port, chosen)

    def wait_ready(self, timeout: float = STARTUP_TIMEOUT) -> None:
        """Block until Voilà accepts connections; raises WebServerError if it exits or stalls."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code is not None:
                raise WebServerError(f"Voilà exited with status {code} before serving the page")
            try:
                with socket.create_connection((HOST, self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise WebServerError(f"Voilà did not listen on {HOST}:{self.port} within {timeout:.0f} s")

    def stop(self, timeout: float = STOP_TIMEOUT) -> int:
        """SIGTERM (Voilà then shuts its kernels down), SIGKILL after ``timeout`` s.

        Returns Voilà's exit status.
        """
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        return int(self.process.returncode)

    def __enter__(self) -> WebServer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()
