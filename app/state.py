"""The application's shared state: the database engine, the loaded kit and one cache of what is
computed from it, reloaded when the content changes.

Every web worker holds its own `MalletteState`. `check()` (before each request, at most every
`CONTENT_CHECK_SECONDS`) compares the content version the database index holds (`content_state`,
written by `mallette index` or by another worker) with the loaded kit, and the deck definitions'
stamp with the last one seen: on a change the kit is reloaded and the cache emptied, so no worker
serves a stale kit against a fresh search index.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.engine import Engine

from .kit import Kit, LoadResult, content_hash, load_kit
from .kit.index import index_kit, indexed_hash

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Entries kept per namespace unless `ContentCache` is told otherwise.
DEFAULT_ENTRIES = 256


class ContentCache:
    """The app's one cache of what is computed from the content (pages, rendered Markdown, card
    PDFs, decks, exports), by namespace, least recently used entries dropped first.

    Everything in it belongs to one content version: `MalletteState` empties it when the content or
    the decks change, so keys need not carry the version.
    """

    def __init__(self, sizes: dict[str, int] | None = None) -> None:
        self.sizes = dict(sizes or {})
        self._spaces: dict[str, OrderedDict[Any, Any]] = {}
        self._lock = threading.Lock()
        self.generation = 0

    def get(self, namespace: str, key: Any) -> Any | None:
        """The value stored under `key`, or None."""
        with self._lock:
            space = self._spaces.get(namespace)
            if space is None or key not in space:
                return None
            space.move_to_end(key)
            return space[key]

    def put(self, namespace: str, key: Any, value: Any) -> None:
        """Store a value (dropping the least recently used ones past the namespace's size)."""
        with self._lock:
            space = self._spaces.setdefault(namespace, OrderedDict())
            space[key] = value
            space.move_to_end(key)
            limit = self.sizes.get(namespace, DEFAULT_ENTRIES)
            while len(space) > limit:
                space.popitem(last=False)

    def get_or_make(self, namespace: str, key: Any, make: Callable[[], T]) -> T:
        """The stored value, or `make()` stored (computed outside the lock; a race computes twice)."""
        found = self.get(namespace, key)
        if found is not None:
            value: T = found
            return value
        made = make()
        self.put(namespace, key, made)
        return made

    def clear(self) -> None:
        """Forget everything (the content changed)."""
        with self._lock:
            self._spaces.clear()
            self.generation += 1

    def __len__(self) -> int:
        with self._lock:
            return sum(len(space) for space in self._spaces.values())


def cards_stamp(cards_dir: Path | None) -> str:
    """A string that changes when a deck definition file changes (added, removed or edited)."""
    if cards_dir is None:
        return "-"
    try:
        stamps = sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in Path(cards_dir).glob("*.y*ml"))
    except OSError:
        return "-"
    return repr(stamps)


@dataclass
class MalletteState:
    """What the app shares between requests."""

    engine: Engine
    content_dir: Path
    result: LoadResult
    cards_dir: Path | None = None
    #: Seconds between two looks at the database's content version and at the cards folder.
    check_every: float = 2.0
    auto_index: bool = True
    cache: ContentCache = field(default_factory=ContentCache)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _next_check: float = field(default=0.0, repr=False)
    _cards: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        self._cards = cards_stamp(self.cards_dir)
        self._next_check = time.monotonic() + self.check_every

    @property
    def kit(self) -> Kit:
        """The loaded kit (valid items only)."""
        return self.result.kit

    @property
    def decks_version(self) -> str:
        """The deck definitions' stamp as last seen."""
        return self._cards

    def check(self) -> bool:
        """Reload when `mallette index` or another worker indexed other content, and empty the cache
        when the content or the decks changed; at most every `check_every` seconds. True on a change."""
        if time.monotonic() < self._next_check:
            return False
        with self._lock:
            if time.monotonic() < self._next_check:
                return False
            self._next_check = time.monotonic() + self.check_every
            changed = False
            indexed = indexed_hash(self.engine)
            if indexed is not None and indexed != self.kit.content_hash:
                self.result = sync_content(self.engine, self.content_dir) if self.auto_index \
                    else load_kit(self.content_dir)
                log.info("content %s loaded (indexed by another process)", self.kit.version)
                changed = True
            stamp = cards_stamp(self.cards_dir)
            if stamp != self._cards:
                self._cards = stamp
                changed = True
            if changed:
                self.cache.clear()
            return changed

    def refresh(self, *, force: bool = False) -> bool:
        """Reload the content and re-index it when it changed on disk. Returns True if it did."""
        with self._lock:
            current = content_hash(self.content_dir)
            if not force and current == self.result.kit.content_hash and indexed_hash(self.engine) == current:
                return False
            self.result = sync_content(self.engine, self.content_dir)
            self.cache.clear()
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
