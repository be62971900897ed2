"""After a successful form: go to a page, as a 303 for plain forms or an `HX-Redirect` for htmx.

An htmx request that followed a 303 would swap the whole next page into the form's region; asking
htmx to navigate instead gives the same result with and without JavaScript.
"""

from __future__ import annotations

from flask import Response, redirect, request
from werkzeug.wrappers import Response as BaseResponse


def go(target: str) -> Response | BaseResponse:
    """Navigate to `target` (a local URL) after a successful POST."""
    if request.headers.get("HX-Request") == "true":
        response = Response("", status=200)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, code=303)
