"""Session cookies: flags on every Set-Cookie, a new session at sign-in, a dead one after sign-out."""

from __future__ import annotations

import re

from factools import TEST_PASSWORD, create_user, form_token
from flask import Flask


def _session_cookies(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]


def test_sign_in_sets_a_fresh_httponly_lax_cookie_and_sign_out_kills_it(app: Flask) -> None:
    create_user(app, "anim@example.org")
    client = app.test_client()
    before = form_token(client, "/connexion")
    old_cookie = client.get_cookie("session")
    assert old_cookie is not None
    answer = client.post("/connexion", data={"email": "anim@example.org", "password": TEST_PASSWORD,
                                             "csrf_token": before})
    assert answer.status_code == 303
    cookies = _session_cookies(answer)
    assert cookies and all("HttpOnly" in c and "SameSite=Lax" in c for c in cookies)
    signed_in = client.get_cookie("session")
    assert signed_in is not None and signed_in.value != old_cookie.value
    # The pre-sign-in cookie does not carry the sign-in (no fixation).
    stranger = app.test_client()
    stranger.set_cookie("session", old_cookie.value)
    assert stranger.get("/seances/1/animer").status_code in (302, 303)

    # A copy of the signed-in cookie works until sign-out, then never again.
    copy = app.test_client()
    copy.set_cookie("session", signed_in.value)
    assert copy.get("/seances/1/animer").status_code == 404  # signed in (no such session)
    token = form_token(client, "/deconnexion")
    assert client.post("/deconnexion", data={"csrf_token": token}).status_code == 303
    assert copy.get("/seances/1/animer").status_code in (302, 303)


def test_cookies_over_https_are_secure(app: Flask) -> None:
    create_user(app, "anim@example.org")
    client = app.test_client()
    page = client.get("/connexion", base_url="https://mallette.test")
    assert _session_cookies(page) and all("Secure" in c for c in _session_cookies(page))
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
    assert token
    answer = client.post("/connexion", base_url="https://mallette.test",
                         headers={"Referer": "https://mallette.test/connexion"},
                         data={"email": "anim@example.org", "password": TEST_PASSWORD,
                               "csrf_token": token.group(1)})
    assert answer.status_code == 303
    assert _session_cookies(answer) and all("Secure" in c for c in _session_cookies(answer))
    language = client.get("/langue/en", base_url="https://mallette.test").headers.getlist("Set-Cookie")
    assert language and all("Secure" in c and "HttpOnly" in c for c in language)
