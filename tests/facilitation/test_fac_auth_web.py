"""Signing in and out through the pages, and `mallette create-user`."""

from __future__ import annotations

from factools import TEST_PASSWORD, form_token, sign_in
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from app.db import read_session
from app.models import LoginSession, User


def test_sign_in_then_sign_out_kills_a_copied_cookie(app: Flask, client: FlaskClient, make_user, login) -> None:  # type: ignore[no-untyped-def]
    make_user("anim@example.org")
    login(client, "anim@example.org")
    page = client.get("/").get_data(as_text=True)
    assert "Se déconnecter" in page
    copied = client.get_cookie("session")
    assert copied is not None
    token = form_token(client, "/deconnexion")
    response = client.post("/deconnexion", data={"csrf_token": token})
    assert response.status_code == 303
    with read_session(app.extensions["mallette"].engine) as db:
        assert db.exec(select(LoginSession)).all() == []
    # A second browser that kept a copy of the signed-in cookie is signed out too.
    thief = app.test_client()
    thief.set_cookie("session", copied.value)
    assert "Se déconnecter" not in thief.get("/").get_data(as_text=True)


def test_wrong_password_keeps_the_email_and_says_why(client: FlaskClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("anim@example.org")
    response = sign_in(client, "anim@example.org", "not the password")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Adresse e-mail ou mot de passe incorrect." in page
    assert 'value="anim@example.org"' in page


def test_sign_in_without_csrf_token_is_refused(client: FlaskClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("anim@example.org")
    response = client.post("/connexion", data={"email": "anim@example.org", "password": TEST_PASSWORD})
    assert response.status_code == 400
    assert "Se déconnecter" not in client.get("/").get_data(as_text=True)


def test_next_goes_back_to_a_local_page_only(client: FlaskClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("anim@example.org")
    token = form_token(client, "/connexion")
    response = client.post("/connexion", data={"email": "anim@example.org", "password": TEST_PASSWORD,
                                               "csrf_token": token, "next": "https://evil.example/"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_sign_in_attempts_are_rate_limited(client: FlaskClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("anim@example.org")
    statuses = [sign_in(client, "anim@example.org", "wrong password!").status_code for _ in range(12)]
    assert statuses[:10] == [422] * 10
    assert statuses[-1] == 429


def test_create_user_command(app: Flask, runner) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(args=["create-user", "Coord@Example.org", "--role", "coordinator", "--password-stdin"],
                           input="a long enough secret\n")
    assert result.exit_code == 0, result.output
    with read_session(app.extensions["mallette"].engine) as db:
        user = db.exec(select(User)).one()
    assert (user.email, user.role) == ("coord@example.org", "coordinator")
    again = runner.invoke(args=["create-user", "coord@example.org", "--password-stdin"], input="another secret!\n")
    assert again.exit_code == 1
    assert "déjà un compte" in again.output
    short = runner.invoke(args=["create-user", "x@example.org", "--password-stdin"], input="short\n")
    assert short.exit_code == 1
