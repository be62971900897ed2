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
    "REDIS_URL": "REDIS_URL",
}


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
        "BASE_URL": "http://localhost:5000",
        "AUTO_INDEX": True,
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "fr",
        "LANGUAGES": ["fr", "en"],
    }


def from_environment() -> dict[str, Any]:
    """Config values set through environment variables."""
    return {key: os.environ[var] for var, key in ENVIRONMENT.items() if os.environ.get(var)}


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
