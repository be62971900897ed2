"""Backups and restores: a drill on SQLite and PostgreSQL, refusals of damaged files, the commands."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from app.backup import BackupError, backup, manifest_path, restore, verify
from app.clock import SYSTEM_CLOCK
from app.db import make_engine, write_session
from app.facilitation import accounts
from app.facilitation.enums import UserRole
from app.models import Community, Territory


def _people(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        users = connection.execute(text('SELECT email FROM "user" ORDER BY email')).scalars().all()
        communities = connection.execute(text("SELECT name FROM community ORDER BY name")).scalars().all()
    return [*users, *communities]


def _fill(engine: Engine) -> None:
    with write_session(engine) as db:
        for email in ("anim@example.org", "coord@example.org"):
            accounts.create_user(db, SYSTEM_CLOCK, email=email, display_name="Camille",
                                 password="correct horse battery", role=UserRole.FACILITATOR)
        territory = Territory(name="Couserans")
        db.add(territory)
        db.flush()
        db.add(Community(name="Collectif des Combrailles", territory_id=territory.id))
        db.add(Community(name="Pôle ESS du Pays de Riom « l'Écluse »"))


def test_restore_drill(database_url: str, tmp_path: Path) -> None:
    """Back up, lose data, restore: everything is back and the counts match the manifest."""
    if not database_url.startswith("sqlite") and shutil.which("pg_dump") is None:
        pytest.skip("PostgreSQL client (pg_dump) not installed")  # `mallette backup` says so too
    engine = make_engine(database_url)
    try:
        _fill(engine)
        before = _people(engine)
        report = backup(database_url, tmp_path / "sauvegarde.bak")
        assert report.manifest["tables"]["user"] == 2 and report.manifest["tables"]["community"] == 2
        assert report.manifest["revision"] and report.rows >= 5
        assert verify(report.path)["sha256"] == report.manifest["sha256"]

        with write_session(engine) as db:  # an accident: rows deleted, others added
            db.execute(text("DELETE FROM community"))
            accounts.create_user(db, SYSTEM_CLOCK, email="intrus@example.org", display_name="X",
                                 password="correct horse battery", role=UserRole.FACILITATOR)
        assert _people(engine) != before
        engine.dispose()

        restored = restore(database_url, report.path)
        assert restored.rows == report.rows
        assert _people(engine) == before
        with write_session(engine) as db:  # the restored database takes writes again
            db.add(Community(name="Après restauration"))
    finally:
        engine.dispose()


def test_backup_never_overwrites(database_url: str, tmp_path: Path) -> None:
    target = tmp_path / "deja.bak"
    target.write_bytes(b"old")
    with pytest.raises(BackupError, match="existe déjà"):
        backup(database_url, target)
    assert target.read_bytes() == b"old"


def _sqlite_backup(tmp_path: Path) -> tuple[str, Path]:
    from sqlite_template import sqlite_copy

    url = sqlite_copy(tmp_path / "live.sqlite3")
    engine = make_engine(url)
    _fill(engine)
    engine.dispose()
    return url, backup(url, tmp_path / "copie.sqlite3").path


def test_damaged_or_foreign_backups_are_refused_before_anything_changes(tmp_path: Path) -> None:
    url, path = _sqlite_backup(tmp_path)
    live = make_engine(url)
    before = _people(live)
    live.dispose()

    truncated = tmp_path / "tronquee.sqlite3"
    truncated.write_bytes(path.read_bytes()[:4096])
    shutil.copy(manifest_path(path), manifest_path(truncated))
    with pytest.raises(BackupError, match="ne correspond pas à son manifeste"):
        restore(url, truncated)

    lonely = tmp_path / "sans-manifeste.sqlite3"
    shutil.copy(path, lonely)
    with pytest.raises(BackupError, match="manifeste introuvable"):
        restore(url, lonely)

    lying = tmp_path / "menteuse.sqlite3"
    shutil.copy(path, lying)
    manifest = json.loads(manifest_path(path).read_text())
    manifest["tables"]["user"] = 99
    manifest_path(lying).write_text(json.dumps(manifest))
    with pytest.raises(BackupError, match="lignes ne correspondent pas"):
        restore(url, lying)

    with pytest.raises(BackupError, match="vient d'une base sqlite"):
        restore("postgresql://nobody@127.0.0.1:1/none", path)

    live = make_engine(url)
    assert _people(live) == before  # untouched
    live.dispose()


def test_backup_and_restore_commands(app, runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    engine = app.extensions["mallette"].engine
    _fill(engine)
    before = _people(engine)
    folder = tmp_path / "sauvegardes"
    folder.mkdir()
    result = runner.invoke(args=["backup", "--out", str(folder)])
    assert result.exit_code == 0, result.output
    assert "Sauvegarde vérifiée" in result.output
    [path] = sorted(folder.glob("mallette-*.sqlite3"))
    assert manifest_path(path).is_file()

    with write_session(engine) as db:
        db.execute(text("DELETE FROM community"))
    refused = runner.invoke(args=["restore", str(path)], input="n\n")
    assert refused.exit_code != 0 and len(_people(engine)) == 2
    result = runner.invoke(args=["restore", str(path), "--yes"])
    assert result.exit_code == 0, result.output
    assert "lignes vérifiées" in result.output
    assert _people(engine) == before

    missing = runner.invoke(args=["restore", str(tmp_path / "absente.sqlite3"), "--yes"])
    assert missing.exit_code == 1 and "sauvegarde introuvable" in missing.output
