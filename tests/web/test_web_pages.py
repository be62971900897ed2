"""Pages: lists, resource pages of every type, 404, aliases, languages, version, no external URL."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from webtools import BASE_URL

from app import get_state
from app.kit import ItemType

LIST_PAGES = ["/", "/fiches", "/postures", "/activites", "/grille", "/structures", "/initiatives",
              "/glossaire", "/recherche", "/recherche?q=cooperation", "/licence", "/telecharger"]


def text(response) -> str:  # type: ignore[no-untyped-def]
    """The response body as text."""
    return str(response.get_data(as_text=True))


@pytest.mark.parametrize("path", LIST_PAGES)
def test_pages_answer_with_the_content_version(client: FlaskClient, app: Flask, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = text(response)
    assert get_state(app).kit.version in page
    assert '<main id="contenu"' in page and 'href="#contenu"' in page  # landmark and skip link
    assert "Content-Security-Policy" in response.headers


def test_every_item_type_has_a_resource_page(client: FlaskClient, app: Flask) -> None:
    kit = get_state(app).kit
    assert {item.type for item in kit} == set(ItemType)
    for item in kit:
        response = client.get(f"/r/{item.id}")
        assert response.status_code == 200, item.id
        page = text(response)
        assert "<h1" in page and "CC BY-SA 4.0" in page
        assert "Document source de test" in page  # sources by title


def test_fiche_shows_its_four_rubriques_and_links_glossary_terms(client: FlaskClient) -> None:
    page = text(client.get("/r/fiche-innovation-sociale"))
    for heading in ("Contexte et enjeux", "Définition", "Conceptions et pratiques du MES",
                    "Exemples, illustrations et références"):
        assert f">{heading}</h2>" in page
    assert "Fiche 2.12" in page
    assert re.search(r'<a href="/r/notion-tiers-lieu" class="glossaire"[^>]*>tiers-lieu</a>', page)
    assert 'href="/recherche?tag=innovation"' in page  # tags link to the search


def test_posture_activity_dimension_structure_initiative_notion(client: FlaskClient) -> None:
    posture = text(client.get("/r/posture-partir-des-besoins"))
    for heading in ("Ce que c&#39;est", "À faire", "À éviter", "Une question à se poser"):
        assert heading in posture
    assert posture.count("Ce que c&#39;est</h2>") == 1  # no heading repeated as an intro
    assert 'href="/r/fiche-initiative-solidaire"' in posture  # related

    activity = text(client.get("/r/activite-carte-ecosysteme"))
    assert "<table" in activity and "Tracer les liens" in activity
    assert re.search(r'<td role="cell" class="num">30<span class="unit"> min</span></td>', activity)
    assert re.search(r'class="num">45<span', activity)  # total
    assert 'href="/r/dim-cooperation"' in activity

    dimension = text(client.get("/r/dim-cooperation"))
    assert "Qui coopère avec qui ?" in dimension
    assert 'href="/r/activite-carte-ecosysteme"' in dimension  # linked back by the activity

    structure = text(client.get("/r/structure-apes"))
    assert "Acteurs Pour l&#39;Économie Solidaire" in structure
    assert re.search(r"1\W234\W567 €", structure)
    assert "13 salarié·es" in structure

    initiative = text(client.get("/r/initiative-epicerie-test"))
    for value in ("Territoire de test", "Une association d&#39;habitant·es",
                  "Accès à une alimentation de qualité", "Gouvernance partagée"):
        assert value in initiative

    notion = text(client.get("/r/notion-tiers-lieu"))
    assert "espace partagé" in notion and "tiers-lieux" in notion


def test_lists_group_and_show_their_items(client: FlaskClient) -> None:
    fiches = text(client.get("/fiches"))
    assert "Partie 1" in fiches and "Partie 2" in fiches
    assert fiches.index("initiative-solidaire") < fiches.index("innovation-sociale")
    assert "Qui coopère avec qui ?" in text(client.get("/grille"))
    assert "Pendant la visite" in text(client.get("/activites"))
    glossary = text(client.get("/glossaire"))
    assert 'href="#lettre-C"' in glossary and 'href="#lettre-T"' in glossary


def test_renamed_item_redirects(client: FlaskClient) -> None:
    response = client.get("/r/fiche-innovation")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/r/fiche-innovation-sociale")
    response = client.get("/r/NOTION-TIERS-LIEU")
    assert response.status_code == 301 and response.headers["Location"].endswith("/r/notion-tiers-lieu")


def test_unknown_item_gives_a_helpful_404(client: FlaskClient) -> None:
    response = client.get("/r/tiers-lieu-introuvable")
    assert response.status_code == 404
    page = text(response)
    assert 'name="q"' in page and 'action="/recherche"' in page
    assert 'href="/r/notion-tiers-lieu"' in page  # a suggestion from the id's words
    assert "Traceback" not in page


def test_unknown_page_is_a_404_page(client: FlaskClient) -> None:
    response = client.get("/nulle-part")
    assert response.status_code == 404
    assert "Page introuvable" in text(response)


def test_language_from_browser_and_switch(client: FlaskClient) -> None:
    french = text(client.get("/"))
    assert '<html lang="fr">' in french and "Rechercher dans la mallette" in french
    english = text(client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}))
    assert '<html lang="en">' in english and "Search the kit" in english
    assert 'lang="fr"' in english.split("<main", 1)[1]  # French content is marked as such

    assert 'href="/langue/en?next=/"' in french
    response = client.get("/langue/en?next=/glossaire")
    assert response.status_code == 303 and response.headers["Location"] == "/glossaire"
    assert "Glossary" in text(client.get("/glossaire"))
    assert 'href="/langue/fr?next=/glossaire"' in text(client.get("/glossaire"))
    # never redirects off-site; unknown languages are ignored
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        response = client.get("/langue/fr", query_string={"next": target})
        assert response.headers["Location"] == "/"
    assert "Set-Cookie" not in client.get("/langue/xx?next=/").headers


def test_pages_without_forms_set_no_cookie(client: FlaskClient) -> None:
    for path in ("/", "/r/dim-cooperation", "/recherche?q=cooperation", "/glossaire"):
        response = client.get(path)
        assert "Set-Cookie" not in response.headers, path
        assert 'name="csrf-token"' not in text(response)


def _external_urls(page: str) -> list[str]:
    urls = re.findall(r'(?:src|href|action)="([^"]*)"', page)
    return [u for u in urls if re.match(r"(?i)^(https?:)?//", u) and not u.startswith(BASE_URL)]


def test_no_page_loads_or_links_anything_external(client: FlaskClient, app: Flask) -> None:
    paths = [*LIST_PAGES, *(f"/r/{item.id}" for item in get_state(app).kit), "/r/inconnu"]
    for path in paths:
        page = text(client.get(path))
        assert _external_urls(page) == [], path
        assert "cdn" not in page.lower()


def test_real_content_pages_answer(real_app: Flask) -> None:
    client = real_app.test_client()
    kit = get_state(real_app).kit
    for path in LIST_PAGES:
        assert client.get(path).status_code == 200, path
    for item in kit:
        response = client.get(f"/r/{item.id}")
        assert response.status_code == 200, item.id
        assert _external_urls(text(response)) == [], item.id


def test_download_page_tells_the_print_shop_the_colours(client: FlaskClient) -> None:
    page = client.get("/telecharger").get_data(as_text=True)
    assert "RVB" in page and "sRGB" in page and "fond perdu" in page


def test_web_pages_get_french_typography(client: FlaskClient) -> None:
    """The one Markdown renderer sets French typography on the web too: typographic apostrophes
    and no-break spaces before colons."""
    page = client.get("/r/fiche-innovation-sociale").get_data(as_text=True)
    body = page[page.index("<main"):]
    assert "L’innovation sociale" in body and "expérimentent\u202f;" in body
