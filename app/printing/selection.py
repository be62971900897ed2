"""A selection: one PDF of just the cards a facilitator picked across decks (`KitOptions.cards`).

The cards are grouped by deck, in deck order, each group imposed with its deck's size (fronts and
mirrored backs on home sheets, or one card per page for the shop), numbered as in the whole deck;
every group has an even page count, so the merged PDF stays duplex-correct. Each group is a part
rendered by the job's render workers and cached like a deck (`build_kit` hands selections here).
"""

from __future__ import annotations

from pathlib import Path

from app.kit.model import Kit

from .assembly import write_zip
from .cache import DEFAULT_BUDGET_BYTES, get_part, prune, put_part, restore, save_manifest
from .cards import MALLETTE_NAME
from .decks import Deck, deck_items, load_decks
from .fingerprint import assets_hash, content_date, deck_key, sha
from .merge import MergeInfo, MergePart, merge_pdfs
from .options import PIPELINE_VERSION, KitOptions, KitResult, ProgressFn, Step, slugify
from .parallel import run_parts
from .parts import Job, Part, Rendered, part_params
from .render import CardOverflowError, PrintError


def selection_groups(kit: Kit, card_ids: tuple[str, ...], decks: list[Deck]) -> list[tuple[Deck, list[str]]]:
    """The chosen cards grouped by the first deck that holds each, in deck then card order.

    Raises `PrintError` naming every id that is no card of the kit.
    """
    wanted = set(card_ids)
    groups: list[tuple[Deck, list[str]]] = []
    placed: set[str] = set()
    for deck in decks:
        ids = [item.id for item in deck_items(deck, kit) if item.id in wanted and item.id not in placed]
        if ids:
            groups.append((deck, ids))
            placed.update(ids)
    unknown = [card for card in card_ids if card not in placed]
    if unknown:
        raise PrintError(f"carte(s) inconnue(s) dans la sélection : {', '.join(unknown)}")
    return groups


def build_selection(
    kit: Kit,
    options: KitOptions,
    out_dir: Path,
    *,
    base_url: str,
    print_dir: Path,
    cards_dir: Path,
    progress: ProgressFn | None = None,
    cache_dir: Path | None = None,
    workers: int | None = None,
    cache_budget_bytes: int = DEFAULT_BUDGET_BYTES,
) -> KitResult:
    """Build the selection PDF (and a ZIP holding it) into `out_dir`, as `build_kit` does a kit."""
    report: ProgressFn = progress or (lambda _percent, _step, _params: None)
    out_dir, print_dir, cards_dir = Path(out_dir), Path(print_dir), Path(cards_dir)
    cache = Path(cache_dir) if cache_dir is not None else out_dir.resolve().parent / ".print-cache"
    report(0, Step.PREPARING, {})
    if not options.cards:
        raise PrintError("la sélection est vide : choisissez au moins une carte")
    groups = selection_groups(kit, options.cards, load_decks(cards_dir, print_dir))
    assets = assets_hash(print_dir)
    parts = [
        Part(f"selection:{deck.id}", sha("selection", deck_key(deck, kit, options, base_url, assets), ids), len(ids))
        for deck, ids in groups
    ]
    whole_key = sha("selection-kit", [p.key for p in parts], options.as_dict())
    manifest_path = cache / "kits" / f"{whole_key}.json"
    if manifest_path.is_file():
        result = restore(manifest_path, cache, out_dir)
        if result is not None:
            report(100, Step.UP_TO_DATE, {})
            return result

    rendered: dict[str, Rendered] = {}
    pending = []
    for part in parts:
        hit = get_part(cache, part)
        if hit is None:
            pending.append(part)
        else:
            rendered[part.name] = hit
    report(5, Step.PARTS_CACHED, {"done": len(rendered), "pending": len(pending)})
    job = Job(kit, options, {deck.id: deck for deck, _ids in groups}, [], base_url, print_dir, cache)
    keys = {p.name: p.key for p in parts}
    overflows: list[tuple[str, str, float]] = []
    for fresh in run_parts(job, pending, workers, None):
        if fresh.overflows:
            overflows.extend(fresh.overflows)
        else:
            rendered[fresh.name] = fresh
            put_part(cache, keys[fresh.name], fresh)
        report(5 + int(80 * len(rendered) / len(parts)), Step.PART_DONE, part_params(fresh.name, job))
    if overflows:
        raise CardOverflowError(sorted(overflows), {i.id: i.path for i in kit})

    report(88, Step.ASSEMBLING, {})
    out_dir.mkdir(parents=True, exist_ok=True)
    slug = slugify(options.territory)
    date = content_date(kit, [item for deck, ids in groups for item in deck_items(deck, kit) if item.id in ids])
    pdf = out_dir / f"{slug}-cartes.pdf"
    merge_parts = [
        MergePart(rendered[f"selection:{deck.id}"].data, f"{deck.title} ({len(ids)} cartes)",
                  label_prefix=f"{deck.title} – ")
        for deck, ids in groups
    ]
    count = sum(len(ids) for _deck, ids in groups)
    info = MergeInfo(
        title=f"{MALLETTE_NAME} — sélection de {count} cartes",
        author="Mouvement pour l'Économie Solidaire",
        subject="Cartes choisies de la mallette pédagogique, rectos et versos",
        creator=f"Mallette, chaîne d'impression v{PIPELINE_VERSION}",
        date=date,
        duplex=options.edition == "home",
        group_bookmark="Cartes choisies",
    )
    pages = merge_pdfs(merge_parts, pdf, info)
    report(95, Step.ZIPPING, {})
    zip_path = out_dir / f"{slug}-cartes.zip"
    write_zip(zip_path, [pdf], date)
    files = [pdf, zip_path]
    used = save_manifest(manifest_path, cache, files, pdf, zip_path, pages)
    used += [cache / "parts" / f"{p.key}.{ext}" for p in parts for ext in ("pdf", "json")]
    prune(cache, cache_budget_bytes, keep=used)
    report(100, Step.READY, {})
    return KitResult(files=files, zip_path=zip_path, whole_pdf=pdf, pages=pages)
