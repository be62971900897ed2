"""The real kit content: complete, valid, and as the issue asks."""

from __future__ import annotations

from collections import Counter

import pytest

from app.config import PROJECT_ROOT
from app.kit import ItemType, Kit, load_kit
from app.kit.schema import REQUIRED_SECTIONS

CONTENT_DIR = PROJECT_ROOT / "kit_content"


def test_content_validates_strictly() -> None:
    result = load_kit(CONTENT_DIR)
    assert [str(p) for p in result.problems] == []


@pytest.mark.parametrize(
    ("item_type", "minimum"),
    [
        (ItemType.FICHE, 13),
        (ItemType.POSTURE, 16),
        (ItemType.ACTIVITE, 14),
        (ItemType.DIMENSION, 5),
        (ItemType.STRUCTURE, 6),
        (ItemType.INITIATIVE, 15),
        (ItemType.NOTION, 30),
        (ItemType.PAGE, 1),
    ],
)
def test_counts(kit: Kit, item_type: ItemType, minimum: int) -> None:
    assert len(kit.by_type(item_type)) >= minimum


def test_thirteen_fiches_in_two_parts_numbered_as_the_synthesis(kit: Kit) -> None:
    fiches = kit.by_type(ItemType.FICHE)
    assert [f.get("numero") for f in fiches] == [f"2.{n}" for n in range(1, 14)]
    assert Counter(f.get("partie") for f in fiches) == {1: 6, 2: 7}
    assert kit.items["fiche-innovation-sociale"].get("numero") == "2.12"


def test_every_fiche_has_its_four_rubriques_filled(kit: Kit) -> None:
    for fiche in kit.by_type(ItemType.FICHE):
        for rubrique in REQUIRED_SECTIONS[ItemType.FICHE]:
            text = fiche.section(rubrique)
            assert text and len(text.split()) >= 40, f"{fiche.id}: {rubrique}"
        words = len(fiche.body.split())
        assert 400 <= words <= 850, f"{fiche.id}: {words} mots"


def test_postures_have_four_parts_and_cite_a_fiche(kit: Kit) -> None:
    for posture in kit.by_type(ItemType.POSTURE):
        for section in REQUIRED_SECTIONS[ItemType.POSTURE]:
            assert posture.section(section), f"{posture.id}: {section}"
        assert posture.section("Une question à se poser").rstrip().endswith("?")  # type: ignore[union-attr]
        assert any(kit.items[i].type is ItemType.FICHE for i in posture.related)


def test_activities_have_timed_steps_and_feed_the_grid(kit: Kit) -> None:
    for activity in kit.by_type(ItemType.ACTIVITE):
        steps = activity.get("etapes")
        assert sum(step.minutes for step in steps) == activity.get("duree"), activity.id
        assert activity.get("dimensions"), activity.id


def test_grid_dimensions_have_three_to_six_questions(kit: Kit) -> None:
    for dimension in kit.by_type(ItemType.DIMENSION):
        assert 3 <= len(dimension.get("questions")) <= 6


def test_structures_figures_match_the_synthesis_table(kit: Kit) -> None:
    budgets = {s.id: s.get("budget_euros") for s in kit.by_type(ItemType.STRUCTURE)}
    assert budgets == {
        "structure-mes-occitanie": 96_850,
        "structure-ufisc": 450_000,
        "structure-opale": 500_000,
        "structure-ardes": 200_000,
        "structure-apes": 643_240,
        "structure-pes21": 385_000,
    }


def test_every_item_names_its_sources_and_licence(kit: Kit) -> None:
    for item in kit:
        assert item.fields.sources and all(s in kit.sources for s in item.fields.sources)
        assert item.licence == "CC BY-SA 4.0"


def test_no_placeholder_text(kit: Kit) -> None:
    for item in kit:
        lowered = item.body.lower()
        for marker in ("lorem ipsum", "todo", "xxx", "à compléter"):
            assert marker not in lowered, f"{item.id}: {marker}"
