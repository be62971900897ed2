"""Fingerprints of what goes into each part (cache keys) and the dates stored in the PDFs.

A part's key hashes the print assets (templates, CSS, fonts, icons, this package's code), the
items it prints and the options that change its pages: an unchanged part keeps its key and is
never rendered twice.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from app.kit.model import Kit, KitItem

from .decks import Deck, deck_items
from .options import PIPELINE_VERSION, KitOptions


def sha(*parts: object) -> str:
    """Hex digest of the string forms of `parts`."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(str(part).encode())
        digest.update(b"\0")
    return digest.hexdigest()


@lru_cache(maxsize=8)
def _assets_hash_cached(print_dir: str, stamp: tuple[tuple[str, int, int], ...]) -> str:
    digest = hashlib.sha256(PIPELINE_VERSION.encode())
    for rel, _size, _mtime in stamp:
        digest.update(rel.encode())
        digest.update(Path(print_dir, rel).read_bytes() if not rel.startswith("@") else b"")
    code_dir = Path(__file__).parent
    for path in sorted(code_dir.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def assets_hash(print_dir: Path) -> str:
    """Hash of the print assets (templates, CSS, fonts, icons) and of this package's code."""
    root = Path(print_dir)
    stamp = tuple(
        (p.relative_to(root).as_posix(), p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    )
    code = tuple(
        ("@" + p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(Path(__file__).parent.glob("*.py"))
    )
    return _assets_hash_cached(str(root), stamp + code)


def content_date(kit: Kit, items: Iterable[KitItem] | None = None) -> datetime:
    """The date printed and stored in PDFs: `SOURCE_DATE_EPOCH`, else the newest content file."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), UTC)
    chosen = list(items) if items is not None else list(kit)
    stamps = []
    for item in chosen:
        try:
            stamps.append(int((kit.root / item.path).stat().st_mtime))
        except OSError:
            continue
    return datetime.fromtimestamp(max(stamps) if stamps else 0, UTC)


def deck_key(deck: Deck, kit: Kit, options: KitOptions, base_url: str, assets: str) -> str:
    """The cache key of one deck's PDF."""
    items = deck_items(deck, kit)
    return sha(
        "deck", assets, deck.fingerprint(), [(i.id, i.checksum) for i in items],
        sorted(kit.glossary.items()), options.paper if options.edition == "home" else "-",
        options.edition, options.back_offset_mm, base_url, content_date(kit, items).isoformat(),
    )


def faces_key(deck: Deck, kit: Kit, base_url: str, assets: str) -> str:
    """The cache key of a deck's card sides (any paper, any edition)."""
    items = deck_items(deck, kit)
    return sha(
        "faces", assets, deck.fingerprint(), [(i.id, i.checksum) for i in items], sorted(kit.glossary.items()),
        base_url, content_date(kit, items).isoformat(),
    )


def body_key(kit: Kit, items: list[KitItem], base_url: str, assets: str) -> str:
    """The cache key of the booklet's body (it depends on neither the territory, the paper nor the
    edition: its pages are `BOOKLET_PAGE`, centred on the sheet at merge)."""
    return sha(
        "body", assets, [(i.id, i.checksum) for i in items], sorted(kit.glossary.items()),
        base_url, content_date(kit, items).isoformat(),
    )


def front_key(kit: Kit, body: str, options: KitOptions, base_url: str, assets: str, entries: list[Any]) -> str:
    """The cache key of the booklet's front (cover, colophon, contents, list of decks)."""
    return sha(
        "front", assets, body, kit.content_hash, options.as_dict(), base_url,
        [(e.deck.fingerprint(), e.cards, e.pages, e.file) for e in entries],
        content_date(kit).isoformat(),
    )
