"""The web layer: extensions, blueprints, template helpers. Thin: domain logic lives elsewhere."""

from __future__ import annotations

from flask import Flask, request
from flask_babel import Babel
from flask_htmx import HTMX
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
htmx = HTMX()
babel = Babel()


def select_locale() -> str:
    """Language from the `lang` cookie, else the browser, else French."""
    from flask import current_app

    languages: list[str] = current_app.config["LANGUAGES"]
    chosen = request.cookies.get("lang")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def init_web(app: Flask) -> None:
    """Register extensions and blueprints on the app."""
    csrf.init_app(app)
    htmx.init_app(app)
    babel.init_app(app, locale_selector=select_locale)

    from .kit_pages import bp as kit_bp

    app.register_blueprint(kit_bp)
