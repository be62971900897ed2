"""The print cache: least recently used files go once it outgrows its budget; kits still build."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from print_helpers import BASE_URL, KIT_OPTIONS, PRINT_DIR
from pypdf import PdfReader

from app.kit import Kit
from app.printing.cache import mark_used, prune
from app.printing.kit_builder import KitOptions, KitResult, build_kit
from app.printing.parts import body_chunks


def _file(path: Path, size: int, age: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    stamp = 1_700_000_000 - age
    os.utime(path, (stamp, stamp))
    return path


def test_prune_drops_the_least_recently_used_files(tmp_path: Path) -> None:
    old = _file(tmp_path / "parts" / "old.pdf", 400, age=300)
    kept = _file(tmp_path / "files" / "kept", 400, age=400)  # oldest, but in use
    recent = _file(tmp_path / "kits" / "recent.json", 400, age=100)
    used = _file(tmp_path / "parts" / "used.pdf", 400, age=500)
    mark_used(used)  # read just now: the newest
    other = _file(tmp_path / "elsewhere" / "x", 5000, age=900)  # not a cache folder
    assert prune(tmp_path, budget_bytes=2000, keep=[kept]) == 0  # 1600 bytes fit
    freed = prune(tmp_path, budget_bytes=1000, keep=[kept])  # down to 800 bytes
    assert freed == 800
    assert not old.exists() and not recent.exists()
    assert kept.exists() and used.exists() and other.exists()


def test_a_small_budget_keeps_what_the_last_kit_uses(
    built_kit: KitResult, print_kit: Kit, small_cards: Path, build_root: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    shutil.copytree(build_root / "cache", cache)
    foix = build_kit(print_kit, KitOptions(territory="Pays de Foix"), tmp_path / "foix", base_url=BASE_URL,
                     print_dir=PRINT_DIR, cards_dir=small_cards, cache_dir=cache, cache_budget_bytes=1)
    # Only what this kit uses is left: its parts (the body's chunks and page numbers, the decks, the duplex
    # test sheet and tuck boxes shared with the Couserans kit, its own front), its files and its manifest.
    decks = sum(1 for p in built_kit.files if "-jeu-" in p.name)
    parts = set((cache / "parts").glob("*.pdf"))
    assert len(parts) == decks + len(body_chunks(print_kit)) + 4  # folios, front, test sheet, tuck boxes
    assert len(list((cache / "kits").glob("*.json"))) == 1
    assert len(list((cache / "files").iterdir())) == len(foix.files)
    # The Couserans kit builds again from what is left: only its front is rendered anew.
    again = build_kit(print_kit, KIT_OPTIONS, tmp_path / "again", base_url=BASE_URL, print_dir=PRINT_DIR,
                      cards_dir=small_cards, cache_dir=cache, cache_budget_bytes=1)
    now = set((cache / "parts").glob("*.pdf"))
    assert len(now - parts) == 1 and len(parts - now) == 1  # one front in, the other out
    assert again.whole_pdf.read_bytes() == built_kit.whole_pdf.read_bytes()
    assert "Couserans" in PdfReader(again.whole_pdf).pages[0].extract_text()
