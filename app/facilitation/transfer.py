"""Laptop to server and back: a whole accompaniment as one versioned, checksummed JSON file.

`export_accompaniment` writes every record that hangs off an accompaniment (its communities and
territory, members, stage changes, people, sessions with their half-days and steps, participants,
notes, votes, impression notes, debrief clusters, syntheses with their versions and validations,
proposals, the call application it came from) keyed by stable UUIDs, never by the database's ids.
Accounts travel as e-mail addresses only (no password, no token): `import_document` maps members
by e-mail and reports those without an account here.

Importing is idempotent and never overwrites silently. Each database remembers, per record, the
digest of the state it last received (`TransferBase`); each file carries the exporter's own
remembered digests. A record changed on one side only since a state both sides had is taken (or
kept); a record changed on both sides is a conflict: reported field by field, both versions left
as they are. Rows that exist only on the importing side are never touched.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import Enum
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, Integer, LargeBinary, String, Text, insert, select, types, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.sql.schema import Column, Table
from sqlmodel import Session, SQLModel, col

from ..clock import Clock
from ..db import StrEnumType, upsert
from ..models import (
    Accompaniment,
    AgendaStep,
    CallApplication,
    Cluster,
    ClusterNote,
    Community,
    HalfDay,
    ImpressionNote,
    Meeting,
    Membership,
    Note,
    Participant,
    Person,
    Proposal,
    StageChange,
    Synthesis,
    SynthesisVersion,
    Territory,
    TransferBase,
    User,
    Validation,
    Vote,
)

FORMAT = "mallette-accompagnement"
FORMAT_VERSION = 1
#: Files larger than this are refused before being read (a big accompaniment is a few megabytes).
MAX_BYTES = 64 * 1024 * 1024


class TransferError(Exception):
    """A file refused as a whole (unknown format, newer version, corrupted, too big): a French message."""


@dataclass(frozen=True)
class Ref:
    """A foreign key carried as the referenced record's key (`user`: an e-mail address)."""

    column: str
    field: str
    target: str
    #: Set once every record is in (a reference to a later or the same table).
    deferred: bool = False


@dataclass(frozen=True)
class Spec:
    """How one table travels: its references, its key, what is left out or not compared."""

    model: type[SQLModel]
    refs: tuple[Ref, ...] = ()
    key_fields: tuple[str, ...] = ("uuid",)
    #: Columns never written to a file (credentials); filled with `fill` on insert.
    skip: frozenset[str] = frozenset()
    #: Columns carried and set on insert, but not compared (they change by themselves).
    volatile: frozenset[str] = frozenset()

    @property
    def table(self) -> Table:
        """The SQLAlchemy table."""
        return self.model.__table__  # type: ignore[attr-defined]

    @property
    def name(self) -> str:
        """The table's name, also its name in a file."""
        return str(self.table.name)


def _refs(*items: tuple[str, str, str] | tuple[str, str, str, bool]) -> tuple[Ref, ...]:
    return tuple(Ref(*item) for item in items)


#: Every table a file carries, parents before children.
SPECS: tuple[Spec, ...] = (
    Spec(Territory),
    Spec(Community, _refs(("territory_id", "territory", "territory"))),
    Spec(Accompaniment, _refs(("territory_id", "territory", "territory"),
                              ("asking_community_id", "asking_community", "community"),
                              ("offering_community_id", "offering_community", "community"),
                              ("created_by_id", "created_by", "user"))),
    Spec(Membership, _refs(("accompaniment_id", "accompaniment", "accompaniment"), ("user_id", "user", "user")),
         key_fields=("accompaniment", "user")),
    Spec(StageChange, _refs(("accompaniment_id", "accompaniment", "accompaniment"),
                            ("by_user_id", "by_user", "user"))),
    Spec(Person, _refs(("accompaniment_id", "accompaniment", "accompaniment"),
                       ("community_id", "community", "community"))),
    Spec(CallApplication, _refs(("accompaniment_id", "accompaniment", "accompaniment"),
                                ("decided_by_id", "decided_by", "user"))),
    Spec(Meeting, _refs(("accompaniment_id", "accompaniment", "accompaniment"),
                        ("current_step_id", "current_step", "agenda_step", True)),
         volatile=frozenset({"join_code"})),
    Spec(HalfDay, _refs(("meeting_id", "meeting", "meeting"))),
    Spec(AgendaStep, _refs(("meeting_id", "meeting", "meeting"), ("half_day_id", "half_day", "half_day"))),
    Spec(Participant, _refs(("meeting_id", "meeting", "meeting"), ("community_id", "community", "community"),
                            ("person_id", "person", "person")),
         skip=frozenset({"token_hash"}), volatile=frozenset({"last_seen_at"})),
    Spec(Note, _refs(("meeting_id", "meeting", "meeting"), ("participant_id", "participant", "participant"),
                     ("author_user_id", "author_user", "user"), ("step_id", "step", "agenda_step"),
                     ("merged_into_id", "merged_into", "note", True))),
    Spec(Vote, _refs(("meeting_id", "meeting", "meeting"), ("note_id", "note", "note"),
                     ("participant_id", "participant", "participant"))),
    Spec(ImpressionNote, _refs(("meeting_id", "meeting", "meeting"),
                               ("participant_id", "participant", "participant"))),
    Spec(Cluster, _refs(("meeting_id", "meeting", "meeting"))),
    Spec(ClusterNote, _refs(("note_id", "note", "note"), ("cluster_id", "cluster", "cluster"),
                            ("meeting_id", "meeting", "meeting")), key_fields=("note",)),
    Spec(Synthesis, _refs(("meeting_id", "meeting", "meeting"))),
    Spec(SynthesisVersion, _refs(("synthesis_id", "synthesis", "synthesis"),
                                 ("author_user_id", "author_user", "user"))),
    Spec(Validation, _refs(("synthesis_id", "synthesis", "synthesis"),
                           ("version_id", "version", "synthesis_version"),
                           ("recorded_by_id", "recorded_by", "user"))),
    Spec(Proposal, _refs(("accompaniment_id", "accompaniment", "accompaniment"),
                         ("meeting_id", "meeting", "meeting"),
                         ("synthesis_version_id", "synthesis_version", "synthesis_version"),
                         ("created_by_id", "created_by", "user"), ("reviewed_by_id", "reviewed_by", "user"))),
)
SPEC_BY_NAME = {spec.name: spec for spec in SPECS}
_MODELS = {spec.name: spec.model for spec in SPECS}


# -- values: database <-> file --------------------------------------------------------------------


def _kind(column: Column[Any]) -> str:
    kind: Any = column.type
    if isinstance(kind, StrEnumType):
        return "enum"
    if isinstance(kind, types.TypeDecorator):
        kind = kind.impl_instance
    for sa_type, name in ((DateTime, "datetime"), (Date, "date"), (Boolean, "bool"), (Integer, "int"),
                          (JSON, "json"), (LargeBinary, "bytes"), (String, "str"), (Text, "str")):
        if isinstance(kind, sa_type):
            return name
    raise TypeError(f"no transfer for column {column}")  # pragma: no cover - a new column type


def _to_file(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


class BadValue(ValueError):
    """A value in a file that does not fit its column."""


def _from_file(column: Column[Any], value: Any) -> Any:
    """The database value of a file value, checked against the column (type, length, null)."""
    if value is None:
        if not column.nullable:
            raise BadValue(f"{column.name} : valeur obligatoire")
        return None
    kind = _kind(column)
    try:
        if kind == "datetime":
            parsed = datetime.fromisoformat(value)
            return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
        if kind == "date":
            return date.fromisoformat(value)
        if kind == "enum":
            enum = column.type.enum  # type: ignore[attr-defined]
            return enum(value)
    except (TypeError, ValueError) as error:
        raise BadValue(f"{column.name} : valeur invalide {value!r}") from error
    expected: dict[str, tuple[type, ...]] = {"bool": (bool,), "int": (int,), "json": (dict, list), "str": (str,)}
    if kind not in expected or not isinstance(value, expected[kind]) or (kind == "int" and isinstance(value, bool)):
        raise BadValue(f"{column.name} : valeur invalide {value!r}")
    if kind == "str":
        length = getattr(column.type, "length", None)
        if length is not None and len(str(value)) > length:
            raise BadValue(f"{column.name} : plus de {length} caractères")
    if kind in ("str", "json") and _has_nul(value):
        raise BadValue(f"{column.name} : caractère NUL")
    return value


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _canonical(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _digest(spec: Spec, record: dict[str, Any]) -> str:
    compared = {k: v for k, v in record.items() if k not in spec.volatile}
    return hashlib.sha256(_canonical(compared)).hexdigest()


def _plain_columns(spec: Spec) -> list[Column[Any]]:
    """The columns carried as they are (not the id, not references, not skipped ones)."""
    ref_columns = {ref.column for ref in spec.refs}
    return [c for c in spec.table.columns
            if c.name != "id" and c.name not in ref_columns and c.name not in spec.skip]


def record_key(spec: Spec, record: dict[str, Any]) -> str:
    """The stable key of a record in a file: its UUID, or its natural key joined by `|`."""
    return "|".join(str(record.get(name)) for name in spec.key_fields)


class _Keys:
    """Database id -> record key (UUID, e-mail for users), looked up once each."""

    def __init__(self, db: Session) -> None:
        self.db = db
        self.cache: dict[tuple[str, int], str | None] = {}

    def key(self, target: str, row_id: int | None) -> str | None:
        if row_id is None:
            return None
        found = self.cache.get((target, row_id), "")
        if found != "":
            return found
        if target == "user":
            value = self.db.execute(select(col(User.email)).where(col(User.id) == row_id)).scalar()
        else:
            table = SPEC_BY_NAME[target].table
            value = self.db.execute(select(table.c.uuid).where(table.c.id == row_id)).scalar()
        self.cache[(target, row_id)] = value
        return value


def _portable(spec: Spec, row: Any, keys: _Keys) -> dict[str, Any]:
    """A row as a file record: plain values, references as keys."""
    mapping = row._mapping
    record = {c.name: _to_file(mapping[c.name]) for c in _plain_columns(spec)}
    for ref in spec.refs:
        record[ref.field] = keys.key(ref.target, mapping[ref.column])
    return record


# -- export ---------------------------------------------------------------------------------------


def find_accompaniment(db: Session, ident: str) -> Accompaniment | None:
    """The accompaniment whose UUID (or database id) is `ident`."""
    ident = ident.strip()
    found = db.execute(select(Accompaniment).where(col(Accompaniment.uuid) == ident)).scalars().first()
    if found is None and ident.isdigit():
        found = db.get(Accompaniment, int(ident))
    return found


def _rows(db: Session, spec: Spec, where: Any) -> list[Any]:
    table = spec.table
    order = [table.c.id] if "id" in table.c else list(table.primary_key.columns)
    return list(db.execute(select(table).where(where).order_by(*order)))


def export_accompaniment(db: Session, clock: Clock, accompaniment_id: int) -> dict[str, Any]:
    """The transfer document of one accompaniment (a JSON-ready dict with its manifest and SHA-256).

    A pure read: nothing is written to the database.
    """
    keys = _Keys(db)
    acc_table = SPEC_BY_NAME["accompaniment"].table
    accompaniment = db.execute(select(acc_table).where(acc_table.c.id == accompaniment_id)).first()
    if accompaniment is None:
        raise TransferError("Accompagnement introuvable.")
    t = {spec.name: spec.table for spec in SPECS}
    meeting_ids = [r.id for r in _rows(db, SPEC_BY_NAME["meeting"],
                                       t["meeting"].c.accompaniment_id == accompaniment_id)]
    synthesis_ids = [r.id for r in _rows(db, SPEC_BY_NAME["synthesis"],
                                         t["synthesis"].c.meeting_id.in_(meeting_ids))]
    community_ids = {accompaniment.asking_community_id, accompaniment.offering_community_id}
    for spec_name, where in (("person", t["person"].c.accompaniment_id == accompaniment_id),
                             ("participant", t["participant"].c.meeting_id.in_(meeting_ids))):
        community_ids |= {r.community_id for r in _rows(db, SPEC_BY_NAME[spec_name], where)}
    community_ids.discard(None)
    communities = _rows(db, SPEC_BY_NAME["community"], t["community"].c.id.in_(community_ids))
    territory_ids = {accompaniment.territory_id, *(c.territory_id for c in communities)} - {None}

    def scope(spec: Spec) -> Any:
        columns = spec.table.c
        if spec.name == "territory":
            return columns.id.in_(territory_ids)
        if spec.name == "community":
            return columns.id.in_(community_ids)
        if spec.name == "accompaniment":
            return columns.id == accompaniment_id
        if "accompaniment_id" in columns:
            return columns.accompaniment_id == accompaniment_id
        if "meeting_id" in columns:
            return columns.meeting_id.in_(meeting_ids)
        return columns.synthesis_id.in_(synthesis_ids)

    records: dict[str, list[dict[str, Any]]] = {}
    for spec in SPECS:
        records[spec.name] = [_portable(spec, row, keys) for row in _rows(db, spec, scope(spec))]
    wanted = {f"{name}:{record_key(SPEC_BY_NAME[name], r)}" for name, rs in records.items() for r in rs}
    bases = {key: digest for key, digest in db.execute(select(col(TransferBase.key), col(TransferBase.digest)))
             if key in wanted}
    payload = {"accompaniment": accompaniment.uuid, "records": records, "bases": bases}
    dialect = db.get_bind().dialect.name
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "exported_at": clock.now().astimezone(UTC).isoformat(),
        "source": {"database": dialect, "title": accompaniment.title},
        "manifest": {"counts": {name: len(rs) for name, rs in records.items()},
                     "sha256": hashlib.sha256(_canonical(payload)).hexdigest()},
        **payload,
    }


def write_document(document: dict[str, Any], target: Path) -> Path:
    """Write a transfer document to `target` (never over an existing file; atomically)."""
    if target.exists():
        raise TransferError(f"{target} existe déjà : choisissez un autre nom.")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + f".{secrets.token_hex(4)}.part")
    partial.write_bytes(json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True).encode())
    partial.replace(target)
    return target


# -- reading a file -------------------------------------------------------------------------------


def read_document(source: Path | bytes, max_bytes: int = MAX_BYTES) -> dict[str, Any]:
    """Load and check a transfer file: size, JSON, format and version, counts and SHA-256.

    Raises `TransferError` with a French message saying what is wrong.
    """
    if isinstance(source, Path):
        try:
            size = source.stat().st_size
        except OSError as error:
            raise TransferError(f"Impossible de lire {source} : {error.strerror}.") from error
        if size > max_bytes:
            raise TransferError(f"Fichier trop volumineux : {size / 1e6:.1f} Mo (au plus {max_bytes / 1e6:.0f} Mo).")
        raw = source.read_bytes()
    else:
        raw = source
    if len(raw) > max_bytes:
        raise TransferError(f"Fichier trop volumineux : {len(raw) / 1e6:.1f} Mo (au plus {max_bytes / 1e6:.0f} Mo).")
    try:
        document = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise TransferError("Fichier illisible : il n’est pas encodé en UTF-8.") from error
    except json.JSONDecodeError as error:
        raise TransferError(f"Fichier illisible : JSON invalide (ligne {error.lineno}).") from error
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise TransferError("Ce fichier n’est pas un export d’accompagnement Mallette.")
    version = document.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise TransferError("Version de format absente ou illisible : fichier refusé.")
    if version > FORMAT_VERSION:
        raise TransferError(f"Ce fichier est au format {version}, plus récent que celui que cette version de "
                            f"Mallette sait lire (format {FORMAT_VERSION}) : mettez Mallette à jour.")
    if version < 1:
        raise TransferError(f"Version de format inconnue ({version}) : fichier refusé.")
    records, bases, manifest = document.get("records"), document.get("bases"), document.get("manifest")
    if not (isinstance(records, dict) and isinstance(bases, dict) and isinstance(manifest, dict)
            and isinstance(document.get("accompaniment"), str)):
        raise TransferError("Fichier incomplet : il manque le manifeste, les enregistrements ou l’accompagnement.")
    payload = {"accompaniment": document["accompaniment"], "records": records, "bases": bases}
    if hashlib.sha256(_canonical(payload)).hexdigest() != manifest.get("sha256"):
        raise TransferError("Fichier corrompu : son empreinte SHA-256 ne correspond pas à son contenu.")
    unknown = sorted(set(records) - set(SPEC_BY_NAME))
    if unknown:
        raise TransferError(f"Tables inconnues dans le fichier : {', '.join(unknown)}.")
    counts = manifest.get("counts")
    for name, items in records.items():
        if not isinstance(items, list) or not all(isinstance(r, dict) for r in items):
            raise TransferError(f"Fichier mal formé : la table {name} n’est pas une liste d’enregistrements.")
        if not isinstance(counts, dict) or counts.get(name) != len(items):
            raise TransferError(f"Le manifeste annonce {counts.get(name) if isinstance(counts, dict) else '?'} "
                                f"enregistrement(s) pour {name}, le fichier en contient {len(items)}.")
    return document


# -- import ---------------------------------------------------------------------------------------


@dataclass
class Conflict:
    """A record changed on both sides: what differs (`field`, here, in the file)."""

    table: str
    key: str
    differences: list[tuple[str, Any, Any]]


@dataclass
class ImportReport:
    """What an import did (or, with `dry_run`, would do)."""

    dry_run: bool
    inserted: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)  # newer here, older in the file
    conflicts: list[Conflict] = field(default_factory=list)
    missing_members: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)

    @property
    def changes(self) -> int:
        """Records inserted or updated."""
        return sum(self.inserted.values()) + sum(self.updated.values())

    def count(self, bucket: dict[str, int], table: str) -> None:
        bucket[table] = bucket.get(table, 0) + 1


class _Skip(Exception):
    """A record that cannot be imported (reported, then the next one)."""


class _Importer:
    def __init__(self, db: Session, clock: Clock, document: dict[str, Any], report: ImportReport) -> None:
        self.db, self.clock, self.report = db, clock, report
        self.bases: dict[str, str] = {k: v for k, v in document["bases"].items() if isinstance(v, str)}
        self.keys = _Keys(db)
        self.ids: dict[tuple[str, str], int] = {}
        self.users: dict[str, int | None] = {}
        self.deferred: list[tuple[Spec, Any, dict[str, Any]]] = []  # (spec, where, record)

    # references
    def user_id(self, email: str | None) -> int | None:
        if email is None:
            return None
        if email not in self.users:
            found = self.db.execute(select(col(User.id)).where(col(User.email) == str(email).lower())).scalar()
            self.users[email] = found
            if found is None:
                self.report.missing_members.add(str(email))
        return self.users[email]

    def record_id(self, target: str, key: Any) -> int | None:
        if key is None:
            return None
        if not isinstance(key, str):
            raise _Skip(f"référence invalide {key!r}")
        found = self.ids.get((target, key))
        if found is None:
            table = SPEC_BY_NAME[target].table
            found = self.db.execute(select(table.c.id).where(table.c.uuid == key)).scalar()
            if found is not None:
                self.ids[(target, key)] = found
        return found

    def resolve(self, ref: Ref, key: Any) -> int | None:
        if ref.target == "user":
            if key is not None and not isinstance(key, str):
                raise _Skip(f"{ref.field} : adresse invalide")
            return self.user_id(key)
        found = self.record_id(ref.target, key)
        if found is None and key is not None:
            raise _Skip(f"{ref.field} : enregistrement {key} absent du fichier et de la base")
        return found

    # one record
    def portable_incoming(self, spec: Spec, record: dict[str, Any]) -> dict[str, Any]:
        """The record as it would read here: unknown members become empty references."""
        known = {c.name for c in _plain_columns(spec)} | {ref.field for ref in spec.refs}
        extra = sorted(set(record) - known)
        if extra:
            raise _Skip(f"champs inconnus : {', '.join(extra)}")
        portable = {name: record.get(name) for name in known}
        for ref in spec.refs:
            if ref.target == "user" and portable[ref.field] is not None and self.user_id(portable[ref.field]) is None:
                portable[ref.field] = None
        return portable

    def values(self, spec: Spec, record: dict[str, Any], *, with_deferred: bool) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for column in _plain_columns(spec):
            try:
                values[column.name] = _from_file(column, record.get(column.name))
            except BadValue as error:
                raise _Skip(str(error)) from error
        for ref in spec.refs:
            if ref.deferred and not with_deferred:
                continue
            values[ref.column] = self.resolve(ref, record.get(ref.field))
        missing_user = [r for r in spec.refs if r.target == "user" and record.get(r.field) is not None
                        and values.get(r.column) is None]
        if missing_user and not spec.table.c[missing_user[0].column].nullable:
            raise _Skip(f"pas de compte pour {record.get(missing_user[0].field)}")
        return values

    def where(self, spec: Spec, record: dict[str, Any]) -> Any:
        """The condition finding the local row of a record, or None if it cannot exist here."""
        clauses = []
        for name in spec.key_fields:
            ref = next((r for r in spec.refs if r.field == name), None)
            if ref is None:
                if not isinstance(record.get(name), str):
                    raise _Skip(f"clé {name} absente")
                clauses.append(spec.table.c[name] == record[name])
            else:
                target_id = self.resolve(ref, record.get(name))
                if target_id is None:
                    return None
                clauses.append(spec.table.c[ref.column] == target_id)
        condition = clauses[0]
        for clause in clauses[1:]:
            condition = condition & clause
        return condition

    def remember(self, base_key: str, digest: str) -> None:
        upsert(self.db, TransferBase, {"key": base_key, "digest": digest, "at": self.clock.now()}, conflict=["key"])

    def one(self, spec: Spec, record: dict[str, Any]) -> None:
        key = record_key(spec, record)
        base_key = f"{spec.name}:{key}"
        incoming = self.portable_incoming(spec, record)
        where = self.where(spec, record)
        if where is None:  # a membership of someone without an account here
            raise _Skip(f"pas de compte pour {record.get('user')}")
        local = self.db.execute(select(spec.table).where(where)).first()
        incoming_digest = _digest(spec, incoming)
        if local is None:
            values = self.values(spec, record, with_deferred=False)
            self.fill(spec, values)
            try:
                with self.db.begin_nested():
                    result: Any = self.db.execute(insert(spec.table).values(**values))
            except (IntegrityError, DBAPIError) as error:
                detail = str(getattr(error, "orig", error)).splitlines()[0][:160]
                self.report.conflicts.append(Conflict(spec.name, key, [("(insertion)", "existe déjà ici", detail)]))
                return
            if "uuid" in spec.table.c and result.inserted_primary_key:
                self.ids[(spec.name, key)] = result.inserted_primary_key[0]
            self.report.count(self.report.inserted, spec.name)
            self.remember(base_key, incoming_digest)
            self.defer(spec, where, record)
            return
        if "uuid" in spec.table.c:
            self.ids[(spec.name, key)] = local.id
        current = _portable(spec, local, self.keys)
        local_digest = _digest(spec, current)
        stored = self.db.execute(select(col(TransferBase.digest)).where(col(TransferBase.key) == base_key)).scalar()
        known = {digest for digest in (self.bases.get(base_key), stored) if digest}
        if local_digest == incoming_digest:
            self.report.count(self.report.unchanged, spec.name)
            self.remember(base_key, incoming_digest)
        elif incoming_digest in known:
            self.report.count(self.report.kept, spec.name)  # changed here only: ours is newer
        elif local_digest in known:
            values = self.values(spec, record, with_deferred=False)
            condition = where
            if "version" in spec.table.c:
                condition = condition & (spec.table.c.version == local._mapping["version"])
            for name in spec.volatile:
                values.pop(name, None)
            try:
                with self.db.begin_nested():
                    changed = getattr(self.db.execute(update(spec.table).where(condition).values(**values)),
                                      "rowcount", 0)
            except (IntegrityError, DBAPIError) as error:  # e.g. a unique value taken here meanwhile
                detail = str(getattr(error, "orig", error)).splitlines()[0][:160]
                self.report.conflicts.append(Conflict(spec.name, key, [("(mise à jour)", "refusée ici", detail)]))
                return
            if changed != 1:
                self.report.conflicts.append(
                    Conflict(spec.name, key, [("(mise à jour)", "modifié pendant l’import", "")]))
                return
            self.report.count(self.report.updated, spec.name)
            self.remember(base_key, incoming_digest)
            self.defer(spec, where, record)
        else:
            differences = [(name, current.get(name), incoming.get(name)) for name in sorted(incoming)
                           if name not in spec.volatile and current.get(name) != incoming.get(name)]
            self.report.conflicts.append(Conflict(spec.name, key, differences))

    def fill(self, spec: Spec, values: dict[str, Any]) -> None:
        """Columns a file does not carry, and volatile ones that must stay unique here."""
        if spec.model is Participant:
            values["token_hash"] = hashlib.sha256(secrets.token_bytes(32)).hexdigest()  # unusable: rejoin
        if spec.model is Meeting and values.get("join_code"):
            code = values["join_code"]
            taken = self.db.execute(select(col(Meeting.id)).where(col(Meeting.join_code) == code)).first()
            if taken is not None:
                values["join_code"] = None

    def defer(self, spec: Spec, where: Any, record: dict[str, Any]) -> None:
        if any(ref.deferred for ref in spec.refs):
            self.deferred.append((spec, where, record))

    def finish(self) -> None:
        """Set the references to records that came later in the file."""
        for spec, where, record in self.deferred:
            values: dict[str, Any] = {}
            for ref in spec.refs:
                if ref.deferred:
                    try:
                        values[ref.column] = self.resolve(ref, record.get(ref.field))
                    except _Skip as skip:
                        self.report.problems.append(f"{spec.name} {record_key(spec, record)} : {skip}")
                        values[ref.column] = None
            self.db.execute(update(spec.table).where(where).values(**values))


def import_document(db: Session, clock: Clock, document: dict[str, Any], *, dry_run: bool = False) -> ImportReport:
    """Merge a checked transfer document (`read_document`) into the database.

    New records are inserted, records changed only in the file since a state both sides had are
    updated, records changed on both sides are reported as `conflicts` and left alone. With
    `dry_run`, everything is worked out and then rolled back: the report says what would change.
    """
    report = ImportReport(dry_run=dry_run)
    work = db.begin_nested()
    importer = _Importer(db, clock, document, report)
    for spec in SPECS:
        for record in document["records"].get(spec.name, []):
            try:
                importer.one(spec, record)
            except _Skip as skip:
                label = record_key(spec, record)
                if spec.model is Membership and record.get("user") in report.missing_members:
                    continue  # reported once, as a missing member
                report.problems.append(f"{spec.name} {label} : {skip}")
    importer.finish()
    if dry_run:
        work.rollback()
    else:
        work.commit()
    return report


def summary_lines(report: ImportReport) -> Iterable[str]:
    """The report in French, one line per fact (the command prints them)."""
    prefix = "Simulation : " if report.dry_run else ""
    verb = ("serait ajouté", "serait mis à jour") if report.dry_run else ("ajouté", "mis à jour")
    for bucket, label in ((report.inserted, verb[0]), (report.updated, verb[1])):
        for table, count in bucket.items():
            yield f"{prefix}{table} : {count} enregistrement(s) {label}(s)"
    unchanged = sum(report.unchanged.values())
    kept = sum(report.kept.values())
    yield f"{prefix}{unchanged} enregistrement(s) déjà identiques, {kept} plus récent(s) ici (gardé(s))."
    for conflict in report.conflicts:
        details = "; ".join(f"{name} : ici {_short(here)}, fichier {_short(there)}"
                            for name, here, there in conflict.differences[:5])
        yield f"Conflit {conflict.table} {conflict.key} (les deux versions sont gardées telles quelles) : {details}"
    if report.missing_members:
        yield ("Membres sans compte ici (créez leur compte puis réimportez) : "
               + ", ".join(sorted(report.missing_members)))
    for problem in report.problems:
        yield f"Non importé : {problem}"


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return f"« {text[:60]}{'…' if len(text) > 60 else ''} »"


#: (table name -> model): for tests and tools that compare two databases.
MODELS: dict[str, type[SQLModel]] = dict(_MODELS)


def snapshot(db: Session, clock: Clock, accompaniment_uuid: str) -> dict[str, Any]:
    """The records of an accompaniment keyed by table and record key, volatile fields left out.

    Two databases holding the same accompaniment give equal snapshots whatever their ids.
    """
    acc_table = SPEC_BY_NAME["accompaniment"].table
    found = db.execute(select(acc_table.c.id).where(acc_table.c.uuid == accompaniment_uuid)).scalar()
    if found is None:
        return {}
    records = export_accompaniment(db, clock, found)["records"]
    return {name: {record_key(SPEC_BY_NAME[name], r): {k: v for k, v in r.items()
                                                        if k not in SPEC_BY_NAME[name].volatile}
                   for r in rs} for name, rs in records.items()}
