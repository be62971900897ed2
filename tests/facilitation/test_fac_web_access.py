"""Authorisation of every route of the accompaniment, planning, call and admin blueprints.

Table-driven over the app's URL map: each route of these blueprints is requested by a logged-out
visitor, a facilitator with no accompaniment (a stranger), and the facilitator of another
accompaniment; only the public routes may answer them, object routes answer 404, coordinator pages
403. A new route that forgets its check makes this test fail.
"""

from __future__ import annotations

from typing import Any

from factools import form_token
from flask import Flask
from flask.testing import FlaskClient

from app.clock import SYSTEM_CLOCK
from app.db import write_session
from app.facilitation import accompaniments, applications, planning
from app.facilitation.enums import MeetingKind, PersonRole
from app.models import AgendaPdf, User

BLUEPRINTS = ("accompaniments.", "planning.", "call.", "admin.")
PUBLIC = {"call.call", "admin.sign_up", "admin.reset_password"}
COORDINATOR_PAGES = {"admin.users", "admin.invite", "admin.reset_link", "admin.applications_list", "admin.choose",
                     "admin.decline"}
LISTS = {"accompaniments.index"}  # any facilitator: shows only what they may see
COORDINATOR_ACTIONS = {"accompaniments.add_facilitator", "accompaniments.remove_facilitator"}  # inside an object


def _world(app: Flask, make_user: Any) -> dict[str, int]:
    coord = make_user("coord@example.org", role="coordinator")
    member = make_user("anim@example.org")
    make_user("etranger@example.org")
    other = make_user("autre@example.org")
    with write_session(app.extensions["mallette"].engine) as db:
        kit = app.extensions["mallette"].kit
        ids: dict[str, int] = {}
        for name, user in (("a", member), ("b", other)):
            territory = accompaniments.find_or_create_territory(db, SYSTEM_CLOCK, f"Territoire {name}")
            asking = accompaniments.create_community(db, SYSTEM_CLOCK, f"Demandeuse {name}", territory=territory)
            offering = accompaniments.create_community(db, SYSTEM_CLOCK, f"Accompagnatrice {name}")
            acc = accompaniments.create_accompaniment(db, SYSTEM_CLOCK, by=db.get(User, user.id), title=name,
                                                      territory=territory, asking=asking, offering=offering)
            meeting = planning.create_meeting(db, SYSTEM_CLOCK, acc, kind=MeetingKind.LEARNING_VISIT, title="V",
                                              template=planning.template_from_activity(kit, "activite-bilan-collectif"))
            person = accompaniments.add_person(db, SYSTEM_CLOCK, acc, name="Visiteur·se 1", role=PersonRole.VISITOR)
            plan = planning.agenda(db, meeting.id)[0]  # type: ignore[arg-type]
            if name == "a":
                ids.update(accompaniment_id=acc.id, meeting_id=meeting.id, half_day_id=plan.half_day.id,  # type: ignore
                           step_id=plan.steps[0].id, person_id=person.id, user_id=member.id)  # type: ignore
        application, _ = applications.submit(db, SYSTEM_CLOCK, applications.new_idempotency_key(), applications.Answers(
            applicant_name="A", applicant_role="Élue", organisation="", email="a@example.org", territory_name="T",
            region="", demand="Une demande assez longue pour passer.",
            diagnosis={c: {"level": "oui"} for c in applications.DIAGNOSIS}))
        ids["application_id"] = application.id  # type: ignore[assignment]
        pdf = AgendaPdf(key="k" * 64, meeting_id=ids["meeting_id"], filename="ordre-du-jour.pdf")
        db.add(pdf)
        db.flush()
        ids["pdf_id"] = pdf.id  # type: ignore[assignment]
    ids["coordinator"] = coord.id  # type: ignore[assignment]
    return ids


def _routes(app: Flask) -> list[tuple[str, str, str]]:
    """(endpoint, method, rule) of every route of the blueprints, destructive ones last."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith(BLUEPRINTS):
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, rule.rule))
    return sorted(found, key=lambda r: ("retirer" in r[2] or "supprimer" in r[2], r[0], r[1]))


def _call(client: FlaskClient, app: Flask, endpoint: str, method: str, ids: dict[str, int], token: str) -> int:
    from flask import url_for

    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    values: dict[str, Any] = {arg: ids.get(arg, "jeton-inconnu") for arg in rule.arguments}
    with app.test_request_context():
        url = url_for(endpoint, **values)
    if method == "GET":
        return client.get(url).status_code
    return client.post(url, data={"csrf_token": token, "direction": "up", "minutes": "20", "title": "T",
                                  "name": "N", "role": "visiteur", "stage": "choisi",
                                  "half_day_id": ids["half_day_id"]}).status_code


def test_every_route_refuses_strangers_and_outsiders(app: Flask, make_user: Any, login: Any) -> None:
    ids = _world(app, make_user)
    routes = _routes(app)
    assert len(routes) >= 25, routes
    unclassified = []
    failures = []
    for who in ("visitor", "etranger@example.org", "autre@example.org"):
        client = app.test_client()
        if who != "visitor":
            login(client, who)
        token = form_token(client, "/appel")
        for endpoint, method, rule in routes:
            if endpoint in PUBLIC:
                continue
            status = _call(client, app, endpoint, method, ids, token)
            if who == "visitor":
                expected = {302}
            elif endpoint in LISTS:
                expected = {200, 422}
                assert "Territoire a" not in client.get(rule).get_data(as_text=True)
            elif endpoint in COORDINATOR_PAGES:
                expected = {403}
            else:
                expected = {404}
            if status not in expected:
                failures.append((who, method, rule, status))
            if not endpoint.startswith("admin.") and endpoint not in COORDINATOR_ACTIONS and "<" not in rule \
                    and endpoint not in LISTS:
                unclassified.append(rule)
    assert failures == []
    assert unclassified == []  # every non-public route is an object route or a coordinator page


def test_members_and_coordinators_reach_every_route(app: Flask, make_user: Any, login: Any) -> None:
    ids = _world(app, make_user)
    failures = []
    for who in ("coord@example.org", "anim@example.org"):  # the coordinator only reads; the member also writes
        client = app.test_client()
        login(client, who)
        token = form_token(client, "/appel")
        for endpoint, method, rule in _routes(app):
            if endpoint in PUBLIC or (who == "coord@example.org" and (method == "POST" or rule.endswith(".pdf"))):
                continue
            status = _call(client, app, endpoint, method, ids, token)
            refused = {403} if (endpoint in COORDINATOR_PAGES | COORDINATOR_ACTIONS and who == "anim@example.org") \
                else set()
            if refused and status not in refused:
                failures.append((who, method, rule, status, "should be refused"))
            if not refused and not (status < 400 or status == 422):
                failures.append((who, method, rule, status))
    assert failures == []
