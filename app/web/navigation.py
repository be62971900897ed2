"""After a successful form: go to a page, as a 303 for plain forms or an `HX-Redirect` for htmx.

An htmx request that followed a 303 would swap the whole next page into the form's region; asking
htmx to navigate instead gives the same result with and without JavaScript.
"""

from __future__ import annotations

from flask import Response, redirect
from flask_htmx import make_response as htmx_response
from werkzeug.wrappers import Response as BaseResponse

from . import htmx


def go(target: str) -> Response | BaseResponse:
    """Navigate to `target` (a local URL) after a successful POST."""
    if htmx:
        return htmx_response("", 200, redirect=target)
    return redirect(target, code=303)
