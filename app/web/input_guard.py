"""Refuse control characters in what a request carries, the same way on SQLite and PostgreSQL.

PostgreSQL rejects NUL in text (a DataError, hence a 500) where SQLite stores it; other control
characters are invisible and have no place in a name, a note or a search. One check before every
view answers 400 with a readable message for any of them in the path, the query string, form
fields (names and values) or a JSON body. Tab, line feed and carriage return stay allowed (text
areas send them).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, Response, request
from flask_babel import gettext as _

from .errors import error_response

#: C0 controls but tab, LF and CR; DEL.
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def has_control_characters(value: Any) -> bool:
    """True if a string, or any string inside lists and dicts (keys too), holds a forbidden character."""
    if isinstance(value, str):
        return FORBIDDEN.search(value) is not None
    if isinstance(value, dict):
        return any(has_control_characters(k) or has_control_characters(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_control_characters(v) for v in value)
    return False


def _request_has_control_characters() -> bool:
    if FORBIDDEN.search(request.path):
        return True
    for key, value in request.args.items(multi=True):
        if FORBIDDEN.search(key) or FORBIDDEN.search(value):
            return True
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            for key, value in request.form.items(multi=True):
                if FORBIDDEN.search(key) or FORBIDDEN.search(value):
                    return True
            if any(FORBIDDEN.search(f.filename or "") for f in request.files.values()):
                return True
        elif request.is_json:
            return has_control_characters(request.get_json(silent=True))
    return False


def refuse_control_characters() -> Response | None:
    """before_request: 400 when the request carries a control character."""
    if _request_has_control_characters():
        return error_response(400, _("Caractère de contrôle non accepté (par exemple un caractère nul) : "
                                     "retirez-le et réessayez."))
    return None


def init_input_guard(app: Flask) -> None:
    """Run the check before every view."""
    app.before_request(refuse_control_characters)
