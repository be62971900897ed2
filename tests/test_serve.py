"""`mallette serve`: its options, how it picks the address QR codes carry (without sending anything
to it), and a real start and stop of gunicorn with the job worker on a loopback port."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from french_ui import fr
from sqlite_template import sqlite_copy

from app import serving
from app.serving import base_url, is_loopback_url, lan_address

WEB_CONTENT = Path(__file__).parent / "web" / "content"


def test_serve_help_shows_its_options(runner_plain) -> None:  # type: ignore[no-untyped-def]
    result = runner_plain(["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--workers", "--lan", "--port", "--host"):
        assert option in result.output


def test_phones_keep_their_connection_between_polls() -> None:
    from app.web.live_updates import POLL_MS

    web, _worker = serving._commands(workers=2, host="127.0.0.1", port=5000, job_workers=1)
    keep_alive = float(web[web.index("--keep-alive") + 1])
    assert keep_alive * 1000 > 2 * POLL_MS  # a missed poll or two still finds the connection open


def test_loopback_urls() -> None:
    for url in ("http://localhost:5000", "http://127.0.0.1:5000/", "http://127.1.2.3", "http://[::1]:5000",
                "http://mallette.localhost"):
        assert is_loopback_url(url), url
    for url in ("http://192.168.1.20:5000", "https://mallette.example", "http://10.0.0.5"):
        assert not is_loopback_url(url), url


def test_base_url_choice() -> None:
    # MALLETTE_BASE_URL wins, then the LAN address (--lan), then where the server listens.
    assert base_url(configured="https://mallette.example/", host="0.0.0.0", port=5000,
                    lan="192.168.1.20") == "https://mallette.example"
    assert base_url(configured=None, host="0.0.0.0", port=5100, lan="192.168.1.20") == "http://192.168.1.20:5100"
    assert base_url(configured=None, host="0.0.0.0", port=5000, lan=None) == "http://127.0.0.1:5000"
    assert base_url(configured=None, host="127.0.0.1", port=5001, lan=None) == "http://127.0.0.1:5001"
    assert base_url(configured=None, host="::1", port=5000, lan=None) == "http://[::1]:5000"


class FakeSocket:
    """Records what `lan_address` asks of a UDP socket; sends nothing anywhere."""

    calls: list[Any] = []
    address = "192.168.1.20"

    def __init__(self, family: int, kind: int) -> None:
        assert kind == socket.SOCK_DGRAM
        FakeSocket.calls.append(("socket", family, kind))

    def __enter__(self) -> FakeSocket:
        return self

    def __exit__(self, *_exc: object) -> None:
        FakeSocket.calls.append(("close",))

    def connect(self, target: tuple[str, int]) -> None:
        FakeSocket.calls.append(("connect", target))

    def getsockname(self) -> tuple[str, int]:
        return (self.address, 40000)


def test_lan_address_asks_the_routing_table_only(monkeypatch: pytest.MonkeyPatch) -> None:
    FakeSocket.calls = []
    monkeypatch.setattr(serving.socket, "socket", FakeSocket)
    assert lan_address() == "192.168.1.20"
    assert FakeSocket.calls[0] == ("socket", socket.AF_INET, socket.SOCK_DGRAM)
    (_, (host, _port)) = FakeSocket.calls[1]
    assert host == serving.PROBE_ADDRESS and not hasattr(FakeSocket, "send")
    for address in ("127.0.0.1", "0.0.0.0", "169.254.3.4"):  # no usable network
        FakeSocket.address = address
        assert lan_address() is None
    FakeSocket.address = "192.168.1.20"


class FakeProcess:
    """A child process that has already exited."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.command, self.env, self.returncode = command, env, 0

    def poll(self) -> int:
        return 0

    def send_signal(self, _sig: int) -> None:
        raise AssertionError("an exited process is not signalled")

    def wait(self, _timeout: float | None = None) -> int:
        return 0


def test_lan_puts_the_local_address_in_qr_codes(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[FakeProcess] = []
    monkeypatch.setattr(serving.subprocess, "Popen", lambda cmd, env: started.append(FakeProcess(cmd, env))
                        or started[-1])
    monkeypatch.setattr(serving, "lan_address", lambda: "192.168.1.20")
    monkeypatch.delenv("MALLETTE_BASE_URL", raising=False)
    assert serving.serve(workers=3, port=5100, lan=True) == 1  # the stand-ins exit at once: serve stops
    worker, web = started
    assert "worker" in worker.command and "gunicorn" in web.command
    assert web.command[web.command.index("--bind") + 1] == "0.0.0.0:5100"
    assert web.command[web.command.index("--workers") + 1] == "3"
    assert worker.env["MALLETTE_BASE_URL"] == web.env["MALLETTE_BASE_URL"] == "http://192.168.1.20:5100"
    # A configured public address is kept.
    started.clear()
    monkeypatch.setenv("MALLETTE_BASE_URL", "https://mallette.example")
    serving.serve(port=5100, lan=True)
    assert started[1].env["MALLETTE_BASE_URL"] == "https://mallette.example"
    # Without --lan: loopback only.
    started.clear()
    monkeypatch.delenv("MALLETTE_BASE_URL")
    serving.serve(port=5100)
    assert started[1].command[started[1].command.index("--bind") + 1] == "127.0.0.1:5100"
    assert started[1].env["MALLETTE_BASE_URL"] == "http://127.0.0.1:5100"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_starts_both_and_stops_both(tmp_path: Path) -> None:
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=sqlite_copy(tmp_path / "serve.sqlite3", WEB_CONTENT),
               MALLETTE_CONTENT_DIR=str(WEB_CONTENT), MALLETTE_BUILD_DIR=str(tmp_path / "builds"),
               SECRET_KEY="serve-test")
    env.pop("MALLETTE_BASE_URL", None)
    process = subprocess.Popen([sys.executable, "-c", "from app.cli import main; main()", "serve", "--workers", "1",
                                "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               start_new_session=True, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/telecharger", timeout=5) as response:
                    page = response.read().decode()
                    break
            except OSError:
                assert process.poll() is None, "mallette serve stopped"
                assert time.monotonic() < deadline, "mallette serve did not answer"
                time.sleep(0.2)
        assert f"mènent à http://127.0.0.1:{port}" in page and fr("ne s'ouvriront que sur cet ordinateur") in page
        process.send_signal(signal.SIGINT)  # Ctrl-C
        output, _ = process.communicate(timeout=30)
        assert process.returncode == 0
        assert f"http://127.0.0.1:{port}/" in output
        with pytest.raises(ProcessLookupError):  # gunicorn and the worker are gone too
            for _ in range(50):
                os.killpg(process.pid, 0)
                time.sleep(0.1)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
