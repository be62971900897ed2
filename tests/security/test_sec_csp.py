"""The CSP stays strict as pages arrive: no page, fragment or template needs 'unsafe-inline'.

Every GET route registered on the app is visited (URL arguments filled from a live session),
anonymously, as the signed-in facilitator and from a participant's phone, as a full page and as an
htmx fragment; every HTML answer is audited. The templates are audited too, for pages a visit
does not reach.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from html_audit import csp_problems
from sec_world import live_world

from app.web import CSP

TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "web" / "templates"


def _fill(rule, values: dict[str, object]) -> dict[str, object]:  # type: ignore[no-untyped-def]
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


def test_the_policy_itself_is_strict() -> None:
    assert "unsafe-inline" not in CSP and "unsafe-eval" not in CSP
    assert "default-src 'self'" in CSP and "object-src 'none'" in CSP and "frame-ancestors 'none'" in CSP


def test_every_get_route_answers_html_that_a_strict_csp_allows(app: Flask) -> None:
    world = live_world(app)
    anonymous = app.test_client()
    clients = {"anonymous": anonymous, "facilitator": world.facilitator, "phone": world.phone}
    visited: list[str] = []
    problems: list[str] = []
    ok_html = 0
    with app.test_request_context():
        from flask import url_for

        urls = []
        for rule in app.url_map.iter_rules():
            if "GET" not in (rule.methods or ()) or rule.endpoint == "static":
                continue
            urls.append(url_for(rule.endpoint, **_fill(rule, world.values)))
    for url in sorted(set(urls)):
        for who, client in clients.items():
            for headers in ({}, {"HX-Request": "true"}):
                response = client.get(url, headers=headers)
                visited.append(url)
                if response.status_code >= 500:
                    problems.append(f"{who} {url}: HTTP {response.status_code}")
                if response.mimetype != "text/html":
                    continue
                assert response.headers.get("Content-Security-Policy") == CSP, url
                if response.status_code == 200:
                    ok_html += 1
                problems.extend(f"{who} {url} {headers}: {p}" for p in csp_problems(response.get_data(as_text=True)))
    assert problems == []
    # The walk reached real pages, not only error pages: the kit, the console, the phone.
    assert ok_html >= 30
    for expected in (f"/seances/{world.plan.meeting_id}/animer", f"/p/{world.plan.meeting_uuid}", "/recherche"):
        assert expected in visited


def test_templates_hold_no_inline_script_style_or_handler() -> None:
    problems = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        problems.extend(f"{template.relative_to(TEMPLATES)}: {p}" for p in csp_problems(template.read_text()))
    assert problems == []


def test_the_audit_finds_what_it_looks_for() -> None:
    html = ('<script>alert(1)</script><style>p{}</style><p style="color:red" onclick="x()">'
            '<a href=" javascript:alert(1)">x</a><script type="application/json">{}</script>'
            '<script src="/static/a.js"></script>')
    assert csp_problems(html) == ["inline <script> without src", "<style> element", "style= attribute on <p>",
                                  "event handler onclick= on <p>", "href=javascript: on <a>"]
