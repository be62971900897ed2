"""Backups and restores of the database, each checked before it is trusted.

- SQLite: SQLite's online backup API copies the live database page by page (the app may keep
  serving), then `PRAGMA integrity_check` runs on the copy.
- PostgreSQL: `pg_dump --format=custom` inside a REPEATABLE READ snapshot; the row counts written
  to the manifest are read in that same snapshot, so they describe exactly what the dump holds.

Every backup gets a manifest next to it (`<file>.manifest.json`): database kind, schema revision,
row count of every table and the file's SHA-256. A restore checks the file against its manifest
first (a truncated or altered file is refused before anything is touched), restores, then counts
the rows again: the restore is reported as done only if every table matches.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from . import __version__
from .db import normalise_url

MANIFEST_SUFFIX = ".manifest.json"
FORMAT_VERSION = 1


class BackupError(RuntimeError):
    """A backup or restore that cannot be done or cannot be trusted; message in French."""


@dataclass(frozen=True)
class BackupReport:
    """What a backup or restore did: the file, its manifest and the counts it checked."""

    path: Path
    manifest: dict[str, Any]

    @property
    def rows(self) -> int:
        """Total rows over every table."""
        return sum(self.manifest["tables"].values())


def _kind(url: str) -> str:
    name = make_url(normalise_url(url)).get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise BackupError(f"base de données non prise en charge : {name}")
    return name


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("une base SQLite en mémoire ne se sauvegarde pas")
    return Path(database)


def _libpq_url(url: str) -> str:
    return make_url(normalise_url(url)).set(drivername="postgresql").render_as_string(hide_password=False)


def manifest_path(path: Path) -> Path:
    """The manifest that goes with a backup file."""
    return path.with_name(path.name + MANIFEST_SUFFIX)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# -- SQLite -----------------------------------------------------------------------------------------


def _sqlite_tables(connection: sqlite3.Connection) -> list[str]:
    rows = connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name"
    ).fetchall()
    return [row[0] for row in rows]


def _sqlite_check(path: Path) -> tuple[dict[str, int], str | None]:
    """Row counts of every table and the schema revision; BackupError unless integrity_check is ok."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        verdict = connection.execute("PRAGMA integrity_check").fetchall()
        if [tuple(row) for row in verdict] != [("ok",)]:
            problems = "; ".join(str(row[0]) for row in verdict[:5])
            raise BackupError(f"{path} : contrôle d'intégrité SQLite en échec ({problems})")
        counts = {t: int(connection.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0])
                  for t in _sqlite_tables(connection)}
        revision = None
        if "alembic_version" in counts:
            found = connection.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = found[0] if found else None
        return counts, revision
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} : fichier SQLite illisible ({exc})") from exc
    finally:
        connection.close()


def _sqlite_copy(source: Path, target: Path) -> None:
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


# -- PostgreSQL -------------------------------------------------------------------------------------


def _pg_counts(cursor: psycopg.Cursor[Any]) -> tuple[dict[str, int], str | None]:
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    tables = [row[0] for row in cursor.fetchall()]
    counts = {}
    for table in tables:
        cursor.execute(f'SELECT COUNT(*) FROM public."{table}"')
        row = cursor.fetchone()
        counts[table] = int(row[0]) if row else 0
    revision = None
    if "alembic_version" in counts:
        cursor.execute("SELECT version_num FROM public.alembic_version")
        found = cursor.fetchone()
        revision = found[0] if found else None
    return counts, revision


def _require(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        raise BackupError(f"{tool} est introuvable : installez le client PostgreSQL (paquet postgresql-client)")
    return found


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - fixed tools
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} a échoué : {done.stderr.strip()[:2000]}")


# -- backup and restore -----------------------------------------------------------------------------


def default_backup_path(url: str, folder: Path, now: datetime | None = None) -> Path:
    """`<folder>/mallette-<UTC date and time>.<sqlite3|dump>`."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    return folder / f"mallette-{stamp}.{'sqlite3' if _kind(url) == 'sqlite' else 'dump'}"


def backup(url: str, target: Path) -> BackupReport:
    """Back the database up into `target` (refuses to overwrite); write and return its manifest."""
    kind = _kind(url)
    if target.exists():
        raise BackupError(f"{target} existe déjà : choisissez un autre nom")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if kind == "sqlite":
            source = _sqlite_path(url)
            if not source.is_file():
                raise BackupError(f"base SQLite introuvable : {source}")
            _sqlite_copy(source, partial)
            counts, revision = _sqlite_check(partial)
        else:
            pg_dump = _require("pg_dump")
            libpq = _libpq_url(url)
            with psycopg.connect(libpq, autocommit=False) as connection:
                connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_export_snapshot()")
                    row = cursor.fetchone()
                    snapshot = str(row[0]) if row else ""
                    counts, revision = _pg_counts(cursor)
                    _run([pg_dump, "--format=custom", "--no-owner", "--no-privileges",
                          f"--snapshot={snapshot}", f"--file={partial}", f"--dbname={libpq}"])
                connection.rollback()
        partial.rename(target)
    finally:
        partial.unlink(missing_ok=True)
    manifest = {
        "format": FORMAT_VERSION,
        "database": kind,
        "revision": revision,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "mallette": __version__,
        "sha256": _sha256(target),
        "tables": counts,
    }
    manifest_path(target).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return BackupReport(target, manifest)


def verify(source: Path) -> dict[str, Any]:
    """Check a backup against its manifest (SHA-256; on SQLite, integrity and counts); return the manifest."""
    if not source.is_file():
        raise BackupError(f"sauvegarde introuvable : {source}")
    meta = manifest_path(source)
    if not meta.is_file():
        raise BackupError(f"manifeste introuvable : {meta} (il accompagne chaque sauvegarde)")
    try:
        manifest = json.loads(meta.read_text(encoding="utf-8"))
        expected = {str(k): int(v) for k, v in manifest["tables"].items()}
        kind, digest = str(manifest["database"]), str(manifest["sha256"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BackupError(f"{meta} : manifeste illisible ({exc})") from exc
    if _sha256(source) != digest:
        raise BackupError(f"{source} ne correspond pas à son manifeste (fichier tronqué ou modifié)")
    if kind == "sqlite":
        counts, _revision = _sqlite_check(source)
        if counts != expected:
            raise BackupError(f"{source} : les lignes ne correspondent pas au manifeste")
    return manifest


def restore(url: str, source: Path) -> BackupReport:
    """Replace the database's contents with the backup, after checking it; then check the counts."""
    kind = _kind(url)
    manifest = verify(source)
    if manifest["database"] != kind:
        raise BackupError(f"cette sauvegarde vient d'une base {manifest['database']}, pas {kind}")
    expected = {str(k): int(v) for k, v in manifest["tables"].items()}
    if kind == "sqlite":
        target = _sqlite_path(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        _sqlite_copy(source, target)
        counts, _revision = _sqlite_check(target)
    else:
        pg_restore = _require("pg_restore")
        libpq = _libpq_url(url)
        _run([pg_restore, "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
              "--exit-on-error", f"--dbname={libpq}", str(source)])
        with psycopg.connect(libpq) as connection, connection.cursor() as cursor:
            counts, _revision = _pg_counts(cursor)
    missing = {t: n for t, n in expected.items() if counts.get(t) != n}
    if missing:
        details = ", ".join(f"{t} : {counts.get(t)} au lieu de {n}" for t, n in sorted(missing.items()))
        raise BackupError(f"restauration incomplète ({details})")
    return BackupReport(source, manifest)
