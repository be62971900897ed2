"""The application's shared state: database engine and the loaded kit, reloaded when content changes."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine

from .kit import Kit, LoadResult, content_hash, load_kit
from .kit.index import index_kit, indexed_hash

log = logging.getLogger(__name__)


@dataclass
class MalletteState:
    """What the app shares between requests."""

    engine: Engine
    content_dir: Path
    result: LoadResult
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def kit(self) -> Kit:
        """The loaded kit (valid items only)."""
        return self.result.kit

    def refresh(self, *, force: bool = False) -> bool:
        """Reload the content and re-index it when it changed on disk. Returns True if it did."""
        with self._lock:
            current = content_hash(self.content_dir)
            if not force and current == self.result.kit.content_hash and indexed_hash(self.engine) == current:
                return False
            self.result = sync_content(self.engine, self.content_dir)
            return True


def sync_content(engine: Engine, content_dir: Path) -> LoadResult:
    """Load the content and index it if the database holds another version."""
    result = load_kit(content_dir)
    for problem in result.problems:
        log.warning("%s (%s)", problem, problem.severity)
    if indexed_hash(engine) != result.kit.content_hash:
        count = index_kit(engine, result.kit, force=False)
        log.info("content %s is indexed (%d items)", result.kit.version, count)
    return result
