"""The booklet prints protocols (half-days with their activity steps), templates to fill in (boxes
with room to write, a validation row per party) and guides; the roles deck's cards show their role."""

from __future__ import annotations

from app.config import PROJECT_ROOT
from app.kit import Kit
from app.printing.booklet import BODY_SECTIONS, BookletBuilder
from app.printing.cards import card_parts

PRINT_DIR = PROJECT_ROOT / "print"


def test_body_context_has_protocols_templates_and_guides(kit: Kit) -> None:
    builder = BookletBuilder(kit, base_url="http://127.0.0.1:5200", print_dir=PRINT_DIR)
    context = builder.body_context(meta={})
    assert [a for a, _t, _k in BODY_SECTIONS][:5] == ["fiches", "activites", "protocoles", "modeles", "guides"]
    visit = next(p for p in context["protocols"] if p["id"] == "protocole-visite-apprenante")
    assert visit["kind"] == "Visite apprenante"
    first_day = visit["days"][0]
    assert str(first_day["steps"][0]["title"]) == "Accueil et tour de présentation"
    assert first_day["steps"][0]["activity_anchor"] == "item-activite-j1-matin-ecosysteme"
    assert [s["from"] for s in first_day["steps"][:2]] == ["0:00", "0:30"]
    assert [t for t, _html in visit["sections"]] == ["Avant", "Pendant", "Après", "Rôles"]
    synthesis = next(m for m in context["templates"] if m["id"] == "modele-note-synthese")
    assert len(synthesis["validations"]) == 3
    box = next(b for b in synthesis["boxes"] if "Regard 2" in str(b["title"]))
    assert box["lines_mm"] == 4 * 7 and box["questions"]  # grid questions resolved from their addresses
    assert {g["id"] for g in context["guides"]} >= {"guide-accompagnateur", "guide-parcours-activites"}


def test_role_card_front_has_who_mission_and_watch_point(kit: Kit) -> None:
    parts = card_parts(kit.items["role-preneur-de-notes"], kit, "http://127.0.0.1:5200")
    assert "tour de rôle" in parts["who"]
    assert "<li>" in parts["do"] and parts["mission"] and parts["watch"]
