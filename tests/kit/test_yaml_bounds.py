"""Hostile YAML and files in the content folder become `path:line` problems, never a crash or a hang.

Alias bombs, self-aliases, thousands of nesting levels, huge integers, invalid UTF-8 and symbolic
links are each refused with their place, both in `sources.yaml` and in an item's front matter.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.kit import load_kit
from app.kit.loader import MAX_SOURCES_BYTES
from app.kit.safe_yaml import MAX_DEPTH, YamlProblem, load_bounded

SEARCH = Path(__file__).resolve().parent.parent / "fixtures" / "search_content"

#: "Billion laughs": nine levels of ten aliases each (10**9 strings once expanded).
ALIAS_BOMB = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8)
)
SELF_ALIAS = "a: &a [*a]\n"
DEEP = "a: " + "[" * 5000 + "]" * 5000 + "\n"
HUGE_INT = "a: " + "9" * 5000 + "\n"
PYTHON_TAG = "a: !!python/object/apply:os.system ['true']\n"

HOSTILE = [
    pytest.param(ALIAS_BOMB, 2, "alias", id="alias-bomb"),
    pytest.param(SELF_ALIAS, 1, "alias", id="self-alias"),
    pytest.param(DEEP, 1, "imbrication trop profonde", id="deep-nesting"),
    pytest.param(HUGE_INT, 1, "valeur YAML impossible", id="huge-int"),
    pytest.param(PYTHON_TAG, 1, "could not determine a constructor", id="python-tag"),
    pytest.param("a: 1\nb: \x00\n", 2, "caractère non accepté", id="nul"),  # found by Hypothesis
]


@pytest.mark.parametrize(("text", "line", "words"), HOSTILE)
def test_bounded_loader_refuses_with_the_line(text: str, line: int, words: str) -> None:
    with pytest.raises(YamlProblem) as caught:
        load_bounded(text)
    assert caught.value.line == line
    assert words in caught.value.message


def test_nesting_up_to_the_limit_is_accepted() -> None:
    depth = MAX_DEPTH - 1  # the top-level mapping is one level
    _node, data = load_bounded("a: " + "[" * depth + "]" * depth)
    assert isinstance(data, dict)


def _content(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(SEARCH, root)
    return root


@pytest.mark.parametrize(("text", "line", "words"), HOSTILE)
def test_hostile_sources_yaml_is_a_located_error(tmp_path: Path, text: str, line: int, words: str) -> None:
    root = _content(tmp_path)
    (root / "sources.yaml").write_text(text, encoding="utf-8")
    errors = [str(p) for p in load_kit(root).errors]
    assert any(e.startswith(f"sources.yaml:{line}: yaml: ") and words in e for e in errors), errors


@pytest.mark.parametrize(("text", "line", "words"), HOSTILE)
def test_hostile_front_matter_is_a_located_error(tmp_path: Path, text: str, line: int, words: str) -> None:
    root = _content(tmp_path)
    (root / "notions" / "piege.md").write_text(f"---\n{text}---\nTexte.\n", encoding="utf-8")
    result = load_kit(root)
    errors = [str(p) for p in result.errors]
    # Front matter line 1 is file line 2.
    assert any(e.startswith(f"notions/piege.md:{line + 1}: yaml: ") and words in e for e in errors), errors
    assert "notion-cooperation" in result.kit.items  # the other items still load


def test_invalid_utf8_in_sources_yaml(tmp_path: Path) -> None:
    root = _content(tmp_path)
    (root / "sources.yaml").write_bytes(b"source-test:\n  title: \"caf\xe9\"\n")
    errors = [str(p) for p in load_kit(root).errors]
    assert "sources.yaml:2: fichier: encodage invalide (UTF-8 attendu)" in errors


def test_oversized_sources_yaml(tmp_path: Path) -> None:
    root = _content(tmp_path)
    (root / "sources.yaml").write_text("# " + "x" * MAX_SOURCES_BYTES + "\n", encoding="utf-8")
    errors = [str(p) for p in load_kit(root).errors]
    assert f"sources.yaml:1: fichier: au-delà de la limite de {MAX_SOURCES_BYTES} octets" in errors


def test_symlinked_files_and_folders_are_refused(tmp_path: Path) -> None:
    root = _content(tmp_path)
    secret = tmp_path / "secret_key"
    secret.write_text("s3cr3t", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(root / "notions" / "notion-tiers-lieu.md", elsewhere / "notion-tiers-lieu.md")
    (root / "notions" / "lien.md").symlink_to(secret)
    (root / "fiches").symlink_to(elsewhere, target_is_directory=True)
    result = load_kit(root)
    errors = [str(p) for p in result.errors]
    assert "notions/lien.md:1: fichier: lien symbolique refusé : le fichier est ignoré" in errors
    assert "fiches:1: dossier: lien symbolique refusé : le dossier est ignoré" in errors
    assert "lien" not in result.kit.items


def test_symlinked_sources_yaml_is_refused(tmp_path: Path) -> None:
    root = _content(tmp_path)
    target = tmp_path / "real.yaml"
    shutil.move(root / "sources.yaml", target)
    (root / "sources.yaml").symlink_to(target)
    errors = [str(p) for p in load_kit(root).errors]
    assert "sources.yaml:1: sources: lien symbolique refusé" in errors
