"""Laptop to server and back: `export-session` / `import-session` on SQLite and PostgreSQL.

A whole accompaniment (sessions, people, notes, votes, impression notes, clusters, syntheses and
validations, stage changes) travels as one file: the round trip gives the same content, importing
twice changes nothing, a record edited on both sides is reported and neither version is touched,
bad files are refused with a French message.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from after_factory import make_session
from sqlalchemy import text, update
from sqlalchemy.engine import Engine
from sqlite_template import sqlite_copy
from sqlmodel import select

from app.clock import FrozenClock
from app.db import make_engine, read_session, write_session
from app.facilitation import accounts, debrief, impressions, lifecycle, synthesis, transfer
from app.facilitation.enums import ProposalKind, Regard, Stage, UserRole, ValidationDecision, ValidationParty
from app.models import (
    Accompaniment,
    Meeting,
    Membership,
    Note,
    Participant,
    Proposal,
    Synthesis,
    SynthesisVersion,
    User,
)

CLOCK = FrozenClock()
EMAIL = "anim@example.org"


def _account(engine: Engine, email: str = EMAIL) -> None:
    with write_session(engine) as db:
        accounts.create_user(db, CLOCK, email=email, display_name="Camille", password="correct horse battery",
                             role=UserRole.FACILITATOR)


def _fill(engine: Engine) -> str:
    """A finished accompaniment with every kind of record; returns its UUID."""
    made = make_session(engine, notes=8, participants=3,
                        texts=["Le lieu « partagé » compte ; 😀", "Élu·es présent·es\nligne 2", "x" * 3000])
    with write_session(engine) as db:
        meeting = db.get(Meeting, made.meeting_id)
        acc = db.get(Accompaniment, made.accompaniment_id)
        user = db.exec(select(User).where(User.email == EMAIL)).one()
        assert meeting is not None and acc is not None
        lifecycle.transition(db, CLOCK, acc, Stage.CHOSEN, by=user, version=acc.version, comment="Choisi en comité")
        cluster = debrief.create_cluster(db, CLOCK, meeting, "Le lieu partagé", regard=Regard.INITIATIVE)
        debrief.move_notes(db, CLOCK, meeting, made.note_ids[:3], cluster.id)
        db.execute(update(Note).where(Note.id == made.note_ids[4]).values(merged_into_id=made.note_ids[5]))  # type: ignore[arg-type]
        meeting.current_step_id = db.exec(select(Note.step_id).where(Note.id == made.note_ids[0])).one()
        db.add(meeting)
        for index, participant_id in enumerate(made.participant_ids[:2]):
            person = db.get(Participant, participant_id)
            assert person is not None
            impressions.save(db, CLOCK, meeting, person, text=f"Impression {index}", consent=index == 0,
                             base_version=0, send=True)
        found = synthesis.start(db, CLOCK, meeting, user)
        texts = {r: f"Regard {r.value} : **tenu**." for r in Regard}
        synthesis.save(db, CLOCK, found, base_version=1, texts=texts, user=user)
        for party in ValidationParty:
            invitation = synthesis.invite_for(db, synthesis.invite(db, CLOCK, found, party))
            synthesis.answer(db, CLOCK, invitation, version_number=2, decision=ValidationDecision.APPROVED,
                             approver_name=f"Pour {party.value}")
        return acc.uuid


def _export(engine: Engine, acc_uuid: str, target: Path) -> dict[str, Any]:
    with read_session(engine) as db:
        found = transfer.find_accompaniment(db, acc_uuid)
        assert found is not None and found.id is not None
        document = transfer.export_accompaniment(db, CLOCK, found.id)
    transfer.write_document(document, target)
    return transfer.read_document(target)


def _import(engine: Engine, document: dict[str, Any], dry_run: bool = False) -> transfer.ImportReport:
    with write_session(engine) as db:
        return transfer.import_document(db, CLOCK, document, dry_run=dry_run)


def _snapshot(engine: Engine, acc_uuid: str) -> dict[str, Any]:
    with read_session(engine) as db:
        return transfer.snapshot(db, CLOCK, acc_uuid)


def _laptop(tmp_path: Path, name: str = "laptop") -> Engine:
    return make_engine(sqlite_copy(tmp_path / f"{name}.sqlite3"))


def test_every_foreign_key_travels_as_a_key() -> None:
    """A database id never goes into a file: each foreign key is a reference (UUID or e-mail) or left out."""
    for spec in transfer.SPECS:
        carried = {ref.column for ref in spec.refs} | set(spec.skip)
        for column in spec.table.columns:
            if column.foreign_keys:
                assert column.name in carried, f"{spec.name}.{column.name} would travel as a raw id"
            target = {fk.column.table.name for fk in column.foreign_keys}
            ref = next((r for r in spec.refs if r.column == column.name), None)
            if ref is not None and target:
                assert target == {ref.target}, f"{spec.name}.{column.name} points at {target}"


def test_round_trip_laptop_server_laptop(engine: Engine, tmp_path: Path) -> None:
    """SQLite -> server (SQLite or PostgreSQL) -> SQLite: same content; a second import changes nothing."""
    laptop, fresh = _laptop(tmp_path), _laptop(tmp_path, "fresh")
    try:
        acc_uuid = _fill(laptop)
        before = _snapshot(laptop, acc_uuid)
        document = _export(laptop, acc_uuid, tmp_path / "aller.json")
        counts = document["manifest"]["counts"]
        assert all(counts[name] >= 1 for name in ("territory", "community", "accompaniment", "membership",
                                                  "stage_change", "meeting", "half_day", "agenda_step",
                                                  "participant", "note", "vote", "impression_note", "cluster",
                                                  "cluster_note", "synthesis", "synthesis_version", "validation"))
        assert "password" not in json.dumps(document) and "token_hash" not in json.dumps(document)

        _account(engine)
        first = _import(engine, document)
        assert first.conflicts == [] and first.problems == [] and not first.missing_members
        assert first.inserted == {name: n for name, n in counts.items() if n}
        assert _snapshot(engine, acc_uuid) == before
        again = _import(engine, document)
        assert again.changes == 0 and again.conflicts == [] and sum(again.unchanged.values()) == sum(counts.values())

        back = _export(engine, acc_uuid, tmp_path / "retour.json")
        home = _import(laptop, back)  # onto the laptop it came from: nothing to do
        assert home.changes == 0 and home.conflicts == []
        _account(fresh)
        assert _import(fresh, back).conflicts == []  # and onto another laptop: the same content
        assert _snapshot(fresh, acc_uuid) == before == _snapshot(laptop, acc_uuid)
        with read_session(engine) as db:  # a merged note still points at its target, a session at its step
            merged = db.exec(select(Note).where(Note.merged_into_id != None)).one()  # noqa: E711
            target = db.get(Note, merged.merged_into_id)
            assert target is not None and target.meeting_id == merged.meeting_id
            assert db.exec(select(Meeting)).one().current_step_id is not None
    finally:
        laptop.dispose()
        fresh.dispose()


def _note_text(engine: Engine, note_uuid: str) -> str:
    with read_session(engine) as db:
        return db.exec(select(Note.text).where(Note.uuid == note_uuid)).one()


def _edit(engine: Engine, note_uuid: str, body: str) -> None:
    with write_session(engine) as db:
        db.execute(update(Note).where(Note.uuid == note_uuid).values(text=body, version=Note.version + 1))  # type: ignore[arg-type]


def test_conflicts_are_reported_and_one_sided_changes_flow(engine: Engine, tmp_path: Path) -> None:
    laptop = _laptop(tmp_path)
    try:
        acc_uuid = _fill(laptop)
        _account(engine)
        _import(engine, _export(laptop, acc_uuid, tmp_path / "1.json"))
        with read_session(laptop) as db:
            first, second = db.exec(select(Note.uuid).order_by(Note.id)).all()[:2]

        _edit(laptop, first, "Modifié sur l’ordinateur")
        _edit(engine, first, "Modifié sur le serveur")  # the same note edited on both sides
        _edit(engine, second, "Complété sur le serveur")  # another only on the server
        back = _export(engine, acc_uuid, tmp_path / "2.json")

        dry = _import(laptop, back, dry_run=True)
        assert dry.updated == {"note": 1} and [c.key for c in dry.conflicts] == [first]
        assert _note_text(laptop, second) != "Complété sur le serveur"  # a dry run writes nothing

        report = _import(laptop, back)
        assert report.updated == {"note": 1}
        assert [(c.table, c.key) for c in report.conflicts] == [("note", first)]
        differences = {name: (here, there) for name, here, there in report.conflicts[0].differences}
        assert differences["text"] == ("Modifié sur l’ordinateur", "Modifié sur le serveur")
        assert _note_text(laptop, first) == "Modifié sur l’ordinateur"  # both versions untouched
        assert _note_text(engine, first) == "Modifié sur le serveur"
        assert _note_text(laptop, second) == "Complété sur le serveur"
        lines = list(transfer.summary_lines(report))
        assert any(line.startswith("Conflit note " + first) for line in lines)

        again = _import(laptop, back)  # the conflict stays a conflict; nothing else changes
        assert again.changes == 0 and [c.key for c in again.conflicts] == [first]

        # the laptop's own change goes up without a conflict on a note the server did not touch
        _edit(laptop, second, "Repris sur l’ordinateur")
        up = _import(engine, _export(laptop, acc_uuid, tmp_path / "3.json"))
        assert up.updated == {"note": 1} and [c.key for c in up.conflicts] == [first]
        assert _note_text(engine, second) == "Repris sur l’ordinateur"
    finally:
        laptop.dispose()


def _new_synthesis_version(engine: Engine, body: str) -> None:
    with write_session(engine) as db:
        found = db.exec(select(Synthesis)).one()
        user = db.exec(select(User).where(User.email == EMAIL)).one()
        synthesis.save(db, CLOCK, found, base_version=found.version, user=user,
                       texts={r: f"{body} ({r.value})" for r in Regard})


def _versions(engine: Engine) -> list[tuple[int, str]]:
    with read_session(engine) as db:
        return [(v.number, v.structure) for v in db.exec(select(SynthesisVersion)
                                                         .order_by(SynthesisVersion.number))]


def test_a_synthesis_edited_on_both_sides_is_a_conflict(engine: Engine, tmp_path: Path) -> None:
    """Two third versions written apart: the second to arrive is reported, neither is lost or renumbered."""
    laptop = _laptop(tmp_path)
    try:
        acc_uuid = _fill(laptop)
        _account(engine)
        _import(engine, _export(laptop, acc_uuid, tmp_path / "1.json"))
        _new_synthesis_version(laptop, "Relu sur l’ordinateur")
        _new_synthesis_version(engine, "Relu sur le serveur")
        here, there = _versions(laptop), _versions(engine)
        report = _import(laptop, _export(engine, acc_uuid, tmp_path / "2.json"))
        assert [c.table for c in report.conflicts] == ["synthesis_version"] and report.changes == 0
        assert _versions(laptop) == here and _versions(engine) == there
        assert here[-1] == (3, "Relu sur l’ordinateur (structure)")
        assert any(line.startswith("Conflit synthesis_version") for line in transfer.summary_lines(report))
    finally:
        laptop.dispose()


def test_an_update_refused_here_is_a_conflict_not_a_crash(engine: Engine, tmp_path: Path) -> None:
    """A one-sided change that breaks a unique rule on the server (a kit id taken meanwhile) is reported."""
    laptop = _laptop(tmp_path)
    try:
        acc_uuid = _fill(laptop)
        with write_session(laptop) as db:
            acc = db.exec(select(Accompaniment)).one()
            db.add(Proposal(accompaniment_id=acc.id or 0, kind=ProposalKind.INITIATIVE, item_id="initiative-lieu",
                            title="Le lieu partagé", summary="Un tiers-lieu porté par la commune."))
        _account(engine)
        _import(engine, _export(laptop, acc_uuid, tmp_path / "1.json"))
        with write_session(laptop) as db:
            db.execute(update(Proposal).values(item_id="initiative-lieu-partage", version=Proposal.version + 1))  # type: ignore[arg-type]
        with write_session(engine) as db:  # the server gave that id to another proposal meanwhile
            acc = db.exec(select(Accompaniment)).one()
            db.add(Proposal(accompaniment_id=acc.id or 0, kind=ProposalKind.INITIATIVE,
                            item_id="initiative-lieu-partage", title="Autre", summary="Autre."))
        report = _import(engine, _export(laptop, acc_uuid, tmp_path / "2.json"))
        assert [(c.table, c.differences[0][:2]) for c in report.conflicts] == [
            ("proposal", ("(mise à jour)", "refusée ici"))]
        with read_session(engine) as db:
            assert sorted(db.exec(select(Proposal.item_id)).all()) == ["initiative-lieu", "initiative-lieu-partage"]
    finally:
        laptop.dispose()


def test_members_are_mapped_by_email_and_missing_ones_reported(engine: Engine, tmp_path: Path) -> None:
    laptop = _laptop(tmp_path)
    try:
        acc_uuid = _fill(laptop)
        document = _export(laptop, acc_uuid, tmp_path / "a.json")
        report = _import(engine, document)  # no account for the facilitator on the server
        assert report.missing_members == {EMAIL} and report.conflicts == [] and report.problems == []
        assert "membership" not in report.inserted
        assert any(EMAIL in line for line in transfer.summary_lines(report))
        _account(engine)  # the account is made: importing again adds the membership and the authorship
        later = _import(engine, document)
        assert later.inserted == {"membership": 1} and later.conflicts == [] and not later.missing_members
        assert later.updated.get("synthesis_version") == 2 and later.updated.get("stage_change") == 1
        with read_session(engine) as db:
            user = db.exec(select(User).where(User.email == EMAIL)).one()
            assert db.exec(select(Membership).where(Membership.user_id == user.id)).one()
        assert _snapshot(engine, acc_uuid) == _snapshot(laptop, acc_uuid)
    finally:
        laptop.dispose()


def _valid_document(tmp_path: Path) -> dict[str, Any]:
    laptop = _laptop(tmp_path, "source")
    try:
        acc_uuid = _fill(laptop)
        return _export(laptop, acc_uuid, tmp_path / "ok.json")
    finally:
        laptop.dispose()


def _rehash(document: dict[str, Any]) -> dict[str, Any]:
    payload = {k: document[k] for k in ("accompaniment", "records", "bases")}
    canonical = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    document["manifest"]["sha256"] = hashlib.sha256(canonical).hexdigest()
    return document


def test_bad_files_are_refused(tmp_path: Path) -> None:
    good = _valid_document(tmp_path)

    def variant(change: Any, rehash: bool = False) -> bytes:
        document = json.loads(json.dumps(good))
        change(document)
        return json.dumps(_rehash(document) if rehash else document).encode()

    cases: list[tuple[bytes, str]] = [
        (variant(lambda d: d.update(format_version=2), True), "format 2, plus récent"),
        (variant(lambda d: d.update(format_version="1")), "Version de format"),
        (variant(lambda d: d.update(format="autre-chose")), "pas un export d’accompagnement"),
        (variant(lambda d: d["records"]["note"][0].update(text="falsifié")), "corrompu"),
        (variant(lambda d: d["records"]["note"].pop()), "corrompu"),
        (variant(lambda d: d["records"]["note"].pop(), True), "le fichier en contient"),
        (variant(lambda d: d["records"].update(user=[{"email": "x", "password_hash": "y"}]), True),
         "Tables inconnues"),
        (b"{\"format\": ", "JSON invalide"),
        (b"\xff\xfe{}", "UTF-8"),
        (b"[]", "pas un export"),
    ]
    for raw, message in cases:
        with pytest.raises(transfer.TransferError, match=message):
            transfer.read_document(raw)
    path = tmp_path / "gros.json"
    path.write_bytes(json.dumps(good).encode())
    with pytest.raises(transfer.TransferError, match="trop volumineux"):
        transfer.read_document(path, max_bytes=1000)
    with pytest.raises(transfer.TransferError, match="existe déjà"):
        transfer.write_document(good, path)


def test_hostile_records_are_skipped_not_crashing(engine: Engine, tmp_path: Path) -> None:
    """A well-formed file whose records do not fit the columns: each is reported, the rest imported."""
    document = json.loads(json.dumps(_valid_document(tmp_path)))
    notes = document["records"]["note"]
    notes[0]["text"] = "avec \x00 un NUL"
    notes[1]["version"] = "beaucoup"
    notes[2]["pirate"] = 1
    notes[3]["participant"] = "00000000-0000-0000-0000-000000000000"
    document["records"]["meeting"][0]["status"] = "ouverte-à-tous"  # the whole session: its notes follow it
    report = _import(engine, _rehash(document))
    assert report.problems and all(" : " in p for p in report.problems)
    assert any("NUL" in p for p in report.problems) and any("pirate" in p for p in report.problems)
    assert "meeting" not in report.inserted and "note" not in report.inserted
    assert report.inserted["accompaniment"] == 1
    document["records"]["meeting"][0]["status"] = "closed"
    fixed = _import(engine, _rehash(document))
    assert fixed.inserted["meeting"] == 1 and fixed.inserted["note"] == len(notes) - 4


def test_commands(app, runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    engine = app.extensions["mallette"].engine
    acc_uuid = _fill(engine)
    target = tmp_path / "accompagnement.json"
    result = runner.invoke(args=["export-session", acc_uuid, "--out", str(target)])
    assert result.exit_code == 0, result.output
    assert "note" in result.output and target.exists()
    result = runner.invoke(args=["import-session", str(target), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Simulation" in result.output and "déjà identiques" in result.output
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    target.write_text(target.read_text().replace('"format_version": 1', '"format_version": 9'))
    result = runner.invoke(args=["import-session", str(target)])
    assert result.exit_code == 1 and "format 9" in result.output
    result = runner.invoke(args=["export-session", "inconnu"])
    assert result.exit_code == 1 and "introuvable" in result.output
