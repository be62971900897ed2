"""The print cache on disk: files written atomically, used files marked, oldest dropped past a budget.

The cache holds rendered parts (`parts/`, `get_part`/`put_part`), assembled files by content hash
(`files/`) and kit manifests (`kits/`, `save_manifest`/`restore`). Every entry can be rebuilt, so
any of them may go: a reader that finds one missing renders again. A file's modification time
records its last use, and `prune` removes the least recently used files once the cache outgrows
its budget (new territories and content edits would otherwise fill the disk of a long-running
server).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Iterable
from pathlib import Path

from .options import KitResult
from .parts import Part, Rendered

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


# --------------------------------------------------------------------------- rendered parts


def get_part(cache: Path, part: Part) -> Rendered | None:
    """The cached rendering of `part`, or None."""
    pdf, meta = cache / "parts" / f"{part.key}.pdf", cache / "parts" / f"{part.key}.json"
    try:
        info = json.loads(meta.read_text())
        anchors = {str(k): int(v) for k, v in info.get("anchors", {}).items()}
        found = Rendered(part.name, pdf.read_bytes(), int(info["pages"]), [], anchors)
        mark_used(pdf, meta)
        return found
    except (OSError, ValueError, KeyError, AttributeError):
        return None


def put_part(cache: Path, key: str, part: Rendered) -> None:
    """Keep a rendered part under its key."""
    atomic_write(cache / "parts" / f"{key}.pdf", part.data)
    meta = {"pages": part.pages, "anchors": part.anchors}
    atomic_write(cache / "parts" / f"{key}.json", json.dumps(meta, sort_keys=True).encode())


# --------------------------------------------------------------------------- whole kits


def save_manifest(
    manifest: Path, cache: Path, files: list[Path], whole: Path, zip_path: Path, pages: int
) -> list[Path]:
    """Store the kit's files by content hash and its manifest; return the cache files it uses."""
    store = cache / "files"
    entries = []
    used = [manifest]
    for path in files:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        target = store / digest
        if target.exists():
            mark_used(target)
        else:
            atomic_write(target, path.read_bytes())
        entries.append({"name": path.name, "sha256": digest})
        used.append(target)
    data = {"files": entries, "whole": whole.name, "zip": zip_path.name, "pages": pages}
    atomic_write(manifest, json.dumps(data, indent=1).encode())
    return used


def restore(manifest: Path, cache: Path, out_dir: Path) -> KitResult | None:
    """Copy a kit built before with the same inputs into `out_dir`; None if its files are gone."""
    try:
        data = json.loads(manifest.read_text())
        out_dir.mkdir(parents=True, exist_ok=True)
        files = []
        for entry in data["files"]:
            source = cache / "files" / entry["sha256"]
            target = out_dir / entry["name"]
            if not source.is_file():
                return None
            mark_used(source)
            if not (target.is_file() and target.stat().st_size == source.stat().st_size
                    and _same_file(source, target)):
                atomic_write(target, source.read_bytes())
            files.append(target)
        mark_used(manifest)
        return KitResult(files=files, zip_path=out_dir / data["zip"], whole_pdf=out_dir / data["whole"],
                         pages=int(data["pages"]))
    except (OSError, ValueError, KeyError):
        return None


def _same_file(a: Path, b: Path) -> bool:
    return a.read_bytes() == b.read_bytes()
