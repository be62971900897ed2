"""The print cache on disk: files written atomically, used files marked, oldest dropped past a budget.

The cache holds rendered parts (`parts/`), assembled files by content hash (`files/`) and kit
manifests (`kits/`). Every entry can be rebuilt, so any of them may go: a reader that finds one
missing renders again. A file's modification time records its last use, and `prune` removes the
least recently used files once the cache outgrows its budget (new territories and content edits
would otherwise fill the disk of a long-running server).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from pathlib import Path

#: Default size budget of the print cache (about a hundred territory kits).
DEFAULT_BUDGET_BYTES = 512 * 1024 * 1024
#: Pruning goes below the budget by this share, so that it does not run after every build.
PRUNE_TO = 0.8
FOLDERS = ("parts", "files", "kits")


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file and a rename (readers never see half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def mark_used(*paths: Path) -> None:
    """Record that cache files were just used (their modification time is their last use)."""
    for path in paths:
        try:
            os.utime(path)
        except OSError:
            continue


def prune(cache: Path, budget_bytes: int, keep: Iterable[Path] = ()) -> int:
    """Delete the least recently used cache files until the cache fits in `PRUNE_TO` of
    `budget_bytes`, sparing `keep`; return the number of bytes freed (0 within budget)."""
    kept = {Path(p).resolve() for p in keep}
    entries: list[tuple[float, int, Path]] = []
    total = 0
    for folder in FOLDERS:
        root = Path(cache) / folder
        if not root.is_dir():
            continue
        for path in root.iterdir():
            try:
                stat = path.stat()
            except OSError:
                continue
            if not path.is_file() or path.name.startswith("."):
                continue
            total += stat.st_size
            if path.resolve() not in kept:
                entries.append((stat.st_mtime, stat.st_size, path))
    if total <= budget_bytes:
        return 0
    target = int(budget_bytes * PRUNE_TO)
    freed = 0
    for _mtime, size, path in sorted(entries, key=lambda e: (e[0], e[2].name)):
        if total - freed <= target:
            break
        try:
            path.unlink()
        except OSError:
            continue
        freed += size
    return freed
