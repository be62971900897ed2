"""Background jobs: long work (kit builds now; agenda and session-report PDFs next) runs in the job
worker (`mallette worker`), never in a web worker.

The queue is Huey: a SQLite file beside the database by default (nothing to install on a laptop),
Redis when `REDIS_URL` is set (hosted). The queue only carries "run job <kind> <id>"; the job's
state lives in its database row (`app.models.JobState` columns), so every web worker sees its
status and progress:

- a web request inserts (or re-queues) the row, then `JobQueue.enqueue`s it;
- the worker claims the row with a conditional UPDATE (`queued` -> `running`, one more attempt),
  holds a lease on it that a heartbeat thread renews, reports progress as a code with parameters
  (the web layer words it in the reader's language), and marks it `done` or `failed`;
- a worker that dies stops renewing its lease: the reaper (in every worker's main loop) puts the
  job back in the queue within seconds, up to `MAX_ATTEMPTS` attempts.

Adding a job kind: give its table the `JobState` columns (`class AgendaPdf(JobState, table=True)`),
write `run(app, row, report) -> dict` (the column values to store once done; `report(percent,
code, params)` records progress), and `JobQueue.register(JobKind("agenda-pdf", AgendaPdf, run))`
in `init_jobs`; the web layer inserts a row and calls `enqueue("agenda-pdf", row.id)`.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from huey import RedisHuey, SqliteHuey
from huey.api import Huey
from huey.consumer import Consumer
from sqlalchemy import func, update
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel, select

from .clock import Clock, SystemClock
from .db import StaleVersion, read_session, update_if_version, write_session
from .models import JobStatus, KitBuild

log = logging.getLogger(__name__)

#: A job is tried this many times (a worker that dies mid-job counts as an attempt).
MAX_ATTEMPTS = 3
#: Seconds a claim stays valid without a heartbeat (the heartbeat renews it three times as often).
LEASE_SECONDS = 30.0
#: How often (seconds) a worker looks for jobs whose worker died.
REAP_INTERVAL = 5.0
#: Seconds a stopping worker lets its running jobs finish (systemd's unit waits 60 s, deploy/).
SHUTDOWN_SECONDS = 50.0
#: Longest wait (seconds) between two looks at a queue that cannot block (SQLite): Huey's default
#: backs off to 10 s, which an idle worker would add to the first build asked for.
POLL_SECONDS = 0.5

#: Progress and error codes of the job machinery itself (kinds add their own).
WAITING = "waiting"
RETRYING = "retrying"
WORKER_LOST = "worker-lost"
FAILED = "failed"
STALE_CONTENT = "stale-content"

Report = Callable[[int, str, dict[str, Any]], None]


@dataclass(frozen=True)
class JobKind:
    """One kind of job: its table (with the `JobState` columns) and what running one does."""

    name: str
    model: type[SQLModel]
    #: run(app, row, report) -> column values to set once done.
    run: Callable[[Flask, Any, Report], dict[str, Any]]


class JobError(Exception):
    """A job failed for a reason worth recording as a code (shown to people, translated)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(detail or code)
        self.code = code


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


class JobQueue:
    """The app's Huey queue, its job kinds, and the claim/lease/progress bookkeeping."""

    def __init__(self, app: Flask, engine: Engine, *, clock: Clock | None = None) -> None:
        self.app = app
        self.engine = engine
        self.clock: Clock = clock or SystemClock()
        config = app.config
        self.lease = float(config.get("JOB_LEASE_SECONDS", LEASE_SECONDS))
        self.reap_interval = float(config.get("JOB_REAP_INTERVAL", REAP_INTERVAL))
        self.max_attempts = int(config.get("JOB_MAX_ATTEMPTS", MAX_ATTEMPTS))
        #: Processes a kit build may render with: `JOB_RENDER_PROCESSES` (None: every core) in
        #: `mallette worker`, one in `thread_worker` (tests, development).
        self.render_workers: int | None = 1
        self.worker_render_processes: int | None = (
            int(config["JOB_RENDER_PROCESSES"]) if config.get("JOB_RENDER_PROCESSES") else None
        )
        self.huey = make_huey(config)
        self.kinds: dict[str, JobKind] = {}
        self._task = self.huey.task(name="mallette.run_job")(self.run)

    @property
    def backend(self) -> str:
        """"redis" or "sqlite"."""
        return "redis" if isinstance(self.huey, RedisHuey) else "sqlite"

    def register(self, kind: JobKind) -> None:
        """Make a job kind runnable."""
        self.kinds[kind.name] = kind

    # -- the web side ---------------------------------------------------------------------------

    def enqueue(self, kind: str, row_id: int) -> None:
        """Put "run job <kind> <row_id>" in the queue (the row is already `queued`)."""
        if kind not in self.kinds:
            raise KeyError(kind)
        self._task(kind, row_id)

    def pending(self) -> int:
        """Messages waiting in the queue."""
        return int(self.huey.pending_count())

    # -- the worker side ------------------------------------------------------------------------

    def run(self, kind_name: str, row_id: int) -> None:
        """The Huey task: claim the row, run the job under a lease, record how it ended."""
        kind = self.kinds[kind_name]
        attempt = self.claim(kind, row_id)
        if attempt is None:
            return  # done, running elsewhere, or given up
        model: Any = kind.model
        stop = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(kind, row_id, attempt, stop), daemon=True,
                                name=f"lease-{kind_name}-{row_id}")
        beat.start()
        last: list[Any] = [None]

        def report(percent: int, code: str, params: dict[str, Any]) -> None:
            percent = max(0, min(int(percent), 99))
            state = (percent, str(code), params)
            if state != last[0]:
                last[0] = state
                self._update(kind, row_id, attempt, progress=percent, message=str(code)[:500],
                             message_params=_plain(params))

        try:
            with read_session(self.engine) as session:
                row = session.get(model, row_id)
            values = kind.run(self.app, row, report)
            self._update(kind, row_id, attempt, status=JobStatus.DONE, progress=100, message="",
                         message_params={}, error="", lease_until=None, finished_at=self.clock.now(), **values)
        except Exception as exc:
            code = exc.code if isinstance(exc, JobError) else FAILED
            log.exception("%s job %s failed (attempt %d)", kind_name, row_id, attempt)
            self._update(kind, row_id, attempt, status=JobStatus.FAILED, error=code[:100], lease_until=None,
                         finished_at=self.clock.now())
        finally:
            stop.set()
            beat.join(5)

    def claim(self, kind: JobKind, row_id: int) -> int | None:
        """Take a queued row (or one whose lease ran out); return this attempt's number, or None."""
        model: Any = kind.model
        now = self.clock.now()
        try:
            with write_session(self.engine) as session:
                row = session.get(model, row_id)
                if row is None:
                    return None
                lost = row.status == JobStatus.RUNNING and (row.lease_until is None or row.lease_until < now)
                if row.status != JobStatus.QUEUED and not lost:
                    return None
                if row.attempts >= self.max_attempts:
                    update_if_version(session, model, row_id, row.version, status=JobStatus.FAILED,
                                      error=WORKER_LOST, lease_until=None, finished_at=now)
                    return None
                attempt = row.attempts + 1
                update_if_version(
                    session, model, row_id, row.version, status=JobStatus.RUNNING, attempts=attempt,
                    lease_until=now + timedelta(seconds=self.lease), worker=_worker_name(), started_at=now,
                    progress=0, message=RETRYING if attempt > 1 else "", message_params={}, error="",
                )
                return attempt
        except StaleVersion:
            return None  # another worker claimed it first

    def _update(self, kind: JobKind, row_id: int, attempt: int, **values: Any) -> bool:
        """Write to a running row, only if it is still this attempt's (a lost worker writes nothing)."""
        model: Any = kind.model
        if values.get("status") is None and "lease_until" not in values:
            values["lease_until"] = self.clock.now() + timedelta(seconds=self.lease)
        with write_session(self.engine) as session:
            result = session.execute(
                update(model)
                .where(model.id == row_id, model.attempts == attempt, model.status == JobStatus.RUNNING)
                .values(**values)
            )
            return getattr(result, "rowcount", 0) == 1

    def _heartbeat(self, kind: JobKind, row_id: int, attempt: int, stop: threading.Event) -> None:
        while not stop.wait(self.lease / 3):
            try:
                model: Any = kind.model
                with write_session(self.engine) as session:
                    session.execute(
                        update(model)
                        .where(model.id == row_id, model.attempts == attempt, model.status == JobStatus.RUNNING)
                        .values(lease_until=self.clock.now() + timedelta(seconds=self.lease))
                    )
            except Exception:  # a missed beat is retried; the lease outlives two of them
                log.exception("heartbeat of %s job %s", kind.name, row_id)

    def reap(self, *, queued_too: bool = False) -> int:
        """Queue again the jobs whose worker died (lease run out); with `queued_too`, also re-send
        every queued job (a worker starting: a message may have been lost). Returns how many."""
        now = self.clock.now()
        count = 0
        for kind in self.kinds.values():
            model: Any = kind.model
            with write_session(self.engine) as session:
                lost = session.exec(
                    select(model).where(model.status == JobStatus.RUNNING, model.lease_until < now)
                ).all()
                requeued = []
                for row in lost:
                    try:
                        if row.attempts >= self.max_attempts:
                            update_if_version(session, model, row.id, row.version, status=JobStatus.FAILED,
                                              error=WORKER_LOST, lease_until=None, finished_at=now)
                        else:
                            update_if_version(session, model, row.id, row.version, status=JobStatus.QUEUED,
                                              message=RETRYING, message_params={}, lease_until=None)
                            requeued.append(row.id)
                    except StaleVersion:
                        continue
                if queued_too:
                    requeued += [row.id for row in session.exec(
                        select(model).where(model.status == JobStatus.QUEUED)).all()]
            for row_id in dict.fromkeys(requeued):
                log.warning("%s job %s queued again", kind.name, row_id)
                self.enqueue(kind.name, row_id)
                count += 1
        return count

    def consumer(self, workers: int = 1) -> Consumer:
        """The Huey consumer of `mallette worker`: `workers` threads of one process, each kit build
        rendering its parts in forked processes (every core unless `JOB_RENDER_PROCESSES` says)."""
        self.render_workers = self.worker_render_processes
        return JobConsumer(self, workers=workers)

    @contextmanager
    def thread_worker(self, poll: float = 0.05) -> Iterator[threading.Thread]:
        """Run the queue in a thread of this process while the block runs (tests, development)."""
        stop = threading.Event()
        self.render_workers = 1  # test kits are small: they render in this process

        def loop() -> None:
            next_reap = 0.0
            while not stop.is_set():
                if time.monotonic() >= next_reap:
                    self._safe_reap()
                    next_reap = time.monotonic() + self.reap_interval
                task = self.huey.dequeue()
                if task is None:
                    stop.wait(poll)
                    continue
                self.huey.execute(task)

        thread = threading.Thread(target=loop, name="job-worker", daemon=True)
        thread.start()
        try:
            yield thread
        finally:
            stop.set()
            thread.join(30)

    def _safe_reap(self) -> None:
        try:
            self.reap()
        except Exception:
            log.exception("cannot look for lost jobs")


class JobConsumer(Consumer):
    """Huey's consumer, whose main loop also queues again the jobs of dead workers.

    Its workers are threads: Huey's process workers are daemonic, and a daemonic process may not
    fork, so a kit build there would render on one core. From a thread, a build forks its render
    processes (`app.printing.parallel`: fresh locks in each) and uses every core. The work is in
    those processes and in C libraries; the threads mostly wait.

    SIGTERM (systemd, Docker, `mallette serve`) stops it as Ctrl-C does: no job is taken any more,
    running ones finish (at most `JOB_SHUTDOWN_SECONDS`), then the worker exits. Huey's own
    SIGTERM stops at once, and a thread cannot be interrupted: the process would exit under the
    running job, which would wait for its lease to run out to be built again from the start.
    A second signal stops at once.
    """

    def __init__(self, queue: JobQueue, workers: int) -> None:
        poll = float(queue.app.config.get("JOB_POLL_SECONDS", POLL_SECONDS))
        timeout = float(queue.app.config.get("JOB_SHUTDOWN_SECONDS", SHUTDOWN_SECONDS))
        super().__init__(queue.huey, workers=workers, worker_type="thread", periodic=False,
                         health_check_interval=1, initial_delay=min(0.1, poll), max_delay=poll,
                         shutdown_timeout=timeout)
        # Huey's table of signals: (restart, graceful).
        self._signal_actions[signal.SIGTERM] = (False, True)
        self.queue = queue
        self._next_reap = 0.0

    def loop(self, health_check_ts: float | None = None) -> float | None:
        """One turn of the main loop (every 0.1 s or so)."""
        now = time.monotonic()
        if now >= self._next_reap:
            self._next_reap = now + self.queue.reap_interval
            self.queue._safe_reap()
        result: float | None = super().loop(health_check_ts)
        return result


def make_huey(config: Any) -> Huey:
    """Redis when `REDIS_URL` is set, else a SQLite file (`JOB_QUEUE_FILE`)."""
    name = str(config.get("JOB_QUEUE_NAME") or "mallette")
    redis_url = config.get("REDIS_URL")
    if redis_url:
        return RedisHuey(name, url=str(redis_url), results=False)
    path = Path(str(config["JOB_QUEUE_FILE"]))
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=str(path), results=False)


def default_queue_file(database_url: str, instance: Path) -> Path:
    """Beside a SQLite database (`x.sqlite3` -> `x.jobs.sqlite3`), else in the instance folder."""
    from .config import beside_database

    return beside_database(database_url, instance, "jobs")


def _plain(params: dict[str, Any]) -> dict[str, Any]:
    return {str(k): v if isinstance(v, int | float | bool) or v is None else str(v) for k, v in params.items()}


# == kit builds =====================================================================================


def run_kit_build(app: Flask, row: KitBuild, report: Report) -> dict[str, Any]:
    """Build a territory kit into `BUILD_DIR/<key>/` (through a temporary folder); its file names."""
    from . import get_state
    from .printing.options import KitOptions
    from .web.printing_api import pipeline

    state = get_state(app)
    state.refresh()
    kit = state.kit
    data = dict(row.options)
    content = data.pop("content", None)
    if content is not None and content != kit.content_hash:
        raise JobError(STALE_CONTENT, "the content changed since the build was asked for")
    options = KitOptions(
        territory=str(data["territory"]), paper=str(data["paper"]), edition=str(data["edition"]),
        decks=tuple(data.get("decks") or ()), back_offset_mm=float(data.get("back_offset_mm") or 0.0),
        cards=tuple(data.get("cards") or ()),
    )
    config = app.config
    build_dir = Path(config["BUILD_DIR"])
    build_dir.mkdir(parents=True, exist_ok=True)
    work = build_dir / f".{row.key}.{uuid.uuid4().hex[:8]}"
    work.mkdir()
    queue: JobQueue = app.extensions["mallette_jobs"]
    try:
        result = pipeline(app).build_kit(
            kit, options, work, base_url=str(config["BASE_URL"]).rstrip("/"), print_dir=Path(config["PRINT_DIR"]),
            cards_dir=Path(config["CARDS_DIR"]), progress=lambda p, step, params: report(p, str(step), params),
            workers=queue.render_workers, cache_budget_bytes=int(config["PRINT_CACHE_MB"]) * 1024 * 1024,
        )
        files = relative_files([*result.files, result.whole_pdf, result.zip_path], work)
        final = build_dir / row.key
        if final.exists():
            shutil.rmtree(final)
        work.rename(final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    prune_builds(app, keep=row.key)
    return {"files": files}


def relative_files(paths: list[Path], root: Path) -> list[str]:
    """Paths under `root`, relative and without repeats: deck PDFs first, then the whole kit, then the ZIP."""
    seen: list[str] = []
    resolved_root = root.resolve()
    for path in paths:
        try:
            rel = Path(path).resolve().relative_to(resolved_root).as_posix()
        except ValueError:
            log.warning("build file outside its folder ignored: %s", path)
            continue
        if rel not in seen and (root / rel).is_file():
            seen.append(rel)
    return seen


def _folder_size(path: Path) -> int:
    total = 0
    for file in path.rglob("*"):
        try:
            if file.is_file():
                total += file.stat().st_size
        except OSError:
            continue
    return total


def prune_builds(app: Flask, *, keep: str | None = None) -> list[str]:
    """Keep the finished builds within `BUILDS_MB`: the least recently downloaded go first (their
    row becomes `expired`), never the prebuilt default kit nor `keep`. Returns the expired keys."""
    from .web.builds import default_key

    budget = int(app.config.get("BUILDS_MB", 2048)) * 1024 * 1024
    build_dir = Path(app.config["BUILD_DIR"])
    engine: Engine = app.extensions["mallette"].engine
    spared = {keep, default_key(app)}
    with read_session(engine) as session:
        rows = session.exec(select(KitBuild).where(KitBuild.status == JobStatus.DONE)).all()
        done = [(row.id, row.key, row.version, row.last_used_at or row.finished_at or row.created_at)
                for row in rows]
    sizes = {key: _folder_size(build_dir / key) for _id, key, _v, _used in done}
    total = sum(sizes.values())
    expired: list[str] = []
    oldest_first: list[tuple[Any, str, int, datetime]] = sorted(done, key=lambda d: d[3])
    for row_id, key, version, _used in oldest_first:
        if total <= budget:
            break
        if key in spared:
            continue
        try:
            with write_session(engine) as session:
                update_if_version(session, KitBuild, row_id, version, status=JobStatus.EXPIRED, files=[])
        except StaleVersion:
            continue
        shutil.rmtree(build_dir / key, ignore_errors=True)
        total -= sizes[key]
        expired.append(key)
    if expired:
        log.info("expired %d kit build(s) to stay within the disk budget", len(expired))
    return expired


# == exports of the published proposals into the content =============================================

EXPORT_JOB = "proposal-export"


class _Invalid(Exception):
    """The exported content would not pass validation: undo the transaction (and the files)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


def _problem_lines(root: Path) -> list[str]:
    from .kit.loader import load_kit

    return [f"{p.path}:{p.line}: {p.field}: {p.message}" for p in load_kit(root).errors]


def run_proposal_export(app: Flask, row: Any, report: Report) -> dict[str, Any]:
    """Job `proposal-export`: what `mallette export-proposals` does, for a coordinator's button.

    Writes the published proposals into the app's content folder, then checks the content as
    `mallette validate` does: if the export added errors, the files are put back as they were and
    the problems are recorded instead (nothing half-written stays in `kit_content/`). On success the
    search index is brought up to date, so that the new items are found and in the next kit build.
    """
    from . import get_state
    from .facilitation import proposals
    from .facilitation.enums import ProposalStatus
    from .models import Proposal

    state = get_state(app)
    root = Path(app.config["CONTENT_DIR"])
    report(5, "export-checking", {})
    before = set(_problem_lines(root))
    folder = root / "initiatives"
    report(30, "export-writing", {})
    try:
        # One transaction (no progress written inside it: that would wait for its own lock): the
        # proposals are marked exported only if the files stay.
        with write_session(state.engine) as db:
            published = db.exec(select(Proposal.item_id).where(Proposal.status == ProposalStatus.PUBLISHED)).all()
            saved: dict[Path, str | None] = {}
            for item_id in published:
                path = folder / f"{item_id}.md"
                if not path.is_symlink():
                    saved[path] = path.read_text(encoding="utf-8") if path.is_file() else None
            result = proposals.export(db, get_queue(app).clock, root)
            added = [line for line in _problem_lines(root) if line not in before]
            if added:
                for path in result.written:
                    previous = saved.get(path)
                    if previous is None:
                        path.unlink(missing_ok=True)
                    else:
                        path.write_text(previous, encoding="utf-8")
                raise _Invalid(added)
    except _Invalid as invalid:
        return {"written": [], "unchanged": [], "refused": [], "problems": invalid.problems[:200]}
    if result.written:
        report(80, "export-indexing", {})
        content_changed(app)
    return {"written": [path.relative_to(root).as_posix() for path in result.written],
            "unchanged": [path.relative_to(root).as_posix() for path in result.unchanged],
            "refused": [[item_id, reason] for item_id, reason in result.refused], "problems": []}


def content_changed(app: Flask) -> None:
    """After the content changed on disk (an export of proposals): reload and re-index it, and queue
    the prebuilt kit of the new content, so that the download page offers it again without waiting
    for the job worker's next start (the previous one was of the old content)."""
    from . import get_state

    if get_state(app).refresh() and app.config.get("PREBUILD_DEFAULT_KIT"):
        app.extensions["mallette_builds"].ensure_default(app)


def count_active(engine: Engine, model: Any = KitBuild) -> int:
    """Jobs queued or running."""
    with read_session(engine) as session:
        return int(session.exec(
            select(func.count()).select_from(model).where(model.status.in_((JobStatus.QUEUED, JobStatus.RUNNING)))
        ).one())


def run_worker(app: Flask, *, workers: int = 1) -> None:
    """`mallette worker`: re-send lost and waiting jobs, queue the prebuilt kit if it is missing,
    then run the Huey consumer until Ctrl-C or SIGTERM: running builds are finished first (at most
    `JOB_SHUTDOWN_SECONDS`, see `JobConsumer`; a second signal stops at once)."""
    from .web.builds import BuildService

    queue = get_queue(app)
    service: BuildService = app.extensions["mallette_builds"]
    engine: Engine = app.extensions["mallette"].engine
    queue.reap(queued_too=True)
    if app.config.get("PREBUILD_DEFAULT_KIT"):
        service.ensure_default(app)
    warm_up_printing(app)
    consumer = queue.consumer(workers=workers)
    # Forked render processes must not share the parent's database connections.
    engine.dispose()
    os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
    log.info("job worker: %d thread(s), queue on %s", workers, queue.backend)
    consumer.run()


def warm_up_printing(app: Flask) -> None:
    """Import the print libraries and load the fonts and stylesheets once, when the worker starts:
    the first kit asked for does not wait for them, and the render processes inherit them."""
    from .printing.render import resources

    try:
        resources(Path(app.config["PRINT_DIR"]))
    except Exception:  # a broken print folder fails the builds that need it, with their own error
        log.exception("cannot load the print resources")


def init_jobs(app: Flask, engine: Engine) -> JobQueue:
    """Create the app's job queue and register its job kinds."""
    queue = JobQueue(app, engine)
    queue.register(JobKind("kit-build", KitBuild, run_kit_build))
    register_agenda_jobs(queue)
    from .models import ReportPdf
    from .printing.report import REPORT_JOB, run_report_job

    queue.register(JobKind(REPORT_JOB, ReportPdf, run_report_job))  # session reports (issue 12)
    from .models import ProposalExport

    queue.register(JobKind(EXPORT_JOB, ProposalExport, run_proposal_export))
    app.extensions["mallette_jobs"] = queue
    return queue


def register_agenda_jobs(queue: JobQueue) -> None:
    """Sessions' agenda and roadmap PDFs (h5: `app.printing.agenda`)."""
    from .models import AgendaPdf
    from .printing.agenda import run_agenda_pdf

    queue.register(JobKind("agenda-pdf", AgendaPdf, run_agenda_pdf))


def get_queue(app: Flask) -> JobQueue:
    """The app's job queue."""
    queue: JobQueue = app.extensions["mallette_jobs"]
    return queue
