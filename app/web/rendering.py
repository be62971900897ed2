"""One place deciding between a full page and an htmx fragment, and the cache of rendered pages
(kept in the app's content cache, `MalletteState.cache`, emptied when the content changes)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Response, g, make_response, render_template, request, session
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from ..state import ContentCache
from . import htmx

#: Stands for the per-session CSRF token in cached pages; replaced on the way out.
CSRF_PLACEHOLDER = "csrf-placeholder-5b1f0c2e9a"
PAGES = "page"

F = TypeVar("F", bound=Callable[..., Any])


def _locale() -> str:
    # The selector itself rather than Flask-Babel's get_locale(), which parses a Locale object: a
    # cache hit renders nothing and needs only the language code.
    from . import select_locale

    # Whether the language was chosen (cookie) or taken from the browser changes the page (the notice).
    chosen = "chosen" if "lang" in request.cookies else "browser"
    return f"{select_locale()}:{chosen}"


def _cache() -> ContentCache:
    from .. import get_state

    return get_state().cache


def _signed_in() -> bool:
    from .auth import signed_in_user

    return signed_in_user() is not None


def wants_partial() -> bool:
    """True for an htmx request that swaps a region: not a boosted navigation, not a history restore."""
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def _respond(html: str, status: int, etag: str | None = None) -> Response:
    if CSRF_PLACEHOLDER in html:
        html = html.replace(CSRF_PLACEHOLDER, generate_csrf())
        etag = None  # a per-session page
    response = make_response(html, status)
    headers = response.headers
    headers["Vary"] = "HX-Request"
    if etag is not None and status == 200:
        # Phones that come back to a page get a 304 until the content changes.
        headers["ETag"] = f'"{etag}"'
        headers["Cache-Control"] = "no-cache"
        if "If-None-Match" in request.headers:
            response.make_conditional(request)
    return response


def _etag(key: tuple[str, ...]) -> str:
    return hashlib.sha256("\0".join(key).encode()).hexdigest()[:32]


def render(template_full: str, template_partial: str, *, status: int = 200, **context: Any) -> Response:
    """Render the full page, or only its fragment for an htmx region request.

    Every page is also a full page at its URL; responses say they vary on `HX-Request` so that caches
    keep the two forms apart. Inside a `cached_page` view, a 200 page is kept for the next requests.
    """
    partial = wants_partial()
    key = g.pop("page_cache_key", None)
    template = template_partial if partial else template_full
    if key is None or status != 200:
        return _respond(render_template(template, partial=partial, **context), status)
    html = render_template(template, partial=partial, csrf_token=lambda: CSRF_PLACEHOLDER, **context)
    etag = _etag(key)
    _cache().put(PAGES, key, (html, etag))
    return _respond(html, status, etag)


def render_fragment(template: str, *, status: int = 200, **context: Any) -> Response:
    """Render an htmx fragment with only the context it is given (no context processors).

    For the answers a busy room asks for many times a second (a phone's note post and poll, the
    live screens): their templates use only what they are passed and the environment's globals
    (`_`, `url_for`, `csrf_token`), so the page-wide context (the kit, the language switch, the
    request) is not built for them. Vary and cache headers as `render`.
    """
    from flask import current_app

    html = current_app.jinja_env.get_template(template).render(partial=True, **context)
    return _respond(html, status)


FRAGMENTS = "fragment"
#: Stands for a slot of `render_fragment_once` in the kept fragment (`.format(name)`).
SLOT_PLACEHOLDER = "slot-{}-7d3a91c4"


def render_fragment_once(template: str, *, slots: dict[str, str], **context: Any) -> Response:
    """`render_fragment` for an answer that only depends on the language and `context` (hashable
    values) once its per-response `slots` are left aside: rendered once per language and kept in
    the app's content cache, the slots' values (escaped) put in afterwards. For the answer to every
    note a busy room posts."""
    from flask import current_app
    from markupsafe import escape

    def make() -> str:
        markers = {name: SLOT_PLACEHOLDER.format(name) for name in slots}
        return current_app.jinja_env.get_template(template).render(partial=True, **context, **markers)

    key = (template, _locale(), tuple(sorted(context.items())), tuple(sorted(slots)))
    html: str = _cache().get_or_make(FRAGMENTS, key, make)
    for name, value in slots.items():
        html = html.replace(SLOT_PLACEHOLDER.format(name), str(escape(value)))
    return _respond(html, 200)


def render_kept(namespace: str, key: tuple[Any, ...], template: str,
                context: Callable[[], dict[str, Any]]) -> Markup:
    """A part of a page rendered once per language and `key`, with the page's context plus
    `context()`, and kept in the app's content cache under `namespace` (emptied when the content
    changes): for parts that depend only on the content and `key`, such as a search result."""
    from flask import render_template

    from . import select_locale

    full_key = (select_locale(), request.script_root, *key)
    return Markup(_cache().get_or_make(namespace, full_key, lambda: render_template(template, **context())))


def cached_page(*parts: Callable[[], str]) -> Callable[[F], F]:
    """Cache the rendered page of a GET view that depends only on its URL, the language and the content.

    `parts` give further strings the page depends on (e.g. the content version). The CSRF token is
    left out of the cache and put back into each response.
    """

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if _signed_in() or session.get("_flashes"):
                # The page shows the account, or a message for this visitor only (e.g. "signed
                # out"): never cached, never served from the cache.
                return view(*args, **kwargs)
            key = (
                view.__name__,
                request.script_root,
                request.full_path,
                _locale(),
                "partial" if wants_partial() else "full",
                *(part() for part in parts),
            )
            cached = _cache().get(PAGES, key)
            if cached is not None:
                return _respond(cached[0], 200, cached[1])
            g.page_cache_key = key
            try:
                return view(*args, **kwargs)
            finally:
                g.pop("page_cache_key", None)

        return cast(F, wrapper)

    return decorate
