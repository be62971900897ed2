"""When the database cannot be reached or cannot write: a readable 503, then recovery by itself.

A PostgreSQL server restarting, a network cut, a SQLite file on a full or read-only disk: the
request gets a 503 page saying plainly whether anything was saved (nothing was: the transaction
rolled back), with `Retry-After`. Nothing needs restarting afterwards: the engine's pool drops
dead connections (those idle for a while are pinged first, `db._ping_when_idle`) and the next
request opens new ones.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, g, request
from flask_babel import gettext as _
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from .errors import error_response

log = logging.getLogger(__name__)
RETRY_AFTER = 5
#: Words of SQLite's and PostgreSQL's messages that mean the disk refused the write.
DISK_WORDS = ("readonly", "read-only", "read only", "disk", "full", "no space")


def _message(error: Exception) -> str:
    writing = request.method not in ("GET", "HEAD", "OPTIONS")
    if any(word in str(error).lower() for word in DISK_WORDS):
        return _("Rien n'a été enregistré : le disque du serveur est plein ou en lecture seule. "
                 "Gardez ce que vous avez tapé et prévenez la personne qui anime.")
    if writing:
        return _("Rien n'a été enregistré : la base de données ne répond pas. Gardez ce que vous avez "
                 "tapé et réessayez dans quelques secondes.")
    return _("La base de données ne répond pas pour l'instant : réessayez dans quelques secondes.")


def database_unavailable(error: Exception) -> Response:
    """503 with a readable page (a plain-text one if even the page cannot be drawn)."""
    log.error("database unavailable: %s", str(error).splitlines()[0][:300])
    from .auth import login_manager

    g._login_user = login_manager.anonymous_user()  # drawing the page must not ask the database again
    message = _message(error)
    try:
        response = error_response(503, message, retry_after=RETRY_AFTER)
    except Exception:  # noqa: BLE001 - the page needs something else that is down: say it plainly
        response = Response(message, status=503, mimetype="text/plain")
        response.headers["Retry-After"] = str(RETRY_AFTER)
    response.headers["Cache-Control"] = "no-store"
    return response


def init_unavailable(app: Flask) -> None:
    """Answer 503 for database outages and refused writes."""
    for exception in (OperationalError, InterfaceError, PoolTimeout):
        app.register_error_handler(exception, database_unavailable)
