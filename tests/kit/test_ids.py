"""Stable ids inside content: activity steps and grid questions are addressed `<item>.<local-id>`,
validated unique, and keep their address when an editor reorders the list; protocols resolve them."""

from __future__ import annotations

import shutil
from pathlib import Path

from app.kit import Kit, load_kit

SEARCH = Path(__file__).resolve().parent.parent / "fixtures" / "search_content"


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(SEARCH, target)
    return target


def test_steps_and_questions_are_found_by_address(kit: Kit) -> None:
    step = kit.step("activite-j1-matin-ecosysteme.accueil")
    assert step is not None and step.titre == "Accueil et tour de présentation" and step.minutes == 30
    question = kit.question("dim-cooperation.q1")
    assert question is not None and question.texte.startswith("Quelles parties prenantes coopèrent")
    assert kit.step("activite-j1-matin-ecosysteme.inconnue") is None
    assert kit.step("dim-cooperation.q1") is None  # a question is not a step
    assert kit.question("activite-j1-matin-ecosysteme.accueil") is None
    assert kit.question("sans-point") is None


def test_every_step_and_question_has_an_id_unique_in_its_list(kit: Kit) -> None:
    activities = [i for i in kit if i.steps]
    dimensions = [i for i in kit if i.questions]
    assert len(activities) >= 14 and len(dimensions) >= 6
    for item in activities:
        ids = [s.id for s in item.steps]
        assert len(ids) == len(set(ids)), item.id
    for item in dimensions:
        ids = [q.id for q in item.questions]
        assert len(ids) == len(set(ids)), item.id


def test_reordering_steps_keeps_their_addresses(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    before = load_kit(root).kit
    lister = before.step("activite-carte.lister")
    relier = before.step("activite-carte.relier")
    assert lister is not None and relier is not None
    path = root / "activites" / "activite-carte.md"
    text = path.read_text(encoding="utf-8")
    head, rest = text.split("etapes:\n", 1)
    steps, tail = rest.split("---\n", 1)
    first, second = steps.split("  - id: relier\n")
    path.write_text(f"{head}etapes:\n  - id: relier\n{second}{first}---\n{tail}", encoding="utf-8")
    after = load_kit(root)
    assert [str(p) for p in after.problems] == []
    assert [s.id for s in after.kit.items["activite-carte"].steps] == ["relier", "lister"]
    assert after.kit.step("activite-carte.lister") == lister
    assert after.kit.step("activite-carte.relier") == relier


def test_repeated_step_or_question_id_is_an_error_with_its_line(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    activity = root / "activites" / "activite-carte.md"
    activity.write_text(activity.read_text(encoding="utf-8").replace("- id: relier", "- id: lister"),
                        encoding="utf-8")
    grid = root / "grille" / "dim-cooperation.md"
    grid.write_text(grid.read_text(encoding="utf-8").replace("{id: q3,", "{id: q1,"), encoding="utf-8")
    result = load_kit(root)
    messages = [str(p) for p in result.errors]
    assert "activites/activite-carte.md:17: etapes[2].id: identifiant « lister » déjà utilisé ligne 13" in messages
    assert "grille/dim-cooperation.md:9: questions[3].id: identifiant « q1 » déjà utilisé ligne 7" in messages
    assert "activite-carte" not in result.kit.items and "dim-cooperation" not in result.kit.items


def test_a_step_or_question_without_id_is_reported(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    activity = root / "activites" / "activite-carte.md"
    activity.write_text(activity.read_text(encoding="utf-8").replace("  - id: relier\n    titre", "  - titre"),
                        encoding="utf-8")
    messages = [str(p) for p in load_kit(root).errors]
    assert "activites/activite-carte.md:17: etapes[2].id: champ obligatoire manquant" in messages


def test_protocol_plan_resolves_activity_steps(kit: Kit) -> None:
    days = kit.plan("protocole-visite-apprenante")
    assert [d.id for d in days] == ["j1-matin", "j1-apres-midi", "j2-matin", "j2-apres-midi"]
    first = days[0].steps[0]
    source = kit.step("activite-j1-matin-ecosysteme.accueil")
    assert source is not None
    assert (first.address, first.titre, first.minutes, first.consigne) == (
        "activite-j1-matin-ecosysteme.accueil", source.titre, source.minutes, source.consigne)
    assert first.activity is not None and first.activity.id == "activite-j1-matin-ecosysteme"
    lunch = days[0].steps[-1]
    assert (lunch.key, lunch.address, lunch.titre, lunch.minutes) == ("dejeuner-j1", None, "Déjeuner", 60)
    for day in days:
        assert day.total <= day.minutes
    assert kit.plan("activite-j1-matin-ecosysteme") == [] and kit.plan("inconnu") == []


def test_protocol_step_minutes_override_the_activity_step(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    (root / "protocoles").mkdir()
    (root / "protocoles" / "protocole-test.md").write_text(
        "---\nid: protocole-test\ntitre: T\nresume: R\nsources: [source-test]\ntype_seance: comite-pilotage\n"
        "demi_journees:\n  - id: matin\n    titre: Matin\n    minutes: 60\n    etapes:\n"
        "      - etape: activite-carte.relier\n        minutes: 25\n"
        "      - etape: activite-carte.lister\n---\n"
        "## Avant\n\nA.\n\n## Pendant\n\nP.\n\n## Après\n\nA.\n\n## Rôles\n\nR.\n",
        encoding="utf-8",
    )
    result = load_kit(root)
    assert [str(p) for p in result.problems] == []
    (day,) = result.kit.plan("protocole-test")
    assert [(s.key, s.minutes) for s in day.steps] == [("activite-carte.relier", 25), ("activite-carte.lister", 20)]
    assert day.total == 45
