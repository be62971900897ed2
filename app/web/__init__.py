"""The web layer: extensions, blueprints, template helpers. Thin: domain logic lives elsewhere.

- `kit_pages`: home, lists by type, resource pages `/r/<id>` (the QR targets), search, licence.
- `downloads` + `builds`: the territory kit form, background builds (`kit_build` table), files.
- `commons`: the Markdown sources (ZIP) and the kit as JSON.
- `rendering`: `render()` picks the full page or the htmx fragment; `cached_page` keeps pages.
- `errors`: readable error pages and fragments; `printing_api`: the bridge to `app.printing`.

Everything the pages load is served by the app (htmx and fonts are vendored in `static/`); the
interface is translated with Flask-Babel (`translations/`, compiled with
`pybabel compile -d app/web/translations`): English by hand, French generated from the strings with
French typography and plurals (`french_catalogue`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, redirect, request, url_for
from flask_babel import Babel, format_decimal, get_locale
from flask_babel import gettext as _
from flask_htmx import HTMX
from flask_wtf.csrf import CSRFProtect
from markupsafe import Markup
from werkzeug.wrappers import Response as BaseResponse

csrf = CSRFProtect()
htmx = HTMX()
babel = Babel()

TRANSLATIONS_DIR = Path(__file__).parent / "translations"
LANGUAGE_NAMES = {"fr": "Français", "en": "English"}
#: Content-Security-Policy of every response: nothing is loaded from anywhere but the app.
CSP = (
    "default-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; "
    "object-src 'none'"
)
LANG_COOKIE_AGE = 365 * 24 * 3600


def select_locale() -> str:
    """Language from the `lang` cookie, else the browser, else French."""
    languages: list[str] = current_app.config["LANGUAGES"]
    chosen = request.cookies.get("lang")
    if chosen in languages:
        return str(chosen)
    return str(request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"])


def safe_next(target: str | None) -> str:
    """A local path to go back to after a form (never another site)."""
    if not target:
        return "/"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):  # line breaks and other controls
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    if "\\" in target:
        return "/"
    return target


def set_language(lang: str) -> BaseResponse:
    """Remember the chosen interface language in the `lang` cookie, then go back.

    A plain link (GET): choosing a language changes nothing but a preference, so pages without
    forms need no session and no CSRF token (a visitor who scans a QR code gets no cookie).
    """
    response = redirect(safe_next(request.args.get("next")), code=303)
    if lang in current_app.config["LANGUAGES"]:
        response.set_cookie("lang", lang, max_age=LANG_COOKIE_AGE, samesite="Lax",
                            secure=request.is_secure, httponly=True)
    return response


SECURITY_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
)


def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers.extend(SECURITY_HEADERS)
    if response.mimetype == "text/html":  # pages depend on the language (cookie or browser)
        vary = headers.get("Vary")
        headers["Vary"] = f"{vary}, Cookie, Accept-Language" if vary else "Cookie, Accept-Language"
    return response


def _check_content() -> None:
    """Pick up content indexed by `mallette index` or another worker (at most every few seconds)."""
    from .. import get_state

    get_state().check()


def _template_globals() -> dict[str, Any]:
    from .. import get_state
    from ..kit.tags import tag_key
    from .labels import LIST_ENDPOINTS, duration_label, type_label

    locale = str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])
    return {
        "kit": get_state().kit,
        "locale": locale,
        "fr": Markup(' lang="fr"') if locale != "fr" else "",
        # The language came from the browser, not from a choice: say so, and offer both.
        "language_notice": locale != "fr" and request.cookies.get("lang") not in current_app.config["LANGUAGES"],
        "other_languages": [(code, LANGUAGE_NAMES.get(code, code))
                            for code in current_app.config["LANGUAGES"] if code != locale],
        "type_label": type_label,
        "tag_key": tag_key,
        "duration_label": duration_label,
        "list_endpoints": LIST_ENDPOINTS,
    }


def init_web(app: Flask) -> None:
    """Register extensions, blueprints, error pages, security headers and the language switch."""
    csrf.init_app(app)
    htmx.init_app(app)
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=str(TRANSLATIONS_DIR))
    app.config.setdefault("PREBUILD_DEFAULT_KIT", not app.testing)

    from .. import get_state
    from ..jobs import init_jobs
    from .builds import BuildService
    from .commons import bp as commons_bp
    from .downloads import bp as downloads_bp
    from .downloads import prebuild_command
    from .errors import register_error_handlers
    from .kit_pages import bp as kit_bp
    from .printing_api import install_pipeline

    install_pipeline(app)
    engine = get_state(app).engine
    app.extensions["mallette_builds"] = BuildService(
        engine,
        init_jobs(app, engine),
        build_dir=Path(app.config["BUILD_DIR"]),
        base_url=str(app.config["BASE_URL"]),
        max_queued=int(app.config.get("MAX_QUEUED_BUILDS", 20)),
    )
    from .auth import init_auth
    from .input_guard import init_input_guard
    from .limits import init_limits
    from .transport import init_transport

    init_transport(app)
    init_input_guard(app)
    init_limits(app)
    init_auth(app)
    app.register_blueprint(kit_bp)
    app.register_blueprint(commons_bp)
    app.register_blueprint(downloads_bp)
    from .console import bp as console_bp
    from .participant import bp as participant_bp

    app.register_blueprint(console_bp)  # live session: console and projection
    app.register_blueprint(participant_bp)  # live session: joining, phones
    register_facilitation_planning(app)
    from .after_common import init_after

    init_after(app)  # after the session (issue 12)
    from .trust import bp as trust_bp
    from .trust import register_trust_commands

    app.register_blueprint(trust_bp)  # accessibility, legal notice, "signaler une erreur" (issue 15)
    register_trust_commands(app)
    app.add_url_rule("/langue/<lang>", "set_language", set_language)
    app.context_processor(_template_globals)
    app.after_request(_security_headers)
    app.before_request(_check_content)
    app.cli.add_command(prebuild_command)
    register_error_handlers(app)
    from .unavailable import init_unavailable

    init_unavailable(app)

    @app.template_global()
    def current_path() -> str:
        """The current path with its query string, for the language switch."""
        path = request.full_path if request.query_string else request.path
        return safe_next(path)

    @app.template_global()
    def public_url() -> str:
        """This page's public address (MALLETTE_BASE_URL + path), for links shared elsewhere (Open Graph)."""
        return str(current_app.config["BASE_URL"]).rstrip("/") + request.path

    @app.template_global()
    def format_number(value: float) -> str:
        """A number in the interface language (thousands separators)."""
        return str(format_decimal(value))

    @app.template_global()
    def filesize(size: int) -> str:
        """A file size for people (Ko, Mo)."""
        if size >= 1024 * 1024:
            return _("%(n)s Mo", n=format_decimal(round(size / (1024 * 1024), 1)))
        return _("%(n)s Ko", n=format_decimal(max(1, round(size / 1024))))

    @app.template_global()
    def all_deck_ids() -> list[str]:
        """Ids of every deck (to rebuild a kit made of all decks)."""
        from .printing_api import load_decks

        return [deck.id for deck in load_decks()]

    @app.template_global()
    def item_url(item_id: str) -> str:
        """The resource page of an item."""
        return url_for("kit.resource", item_id=item_id)


def register_facilitation_planning(app: Flask) -> None:
    """Accompaniments, session planning, the call for expressions of interest, accounts admin (h5)."""
    from .accompaniments import bp as accompaniments_bp
    from .admin import bp as admin_bp
    from .call import bp as call_bp
    from .planning import bp as planning_bp

    for blueprint in (accompaniments_bp, planning_bp, call_bp, admin_bp):
        app.register_blueprint(blueprint)
