"""Territory kits: one PDF per deck, the booklet, a whole-kit PDF with bookmarks, and a ZIP.

Each deck, each chunk of the booklet's body and the booklet's front are rendered as one WeasyPrint
document each (`parts.py`), in parallel across cores (`parallel.py`: forked workers inherit the
loaded fonts and stylesheets), and cached by a hash of everything that goes into them
(`fingerprint.py`, `cache.py`), so that an unchanged part is never rendered twice. The body does not
depend on the territory: another territory's kit renders only its front (cover, colophon, contents).
The front is rendered once the body's chunks are, since its contents print the body's page numbers.
The booklet and the whole kit are then merged, still tagged, the body's page numbers stamped on
(`assembly.py`, `merge.py`). Output is deterministic:
PDF dates come from the content files, identifiers from the input hash, ZIP entries have fixed
dates. One deck or one card alone: `single.py`.
"""

from __future__ import annotations

from pathlib import Path

from app.kit.model import Kit

from .assembly import assemble
from .booklet import DeckEntry
from .cache import DEFAULT_BUDGET_BYTES, get_part, prune, put_part, restore, save_manifest
from .cards import DECK_EXTRA_CARDS
from .decks import deck_items
from .fingerprint import assets_hash, body_key, content_date, deck_key, front_key, sha
from .imposition import home_page_count, shop_page_count
from .options import EDITIONS, PAPER_CHOICES, PIPELINE_VERSION, KitOptions, KitResult, ProgressFn, Step, slugify
from .parallel import render_processes, run_parts
from .parts import Job, Part, Rendered, body_chunk_name, body_chunks, body_items, part_params, select_decks
from .render import CardOverflowError
from .selection import build_selection
from .single import render_card_pdf, render_deck_pdf

__all__ = [
    "EDITIONS", "PAPER_CHOICES", "PIPELINE_VERSION", "KitOptions", "KitResult", "ProgressFn", "Step", "build_kit",
    "render_card_pdf", "render_deck_pdf", "slugify",
]


def build_kit(
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
    """Build a territory kit into `out_dir`; report progress as (percent, `Step`, parameters).

    Raises `PrintError` (e.g. `CardOverflowError` naming every card whose text overflows) and
    `DeckError` for invalid deck files. `cache_dir` defaults to `<out_dir>/../.print-cache`; once
    it outgrows `cache_budget_bytes`, its least recently used files are dropped.
    """
    if options.cards:  # a selection: one PDF of just those cards
        return build_selection(kit, options, out_dir, base_url=base_url, print_dir=print_dir, cards_dir=cards_dir,
                               progress=progress, cache_dir=cache_dir, workers=workers,
                               cache_budget_bytes=cache_budget_bytes)
    report: ProgressFn = progress or (lambda _percent, _step, _params: None)
    out_dir, print_dir, cards_dir = Path(out_dir), Path(print_dir), Path(cards_dir)
    cache = Path(cache_dir) if cache_dir is not None else out_dir.resolve().parent / ".print-cache"
    report(0, Step.PREPARING, {})
    decks = select_decks(kit, options, cards_dir, print_dir)
    assets = assets_hash(print_dir)
    slug = slugify(options.territory)

    entries = []
    deck_keys: dict[str, str] = {}
    for deck in decks:
        count = len(deck_items(deck, kit))
        printed = count + DECK_EXTRA_CARDS  # the title card and the mode d'emploi come first
        pages = (
            shop_page_count(printed) if options.edition == "shop"
            else home_page_count(printed, deck.size, options.paper)
        )
        entries.append(DeckEntry(deck, count, pages, f"{slug}-jeu-{deck.id}.pdf"))
        deck_keys[deck.id] = deck_key(deck, kit, options, base_url, assets)
    body = body_key(kit, body_items(kit), base_url, assets)
    front = front_key(kit, body, options, base_url, assets, entries)
    chunks = [Part(body_chunk_name(i), sha(body, i, chunk), 10_000 - i) for i, chunk in enumerate(body_chunks(kit))]
    parts = [*chunks, Part("front", front, 0), Part("folios", sha("folios", assets), 50)] + [
        Part(f"deck:{e.deck.id}", deck_keys[e.deck.id], e.cards) for e in entries
    ]
    if options.edition == "home" and entries:  # the duplex test sheet, printed before the decks
        parts.append(Part("registration", sha("registration", assets, options.paper, options.back_offset_mm), 1))
    if entries:  # a tuck box per deck, after the decks
        boxes = [(e.deck.fingerprint(), e.cards + DECK_EXTRA_CARDS) for e in entries]
        parts.append(Part("tuckboxes", sha("tuckboxes", assets, options.paper, boxes), len(entries)))
    whole_key = sha("whole", [p.key for p in parts], options.as_dict())

    # Fast path: the whole kit was built with these exact inputs.
    manifest_path = cache / "kits" / f"{whole_key}.json"
    if manifest_path.is_file():
        result = restore(manifest_path, cache, out_dir)
        if result is not None:
            report(100, Step.UP_TO_DATE, {})
            return result

    rendered: dict[str, Rendered] = {}
    pending: list[Part] = []
    for part in parts:
        hit = get_part(cache, part)
        if hit is not None:
            rendered[part.name] = hit
        else:
            pending.append(part)
    done = len(rendered)
    total = len(parts)
    report(5, Step.PARTS_CACHED, {"done": done, "pending": len(pending)})

    job = Job(kit, options, {d.id: d for d in decks}, entries, base_url, print_dir, cache)
    overflows: list[tuple[str, str, float]] = []
    keys = {p.name: p.key for p in parts}
    body_names = [p.name for p in chunks]
    for fresh in run_parts(job, pending, workers, {n: rendered[n] for n in body_names if n in rendered}, body_names):
        done += 1
        if fresh.overflows:
            overflows.extend(fresh.overflows)
        else:
            rendered[fresh.name] = fresh
            put_part(cache, keys[fresh.name], fresh)
        if fresh.name == "folios":
            continue  # no step of its own: the body's page numbers
        params = part_params(fresh.name, job)
        if fresh.name in body_names and all(n in rendered for n in body_names):
            params = {"part": "body"}  # its last chunk: the whole body is done
        report(5 + int(80 * done / total), Step.PART_DONE, params)
    if overflows:
        raise CardOverflowError(sorted(overflows), {i.id: i.path for i in kit})

    report(88, Step.ASSEMBLING, {})
    files, whole_path, zip_path, pages = assemble(
        rendered, body_names, job, out_dir, slug, content_date(kit), report,
        fork=render_processes(workers, 2) > 1,
    )
    used = save_manifest(manifest_path, cache, files, whole_path, zip_path, pages)
    used += [cache / "parts" / f"{p.key}.{ext}" for p in parts for ext in ("pdf", "json")]
    prune(cache, cache_budget_bytes, keep=used)
    report(100, Step.READY, {})
    return KitResult(files=files, zip_path=zip_path, whole_pdf=whole_path, pages=pages,
                     render_processes=render_processes(workers, len(pending)))
