"""Stored XSS, hx-* injection and the strict CSP: every page is inert, whatever people typed.

Each field a person can type gets its own payload (an attribute breakout, an `<img onerror>`, an
`hx-get` that would make htmx fetch a URL, a template expression). Then every GET route is
visited as the facilitator, the phone and a stranger, full page and htmx fragment: no page holds
an element built from a payload, and each payload shows up as escaped text somewhere (so the test
is not passing on pages that simply dropped it). The same walk checks every HTML answer carries
the strict CSP and needs no inline script or style (`html_audit.csp_problems`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser

from factools import form_token
from flask import Flask
from flask.testing import FlaskClient
from html_audit import csp_problems
from sec_world import World, join, live_world, post_note, route_urls

from app.web import CSP


def payload(n: int) -> str:
    """A short payload (it must fit an 80-character name) numbered `n`."""
    return f'"><img src=x onerror=alert({n}) hx-get=/pirate{n}>{{{{7*{n}}}}}'


def _accompaniment(world: World, n: int) -> None:
    client = world.facilitator
    token = form_token(client, "/accompagnements")
    answer = client.post("/accompagnements", data={
        "csrf_token": token, "territory": payload(n), "asking_name": payload(n + 1), "title": payload(n + 2),
        "summary": payload(n + 3)})
    assert answer.status_code == 303, answer.get_data(as_text=True)[:400]
    world.extra["new_accompaniment_id"] = int(answer.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def _person(world: World, n: int) -> None:
    url = f"/accompagnements/{world.plan.accompaniment_id}"
    token = form_token(world.facilitator, url)
    answer = world.facilitator.post(f"{url}/personnes", data={"csrf_token": token, "name": payload(n),
                                                              "role": "visiteur"})
    assert answer.status_code == 303, answer.get_data(as_text=True)[:400]


def _step(world: World, n: int) -> None:
    meeting, step = world.plan.meeting_id, world.plan.step_ids[0]  # the current step: its instructions show
    token = form_token(world.facilitator, f"/seances/{meeting}/preparer")
    answer = world.facilitator.post(f"/seances/{meeting}/etapes/{step}/modifier", data={
        "csrf_token": token, "title": payload(n), "minutes": "30", "instructions": payload(n + 1)})
    assert answer.status_code == 303, answer.get_data(as_text=True)[:400]


def _participant(world: World, n: int) -> None:
    phone = join(world.app, world.code, payload(n))
    post_note(phone, world.plan.meeting_uuid, payload(n + 1))


#: (what a person types, how, how many payloads it uses)
FIELDS: list[tuple[str, Callable[[World, int], None], int]] = [
    ("accompaniment: territory, asking community, title, summary", _accompaniment, 4),
    ("person taking part: name", _person, 1),
    ("agenda step: title and instructions", _step, 2),
    ("participant: name and note", _participant, 2),
]


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.bad: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name.startswith("hx-") and "pirate" in (value or ""):
                self.bad.append(f"<{tag} {name}={value}>")
            if name == "onerror" or (tag == "img" and value == "x"):
                self.bad.append(f"<{tag} {name}={value}>")


def _injected(html: str) -> list[str]:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser.bad + csp_problems(html)


def test_typed_text_is_inert_on_every_page(app: Flask) -> None:
    world = live_world(app)
    n = 1
    for _label, inject, used in FIELDS:
        inject(world, n)
        n += used
    created = world.extra.pop("new_accompaniment_id")
    clients: dict[str, FlaskClient] = {"facilitator": world.facilitator, "phone": world.phone,
                                       "stranger": app.test_client()}
    problems: list[str] = []
    shown: set[int] = set()
    templated: set[int] = set()
    visited: set[str] = set()
    ok_html = 0
    for values in (world.values, dict(world.values, accompaniment_id=created)):
        for _endpoint, url in route_urls(app, values):
            for who, client in clients.items():
                for headers in ({}, {"HX-Request": "true"}):
                    response = client.get(url, headers=headers)
                    assert response.status_code < 500, f"{who} {url}"
                    visited.add(url)
                    if response.mimetype != "text/html":
                        continue
                    assert response.headers.get("Content-Security-Policy") == CSP, url
                    ok_html += response.status_code == 200
                    html = response.get_data(as_text=True)
                    problems.extend(f"{who} {url}: {p}" for p in _injected(html))
                    templated.update(int(m) for m in re.findall(r"\{\{7\*(\d+)\}\}", html))  # kept as typed
                    shown.update(int(m) for m in re.findall(r"onerror=alert\((\d+)\)", html))
    assert problems == []
    assert shown == set(range(1, n)), f"payloads never shown: {set(range(1, n)) - shown}"
    assert templated == shown  # template syntax is shown as typed, never evaluated
    # The walk reached real pages, not only error pages: the kit, the console, the phone.
    assert ok_html >= 60
    for expected in (f"/seances/{world.plan.meeting_id}/animer", f"/p/{world.plan.meeting_uuid}", "/recherche"):
        assert expected in visited
