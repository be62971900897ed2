"""What a newcomer meets: territory names, the language notice, the compact header, key actions first."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask, render_template
from flask.testing import FlaskClient
from french_ui import fr
from webtools import REAL_CONTENT

from app.kit import load_kit
from app.web.downloads import KitForm

ENGLISH = {"Accept-Language": "en-US,en;q=0.9"}


@pytest.mark.parametrize("name", ["Pays d'Aix – Durance", "Pays d’Aix — Durance", "Saint-Étienne-du-Rouvray",
                                  "Val·de·Drôme", "Ηράκλειο", "Couserans (Ariège) / Haut-Salat"])
def test_real_place_names_are_accepted(app: Flask, name: str) -> None:
    with app.test_request_context(method="POST", data={"territory": name}):
        form = KitForm(meta={"csrf": False})
        assert form.territory.validate(form), form.territory.errors
        assert form.territory.data == name


@pytest.mark.parametrize("name", ["<script>", "– Durance", "_x", "a" * 61, "Pays\u202eDurance", "Aix {Durance}"])
def test_other_names_are_refused_with_a_message(app: Flask, name: str) -> None:
    with app.test_request_context(method="POST", data={"territory": name}):
        form = KitForm(meta={"csrf": False})
        assert not form.territory.validate(form)
        assert form.territory.errors


def test_a_browser_in_english_is_told_the_content_is_french_and_can_keep_its_choice(client: FlaskClient) -> None:
    page = client.get("/r/posture-partir-des-besoins", headers=ENGLISH).get_data(as_text=True)
    assert 'lang="en"' in page
    assert "The interface follows your browser's language; the kit's content is written in French." in page
    assert "The kit's content is written in French; only the interface is translated." in page
    keep = re.search(r'<a href="(/langue/en\?next=[^"]+)" rel="nofollow">Keep English</a>', page)
    assert keep, "no way to keep English"
    response = client.get(keep.group(1).replace("&amp;", "&"), headers=ENGLISH)
    assert response.status_code == 303 and "lang=en" in response.headers["Set-Cookie"]
    again = client.get("/r/posture-partir-des-besoins", headers=ENGLISH).get_data(as_text=True)
    assert "follows your browser" not in again and "only the interface is translated" in again
    french = client.get("/r/posture-partir-des-besoins").get_data(as_text=True)  # the cookie holds
    assert 'lang="en"' in french


def test_french_pages_have_no_notice(client: FlaskClient) -> None:
    page = client.get("/r/posture-partir-des-besoins").get_data(as_text=True)
    assert "language-notice" not in page and "content-language" not in page


def test_header_menu_is_a_link_to_the_menu_and_key_actions_come_first(client: FlaskClient) -> None:
    page = client.get("/r/posture-partir-des-besoins").get_data(as_text=True)
    assert '<a class="menu-button" href="#menu" aria-controls="menu">Menu</a>' in page
    assert '<div id="menu" class="wrap menu">' in page
    header_end = page.index("</header>", page.index('class="resource-header"'))
    assert page.index("Imprimer cette carte") < header_end  # in the item's header, before its body


def _built(edition: str, paper: str, decks: list[str]) -> Any:
    return SimpleNamespace(key="k" * 64, done=True, failed=False, expired=False, queued=False,
                           files=("couserans-livret.pdf", "couserans-jeu-postures.pdf", "couserans-mallette.zip"),
                           options={"territory": "Couserans", "paper": paper, "edition": edition, "decks": decks})


def test_a_built_kit_says_what_it_is_and_names_its_files(app: Flask) -> None:
    from app.web.downloads import download_name, file_label, options_summary

    home, shop = _built("home", "a4", []), _built("shop", "letter", ["postures"])
    assert download_name(home, "couserans-livret.pdf") == "couserans-livret-a4-maison.pdf"
    assert download_name(shop, "couserans-livret.pdf") == "couserans-livret-letter-imprimeur.pdf"
    assert file_label("couserans-jeu-postures.pdf", {"postures": "Cartes posture"}) == "Cartes posture"
    with app.test_request_context():
        assert options_summary(home) == "A4 · édition maison ou bureau · tous les jeux de cartes"
        assert options_summary(shop).startswith("Letter (US) · édition imprimeur · ")


def test_each_edition_gets_its_own_printing_instructions(app: Flask) -> None:
    def entries(build: Any) -> list[dict[str, Any]]:
        return [{"name": n, "deck": "-jeu-" in n, "label": n, "url": "/f/" + n, "size": 2048, "kind": "pdf"}
                for n in build.files]

    with app.test_request_context():
        home = render_template("download/_build.html", build=_built("home", "a4", []), entries=entries)
        shop = render_template("download/_build.html", build=_built("shop", "letter", []), entries=entries)
    assert "recto verso bord long" in home and "imprimeur" not in home
    assert fr("fonds perdus de 3 mm") in shop and "recto verso bord long" not in shop
    assert "<details" in shop and shop.index("couserans-livret.pdf") < shop.index("<details")  # decks grouped


def _cards(page: str) -> list[str]:
    return re.findall(r'<a href="/r/(activite-[a-z0-9-]+|posture-[a-z0-9-]+)">', page)


def test_activities_filter_by_duration_group_size_and_moment(real_client: FlaskClient) -> None:
    kit = load_kit(REAL_CONTENT).kit
    short = real_client.get("/activites?duree=court").get_data(as_text=True)
    assert set(_cards(short)) == {i.id for i in kit.by_type("activite") if i.get("duree") <= 120}
    assert "activite-journee-acteurs-chercheurs" not in _cards(short)
    assert fr("2 h · 7 à 9 personnes") in short  # duration and group size on each card
    alone = _cards(real_client.get("/activites?groupe=seul").get_data(as_text=True))
    assert "activite-note-impression" in alone and "activite-recensement-besoins" not in alone
    large = _cards(real_client.get("/activites?groupe=grand").get_data(as_text=True))
    assert "activite-journee-acteurs-chercheurs" in large and "activite-note-impression" not in large
    after = _cards(real_client.get("/activites?moment=apres-visite&groupe=seul").get_data(as_text=True))
    assert after == ["activite-note-impression"]
    nothing = real_client.get("/activites?duree=court&groupe=grand").get_data(as_text=True)
    assert "Aucun élément ne correspond à ces filtres." in nothing
    assert real_client.get("/activites?duree=eternite").status_code == 422


def test_postures_filter_by_theme(real_client: FlaskClient) -> None:
    page = real_client.get("/postures").get_data(as_text=True)
    assert '<option value="reciprocite">réciprocité</option>' in page
    reciprocal = _cards(real_client.get("/postures?theme=r%C3%A9ciprocit%C3%A9").get_data(as_text=True))
    assert "posture-accompagnement-horizontal" in reciprocal and 0 < len(reciprocal) < len(_cards(page))
    assert real_client.get("/postures?theme=inconnu").status_code == 422


def test_fiche_numbers_are_explained(client: FlaskClient) -> None:
    assert "ces numéros ne renvoient pas à la partie 2" in client.get("/fiches").get_data(as_text=True)


def test_a_shared_link_shows_the_cards_title_and_summary(client: FlaskClient) -> None:
    page = client.get("/r/posture-partir-des-besoins").get_data(as_text=True)
    assert '<meta property="og:title" content="Partir des besoins">' in page
    summary = re.search(r'<p class="summary">([^<]+)</p>', page)
    assert summary and f'<meta property="og:description" content="{summary.group(1)}">' in page
    assert '<meta property="og:type" content="article">' in page
    assert '<meta property="og:url" content="http://mallette.test/r/posture-partir-des-besoins">' in page
    home = client.get("/").get_data(as_text=True)
    assert '<meta property="og:type" content="website">' in home
