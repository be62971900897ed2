"""Fixtures for the print pipeline: a complete copy of the content, small decks, one kit build.

Tests stay fast by dealing small decks (a few cards each, enough for a partial last sheet) and by
building the whole kit once per session.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from print_helpers import BASE_URL, KIT_OPTIONS, PRINT_DIR, PROJECT_ROOT, make_small_cards

from app.kit import Kit, load_kit
from app.printing.kit_builder import KitResult, build_kit


@pytest.fixture(scope="session")
def content_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of kit_content/ that tests may add items to."""
    target = tmp_path_factory.mktemp("content") / "kit"
    shutil.copytree(PROJECT_ROOT / "kit_content", target)
    return target


@pytest.fixture(scope="session")
def print_kit(content_dir: Path) -> Kit:
    """The complete content, loaded."""
    return load_kit(content_dir).kit


@pytest.fixture(scope="session")
def small_cards(print_kit: Kit, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cards/ folder whose decks hold a few cards each."""
    return make_small_cards(print_kit, tmp_path_factory.mktemp("cards"))


@pytest.fixture(scope="session")
def build_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the session's kit build writes (dist/ and its cache)."""
    return tmp_path_factory.mktemp("build")




@pytest.fixture(scope="session")
def built_kit(print_kit: Kit, small_cards: Path, build_root: Path) -> KitResult:
    """The one whole-kit build of the session (home edition, A4, small decks)."""
    return build_kit(
        print_kit,
        KIT_OPTIONS,
        build_root / "dist",
        base_url=BASE_URL,
        print_dir=PRINT_DIR,
        cards_dir=small_cards,
        cache_dir=build_root / "cache",
    )
