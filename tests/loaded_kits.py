"""Each content folder is parsed once per test process while it stays the same.

Creating an app loads and validates its whole content folder (about half a second for kit_content/,
most of a small test's time), and the tests make hundreds of apps on a handful of folders.
`install()` makes the app's own loading (`app.state.load_kit`, which `create_app`, `sync_content`
and `MalletteState` call) give back the result of an earlier load of the same folder as long as
nothing in it changed: same path, same entries (names, kinds, sizes, modification times) and same
bytes (the kit's content hash). Any change, a file added, edited, renamed or replaced by a link,
loads the folder again. The loader itself is tested directly (tests/kit), never through this cache.

The apps share the cached `Kit`, which the app never modifies; each gets its own list of problems.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from pathlib import Path

import app.state
from app.kit import LoadResult, content_hash, load_kit

#: Folders kept (the real content, the small test contents and a few temporary copies).
KEPT = 8

_loaded: OrderedDict[tuple[str, tuple[tuple[str, int, int, int], ...], str], LoadResult] = OrderedDict()


def _entries(root: Path) -> tuple[tuple[str, int, int, int], ...]:
    """Every entry under `root` (links not followed): relative path, mode, size, modification time."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(dirs + files):
            path = os.path.join(folder, name)
            stat = os.lstat(path)
            found.append((os.path.relpath(path, root), stat.st_mode, stat.st_size, stat.st_mtime_ns))
    return tuple(found)


def cached_load_kit(root: Path | str) -> LoadResult:
    """`load_kit(root)`, parsed once while the folder stays the same."""
    if not Path(root).is_dir():
        return load_kit(root)
    key = (str(Path(root)), _entries(Path(root)), content_hash(Path(root)))
    result = _loaded.get(key)
    if result is None:
        result = load_kit(root)
        _loaded[key] = result
        while len(_loaded) > KEPT:
            _loaded.popitem(last=False)
    _loaded.move_to_end(key)
    return LoadResult(kit=result.kit, problems=list(result.problems))


def install() -> None:
    """Route the app's content loading through the cache (for this test process)."""
    app.state.load_kit = cached_load_kit  # type: ignore[assignment]
