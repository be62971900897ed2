"""Error pages: readable messages as full pages, or as fragments in the htmx region that asked."""

from __future__ import annotations

import logging

from flask import Flask, Response
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

from .rendering import render

log = logging.getLogger(__name__)

TITLES = {
    400: _l("Requête incorrecte"),
    403: _l("Accès refusé"),
    404: _l("Page introuvable"),
    405: _l("Méthode non autorisée"),
    413: _l("Envoi trop volumineux"),
    422: _l("Données non valides"),
    429: _l("Trop de demandes"),
    500: _l("Erreur du serveur"),
    503: _l("Service momentanément indisponible"),
}
MESSAGES = {
    400: _l("La requête n'a pas pu être comprise."),
    403: _l("Vous n'avez pas accès à cette page."),
    404: _l("Cette page n'existe pas, ou plus. Cherchez dans la mallette :"),
    405: _l("Cette adresse ne s'utilise pas ainsi."),
    413: _l("Ce que vous avez envoyé est trop volumineux."),
    422: _l("Les données envoyées ne sont pas valides : corrigez-les et réessayez."),
    429: _l("Trop de demandes en ce moment : réessayez dans une minute."),
    500: _l("Une erreur inattendue s'est produite. Elle a été notée ; réessayez plus tard."),
    503: _l("Le service ne répond pas pour l'instant : réessayez dans quelques secondes."),
}
CSRF_MESSAGE = _l("Le formulaire a expiré : rechargez la page, puis réessayez.")


def error_response(code: int, message: str | None = None, *, retry_after: int | None = None) -> Response:
    """An error page (or fragment) with a readable message."""
    status = code if code in TITLES else 500
    response = render(
        "errors/error.html",
        "errors/_error.html",
        status=code,
        code=code,
        title=str(TITLES.get(status, TITLES[500])),
        message=message or str(MESSAGES.get(status, MESSAGES[500])),
        show_search=code == 404,
    )
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def register_error_handlers(app: Flask) -> None:
    """Render HTTP errors and unexpected exceptions as pages, never as stack traces."""

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> Response:
        return error_response(400, str(CSRF_MESSAGE))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response | HTTPException:
        if error.code is None or error.code < 400:
            return error
        if error.response is not None:  # answered already (e.g. a rate limit's `on_breach` response)
            return error.response  # type: ignore[return-value]
        if isinstance(error, SecurityError):  # a Host outside TRUSTED_HOSTS: no URL can be built
            return Response(str(MESSAGES[400]), status=400, mimetype="text/plain")
        response = error_response(error.code, retry_after=60 if error.code == 429 else None)
        allowed = getattr(error, "valid_methods", None)
        if error.code == 405 and allowed:
            response.headers["Allow"] = ", ".join(allowed)
        return response

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError) -> Response:
        original = getattr(error, "original_exception", None)
        if original is not None:
            log.error("unhandled error", exc_info=original)
        return error_response(500)
