"""The A4/Letter booklet, in two documents rendered apart and merged:

- the body: fiches, activity sheets, grid worksheets, structure monographs and glossary. It does not
  name the territory, so one rendered body serves every territory's kit;
- the front: cover, colophon, presentation, contents and the list of the decks. Rendered after the
  body, it prints the body's page numbers in its contents and links to the body's destinations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from markupsafe import Markup

from app.kit.loader import sort_key
from app.kit.model import Kit, KitItem
from app.kit.schema import FICHE_PARTS, MOMENTS, REQUIRED_SECTIONS, SESSION_KINDS, ItemType

from .cards import MALLETTE_NAME, coloured_icon, euros, icon_url, markdown_for, render_inline
from .decks import Deck
from .qr import qr_svg, resource_url
from .theme import BOOKLET_PAGE, CARD_SIZE_LABELS, PAPER_LABELS, PAPERS, TYPE_STYLES, tint

MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
    "octobre", "novembre", "décembre",
)


def french_date(moment: datetime) -> str:
    """22 novembre 2026."""
    day = "1er" if moment.day == 1 else str(moment.day)
    return f"{day} {MONTHS[moment.month - 1]} {moment.year}"


def minutes_label(total: int) -> str:
    """75 -> '1 h 15', 40 -> '40 min'."""
    if total < 60:
        return f"{total} min"
    hours, minutes = divmod(total, 60)
    return f"{hours} h {minutes:02d}" if minutes else f"{hours} h"


def clock(minutes: int) -> str:
    """Elapsed time as h:mm."""
    return f"{minutes // 60}:{minutes % 60:02d}"


def writing_space(questions: int) -> int:
    """Height (mm) of the ruled space under each question, so a dimension fits on one page (of the
    body's size, `BOOKLET_PAGE`, the same on every paper)."""
    available = 150
    per_question = available / max(questions, 1) - 11
    return max(14, min(42, int(per_question // 7) * 7))


#: The body's parts, in order: (anchor, title, item type). The body holds these types' items only.
BODY_SECTIONS = (
    ("fiches", "Fiches de capitalisation", ItemType.FICHE),
    ("activites", "Fiches activité", ItemType.ACTIVITE),
    ("protocoles", "Protocoles", ItemType.PROTOCOLE),
    ("modeles", "Modèles à remplir", ItemType.MODELE),
    ("guides", "Guides", ItemType.GUIDE),
    ("grille", "Grille de questionnement", ItemType.DIMENSION),
    ("structures", "Structures membres", ItemType.STRUCTURE),
    ("glossaire", "Glossaire", ItemType.NOTION),
)
#: The body is rendered in these chunks of parts (anchors of `BODY_SECTIONS`), each a document of its
#: own, in parallel: each part starts a page and sets its running head, so the chunks put end to end
#: are the one body (page numbers are stamped on at merge, `merge.py`). About a quarter of the body each.
BODY_CHUNKS = (
    ("fiches",),
    ("activites",),
    ("protocoles", "modeles", "guides"),
    ("grille", "structures", "glossaire"),
)


@dataclass(frozen=True)
class DeckEntry:
    """A deck listed at the end of the booklet."""

    deck: Deck
    cards: int
    pages: int
    file: str

    @property
    def size(self) -> str:
        """Human card size."""
        return CARD_SIZE_LABELS[self.deck.size]


class BookletBuilder:
    """Builds the booklet template context from the kit."""

    def __init__(self, kit: Kit, *, base_url: str, print_dir: Path) -> None:
        self.kit = kit
        self.base_url = base_url
        self.print_dir = Path(print_dir)

    def qr(self, item: KitItem) -> Markup:
        """The item's QR code."""
        url = resource_url(self.base_url, item.id)
        return Markup(qr_svg(url, f"QR code : {item.title} — {url}"))  # noqa: S704 - escaped

    def style(self, kind: str) -> dict[str, Any]:
        """Colour, tint and icons of an item type."""
        colour, icon = TYPE_STYLES[kind]
        return {
            "colour": colour,
            "tint": tint(colour, 0.1),
            "icon": coloured_icon(self.print_dir, icon, colour),
            # Decorative icons are drawn as backgrounds: PDF artifacts, not untitled figures.
            "icon_url": icon_url(self.print_dir, icon, colour),
            "icon_white_url": icon_url(self.print_dir, icon, "#ffffff"),
        }

    def base(self, item: KitItem) -> dict[str, Any]:
        """What every item view has."""
        return {
            "item": item,
            "id": item.id,
            "anchor": f"item-{item.id}",
            "qr": self.qr(item),
            "url": resource_url(self.base_url, item.id).split("://", 1)[-1],
            "summary": render_inline(item.summary),
        }

    def fiche(self, item: KitItem) -> dict[str, Any]:
        """A capitalisation fiche with its four rubriques."""
        md = markdown_for(self.kit, self.base_url, item)
        titles = REQUIRED_SECTIONS[ItemType.FICHE]
        return {
            **self.base(item),
            "numero": item.get("numero"),
            "intro": md(item.intro),
            "sections": [(t, md(item.section(t))) for t in titles],
        }

    def activity(self, item: KitItem) -> dict[str, Any]:
        """An activity sheet with its timed steps."""
        md = markdown_for(self.kit, self.base_url, item)
        steps, start = [], 0
        for step in item.steps:
            steps.append(
                {
                    "title": render_inline(step.titre),
                    "minutes": step.minutes,
                    "from": clock(start),
                    "to": clock(start + step.minutes),
                    "text": render_inline(step.consigne),
                }
            )
            start += step.minutes
        dims = [self.kit.get(d) for d in item.get("dimensions", [])]
        return {
            **self.base(item),
            "objective": render_inline(item.get("objectif", "")),
            "duration": minutes_label(item.get("duree", 0)),
            "participants": render_inline(item.get("participants", "")),
            "moment": MOMENTS.get(item.get("moment", ""), ""),
            "materiel": [render_inline(m) for m in item.get("materiel", [])],
            "productions": [render_inline(p) for p in item.get("productions", [])],
            "dimensions": [d.title for d in dims if d is not None],
            "steps": steps,
            "total": minutes_label(start),
            "body": md(item.body),
        }

    def dimension(self, item: KitItem) -> dict[str, Any]:
        """A grid dimension as a worksheet."""
        md = markdown_for(self.kit, self.base_url, item)
        return {
            **self.base(item),
            "body": md(item.body),
            "questions": [render_inline(q.texte) for q in item.questions],
        }

    def protocol(self, item: KitItem) -> dict[str, Any]:
        """A protocol: its half-days with the activity steps resolved, then before, during, after, roles."""
        md = markdown_for(self.kit, self.base_url, item)
        days = []
        for day in self.kit.plan(item):
            steps, start = [], 0
            for step in day.steps:
                steps.append(
                    {
                        "title": render_inline(step.titre),
                        "minutes": step.minutes,
                        "from": clock(start),
                        "to": clock(start + step.minutes),
                        "text": render_inline(step.consigne),
                        "activity": step.activity.title if step.activity else "",
                        "activity_anchor": f"item-{step.activity.id}" if step.activity else "",
                    }
                )
                start += step.minutes
            days.append({"title": render_inline(day.titre), "available": minutes_label(day.minutes),
                         "total": minutes_label(day.total), "steps": steps})
        titles = REQUIRED_SECTIONS[ItemType.PROTOCOLE]
        linked = [self.kit.get(i) for i in (*item.get("roles", []), *item.get("modeles", []))]
        return {
            **self.base(item),
            "kind": SESSION_KINDS.get(item.get("type_seance", ""), ""),
            "participants": render_inline(item.get("participants")),
            "intro": md(item.intro),
            "days": days,
            "sections": [(t, md(item.section(t))) for t in titles],
            "tools": [(i.title, f"item-{i.id}" if i.type is ItemType.MODELE else "") for i in linked if i],
        }

    def template(self, item: KitItem) -> dict[str, Any]:
        """A template to fill in: its boxes with room to write, then a validation box per party."""
        md = markdown_for(self.kit, self.base_url, item)
        boxes = []
        for box in item.boxes:
            questions = [self.kit.question(address) for address in box.questions]
            boxes.append(
                {
                    "title": render_inline(box.titre),
                    "help": render_inline(box.aide),
                    "questions": [render_inline(q.texte) for q in questions if q is not None],
                    "lines_mm": box.lignes * 7,
                }
            )
        return {
            **self.base(item),
            "usage": render_inline(item.get("usage", "")),
            "body": md(item.body),
            "boxes": boxes,
            "validations": [render_inline(v) for v in item.get("validations", [])],
        }

    def guide(self, item: KitItem) -> dict[str, Any]:
        """A guide: free text."""
        md = markdown_for(self.kit, self.base_url, item)
        return {**self.base(item), "public": render_inline(item.get("public")), "body": md(item.body)}

    def structure(self, item: KitItem) -> dict[str, Any]:
        """A structure monograph."""
        md = markdown_for(self.kit, self.base_url, item)
        facts: list[tuple[str, Any]] = [
            ("Nom complet", render_inline(item.get("nom_complet", ""))),
            ("Territoire", render_inline(item.get("territoire", ""))),
        ]
        if item.get("equipe"):
            facts.append(("Équipe", [render_inline(t) for t in item.get("equipe")]))
        if item.get("budget_euros") is not None:
            facts.append(("Budget", euros(item.get("budget_euros"))))
        for key, label in (("financeurs", "Financeurs"), ("valeurs", "Valeurs"), ("missions", "Missions")):
            if item.get(key):
                facts.append((label, [render_inline(v) for v in item.get(key)]))
        if item.get("visite"):
            facts.append(("Visite apprenante", render_inline(item.get("visite"))))
        return {**self.base(item), "facts": facts, "body": md(item.body)}

    def notion(self, item: KitItem) -> dict[str, Any]:
        """A glossary entry."""
        md = markdown_for(self.kit, self.base_url, item)
        return {**self.base(item), "body": md(item.body)}

    def page(self, item: KitItem) -> dict[str, Any]:
        """An opening page."""
        md = markdown_for(self.kit, self.base_url, item)
        return {**self.base(item), "body": md(item.body)}

    def _shared(self, meta: dict[str, str]) -> dict[str, Any]:
        """What both booklet documents use, their `page` among it (`BOOKLET_PAGE` on every paper)."""
        page_w, page_h = BOOKLET_PAGE
        return {
            "mallette": MALLETTE_NAME,
            "meta": meta,
            "page": {"w": page_w, "h": page_h},
            "styles": {kind: self.style(kind) for kind in TYPE_STYLES},
        }

    def _fiche_parts(self, fiches: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {"number": n, "title": title, "fiches": [f for f in fiches if f["item"].get("partie") == n]}
            for n, title in FICHE_PARTS.items()
        ]

    def _sections(self) -> list[tuple[str, str, str]]:
        """The body's parts: (anchor, title, item type), those with items only."""
        return [(anchor, title, kind.value) for anchor, title, kind in BODY_SECTIONS if self.kit.by_type(kind)]

    def body_context(self, *, meta: dict[str, str], sections: Iterable[str] | None = None,
                     link_prefix: str = "#") -> dict[str, Any]:
        """The body's context: everything but the territory and the paper (its pages are
        `BOOKLET_PAGE` on every paper); with `sections` (anchors of `BODY_SECTIONS`), those parts
        only, the others empty. Links between the body's items go to `link_prefix` + anchor (a part
        rendered apart links to the others through the merge)."""
        kit = self.kit
        wanted = {anchor for anchor, _title, _kind in BODY_SECTIONS} if sections is None else set(sections)

        def part(anchor: str, build: Callable[[], list[Any]]) -> list[Any]:
            return build() if anchor in wanted else []

        return {
            **self._shared(meta),
            "parts": part("fiches", lambda: self._fiche_parts([self.fiche(i) for i in kit.by_type(ItemType.FICHE)])),
            "activities": part("activites", lambda: [self.activity(i) for i in kit.by_type(ItemType.ACTIVITE)]),
            "protocols": part("protocoles", lambda: [self.protocol(i) for i in kit.by_type(ItemType.PROTOCOLE)]),
            "templates": part("modeles", lambda: [self.template(i) for i in kit.by_type(ItemType.MODELE)]),
            "guides": part("guides", lambda: [self.guide(i) for i in kit.by_type(ItemType.GUIDE)]),
            "dimensions": part("grille", lambda: [
                {**self.dimension(i), "lines_mm": writing_space(len(i.questions))}
                for i in kit.by_type(ItemType.DIMENSION)
            ]),
            "structures": part("structures", lambda: [self.structure(i) for i in kit.by_type(ItemType.STRUCTURE)]),
            "letters": part("glossaire", self._letters),
            "body_link": lambda anchor: f"{link_prefix}{anchor}",
        }

    def _letters(self) -> list[dict[str, Any]]:
        """The glossary's notions, by initial."""
        notions = sorted(self.kit.by_type(ItemType.NOTION), key=lambda i: sort_key(i.title))
        letters: list[dict[str, Any]] = []
        for item in notions:
            letter = sort_key(item.title)[:1].upper()
            if not letters or letters[-1]["letter"] != letter:
                letters.append({"letter": letter, "notions": []})
            letters[-1]["notions"].append(self.notion(item))
        return letters

    def front_context(
        self,
        *,
        territory: str,
        paper: str,
        edition: str,
        decks: list[DeckEntry],
        meta: dict[str, str],
        date: datetime,
        body_pages: Mapping[str, int],
        link_prefix: str,
    ) -> dict[str, Any]:
        """The front's context; `body_pages` maps the body's anchors to their page numbers, and
        contents entries link to `link_prefix` + anchor (resolved when the two are merged)."""
        kit = self.kit

        def entry(item: KitItem) -> dict[str, Any]:
            return {"item": item, "anchor": f"item-{item.id}", "numero": item.get("numero")}

        fiches = [entry(i) for i in kit.by_type(ItemType.FICHE)]
        ordered = [f for part in self._fiche_parts(fiches) for f in part["fiches"]]
        return {
            **self._shared(meta),
            # The cover fills the sheet of the paper (the other pages are `page`, centred on it).
            "paper": {"id": paper, "w": PAPERS[paper][0], "h": PAPERS[paper][1], "label": PAPER_LABELS[paper]},
            "territory": territory,
            "date": french_date(date),
            "version": kit.version,
            "content_hash": kit.content_hash,
            "edition": "imprimerie" if edition == "shop" else "maison ou bureau",
            "type_order": ["fiche", "posture", "activite", "dimension", "structure", "initiative",
                           "notion"],
            "pages": [self.page(i) for i in kit.by_type(ItemType.PAGE)],
            "fiches": ordered,
            "activities": [entry(i) for i in kit.by_type(ItemType.ACTIVITE)],
            "structures": [entry(i) for i in kit.by_type(ItemType.STRUCTURE)],
            "decks": decks,
            "sections": self._sections(),
            "body_link": lambda anchor: f"{link_prefix}{anchor}",
            "body_page": lambda anchor: body_pages.get(anchor, ""),
            "sources": [
                {"key": key, "title": str(value.get("title") or value.get("titre") or key),
                 "detail": ", ".join(
                     str(value[k]) for k in ("author", "auteur", "year", "annee") if value.get(k)
                 )}
                for key, value in kit.sources.items()
            ],
            "counts": {t.value: len(kit.by_type(t)) for t in ItemType},
            "home_url": self.base_url.split("://", 1)[-1],
            "home_qr": Markup(qr_svg(self.base_url, f"QR code : {self.base_url}")),  # noqa: S704
            "mallette_icon_url": icon_url(self.print_dir, "mallette", "#ffffff"),
        }
