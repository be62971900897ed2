"""Territory kit builds: the form, queued builds run by the job worker with visible progress,
caching, one build per key, retention, safe file serving.

The flow is tested against a stand-in for the print pipeline (fast, controllable) injected through
`PRINT_PIPELINE`, with the job queue run in a thread of the test process; the real pipeline builds a
small kit once.
"""

from __future__ import annotations

import re
import shutil
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from french_ui import fr
from sqlalchemy import update
from sqlmodel import Session, select
from webtools import BASE_URL, HTMX, WEB_CONTENT, close_app, csrf_token, make_app

from app import get_state
from app.jobs import get_queue
from app.models import JobStatus, KitBuild
from app.printing.options import KitOptions, KitResult, Step
from app.web.builds import BuildService, build_key
from app.web.downloads import DEFAULT_TERRITORY
from app.web.printing_api import PrintingPipeline


class FakeBuilder(PrintingPipeline):
    """The real pipeline, but for `build_kit`: counts builds, can be held or made to fail."""

    def __init__(self) -> None:
        self.calls: list[KitOptions] = []
        self.workers: list[int | None] = []
        self.release = threading.Event()
        self.release.set()
        self.fail = False

    def build_kit(self, kit: Any, options: KitOptions, out_dir: Path, **kwargs: Any) -> Any:
        """Write three small files, reporting progress."""
        self.calls.append(options)
        self.workers.append(kwargs["workers"])
        assert set(kwargs) == {"base_url", "print_dir", "cards_dir", "progress", "workers", "cache_budget_bytes"}
        assert kwargs["cache_budget_bytes"] == 512 * 1024 * 1024  # PRINT_CACHE_MB
        kwargs["progress"](10, Step.PREPARING, {})
        assert self.release.wait(10)
        if self.fail:
            raise RuntimeError("boom")
        out_dir.mkdir(parents=True, exist_ok=True)
        names = [f"{deck}.pdf" for deck in (options.decks or ("postures",))]
        for name in [*names, "mallette.pdf", "mallette.zip"]:
            (out_dir / name).write_bytes(b"%PDF-1.7 " + name.encode())
        kwargs["progress"](90, Step.ZIPPING, {})
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
    return fake_pipeline


@pytest.fixture
def worker(app: Flask) -> Iterator[None]:
    """The job queue of the `app` fixture, run in a thread while the test runs."""
    with get_queue(app).thread_worker():
        yield


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


def rows(app: Flask) -> list[KitBuild]:
    """Every kit_build row."""
    with Session(get_state(app).engine) as session:
        return list(session.exec(select(KitBuild).order_by(KitBuild.id)).all())  # type: ignore[arg-type]


def wait_status(app: Flask, key: str, status: JobStatus, timeout: float = 20) -> None:
    """Wait until the build with this key reaches `status`."""
    deadline = time.monotonic() + timeout
    while (build := service(app).get(key)) is None or build.status != status:
        assert time.monotonic() < deadline, build
        time.sleep(0.05)


def test_form_lists_the_decks(client: FlaskClient) -> None:
    page = client.get("/telecharger").get_data(as_text=True)
    assert 'name="decks" value="postures"' in page and 'name="territory"' in page
    assert re.search(r'<form class="kit-form" method="post" action="/telecharger"', page)


def test_build_flow_without_javascript(client: FlaskClient, fake: FakeBuilder, worker: None) -> None:
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


def test_build_flow_with_htmx_shows_progress(client: FlaskClient, fake: FakeBuilder, worker: None) -> None:
    fake.release.clear()
    response = client.post("/telecharger", data=form_data(client, territory="Pays  de   Foix"),
                           headers=HTMX)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<html" not in page and "<progress" in page and 'hx-trigger="load delay:1s"' in page
    url = response.headers["HX-Push-Url"]
    deadline = time.monotonic() + 10
    while fr("10 %") not in (page := client.get(url, headers=HTMX).get_data(as_text=True)):
        assert time.monotonic() < deadline, page
        time.sleep(0.05)
    assert "Construction en cours" in page
    fake.release.set()
    assert "Le kit est prêt" in wait_done(client, url)
    assert fake.calls[0].territory == "Pays de Foix"  # spaces normalised


def test_same_options_are_built_once_and_cached(client: FlaskClient, fake: FakeBuilder, worker: None) -> None:
    first = client.post("/telecharger", data=form_data(client))
    wait_done(client, first.headers["Location"])
    second = client.post("/telecharger", data=form_data(client))
    assert second.headers["Location"] == first.headers["Location"]
    assert len(fake.calls) == 1


def test_concurrent_requests_build_once(app: Flask, fake: FakeBuilder) -> None:
    kit = get_state(app).kit
    options = KitOptions("Couserans", decks=("postures",))
    svc = service(app)
    with ThreadPoolExecutor(8) as pool:
        views = list(pool.map(lambda _: svc.request(kit, options), range(16)))
    assert len({v.key for v in views}) == 1
    assert get_queue(app).pending() == 1  # sent to the workers once
    with get_queue(app).thread_worker():
        wait_status(app, views[0].key, JobStatus.DONE)
    assert len(fake.calls) == 1


def test_concurrent_processes_race_on_the_unique_key(tmp_path: Path, fake_pipeline: FakeBuilder) -> None:
    # Two apps (as two gunicorn workers) on one database and one queue: one build.
    apps = [make_app(tmp_path, PRINT_PIPELINE=fake_pipeline), make_app(tmp_path, PRINT_PIPELINE=fake_pipeline)]
    try:
        options = KitOptions("Couserans")
        with ThreadPoolExecutor(8) as pool:
            views = list(pool.map(lambda i: service(apps[i % 2]).request(get_state(apps[i % 2]).kit, options),
                                  range(16)))
        with get_queue(apps[0]).thread_worker(), get_queue(apps[1]).thread_worker():
            wait_status(apps[1], views[0].key, JobStatus.DONE)
        assert len(fake_pipeline.calls) == 1
    finally:
        for a in apps:
            close_app(a)


def test_builds_beyond_the_workers_wait_in_the_queue(client: FlaskClient, app: Flask, fake: FakeBuilder) -> None:
    urls = [client.post("/telecharger", data=form_data(client, territory=name)).headers["Location"]
            for name in ("Couserans", "Foix", "Pamiers")]
    assert len(set(urls)) == 3
    pages = [client.get(url, headers=HTMX).get_data(as_text=True) for url in urls]
    assert "Votre kit est le prochain à être construit" in pages[0]
    assert fr("1 kit est construit avant le vôtre") in pages[1]
    assert fr("2 kits sont construits avant le vôtre") in pages[2]
    with get_queue(app).thread_worker():
        for url in urls:
            assert "Le kit est prêt" in wait_done(client, url)
    assert [options.territory for options in fake.calls] == ["Couserans", "Foix", "Pamiers"]


def test_failed_build_can_be_restarted(client: FlaskClient, fake: FakeBuilder, worker: None) -> None:
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


def test_a_full_queue_is_a_429(tmp_path: Path, fake_pipeline: FakeBuilder) -> None:
    app = make_app(tmp_path, MAX_QUEUED_BUILDS=1, PRINT_PIPELINE=fake_pipeline)
    try:
        client = app.test_client()
        assert client.post("/telecharger", data=form_data(client)).status_code == 303
        response = client.post("/telecharger", data=form_data(client, territory="Foix"), headers=HTMX)
        assert response.status_code == 429
        assert response.headers["HX-Retarget"] == "#kit-erreur"
        assert "Trop de demandes" in response.get_data(as_text=True)
        assert response.headers["Retry-After"]
    finally:
        close_app(app)



def test_one_address_asks_for_at_most_twenty_kits_an_hour(tmp_path: Path, fake_pipeline: FakeBuilder) -> None:
    """Each kit may take the print worker's cores: one address asking for more is told to wait, in
    the form's own message slot (the form stays as typed); a form sent back with errors costs none."""
    from app.web.limits import limiter

    app = make_app(tmp_path, PRINT_PIPELINE=fake_pipeline)
    try:
        limiter.reset()
        client = app.test_client()
        for _ in range(3):
            assert client.post("/telecharger", data=form_data(client, territory="")).status_code == 422
        answers = [client.post("/telecharger", data=form_data(client, territory=f"Lieu {n % 3}")).status_code
                   for n in range(20)]
        assert answers == [303] * 20
        refused = client.post("/telecharger", data=form_data(client, territory="Foix"), headers=HTMX)
        assert refused.status_code == 429 and refused.headers["HX-Retarget"] == "#kit-erreur"
        assert "Trop de demandes" in refused.get_data(as_text=True) and refused.headers["Retry-After"]
        other = app.test_client()  # another address is not held up
        assert other.post("/telecharger", data=form_data(other, territory="Foix"),
                          environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 303
    finally:
        limiter.reset()
        close_app(app)

def test_only_listed_files_are_served(client: FlaskClient, app: Flask, fake: FakeBuilder, worker: None) -> None:
    url = client.post("/telecharger", data=form_data(client)).headers["Location"]
    wait_done(client, url)
    key = url.rsplit("/", 1)[1]
    (service(app).build_dir / key / "secret.txt").write_text("no")
    for name in ("secret.txt", "../web.sqlite3", "..%2fweb.sqlite3", "%2e%2e/%2e%2e/etc/passwd"):
        assert client.get(f"{url}/{name}").status_code == 404, name
    assert client.get("/telecharger/" + "0" * 64).status_code == 404
    assert client.get("/telecharger/not-a-key/mallette.zip").status_code == 404


def test_pages_never_start_a_build_the_worker_prebuilds(tmp_path: Path, fake_pipeline: FakeBuilder) -> None:
    app = make_app(tmp_path, PREBUILD_DEFAULT_KIT=True, PRINT_PIPELINE=fake_pipeline)
    try:
        client = app.test_client()
        for path in ("/", "/telecharger", "/r/posture-partir-des-besoins"):
            assert client.get(path).status_code == 200
        assert rows(app) == []
        assert fr("Le kit n'est pas disponible pour le moment") in client.get("/telecharger").get_data(as_text=True)
        svc = service(app)
        with app.app_context():
            svc.ensure_default(app)  # what `mallette worker` does when it starts
        key = build_key(KitOptions(territory=DEFAULT_TERRITORY), get_state(app).kit.content_hash, BASE_URL)
        with get_queue(app).thread_worker():
            wait_status(app, key, JobStatus.DONE)
        page = client.get("/telecharger").get_data(as_text=True)
        assert "Le kit est prêt" in page and f"/telecharger/{key}/mallette.zip" in page
        assert len(fake_pipeline.calls) == 1
    finally:
        close_app(app)



def test_a_content_change_queues_the_prebuilt_kit_of_the_new_content(tmp_path: Path,
                                                                       fake_pipeline: FakeBuilder) -> None:
    """After an export of proposals changes the content, the download page's ready-made kit (of the
    old content) would be missing until the worker restarts: the new one is queued at once."""
    from app.jobs import content_changed

    content = tmp_path / "content"
    shutil.copytree(WEB_CONTENT, content)
    app = make_app(tmp_path, PREBUILD_DEFAULT_KIT=True, PRINT_PIPELINE=fake_pipeline, CONTENT_DIR=str(content))
    try:
        with app.app_context():
            service(app).ensure_default(app)
            content_changed(app)  # nothing changed: nothing more is queued
        assert len(rows(app)) == 1
        glossary = next(content.rglob("notion-*.md"))
        glossary.write_text(glossary.read_text(encoding="utf-8") + "\nUne phrase ajoutée.\n", encoding="utf-8")
        with app.app_context():
            content_changed(app)
        kit = get_state(app).kit
        key = build_key(KitOptions(territory=DEFAULT_TERRITORY), kit.content_hash, BASE_URL)
        assert len(rows(app)) == 2 and key in {row.key for row in rows(app)}
        with get_queue(app).thread_worker():
            wait_status(app, key, JobStatus.DONE)
        assert "Le kit est prêt" in app.test_client().get("/telecharger").get_data(as_text=True)
    finally:
        close_app(app)

def test_a_failed_default_kit_stays_failed(tmp_path: Path, fake_pipeline: FakeBuilder) -> None:
    fake_pipeline.fail = True
    app = make_app(tmp_path, PREBUILD_DEFAULT_KIT=True, PRINT_PIPELINE=fake_pipeline)
    try:
        runner = app.test_cli_runner()
        result = runner.invoke(args=["prebuild-kit"])
        assert result.exit_code == 1 and "failed" in result.output
        client = app.test_client()
        for _ in range(3):
            assert "La construction du kit a échoué" in client.get("/telecharger").get_data(as_text=True)
        with app.app_context():
            service(app).ensure_default(app)  # a worker start does not retry it either
        assert rows(app)[0].status == JobStatus.FAILED and len(fake_pipeline.calls) == 1
        fake_pipeline.fail = False
        result = runner.invoke(args=["prebuild-kit"])  # the explicit command does
        assert result.exit_code == 0, result.output
        assert "done" in result.output and len(fake_pipeline.calls) == 2
    finally:
        close_app(app)


def test_prebuild_command(tmp_path: Path, fake_pipeline: FakeBuilder) -> None:
    app = make_app(tmp_path, PRINT_PIPELINE=fake_pipeline)
    try:
        result = app.test_cli_runner().invoke(args=["prebuild-kit"])
        assert result.exit_code == 0, result.output
        assert "done (3 fichiers)" in result.output and len(fake_pipeline.calls) == 1
        assert fake_pipeline.workers == [None]  # the command renders with every core
        assert [row.status for row in rows(app)] == [JobStatus.DONE]
    finally:
        close_app(app)


def test_progress_is_worded_in_the_readers_language(client: FlaskClient, app: Flask, fake: FakeBuilder) -> None:
    url = client.post("/telecharger", data=form_data(client)).headers["Location"]
    with get_state(app).engine.begin() as connection:
        connection.execute(update(KitBuild).values(status="running", progress=40, message="part-done",
                                                   message_params={"part": "deck", "deck": "Postures"}))
    assert fr("40 % · Jeu « Postures » composé") in client.get(url).get_data(as_text=True)
    client.set_cookie("lang", "en")
    page = client.get(url).get_data(as_text=True)
    assert "40% · Deck “Postures” rendered" in page and "composé" not in page


def test_old_builds_expire_past_the_disk_budget(tmp_path: Path, fake_pipeline: FakeBuilder) -> None:
    app = make_app(tmp_path, BUILDS_MB=0, PRINT_PIPELINE=fake_pipeline)
    try:
        client = app.test_client()
        kit = get_state(app).kit
        svc = service(app)
        with app.app_context():
            default = svc.build_now(kit, KitOptions(territory=DEFAULT_TERRITORY))
        urls = []
        with get_queue(app).thread_worker():
            for name in ("Couserans", "Foix"):
                urls.append(client.post("/telecharger", data=form_data(client, territory=name)).headers["Location"])
                wait_done(client, urls[-1])
        statuses = {row.key: row.status for row in rows(app)}
        # Over budget: every build but the newest and the prebuilt kit went, folder and all.
        assert statuses[default.key] == JobStatus.DONE
        assert statuses[urls[0].rsplit("/", 1)[1]] == JobStatus.EXPIRED
        assert not (svc.build_dir / urls[0].rsplit("/", 1)[1]).exists()
        page = client.get(urls[0]).get_data(as_text=True)
        assert "Ce kit a été supprimé pour faire de la place" in page and "Reconstruire ce kit" in page
        with get_queue(app).thread_worker():
            again = client.post("/telecharger", data=form_data(client, territory="Couserans"))
            assert again.headers["Location"] == urls[0]
            assert "Le kit est prêt" in wait_done(client, urls[0])
    finally:
        close_app(app)


def test_download_page_shows_the_qr_address(tmp_path: Path) -> None:
    for base, loopback in (("http://localhost:5000", True), ("http://127.0.0.1:5100", True),
                           ("http://192.168.1.20:5000", False), ("https://mallette.example", False)):
        app = make_app(tmp_path / base.split("//")[1].replace(":", "-"), BASE_URL=base)
        try:
            page = app.test_client().get("/telecharger").get_data(as_text=True)
            assert f"mènent à {base}" in page
            assert (fr("ne s'ouvriront que sur cet ordinateur") in page) is loopback
            assert ("mallette serve --lan" in page) is loopback
        finally:
            close_app(app)


def test_real_pipeline_builds_a_small_kit(client: FlaskClient, app: Flask, worker: None) -> None:
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
    assert fr("Carte 1 sur 2 du jeu") in page or fr("Carte 2 sur 2 du jeu") in page
    with client.get("/r/posture-partir-des-besoins/carte.pdf") as response:
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        assert response.data.startswith(b"%PDF")
    assert client.get("/r/posture-partir-des-besoins/carte.pdf?papier=a3").status_code == 422
    assert client.get("/r/fiche-innovation-sociale/carte.pdf").status_code == 404  # not a card
    assert client.get("/r/inconnu/carte.pdf").status_code == 404
