"""Browser fixtures: the app served by werkzeug in a thread, and headless Debian Chromium."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from app import create_app
from app.jobs import get_queue

WEB_CONTENT = Path(__file__).parents[1] / "web" / "content"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@dataclass
class LiveServer:
    """The running app and its base URL."""

    app: Flask
    url: str


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app on the test kit, on 127.0.0.1 and a random port; QR codes point to it."""
    work = tmp_path_factory.mktemp("live")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "browser-tests",
        "DATABASE_URL": f"sqlite:///{work / 'live.sqlite3'}",
        "CONTENT_DIR": str(WEB_CONTENT),
        "BUILD_DIR": str(work / "builds"),
        "BASE_URL": url,
        "PREBUILD_DEFAULT_KIT": False,
        "SEARCH_PER_PAGE": 4,  # the small test kit still has several result pages
    })
    server: BaseWSGIServer = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with get_queue(app).thread_worker():  # the job worker, as `mallette serve` runs it beside the web
        yield LiveServer(app=app, url=url)
    server.shutdown()
    thread.join(10)
    app.extensions["mallette"].engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless Debian Chromium driven by Playwright."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    from playwright import sync_api
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server: LiveServer) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A fresh French phone-sized page that fails the test on any request outside the app."""
    context = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844},
                                  accept_downloads=True)
    outside: list[str] = []

    def check(request) -> None:  # type: ignore[no-untyped-def]
        if not request.url.startswith((live_server.url, "data:", "blob:")):
            outside.append(request.url)

    context.on("request", check)
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()
    assert outside == [], f"requests outside the app: {outside}"
