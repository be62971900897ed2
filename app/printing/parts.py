"""The parts of a kit, each one WeasyPrint document: a deck, a chunk of the booklet's body, the
booklet's front, the body's page numbers.

`Job` holds the shared inputs of a build; `run_part` renders one part of it. PDF finishers set the
viewer preferences and the print-shop BleedBox.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pydyf

from app.kit.model import Kit, KitItem
from app.kit.schema import DEFAULT_LICENCE

from .booklet import BODY_CHUNKS, BODY_SECTIONS, BookletBuilder, DeckEntry
from .cards import (
    DECK_EXTRA_CARDS,
    MALLETTE_NAME,
    SHOP_BLEED_MM,
    SHOP_MARKS_BLEED_MM,
    CardView,
    DeckCard,
    card_views,
    deck_cards,
    faces_context,
    home_context,
    shop_context,
)
from .decks import Deck, deck_items, load_decks, missing_items
from .fingerprint import content_date
from .impose import Layout, Place, SheetPlan, impose
from .merge import DEST_LINK_PREFIX
from .options import PIPELINE_VERSION, KitOptions
from .registration import REGISTRATION_TITLE, registration_context
from .render import PrintError, find_overflows, pdf_bytes, render_html, resources
from .theme import BOOKLET_PAGE
from .tuckbox import TUCKBOX_TITLE, tuckbox_context


@dataclass(frozen=True)
class Part:
    """One document to render: a deck, the booklet's body or its front."""

    name: str  # "deck:<id>" | "body:<n>" | "front" | "folios" | "registration" | "tuckboxes"
    key: str
    weight: int


@dataclass(frozen=True)
class Rendered:
    """A rendered part: PDF bytes, pages, overflowing cards, and (body) its anchors' page numbers."""

    name: str
    data: bytes
    pages: int
    overflows: list[tuple[str, str, float]]
    anchors: dict[str, int]


@dataclass
class Job:
    """Shared inputs of a build (handed to the render workers when their pool starts)."""

    kit: Kit
    options: KitOptions
    decks: dict[str, Deck]
    entries: list[DeckEntry]
    base_url: str
    print_dir: Path
    #: The print cache, where a deck's faces are kept apart from its sheets (None: none kept).
    cache_dir: Path | None = None


def meta(title: str, description: str, date: datetime, keywords: str) -> dict[str, str]:
    """The document information of a part."""
    return {
        "title": title,
        "author": "Mouvement pour l'Économie Solidaire",
        "description": description,
        "keywords": keywords,
        "generator": f"Mallette, chaîne d'impression v{PIPELINE_VERSION}",
        "date": date.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
    }


# --------------------------------------------------------------------------- PDF finishers


def finisher(*, viewer: bool, shop_bleed_mm: float | None) -> Callable[[Any, Any], None]:
    """Set viewer preferences (no scaling, long-edge duplex) and the print-shop BleedBox."""

    def finish(_document: Any, pdf: Any) -> None:
        if viewer:
            pdf.catalog["ViewerPreferences"] = pydyf.Dictionary(
                {"PrintScaling": "/None", "Duplex": "/DuplexFlipLongEdge", "DisplayDocTitle": "true"}
            )
        if shop_bleed_mm is not None:
            bleed = shop_bleed_mm * 72 / 25.4
            for obj in pdf.objects:
                if isinstance(obj, pydyf.Dictionary) and obj.get("Type") == "/Page" and "TrimBox" in obj:
                    left, top, right, bottom = (float(v) for v in obj["TrimBox"])
                    obj["BleedBox"] = pydyf.Array(
                        [round(left - bleed, 3), round(top - bleed, 3), round(right + bleed, 3),
                         round(bottom + bleed, 3)]
                    )

    return finish


# --------------------------------------------------------------------------- part rendering


def deck_card_list(job: Job, deck: Deck) -> tuple[list[CardView], list[CardView | DeckCard]]:
    """A deck's content cards, and every card it prints: its title card and its mode d'emploi
    (unnumbered: n/N counts the content cards), then the content cards."""
    items = card_views(deck, job.kit, base_url=job.base_url, print_dir=job.print_dir)
    own = deck_cards(deck, len(items), base_url=job.base_url, print_dir=job.print_dir, licence=_licence(items))
    return items, [*own, *items]


def render_faces(job: Job, deck: Deck, cards: Sequence[CardView | DeckCard], key: str) -> Rendered:
    """Each side of `cards` once, a page each with its bleed: their fronts, then the deck's back
    (`impose.py` places them on sheets); no bytes when a card overflows."""
    res = resources(job.print_dir)
    info = meta(f"{deck.title} — faces", "Recto de chaque carte, puis le verso du jeu.",
                content_date(job.kit, [c.item for c in cards if isinstance(c, CardView)]), deck.id)
    document = render_html(res, "deck-faces.html", faces_context(deck, cards, meta=info), "cards.css")
    name = f"faces:{deck.id}"
    overflows = find_overflows(document)
    if overflows:
        return Rendered(name, b"", len(document.pages), overflows, {})
    return Rendered(name, pdf_bytes(document, key), len(document.pages), [], {})


def deck_faces(job: Job, deck: Deck, cards: Sequence[CardView | DeckCard]) -> Rendered:
    """The faces of all of a deck's cards: from the print cache, or rendered (and cached)."""
    from .cache import get_part, put_part  # the cache module stores `Part`s and `Rendered`s
    from .fingerprint import assets_hash, faces_key

    part = Part(f"faces:{deck.id}", faces_key(deck, job.kit, job.base_url, assets_hash(job.print_dir)), 0)
    if job.cache_dir is not None:
        hit = get_part(job.cache_dir, part)
        if hit is not None:
            return hit
    faces = render_faces(job, deck, cards, part.key)
    if job.cache_dir is not None and not faces.overflows:
        put_part(job.cache_dir, part.key, faces)
    return faces


def impose_cards(job: Job, deck: Deck, cards: Sequence[CardView | DeckCard], faces: Rendered, index: list[int],
                 info: dict[str, str], key: str) -> tuple[bytes, int]:
    """`cards` (their sides are pages `index` of `faces`, the back its last) imposed for the job's
    edition: fronts and mirrored backs on home sheets, or one side per print-shop page."""
    res = resources(job.print_dir)
    back = faces.pages - 1
    if job.options.edition == "shop":
        document = render_html(res, "deck-shop-sheets.html", shop_context(deck, cards, meta=info), "cards.css")
        frames = pdf_bytes(document, key, finisher=finisher(viewer=False, shop_bleed_mm=SHOP_BLEED_MM))
        margin = SHOP_MARKS_BLEED_MM
        plans = []
        for number, face in enumerate(index):
            plans.append(SheetPlan(0 if number == 0 else 1, fronts=[Place(face, margin, margin)]))
            plans.append(SheetPlan(1, backs=[Place(back, margin, margin)]))
        layout = Layout(deck.width_mm, deck.height_mm, keep="bleed", bleed=SHOP_BLEED_MM)
    else:
        context = home_context(deck, cards, paper=job.options.paper, back_offset_mm=job.options.back_offset_mm,
                               meta=info)
        document = render_html(res, "deck-sheets.html", context, "cards.css")
        frames = pdf_bytes(document, key, finisher=finisher(viewer=True, shop_bleed_mm=None))
        face_of = {id(card): face for card, face in zip(cards, index, strict=True)}
        plans = [
            SheetPlan(number, fronts=[Place(face_of[id(p.card)], p.x, p.y, p.rotation) for p in sheet.cells],
                      cards_under=True)
            if sheet.side == "recto" else
            SheetPlan(number, backs=[Place(back, p.x, p.y, p.rotation) for p in sheet.cells])
            for number, sheet in enumerate(context["sheets"])
        ]
        layout = Layout(deck.width_mm, deck.height_mm)
    return impose(frames, faces.data, plans, layout, back), len(plans)


def render_deck(job: Job, deck: Deck, key: str) -> tuple[bytes, int, list[tuple[str, str, float]]]:
    """One deck's PDF: (bytes, pages, overflowing cards); no bytes when a card overflows."""
    items, cards = deck_card_list(job, deck)
    faces = deck_faces(job, deck, cards)
    if faces.overflows:
        return b"", 0, faces.overflows
    edition = job.options.edition
    info = meta(
        f"{deck.title} — {MALLETTE_NAME}",
        f"{deck.description} Édition {'imprimerie' if edition == 'shop' else 'maison ou bureau'}.",
        content_date(job.kit, [c.item for c in items]),
        f"mallette, économie solidaire, cartes, {deck.id}",
    )
    data, pages = impose_cards(job, deck, cards, faces, list(range(len(cards))), info, key)
    return data, pages, []


def _licence(cards: list[CardView]) -> str:
    """The licence line of a deck's title card: its items' licence(s)."""
    licences = sorted({c.item.licence for c in cards}) or [DEFAULT_LICENCE]
    return " / ".join(licences)


def render_selection(job: Job, deck: Deck, key: str) -> Rendered:
    """The cards of `deck` a selection build asked for (`job.options.cards`), numbered as in the
    whole deck, fronts and mirrored backs (home) or one card per page (shop). Their sides come from
    the deck's faces when the cache has them, else only theirs are rendered."""
    chosen = set(job.options.cards)
    _items, every = deck_card_list(job, deck)
    picked = [n for n, c in enumerate(every) if isinstance(c, CardView) and c.item.id in chosen]
    cards = [every[n] for n in picked]
    from .cache import get_part  # the cache module stores `Part`s and `Rendered`s
    from .fingerprint import assets_hash, faces_key

    whole = Part(f"faces:{deck.id}", faces_key(deck, job.kit, job.base_url, assets_hash(job.print_dir)), 0)
    faces = get_part(job.cache_dir, whole) if job.cache_dir is not None else None
    index = picked
    if faces is None:
        faces = render_faces(job, deck, cards, key)
        index = list(range(len(cards)))
    name = f"selection:{deck.id}"
    if faces.overflows:
        return Rendered(name, b"", 0, faces.overflows, {})
    info = meta(
        f"{deck.title} (sélection) — {MALLETTE_NAME}",
        f"Cartes choisies du jeu « {deck.title} ».",
        content_date(job.kit, [c.item for c in cards if isinstance(c, CardView)]),
        f"mallette, économie solidaire, cartes, sélection, {deck.id}",
    )
    data, pages = impose_cards(job, deck, cards, faces, index, info, key)
    return Rendered(name, data, pages, [], {})


def body_items(kit: Kit) -> list[KitItem]:
    """The items the booklet's body prints (its key and its date depend on them only)."""
    return [item for _anchor, _title, kind in BODY_SECTIONS for item in kit.by_type(kind)]


def body_chunks(kit: Kit) -> list[tuple[str, ...]]:
    """The body's chunks (`BODY_CHUNKS`) that print something, each a part rendered apart."""
    present = {anchor for anchor, _title, kind in BODY_SECTIONS if kit.by_type(kind)}
    chunks = [tuple(a for a in chunk if a in present) for chunk in BODY_CHUNKS]
    return [chunk for chunk in chunks if chunk] or [BODY_CHUNKS[0]]


def body_chunk_name(index: int) -> str:
    """The part name of the body's chunk `index`."""
    return f"body:{index}"


def render_body(job: Job, key: str, index: int) -> Rendered:
    """Chunk `index` of the booklet's body, with the (chunk) page number of each of its anchors. Its
    pages carry no page number: the merge stamps them on, numbered on from the chunks before."""
    res = resources(job.print_dir)
    date = content_date(job.kit, body_items(job.kit))
    builder = BookletBuilder(job.kit, base_url=job.base_url, print_dir=job.print_dir)
    info = meta(
        f"{MALLETTE_NAME} — livret",
        "Fiches de capitalisation, fiches activité, grille de questionnement, structures et glossaire.",
        date,
        "mallette, économie solidaire, fiches, activités, grille, glossaire",
    )
    context = builder.body_context(meta=info, sections=body_chunks(job.kit)[index], link_prefix=DEST_LINK_PREFIX)
    document = render_html(res, "booklet-body.html", context, "booklet.css")
    anchors: dict[str, int] = {}
    for number, page in enumerate(document.pages, start=1):
        for name in page.anchors:
            anchors.setdefault(name, number)
    data = pdf_bytes(document, key, finisher=finisher(viewer=False, shop_bleed_mm=None))
    return Rendered(body_chunk_name(index), data, len(document.pages), [], anchors)


def body_pages(chunks: list[Rendered]) -> dict[str, int]:
    """The body's anchors and their page numbers, its chunks put end to end."""
    pages: dict[str, int] = {}
    offset = 0
    for chunk in chunks:
        for anchor, number in chunk.anchors.items():
            pages.setdefault(anchor, offset + number)
        offset += chunk.pages
    return pages


#: Page numbers the folios part holds: more than the body's pages on any paper (a longer body gets
#: its own at assembly, `assembly.folios_for`).
FOLIO_PAGES = 200


def render_folios(job: Job, key: str, count: int = FOLIO_PAGES) -> Rendered:
    """The body's page numbers, 1 to `count`, each alone on a page of the body's size (the same on
    every paper), where the body's pages print it (stamped on them at merge): one document for the
    body's chunks rendered apart."""
    res = resources(job.print_dir)
    page_w, page_h = BOOKLET_PAGE
    context = {"page": {"w": page_w, "h": page_h}, "count": count, "mallette": MALLETTE_NAME,
               "meta": meta("Folios", "Numéros de page du livret.", content_date(job.kit), "folios")}
    document = render_html(res, "folios.html", context, "booklet.css")
    data = pdf_bytes(document, key, tagged=False)
    return Rendered("folios", data, len(document.pages), [], {})


def render_front(job: Job, key: str, body_pages: dict[str, int]) -> Rendered:
    """The booklet's front: cover, colophon and contents (which print the body's page numbers)."""
    res = resources(job.print_dir)
    date = content_date(job.kit)
    builder = BookletBuilder(job.kit, base_url=job.base_url, print_dir=job.print_dir)
    info = meta(
        f"{MALLETTE_NAME} — {job.options.territory}",
        f"Livret de la mallette pédagogique pour le territoire {job.options.territory}.",
        date,
        "mallette, économie solidaire, fiches, activités, grille, glossaire",
    )
    context = builder.front_context(
        territory=job.options.territory,
        paper=job.options.paper,
        edition=job.options.edition,
        decks=job.entries,
        meta=info,
        date=date,
        body_pages=body_pages,
        link_prefix=DEST_LINK_PREFIX,
    )
    document = render_html(res, "booklet-front.html", context, "booklet.css")
    data = pdf_bytes(document, key, finisher=finisher(viewer=False, shop_bleed_mm=None))
    return Rendered("front", data, len(document.pages), [], {})


def render_registration(job: Job, key: str) -> Rendered:
    """The duplex registration test sheet (home edition): print it first to find the back offset."""
    res = resources(job.print_dir)
    info = meta(
        f"Test recto verso — {MALLETTE_NAME}",
        "Feuille de test à imprimer avant les planches de cartes : elle donne le décalage des versos.",
        content_date(job.kit),
        "mallette, impression, recto verso, test",
    )
    context = registration_context(job.options.paper, job.options.back_offset_mm, info)
    document = render_html(res, "registration.html", context, "cards.css")
    data = pdf_bytes(document, key, finisher=finisher(viewer=True, shop_bleed_mm=None))
    return Rendered("registration", data, len(document.pages), [], {})


def render_tuckboxes(job: Job, key: str) -> Rendered:
    """The tuck boxes: one page per deck (and a blank back), sized from its cards and their count."""
    res = resources(job.print_dir)
    info = meta(
        f"{TUCKBOX_TITLE} — {MALLETTE_NAME}",
        "Patrons de boîtes à découper, plier et coller, une par jeu de cartes.",
        content_date(job.kit),
        "mallette, impression, boîte, patron",
    )
    decks = [(entry.deck, entry.cards + DECK_EXTRA_CARDS) for entry in job.entries]
    context = tuckbox_context(decks, job.options.paper, job.print_dir, info)
    document = render_html(res, "tuckbox.html", context, "cards.css")
    data = pdf_bytes(document, key, finisher=finisher(viewer=True, shop_bleed_mm=None))
    return Rendered("tuckboxes", data, len(document.pages), [], {})


def run_part(job: Job, name: str, key: str, body_pages: dict[str, int] | None = None) -> Rendered:
    """Render the part called `name` of `job`."""
    if name == "registration":
        return render_registration(job, key)
    if name == "tuckboxes":
        return render_tuckboxes(job, key)
    if name.startswith("selection:"):
        return render_selection(job, job.decks[name.split(":", 1)[1]], key)
    if name.startswith("body:"):
        return render_body(job, key, int(name.split(":", 1)[1]))
    if name == "folios":
        return render_folios(job, key)
    if name == "front":
        return render_front(job, key, body_pages or {})
    data, pages, overflows = render_deck(job, job.decks[name.split(":", 1)[1]], key)
    return Rendered(name, data, pages, overflows, {})


def part_params(name: str, job: Job) -> dict[str, str]:
    """What a part is, as progress parameters: {"part": "body-section", "section": title} (a chunk of the
    booklet's body), {"part": "front" | "folios"} or {"part": "deck", "deck": title}."""
    if name.startswith("body:"):
        first = body_chunks(job.kit)[int(name.split(":", 1)[1])][0]
        return {"part": "body-section", "section": next(t for a, t, _k in BODY_SECTIONS if a == first)}
    if name in ("front", "folios"):
        return {"part": name}
    if name == "registration":
        return {"part": "deck", "deck": REGISTRATION_TITLE}
    if name == "tuckboxes":
        return {"part": "deck", "deck": TUCKBOX_TITLE}
    return {"part": "deck", "deck": job.decks[name.split(":", 1)[1]].title}


def select_decks(kit: Kit, options: KitOptions, cards_dir: Path, print_dir: Path) -> list[Deck]:
    """The decks the options ask for that have cards; `PrintError` for unknown decks or items."""
    decks = load_decks(cards_dir, print_dir)
    known = {d.id: d for d in decks}
    unknown = [d for d in options.decks if d not in known]
    if unknown:
        raise PrintError(f"jeu(x) inconnu(s) : {', '.join(unknown)} (jeux : {', '.join(known)})")
    chosen = [d for d in decks if not options.decks or d.id in options.decks]
    problems = [
        f"{d.path}: elements: « {item_id} » n'est pas un élément valide de type {d.item_type}"
        for d in chosen
        for item_id in missing_items(d, kit)
    ]
    if problems:
        raise PrintError("\n".join(problems))
    return [d for d in chosen if deck_items(d, kit)]
