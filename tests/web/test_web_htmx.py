"""htmx: one helper for partial vs full pages, Vary, CSRF, and error messages in the asking region."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from webtools import HTMX, csrf_token


@pytest.mark.parametrize("path", ["/recherche?q=cooperation", "/r/dim-cooperation", "/glossaire", "/"])
def test_partial_for_htmx_full_otherwise(client: FlaskClient, path: str) -> None:
    full = client.get(path)
    partial = client.get(path, headers=HTMX)
    assert full.status_code == partial.status_code == 200
    assert "<html" in full.get_data(as_text=True)
    assert "<html" not in partial.get_data(as_text=True)
    for response in (full, partial):
        assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize("extra", [{"HX-Boosted": "true"}, {"HX-History-Restore-Request": "true"}])
def test_boosted_and_history_restore_get_the_full_page(client: FlaskClient, extra: dict[str, str]) -> None:
    response = client.get("/recherche?q=cooperation", headers={**HTMX, **extra})
    assert "<html" in response.get_data(as_text=True)


def test_search_fragment_updates_the_status_out_of_band(client: FlaskClient) -> None:
    page = client.get("/recherche?q=cooperation", headers=HTMX).get_data(as_text=True)
    assert 'id="statut-recherche"' in page and 'hx-swap-oob="innerHTML"' in page


def test_htmx_configuration_swaps_errors(client: FlaskClient) -> None:
    page = client.get("/telecharger").get_data(as_text=True)
    assert '"responseHandling"' in page and '"code":"[45]..","swap":true,"error":true' in page
    assert "hx-headers='{\"X-CSRFToken\": " in page
    assert '/static/vendor/htmx.min.js' in page


def test_404_fragment_for_htmx(client: FlaskClient) -> None:
    response = client.get("/r/inconnu", headers=HTMX)
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "<html" not in page and "introuvable" in page
    response = client.get("/ailleurs", headers=HTMX)
    assert response.status_code == 404 and 'role="alert"' in response.get_data(as_text=True)


def test_413_is_readable(client: FlaskClient, app: Flask) -> None:
    token = csrf_token(client, "/telecharger")
    body = "x" * (app.config["MAX_CONTENT_LENGTH"] + 10)
    response = client.post("/telecharger", data={"territory": body}, headers={**HTMX, "X-CSRFToken": token})
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert 'role="alert"' in page and "trop volumineux" in page


def test_500_is_readable_never_a_traceback(app: Flask) -> None:
    def boom() -> str:
        raise RuntimeError("secret detail")

    app.add_url_rule("/boom", "boom", boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = app.test_client()
    for headers in ({}, HTMX):
        response = client.get("/boom", headers=headers)
        assert response.status_code == 500
        page = response.get_data(as_text=True)
        assert "erreur inattendue" in page and "secret detail" not in page and "Traceback" not in page


def test_csrf_is_enforced_on_post(client: FlaskClient) -> None:
    data = {"territory": "Couserans", "paper": "a4", "edition": "home", "decks": []}
    response = client.post("/telecharger", data=data)
    assert response.status_code == 400
    assert "formulaire a expiré" in response.get_data(as_text=True)
    response = client.post("/telecharger", data=data, headers={**HTMX, "X-CSRFToken": "forged"})
    assert response.status_code == 400 and 'role="alert"' in response.get_data(as_text=True)
    token = csrf_token(client)
    # with the token (header, as htmx sends it) the form is processed: 422 for the empty deck list
    assert client.post("/telecharger", data=data, headers={**HTMX, "X-CSRFToken": token}).status_code == 422


def test_security_headers(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_vendored_assets_are_served(client: FlaskClient) -> None:
    with client.get("/static/vendor/htmx.min.js") as htmx:
        assert htmx.status_code == 200 and b"htmx" in htmx.data
    with client.get("/static/fonts/atkinson-hyperlegible-latin-400-normal.woff2") as font:
        assert font.status_code == 200 and font.data[:4] == b"wOF2"
    with client.get("/static/app.css") as css:
        assert b"url(\"fonts/" in css.data and b"http" not in css.data



def test_a_visitors_message_never_reaches_the_page_cache(app: Flask) -> None:
    """A page shown with a message for one visitor (here "signed out") is not cached for the others,
    before or after: each sees its own messages only."""
    warm, leaving, other = app.test_client(), app.test_client(), app.test_client()
    assert warm.get("/glossaire?u=1").status_code == 200  # cached without a message
    with leaving.session_transaction() as cookie:
        cookie["_flashes"] = [("success", "Vous êtes déconnecté·e.")]
    assert "Vous êtes déconnecté·e." in leaving.get("/glossaire?u=1").get_data(as_text=True)
    with leaving.session_transaction() as cookie:
        cookie["_flashes"] = [("success", "Vous êtes déconnecté·e.")]
    assert "Vous êtes déconnecté·e." in leaving.get("/glossaire?u=2").get_data(as_text=True)
    for url in ("/glossaire?u=1", "/glossaire?u=2"):
        assert "déconnecté" not in other.get(url).get_data(as_text=True), url
    assert "déconnecté" not in leaving.get("/glossaire?u=2").get_data(as_text=True)  # shown once

def test_cached_pages_answer_conditional_requests(client: FlaskClient) -> None:
    first = client.get("/r/dim-cooperation")
    etag = first.headers["ETag"]
    assert first.status_code == 200 and "no-cache" in first.headers["Cache-Control"]
    again = client.get("/r/dim-cooperation", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    partial = client.get("/r/dim-cooperation", headers={**HTMX, "If-None-Match": etag})
    assert partial.status_code == 200  # the fragment is another representation
    english = client.get("/r/dim-cooperation", headers={"If-None-Match": etag, "Accept-Language": "en"})
    assert english.status_code == 200
