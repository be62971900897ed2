"""HTTPS, reverse proxies and host names: what the app trusts about how a request reached it.

- Behind a reverse proxy (`MALLETTE_PROXIES=1`), werkzeug's ProxyFix takes the client address,
  scheme and host from the proxy's `X-Forwarded-*` headers (rate limits then see real clients).
- `TRUSTED_HOSTS` (`MALLETTE_TRUSTED_HOSTS=mallette.example.org,…`): any other `Host` header is
  answered 400, so no redirect or link can be made to point elsewhere.
- The session cookie is HttpOnly and SameSite=Lax always, and Secure whenever the request came
  over HTTPS (directly or through the proxy). On a workshop's plain-HTTP local network the
  cookie is sent without Secure, so sign-in works there; `MALLETTE_SECURE_COOKIES=1` forces
  Secure (a hosted server that must never accept plain HTTP).
"""

from __future__ import annotations

from flask import Flask, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix


class HttpsAwareSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, Secure when the request is HTTPS (or when configured)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure if `SESSION_COOKIE_SECURE` says so or the current request came over HTTPS."""
        if app.config["SESSION_COOKIE_SECURE"]:
            return True
        return has_request_context() and request.is_secure


def init_transport(app: Flask) -> None:
    """Install ProxyFix when configured and the HTTPS-aware session cookie."""
    proxies = int(app.config.get("PROXIES") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies, x_prefix=proxies
        )
    app.session_interface = HttpsAwareSessionInterface()
