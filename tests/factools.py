"""Helpers for facilitation tests: accounts, signing in, CSRF tokens of real forms."""

from __future__ import annotations

import functools
import re
from unittest import mock

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app.clock import SYSTEM_CLOCK
from app.db import write_session
from app.facilitation import accounts
from app.facilitation.enums import UserRole
from app.models import User

TEST_PASSWORD = "correct horse battery"


@functools.cache
def hashed_test_password() -> str:
    """The app's scrypt hash of TEST_PASSWORD, computed once per test process."""
    return accounts.hash_password(TEST_PASSWORD)


def create_user(app: Flask, email: str, *, role: str = "facilitator", name: str = "Camille") -> User:
    """Create an account directly in the database; returns the detached row.

    The accounts share one scrypt hash of TEST_PASSWORD (a tenth of a second each otherwise); signing
    in still checks the password against it. Hashing itself is tested in test_fac_accounts.
    """
    hashed = hashed_test_password()
    with write_session(app.extensions["mallette"].engine) as db, \
            mock.patch.object(accounts, "hash_password", lambda _password: hashed):
        user = accounts.create_user(db, SYSTEM_CLOCK, email=email, display_name=name,
                                    password=TEST_PASSWORD, role=UserRole(role))
        db.expunge(user)
    return user


def form_token(client: FlaskClient, path: str) -> str:
    """The CSRF token of the form on the page at `path` (tests post forms as a browser would)."""
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'<meta name="csrf-token" content="([^"]+)"', page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client: FlaskClient, email: str, password: str = TEST_PASSWORD) -> TestResponse:
    """Sign in through the real form, CSRF token included."""
    token = form_token(client, "/connexion")
    return client.post("/connexion", data={"email": email, "password": password, "csrf_token": token})
