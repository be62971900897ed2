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
    """True if a string, or any string inside lists and dicts (keys too), holds a forbidden character
    (walked without recursion: a body nested thousands deep is read like a flat one)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if FORBIDDEN.search(item) is not None:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


#: What `_request_problem` finds wrong with a request.
CONTROL_CHARACTER, UNREADABLE_JSON = "control-character", "unreadable-json"


def _request_problem() -> str | None:
    if FORBIDDEN.search(request.path):
        return CONTROL_CHARACTER
    for key, value in request.args.items(multi=True):
        if FORBIDDEN.search(key) or FORBIDDEN.search(value):
            return CONTROL_CHARACTER
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            for key, value in request.form.items(multi=True):
                if FORBIDDEN.search(key) or FORBIDDEN.search(value):
                    return CONTROL_CHARACTER
            if any(FORBIDDEN.search(f.filename or "") for f in request.files.values()):
                return CONTROL_CHARACTER
        elif request.is_json:
            try:
                body = request.get_json(silent=True)
            except RecursionError:  # nested deeper than the JSON parser goes
                return UNREADABLE_JSON
            if has_control_characters(body):
                return CONTROL_CHARACTER
    return None


def refuse_control_characters() -> Response | None:
    """before_request: 400 when the request carries a control character, or a JSON body too deeply
    nested to read."""
    problem = _request_problem()
    if problem == CONTROL_CHARACTER:
        return error_response(400, _("Caractère de contrôle non accepté (par exemple un caractère nul) : "
                                     "retirez-le et réessayez."))
    if problem == UNREADABLE_JSON:
        return error_response(400, _("Requête illisible : son contenu JSON est imbriqué trop profondément."))
    return None


def init_input_guard(app: Flask) -> None:
    """Run the check before every view."""
    app.before_request(refuse_control_characters)
