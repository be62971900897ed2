"""Trust and finish: accessibility statement, legal notice, the "signaler une erreur" form and its reports."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from factools import form_token
from flask import Flask
from flask.testing import FlaskClient
from french_ui import fr
from sqlmodel import select
from webtools import HTMX, close_app, make_app

from app.db import read_session
from app.models import VisitorReport

REDIS_URL = "redis://127.0.0.1:6379/4"


def _form(client: FlaskClient, **values: str) -> dict[str, str]:
    page = client.get("/signaler").get_data(as_text=True)
    key = re.search(r'name="key" value="([^"]+)"', page)
    assert key
    data = {"csrf_token": form_token(client, "/signaler"), "key": key.group(1), "kind": "contenu",
            "page": "/r/structure-apes", "message": "Le budget de l'APES est celui de 2021, pas de 2023.",
            "email": ""}
    data.update(values)
    return data


def _reports(app: Flask) -> list[VisitorReport]:
    with read_session(app.extensions["mallette"].engine) as db:
        rows = list(db.exec(select(VisitorReport)).all())
        for row in rows:
            db.expunge(row)
    return rows


def test_accessibility_statement_and_legal_notice(client: FlaskClient) -> None:
    page = client.get("/accessibilite").get_data(as_text=True)
    assert "conformité partielle" in page and "RGAA" in page and "4.1" in page
    assert "1 décembre 2026" in page  # the audit date, in words
    assert "Ce qui a été vérifié" in page and fr("lecteur d'écran") in page
    assert 'href="/signaler?sujet=accessibilite"' in page
    legal = client.get("/mentions-legales").get_data(as_text=True)
    assert "Éditeur" in legal and "Hébergement" in legal and 'href="/signaler"' in legal
    home = client.get("/").get_data(as_text=True)
    for link in ("/accessibilite", "/mentions-legales", "/signaler"):
        assert f'href="{link}"' in home  # in every page's footer


def test_a_report_is_stored_once_and_acknowledged(app: Flask, client: FlaskClient) -> None:
    data = _form(client)
    first = client.post("/signaler", data=data)
    assert first.status_code == 303 and first.headers["Location"] == "/signaler/merci"
    assert "votre message est bien arrivé" in client.get("/signaler/merci").get_data(as_text=True)
    again = client.post("/signaler", data=data)  # a retry, a double click
    assert again.status_code == 303
    reports = _reports(app)
    assert [(r.kind, r.page, r.message) for r in reports] == [
        ("contenu", "/r/structure-apes", "Le budget de l'APES est celui de 2021, pas de 2023.")]


def test_a_resource_page_links_to_the_form_with_its_address(client: FlaskClient) -> None:
    page = client.get("/r/structure-apes").get_data(as_text=True)
    assert 'href="/signaler?page=/r/structure-apes"' in page
    form = client.get("/signaler?page=/r/structure-apes&sujet=accessibilite").get_data(as_text=True)
    assert 'value="/r/structure-apes"' in form
    assert re.search(r'id="f-kind-accessibilite" name="kind" value="accessibilite" checked', form)


@pytest.mark.parametrize("headers", [{}, HTMX])
def test_a_bad_report_comes_back_with_what_was_typed(app: Flask, client: FlaskClient, headers: dict[str, str]) -> None:
    data = _form(client, message="court", email="pas-une-adresse", page="/r/x")
    response = client.post("/signaler", data=data, headers=headers)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert ("<html" in page) is (headers == {})
    assert ">court</textarea>" in page and 'value="pas-une-adresse"' in page and 'value="/r/x"' in page
    assert "Décrivez le problème en une phrase" in page
    assert fr("Cette adresse e-mail n'est pas valide.") in page
    assert page.count('aria-invalid="true"') == 2
    assert f'name="key" value="{data["key"]}"' in page  # the same key: a corrected retry is still one report
    assert _reports(app) == []


def test_an_expired_form_and_control_characters_are_refused(app: Flask, client: FlaskClient) -> None:
    assert client.post("/signaler", data=_form(client, key="x")).status_code == 422
    assert client.post("/signaler", data=_form(client, message="Texte\u202e inversé dans la page")).status_code == 422
    assert client.post("/signaler", data={"message": "Sans jeton CSRF, refusé."}).status_code == 400
    assert _reports(app) == []


def test_reports_are_for_coordinators_and_shown_inert(app: Flask, client: FlaskClient, make_user: Any,
                                                        login: Any) -> None:
    client.post("/signaler", data=_form(client, message="<script>alert(1)</script> dans la fiche",
                                        email="camille@example.org"))
    assert client.get("/signalements").status_code == 302  # to the sign-in page
    make_user("anim@example.org")
    make_user("coord@example.org", role="coordinator")
    facilitator = app.test_client()
    login(facilitator, "anim@example.org")
    assert facilitator.get("/signalements").status_code == 403
    coord = app.test_client()
    login(coord, "coord@example.org")
    page = coord.get("/signalements").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; dans la fiche" in page and "<script>alert" not in page
    assert "camille@example.org" in page and "Une erreur dans le contenu de la mallette" in page


def test_the_reports_command_prints_them(app: Flask, client: FlaskClient) -> None:
    runner = app.test_cli_runner()
    assert "Aucun signalement." in runner.invoke(args=["reports"]).output
    client.post("/signaler", data=_form(client))
    result = runner.invoke(args=["reports"])
    assert result.exit_code == 0
    assert "contenu · /r/structure-apes" in result.output and "Le budget de l'APES" in result.output


def test_reports_are_rate_limited(client: FlaskClient) -> None:
    statuses = [client.post("/signaler", data=_form(client, message=f"Erreur numéro {n} dans la page")).status_code
                for n in range(6)]
    assert statuses == [303] * 5 + [429]


def test_the_limit_holds_across_workers_with_redis(tmp_path: Path) -> None:
    import redis  # a dependency of the app (Huey, Flask-Limiter on Redis)

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis server on 127.0.0.1:6379")
    prefix = f"test-{uuid.uuid4().hex}"
    apps = [make_app(tmp_path / name, REDIS_URL=REDIS_URL, RATELIMIT_KEY_PREFIX=prefix) for name in ("a", "b")]
    try:
        statuses = []
        for n in range(6):  # alternate between two "workers" (two apps, two databases)
            client = apps[n % 2].test_client()
            statuses.append(client.post("/signaler", data=_form(client, message=f"Erreur {n} sur la page")).status_code)
        assert statuses == [303] * 5 + [429]
    finally:
        for application in apps:
            close_app(application)
        keys = redis.Redis.from_url(REDIS_URL).keys(f"{prefix}*")
        if keys:
            redis.Redis.from_url(REDIS_URL).delete(*keys)


def test_the_form_starts_on_a_content_error(client: FlaskClient) -> None:
    page = client.get("/signaler").get_data(as_text=True)
    assert re.search(r'id="f-kind-contenu" name="kind" value="contenu" checked', page)
