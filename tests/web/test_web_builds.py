"""Territory kit builds: the form, background progress, caching, one build per key, safe file serving.

The flow is tested against a stand-in for the print pipeline (fast, controllable); the real
pipeline is exercised with a small deck selection when it is available.
"""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from webtools import HTMX, close_app, csrf_token, make_app

from app import get_state
from app.printing.options import KitOptions, KitResult
from app.web.builds import BuildService
from app.web.downloads import DEFAULT_TERRITORY
from app.web.printing_api import PrintingPipeline


class FakeBuilder(PrintingPipeline):
    """The real pipeline, but for `build_kit`: counts builds, can be held or made to fail."""

    def __init__(self) -> None:
        self.calls: list[KitOptions] = []
        self.release = threading.Event()
        self.release.set()
        self.fail = False

    def build_kit(self, kit: Any, options: KitOptions, out_dir: Path, **kwargs: Any) -> Any:
        """Write three small files, reporting progress."""
        self.calls.append(options)
        assert set(kwargs) == {"base_url", "print_dir", "cards_dir", "progress", "workers", "cache_budget_bytes"}
        assert kwargs["workers"] == 1
        assert kwargs["cache_budget_bytes"] == 512 * 1024 * 1024  # PRINT_CACHE_MB
        kwargs["progress"](10, "Jeux de cartes")
        assert self.release.wait(10)
        if self.fail:
            raise RuntimeError("boom")
        out_dir.mkdir(parents=True, exist_ok=True)
        names = [f"{deck}.pdf" for deck in (options.decks or ("postures",))]
        for name in [*names, "mallette.pdf", "mallette.zip"]:
            (out_dir / name).write_bytes(b"%PDF-1.7 " + name.encode())
        kwargs["progress"](90, "ZIP")
        return KitResult(files=[out_dir / n for n in names], zip_path=out_dir / "mallette.zip",
                         whole_pdf=out_dir / "mallette.pdf", pages=3)


@pytest.fixture
def fake_pipeline() -> FakeBuilder:
    """The stand-in pipeline, for apps a test makes itself (`make_app(..., PRINT_PIPELINE=...)`)."""
    return FakeBuilder()


@pytest.fixture
def fake(app: Flask, fake_pipeline: FakeBuilder) -> FakeBuilder:
    """The stand-in pipeline, injected into the `app` fixture."""
    app.extensions["mallette_pipeline"] = fake_pipeline
    service(app).pipeline = fake_pipeline
    return fake_pipeline


def service(app: Flask) -> BuildService:
    """The app's build service."""
    svc: BuildService = app.extensions["mallette_builds"]
    return svc


def wait_done(client: FlaskClient, url: str, timeout: float = 60) -> str:
    """Poll a build page like htmx does until it stops polling; return the last fragment."""
    deadline = time.monotonic() + timeout
    while True:
        page = client.get(url, headers=HTMX).get_data(as_text=True)
        if "hx-trigger" not in page:
            return page
        assert time.monotonic() < deadline, "build did not finish"
        time.sleep(0.1)


def form_data(client: FlaskClient, **values: Any) -> dict[str, Any]:
    """A valid form submission."""
    data: dict[str, Any] = {"territory": "Couserans", "paper": "a4", "edition": "home",
                            "decks": ["postures"], "back_offset_mm": "0",
                            "csrf_token": csrf_token(client, "/telecharger")}
    data.update(values)
    return data


def test_form_lists_the_decks(client: FlaskClient) -> None:
    page = client.get("/telecharger").get_data(as_text=True)
    if "Les jeux de cartes ne sont pas disponibles" in page:
        pytest.skip("deck definitions not available")
    assert 'name="decks" value="postures"' in page and 'name="territory"' in page
    assert re.search(r'<form class="kit-form" method="post" action="/telecharger"', page)


def test_build_flow_without_javascript(client: FlaskClient, fake: FakeBuilder) -> None:
    response = client.post("/telecharger", data=form_data(client))
    assert response.status_code == 303
    url = response.headers["Location"]
    assert re.fullmatch(r"/telecharger/[0-9a-f]{64}", url)
    page = wait_done(client, url)
    assert "Le kit est prêt" in page
    links = re.findall(r'<a href="(/telecharger/[0-9a-f]+/[^"]+)" download>', page)
    assert [link.rsplit("/", 1)[1] for link in links] == ["postures.pdf", "mallette.pdf", "mallette.zip"]
    with client.get(links[0]) as download:
        assert download.status_code == 200 and download.data.startswith(b"%PDF")
        assert "attachment" in download.headers["Content-Disposition"]
    full = client.get(url).get_data(as_text=True)
    assert "<html" in full and "Couserans" in full
    assert fake.calls == [KitOptions("Couserans", "a4", "home", ("postures",), 0.0)]


def test_build_flow_with_htmx_shows_progress(client: FlaskClient, fake: FakeBuilder) -> None:
    fake.release.clear()
    response = client.post("/telecharger", data=form_data(client, territory="Pays  de   Foix"),
                           headers=HTMX)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<html" not in page and "<progress" in page and 'hx-trigger="load delay:1s"' in page
    url = response.headers["HX-Push-Url"]
    fake.release.set()
    assert "Le kit est prêt" in wait_done(client, url)
    assert fake.calls[0].territory == "Pays de Foix"  # spaces normalised


def test_same_options_are_built_once_and_cached(client: FlaskClient, fake: FakeBuilder) -> None:
    first = client.post("/telecharger", data=form_data(client))
    wait_done(client, first.headers["Location"])
    second = client.post("/telecharger", data=form_data(client))
    assert second.headers["Location"] == first.headers["Location"]
    assert len(fake.calls) == 1


def test_concurrent_requests_build_once(app: Flask, fake: FakeBuilder) -> None:
    fake.release.clear()
    kit = get_state(app).kit
    options = KitOptions("Couserans", decks=("postures",))
    svc = service(app)
    with ThreadPoolExecutor(8) as pool:
        views = list(pool.map(lambda _: svc.start(kit, options), range(16)))
    assert len({v.key for v in views}) == 1
    fake.release.set()
    svc.wait(views[0].key, timeout=10)
    assert len(fake.calls) == 1
    build = svc.get(views[0].key)
    assert build is not None and build.done


def test_concurrent_processes_race_on_the_unique_key(tmp_path: Path, fake_pipeline: FakeBuilder) -> None:
    # Two apps (as two gunicorn workers) on one database: one build.
    fake_pipeline.release.clear()
    apps = [make_app(tmp_path, PRINT_PIPELINE=fake_pipeline), make_app(tmp_path, PRINT_PIPELINE=fake_pipeline)]
    try:
        options = KitOptions("Couserans")
        with ThreadPoolExecutor(8) as pool:
            views = list(pool.map(lambda i: service(apps[i % 2]).start(get_state(apps[i % 2]).kit, options),
                                  range(16)))
        fake_pipeline.release.set()
        for a in apps:
            service(a).wait(views[0].key, timeout=10)
        assert len(fake_pipeline.calls) == 1
    finally:
        for a in apps:
            close_app(a)


def test_failed_build_can_be_restarted(client: FlaskClient, fake: FakeBuilder) -> None:
    fake.fail = True
    url = client.post("/telecharger", data=form_data(client)).headers["Location"]
    page = wait_done(client, url)
    assert "La construction du kit a échoué" in page and "boom" not in page
    fake.fail = False
    again = client.post("/telecharger", data=form_data(client))
    assert again.headers["Location"] == url
    assert "Le kit est prêt" in wait_done(client, url)
    assert len(fake.calls) == 2


def test_invalid_form_is_a_422_with_messages(client: FlaskClient, fake: FakeBuilder) -> None:
    response = client.post("/telecharger", data=form_data(client, territory="", decks=[]), headers=HTMX)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Indiquez le nom de votre territoire" in page and "Choisissez au moins un jeu" in page
    assert 'aria-invalid="true"' in page and "<html" not in page
    response = client.post("/telecharger", data=form_data(client, territory="<script>", paper="a3"))
    assert response.status_code == 422 and "<html" in response.get_data(as_text=True)
    assert fake.calls == []


def test_too_many_builds_is_a_429(tmp_path: Path, fake_pipeline: FakeBuilder) -> None:
    app = make_app(tmp_path, MAX_ACTIVE_BUILDS=0, PRINT_PIPELINE=fake_pipeline)
    try:
        client = app.test_client()
        response = client.post("/telecharger", data=form_data(client), headers=HTMX)
        assert response.status_code == 429
        assert response.headers["HX-Retarget"] == "#kit-erreur"
        assert "Trop de demandes" in response.get_data(as_text=True)
        assert response.headers["Retry-After"]
    finally:
        close_app(app)


def test_only_listed_files_are_served(client: FlaskClient, app: Flask, fake: FakeBuilder) -> None:
    url = client.post("/telecharger", data=form_data(client)).headers["Location"]
    wait_done(client, url)
    key = url.rsplit("/", 1)[1]
    (service(app).build_dir / key / "secret.txt").write_text("no")
    for name in ("secret.txt", "../web.sqlite3", "..%2fweb.sqlite3", "%2e%2e/%2e%2e/etc/passwd"):
        assert client.get(f"{url}/{name}").status_code == 404, name
    assert client.get("/telecharger/" + "0" * 64).status_code == 404
    assert client.get("/telecharger/not-a-key/mallette.zip").status_code == 404


def test_default_kit_is_prebuilt(tmp_path: Path, fake_pipeline: FakeBuilder) -> None:
    app = make_app(tmp_path, PREBUILD_DEFAULT_KIT=True, PRINT_PIPELINE=fake_pipeline)
    try:
        client = app.test_client()
        client.get("/")  # the first request starts it
        assert len(fake_pipeline.calls) >= 0
        svc = service(app)
        key = KitOptions(territory=DEFAULT_TERRITORY).cache_key(get_state(app).kit.content_hash)
        svc.wait(key, timeout=10)
        page = client.get("/telecharger").get_data(as_text=True)
        assert "Le kit est prêt" in page and f"/telecharger/{key}/mallette.zip" in page
        assert len(fake_pipeline.calls) == 1
    finally:
        close_app(app)


def test_prebuild_command(tmp_path: Path, fake_pipeline: FakeBuilder) -> None:
    app = make_app(tmp_path, PRINT_PIPELINE=fake_pipeline)
    try:
        result = app.test_cli_runner().invoke(args=["prebuild-kit"])
        assert result.exit_code == 0, result.output
        assert "done" in result.output and len(fake_pipeline.calls) == 1
    finally:
        close_app(app)


def test_real_pipeline_builds_a_small_kit(client: FlaskClient, app: Flask) -> None:
    data = form_data(client, territory="Couserans", decks=["postures"])
    url = client.post("/telecharger", data=data).headers["Location"]
    page = wait_done(client, url, timeout=120)
    assert "Le kit est prêt" in page, page
    links = re.findall(r'<a href="(/telecharger/[0-9a-f]+/[^"]+)" download>', page)
    assert any(link.endswith(".zip") for link in links)
    with client.get(next(link for link in links if link.endswith(".pdf"))) as pdf:
        assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_print_this_card(client: FlaskClient) -> None:
    page = client.get("/r/posture-partir-des-besoins").get_data(as_text=True)
    assert 'href="/r/posture-partir-des-besoins/carte.pdf"' in page
    assert "Carte 1 sur 2 du jeu" in page or "Carte 2 sur 2 du jeu" in page
    with client.get("/r/posture-partir-des-besoins/carte.pdf") as response:
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        assert response.data.startswith(b"%PDF")
    assert client.get("/r/posture-partir-des-besoins/carte.pdf?papier=a3").status_code == 422
    assert client.get("/r/fiche-innovation-sociale/carte.pdf").status_code == 404  # not a card
    assert client.get("/r/inconnu/carte.pdf").status_code == 404
