"""Territory kit builds requested from the web: claimed once in the `kit_build` table, run in a
background thread, served from `BUILD_DIR/<key>/`.

A build is identified by `KitOptions.cache_key(content_hash)`: the same options on the same content
give the same key, so a finished build is reused and concurrent requests for one kit build it once
(the unique key decides who builds; a conditional UPDATE decides who re-runs a failed or stale one).
"""

from __future__ import annotations

import dataclasses
import logging
import re
import shutil
import threading
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from ..db import read_session, write_session
from ..kit import Kit
from ..models import KitBuild, utcnow
from ..printing.cache import DEFAULT_BUDGET_BYTES
from .printing_api import PrintPipeline

log = logging.getLogger(__name__)

KEY_PATTERN = re.compile(r"^[0-9a-f]{16,64}$")
ACTIVE = ("pending", "running")
#: A pending or running build older than this is taken as abandoned (its worker died) and re-run.
STALE_AFTER = timedelta(minutes=20)


class TooBusy(Exception):
    """Too many builds are queued or running: ask the client to come back later."""


@dataclass(frozen=True)
class BuildView:
    """A snapshot of a `KitBuild` row, safe to use once the session is closed."""

    key: str
    status: str
    progress: int
    message: str
    files: tuple[str, ...]
    options: dict[str, Any]
    created_at: datetime
    finished_at: datetime | None

    @property
    def done(self) -> bool:
        """True once the files are ready."""
        return self.status == "done"

    @property
    def failed(self) -> bool:
        """True when the build stopped on an error."""
        return self.status == "failed"

    @classmethod
    def of(cls, row: KitBuild) -> BuildView:
        """Snapshot a row."""
        return cls(
            key=row.key,
            status=row.status,
            progress=row.progress,
            message=row.message,
            files=tuple(row.files or ()),
            options=dict(row.options or {}),
            created_at=_aware(row.created_at),
            finished_at=_aware(row.finished_at) if row.finished_at else None,
        )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def options_data(options: Any) -> dict[str, Any]:
    """KitOptions as JSON-ready data."""
    data = dataclasses.asdict(options)
    return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}


class BuildService:
    """Starts, tracks and serves kit builds for one app (one per process)."""

    def __init__(
        self,
        engine: Engine,
        *,
        build_dir: Path,
        base_url: str,
        print_dir: Path,
        cards_dir: Path,
        pipeline: PrintPipeline,
        max_active: int = 4,
        cache_budget_bytes: int = DEFAULT_BUDGET_BYTES,
    ) -> None:
        self.engine = engine
        self.cache_budget_bytes = cache_budget_bytes
        self.build_dir = build_dir
        self.base_url = base_url.rstrip("/")
        self.print_dir = print_dir
        self.cards_dir = cards_dir
        self.pipeline = pipeline
        self.max_active = max_active
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kit-build")
        self.futures: dict[str, Future[None]] = {}
        self._lock = threading.Lock()

    # -- queries -------------------------------------------------------------------------

    def get(self, key: str) -> BuildView | None:
        """The build with this key, or None (also for a malformed key)."""
        if not KEY_PATTERN.match(key):
            return None
        with read_session(self.engine) as session:
            row = session.exec(select(KitBuild).where(KitBuild.key == key)).first()
            return BuildView.of(row) if row else None

    def key_for(self, kit: Kit, options: Any) -> str:
        """The cache key of these options on this content."""
        key: str = options.cache_key(kit.content_hash)
        return key

    def file_path(self, build: BuildView, name: str) -> Path | None:
        """The path of one listed file of a finished build, or None."""
        if not build.done or name not in build.files:
            return None
        path = self.build_dir / build.key / name
        return path if path.is_file() else None

    # -- starting ------------------------------------------------------------------------

    def start(self, kit: Kit, options: Any) -> BuildView:
        """Return the build for these options, starting it unless it is done or under way.

        Raises `TooBusy` when a new build would exceed the number of active builds.
        """
        key = self.key_for(kit, options)
        view, claimed = self._claim(key, options_data(options))
        if claimed:
            self._submit(key, kit, options)
        return view

    def _needs_rerun(self, view: BuildView) -> bool:
        if view.failed:
            return True
        if view.status in ACTIVE:
            return utcnow() - view.created_at > STALE_AFTER
        if view.done:
            return any(not (self.build_dir / view.key / name).is_file() for name in view.files)
        return True

    def _active(self, session: Session) -> int:
        fresh = utcnow() - STALE_AFTER
        statement = select(func.count()).select_from(KitBuild).where(
            KitBuild.status.in_(ACTIVE), KitBuild.created_at > fresh  # type: ignore[attr-defined]
        )
        return int(session.exec(statement).one())

    def _claim(self, key: str, data: dict[str, Any]) -> tuple[BuildView, bool]:
        """Insert the build row, or take over a failed/stale one; say whether we must run it."""
        try:
            with write_session(self.engine) as session:
                row = session.exec(select(KitBuild).where(KitBuild.key == key)).first()
                if row is None:
                    if self._active(session) >= self.max_active:
                        raise TooBusy
                    row = KitBuild(key=key, options=data, status="pending", progress=0)
                    session.add(row)
                    session.flush()
                    return BuildView.of(row), True
                view = BuildView.of(row)
                if not self._needs_rerun(view):
                    return view, False
                if self._active(session) >= self.max_active:
                    raise TooBusy
                now = utcnow()
                result = session.execute(
                    update(KitBuild)
                    .where(KitBuild.id == row.id, KitBuild.status == row.status)  # type: ignore[arg-type]
                    .values(status="pending", progress=0, message="", files=[], options=data,
                            created_at=now, finished_at=None)
                )
                if getattr(result, "rowcount", 0) != 1:  # someone else took it over first
                    return view, False
                return dataclasses.replace(view, status="pending", progress=0, message="", files=(),
                                           created_at=now, finished_at=None), True
        except IntegrityError:
            # Another process inserted the same key between our read and our insert.
            existing = self.get(key)
            if existing is None:
                raise
            return existing, False

    def _submit(self, key: str, kit: Kit, options: Any) -> None:
        with self._lock:
            self.futures[key] = self.executor.submit(self._run, key, kit, options)

    # -- running -------------------------------------------------------------------------

    def _set(self, key: str, **values: Any) -> None:
        with write_session(self.engine) as session:
            session.execute(update(KitBuild).where(KitBuild.key == key).values(**values))  # type: ignore[arg-type]

    def _run(self, key: str, kit: Kit, options: Any) -> None:
        """Build the kit into a temporary folder, then move it to `BUILD_DIR/<key>/`."""
        self.build_dir.mkdir(parents=True, exist_ok=True)
        work = self.build_dir / f".{key}.{uuid.uuid4().hex[:8]}"
        work.mkdir()
        last = [-1]

        def progress(percent: int, message: str) -> None:
            percent = max(0, min(int(percent), 99))
            if percent != last[0]:
                last[0] = percent
                self._set(key, status="running", progress=percent, message=str(message)[:500])

        try:
            self._set(key, status="running", progress=0, message="")
            result = self.pipeline.build_kit(
                kit, options, work, base_url=self.base_url, print_dir=self.print_dir,
                cards_dir=self.cards_dir, progress=progress, cache_budget_bytes=self.cache_budget_bytes,
                # One process: forking a multi-threaded web worker is unsafe (locks held by other threads).
                workers=1,
            )
            files = _relative_files([*result.files, result.whole_pdf, result.zip_path], work)
            final = self.build_dir / key
            if final.exists():
                shutil.rmtree(final)
            work.rename(final)
            self._set(key, status="done", progress=100, message="", files=files, finished_at=utcnow())
        except Exception as exc:
            log.exception("kit build %s failed", key)
            shutil.rmtree(work, ignore_errors=True)
            self._set(key, status="failed", message=f"{type(exc).__name__}: {exc}"[:500],
                      finished_at=utcnow())
        finally:
            with self._lock:
                self.futures.pop(key, None)

    def wait(self, key: str, timeout: float | None = None) -> None:
        """Wait for this process's run of a build, if any (tests, CLI)."""
        with self._lock:
            future = self.futures.get(key)
        if future is not None:
            future.result(timeout=timeout)


def _relative_files(paths: list[Path], root: Path) -> list[str]:
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
