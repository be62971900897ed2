"""Visitors' reports ("signaler une erreur"): validated, stored once, listed for coordinators.

The web form (`app/web/trust.py`) carries an idempotency key generated when it was served: a
retried or doubled submission stores nothing more. Problems are codes (field -> code); the web layer
words them. Text is kept as typed (NFC, trimmed), never interpreted: templates escape it.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass

from sqlmodel import Session, select

from .clock import Clock
from .db import insert_once
from .models import VisitorReport

KINDS = ("contenu", "accessibilite", "technique", "autre")
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
MIN_MESSAGE = 10
MAX_MESSAGE = 4000
MAX_PAGE = 300
MAX_EMAIL = 254
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def new_key() -> str:
    """The idempotency key a freshly served form carries."""
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class Report:
    """What the form sends."""

    kind: str
    message: str
    page: str = ""
    email: str = ""
    language: str = "fr"


def _text(value: str) -> str:
    return unicodedata.normalize("NFC", value or "").strip()


def problems(report: Report) -> dict[str, str]:
    """Every problem of a report: field -> code (`required`, `too-short`, `too-long`, `invalid`)."""
    found: dict[str, str] = {}
    if report.kind not in KINDS:
        found["kind"] = "required"
    message = _text(report.message)
    if not message:
        found["message"] = "required"
    elif len(message) < MIN_MESSAGE:
        found["message"] = "too-short"
    elif len(message) > MAX_MESSAGE:
        found["message"] = "too-long"
    elif _CONTROL.search(message.replace("\t", " ")):
        found["message"] = "invalid"
    page = _text(report.page)
    if len(page) > MAX_PAGE:
        found["page"] = "too-long"
    elif _CONTROL.search(page):
        found["page"] = "invalid"
    email = _text(report.email)
    if len(email) > MAX_EMAIL:
        found["email"] = "too-long"
    elif email and not _EMAIL.fullmatch(email):
        found["email"] = "email-invalid"
    return found


class InvalidReport(ValueError):
    """The report has problems (field -> code); nothing was stored."""

    def __init__(self, found: dict[str, str]) -> None:
        super().__init__(", ".join(f"{k}: {v}" for k, v in found.items()))
        self.problems = found


def submit(session: Session, clock: Clock, key: str, report: Report) -> tuple[VisitorReport, bool]:
    """Store a report once per key; (the report, True if this call stored it). Raises `InvalidReport`."""
    if not KEY_PATTERN.match(key or ""):
        raise InvalidReport({"form": "expired"})
    found = problems(report)
    if found:
        raise InvalidReport(found)
    values = {
        "idempotency_key": key, "kind": report.kind, "page": _text(report.page), "message": _text(report.message),
        "email": _text(report.email), "language": (report.language or "fr")[:8], "created_at": clock.now(),
    }
    inserted = insert_once(session, VisitorReport, values, conflict=["idempotency_key"])
    stored = session.exec(select(VisitorReport).where(VisitorReport.idempotency_key == key)).one()
    return stored, inserted


def latest(session: Session, limit: int = 200) -> list[VisitorReport]:
    """The most recent reports first."""
    statement = select(VisitorReport).order_by(VisitorReport.created_at.desc(),  # type: ignore[attr-defined]
                                               VisitorReport.id.desc()).limit(limit)  # type: ignore[union-attr]
    return list(session.exec(statement).all())
