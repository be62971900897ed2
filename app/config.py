"""Configuration defaults and environment overrides."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: Environment variable -> config key.
ENVIRONMENT = {
    "DATABASE_URL": "DATABASE_URL",
    "SECRET_KEY": "SECRET_KEY",
    "MALLETTE_BASE_URL": "BASE_URL",
    "MALLETTE_CONTENT_DIR": "CONTENT_DIR",
    "MALLETTE_BUILD_DIR": "BUILD_DIR",
    "MALLETTE_PRINT_CACHE_MB": "PRINT_CACHE_MB",
    "MALLETTE_BUILDS_MB": "BUILDS_MB",
    "REDIS_URL": "REDIS_URL",
    "MALLETTE_TRUSTED_HOSTS": "TRUSTED_HOSTS",
    "MALLETTE_PROXIES": "PROXIES",
    "MALLETTE_SECURE_COOKIES": "SESSION_COOKIE_SECURE",
    "MALLETTE_LEGAL_PUBLISHER": "LEGAL_PUBLISHER",
    "MALLETTE_LEGAL_HOST": "LEGAL_HOST",
}
#: Environment values that are not plain strings: config key -> parser.
PARSERS: dict[str, Any] = {
    "TRUSTED_HOSTS": lambda text: [h.strip() for h in text.split(",") if h.strip()] or None,
    "PROXIES": int,
    "SESSION_COOKIE_SECURE": lambda text: text.strip().lower() in ("1", "true", "yes", "on"),
}
#: How long a form's CSRF token stays valid: a whole workshop day (seconds).
CSRF_TIME_LIMIT = 14 * 3600


def defaults(instance_path: Path) -> dict[str, Any]:
    """The embedded defaults: a SQLite file and builds under the instance folder."""
    return {
        "DATABASE_URL": f"sqlite:///{instance_path / 'mallette.sqlite3'}",
        "CONTENT_DIR": str(PROJECT_ROOT / "kit_content"),
        "CARDS_DIR": str(PROJECT_ROOT / "cards"),
        "PRINT_DIR": str(PROJECT_ROOT / "print"),
        "BUILD_DIR": str(instance_path / "builds"),
        #: Size budget of the print cache (BUILD_DIR/.print-cache), in MiB.
        "PRINT_CACHE_MB": 512,
        #: Disk budget of finished kit builds (BUILD_DIR/<key>/), in MiB; the prebuilt kit always stays.
        "BUILDS_MB": 2048,
        #: Builds that may wait or run at once; past it a request is turned away (429).
        "MAX_QUEUED_BUILDS": 20,
        "BASE_URL": "http://127.0.0.1:5000",
        "AUTO_INDEX": True,
        #: How often (seconds) a web worker looks whether the content was indexed anew elsewhere.
        "CONTENT_CHECK_SECONDS": 2.0,
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "WTF_CSRF_TIME_LIMIT": CSRF_TIME_LIMIT,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_HTTPONLY": True,
        #: A phone's session cookie (its participant tokens, kept 31 days from joining) is not signed
        #: and sent again with every answer: a room of phones polling would pay for it on each poll.
        "SESSION_REFRESH_EACH_REQUEST": False,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        #: Host names the app answers to (None: any, e.g. a laptop reached by its LAN address).
        "TRUSTED_HOSTS": None,
        #: Reverse proxies in front of the app whose X-Forwarded-* headers are trusted.
        "PROXIES": 0,
        "BABEL_DEFAULT_LOCALE": "fr",
        "LANGUAGES": ["fr", "en"],
    }


def from_environment() -> dict[str, Any]:
    """Config values set through environment variables."""
    values = {key: os.environ[var] for var, key in ENVIRONMENT.items() if os.environ.get(var)}
    return {key: PARSERS[key](value) if key in PARSERS else value for key, value in values.items()}


def instance_secret_key(instance_path: Path) -> str:
    """A secret key kept in the instance folder, created on first use.

    Hosted deployments set SECRET_KEY in the environment so that every worker shares it.
    """
    path = instance_path / "secret_key"
    if path.is_file():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    try:
        with path.open("x") as handle:
            handle.write(key)
    except FileExistsError:
        return path.read_text().strip()
    path.chmod(0o600)
    return key


def beside_database(database_url: str, instance: Path, kind: str) -> Path:
    """A SQLite file of its own for `kind` (the job queue, the rate limits): beside a SQLite
    database (`x.sqlite3` -> `x.<kind>.sqlite3`), else `<kind>.sqlite3` in the instance folder."""
    if database_url.startswith("sqlite:///"):
        path = Path(database_url.split("///", 1)[1])
        if path.name and str(path) != ":memory:":
            return path.with_name(f"{path.stem}.{kind}.sqlite3")
    return instance / f"{kind}.sqlite3"
