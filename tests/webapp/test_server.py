"""``pbxlab web`` as a process: loopback only, a token, clear errors, a clean stop."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import webbrowser
from pathlib import Path

import psutil
import pytest

from pbxlab.cli.app import main
from pbxlab.cli.web import open_in_browser
from pbxlab.web.config import WebConfig
from pbxlab.web.server import HOST, NOTEBOOK, voila_command, voila_environment
from tests.webapp.conftest import CAPTURE, ServedWorkbench, free_port


def _status(url: str) -> int:
    request = urllib.request.Request(url, method="GET")

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_the_address_on_stdout_carries_the_token(workbench: ServedWorkbench) -> None:
    assert workbench.url == f"{workbench.base}/?token={workbench.token}"
    log = " ".join(workbench.log.read_text().split())
    assert workbench.token not in log  # Voilà's log masks it; the messages never show it
    assert "serving the workbench of" in log and "with 1 capture/log file(s)" in log


def test_the_page_needs_its_token(workbench: ServedWorkbench) -> None:
    assert _status(f"{workbench.base}/") in {302, 403}
    assert _status(f"{workbench.base}/?token=wrong") in {302, 403}


def test_everything_it_started_listens_on_loopback_only(workbench: ServedWorkbench) -> None:
    port = int(workbench.base.rsplit(":", 1)[1])
    root = psutil.Process(workbench.process.pid)
    listening = {
        (connection.laddr.ip, connection.laddr.port)
        for process in [root, *root.children(recursive=True)]
        for connection in process.net_connections(kind="inet")
        if connection.status == psutil.CONN_LISTEN
    }
    assert (HOST, port) in listening
    assert {ip for ip, _ in listening} == {HOST}


def test_voila_serves_the_packaged_notebook_with_the_offline_template(tmp_path: Path) -> None:
    command = voila_command(8999)
    assert command[:4] == [sys.executable, "-m", "voila", str(NOTEBOOK)]
    assert "--Voila.ip=127.0.0.1" in command
    assert "--Voila.port_retries=0" in command
    assert "--VoilaConfiguration.template=pbxlab" in command
    # never on the command line, where other local users could read it
    assert not [part for part in command if part.startswith(("--token", "--Voila.token"))]
    config = WebConfig.checked(str(tmp_path / "t.db"), [CAPTURE])
    env = voila_environment(config, "t0ken", {"JUPYTER_PATH": "/elsewhere"})
    assert env["JUPYTER_TOKEN"] == "t0ken"
    assert env["JUPYTER_PATH"].endswith(f"{os.pathsep}/elsewhere")
    template = Path(env["JUPYTER_PATH"].split(os.pathsep)[0]) / "voila/templates/pbxlab"
    assert "cdn.jsdelivr.net" not in (template / "index.html.j2").read_text()
    assert env["PBXLAB_WEB_INPUTS"] == str(CAPTURE)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nothere.pcap"], "nothere.pcap: no such file"),
        (["--db", "sqlite://"], "in-memory SQLite store cannot be shared"),
        (["--db", "missing/t.db"], "the store's folder does not exist"),
    ],
)
def test_bad_input_exits_2_before_serving(
    args: list[str],
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["web", *args, "--no-browser", "--port", str(free_port())]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_a_port_in_use_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind((HOST, 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["web", "--no-browser", "--port", str(port)]) == 2
    assert f"port {port} on 127.0.0.1 is in use; choose another with --port" in (
        capsys.readouterr().err
    )


def test_ctrl_c_stops_the_server(tmp_path: Path) -> None:
    # Ctrl-C in a terminal: the whole foreground group gets SIGINT.
    port = free_port()
    env = {**os.environ, "JUPYTER_TOKEN": secrets.token_urlsafe(8), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "pbxlab", "web", "--db", str(tmp_path / "t.db"),
         "--port", str(port), "--no-browser"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    assert process.stdout is not None
    first = process.stdout.readline().decode()  # blocks until served (bounded by the kill)
    assert first == f"http://127.0.0.1:{port}/?token={env['JUPYTER_TOKEN']}\n"
    os.killpg(process.pid, signal.SIGINT)
    rest, messages = process.communicate(timeout=30)
    assert process.returncode == 0, messages
    assert rest == b""  # nothing but the address on stdout
    said = " ".join(messages.decode().split())  # rich wraps lines at 80 columns off a terminal
    assert "with no evidence" in said and "stopping the web server" in said
    assert (tmp_path / "t.db").exists()  # the store was created with its schema


def test_help_explains_with_examples(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["web", "--help"]) == 0
    out = capsys.readouterr().out
    assert "Usage: pbxlab web" in out and "Examples" in out and "127.0.0.1" in out


def test_the_browser_is_opened_only_where_there_is_a_display(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", opened.append)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    open_in_browser("http://127.0.0.1:1/?token=t", quiet=False)
    assert opened == []
    assert "no graphical display here" in capsys.readouterr().err
    monkeypatch.setenv("DISPLAY", ":0")
    open_in_browser("http://127.0.0.1:1/?token=t", quiet=False)
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and thread.daemon:
            thread.join(timeout=5)
    assert opened == ["http://127.0.0.1:1/?token=t"]
