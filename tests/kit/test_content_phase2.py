"""Phase-2 content (issue 16): activities linked to postures, protocols that point at real activity
steps, the templates, roles and guides the accompaniments need, and no editor's note on a card."""

from __future__ import annotations

import re

import pytest

from app.config import PROJECT_ROOT
from app.kit import ItemType, Kit
from app.printing.decks import load_decks

#: What an editor writes to themself, never card text: turn it into a question to ask on site.
EDITOR_NOTES = re.compile(
    r"non précisée?s? par|non précisée?s?\b|pas précisée? (dans|par)|non renseignée?s?|à vérifier|"
    r"les sources? n'en dit|les sources? ne (dit|disent|précise)|\bTODO\b|\bFIXME\b|\?\?\?|\bxxx\b",
    re.IGNORECASE,
)


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for inner in value.values() for s in _strings(inner)]
    if isinstance(value, list):
        return [s for inner in value for s in _strings(inner)]
    return []


def test_every_activity_links_at_least_one_posture(kit: Kit) -> None:
    unlinked = [
        activity.id
        for activity in kit.by_type(ItemType.ACTIVITE)
        if not any((other := kit.get(i)) is not None and other.type is ItemType.POSTURE for i in activity.related)
    ]
    assert unlinked == []


def test_every_activity_is_reached_from_somewhere(kit: Kit) -> None:
    reached = {target for item in kit for target in item.related}
    reached |= {s.address.split(".")[0] for p in kit.by_type(ItemType.PROTOCOLE) for d in kit.plan(p)
                for s in d.steps if s.address}
    assert [a.id for a in kit.by_type(ItemType.ACTIVITE) if a.id not in reached] == []


def test_every_protocol_step_points_to_an_existing_activity_step(kit: Kit) -> None:
    protocols = kit.by_type(ItemType.PROTOCOLE)
    assert {p.id for p in protocols} >= {"protocole-visite-apprenante", "protocole-accompagnement-communautaire"}
    for protocol in protocols:
        for day in protocol.get("demi_journees"):
            assert day.etapes, (protocol.id, day.id)
            for entry in day.etapes:
                if entry.etape is not None:
                    assert kit.step(entry.etape) is not None, (protocol.id, entry.etape)
                else:
                    assert entry.titre and entry.minutes, (protocol.id, day.id)
        for day in kit.plan(protocol):
            assert day.total <= day.minutes, (protocol.id, day.id)


def test_the_two_protocols_have_four_half_days(kit: Kit) -> None:
    for protocol_id in ("protocole-visite-apprenante", "protocole-accompagnement-communautaire"):
        assert [d.id for d in kit.plan(protocol_id)] == ["j1-matin", "j1-apres-midi", "j2-matin", "j2-apres-midi"]


def test_templates_roles_and_guides_the_issue_asks_for(kit: Kit) -> None:
    templates = {i.id for i in kit.by_type(ItemType.MODELE)}
    assert templates >= {
        "modele-note-impression", "modele-note-synthese", "modele-fiche-presentation-ecosysteme",
        "modele-programme-deux-jours", "modele-grille-une-page", "modele-formulaire-candidature",
        "modele-grille-criteres-selection", "modele-autodiagnostic-territoire", "modele-cadre-suivi-evaluation",
    }
    synthesis = kit.items["modele-note-synthese"]
    assert [b.id for b in synthesis.boxes if b.id.startswith("regard-")] == [
        "regard-structure", "regard-initiative", "regard-transition", "regard-methodes"]
    assert len(synthesis.get("validations")) == 3  # both communities and the visiting group
    roles = {i.id for i in kit.by_type(ItemType.ROLE)}
    assert roles == {
        "role-hote", "role-visiteur", "role-preneur-de-notes", "role-gardien-du-temps", "role-questionneur",
        "role-charge-de-mission", "role-chercheur", "role-groupe-pilotage",
    }
    assert {i.id for i in kit.by_type(ItemType.GUIDE)} >= {
        "guide-accompagnateur", "guide-appel-manifestation-interet", "guide-parcours-activites"}


@pytest.fixture(scope="module")
def card_items(kit: Kit) -> list:  # type: ignore[type-arg]
    decks = load_decks(PROJECT_ROOT / "cards")
    types = {ItemType(deck.item_type) for deck in decks}
    assert ItemType.ROLE in types
    return [item for item in kit if item.type in types]


def test_no_card_text_contains_an_editors_note(card_items: list) -> None:  # type: ignore[type-arg]
    found = [
        (item.id, match.group(0))
        for item in card_items
        for text in (*_strings(item.front_matter()), item.body)
        if (match := EDITOR_NOTES.search(text))
    ]
    assert found == []


def test_the_editors_note_pattern_catches_what_it_should() -> None:
    for note in ("Non précisé par la source", "porteur : non précisée", "Non renseigné", "à vérifier"):
        assert EDITOR_NOTES.search(note), note
    assert not EDITOR_NOTES.search("À demander sur place : qui porte la ressourcerie ?")


def test_no_inline_code_in_texts(kit: Kit) -> None:
    """Code spans print in a monospace font the kit does not ship (and mean nothing to a reader)."""
    assert [item.id for item in kit if "`" in item.body] == []
