"""Numbers a client makes up: ids past 64 bits, digits that are not ASCII, JSON nested too deep.

Each used to be a 500 (SQLite's `OverflowError`, `int("²")`, the JSON parser's `RecursionError`);
each is now a plain 4xx, and nothing is stored.
"""

from __future__ import annotations

from factools import create_user, form_token, sign_in
from flask import Flask
from sec_world import World, live_world
from test_sec_requests import _phone_form, _rows
from werkzeug.routing import IntegerConverter

from app.web.ids import MAX_ID, parse_id

#: Past a signed 64-bit column.
HUGE = str(2**64)
#: Digits to `str.isdigit()`, not to `int()`.
SUPERSCRIPT = "²"


def test_parse_id_takes_ascii_digits_that_fit_a_column() -> None:
    assert parse_id("0") == 0 and parse_id("42") == 42 and parse_id("9" * 18) == int("9" * 18)
    for bad in (None, "", SUPERSCRIPT, "٣", HUGE, "9" * 19, "-1", " 1", "1_0", "+1", "1.0", "0x1"):
        assert parse_id(bad) is None, bad
    assert int("9" * 18) < MAX_ID


def _huge_id_urls(world: World, method: str, huge_id: int = 2**64) -> list[str]:
    """Every route answering `method` with each integer argument set to `huge_id`."""
    from flask import url_for

    urls = []
    with world.app.test_request_context():
        for rule in world.app.url_map.iter_rules():
            converters = rule._converters
            huge = [name for name in rule.arguments if isinstance(converters.get(name), IntegerConverter)]
            if method not in (rule.methods or ()) or not huge:
                continue
            arguments = {name: world.values.get(name, "x") for name in rule.arguments}
            arguments.update(dict.fromkeys(huge, huge_id))
            urls.append(url_for(rule.endpoint, **arguments))
    return sorted(set(urls))


def test_ids_past_64_bits_match_no_route(app: Flask) -> None:
    world = live_world(app)
    token = form_token(world.facilitator, f"/seances/{world.plan.meeting_id}/animer")
    before = _rows(app)
    gets, posts = _huge_id_urls(world, "GET"), _huge_id_urls(world, "POST")
    assert len(gets) >= 15 and len(posts) >= 25
    answers = [(url, client.get(url).status_code) for url in gets for client in (world.facilitator, world.phone)]
    answers += [(url, world.facilitator.post(url, data={"csrf_token": token}).status_code) for url in posts]
    assert [(url, status) for url, status in answers if status != 404] == []
    # Just past MAX_ID (19 digits, as many as MAX_ID has): no route either.
    just_past = [world.facilitator.open(url, method=method, data={"csrf_token": token}).status_code
                 for method in ("GET", "POST") for url in _huge_id_urls(world, method, MAX_ID + 1)]
    assert set(just_past) <= {404, 405}
    assert _rows(app) == before


def test_made_up_numbers_in_forms_and_queries_are_refused_or_ignored(app: Flask) -> None:
    world = live_world(app)
    coordinator = app.test_client()
    create_user(app, "coord@example.org", role="coordinator")
    assert sign_in(coordinator, "coord@example.org").status_code == 303
    meeting, uuid, accompaniment = world.plan.meeting_id, world.plan.meeting_uuid, world.plan.accompaniment_id
    console = f"/seances/{meeting}/animer"
    facilitator_token = form_token(world.facilitator, console)
    coordinator_token = form_token(coordinator, "/admin/comptes")
    phone = _phone_form(world)
    before = _rows(app)
    cases: list[tuple[str, object, str, str, dict[str, str]]] = []
    for number in (SUPERSCRIPT, HUGE):
        cases += [
            ("phone poll version", world.phone, "GET", f"/p/{uuid}/live?v={number}&e={number}", {}),
            ("console poll version", world.facilitator, "GET", f"{console}/live?v={number}&e={number}", {}),
            ("vote", world.phone, "POST", f"/p/{uuid}/votes", {"csrf_token": phone["csrf_token"], "note": number}),
            ("take a vote back", world.phone, "POST", f"/p/{uuid}/votes",
             {"csrf_token": phone["csrf_token"], "retirer": number}),
            ("moderate", world.facilitator, "POST", f"{console}/moderer",
             {"csrf_token": facilitator_token, "hide": number}),
            ("go to a step", world.facilitator, "POST", f"{console}/etape",
             {"csrf_token": facilitator_token, "step": number, "seen": number}),
            ("move notes", world.facilitator, "POST", f"/seances/{meeting}/bilan/deplacer",
             {"csrf_token": facilitator_token, "note_ids": f"{world.note_id},{number}"}),
            ("add a step", world.facilitator, "POST", f"/seances/{meeting}/etapes",
             {"csrf_token": facilitator_token, "half_day_id": number, "title": "Pause", "minutes": "10"}),
            ("half-day PDF", world.facilitator, "POST", f"/seances/{meeting}/pdf",
             {"csrf_token": facilitator_token, "half_day_id": number}),
            ("add a person", world.facilitator, "POST", f"/accompagnements/{accompaniment}/personnes",
             {"csrf_token": facilitator_token, "name": "Léa", "role": "habitant", "community_id": number}),
            ("pair", world.facilitator, "POST", f"/accompagnements/{accompaniment}/binome",
             {"csrf_token": facilitator_token, "offering_name": "Lieu commun", "version": number}),
            ("save the synthesis", world.facilitator, "POST", f"/seances/{meeting}/synthese",
             {"csrf_token": facilitator_token, "base_version": number}),
            ("compare applications", coordinator, "GET", f"/admin/candidatures?comparer={number}", {}),
            ("invite to an accompaniment", coordinator, "POST", "/admin/invitations",
             {"csrf_token": coordinator_token, "accompaniment_id": number, "email": "x@example.org"}),
            ("add a facilitator", coordinator, "POST", f"/accompagnements/{accompaniment}/animateurs",
             {"csrf_token": coordinator_token, "user_id": number}),
        ]
    failures = []
    for label, client, method, url, data in cases:
        response = client.open(url, method=method, data=data)  # type: ignore[attr-defined]
        if response.status_code >= 500:
            failures.append(f"{label} {url}: HTTP {response.status_code}")
    assert failures == [], failures
    assert _rows(app) == before


def test_json_nested_too_deep_is_a_400_before_any_route(app: Flask) -> None:
    client = app.test_client()
    token = form_token(client, "/connexion")  # a real route's CSRF check passes: the guard answers
    for path, headers in (("/nulle-part", {}), ("/connexion", {"X-CSRFToken": token})):
        response = client.post(path, data="[" * 100_000, content_type="application/json", headers=headers)
        assert response.status_code == 400, path
        assert "imbriqué trop profondément" in response.get_data(as_text=True), path
    flat = client.post("/nulle-part", data='{"a": ["\\u0000"]}', content_type="application/json")
    assert flat.status_code == 400 and "Caractère de contrôle" in flat.get_data(as_text=True)
