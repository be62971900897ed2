"""Browse the kit: home, lists by type, resource pages (the QR targets), search, licence."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from itertools import groupby
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, make_response, redirect, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.wrappers import Response as BaseResponse

from .. import get_state
from ..kit import ItemType, Kit, KitItem
from ..kit.loader import sort_key
from ..kit.schema import FOLDERS, MOMENTS, REQUIRED_SECTIONS
from ..kit.search import MAX_QUERY_LENGTH, SearchHit, facet_values, query_words, search
from ..kit.suggest import suggest
from ..kit.tags import tag_key
from ..printing.render import PrintError
from . import printing_api
from .errors import error_response
from .labels import DURATION_FILTERS, GROUP_FILTERS, TYPE_DESCRIPTIONS, moment_label, part_label, session_kind_label
from .rendered import rendered
from .rendering import cached_page, render, render_kept

log = logging.getLogger(__name__)
bp = Blueprint("kit", __name__)

CARD_PAPERS = ("a4", "letter")
#: The tag filter lists the tags shared by at least this many items (others stay reachable by link).
MIN_TAG_COUNT = 2
#: Search results per page (config `SEARCH_PER_PAGE`).
PER_PAGE = 20
#: One-card PDFs by (content, item, paper); a card that cannot be printed is kept as its error, so
#: asking again does not render it again (the content has to change first).
_card_slots = threading.BoundedSemaphore(2)


def _kit() -> Kit:
    return get_state().kit


def _content_version() -> str:
    return get_state().kit.content_hash


#: Pages that depend only on their URL, the language, the content and the decks.
cached = cached_page(_content_version, printing_api.decks_version)


# -- home and lists -----------------------------------------------------------------------


@bp.get("/")
@cached
def home() -> Response:
    """Home page: what the mallette is, its parts, search and download."""
    kit = _kit()
    parts = [(t, TYPE_DESCRIPTIONS[t], len(kit.by_type(t))) for t in FOLDERS.values()
             if t in TYPE_DESCRIPTIONS and kit.by_type(t)]
    pages = kit.by_type(ItemType.PAGE)
    return render(
        "kit/home.html",
        "kit/_home.html",
        parts=parts,
        pages=[p for p in pages if p.id != "page-presentation"],
    )


def _list_page(item_type: ItemType, groups: Sequence[tuple[str | None, list[KitItem]]], **extra: Any) -> Response:
    if "filters" in extra:
        extra.update(duration_filters=DURATION_FILTERS, group_filters=GROUP_FILTERS, moment_name=moment_label)
    return render(
        "kit/list.html",
        "kit/_list.html",
        item_type=item_type,
        groups=groups,
        total=sum(len(items) for _, items in groups),
        **extra,
    )


@bp.get("/fiches")
@cached
def fiches() -> Response:
    """The capitalisation fiches, by part."""
    items = _kit().by_type(ItemType.FICHE)
    groups = [
        (part_label(part) or str(part), list(members))
        for part, members in groupby(sorted(items, key=lambda i: i.get("partie", 0)), lambda i: i.get("partie", 0))
    ]
    return _list_page(ItemType.FICHE, groups)


@bp.get("/postures")
@cached
def postures() -> Response:
    """The posture cards, optionally those of one theme (a tag)."""
    items = _kit().by_type(ItemType.POSTURE)
    themes = sorted({tag_key(tag) for item in items for tag in item.tags}, key=lambda k: sort_key(_kit().tag_label(k)))
    theme = tag_key(request.args.get("theme", "")[:64])
    if theme and theme not in themes:
        return error_response(422, _("Thème inconnu : choisissez un thème dans la liste."))
    shown = [i for i in items if not theme or theme in {tag_key(t) for t in i.tags}]
    return _list_page(ItemType.POSTURE, [(None, shown)], filters={"theme": theme}, themes=themes,
                      filtered=bool(theme), unfiltered=len(items))


@bp.get("/activites")
@cached
def activites() -> Response:
    """The activity sheets, by moment of the visit; filtered by duration, group size and moment."""
    all_items = _kit().by_type(ItemType.ACTIVITE)
    chosen = {name: request.args.get(name, "") for name in ("duree", "groupe", "moment")}
    if (chosen["duree"] and chosen["duree"] not in DURATION_FILTERS) or (
            chosen["groupe"] and chosen["groupe"] not in GROUP_FILTERS) or (
            chosen["moment"] and chosen["moment"] not in MOMENTS):
        return error_response(422, _("Filtre inconnu : choisissez une valeur dans la liste."))
    items = [i for i in all_items if activity_matches(i, **chosen)]
    groups = []
    for moment in MOMENTS:
        members = [i for i in items if i.get("moment") == moment]
        if members:
            groups.append((moment_label(moment), members))
    return _list_page(ItemType.ACTIVITE, groups, filters=chosen, filtered=any(chosen.values()),
                      unfiltered=len(all_items), moments=[m for m in MOMENTS if any(i.get("moment") == m
                                                                                     for i in all_items)])


def activity_matches(item: KitItem, *, duree: str = "", groupe: str = "", moment: str = "") -> bool:
    """Whether an activity fits the chosen duration bucket, group size and moment (empty: any)."""
    if moment and item.get("moment") != moment:
        return False
    if duree:
        low, high = DURATION_FILTERS[duree][1]
        if not low < int(item.get("duree") or 0) <= high:
            return False
    if groupe:
        people = item.get("personnes")
        if not people:
            return False
        low, high = GROUP_FILTERS[groupe][1]
        if people[1] < low or people[0] > high:  # the activity's range meets the bucket
            return False
    return True


@bp.get("/protocoles")
@cached
def protocoles() -> Response:
    """The protocol templates (whole sessions, before, during and after)."""
    return _list_page(ItemType.PROTOCOLE, [(None, _kit().by_type(ItemType.PROTOCOLE))])


@bp.get("/modeles")
@cached
def modeles() -> Response:
    """The templates to print or fill in."""
    return _list_page(ItemType.MODELE, [(None, _kit().by_type(ItemType.MODELE))])


@bp.get("/roles")
@cached
def roles() -> Response:
    """The role cards."""
    return _list_page(ItemType.ROLE, [(None, _kit().by_type(ItemType.ROLE))])


@bp.get("/guides")
@cached
def guides() -> Response:
    """The facilitators' and coordinators' guides."""
    return _list_page(ItemType.GUIDE, [(None, _kit().by_type(ItemType.GUIDE))])


@bp.get("/grille")
@cached
def grille() -> Response:
    """The questioning grid: every dimension with its questions."""
    return _list_page(ItemType.DIMENSION, [(None, _kit().by_type(ItemType.DIMENSION))], show_questions=True)


@bp.get("/structures")
@cached
def structures() -> Response:
    """The member structures."""
    return _list_page(ItemType.STRUCTURE, [(None, _kit().by_type(ItemType.STRUCTURE))])


@bp.get("/initiatives")
@cached
def initiatives() -> Response:
    """The initiative cards."""
    return _list_page(ItemType.INITIATIVE, [(None, _kit().by_type(ItemType.INITIATIVE))])


@bp.get("/glossaire")
@cached
def glossaire() -> Response:
    """The glossary, alphabetical, grouped by initial."""
    items = sorted(_kit().by_type(ItemType.NOTION), key=lambda i: sort_key(i.title))
    groups = [
        (letter.upper(), list(members))
        for letter, members in groupby(items, key=lambda i: sort_key(i.title)[:1] or "#")
    ]
    return _list_page(ItemType.NOTION, groups, letters=True)


# -- resource pages ---------------------------------------------------------------------------


@bp.get("/r/<item_id>")
@cached
def resource(item_id: str) -> Response | BaseResponse:
    """An item's resource page: the target of the QR code printed on its card or sheet."""
    kit = _kit()
    item, via_alias = kit.resolve(item_id)
    if item is None and item_id != item_id.lower():  # e.g. an address typed or scanned in capitals
        item, via_alias = kit.resolve(item_id.lower())
        via_alias = item is not None
    if item is None:
        return _unknown_item(item_id)
    if via_alias:
        return redirect(url_for("kit.resource", item_id=item.id), code=301)
    body = rendered(kit, item)
    required = REQUIRED_SECTIONS.get(item.type, ())
    sections = [(title, html) for title, html in body.sections if title in required] if required else []
    return render(
        "kit/resource.html",
        "kit/_resource.html",
        item=item,
        body=body,
        sections=sections,
        related=kit.related(item),
        sources=[(key, kit.sources.get(key, {})) for key in item.fields.sources],
        places=printing_api.deck_places(kit, item),
        moment_label=moment_label(item.get("moment")),
        part_label=part_label(item.get("partie")),
        session_label=session_kind_label(item.get("type_seance")),
        plan=kit.plan(item) if item.type is ItemType.PROTOCOLE else [],
    )


def _unknown_item(item_id: str) -> Response:
    words = " ".join(item_id.replace("-", " ").split())[:MAX_QUERY_LENGTH]
    suggestions = search(get_state().engine, words, limit=5) if words else []
    if not suggestions:
        for word in words.split():
            if len(word) > 3:
                suggestions = search(get_state().engine, word, limit=5)
                if suggestions:
                    break
    return render(
        "kit/unknown.html",
        "kit/_unknown.html",
        status=404,
        item_id=item_id,
        query=words,
        suggestions=suggestions,
    )


@bp.get("/r/<item_id>/carte.pdf")
def card_pdf(item_id: str) -> Response | BaseResponse:
    """'Print this card': the one-card PDF (front and back on a sheet)."""
    kit = _kit()
    item, via_alias = kit.resolve(item_id)
    if item is None:
        return _unknown_item(item_id)
    paper = request.args.get("papier", "a4")
    if paper not in CARD_PAPERS:
        return error_response(422, _("Format de papier inconnu : choisissez A4 ou Letter."))
    if via_alias:
        return redirect(url_for("kit.card_pdf", item_id=item.id, papier=paper), code=301)
    if not printing_api.deck_places(kit, item):
        return error_response(404, _("Cet élément n'est pas une carte : il n'a pas de version à imprimer seule."))
    cache = get_state().cache
    key = (kit.content_hash, item.id, paper)
    pdf: bytes | PrintError | None = cache.get("card-pdf", key)
    if pdf is None:
        if not _card_slots.acquire(timeout=20):
            return error_response(429, retry_after=30)
        try:
            config = current_app.config
            pdf = printing_api.pipeline().render_card_pdf(
                kit, item.id, base_url=config["BASE_URL"].rstrip("/"), print_dir=Path(config["PRINT_DIR"]),
                cards_dir=Path(config["CARDS_DIR"]), paper=paper,
            )
        except PrintError as failure:
            log.warning("card %s cannot be printed: %s", item.id, failure)
            pdf = failure
        finally:
            _card_slots.release()
        cache.put("card-pdf", key, pdf)
    if isinstance(pdf, PrintError):
        return error_response(422, _("Le texte de cette carte dépasse de son cadre : elle ne peut pas être "
                                     "imprimée seule tant que la fiche n'est pas raccourcie."))
    response = make_response(pdf)
    response.mimetype = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="carte-{item.id}.pdf"'
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


# -- search -----------------------------------------------------------------------------------


def _facet_values(kind: str) -> list[tuple[str, int]]:
    state = get_state()
    values: list[tuple[str, int]] = state.cache.get_or_make(
        "facets", (state.kit.content_hash, kind), lambda: facet_values(state.engine, kind))
    return values


def hit_html(hit: SearchHit) -> Markup:
    """One search result's list entry, kept per item and language: a result shows the item, not the query."""
    return render_kept("search-hit", (hit.id,), "search/_hit.html", lambda: {"hit": hit})


def filters_html(item_type: str, tag: str, dimension: str) -> Markup:
    """The search form's filters (every type, tag and dimension of the kit as options, the chosen
    ones selected), kept per choice and language: they change only with the content."""

    def context() -> dict[str, Any]:
        kit = _kit()
        return {
            "item_type": item_type, "tag": tag, "dimension": dimension,
            "types": [t for t in ItemType if kit.by_type(t)],
            "tags": [(value, kit.tag_labels.get(value, value), count) for value, count in _facet_values("tag")
                     if count >= MIN_TAG_COUNT or value == tag],
            "dimensions": kit.by_type(ItemType.DIMENSION),
        }

    return render_kept("search-filters", (item_type, tag, dimension), "search/_filters.html", context)


@bp.get("/recherche")
def recherche() -> Response:
    """Full-text search with filters; live results as an htmx fragment, a plain form without JavaScript."""
    kit = _kit()
    query = request.args.get("q", "").strip()[:MAX_QUERY_LENGTH]
    item_type = request.args.get("type", "").strip()
    tag = tag_key(request.args.get("tag", "")[:64])
    dimension = request.args.get("dimension", "").strip()[:64]
    if item_type and item_type not in {t.value for t in ItemType}:
        return error_response(422, _("Type inconnu : choisissez un type dans la liste."))
    if dimension and (kit.get(dimension) is None or kit.items[dimension].type is not ItemType.DIMENSION):
        return error_response(422, _("Dimension inconnue : choisissez une dimension de la grille."))
    searched = bool(query or item_type or tag or dimension)
    filters = {"type": item_type or None, "tag": tag or None, "dimension": dimension or None}
    engine = get_state().engine
    hits = search(engine, query, limit=None, **filters) if searched else []
    suggestion = None
    if query and not hits:  # a typo? search the closest words of the kit instead
        suggestion = suggest(engine, query_words(query), kit.content_hash)
        if suggestion is not None:
            hits = search(engine, " ".join(suggestion.words), limit=None, **filters)
    total = len(hits)
    per_page = int(current_app.config.get("SEARCH_PER_PAGE", PER_PAGE))
    pages = max(1, -(-total // per_page))
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), pages)
    page_hits = hits[(page - 1) * per_page : page * per_page]
    page_args = {k: v for k, v in (("q", query), ("type", item_type), ("tag", tag), ("dimension", dimension)) if v}
    return render(
        "search/search.html",
        "search/_results.html",
        query=query,
        item_type=item_type,
        tag=tag,
        dimension=dimension,
        searched=searched,
        hits=page_hits,
        total=total,
        page=page,
        pages=pages,
        first_rank=(page - 1) * per_page + 1,
        page_args=page_args,
        suggestion=suggestion,
        hit_html=hit_html,
        filters_html=filters_html(item_type, tag, dimension),
    )


# -- licence ----------------------------------------------------------------------------------


@bp.get("/licence")
@cached
def licence() -> Response:
    """Licences: the content (CC BY-SA), the code, the fonts and htmx."""
    kit = _kit()
    page = kit.get("page-licence")
    licences = sorted({item.licence for item in kit})
    return render(
        "kit/licence.html",
        "kit/_licence.html",
        page=page,
        body=rendered(kit, page) if page else None,
        licences=licences,
    )


@bp.app_template_global()
def item_title(item_id: str) -> str:
    """The title of an item by id (its id if unknown)."""
    item = _kit().get(item_id)
    return item.title if item else item_id
