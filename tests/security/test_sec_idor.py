"""IDOR: no route lets anyone reach an object that is not theirs, whatever its id or UUID.

Two facilitators each run a started session with a phone and a note. For every registered route
that names an object (an id or a UUID in its URL), facilitator A and A's phone ask for B's
objects, with GET and with a valid-CSRF POST: the answer is never a success and never shows B's
data, and B's rows are unchanged afterwards. Random tokens and codes find nothing either.
"""

from __future__ import annotations

import re

from factools import form_token
from flask import Flask
from sec_world import engine_of, live_world, route_urls
from sqlmodel import select

from app.db import read_session
from app.models import Meeting, Note, Participant

#: URL arguments that name an object someone owns.
OBJECT_ARGUMENTS = re.compile(r"_id$|uuid$|^number$")
#: What refusing looks like: sign in first, CSRF (never reached here), forbidden, not found,
#: wrong method, gone.
REFUSALS = {302, 303, 400, 403, 404, 405, 410}
#: Kit items are public: `/r/<item_id>` is open to everyone.
PUBLIC_ARGUMENTS = {"item_id"}
SECRET_B = "Secret de la séance B"


def _b_rows(app: Flask) -> list[tuple[object, ...]]:
    with read_session(engine_of(app)) as db:
        notes = [(n.id, n.text, n.version, n.deleted_at) for n in db.exec(select(Note)).all()]
        meetings = [(m.id, m.status, m.version, m.notes_hidden) for m in db.exec(select(Meeting)).all()]
        people = [(p.id, p.name) for p in db.exec(select(Participant)).all()]
    return [*notes, *meetings, *people]


def test_no_object_route_reaches_another_facilitators_objects(app: Flask) -> None:
    a = live_world(app)
    b = live_world(app, email="autre@example.org", title="Séance B", participant_name="Participante-B",
                   note_text=SECRET_B)
    before = _b_rows(app)
    token_a = form_token(a.facilitator, f"/seances/{a.plan.meeting_id}/animer")
    phone_token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                            a.phone.get(f"/p/{a.plan.meeting_uuid}").get_data(as_text=True))
    assert phone_token
    clients = {"facilitator A": (a.facilitator, token_a), "phone A": (a.phone, phone_token.group(1))}

    with app.test_request_context():
        object_rules = {rule.endpoint for rule in app.url_map.iter_rules()
                        if any(OBJECT_ARGUMENTS.search(arg) and arg not in PUBLIC_ARGUMENTS for arg in rule.arguments)}
    assert len(object_rules) >= 20  # the engine's object routes are there

    leaks: list[str] = []
    checked = 0
    for method in ("GET", "POST"):
        for endpoint, url in route_urls(app, b.values, method):
            if endpoint not in object_rules:
                continue
            for who, (client, csrf) in clients.items():
                data = {"csrf_token": csrf, "text": "Pirate", "name": "Pirate", "dimension": "dim-cooperation",
                        "note": str(b.note_id), "key": "pirate-key", "body": "Pirate"} if method == "POST" else None
                response = client.open(url, method=method, data=data)
                checked += 1
                body = response.get_data()
                if response.status_code not in REFUSALS:
                    leaks.append(f"{who} {method} {url}: HTTP {response.status_code} {response.mimetype}")
                if SECRET_B.encode() in body or b"Participante-B" in body:
                    leaks.append(f"{who} {method} {url}: shows B's data")
    assert leaks == []
    assert checked >= 80
    assert _b_rows(app) == before  # nothing of B's changed

    # Mixed ids: A's own session with B's note.
    mixed = [f"/p/{a.plan.meeting_uuid}/notes/{b.note_id}"]
    for url in mixed:
        assert a.phone.get(url).status_code == 404
        assert a.phone.post(url, data={"csrf_token": phone_token.group(1), "text": "Pirate"}).status_code == 404
    assert _b_rows(app) == before


def test_random_tokens_and_codes_find_nothing(app: Flask) -> None:
    live_world(app)
    stranger = app.test_client()
    for endpoint, url in route_urls(app, {"token": "A" * 43, "code": "ZZZZ2222", "key": "f" * 64,
                                          "party": "demandeuse", "meeting_uuid": "00000000-0000-4000-8000-000000000000",
                                          "item_id": "x"}):
        response = stranger.get(url)
        assert response.status_code < 500, url
        if "<token>" in str(endpoint) or endpoint.endswith(("sign_up", "reset_password", "validate")):
            assert response.status_code in REFUSALS, url
    assert stranger.get("/p/00000000-0000-4000-8000-000000000000").status_code in REFUSALS
