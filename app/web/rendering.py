"""One place deciding between a full page and an htmx fragment."""

from __future__ import annotations

from typing import Any

from flask import Response, make_response, render_template, request


def wants_partial() -> bool:
    """True for an htmx request that swaps a region: not a boosted navigation, not a history restore."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Boosted") != "true"
        and headers.get("HX-History-Restore-Request") != "true"
    )


def render(template_full: str, template_partial: str, *, status: int = 200, **context: Any) -> Response:
    """Render the full page, or only its fragment for an htmx region request.

    Every page is also a full page at its URL; responses say they vary on `HX-Request` so that caches
    keep the two forms apart.
    """
    partial = wants_partial()
    html = render_template(template_partial if partial else template_full, partial=partial, **context)
    response = make_response(html, status)
    response.vary.add("HX-Request")
    return response
