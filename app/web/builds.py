"""Territory kit builds seen from the web: ask for one (a `kit_build` row, then the job queue), read
its status and progress, serve its files from `BUILD_DIR/<key>/`. The build itself runs in the job
worker (`app/jobs.py`); nothing here renders.

A build is identified by its options, the content version and the address its QR codes carry
(`build_key`): the same options on the same content give the same key, so a finished build is
reused and concurrent requests for one kit build it once (the unique key decides who inserts; a
conditional UPDATE decides who re-queues a failed or expired one). Requests beyond the workers
wait in the queue; only past `MAX_QUEUED_BUILDS` waiting or running builds is a request turned
away (429), and that count-then-insert runs under one lock on every backend (SQLite's write lock,
a PostgreSQL advisory lock).
"""

from __future__ import annotations

import dataclasses
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy import func, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from ..clock import Clock, SystemClock
from ..db import StaleVersion, read_session, serialise, update_if_version, write_session
from ..jobs import JobQueue
from ..kit import Kit
from ..models import JobStatus, KitBuild
from ..printing.options import KitOptions

log = logging.getLogger(__name__)

KEY_PATTERN = re.compile(r"^[0-9a-f]{16,64}$")
ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)
KIND = "kit-build"
#: The territory name printed on the cover of the prebuilt kit.
DEFAULT_TERRITORY = "Tous territoires"
#: A download records its use at most this often (the retention policy needs no finer grain).
TOUCH_EVERY = timedelta(minutes=5)


class TooBusy(Exception):
    """Too many builds are queued or running: ask the client to come back later."""


@dataclass(frozen=True)
class BuildView:
    """A snapshot of a `KitBuild` row, safe to use once the session is closed."""

    id: int
    key: str
    status: JobStatus
    progress: int
    message: str
    message_params: dict[str, Any]
    error: str
    attempts: int
    files: tuple[str, ...]
    options: dict[str, Any]
    created_at: datetime
    finished_at: datetime | None

    @property
    def done(self) -> bool:
        """True once the files are ready."""
        return self.status == JobStatus.DONE

    @property
    def failed(self) -> bool:
        """True when the build stopped on an error."""
        return self.status == JobStatus.FAILED

    @property
    def expired(self) -> bool:
        """True when its files were removed (disk budget): ask for it again."""
        return self.status == JobStatus.EXPIRED

    @property
    def queued(self) -> bool:
        """True while it waits for a free worker."""
        return self.status == JobStatus.QUEUED

    @classmethod
    def of(cls, row: KitBuild) -> BuildView:
        """Snapshot a row."""
        assert row.id is not None
        return cls(
            id=row.id,
            key=row.key,
            status=JobStatus(row.status),
            progress=row.progress,
            message=row.message,
            message_params=dict(row.message_params or {}),
            error=row.error,
            attempts=row.attempts,
            files=tuple(row.files or ()),
            options=dict(row.options or {}),
            created_at=row.created_at,
            finished_at=row.finished_at,
        )


def options_data(options: KitOptions, content_hash: str) -> dict[str, Any]:
    """KitOptions as JSON-ready data, with the content version they were asked on."""
    data = dataclasses.asdict(options)
    data = {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}
    data["content"] = content_hash
    return data


def default_options(app: Flask | None = None) -> KitOptions:
    """The options of the prebuilt kit: every deck, A4, home edition."""
    config = (app or current_app).config
    territory = config.get("DEFAULT_KIT_TERRITORY") or DEFAULT_TERRITORY
    return KitOptions(territory=territory, paper="a4", edition="home")


def build_key(options: KitOptions, content_hash: str, base_url: str) -> str:
    """A build's key: its options, the content version and the address its QR codes carry."""
    return options.cache_key(f"{content_hash}|{base_url.rstrip('/')}")


def default_key(app: Flask) -> str:
    """The key of the prebuilt kit on the app's current content."""
    from .. import get_state

    return build_key(default_options(app), get_state(app).kit.content_hash, str(app.config["BASE_URL"]))


class BuildService:
    """Asks for, tracks and serves kit builds for one app."""

    def __init__(self, engine: Engine, queue: JobQueue, *, build_dir: Path, base_url: str, max_queued: int = 20,
                 clock: Clock | None = None) -> None:
        self.engine = engine
        self.base_url = base_url.rstrip("/")
        self.queue = queue
        self.build_dir = build_dir
        self.max_queued = max_queued
        self.clock: Clock = clock or SystemClock()

    # -- queries -------------------------------------------------------------------------

    def get(self, key: str) -> BuildView | None:
        """The build with this key, or None (also for a malformed key)."""
        if not KEY_PATTERN.match(key):
            return None
        with read_session(self.engine) as session:
            row = session.exec(select(KitBuild).where(KitBuild.key == key)).first()
            return BuildView.of(row) if row else None

    def key_for(self, kit: Kit, options: KitOptions) -> str:
        """The cache key of these options on this content, for this app's address."""
        return build_key(options, kit.content_hash, self.base_url)

    def ahead(self, build: BuildView) -> int:
        """How many builds wait or run before this queued one."""
        if not build.queued:
            return 0
        with read_session(self.engine) as session:
            statement = select(func.count()).select_from(KitBuild).where(
                KitBuild.status.in_(ACTIVE), KitBuild.id != build.id,  # type: ignore[attr-defined]
                (KitBuild.status == JobStatus.RUNNING) | (KitBuild.created_at <= build.created_at),
            )
            return int(session.exec(statement).one())

    def file_path(self, build: BuildView, name: str) -> Path | None:
        """The path of one listed file of a finished build, or None."""
        if not build.done or name not in build.files:
            return None
        path = self.build_dir / build.key / name
        return path if path.is_file() else None

    def touch(self, build: BuildView) -> None:
        """Record a download (the retention policy removes the least recently downloaded first)."""
        now = self.clock.now()
        table: Any = KitBuild
        with write_session(self.engine) as session:
            session.execute(
                update(table)
                .where(table.id == build.id, table.last_used_at.is_(None) | (table.last_used_at < now - TOUCH_EVERY))
                .values(last_used_at=now)
            )

    # -- asking ---------------------------------------------------------------------------

    def request(self, kit: Kit, options: KitOptions) -> BuildView:
        """The build for these options: queued unless it is done or under way.

        Raises `TooBusy` when `max_queued` builds already wait or run.
        """
        view, queued = self.claim(kit, options)
        if queued:
            self.queue.enqueue(KIND, view.id)
        return view

    def claim(self, kit: Kit, options: KitOptions) -> tuple[BuildView, bool]:
        """Insert the build row as queued, or queue a failed/expired/broken one again; say whether
        this call queued it (and so must send it to the workers)."""
        key = self.key_for(kit, options)
        data = options_data(options, kit.content_hash)
        try:
            with write_session(self.engine) as session:
                serialise(session.connection(), "mallette-kit-build-claim")
                row = session.exec(select(KitBuild).where(KitBuild.key == key)).first()
                if row is None:
                    self._check_room(session)
                    row = KitBuild(key=key, options=data, status=JobStatus.QUEUED, created_at=self.clock.now())
                    session.add(row)
                    session.flush()
                    return BuildView.of(row), True
                view = BuildView.of(row)
                if not self._needs_rerun(view):
                    return view, False
                self._check_room(session)
                now = self.clock.now()
                update_if_version(session, KitBuild, row.id, row.version, status=JobStatus.QUEUED, progress=0,
                                  message="", message_params={}, error="", attempts=0, files=[], options=data,
                                  created_at=now, started_at=None, finished_at=None, lease_until=None)
                return dataclasses.replace(view, status=JobStatus.QUEUED, progress=0, message="",
                                           message_params={}, error="", attempts=0, files=(), created_at=now,
                                           finished_at=None), True
        except (IntegrityError, StaleVersion):
            # Another worker inserted or re-queued the same key between our read and our write.
            existing = self.get(key)
            if existing is None:
                raise
            return existing, False

    def _needs_rerun(self, view: BuildView) -> bool:
        if view.failed or view.expired:
            return True
        if view.done:
            return any(not (self.build_dir / view.key / name).is_file() for name in view.files)
        return False  # queued or running: the workers (and their reaper) see to it

    def _check_room(self, session: Session) -> None:
        statement = select(func.count()).select_from(KitBuild).where(
            KitBuild.status.in_(ACTIVE)  # type: ignore[attr-defined]
        )
        if int(session.exec(statement).one()) >= self.max_queued:
            raise TooBusy

    def build_now(self, kit: Kit, options: KitOptions) -> BuildView:
        """Build in this process, now, with every core (`mallette prebuild-kit`); a failed build is
        tried again, a done one is kept."""
        view, queued = self.claim(kit, options)
        if queued or view.queued:
            self.queue.render_workers = None
            self.queue.run(KIND, view.id)
        return self.get(view.key) or view

    def ensure_default(self, app: Flask) -> BuildView | None:
        """Queue the prebuilt kit unless it exists (done, under way, or failed: a failed one waits
        for `mallette prebuild-kit --force` rather than failing again at every start)."""
        from .. import get_state

        kit = get_state(app).kit
        options = default_options(app)
        existing = self.get(self.key_for(kit, options))
        if existing is not None and existing.failed:
            return existing
        try:
            return self.request(kit, options)
        except TooBusy:
            return None
