"""The probe's findings, each pinned: no 500 for odd input, no file leak, cookies, hosts, CSRF expiry."""

from __future__ import annotations

import io
import re
import shutil
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from webtools import WEB_CONTENT, close_app, csrf_token, make_app

from app import get_state
from app.config import CSRF_TIME_LIMIT
from app.kit.markdown import render_markdown, sanitize
from app.printing import kit_builder
from app.printing.options import KitOptions
from app.printing.render import CardOverflowError

CONTROL_MESSAGE = "Caractère de contrôle non accepté"


# -- odd input: a clear 4xx, the same on SQLite and PostgreSQL ---------------------------------


def test_language_switch_with_a_line_break_in_next_goes_home(client: FlaskClient) -> None:
    response = client.get("/langue/en?next=/%0a")
    assert response.status_code == 303 and response.headers["Location"] == "/"
    response = client.get("/langue/en?next=/fiches%0d%0aSet-Cookie:x=1")
    assert response.status_code == 303 and response.headers["Location"] == "/"


@pytest.fixture
def db_app(indexed_database_url: Callable[[Path], str], tmp_path: Path) -> Iterator[Flask]:
    """The web test app on SQLite, then on PostgreSQL when configured."""
    application = make_app(tmp_path, DATABASE_URL=indexed_database_url(WEB_CONTENT))
    yield application
    close_app(application)


CONTROL_REQUESTS = [
    pytest.param("GET", "/recherche?tag=%00", None, id="nul-in-tag"),
    pytest.param("GET", "/recherche?q=coop%00eration", None, id="nul-in-query"),
    pytest.param("GET", "/recherche?dimension=%1b", None, id="escape-in-dimension"),
    pytest.param("GET", "/recherche?%00=x", None, id="nul-in-key"),
    pytest.param("GET", "/r/fiche%00", None, id="nul-in-path"),
    pytest.param("POST", "/telecharger", {"territory": "Cous\x00erans"}, id="nul-in-form"),
    pytest.param("POST", "/connexion", {"email": "a\x08@example.org", "password": "x"}, id="backspace-in-form"),
]


@pytest.mark.parametrize(("method", "path", "form"), CONTROL_REQUESTS)
def test_control_characters_are_a_400_on_every_database(
    db_app: Flask, method: str, path: str, form: dict[str, str] | None
) -> None:
    client = db_app.test_client()
    if form is not None:
        form = {**form, "csrf_token": csrf_token(client)}
    response = client.open(path, method=method, data=form)
    assert response.status_code == 400
    assert CONTROL_MESSAGE in response.get_data(as_text=True)


def test_control_characters_in_json_are_a_400(client: FlaskClient) -> None:
    token = csrf_token(client)
    response = client.post("/telecharger", json={"territory": "a\u0000b"}, headers={"X-CSRFToken": token})
    assert response.status_code == 400 and CONTROL_MESSAGE in response.get_data(as_text=True)


def test_tabs_and_line_breaks_stay_allowed(db_app: Flask) -> None:
    response = db_app.test_client().get("/recherche?q=coop%C3%A9ration%09%0Aterritoire&tag=x")
    assert response.status_code == 200


def test_bidi_and_nul_free_search_gives_results_on_every_database(db_app: Flask) -> None:
    response = db_app.test_client().get("/recherche?q=%E2%80%AEcoop%C3%A9ration")
    assert response.status_code == 200


# -- /r/<id>/carte.pdf: an overflowing card is a readable 422, rendered once ------------------


def test_card_overflow_is_a_422_and_is_not_rendered_again(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def overflowing(kit, item_id, **options):  # type: ignore[no-untyped-def]
        calls.append(item_id)
        raise CardOverflowError([(item_id, "postures", 4.2)], {item_id: f"postures/{item_id}.md"})

    monkeypatch.setattr(kit_builder, "render_card_pdf", overflowing)
    # Each app has its own content cache: nothing cached by earlier tests is served here.
    for _ in range(3):
        response = client.get("/r/posture-partir-des-besoins/carte.pdf")
        assert response.status_code == 422
        assert "dépasse de son cadre" in response.get_data(as_text=True)
    assert calls == ["posture-partir-des-besoins"]


# -- /commun/sources.zip: only regular, validated files inside the content folder ------------


def test_sources_zip_follows_no_link_and_skips_invalid_files(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(WEB_CONTENT, content)
    secret = tmp_path / "instance-secret_key"
    secret.write_text("SECRET-KEY-VALUE", encoding="utf-8")
    (content / "fiches" / "a.md").symlink_to(secret)
    (content / "notions" / "cassee.md").write_text("---\nid: cassee\n---\nsecret draft\n", encoding="utf-8")
    (content / "README.md").unlink(missing_ok=True)
    (content / "README.md").symlink_to(secret)
    application = make_app(tmp_path, CONTENT_DIR=str(content))
    try:
        response = application.test_client().get("/commun/sources.zip")
        assert response.status_code == 200
        archive = zipfile.ZipFile(io.BytesIO(response.data))
        names = archive.namelist()
        assert not any(n.endswith(("/fiches/a.md", "/notions/cassee.md", "/README.md")) for n in names)
        assert all(b"SECRET-KEY-VALUE" not in archive.read(n) for n in names)
        kit = get_state(application).kit
        assert {n.split("/", 1)[1] for n in names} == {i.path for i in kit} | {"sources.yaml"}
    finally:
        close_app(application)


def test_the_server_starts_and_serves_with_hostile_content(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(WEB_CONTENT, content)
    (content / "sources.yaml").write_text("a: &a [*a]\n" + "b: " + "[" * 5000 + "\n", encoding="utf-8")
    bomb = "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]\n" for i in range(1, 9))
    (content / "notions" / "bombe.md").write_text(f"---\nl0: &l0 [x]\n{bomb}---\nx\n", encoding="utf-8")
    (content / "notions" / "octets.md").write_bytes(b"---\nid: octets\ntitre: \xff\xfe\n---\n")
    application = make_app(tmp_path, CONTENT_DIR=str(content))
    try:
        client = application.test_client()
        assert client.get("/").status_code == 200
        assert client.get("/commun/kit.json").status_code == 200
        errors = {str(p) for p in get_state(application).result.errors}
        assert any(e.startswith("sources.yaml:1: yaml: ") for e in errors)
        assert any(e.startswith("notions/bombe.md:3: yaml: les alias") for e in errors)
        assert "notions/octets.md:3: fichier: encodage invalide (UTF-8 attendu)" in errors
    finally:
        close_app(application)


# -- cookies, hosts, CSRF -----------------------------------------------------------------------


def _session_cookie(set_cookies: list[str]) -> str:
    found = [c for c in set_cookies if c.startswith("session=")]
    assert found, set_cookies
    return found[-1]


def test_session_cookie_is_httponly_lax_and_not_secure_over_plain_http(client: FlaskClient) -> None:
    # A page with a form: its CSRF token starts the session. On a workshop's plain-HTTP network
    # the cookie must not be Secure, or the browser would drop it and nobody could sign in.
    cookie = _session_cookie(client.get("/connexion").headers.getlist("Set-Cookie"))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_session_cookie_is_secure_over_https(app: Flask) -> None:
    client = app.test_client()
    response = client.get("/connexion", base_url="https://mallette.test")
    cookie = _session_cookie(response.headers.getlist("Set-Cookie"))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_session_cookie_is_secure_behind_an_https_proxy(tmp_path: Path) -> None:
    application = make_app(tmp_path, PROXIES=1)
    try:
        response = application.test_client().get("/connexion", headers={"X-Forwarded-Proto": "https"})
        assert "Secure" in _session_cookie(response.headers.getlist("Set-Cookie"))
    finally:
        close_app(application)


def test_secure_cookies_can_be_forced(tmp_path: Path) -> None:
    application = make_app(tmp_path, SESSION_COOKIE_SECURE=True)
    try:
        response = application.test_client().get("/connexion")
        assert "Secure" in _session_cookie(response.headers.getlist("Set-Cookie"))
    finally:
        close_app(application)


def test_environment_settings_are_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.config import from_environment

    monkeypatch.setenv("MALLETTE_TRUSTED_HOSTS", "mallette.example.org, .mes.example ")
    monkeypatch.setenv("MALLETTE_PROXIES", "1")
    monkeypatch.setenv("MALLETTE_SECURE_COOKIES", "true")
    values = from_environment()
    assert values["TRUSTED_HOSTS"] == ["mallette.example.org", ".mes.example"]
    assert values["PROXIES"] == 1 and values["SESSION_COOKIE_SECURE"] is True


def test_untrusted_host_is_refused(tmp_path: Path) -> None:
    application = make_app(tmp_path, TRUSTED_HOSTS=["mallette.test"])
    try:
        client = application.test_client()
        assert client.get("/", headers={"Host": "mallette.test"}).status_code == 200
        response = client.get("/langue/en?next=/fiches", headers={"Host": "evil.example"})
        assert response.status_code == 400
        assert "evil.example" not in response.headers.get("Location", "")
    finally:
        close_app(application)


def test_csrf_tokens_last_a_workshop_day_not_forever(client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    import itsdangerous.timed

    token = csrf_token(client, "/connexion")
    data = {"email": "personne@example.org", "password": "mauvais mot de passe", "csrf_token": token}
    start = time.time()

    class Later:
        offset = 0.0

        @classmethod
        def time(cls) -> float:
            return start + cls.offset

    monkeypatch.setattr(itsdangerous.timed, "time", Later)
    Later.offset = CSRF_TIME_LIMIT - 600  # the end of a long day: still valid (wrong password: 422)
    assert client.post("/connexion", data=data).status_code == 422
    Later.offset = CSRF_TIME_LIMIT + 600  # the next morning: expired
    response = client.post("/connexion", data=data)
    assert response.status_code == 400 and "expiré" in response.get_data(as_text=True)
    assert 8 * 3600 <= CSRF_TIME_LIMIT <= 24 * 3600


# -- territory names, links in Markdown ------------------------------------------------------


@pytest.mark.parametrize("name", ["\u202eSNAREsuoC", "Cous\u200berans", "Cous\x07erans", "Ari\u2066ège"])
def test_territory_names_refuse_control_and_bidi_characters(name: str) -> None:
    with pytest.raises(ValueError, match="caractère invisible ou de contrôle"):
        KitOptions(territory=name)


def test_territory_names_are_nfc() -> None:
    assert KitOptions(territory="Arie\u0300ge  Pyre\u0301ne\u0301es").territory == "Ariège Pyrénées"


def test_build_kit_cli_refuses_a_spoofed_name(runner) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(args=["build-kit", "--territory", "\u202eSNAREsuoC", "--out", "/nonexistent"])
    assert result.exit_code == 2 and "caractère invisible" in result.output


def test_web_kit_form_accepts_a_decomposed_name(app: Flask) -> None:
    from app.web.downloads import KitForm

    with app.test_request_context("/telecharger", method="POST", data={"territory": "Arie\u0300ge"}):
        form = KitForm(meta={"csrf": False})
        form.validate()
        assert form.territory.data == "Ariège" and not form.territory.errors


@pytest.mark.parametrize("link", ["//evil.example/x", " //evil.example", "\\\\evil.example", "/\\evil.example",
                                  "\t//evil.example"])
def test_scheme_relative_links_are_dropped(link: str) -> None:
    assert "evil.example" not in str(sanitize(f'<a href="{link}">x</a>'))
    assert "evil.example" not in str(render_markdown("[x](//evil.example/x) [y](<//evil.example>)"))
    assert re.search(r'href="/r/ok"', str(render_markdown("[x](/r/ok)")))
