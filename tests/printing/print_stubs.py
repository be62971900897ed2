"""A complete copy of the content for print tests and the benchmark.

The content is written by other people while the print pipeline is developed: links may point to
items that do not exist yet, which makes `load_kit` leave the linking items out. `complete_content`
copies `kit_content/` and adds a plausible stub for every missing link target, so that every real
item is printable.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from app.kit import load_kit

_MISSING = re.compile(r"« ([a-z0-9-]+) » n'existe pas")
_FOLDERS = {
    "notion": "notions",
    "initiative": "initiatives",
    "fiche": "fiches",
    "posture": "postures",
    "activite": "activites",
    "dim": "grille",
    "structure": "structures",
    "page": "pages",
}


def _stub(item_id: str, source: str, index: int) -> str | None:
    prefix = item_id.split("-", 1)[0]
    words = item_id.split("-", 1)[-1].replace("-", " ")
    title = words[:1].upper() + words[1:]
    common = (
        f"id: {item_id}\ntitre: \"{title}\"\nresume: \"Élément provisoire en attente de rédaction.\"\n"
        f"sources: [{source}]\n"
    )
    if prefix == "notion":
        return (
            f"---\n{common}termes: [\"{words}\"]\n---\n\n"
            f"La notion de {words} désigne une manière de faire de l'économie autrement, au service "
            "des habitant·es et de leur territoire. Elle est décrite dans les fiches de la mallette.\n"
        )
    if prefix == "initiative":
        return (
            f"---\n{common}territoire: \"Un territoire\"\nporteur: \"Une association locale\"\n"
            "besoin: \"Répondre à un besoin du territoire que ni le marché ni l'État ne couvrent.\"\n"
            "innovation: \"Une coopération nouvelle entre habitant·es, associations et collectivité.\"\n"
            f"---\n\nDescription provisoire de l'initiative {words}.\n"
        )
    if prefix == "page":
        return f"---\n{common}---\n\nPage provisoire.\n"
    return None


def complete_content(source: Path, target: Path) -> Path:
    """Copy `source` to `target` and add stubs until no link points to a missing item."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target)
    source_key = "synthese-recherche-action"
    for round_ in range(3):
        result = load_kit(target)
        missing = sorted({m.group(1) for p in result.errors if (m := _MISSING.search(p.message))})
        if not missing:
            break
        for index, item_id in enumerate(missing):
            folder = _FOLDERS.get(item_id.split("-", 1)[0])
            text = _stub(item_id, source_key, index + round_ * 1000)
            if folder is None or text is None:
                continue
            (target / folder).mkdir(exist_ok=True)
            path = target / folder / f"{item_id}.md"
            if not path.exists():
                path.write_text(text, encoding="utf-8")
    return target
