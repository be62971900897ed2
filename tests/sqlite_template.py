"""Migrated (and indexed) SQLite files made once per test session and copied for each app.

Creating an app migrates its database and indexes its content; doing it once per content folder and
copying the resulting file keeps the many app fixtures cheap. A copy is an ordinary database: an app
that finds other content on disk re-indexes it as in production.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from app.db import make_engine, upgrade
from app.state import sync_content

_templates: dict[str, Path] = {}
_root: list[Path] = []


def _folder() -> Path:
    if not _root:
        root = Path(tempfile.mkdtemp(prefix="mallette-test-db-"))
        atexit.register(shutil.rmtree, root, True)
        _root.append(root)
    return _root[0]


def template(content_dir: Path | None = None) -> Path:
    """The session's SQLite file migrated to the head (and with `content_dir` indexed, if given)."""
    key = str(Path(content_dir).resolve()) if content_dir is not None else ""
    found = _templates.get(key)
    if found is not None:
        return found
    path = _folder() / f"template-{len(_templates)}.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    if content_dir is not None:
        sync_content(engine, Path(content_dir))
    with engine.connect() as connection:  # everything into the main file, so one file is the database
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    _templates[key] = path
    return path


def sqlite_copy(target: Path, content_dir: Path | None = None) -> str:
    """A database URL for `target`, a copy of the template (kept as is when it exists already)."""
    target = Path(target)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template(content_dir), target)
    return f"sqlite:///{target}"
