"""Card views and deck documents: home/office sheets, print-shop pages and single cards."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from markupsafe import Markup

from app.kit.markdown import render_markdown
from app.kit.model import Kit, KitItem
from app.kit.schema import MOMENTS

from .decks import Deck, deck_items
from .imposition import Grid, home_grid
from .marks import back_marks, front_marks
from .qr import qr_svg, resource_url
from .theme import CARD_SIZE_LABELS, PAPER_LABELS, PAPERS, icon_svg, tint

MALLETTE_NAME = "Mallette pédagogique du MES"
#: Bleed of a print-shop card (and of every card side as rendered, `faces_context`).
SHOP_BLEED_MM = 3.0
#: Room around a print-shop page's trim, for its crop marks.
SHOP_MARKS_BLEED_MM = 10.0


@dataclass(frozen=True)
class CardView:
    """Everything a card template needs, already rendered and escaped."""

    item: KitItem
    deck: Deck
    number: int
    total: int
    url: str
    qr: Markup
    #: The deck's icon in white, as an image URL (a background: decorative, parsed once per document).
    icon_url: str
    tint: str
    parts: dict[str, Any] = field(default_factory=dict)
    #: The tile of the back's all-over pattern (the same image for every card of the deck).
    back_pattern: str = ""

    #: "item" for a content card (deck cards: `DeckCard.kind`).
    kind = "item"

    @property
    def display_url(self) -> str:
        """The QR target without its scheme, printed under the code."""
        return self.url.split("://", 1)[-1]


#: The web page that lists a deck's items, by item type (the mode d'emploi card's QR target).
DECK_PAGES = {
    "posture": "/postures",
    "activite": "/activites",
    "role": "/roles",
    "dimension": "/grille",
    "structure": "/structures",
    "initiative": "/initiatives",
    "notion": "/glossaire",
}
#: The cards each deck opens with, before its numbered cards: its title card and its mode d'emploi.
#: They carry no n/N (N counts the deck's content cards) and share the deck's one back.
DECK_CARD_KINDS = ("titre", "mode-emploi")
DECK_EXTRA_CARDS = len(DECK_CARD_KINDS)


@dataclass(frozen=True)
class DeckCard:
    """The title card or the mode d'emploi card of a deck (no item: the deck's own cards)."""

    deck: Deck
    kind: str  # one of DECK_CARD_KINDS
    #: Number of content cards in the deck.
    count: int
    url: str
    qr: Markup
    icon_url: str
    tint: str
    back_pattern: str
    usage: Markup
    steps: tuple[Markup, ...]
    licence: str

    @property
    def card_id(self) -> str:
        """The card's identifier in the document (`data-card`, overflow reports)."""
        return f"{self.deck.id}-{self.kind}"

    @property
    def display_url(self) -> str:
        """The QR target without its scheme, printed under the code."""
        return self.url.split("://", 1)[-1]


def deck_url(base_url: str, deck: Deck) -> str:
    """The web page that lists the deck's items."""
    return base_url.rstrip("/") + DECK_PAGES.get(deck.item_type, "/")


def deck_cards(deck: Deck, count: int, *, base_url: str, print_dir: Path, licence: str) -> list[DeckCard]:
    """The deck's title card and mode d'emploi card (texts from the deck file, see cards/README.md)."""
    url = deck_url(base_url, deck)
    usage = render_inline(deck.usage or deck.description)
    steps = tuple(render_inline(step) for step in deck.howto)
    qr = Markup(qr_svg(url, f"QR code : {deck.title} en ligne — {url}"))  # noqa: S704 - escaped
    white, pattern = icon_url(print_dir, deck.icon, "#ffffff"), back_pattern_url(print_dir, deck.icon)
    return [
        DeckCard(deck=deck, kind=kind, count=count, url=url, qr=qr, icon_url=white,
                 tint=tint(deck.colour, 0.1), back_pattern=pattern, usage=usage, steps=steps, licence=licence)
        for kind in DECK_CARD_KINDS
    ]


def markdown_for(kit: Kit, base_url: str, item: KitItem | None = None) -> Callable[[str | None], Markup]:
    """A Markdown renderer that links glossary terms to their resource page."""

    def render(text: str | None) -> Markup:
        if not text:
            return Markup("")
        return render_markdown(
            text,
            glossary=kit.glossary,
            href_for=lambda target: resource_url(base_url, target),
            skip_id=item.id if item is not None else None,
        )

    return render


_SINGLE_PARAGRAPH = re.compile(r"^<p>(.*)</p>$", re.DOTALL)


def render_inline(text: str | None) -> Markup:
    """A short field (title of a step, participants...) through `render_markdown`, unwrapped."""
    if not text:
        return Markup("")
    html = str(render_markdown(text)).strip()
    match = _SINGLE_PARAGRAPH.match(html)
    if match and "<p>" not in match.group(1):
        html = match.group(1)
    return Markup(html)  # noqa: S704 - sanitised by render_markdown


def coloured_icon(print_dir: Path, name: str, colour: str) -> Markup:
    """An icon SVG from print/icons/ drawn in `colour` (a validated #rrggbb)."""
    svg = icon_svg(Path(print_dir), name).replace("currentColor", colour)
    return Markup(svg.replace("<svg ", '<svg aria-hidden="true" ', 1))  # noqa: S704 - our own file


def icon_url(print_dir: Path, name: str, colour: str) -> str:
    """An icon from print/icons/ in `colour` (a validated #rrggbb), as a data: URL for CSS."""
    svg = icon_svg(Path(print_dir), name).replace("currentColor", colour)
    return "data:image/svg+xml," + quote(svg, safe=" =:/")


_SVG_ROOT = re.compile(r"<svg\b([^>]*)>(.*)</svg>", re.DOTALL)
_SVG_ATTR = re.compile(r'([\w:-]+)="([^"]*)"')


def back_pattern_url(print_dir: Path, name: str) -> str:
    """The tile of a deck back's pattern: the deck's icon, small and faint white, on a half-drop
    grid (a data: URL; the back's colour shows through)."""
    match = _SVG_ROOT.search(icon_svg(Path(print_dir), name))
    if match is None:
        raise ValueError(f"print/icons/{name}.svg: pas de balise <svg>")
    attrs = " ".join(
        f'{key}="{value}"' for key, value in _SVG_ATTR.findall(match.group(1))
        if key not in ("xmlns", "viewBox", "width", "height")
    ).replace("currentColor", "#ffffff")
    inner = match.group(2).replace("currentColor", "#ffffff")
    icon = f'<g {attrs}>{inner}</g>'
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="48" height="48" viewBox="0 0 48 48">'
        f'<g opacity="0.13"><g transform="translate(2 2) scale(0.8333)">{icon}</g>'
        f'<g transform="translate(26 26) scale(0.8333)">{icon}</g></g></svg>'
    )
    return "data:image/svg+xml," + quote(svg, safe=" =:/")


def euros(value: int | None) -> str:
    """643240 -> '643 240 €' (narrow no-break spaces)."""
    if value is None:
        return ""
    return f"{value:,}".replace(",", "\u202f") + "\u00a0€"


def card_parts(item: KitItem, kit: Kit, base_url: str) -> dict[str, Any]:
    """The type-specific content of a card front, rendered through `render_markdown`."""
    md = markdown_for(kit, base_url, item)
    kind = item.type.value
    if kind == "posture":
        return {
            "what": md(item.section("Ce que c'est")),
            "do": md(item.section("À faire")),
            "avoid": md(item.section("À éviter")),
            "question": md(item.section("Une question à se poser")),
        }
    if kind == "activite":
        steps = []
        start = 0
        for step in item.steps:
            steps.append({"title": render_inline(step.titre), "minutes": step.minutes, "start": start})
            start += step.minutes
        return {
            "objective": render_inline(item.get("objectif", "")),
            "duration": item.get("duree"),
            "participants": render_inline(item.get("participants", "")),
            "moment": MOMENTS.get(item.get("moment", ""), ""),
            "steps": steps,
        }
    if kind == "role":
        return {
            "who": render_inline(item.get("qui", "")),
            "mission": md(item.section("La mission")),
            "do": md(item.section("À faire")),
            "watch": md(item.section("Point de vigilance")),
        }
    if kind == "initiative":
        return {
            "facts": [
                ("Territoire", render_inline(item.get("territoire", ""))),
                ("Porteur", render_inline(item.get("porteur", ""))),
                ("Besoin", render_inline(item.get("besoin", ""))),
                ("Innovation", render_inline(item.get("innovation", ""))),
            ]
        }
    if kind == "notion":
        return {"definition": md(item.body)}
    if kind == "dimension":
        return {"questions": [render_inline(q.texte) for q in item.questions]}
    if kind == "structure":
        return {
            "full_name": render_inline(item.get("nom_complet", "")),
            "territory": render_inline(item.get("territoire", "")),
            "budget": euros(item.get("budget_euros")),
            "team": [render_inline(t) for t in item.get("equipe", [])],
        }
    return {"summary": render_inline(item.summary)}


def card_views(deck: Deck, kit: Kit, *, base_url: str, print_dir: Path) -> list[CardView]:
    """The deck's cards, numbered, with their QR codes and rendered content."""
    items = deck_items(deck, kit)
    total = len(items)
    white = icon_url(print_dir, deck.icon, "#ffffff")
    pattern = back_pattern_url(print_dir, deck.icon)
    views = []
    for number, item in enumerate(items, start=1):
        url = resource_url(base_url, item.id)
        views.append(
            CardView(
                item=item,
                deck=deck,
                number=number,
                total=total,
                url=url,
                qr=Markup(qr_svg(url, f"QR code : {item.title} — {url}")),  # noqa: S704 - escaped
                icon_url=white,
                tint=tint(deck.colour, 0.1),
                parts=card_parts(item, kit, base_url),
                back_pattern=pattern,
            )
        )
    return views


@dataclass(frozen=True)
class Placed:
    """A card side placed on a sheet."""

    card: CardView | DeckCard
    x: float
    y: float
    rotation: int


@dataclass(frozen=True)
class Sheet:
    """One printed page of a home-edition deck."""

    side: str  # "recto" | "verso"
    number: int
    count: int
    cells: list[Placed]
    #: Image URL of the sheet's cut marks and outlines (recto, drawn over the cards) or of its
    #: back bleeds and cut marks (verso, drawn under them).
    marks: str = ""


def home_sheets(cards: Sequence[CardView | DeckCard], grid: Grid, back_offset_mm: float) -> list[Sheet]:
    """Front sheets each followed by its mirrored back sheet, with their marks."""
    sheets: list[Sheet] = []
    count = grid.sheets(len(cards))
    for number in range(count):
        group = cards[number * grid.per_sheet : (number + 1) * grid.per_sheet]
        fronts, backs = [], []
        for index, card in enumerate(group):
            x, y = grid.position(*grid.front_cell(index))
            fronts.append(Placed(card, x, y, 90 if grid.rotated else 0))
            bx, by = grid.position(*grid.back_cell(index), offset_x=back_offset_mm)
            backs.append(Placed(card, bx, by, -90 if grid.rotated else 0))
        colour = group[0].deck.colour
        sheets.append(Sheet("recto", number + 1, count, fronts,
                            front_marks(grid, [(p.x, p.y) for p in fronts], colour)))
        sheets.append(Sheet("verso", number + 1, count, backs,
                            back_marks(grid, [(p.x, p.y) for p in backs], colour, back_offset_mm)))
    return sheets


def home_context(
    deck: Deck, cards: Sequence[CardView | DeckCard], *, paper: str, back_offset_mm: float, meta: dict[str, str]
) -> dict[str, Any]:
    """Template context of a home/office deck document."""
    grid = home_grid(deck.size, paper)
    paper_w, paper_h = PAPERS[paper]
    return {
        "deck": deck,
        "grid": grid,
        "sheets": home_sheets(cards, grid, back_offset_mm),
        "paper": {"w": paper_w, "h": paper_h, "label": PAPER_LABELS[paper], "id": paper},
        "size_label": CARD_SIZE_LABELS[deck.size],
        "offset": back_offset_mm,
        "mallette": MALLETTE_NAME,
        "meta": meta,
    }


def shop_context(deck: Deck, cards: Sequence[CardView | DeckCard], *, meta: dict[str, str]) -> dict[str, Any]:
    """Template context of a print-shop deck's pages (deck-shop-sheets.html): one card side per page
    with bleed and crop marks, fronts and backs alternating."""
    return {
        "deck": deck,
        "cards": cards,
        "bleed": SHOP_BLEED_MM,
        "mallette": MALLETTE_NAME,
        "size_label": CARD_SIZE_LABELS[deck.size],
        "meta": meta,
    }


def faces_context(deck: Deck, cards: Sequence[CardView | DeckCard], *, meta: dict[str, str]) -> dict[str, Any]:
    """Template context of a deck's card sides (deck-faces.html): each front, then the deck's back,
    a page each with its bleed."""
    return {
        "deck": deck,
        "cards": cards,
        "bleed": SHOP_BLEED_MM,
        "mallette": MALLETTE_NAME,
        "meta": meta,
    }


def single_context(card: CardView, *, paper: str, meta: dict[str, str]) -> dict[str, Any]:
    """Template context of one card on a sheet: side by side to fold, or recto/verso pages."""
    paper_w, paper_h = PAPERS[paper]
    w, h = card.deck.width_mm, card.deck.height_mm
    fold = 2 * w + 24 <= paper_w
    if fold:
        x = round((paper_w - 2 * w) / 2, 3)
        y = round((paper_h - h) / 2 - 20, 3)
    else:
        x = round((paper_w - w) / 2, 3)
        y = round((paper_h - h) / 2, 3)
    return {
        "card": card,
        "deck": card.deck,
        "fold": fold,
        "x": x,
        "y": y,
        "paper": {"w": paper_w, "h": paper_h, "label": PAPER_LABELS[paper], "id": paper},
        "mallette": MALLETTE_NAME,
        "meta": meta,
    }
