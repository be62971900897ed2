"""The job worker: a killed worker's build (and session report) is retried and finishes while the page shows progress,
builds queue behind busy workers, the active-build cap holds on every backend, and the queue runs
on SQLite by default and on Redis when REDIS_URL is set."""

from __future__ import annotations

import contextlib
import io
import json
import multiprocessing
import os
import re
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from french_ui import fr
from slow_pipeline import QuickPipeline, RecordingPipeline
from sqlite_template import sqlite_copy

from app import create_app, get_state
from app.jobs import get_queue, run_worker
from app.models import JobStatus
from app.printing.options import KitOptions
from app.web.builds import BuildService, TooBusy

WEB_CONTENT = Path(__file__).parents[1] / "web" / "content"
HTMX = {"HX-Request": "true"}
REDIS_URL = os.environ.get("MALLETTE_TEST_REDIS_URL")


def settings(tmp_path: Path, **extra: Any) -> dict[str, Any]:
    """An app configuration on the web test kit, in `tmp_path`."""
    values: dict[str, Any] = {
        "TESTING": True,
        "SECRET_KEY": "test",
        "DATABASE_URL": sqlite_copy(tmp_path / "jobs-test.sqlite3", WEB_CONTENT),
        "CONTENT_DIR": str(WEB_CONTENT),
        "BUILD_DIR": str(tmp_path / "builds"),
        "BASE_URL": "http://mallette.test",
        "PREBUILD_DEFAULT_KIT": False,
        "PRINT_PIPELINE": "slow_pipeline:SlowPipeline",
        "JOB_LEASE_SECONDS": 1.5,
        "JOB_REAP_INTERVAL": 0.2,
    }
    values.update(extra)
    return values


@pytest.fixture
def job_app(tmp_path: Path) -> Iterator[Flask]:
    """An app whose builds take about two seconds (the slow stand-in pipeline)."""
    app = create_app(settings(tmp_path))
    yield app
    get_state(app).engine.dispose()


def csrf(client: FlaskClient) -> str:
    """The CSRF token of the download page."""
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', client.get("/telecharger").get_data(as_text=True))
    assert match
    return match.group(1)


def ask(client: FlaskClient, territory: str) -> str:
    """Ask for a kit through the form; its page's URL."""
    data = {"territory": territory, "paper": "a4", "edition": "home", "decks": ["postures"],
            "back_offset_mm": "0", "csrf_token": csrf(client)}
    response = client.post("/telecharger", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)
    return str(response.headers["Location"])


def _worker_main(config: dict[str, Any]) -> None:
    os.setsid()  # a process group of its own, so that it can be killed whole
    run_worker(create_app(config))


def start_worker(config: dict[str, Any]) -> BaseProcess:
    """`run_worker` in a forked process with an app of its own (as `mallette worker` runs it)."""
    process = multiprocessing.get_context("fork").Process(target=_worker_main, args=(config,), daemon=False)
    process.start()
    return process


def stop_worker(process: BaseProcess, sig: int = signal.SIGKILL) -> None:
    """Signal the worker's whole process group and wait for it."""
    assert process.pid is not None
    deadline = time.monotonic() + 5
    while os.getpgid(process.pid) != process.pid and time.monotonic() < deadline:
        time.sleep(0.01)  # until its setsid() has run
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    process.join(20)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # its own workers, should any outlive it


def poll(client: FlaskClient, url: str, until: Any, timeout: float = 30) -> list[str]:
    """Poll a build page like htmx does until `until(page)`; every fragment seen."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while True:
        page = client.get(url, headers=HTMX).get_data(as_text=True)
        seen.append(page)
        if until(page):
            return seen
        assert time.monotonic() < deadline, page
        time.sleep(0.1)


def percent(page: str) -> int | None:
    """The progress a fragment shows."""
    match = re.search(r'<progress [^>]*value="(\d+)"', page)
    return int(match.group(1)) if match else None


def test_a_killed_worker_build_is_retried_and_finishes(job_app: Flask, tmp_path: Path) -> None:
    client = job_app.test_client()
    url = ask(client, "Couserans")
    config = settings(tmp_path)
    first = start_worker(config)
    try:
        before = poll(client, url, lambda page: (percent(page) or 0) >= 23)
    finally:
        stop_worker(first)  # killed mid-build: no clean-up, no last word
    key = url.rsplit("/", 1)[1]
    service: BuildService = job_app.extensions["mallette_builds"]
    build = service.get(key)
    assert build is not None and build.status == JobStatus.RUNNING and build.attempts == 1
    # The page still shows the build and keeps polling while nobody works on it.
    orphaned = client.get(url, headers=HTMX).get_data(as_text=True)
    assert "hx-trigger" in orphaned and percent(orphaned) == build.progress

    second = start_worker(config)
    try:
        after = poll(client, url, lambda page: "Le kit est prêt" in page)
    finally:
        stop_worker(second, signal.SIGTERM)
    build = service.get(key)
    assert build is not None and build.done and build.attempts == 2
    assert build.files == ("mallette.pdf", "mallette.zip")
    # Progress was visible throughout: every fragment but the last polls and shows a bar.
    for page in before + after[:-1]:
        assert "hx-trigger" in page and "<progress" in page
    assert any((percent(page) or 0) > 0 for page in before)
    assert any("Reprise après l'arrêt d'un poste de travail" in page or (percent(page) or 0) > 0 for page in after)
    with client.get(f"{url}/mallette.pdf") as download:
        assert download.data == b"%PDF-1.7 Couserans"


def test_sigterm_lets_the_running_build_finish(job_app: Flask, tmp_path: Path) -> None:
    """Stopped by SIGTERM (systemd, Docker, `mallette serve`) mid-build, the worker finishes the build
    first, then exits: nothing is left for another worker to build again."""
    client = job_app.test_client()
    url = ask(client, "Couserans")
    worker = start_worker(settings(tmp_path))
    try:
        poll(client, url, lambda page: (percent(page) or 0) >= 23)
        assert worker.pid is not None
        os.kill(worker.pid, signal.SIGTERM)  # the main process only, as systemd does
        worker.join(20)
        assert worker.exitcode == 0
    finally:
        if worker.is_alive():
            stop_worker(worker)
    build = job_app.extensions["mallette_builds"].get(url.rsplit("/", 1)[1])
    assert build is not None and build.done and build.attempts == 1, build


def test_a_build_in_the_job_worker_renders_on_several_processes(tmp_path: Path) -> None:
    # Huey's process workers are daemonic and may not fork: builds there rendered on one core.
    record = tmp_path / "renders.json"
    config = settings(tmp_path, PRINT_PIPELINE=RecordingPipeline(record), JOB_RENDER_PROCESSES=2)
    app = create_app(config)
    try:
        client = app.test_client()
        url = ask(client, "Couserans")
        worker = start_worker(config)
        try:
            poll(client, url, lambda page: "Le kit est prêt" in page or "a échoué" in page, timeout=120)
        finally:
            stop_worker(worker, signal.SIGTERM)
        build = app.extensions["mallette_builds"].get(url.rsplit("/", 1)[1])
        assert build is not None and build.done, build
        assert any(name.endswith("-mallette-complete.pdf") for name in build.files)
        recorded = json.loads(record.read_text())
        assert recorded["render_processes"] == 2
        assert recorded["pages"] > 0
    finally:
        get_state(app).engine.dispose()


def test_builds_queue_behind_a_busy_worker(job_app: Flask, tmp_path: Path) -> None:
    client = job_app.test_client()
    urls = [ask(client, name) for name in ("Couserans", "Foix", "Pamiers")]
    waiting = [client.get(url, headers=HTMX).get_data(as_text=True) for url in urls]
    assert "Votre kit est le prochain à être construit" in waiting[0]
    assert fr("1 kit est construit avant le vôtre") in waiting[1]
    assert fr("2 kits sont construits avant le vôtre") in waiting[2]
    assert all("hx-trigger" in page for page in waiting)
    worker = start_worker(settings(tmp_path, PRINT_PIPELINE="slow_pipeline:QuickPipeline"))
    try:
        for url in urls:
            poll(client, url, lambda page: "Le kit est prêt" in page)
    finally:
        stop_worker(worker, signal.SIGTERM)
    service: BuildService = job_app.extensions["mallette_builds"]
    finished = [service.get(url.rsplit("/", 1)[1]) for url in urls]
    assert all(b is not None and b.done and b.attempts == 1 for b in finished)
    times = [b.finished_at for b in finished if b is not None]
    assert times == sorted(times)  # one worker: first asked, first built


def test_active_build_cap_holds_under_concurrency(database_url: str, tmp_path: Path) -> None:
    app = create_app(settings(tmp_path, DATABASE_URL=database_url, MAX_QUEUED_BUILDS=3))
    try:
        service: BuildService = app.extensions["mallette_builds"]
        kit = get_state(app).kit
        outcomes: list[str] = []
        lock = threading.Lock()

        def request(index: int) -> None:
            try:
                service.request(kit, KitOptions(f"Territoire {index}"))
                result = "queued"
            except TooBusy:
                result = "busy"
            with lock:
                outcomes.append(result)

        threads = [threading.Thread(target=request, args=(i,)) for i in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert sorted(outcomes) == ["busy"] * 7 + ["queued"] * 3
        from app.jobs import count_active

        assert count_active(get_state(app).engine) == 3
    finally:
        get_state(app).engine.dispose()


def test_the_default_queue_is_a_sqlite_file_beside_the_database(job_app: Flask) -> None:
    queue = get_queue(job_app)
    assert queue.backend == "sqlite"
    database = Path(job_app.config["DATABASE_URL"].split("///", 1)[1])
    assert Path(job_app.config["JOB_QUEUE_FILE"]) == database.with_name("jobs-test.jobs.sqlite3")
    assert Path(job_app.config["JOB_QUEUE_FILE"]).is_file()


@pytest.mark.skipif(not REDIS_URL, reason="MALLETTE_TEST_REDIS_URL is not set (.ci/run sets it when Redis answers)")
def test_the_queue_runs_on_redis_when_redis_url_is_set(tmp_path: Path) -> None:
    assert REDIS_URL is not None
    app = create_app(settings(tmp_path, REDIS_URL=REDIS_URL, JOB_QUEUE_NAME=f"mallette-test-{uuid.uuid4().hex}",
                              PRINT_PIPELINE=QuickPipeline()))
    queue = get_queue(app)
    try:
        assert queue.backend == "redis"
        client = app.test_client()
        url = ask(client, "Couserans")
        assert queue.pending() == 1  # the message is in Redis
        with queue.thread_worker():
            poll(client, url, lambda page: "Le kit est prêt" in page)
        assert queue.pending() == 0
    finally:
        queue.huey.flush()
        get_state(app).engine.dispose()


def test_the_worker_threads_look_at_an_idle_sqlite_queue_at_least_twice_a_second(job_app: Flask) -> None:
    # Huey backs off to one look every 10 s: an idle worker made the next build wait that long.
    consumer = get_queue(job_app).consumer(workers=2)
    workers = [worker for worker, _thread in consumer.worker_threads]
    assert len(workers) == 2 and all(isinstance(t, threading.Thread) for _w, t in consumer.worker_threads)
    assert all(worker.max_delay <= 0.5 for worker in workers)


def test_worker_command_help(job_app: Flask) -> None:
    result = job_app.test_cli_runner().invoke(args=["worker", "--help"])
    assert result.exit_code == 0
    assert "--workers" in result.output


# -- the session report PDF: the worker killed mid-report -------------------------------------------


def _half_writing_worker_main(config: dict[str, Any], marker: str) -> None:
    """A worker on a slow disk: writing a report PDF stops half-way (and signals it) until killed."""
    real_write = Path.write_bytes

    def slow_write(self: Path, data: bytes) -> int:  # type: ignore[override]
        if self.parent.name != "reports":
            return real_write(self, data)
        with self.open("wb") as handle:
            handle.write(data[: len(data) // 2])
            handle.flush()
            os.fsync(handle.fileno())
        Path(marker).write_text(str(self))
        time.sleep(60)  # killed here
        return real_write(self, data)

    Path.write_bytes = slow_write  # type: ignore[method-assign]
    _worker_main(config)


def test_a_worker_killed_mid_report_is_retried_and_serves_one_whole_pdf(tmp_path: Path) -> None:
    import pikepdf
    from factools import create_user, sign_in
    from live_factory import planned_session
    from sqlmodel import Session, select

    from app.db import write_session
    from app.models import Note, ReportPdf

    config = settings(tmp_path)
    app = create_app(config)
    try:
        engine = get_state(app).engine
        user = create_user(app, "anim@example.org")
        made = planned_session(engine, member_id=user.id)
        with write_session(engine) as db:
            for index in range(4):
                db.add(Note(meeting_id=made.meeting_id, client_key=f"note-{index}", dimension_id="dim-cooperation",
                            text=f"Observation {index} : le lieu partagé compte."))
        client = app.test_client()
        assert sign_in(client, "anim@example.org").status_code == 303
        page = f"/seances/{made.meeting_id}/rapport"
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(page).get_data(as_text=True))
        assert token
        response = client.post(f"{page}/pdf", data={"csrf_token": token.group(1)})
        assert response.status_code == 303

        marker = tmp_path / "half-written"
        process = multiprocessing.get_context("fork").Process(
            target=_half_writing_worker_main, args=(config, str(marker)), daemon=False)
        process.start()
        try:
            deadline = time.monotonic() + 60
            while not marker.exists():
                assert time.monotonic() < deadline and process.is_alive(), "the report never got written"
                time.sleep(0.05)
        finally:
            stop_worker(process)  # SIGKILL while the PDF is half on disk
        partial = Path(marker.read_text())
        assert partial.exists() and partial.name.startswith(".")  # the half-written file, under a hidden name
        with Session(engine) as db:
            row = db.exec(select(ReportPdf)).one()
        assert row.status == JobStatus.RUNNING and row.attempts == 1
        reports = Path(config["BUILD_DIR"]) / "reports"
        assert not (reports / f"{row.key}.pdf").exists()  # nothing under the served name
        assert client.get(f"{page}/{row.id}.pdf").status_code == 404
        assert 'hx-trigger="every 2s"' in client.get(page).get_data(as_text=True)  # the page keeps waiting

        second = start_worker(config)
        try:
            deadline = time.monotonic() + 60
            while True:
                with Session(engine) as db:
                    row = db.exec(select(ReportPdf)).one()
                if row.status not in (JobStatus.QUEUED, JobStatus.RUNNING):
                    break
                assert time.monotonic() < deadline, row
                time.sleep(0.1)
        finally:
            stop_worker(second, signal.SIGTERM)
        assert row.status == JobStatus.DONE and row.attempts == 2, row
        assert sorted(p.name for p in reports.iterdir()) == [f"{row.key}.pdf"]  # no duplicate, no half file left
        download = client.get(f"{page}/{row.id}.pdf")
        assert download.status_code == 200 and download.mimetype == "application/pdf"
        assert download.data == (reports / row.file).read_bytes()
        assert len(pikepdf.open(io.BytesIO(download.data)).pages) == row.pages >= 1  # a whole PDF
        assert f"/rapport/{row.id}.pdf" in client.get(page).get_data(as_text=True)
    finally:
        get_state(app).engine.dispose()
