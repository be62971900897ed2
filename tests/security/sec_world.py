"""A live session with a signed-in facilitator, a joined phone and a note: the objects every route needs.

Built through the real forms (start the session, join by code, post a note) so that the security
tests see what a browser would.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from factools import create_user, form_token, sign_in
from flask import Flask
from flask.testing import FlaskClient
from live_factory import DIMENSIONS, PlannedSession, planned_session
from sqlmodel import select

from app.db import read_session
from app.models import Meeting, Note

FACILITATOR = "anim@example.org"


@dataclass
class World:
    """What `live_world` made."""

    app: Flask
    plan: PlannedSession
    code: str
    facilitator: FlaskClient
    phone: FlaskClient
    note_id: int
    #: Values added by a test (an object it created), merged into `values`.
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def values(self) -> dict[str, object]:
        """Values for the URL arguments of the routes that exist (by argument name)."""
        return {
            "meeting_id": self.plan.meeting_id,
            "meeting_uuid": self.plan.meeting_uuid,
            "accompaniment_id": self.plan.accompaniment_id,
            "community_id": self.plan.asking_id,
            "note_id": self.note_id,
            "step_id": self.plan.step_ids[0],
            "code": self.code,
            "item_id": "posture-partir-des-besoins",
            "lang": "en",
            "key": "0" * 64,
            "name": "mallette.zip",
            **self.extra,
        }


def engine_of(app: Flask):  # type: ignore[no-untyped-def]
    """The app's database engine."""
    return app.extensions["mallette"].engine


def join(app: Flask, code: str, name: str) -> FlaskClient:
    """A phone that joined the session by its code under `name`."""
    phone = app.test_client()
    page = phone.get(f"/rejoindre/{code}").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token, page[:300]
    answer = phone.post(f"/rejoindre/{code}", data={"csrf_token": token.group(1), "name": name,
                                                    "role": "habitant", "community": ""})
    assert answer.status_code == 303, answer.get_data(as_text=True)[:500]
    return phone


def post_note(phone: FlaskClient, meeting_uuid: str, text: str) -> int:
    """Post a note from a phone; return its id."""
    html = phone.get(f"/p/{meeting_uuid}").get_data(as_text=True)
    key = re.search(r'name="key"[^>]*value="([^"]+)"', html)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert key and csrf, html[:500]
    answer = phone.post(f"/p/{meeting_uuid}/notes", data={"key": key.group(1), "csrf_token": csrf.group(1),
                                                          "dimension": DIMENSIONS[0], "text": text})
    assert answer.status_code == 303, answer.get_data(as_text=True)[:500]
    with phone.application.app_context(), read_session(engine_of(phone.application)) as db:
        return db.exec(select(Note.id).where(Note.client_key == key.group(1))).one() or 0


def live_world(app: Flask, *, participant_name: str = "Alice", note_text: str = "Mutualiser un local",
               title: str = "Visite apprenante à Riom", email: str = FACILITATOR) -> World:
    """A started session (facilitator signed in, member), one phone joined, one note posted."""
    create_user(app, email, role="facilitator")
    facilitator = app.test_client()
    assert sign_in(facilitator, email).status_code == 303
    user_id = _user_id(app, email)
    plan = planned_session(engine_of(app), member_id=user_id, title=title)
    console = f"/seances/{plan.meeting_id}/animer"
    token = form_token(facilitator, console)
    assert facilitator.post(f"{console}/demarrer", data={"csrf_token": token}).status_code == 303
    with read_session(engine_of(app)) as db:
        meeting = db.get(Meeting, plan.meeting_id)
        assert meeting is not None and meeting.join_code
        code = meeting.join_code
    phone = join(app, code, participant_name)
    note_id = post_note(phone, plan.meeting_uuid, note_text)
    return World(app, plan, code, facilitator, phone, note_id)


def _user_id(app: Flask, email: str) -> int:
    from app.models import User

    with read_session(engine_of(app)) as db:
        return db.exec(select(User.id).where(User.email == email)).one() or 0


def fill_arguments(rule, values: dict[str, object]) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """URL arguments for `rule`: from `values` by name, else 1 for integers, else a placeholder."""
    from werkzeug.routing import IntegerConverter

    filled: dict[str, object] = {}
    for argument in rule.arguments:
        if argument in values:
            filled[argument] = values[argument]
        elif isinstance(rule._converters.get(argument), IntegerConverter) or argument.endswith("_id"):
            filled[argument] = 1
        elif argument.endswith("uuid"):
            filled[argument] = values["meeting_uuid"]
        else:
            filled[argument] = "x"
    return filled


def route_urls(app: Flask, values: dict[str, object], method: str = "GET") -> list[tuple[str, str]]:
    """(endpoint, URL) of every route answering `method` (static files aside), arguments filled."""
    from flask import url_for

    found = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if method not in (rule.methods or ()) or rule.endpoint == "static":
                continue
            found.append((rule.endpoint, url_for(rule.endpoint, **fill_arguments(rule, values))))
    return sorted(set(found))
