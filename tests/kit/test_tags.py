"""One tag vocabulary: keys folded across accents, case and separators; labels; near-duplicate warnings."""

from __future__ import annotations

from pathlib import Path

from app.kit import load_kit
from app.kit.tags import TagUse, tag_key, tag_labels, tag_problems

WEB_CONTENT = Path(__file__).resolve().parent.parent / "web" / "content"


def test_tag_key_folds_accents_case_and_separators() -> None:
    assert tag_key("Coopération") == tag_key("cooperation") == "cooperation"
    assert tag_key("visite apprenante") == tag_key("visite-apprenante") == tag_key("Visite_Apprenante")
    assert tag_key("droit à l'initiative") == tag_key("droit-a-l-initiative") == "droit-a-l-initiative"
    assert tag_key("mise en récit") == "mise-en-recit"
    assert tag_key("coopération") != tag_key("coopérative")


def test_the_label_is_the_written_form_with_accents_and_spaces() -> None:
    labels = tag_labels(["cooperation"] * 8 + ["coopération"] * 3 + ["mise-en-recit", "mise en récit", "tiers-lieux"])
    assert labels == {"cooperation": "coopération", "mise-en-recit": "mise en récit", "tiers-lieux": "tiers-lieux"}


def test_near_duplicates_are_warned_with_their_place() -> None:
    uses = [TagUse("coopération", "fiches/a.md", 5, "tags[1]"), TagUse("cooperation", "fiches/b.md", 7, "tags[2]"),
            TagUse("tiers-lieux", "fiches/b.md", 7, "tags[1]")]
    assert [str(p) for p in tag_problems(uses)] == [
        "fiches/b.md:7: tags[2]: mot-clé « cooperation » écrit « coopération » ailleurs : écrivez « coopération »"
    ]
    assert all(not p.is_error for p in tag_problems(uses))


def test_the_validator_reports_the_test_kits_split_tag() -> None:
    result = load_kit(WEB_CONTENT)
    warnings = [str(p) for p in result.warnings]
    assert "structures/structure-apes.md:5: tags[1]: mot-clé « cooperation » écrit « coopération » ailleurs : " \
           "écrivez « coopération »" in warnings
    assert result.kit.tag_label("COOPERATION") == "coopération"
    assert result.kit.tag_label("inconnu") == "inconnu"


def test_the_real_kit_has_one_vocabulary() -> None:
    kit = load_kit(Path(__file__).resolve().parents[2] / "kit_content").kit
    written: dict[str, set[str]] = {}
    for item in kit:
        for tag in item.tags:
            written.setdefault(tag_key(tag), set()).add(tag)
    assert {key: forms for key, forms in written.items() if len(forms) > 1} == {}
    assert kit.tag_label("mise-en-recit") == "mise en récit"
