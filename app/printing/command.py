"""The `mallette build-kit` command's work, kept here so that app/cli.py only delegates."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from app.kit import load_kit

from .decks import DeckError
from .kit_builder import KitOptions, Step, build_kit
from .render import PrintError

#: The command line's words for each build step.
STEP_TEXT = {
    Step.PREPARING: "Préparation de la mallette",
    Step.UP_TO_DATE: "Mallette prête (déjà à jour)",
    Step.PARTS_CACHED: "{done} partie(s) déjà prête(s), {pending} à composer",
    Step.ASSEMBLING: "Assemblage du PDF complet",
    Step.ZIPPING: "Création de l'archive ZIP",
    Step.READY: "Mallette prête",
}
PART_TEXT = {
    "body": "Livret : fiches, activités, grille, structures et glossaire composé",
    "front": "Livret : couverture, colophon et sommaire composé",
    "body-section": "Livret : « {section} » composé",
    "deck": "Jeu « {deck} » composé",
}


def step_text(step: Step, params: dict[str, Any]) -> str:
    """A build step in French, for the command line."""
    template = PART_TEXT.get(str(params.get("part")), "") if step == Step.PART_DONE else STEP_TEXT.get(step, "")
    try:
        return template.format(**params)
    except (KeyError, IndexError):
        return template


def run_build_kit(
    config: Mapping[str, Any],
    *,
    territory: str,
    paper: str,
    edition: str,
    decks: str,
    back_offset: float,
    out: Path,
    cards: str = "",
    content_dir: Path | None,
    base_url: str | None,
) -> int:
    """Build a territory kit with the app's configuration; return the exit status."""
    root = Path(content_dir or config["CONTENT_DIR"])
    result = load_kit(root)
    if result.errors:
        click.echo(
            f"avertissement : {len(result.errors)} problème(s) dans le contenu, les éléments concernés "
            "sont laissés de côté (voir « mallette validate »).",
            err=True,
        )
    try:
        options = KitOptions(
            territory=territory,
            paper=paper,
            edition=edition,
            decks=tuple(d.strip() for d in decks.split(",") if d.strip()),
            back_offset_mm=back_offset,
            cards=tuple(c.strip() for c in cards.split(",") if c.strip()),
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    started = time.perf_counter()

    def progress(percent: int, step: Step, params: dict[str, Any]) -> None:
        click.echo(f"[{percent:3d} %] {step_text(step, params)}", err=True)

    try:
        kit_result = build_kit(
            result.kit,
            options,
            out,
            base_url=base_url or config["BASE_URL"],
            print_dir=Path(config["PRINT_DIR"]),
            cards_dir=Path(config["CARDS_DIR"]),
            progress=progress,
            cache_dir=Path(config["BUILD_DIR"]) / ".print-cache",
            cache_budget_bytes=int(config["PRINT_CACHE_MB"]) * 1024 * 1024,
        )
    except (PrintError, DeckError) as exc:
        for line in str(exc).splitlines():
            click.echo(f"erreur : {line}", err=True)
        return 1
    for path in kit_result.files:
        click.echo(str(path))
    click.echo(
        f"{kit_result.pages} pages dans {kit_result.whole_pdf.name}, "
        f"en {time.perf_counter() - started:.1f} s.",
        err=True,
    )
    return 0
