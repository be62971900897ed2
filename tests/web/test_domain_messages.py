"""The domain refusals' messages, gathered in one module: each part's table and fallback."""

from __future__ import annotations

from flask import Flask
from french_ui import NBSP, fr

from app.facilitation.errors import DomainError
from app.web import after_common, live_updates
from app.web.domain_messages import (
    ACCOMPANIMENT_MESSAGES,
    ACCOUNT_MESSAGES,
    AFTER_MESSAGES,
    LIVE_MESSAGES,
    accompaniment_message,
    account_message,
    after_message,
    live_refusal,
)


def test_each_part_words_its_refusals_and_falls_back(app: Flask) -> None:
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        assert accompaniment_message(DomainError("minutes-range", maximum=240)) == \
            fr("Indiquez une durée en minutes, de 1 à 240.")
        assert accompaniment_message(DomainError("no-such-code")) == fr("Cette opération n'a pas pu être faite.")
        # the same code reads differently on an account; unknown account codes as for accompaniments
        assert account_message(DomainError("name-length")).startswith("Indiquez votre nom")
        assert accompaniment_message(DomainError("name-length")).startswith("Indiquez un nom")
        assert account_message(DomainError("dates-order")) == "La date de fin précède la date de début."
        assert after_message(DomainError("text-too-long", field="initiative", length=9, limit=5)).startswith(
            f"Regard sur l’initiative de coopération retenue est trop long{NBSP}: 9 caractères")
        assert after_message(DomainError("nope")) == fr("Cette action n'a pas pu être faite.")
        assert live_refusal("vote-limit", limit=3).startswith("Vous avez utilisé vos 3 votes")
        assert live_refusal("note-too-long") == "La note est trop longue ( caractères au plus)."  # as before
        assert live_refusal("nope") == "Action impossible."
        # the modules the views import them from hand out the same functions
        assert after_common.message is after_message and live_updates.refusal is live_refusal
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert live_refusal("session-closed") == "The session is closed."
    for table in (ACCOMPANIMENT_MESSAGES, ACCOUNT_MESSAGES, AFTER_MESSAGES, LIVE_MESSAGES):
        assert table and all(code == code.lower() and " " not in code for code in table)
