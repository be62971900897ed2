"""Protocols, templates and role cards have list pages and resource pages showing their own fields."""

from __future__ import annotations

from flask.testing import FlaskClient
from french_ui import fr
from webtools import HTMX


def test_protocol_page_shows_each_half_day_with_resolved_steps(client: FlaskClient) -> None:
    page = client.get("/r/protocole-atelier-test").get_data(as_text=True)
    assert "Séminaire réflexif" in page  # the kind of session
    assert fr("Matin · 120 min") in page
    # An activity step shows its own title and instruction, and links to its activity.
    assert "Lister les acteur·ices" in page and "Chacun·e note les acteur·ices rencontré·es." in page
    assert 'href="/r/activite-carte-ecosysteme"' in page
    assert "Café partagé" in page and "On se retrouve autour d&#39;un café." in page
    assert ">70<span" in page  # 15 + 40 + 15: the protocol's 40 minutes, not the activity's 30
    for heading in ("Avant", "Pendant", "Après", "Rôles"):
        assert f">{heading}</h2>" in page


def test_template_page_lists_its_boxes_and_grid_questions(client: FlaskClient) -> None:
    page = client.get("/r/modele-note-test").get_data(as_text=True)
    assert "Après l&#39;atelier, par chaque participant·e." in page
    assert "Ce qui m&#39;a frappé·e" in page and "Deux ou trois faits marquants." in page
    assert "Qui coopère avec qui ?" in page and "Sur quoi porte la coopération ?" in page
    assert "Le groupe · La structure" in page


def test_role_page_and_list_pages(client: FlaskClient) -> None:
    page = client.get("/r/role-gardien-du-temps").get_data(as_text=True)
    assert "Un·e visiteur·se, à tour de rôle" in page and ">Point de vigilance</h2>" in page
    for path, title in (("/protocoles", "Un atelier de test"), ("/modeles", "Une note à remplir"),
                        ("/roles", "Gardien·ne du temps")):
        response = client.get(path)
        assert response.status_code == 200 and title in response.get_data(as_text=True)
        assert "<html" not in client.get(path, headers=HTMX).get_data(as_text=True)


def test_new_types_are_translated_in_english(client: FlaskClient) -> None:
    client.get("/langue/en?next=/")
    page = client.get("/r/protocole-atelier-test").get_data(as_text=True)
    assert "Reflective seminar" in page and "Protocols" in page


def test_guide_page_and_list(client: FlaskClient) -> None:
    page = client.get("/r/guide-test").get_data(as_text=True)
    assert "Un guide de test" in page and ">Le cycle</h2>" in page
    assert "Un guide de test" in client.get("/guides").get_data(as_text=True)
