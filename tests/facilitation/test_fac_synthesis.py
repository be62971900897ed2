"""Synthesis notes: pre-filling, versions, conflicts, validation by the three parties, freezing."""

from __future__ import annotations

import pytest
from after_factory import make_session
from sqlalchemy.engine import Engine
from sqlmodel import select

from app.clock import FrozenClock
from app.db import read_session, write_session
from app.facilitation import debrief, synthesis
from app.facilitation.enums import Regard, ValidationDecision, ValidationParty
from app.facilitation.errors import DomainError, NotFound
from app.models import ImpressionNote, Meeting, Synthesis, SynthesisVersion, User, Validation


def _start(engine: Engine, clock: FrozenClock):  # type: ignore[no-untyped-def]
    made = make_session(engine, texts=["Le *lieu* partagé [lien](https://evil.example) <b>fait</b> tenir"])
    with write_session(engine) as db:
        meeting = db.get(Meeting, made.meeting_id)
        assert meeting is not None
        cluster = debrief.create_cluster(db, clock, meeting, "Le lieu comme ressource", regard=Regard.INITIATIVE)
        debrief.move_notes(db, clock, meeting, made.note_ids[:3], cluster.id)
        db.add(ImpressionNote(meeting_id=made.meeting_id, participant_id=made.participant_ids[0],
                              text="Une visite marquante : l'accueil des élu·es.", consent_report=True,
                              submitted_at=clock.now()))
        db.add(ImpressionNote(meeting_id=made.meeting_id, participant_id=made.participant_ids[1],
                              text="Ne pas citer ceci.", consent_report=False, submitted_at=clock.now()))
        user = db.exec(select(User)).one()
        found = synthesis.start(db, clock, meeting, user)
        again = synthesis.start(db, clock, meeting, user)
        assert again.id == found.id
        return made, found.id, user.id


def test_start_prefills_clusters_and_consented_quotes_literally(engine: Engine) -> None:
    clock = FrozenClock()
    _made, synthesis_id, _user = _start(engine, clock)
    with read_session(engine) as db:
        first = db.exec(select(SynthesisVersion).where(SynthesisVersion.synthesis_id == synthesis_id)).one()
    assert first.number == 1 and first.author_name == "Camille"
    assert "### Le lieu comme ressource" in first.initiative
    # participant text escaped: the Markdown renderer shows it as typed (no link, no emphasis)
    assert "\\*lieu\\*" in first.initiative and "\\[lien\\]\\(https://evil.example\\)" in first.initiative
    assert "\\." not in first.initiative + first.structure and "\\-" not in first.initiative + first.structure
    from app.kit.markdown import render_markdown

    html = str(render_markdown(first.initiative))
    assert "<a " not in html and "<em>" not in html and "&lt;b&gt;" in html
    assert "accueil des élu·es" in first.structure
    assert "Ne pas citer" not in "".join(synthesis.regard_of(first, r) for r in Regard)


def test_versions_conflict_and_diff(engine: Engine) -> None:
    clock = FrozenClock()
    _made, synthesis_id, user_id = _start(engine, clock)
    texts = {Regard.STRUCTURE: "Structure : une équipe de trois.\n", Regard.INITIATIVE: "Initiative.\n",
             Regard.TRANSITION: "Transition.\n", Regard.METHODS: "Méthodes.\n"}
    with write_session(engine) as db:
        found = db.get(Synthesis, synthesis_id)
        user = db.get(User, user_id)
        assert found is not None and user is not None
        clock.advance(60)
        second = synthesis.save(db, clock, found, base_version=1, texts=texts, user=user)
        assert second.number == 2
        # the same save delivered twice: no new version
        again = synthesis.save(db, clock, found, base_version=1, texts=texts, user=user)
        assert again.id == second.id
        # another editor who also started from version 1, with other text: a conflict, nothing written
        other = dict(texts, **{Regard.METHODS: "Autre chose.\n"})
        with pytest.raises(DomainError) as caught:
            synthesis.save(db, clock, found, base_version=1, texts=other, user=user)
        assert caught.value.code == "synthesis-conflict" and caught.value.params["current"] == 2
        third = synthesis.save(db, clock, found, base_version=2, texts=other, user=user)
        assert third.number == 3
        changes = {d.regard: d for d in synthesis.diff(second, third)}
        assert changes[Regard.METHODS].lines == ["@@ -1 +1 @@", "-Méthodes.", "+Autre chose."]
        assert not changes[Regard.STRUCTURE].changed
        with pytest.raises(DomainError) as caught:
            synthesis.save(db, clock, found, base_version=3, texts={Regard.STRUCTURE: "a\x00b"}, user=user)
        assert caught.value.code == "text-nul"
    with read_session(engine) as db:
        assert [v.number for v in synthesis.versions(db, synthesis_id)] == [3, 2, 1]


def test_change_request_then_validation_by_three_parties_freezes(engine: Engine) -> None:
    clock = FrozenClock()
    _made, synthesis_id, user_id = _start(engine, clock)
    with write_session(engine) as db:
        found = db.get(Synthesis, synthesis_id)
        assert found is not None
        tokens = {party: synthesis.invite(db, clock, found, party) for party in ValidationParty}
    with write_session(engine) as db:
        asking = synthesis.invite_for(db, tokens[ValidationParty.ASKING])
        with pytest.raises(DomainError) as caught:
            synthesis.answer(db, clock, asking, version_number=1, decision=ValidationDecision.CHANGES_REQUESTED,
                             approver_name="Maire d'Ardes")
        assert caught.value.code == "comment-required"
        synthesis.answer(db, clock, asking, version_number=1, decision=ValidationDecision.CHANGES_REQUESTED,
                         approver_name="Maire d'Ardes", comment="Nommer la ressourcerie.")
    with write_session(engine) as db:
        found = db.get(Synthesis, synthesis_id)
        user = db.get(User, user_id)
        assert found is not None and user is not None
        state = synthesis.status(db, found)
        assert [r.comment for r in state.change_requests] == ["Nommer la ressourcerie."]
        current = synthesis.latest(db, found)
        texts = {r: synthesis.regard_of(current, r) for r in Regard}
        texts[Regard.STRUCTURE] += "\nLa ressourcerie de Saint-Girons.\n"
        synthesis.save(db, clock, found, base_version=1, texts=texts, user=user)
    with write_session(engine) as db:
        offering = synthesis.invite_for(db, tokens[ValidationParty.OFFERING])
        with pytest.raises(DomainError) as caught:  # answering the old version
            synthesis.answer(db, clock, offering, version_number=1, decision=ValidationDecision.APPROVED,
                             approver_name="Osons")
        assert caught.value.code == "synthesis-changed"
        for party, name in [(ValidationParty.ASKING, "Maire d'Ardes"), (ValidationParty.OFFERING, "Osons"),
                            (ValidationParty.VISITING_GROUP, "Groupe")]:
            invitation = synthesis.invite_for(db, tokens[party])
            clock.advance(10)
            synthesis.answer(db, clock, invitation, version_number=2, decision=ValidationDecision.APPROVED,
                             approver_name=name)
    with write_session(engine) as db:
        found = db.get(Synthesis, synthesis_id)
        user = db.get(User, user_id)
        assert found is not None and user is not None
        state = synthesis.status(db, found)
        assert state.frozen and state.awaiting == [] and state.validated is not None
        assert state.validated.number == 2 and state.validated.validated_at == clock.now()
        with pytest.raises(DomainError) as caught:
            synthesis.answer(db, clock, synthesis.invite_for(db, tokens[ValidationParty.ASKING]), version_number=2,
                             decision=ValidationDecision.CHANGES_REQUESTED, approver_name="X", comment="trop tard")
        assert caught.value.code == "synthesis-frozen"
        # a later edit starts a new version; the validated one stays as it was
        texts = {r: synthesis.regard_of(state.latest, r) for r in Regard}
        texts[Regard.TRANSITION] = "Ajout après validation.\n"
        third = synthesis.save(db, clock, found, base_version=2, texts=texts, user=user)
        assert third.number == 3 and third.validated_at is None
    with read_session(engine) as db:
        found = db.get(Synthesis, synthesis_id)
        assert found is not None
        state = synthesis.status(db, found)
        assert not state.frozen and state.validated is not None and state.validated.number == 2
        assert "Ajout après validation" not in state.validated.transition
        assert len(synthesis.history(db, synthesis_id)) == 4


def test_approval_given_in_person_is_recorded_on_behalf_and_counts(engine: Engine) -> None:
    """An accord given at a meeting or on paper: recorded by an account, marked as such, counted for
    validation; a retry is stored once; wrong days, stale or frozen versions and overwriting a party's
    own approval are refused; a party's own answer later replaces the record made for it."""
    from datetime import timedelta

    clock = FrozenClock()
    _made, synthesis_id, user_id = _start(engine, clock)
    today = clock.now().date()
    with write_session(engine) as db:
        found = db.get(Synthesis, synthesis_id)
        user = db.get(User, user_id)
        assert found is not None and user is not None
        tokens = {party: synthesis.invite(db, clock, found, party) for party in ValidationParty}
        synthesis.answer(db, clock, synthesis.invite_for(db, tokens[ValidationParty.ASKING]), version_number=1,
                         decision=ValidationDecision.APPROVED, approver_name="Maire d'Ardes")
        synthesis.answer(db, clock, synthesis.invite_for(db, tokens[ValidationParty.OFFERING]), version_number=1,
                         decision=ValidationDecision.CHANGES_REQUESTED, approver_name="Osons", comment="Ajouter X.")

        def record(**changes):  # type: ignore[no-untyped-def]
            values = {"user": user, "version_number": 1, "party": ValidationParty.VISITING_GROUP,
                      "approver_name": "Léa, pour le groupe", "given_on": today, "note": "Réunion du soir"}
            values.update(changes)
            return synthesis.record_in_person(db, clock, found, **values)

        for bad, code in [({"given_on": today + timedelta(days=3)}, "given-on-invalid"),
                          ({"given_on": today - timedelta(days=30)}, "given-on-invalid"),
                          ({"approver_name": "  "}, "text-empty"),
                          ({"party": ValidationParty.ASKING}, "already-approved")]:
            with pytest.raises(DomainError) as caught:
                record(**bad)
            assert caught.value.code == code, bad
        with pytest.raises(NotFound):
            record(version_number=2)
        first = record()
        again = record()  # a retried form
        assert again.id == first.id and first.on_behalf and first.recorded_by_name == "Camille"
        assert first.recorded_by_id == user_id and first.given_on == today and first.comment == "Réunion du soir"
        assert synthesis.latest(db, found).validated_at is None  # the offering community asked for changes
        clock.advance(60)
        replaced = record(party=ValidationParty.OFFERING, approver_name="Osons, à la réunion", note="")
        assert replaced.decision == ValidationDecision.APPROVED and replaced.on_behalf
    with read_session(engine) as db:
        found = db.get(Synthesis, synthesis_id)
        assert found is not None
        state = synthesis.status(db, found)
        assert state.frozen and state.latest.validated_at == clock.now()  # counts like the others
        assert len(db.exec(select(Validation)).all()) == 3
        assert {p for p, v in state.answers.items() if v.on_behalf} == {ValidationParty.OFFERING,
                                                                       ValidationParty.VISITING_GROUP}
    with write_session(engine) as db:
        found = db.get(Synthesis, synthesis_id)
        user = db.get(User, user_id)
        assert found is not None and user is not None
        with pytest.raises(DomainError) as caught:
            synthesis.record_in_person(db, clock, found, user=user, version_number=1, party=ValidationParty.ASKING,
                                       approver_name="X", given_on=today)
        assert caught.value.code == "synthesis-frozen"
        texts = {r: synthesis.regard_of(synthesis.latest(db, found), r) for r in Regard}
        texts[Regard.TRANSITION] = "Ajout.\n"
        synthesis.save(db, clock, found, base_version=1, texts=texts, user=user)
        with pytest.raises(DomainError) as caught:
            synthesis.record_in_person(db, clock, found, user=user, version_number=1, party=ValidationParty.ASKING,
                                       approver_name="X", given_on=today)
        assert caught.value.code == "synthesis-frozen"
        record_v2 = synthesis.record_in_person(db, clock, found, user=user, version_number=2,
                                               party=ValidationParty.ASKING, approver_name="Maire", given_on=today)
        # the party's own answer through its link replaces what was recorded for it
        own = synthesis.answer(db, clock, synthesis.invite_for(db, tokens[ValidationParty.ASKING]), version_number=2,
                               decision=ValidationDecision.APPROVED, approver_name="Maire")
        assert own.id == record_v2.id and not own.on_behalf and own.recorded_by_name == "" and own.given_on is None
