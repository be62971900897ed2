"""Download the kit: the territory kit form, background builds with visible progress, the files."""

from __future__ import annotations

import logging
import re
import unicodedata
from pathlib import Path
from typing import Any

import click
from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    redirect,
    request,
    send_from_directory,
    url_for,
)
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_htmx import make_response as htmx_response
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as BaseResponse
from wtforms import FloatField, RadioField, SelectChoice, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from .. import get_state
from ..kit import Kit
from ..kit.loader import sort_key
from ..kit.model import KitItem
from ..printing.decks import Deck
from ..printing.options import MAX_SELECTED_CARDS, KitOptions
from ..serving import is_loopback_url
from . import printing_api
from .builds import DEFAULT_TERRITORY, BuildService, BuildView, TooBusy, default_key, default_options
from .errors import error_response
from .limits import client_address, limiter
from .rendering import render, wants_partial

log = logging.getLogger(__name__)
bp = Blueprint("downloads", __name__)

#: Letters of any script, digits, and the punctuation place names use: apostrophes (' ’), hyphen,
#: en and em dashes (as word processors type "Pays d'Aix – Durance"), middle dot, slash, brackets.
TERRITORY_PATTERN = r"^[^\W_][\w .,'’()/&·‐‑–—-]*$"
__all__ = ["DEFAULT_TERRITORY", "bp", "default_options", "prebuild_command"]
PAPERS = [SelectChoice("a4", "A4"), SelectChoice("letter", "Letter (US)")]


def _strip(value: Any) -> Any:
    # NFC first: a name typed with combining accents (e + U+0301) is the same name.
    return " ".join(unicodedata.normalize("NFC", value).split()) if isinstance(value, str) else value


#: The two editions, as the download and selection forms offer them.
EDITION_CHOICES = [
    SelectChoice("home", _l("Maison ou bureau : plusieurs cartes par feuille, recto verso, traits de coupe")),
    SelectChoice("shop", _l("Imprimeur : une carte par page, fonds perdus de 3 mm et traits de coupe")),
]


class KitForm(FlaskForm):
    """The territory kit options."""

    territory = StringField(
        _l("Nom du territoire"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Indiquez le nom de votre territoire.")),
            Length(max=60, message=_l("60 caractères au plus.")),
            Regexp(TERRITORY_PATTERN, flags=re.UNICODE,
                   message=_l("Lettres, chiffres, espaces et ponctuation simple seulement.")),
        ],
    )
    paper = RadioField(_l("Papier"), choices=PAPERS, default="a4")
    edition = RadioField(_l("Édition"), choices=EDITION_CHOICES, default="home")
    decks = SelectMultipleField(
        _l("Jeux de cartes"),
        validators=[DataRequired(message=_l("Choisissez au moins un jeu de cartes."))],
    )
    back_offset_mm = FloatField(
        _l("Décalage des versos (mm)"),
        default=0.0,
        validators=[Optional(), NumberRange(min=-10, max=10, message=_l("Entre -10 et 10 mm."))],
    )


class SelectionForm(FlaskForm):
    """A selection of cards across decks, printed as one PDF (fields prefixed `sel-`)."""

    paper = RadioField(_l("Papier"), choices=PAPERS, default="a4")
    edition = RadioField(_l("Édition"), choices=EDITION_CHOICES, default="home")
    cards = SelectMultipleField(_l("Cartes choisies"), validate_choice=False)

    def validate_cards(self, field: SelectMultipleField) -> None:
        """At least one card, at most MAX_SELECTED_CARDS, each a card of the kit's decks."""
        chosen = list(dict.fromkeys(field.data or ()))
        known = {choice.value for choice in (field.choices or [])}
        unknown = [card for card in chosen if card not in known]
        if not chosen:
            raise ValidationError(_("Choisissez au moins une carte."))
        if unknown:
            raise ValidationError(_("Ces cartes n'existent pas dans la mallette : %(ids)s",
                                    ids=", ".join(card[:40] for card in unknown[:5])))
        if len(chosen) > MAX_SELECTED_CARDS:
            raise ValidationError(_("%(max)d cartes au plus dans une sélection (vous en avez choisi %(num)d).",
                                    max=MAX_SELECTED_CARDS, num=len(chosen)))
        field.data = chosen


#: The territory name of selection builds (it names the files: ma-selection-cartes.pdf).
SELECTION_NAME = "Ma sélection"


def _card_groups(kit: Kit, decks: list[tuple[Deck, int]]) -> list[tuple[Deck, list[KitItem]]]:
    """Each deck with its cards, for the selection form (a card in two decks is listed once)."""
    module = printing_api.pipeline()
    seen: set[str] = set()
    groups = []
    for deck, _count in decks:
        items = [item for item in module.deck_items(deck, kit) if item.id not in seen]
        seen.update(item.id for item in items)
        if items:
            groups.append((deck, items))
    return groups


def _selection_form(groups: list[tuple[Deck, list[KitItem]]]) -> SelectionForm:
    form = SelectionForm(prefix="sel")
    form.cards.choices = [SelectChoice(item.id, item.title) for _deck, items in groups for item in items]
    if request.method == "GET":  # /telecharger?carte=<id> (the "add to my selection" link without JS)
        known = {item.id for _deck, items in groups for item in items}
        form.cards.data = [card for card in request.args.getlist("carte") if card in known][:MAX_SELECTED_CARDS]
    return form


def _decks(kit: Kit) -> list[tuple[Deck, int]]:
    """The decks that have cards, with their card counts."""
    return [(deck, count) for deck, count in printing_api.deck_summaries(kit) if count]


def _service(app: Flask | None = None) -> BuildService:
    service: BuildService = (app or current_app).extensions["mallette_builds"]
    return service


def _form(decks: list[tuple[Deck, int]]) -> KitForm:
    form = KitForm()
    form.decks.choices = [SelectChoice(deck.id, deck.title) for deck, _count in decks]
    if request.method == "GET":
        form.decks.data = [deck.id for deck, _count in decks]
    return form


def _default_build() -> BuildView | None:
    """The prebuilt kit's build, if `mallette prebuild-kit` or the worker made it (a page never starts one)."""
    return _service().get(default_key(current_app))


#: What each progress code says (codes come from `app.printing.options.Step` and `app.jobs`).
def progress_text(build: BuildView) -> str:
    """The build's progress message, in the reader's language."""
    code, params = build.message, build.message_params
    if code == "part-done":
        part = params.get("part")
        if part == "body":
            return _("Livret : fiches, activités, grille, structures et glossaire composé")
        if part == "front":
            return _("Livret : couverture, colophon et sommaire composé")
        if part == "body-section":
            return _("Livret : « %(section)s » composé", section=params.get("section", ""))
        return _("Jeu « %(deck)s » composé", deck=params.get("deck", ""))
    if code == "parts-cached":
        return _("%(done)s partie(s) déjà prête(s), %(pending)s à composer",
                 done=params.get("done", 0), pending=params.get("pending", 0))
    texts = {
        "preparing": _("Préparation de la mallette"),
        "up-to-date": _("Mallette prête (déjà à jour)"),
        "assembling": _("Assemblage du PDF complet"),
        "zipping": _("Création de l'archive ZIP"),
        "ready": _("Mallette prête"),
        "retrying": _("Reprise après l'arrêt d'un poste de travail"),
    }
    return texts.get(code, "")


def file_label(name: str, deck_titles: dict[str, str]) -> str:
    """What a built file is, for people (its name stays visible beside)."""
    stem = Path(name).stem
    if name.endswith(".zip"):
        return _("Tous les fichiers (ZIP)")
    if stem.endswith("mallette-complete"):
        return _("La mallette complète, en un seul PDF")
    if stem.endswith("livret"):
        return _("Le livret : fiches, activités, grille, structures, glossaire")
    if stem.endswith("-cartes") and name.endswith(".pdf"):
        return _("Ma sélection de cartes : rectos, puis versos en miroir")
    if stem.endswith("-cartes"):
        return _("Ma sélection de cartes (ZIP)")
    if stem.endswith("boites"):
        return _("Les boîtes des jeux, à découper, plier et coller (recto seul)")
    if "-jeu-" in stem:
        deck = stem.rsplit("-jeu-", 1)[1]
        title = deck_titles.get(deck, deck)
        # "Cartes posture", not "Jeu de cartes « Cartes posture »": the title already says it.
        return title if sort_key(title).startswith(("cartes", "jeu")) else _("Cartes « %(deck)s »", deck=title)
    return name


#: Edition codes -> the word a downloaded file's name carries.
EDITION_WORDS = {"home": "maison", "shop": "imprimeur"}


def download_name(build: BuildView, name: str) -> str:
    """The name a downloaded file gets: its territory (already in it), paper and edition.

    `couserans-livret.pdf` of the Letter shop edition downloads as `couserans-livret-letter-imprimeur.pdf`,
    so that two editions of one territory never save as `… (1).pdf`.
    """
    path = Path(name)
    paper = str(build.options.get("paper", "a4"))
    edition = EDITION_WORDS.get(str(build.options.get("edition", "home")), "maison")
    return f"{path.stem}-{paper}-{edition}{path.suffix}"


def options_summary(build: BuildView) -> str:
    """What a kit is: its paper, edition and decks, for people."""
    titles = {deck.id: deck.title for deck in printing_api.load_decks()}
    paper = {"a4": "A4", "letter": "Letter (US)"}.get(str(build.options.get("paper", "a4")), "A4")
    edition = _("édition imprimeur") if build.options.get("edition") == "shop" else _("édition maison ou bureau")
    cards = list(build.options.get("cards") or [])
    if cards:
        return _("%(paper)s · %(edition)s · %(cards)s", paper=paper, edition=edition,
                 cards=ngettext("%(num)d carte choisie", "%(num)d cartes choisies", len(cards)))
    chosen = list(build.options.get("decks") or [])
    decks = ", ".join(titles.get(d, d) for d in chosen) if chosen else _("tous les jeux de cartes")
    return _("%(paper)s · %(edition)s · %(decks)s", paper=paper, edition=edition, decks=decks)


def _file_entries(build: BuildView) -> list[dict[str, Any]]:
    root = _service().build_dir / build.key
    titles = {deck.id: deck.title for deck in printing_api.load_decks()}
    entries = []
    for name in build.files:
        path = root / name
        size = path.stat().st_size if path.is_file() else 0
        entries.append({
            "name": download_name(build, name),
            "deck": "-jeu-" in Path(name).stem,
            "label": file_label(name, titles),
            "url": url_for("downloads.build_file", key=build.key, name=name),
            "size": size,
            "kind": "zip" if name.endswith(".zip") else "pdf",
        })
    return entries


def _page(form: KitForm, decks: list[tuple[Deck, int]], *, status: int = 200,
          selection: SelectionForm | None = None) -> Response:
    kit = get_state().kit
    groups = _card_groups(kit, decks) if decks and kit else []
    return render(
        "download/download.html",
        "download/_form.html",
        status=status,
        with_csrf=True,
        form=form,
        selection=selection if selection is not None else _selection_form(groups),
        card_groups=groups,
        max_cards=MAX_SELECTED_CARDS,
        decks=decks,
        default_build=_default_build() if decks and kit else None,
        entries=_file_entries,
        progress_text=progress_text,
        options_summary=options_summary,
        ahead=_service().ahead,
        qr=qr_address(),
    )


@bp.get("/telecharger")
def download() -> Response:
    """The download page: the prebuilt default kit, and the form for a territory kit."""
    decks = _decks(get_state().kit)
    return _page(_form(decks), decks)


#: Kits one address may ask for (each may take the print worker's cores for seconds).
BUILDS_PER_ADDRESS = "20 per hour"


def _too_many(_limit: Any = None) -> Response:
    """429 for a kit form: with htmx, in the form's own message slot, the form kept as typed."""
    response = error_response(429, retry_after=60)
    if wants_partial():
        return htmx_response(response, retarget="#kit-erreur", reswap="innerHTML")
    return response


def _asked(response: Response) -> bool:
    """A kit was asked for (not a form sent back with its errors)."""
    return response.status_code in (200, 303)


@bp.post("/telecharger")
@limiter.limit(BUILDS_PER_ADDRESS, key_func=client_address, deduct_when=_asked, on_breach=_too_many)
def start_build() -> Response | BaseResponse:
    """Start (or reuse) the build of a territory kit; show its progress."""
    kit = get_state().kit
    decks = _decks(kit)
    form = _form(decks)
    if not decks:
        return error_response(422, _("Les jeux de cartes ne sont pas disponibles pour le moment."))
    if not form.validate():
        return _page(form, decks, status=422)
    chosen = tuple(form.decks.data or ())
    all_decks = {deck.id for deck, _count in decks}
    try:
        options = KitOptions(
            territory=form.territory.data,
            paper=form.paper.data,
            edition=form.edition.data,
            decks=() if set(chosen) == all_decks else tuple(deck.id for deck, _count in decks if deck.id in chosen),
            back_offset_mm=float(form.back_offset_mm.data or 0.0) if form.edition.data == "home" else 0.0,
        )
    except ValueError as exc:  # the pipeline's own checks
        form.territory.errors = [*form.territory.errors, str(exc)]
        return _page(form, decks, status=422)
    try:
        build = _service().request(kit, options)
    except TooBusy:
        return _too_many()
    target = url_for("downloads.build_status", key=build.key)
    if not wants_partial():
        return redirect(target, code=303)
    response = render("download/build.html", "download/_started.html", build=build, entries=_file_entries,
                      with_csrf=True, progress_text=progress_text, options_summary=options_summary,
                      ahead=_service().ahead, qr=qr_address())
    return htmx_response(response, push_url=target)


@bp.post("/telecharger/selection")
@limiter.limit(BUILDS_PER_ADDRESS, key_func=client_address, deduct_when=_asked, on_breach=_too_many)
def start_selection() -> Response | BaseResponse:
    """Start (or reuse) the build of one PDF of the chosen cards; show its progress page."""
    kit = get_state().kit
    decks = _decks(kit)
    if not decks:
        return error_response(422, _("Les jeux de cartes ne sont pas disponibles pour le moment."))
    groups = _card_groups(kit, decks)
    selection = _selection_form(groups)
    if not selection.validate():
        return _page(_form(decks), decks, status=422, selection=selection)
    try:
        options = KitOptions(territory=SELECTION_NAME, paper=selection.paper.data, edition=selection.edition.data,
                             cards=tuple(selection.cards.data or ()))
        build = _service().request(kit, options)
    except ValueError as exc:  # the pipeline's own checks
        selection.cards.errors = [*selection.cards.errors, str(exc)]
        return _page(_form(decks), decks, status=422, selection=selection)
    except TooBusy:
        return error_response(429, retry_after=60)
    return redirect(url_for("downloads.build_status", key=build.key), code=303)


def qr_address() -> dict[str, Any]:
    """The address printed QR codes carry, and whether only this computer can open it."""
    url = str(current_app.config["BASE_URL"]).rstrip("/")
    return {"url": url, "loopback": is_loopback_url(url)}


@bp.get("/telecharger/<key>")
def build_status(key: str) -> Response:
    """A build's page: progress while it waits or runs (polled by htmx), then the download links."""
    build = _service().get(key)
    if build is None:
        return error_response(404, _("Ce kit n'existe pas ou a été supprimé. Demandez-le à nouveau."))
    return render("download/build.html", "download/_build.html", build=build, entries=_file_entries,
                  with_csrf=True, progress_text=progress_text, options_summary=options_summary,
                  ahead=_service().ahead, qr=qr_address())


@bp.get("/telecharger/<key>/<path:name>")
def build_file(key: str, name: str) -> Response:
    """One file of a finished build; only the files the build listed are served."""
    service = _service()
    build = service.get(key)
    if build is None or service.file_path(build, name) is None:
        return error_response(404, _("Ce fichier n'existe pas."))
    service.touch(build)
    return send_from_directory(service.build_dir / build.key, name, as_attachment=True,
                               download_name=download_name(build, Path(name).name))


@click.command("prebuild-kit")
@with_appcontext
def prebuild_command() -> None:
    """Construit le kit par défaut (tous les jeux, A4, maison) pour qu'il soit prêt au téléchargement."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    build = _service(app).build_now(get_state(app).kit, default_options(app))
    click.echo(f"kit par défaut {build.key} : {build.status} ({len(build.files)} fichiers)")
    if not build.done:
        raise SystemExit(1)
