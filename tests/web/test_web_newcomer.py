"""What a newcomer meets: territory names, the language notice, the compact header, key actions first."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

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
