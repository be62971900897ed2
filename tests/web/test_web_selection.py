"""The card selection on /telecharger: a plain form of checkboxes (no JavaScript needed), one PDF of
just the chosen cards through the job queue and the build cache, ids checked against the kit; the
"add to my selection" link on a card's page; the browser basket's script served from static/."""

from __future__ import annotations

import re

import test_web_builds as builds
from flask import Flask
from flask.testing import FlaskClient
from french_ui import fr
from test_web_builds import FakeBuilder, wait_done
from webtools import csrf_token

from app import get_state
from app.printing.options import MAX_SELECTED_CARDS
from app.web import printing_api

# The build tests' fixtures: the stand-in pipeline and the job queue run in a thread.
fake_pipeline, fake, worker = builds.fake_pipeline, builds.fake, builds.worker


def _card_ids(app: Flask) -> list[str]:
    with app.app_context():
        kit = get_state(app).kit
        return [item.id for deck, _n in printing_api.deck_summaries(kit)
                for item in printing_api.pipeline().deck_items(deck, kit)]


def _post(client: FlaskClient, cards: list[str], **extra: str):  # type: ignore[no-untyped-def]
    data = {"sel-csrf_token": csrf_token(client), "sel-paper": "a4", "sel-edition": "home", "sel-cards": cards}
    data.update(extra)
    return client.post("/telecharger/selection", data=data)


def test_selection_form_lists_every_card_without_javascript(app: Flask, client: FlaskClient) -> None:
    page = client.get("/telecharger").get_data(as_text=True)
    assert re.search(r'<form class="selection-form" method="post" action="/telecharger/selection#selection"', page)
    ids = _card_ids(app)
    assert ids
    for card in ids:
        assert f'name="sel-cards" value="{card}"' in page
        assert f'<label for="sel-carte-{card}">' in page
    assert 'aria-live="polite" data-basket-count' in page and "Aucune carte choisie." in page
    assert '<script src="/static/selection.js" defer></script>' in page
    assert "<script>" not in page  # no inline script (strict CSP)
    with client.get("/static/selection.js") as script:
        assert script.status_code == 200 and b"localStorage" in script.data


def test_a_card_link_ticks_it_on_the_download_page(app: Flask, client: FlaskClient) -> None:
    card = _card_ids(app)[1]
    resource = client.get(f"/r/{card}").get_data(as_text=True)
    link = re.search(r'<a class="button button-quiet" href="([^"]+)"\s+data-basket-add="([^"]+)"', resource)
    assert link and link.group(2) == card
    assert link.group(1) == f"/telecharger?carte={card}#selection"
    page = client.get(f"/telecharger?carte={card}&carte=inconnue").get_data(as_text=True)
    assert f'value="{card}" checked' in page and 'value="inconnue"' not in page
    assert fr("1 carte choisie.") in page


def test_selection_builds_one_pdf_through_the_queue(app: Flask, client: FlaskClient, fake: FakeBuilder,
                                                    worker: None) -> None:
    first, second = _card_ids(app)[0], _card_ids(app)[-1]
    response = _post(client, [second, first, second])
    assert response.status_code == 303
    url = response.headers["Location"]
    assert re.fullmatch(r"/telecharger/[0-9a-f]{64}", url)
    page = wait_done(client, url)
    assert "Le kit est prêt" in page
    assert [c.cards for c in fake.calls] == [tuple(sorted((first, second)))]  # the job worker passes them on
    assert fake.calls[0].territory == "Ma sélection" and fake.calls[0].paper == "a4"
    assert fr("2 cartes choisies") in client.get(url).get_data(as_text=True)
    english = client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "<h1>My card selection</h1>" in english and "Ma sélection" not in english  # no French name leaks
    again = _post(client, [first, second])  # the same cards in another order
    assert again.headers["Location"] == url and len(fake.calls) == 1  # same key: built once


def test_bad_selections_keep_the_form_and_say_why(app: Flask, client: FlaskClient, fake: FakeBuilder) -> None:
    card = _card_ids(app)[0]
    empty = _post(client, [])
    assert empty.status_code == 422 and "Choisissez au moins une carte." in empty.get_data(as_text=True)
    unknown = _post(client, [card, "pas-une-carte"])
    text = unknown.get_data(as_text=True)
    assert unknown.status_code == 422 and "pas-une-carte" in text and f'value="{card}" checked' in text
    many = _post(client, [f"carte-{n}" for n in range(MAX_SELECTED_CARDS + 1)])
    assert many.status_code == 422
    assert not fake.calls
    assert _post(client, [card], **{"sel-csrf_token": "x"}).status_code in (400, 422)  # CSRF checked


def test_mode_d_emploi_cards_point_to_pages_that_exist(client: FlaskClient) -> None:
    """The QR code of each deck's mode d'emploi card opens the web page listing that deck's cards."""
    from app.printing.cards import DECK_PAGES

    for path in DECK_PAGES.values():
        assert client.get(path).status_code == 200, path
