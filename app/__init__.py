"""Mallette: the MES pedagogical kit — content, printing and facilitation web app."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from . import config as config_module
from .db import make_engine, upgrade
from .state import ContentCache, MalletteState, sync_content

__version__ = "0.1.0"
#: Entries kept per namespace of the app's content cache.
CACHE_SIZES = {"page": 1024, "rendered": 2048, "search-hit": 1024, "search-filters": 256, "card-pdf": 32, "commons": 4}


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Application factory: configuration, database, content index, extensions and blueprints."""
    app = Flask(__name__, instance_relative_config=True, static_folder="web/static",
                template_folder="web/templates")
    from .web.ids import install_id_converter

    install_id_converter(app.url_map)  # ids beyond 64 bits match no route (404), never a 500
    instance = Path(app.instance_path)
    app.config.from_mapping(config_module.defaults(instance))
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(config_module.from_environment())
    if test_config:
        app.config.update(test_config)
    if not app.config.get("JOB_QUEUE_FILE"):
        from .jobs import default_queue_file

        app.config["JOB_QUEUE_FILE"] = str(default_queue_file(str(app.config["DATABASE_URL"]), instance))
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = config_module.instance_secret_key(instance)
    logging.basicConfig(level=logging.INFO if not app.testing else logging.WARNING)

    engine = make_engine(app.config["DATABASE_URL"])
    upgrade(engine)
    content_dir = Path(app.config["CONTENT_DIR"])
    if app.config["AUTO_INDEX"]:
        result = sync_content(engine, content_dir)
    else:
        from .kit import load_kit

        result = load_kit(content_dir)
    app.extensions["mallette"] = MalletteState(
        engine=engine, content_dir=content_dir, result=result, cards_dir=Path(app.config["CARDS_DIR"]),
        check_every=float(app.config["CONTENT_CHECK_SECONDS"]), auto_index=bool(app.config["AUTO_INDEX"]),
        cache=ContentCache(CACHE_SIZES),
    )

    from .web import init_web

    init_web(app)

    from .cli import register_commands

    register_commands(app)
    return app


def get_state(app: Flask | None = None) -> MalletteState:
    """The shared state of the current (or given) app."""
    state: MalletteState = (app or current_app).extensions["mallette"]
    return state
