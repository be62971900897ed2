"""The call for expressions of interest: volunteer territories apply; coordinators compare and choose.

A submission carries an idempotency key generated when the form was served (hidden field): the
insert is `insert_once` on it, so a retry or a double click gives back the first application and
its reference instead of a duplicate. A chosen application becomes an accompaniment at the
`chosen` stage, with the territory and its community as the asking side.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, select

from ..clock import Clock
from ..db import insert_once
from ..models import Accompaniment, CallApplication, User, new_uuid
from . import accompaniments, lifecycle
from .enums import Stage
from .errors import DomainError

#: The short self-diagnosis a territory answers (codes; the web layer gives the questions).
DIAGNOSIS = ("elus", "initiatives", "communaute", "besoin")
DIAGNOSIS_LEVELS = ("oui", "en-partie", "non")
STATUSES = ("new", "chosen", "declined")
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


def new_idempotency_key() -> str:
    """The key a freshly served form carries."""
    return secrets.token_urlsafe(24)


def _reference() -> str:
    return "AMI-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(6))


@dataclass(frozen=True)
class Answers:
    """What the form sends, already stripped of markup by the web layer (plain text, kept as typed)."""

    applicant_name: str
    applicant_role: str
    organisation: str
    email: str
    territory_name: str
    region: str
    demand: str
    diagnosis: dict[str, dict[str, str]]  # code -> {"level": ..., "comment": ...}


def _text(value: str, maximum: int) -> str:
    return unicodedata.normalize("NFC", value or "").strip()[:maximum]


def validate(answers: Answers) -> dict[str, str]:
    """Every problem of a submission: field name -> error code (empty when it is complete)."""
    problems: dict[str, str] = {}
    required = {"applicant_name": 120, "applicant_role": 160, "territory_name": 120, "email": 254}
    for name, maximum in required.items():
        value = getattr(answers, name).strip()
        if not value:
            problems[name] = "required"
        elif len(value) > maximum:
            problems[name] = "too-long"
    if "email" not in problems and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", answers.email.strip()):
        problems["email"] = "email-invalid"
    for name, maximum in {"organisation": 160, "region": 120}.items():
        if len(getattr(answers, name).strip()) > maximum:
            problems[name] = "too-long"
    demand = answers.demand.strip()
    if len(demand) < 20:
        problems["demand"] = "too-short"
    elif len(demand) > 4000:
        problems["demand"] = "too-long"
    for code in DIAGNOSIS:
        entry = answers.diagnosis.get(code, {})
        if entry.get("level") not in DIAGNOSIS_LEVELS:
            problems[f"diag_{code}"] = "required"
        elif len(entry.get("comment", "")) > 1000:
            problems[f"diag_{code}_comment"] = "too-long"
    return problems


def submit(session: Session, clock: Clock, key: str, answers: Answers) -> tuple[CallApplication, bool]:
    """Store an application once per idempotency key; (application, True if this call stored it).

    `DomainError('invalid', problems=...)` lists every problem; nothing is stored then.
    """
    if not KEY_PATTERN.match(key or ""):
        raise DomainError("key-invalid")
    problems = validate(answers)
    if problems:
        raise DomainError("invalid", problems=problems)
    diagnosis = {code: {"level": answers.diagnosis[code]["level"],
                        "comment": _text(answers.diagnosis[code].get("comment", ""), 1000)}
                 for code in DIAGNOSIS}
    values: dict[str, Any] = {
        "uuid": new_uuid(), "idempotency_key": key, "applicant_name": _text(answers.applicant_name, 120),
        "applicant_role": _text(answers.applicant_role, 160), "organisation": _text(answers.organisation, 160),
        "email": _text(answers.email, 254), "territory_name": _text(answers.territory_name, 120),
        "region": _text(answers.region, 120), "demand": _text(answers.demand, 4000), "diagnosis": diagnosis,
        "status": "new", "created_at": clock.now(),
    }
    for _attempt in range(5):  # a reference collision (1 in 10^9) just draws another
        values["reference"] = _reference()
        existing = session.exec(select(CallApplication).where(CallApplication.reference == values["reference"])).first()
        if existing is None:
            break
    inserted = insert_once(session, CallApplication, values, conflict=["idempotency_key"])
    application = session.exec(select(CallApplication).where(CallApplication.idempotency_key == key)).one()
    return application, inserted


def listing(session: Session, status: str | None = None) -> list[CallApplication]:
    """Applications, newest first (optionally only those with `status`)."""
    statement = select(CallApplication)
    if status:
        statement = statement.where(CallApplication.status == status)
    return list(session.exec(statement.order_by(CallApplication.created_at.desc(),  # type: ignore[attr-defined]
                                                CallApplication.id.desc())).all())  # type: ignore[union-attr]


def get(session: Session, application_id: int) -> CallApplication:
    """One application (`not-found` if none)."""
    application = session.get(CallApplication, application_id)
    if application is None:
        raise DomainError("not-found", what="application")
    return application


def decline(session: Session, clock: Clock, application: CallApplication, by: User) -> None:
    """Set an application aside (it can still be chosen later)."""
    if application.status == "chosen":
        raise DomainError("application-already-chosen")
    application.status = "declined"
    application.decided_by_id = by.id
    application.decided_at = clock.now()
    session.add(application)
    session.flush()


def choose(session: Session, clock: Clock, application: CallApplication, by: User) -> Accompaniment:
    """Turn an application into an accompaniment at the `chosen` stage (once: a second call refuses).

    The territory and its asking community come from the application; the offering community is
    paired later.
    """
    claimed = session.execute(
        update(CallApplication).where(CallApplication.id == application.id,  # type: ignore[arg-type]
                                      CallApplication.status != "chosen")  # type: ignore[arg-type]
        .values(status="chosen", decided_by_id=by.id, decided_at=clock.now())
    )
    if getattr(claimed, "rowcount", 0) != 1:  # chosen already, maybe by a coordinator a moment ago
        raise DomainError("application-already-chosen")
    session.refresh(application)
    territory = accompaniments.find_or_create_territory(session, clock, application.territory_name,
                                                        application.region)
    community = accompaniments.create_community(
        session, clock, application.organisation or application.territory_name, territory=territory,
        description=application.demand,
    )
    accompaniment = accompaniments.create_accompaniment(
        session, clock, by=by, title=application.territory_name, territory=territory, asking=community,
        summary=application.demand,
    )
    lifecycle.transition(session, clock, accompaniment, Stage.CHOSEN, by=by, version=accompaniment.version,
                         comment=application.reference)
    application.accompaniment_id = accompaniment.id
    session.add(application)
    session.flush()
    return accompaniment
