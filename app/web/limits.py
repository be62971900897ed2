"""Rate limits (Flask-Limiter), counted in one place for every worker.

On a laptop the counters live in a SQLite file beside the database, which every gunicorn worker of
the machine shares (`limit_storage.py`); hosted, `REDIS_URL` makes every worker of every machine
share them. Limits are declared on the views that
need them (sign-in, join codes, public forms); nothing is limited by default.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, request
from flask_limiter import Limiter


def client_address() -> str:
    """The client's address as the app sees it (behind a proxy, configure ProxyFix)."""
    return request.remote_addr or "unknown"


limiter = Limiter(key_func=client_address, default_limits=[], headers_enabled=True)


def init_limits(app: Flask) -> None:
    """Point the limiter at Redis when `REDIS_URL` is set, else at a SQLite file every worker of
    this machine shares (`limit_storage.py`); tests count in process memory unless they say."""
    from . import limit_storage  # registers the storage scheme with `limits`

    redis_url = app.config.get("REDIS_URL")
    if redis_url:
        default = redis_url
    elif app.testing:
        default = "memory://"
    else:
        default = limit_storage.storage_uri(Path(app.config.get("LIMITS_FILE") or limit_storage.default_limits_file(
            str(app.config["DATABASE_URL"]), Path(app.instance_path))))
    app.config.setdefault("RATELIMIT_STORAGE_URI", default)
    # A storage that fails (a full disk, a broken file) lets the request through and logs it,
    # rather than answering 500.
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    app.config.setdefault("RATELIMIT_ENABLED", True)
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter.init_app(app)
    _check_only_declared_limits(app)


def _check_only_declared_limits(app: Flask) -> None:
    """Drop Flask-Limiter's before-request check, which serves default, application and meta limits.

    Mallette declares none of those: every limit sits on its view (`@limiter.limit`), and such a view
    checks its limits itself when it is called. The before-request hook would only resolve an empty
    list of limits on every request, which cost about a sixth of a cached page's time.
    """
    manager = limiter.limit_manager
    if manager._default_limits or manager._application_limits or manager._blueprint_limits or limiter._meta_limits:
        return  # global, blueprint or meta limits are declared: keep the hook that enforces them
    hooks = app.before_request_funcs.get(None, [])
    app.before_request_funcs[None] = [hook for hook in hooks if hook != limiter._check_request_limit]
