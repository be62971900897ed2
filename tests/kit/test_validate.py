"""The validator reports every problem of the bad-content fixtures, each with its place."""

from __future__ import annotations

import shutil
from pathlib import Path

from app.kit import load_kit
from app.kit.schema import MAX_FILE_BYTES

BAD = Path(__file__).resolve().parent.parent / "fixtures" / "bad_content"

EXPECTED_ERRORS = [
    "activites/duree-incoherente.md:10: dimensions[1]: « fiche-valide » n'est pas une dimension de la grille",
    "activites/mauvais-types.md:7: duree: doit être un nombre entier",
    "activites/mauvais-types.md:9: moment: valeur invalide, attendu : 'preparation', 'visite', "
    "'apres-visite', 'capitalisation' ou 'phase-2'",
    "activites/mauvais-types.md:10: etapes: au moins 2 éléments attendu",
    "fiches/rubriques.md:7: partie: valeur invalide, attendu : 1 ou 2",
    "fiches/rubriques.md:9: rubriques: rubrique « Contexte et enjeux » vide",
    "fiches/rubriques.md:15: rubriques: rubrique « Définition » manquante",
    "fiches/yaml-casse.md:5: yaml: erreur de syntaxe YAML : while scanning a quoted scalar, "
    "found unexpected end of stream (commencé ligne 3)",
    "grille/questions.md:8: questions[2].texte: « Ce qui change » ne se termine pas par « ? »",
    "notions/doublon.md:2: id: identifiant « doublon » déjà utilisé par initiatives/doublon.md",
    "notions/lien-casse.md:5: sources[2]: source « source-inconnue » absente de sources.yaml",
    "notions/lien-casse.md:8: liens[2]: « fiche-qui-n-existe-pas » n'existe pas",
    "pages/mauvais-id.md:2: id: format invalide (attendu : ^[a-z0-9]+(-[a-z0-9]+)*$)",
    "pages/sans-entete.md:1: front matter: en-tête YAML absent (le fichier doit commencer par ---)",
    "postures/champ-inconnu.md:2: resume: champ obligatoire manquant",
    "postures/champ-inconnu.md:4: auteur: champ inconnu (voir kit_content/README.md)",
    "protocoles/protocole-casse.md:13: demi_journees[1].etapes[2].etape: « duree-incoherente » n'a pas d'étape "
    "« inventee »",
    "protocoles/protocole-casse.md:14: demi_journees[1].etapes[3].etape: « activite-absente » n'existe pas",
    "protocoles/protocole-casse.md:18: demi_journees[2].id: identifiant « matin » déjà utilisé ligne 8",
    "protocoles/protocole-sans-etape.md:12: demi_journees[1].etapes[1]: une étape cite une étape d'activité "
    "(etape) ou se décrit (titre et minutes)",
]

EXPECTED_WARNINGS = [
    "activites/duree-incoherente.md:2: etapes: les étapes durent 50 min, mais duree vaut 60 min",
    "notions/lien-casse.md:10: corps: HTML brut : il sera ignoré à l'affichage",
    "protocoles/protocole-casse.md:10: demi_journees[1].minutes: les étapes durent 40 min, plus que les 30 min "
    "de la demi-journée",
    "protocoles/protocole-trop-long.md:10: demi_journees[1].minutes: les étapes durent 35 min, plus que les "
    "30 min de la demi-journée",
]


def test_every_fixture_problem_is_reported_with_its_place() -> None:
    result = load_kit(BAD)
    assert [str(p) for p in result.errors] == EXPECTED_ERRORS
    assert [str(p) for p in result.warnings] == EXPECTED_WARNINGS


def test_invalid_items_are_left_out_of_the_kit() -> None:
    kit = load_kit(BAD).kit
    # Items with errors of their own or broken references are excluded.
    assert sorted(kit.items) == ["doublon", "fiche-valide", "protocole-trop-long"]
    assert "lien-casse" not in kit.items


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(BAD, target)
    return target


def test_oversized_file_is_an_error(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    big = root / "notions" / "trop-gros.md"
    big.write_text("---\nid: trop-gros\n---\n" + "x" * MAX_FILE_BYTES, encoding="utf-8")
    messages = [str(p) for p in load_kit(root).errors]
    size = big.stat().st_size
    assert f"notions/trop-gros.md:1: fichier: {size} octets, au-delà de la limite de {MAX_FILE_BYTES}" in messages


def test_duplicate_key_and_bad_encoding(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    (root / "notions" / "cle-double.md").write_text(
        "---\nid: cle-double\ntitre: Un\ntitre: Deux\nresume: R\nsources: [source-test]\n---\nTexte.\n",
        encoding="utf-8",
    )
    (root / "notions" / "latin1.md").write_bytes("---\nid: latin1\ntitre: é\n---\n".encode("latin-1"))
    messages = [str(p) for p in load_kit(root).errors]
    assert "notions/cle-double.md:4: titre: champ en double" in messages
    assert "notions/latin1.md:3: fichier: encodage invalide (UTF-8 attendu)" in messages


def test_renamed_item_keeps_its_old_id(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    fiche = root / "fiches" / "fiche-valide.md"
    text = fiche.read_text(encoding="utf-8").replace(
        "id: fiche-valide", "id: fiche-renommee\nanciens_ids: [fiche-valide]"
    )
    fiche.unlink()
    (root / "fiches" / "fiche-renommee.md").write_text(text, encoding="utf-8")
    kit = load_kit(root).kit
    item, redirected = kit.resolve("fiche-valide")
    assert item is not None and item.id == "fiche-renommee" and redirected


def test_unknown_folder_and_stray_files_are_warnings(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    (root / "brouillons").mkdir()
    (root / "brouillons" / "x.md").write_text("texte", encoding="utf-8")
    (root / "fiches" / "notes.txt").write_text("texte", encoding="utf-8")
    warnings = [str(p) for p in load_kit(root).warnings]
    assert any(w.startswith("brouillons:1: dossier: dossier inconnu") for w in warnings)
    assert "fiches/notes.txt:1: fichier: fichier ignoré (seuls les .md sont lus)" in warnings


def test_cli_prints_paths_and_fails(runner_plain) -> None:  # type: ignore[no-untyped-def]
    result = runner_plain(["validate", "--content", str(BAD)])
    assert result.exit_code == 1
    for message in EXPECTED_ERRORS:
        path, rest = message.split(":", 1)
        shown = BAD.relative_to(Path.cwd()) if BAD.is_relative_to(Path.cwd()) else BAD
        assert f"{shown.as_posix()}/{path}:{rest}" in result.output


def test_cli_strict_fails_on_warnings_only(tmp_path: Path, runner_plain) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "content"
    (root / "fiches").mkdir(parents=True)
    shutil.copy(BAD / "sources.yaml", root / "sources.yaml")
    shutil.copy(BAD / "fiches" / "fiche-valide.md", root / "fiches" / "fiche-valide.md")
    (root / "fiches" / "notes.txt").write_text("x", encoding="utf-8")
    assert runner_plain(["validate", "--content", str(root)]).exit_code == 0
    assert runner_plain(["validate", "--strict", "--content", str(root)]).exit_code == 1


def test_sections_and_intro_are_split_on_level_two_headings(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    (root / "pages").mkdir(exist_ok=True)
    (root / "pages" / "page-test.md").write_text(
        "---\nid: page-test\ntitre: T\nresume: R\nsources: [source-test]\n---\n\n\n"
        "Une introduction.\n\n## Première\nUn.\n\n## Seconde\nDeux.\n",
        encoding="utf-8",
    )
    item = load_kit(root).kit.items["page-test"]
    assert item.intro == "Une introduction."
    assert [(s.title, s.markdown) for s in item.sections] == [("Première", "Un."), ("Seconde", "Deux.")]
    assert item.body.splitlines()[item.sections[0].line - 1] == "## Première"
