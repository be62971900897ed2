"""The CSP stays strict as pages arrive: no page, fragment or template needs 'unsafe-inline'.

Every GET route registered on the app is visited by `test_sec_xss.py` (URL arguments filled from a
live session full of hostile text), anonymously, as the signed-in facilitator and from a
participant's phone, as a full page and as an htmx fragment, and every HTML answer is audited with
`csp_problems`. Here: the policy itself, every template (for pages a visit does not reach), and
the audit's own check.
"""

from __future__ import annotations

from pathlib import Path

from html_audit import csp_problems

from app.web import CSP

TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "web" / "templates"


def test_the_policy_itself_is_strict() -> None:
    assert "unsafe-inline" not in CSP and "unsafe-eval" not in CSP
    assert "default-src 'self'" in CSP and "object-src 'none'" in CSP and "frame-ancestors 'none'" in CSP


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
