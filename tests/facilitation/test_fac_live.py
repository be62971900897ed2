"""The live session's domain: start, steps, timer, reveal, postures, close, join codes, notes, votes."""

from __future__ import annotations

import random
import threading
from datetime import timedelta

import pytest
from live_factory import DIMENSIONS, POSTURES, planned_session
from sqlalchemy import event, update
from sqlalchemy.engine import Engine
from sqlmodel import col, func, select

from app.clock import FrozenClock
from app.db import is_sqlite, read_session, write_session
from app.facilitation import joining, live, notes, votes
from app.facilitation.enums import MeetingStatus, TimerState
from app.facilitation.errors import DomainError, NotFound
from app.facilitation.phone_state import phone_state
from app.models import AgendaStep, Meeting, Note, Participant, Vote


def _start(engine: Engine, clock: FrozenClock, **kwargs):  # type: ignore[no-untyped-def]
    plan = planned_session(engine, **kwargs)
    with write_session(engine) as db:
        live.start(db, clock, plan.meeting_id, rng=random.Random(7))
    return plan


def _meeting(engine: Engine, meeting_id: int) -> Meeting:
    with read_session(engine) as db:
        meeting = db.get(Meeting, meeting_id)
        assert meeting is not None
        db.expunge(meeting)
        return meeting


def _join(engine: Engine, clock: FrozenClock, meeting_id: int, name: str) -> tuple[Participant, str]:
    with write_session(engine) as db:
        meeting = db.get(Meeting, meeting_id)
        assert meeting is not None
        participant, token = joining.join(db, clock, meeting, joining.JoinForm(name, "habitant", None))
        db.expunge(participant)
    return participant, token


def _post(engine: Engine, clock: FrozenClock, meeting_id: int, participant: Participant | None, key: str,
          text: str = "Une idée", dimension: str = DIMENSIONS[0], *, alone: bool = False,
          meeting: Meeting | None = None) -> tuple[Note, bool]:
    with write_session(engine) as db:
        meeting = meeting or db.get(Meeting, meeting_id)
        assert meeting is not None
        note, created = notes.post(db, clock, meeting, client_key=key, dimension_id=dimension, text=text,
                                   dimensions=DIMENSIONS, participant=participant, alone=alone)
        if note in db:  # a new note comes back transient
            db.expunge(note)
    return note, created


def _post_on_one_connection(engine: Engine, clock: FrozenClock, meeting_id: int, participant: Participant | None,
                            key: str, text: str) -> tuple[Note, bool]:
    """As a phone's post on PostgreSQL (web `_posting`): the lookup and the one-statement post in one
    autocommit session, from one pool checkout. (SQLite posts in a write transaction: `_post`.)"""
    if is_sqlite(engine):
        return _post(engine, clock, meeting_id, participant, key, text, alone=True)
    checkouts: list[object] = []

    def checkout(*_args: object) -> None:
        checkouts.append(_args)

    event.listen(engine, "checkout", checkout)
    try:
        with read_session(engine, latest=True) as db:
            meeting = db.get(Meeting, meeting_id)
            assert meeting is not None
            note, created = notes.post(db, clock, meeting, client_key=key, dimension_id=DIMENSIONS[0], text=text,
                                       dimensions=DIMENSIONS, participant=participant, alone=True)
            if note in db:
                db.expunge(note)
    finally:
        event.remove(engine, "checkout", checkout)
    assert len(checkouts) == 1
    return note, created


def test_start_steps_and_timer(engine: Engine) -> None:
    clock = FrozenClock()
    plan = _start(engine, clock)
    meeting = _meeting(engine, plan.meeting_id)
    assert meeting.status is MeetingStatus.LIVE and meeting.join_code and len(meeting.join_code) == 8
    assert set(meeting.join_code) <= set(joining.ALPHABET) and not set("0O1IL") & set(meeting.join_code)
    assert meeting.current_step_id == plan.step_ids[0]
    assert live.clockface(meeting, clock).remaining_ms == 20 * 60_000
    v0 = meeting.version
    with write_session(engine) as db:
        live.timer_action(db, clock, plan.meeting_id, "start")
    clock.advance(120)
    with write_session(engine) as db:
        m = live.timer_action(db, clock, plan.meeting_id, "extend", minutes=5)
        assert live.clockface(m, clock).remaining_ms == 23 * 60_000
        assert m.version > v0
    clock.advance(60)
    with write_session(engine) as db:
        m = live.go_to(db, clock, plan.meeting_id, seen_step_id=plan.step_ids[0], direction=1)
        assert m.current_step_id == plan.step_ids[1] and m.timer_state is TimerState.STOPPED
        # A second screen that still shows step 1 and presses "next" does not skip step 2.
        with pytest.raises(DomainError) as moved:
            live.go_to(db, clock, plan.meeting_id, seen_step_id=plan.step_ids[0], direction=1)
        assert moved.value.code == "step-moved"
        with pytest.raises(DomainError):
            live.go_to(db, clock, plan.meeting_id, seen_step_id=plan.step_ids[1], direction=-2)
    with read_session(engine) as db:
        first = db.get(AgendaStep, plan.step_ids[0])
        second = db.get(AgendaStep, plan.step_ids[1])
        assert first and second and first.actual_start and first.actual_end and second.actual_start
        assert first.actual_end - first.actual_start == timedelta(seconds=180)
    with write_session(engine) as db:
        m = live.close(db, clock, plan.meeting_id)
        assert m.status is MeetingStatus.CLOSED and m.closed_at == clock.now()
        with pytest.raises(DomainError):
            joining.meeting_for_code(db, m.join_code or "")
        with pytest.raises(DomainError):
            live.start(db, clock, plan.meeting_id)


def test_reveal_and_postures(engine: Engine) -> None:
    clock = FrozenClock()
    plan = _start(engine, clock)
    with write_session(engine) as db:
        m = live.reveal(db, clock, plan.meeting_id, DIMENSIONS[0], dimensions=DIMENSIONS)
        assert m.revealed_dimensions == [DIMENSIONS[0]] and m.wall_epoch == 2
        for made_up in ("dim-inconnue", "x" * 900_000, ""):  # only the grid's dimensions are stored
            with pytest.raises(DomainError) as refused:
                live.reveal(db, clock, plan.meeting_id, made_up, dimensions=DIMENSIONS)
            assert refused.value.code == "bad-dimension"
        assert db.get(Meeting, plan.meeting_id).revealed_dimensions == [DIMENSIONS[0]]  # type: ignore[union-attr]
        m = live.show_posture(db, clock, plan.meeting_id, candidates=POSTURES, rng=random.Random(1))
        first = m.shown_posture_id
        m = live.show_posture(db, clock, plan.meeting_id, candidates=POSTURES, rng=random.Random(1))
        assert {first, m.shown_posture_id} == set(POSTURES)  # drawing again shows the other card
        m = live.show_posture(db, clock, plan.meeting_id, candidates=POSTURES, chosen=POSTURES[0])
        assert m.shown_posture_id == POSTURES[0]
        with pytest.raises(NotFound):
            live.show_posture(db, clock, plan.meeting_id, candidates=POSTURES, chosen="posture-inconnue")


def test_join_codes() -> None:
    assert joining.normalise_code("abcd efgh") == "ABCDEFGH"
    assert joining.normalise_code("ABCD-EFGH") == "ABCDEFGH"
    assert joining.normalise_code("ABCD-EFG0") is None  # 0 is never in a code
    assert joining.normalise_code("ABC") is None
    assert joining.display_code("ABCDEFGH") == "ABCD-EFGH"
    assert len(joining.ALPHABET) == 31 and not set("0O1IL") & set(joining.ALPHABET)


def test_join_and_resume(engine: Engine) -> None:
    clock = FrozenClock()
    plan = _start(engine, clock)
    participant, token = _join(engine, clock, plan.meeting_id, "  Dominique\u0007 ")
    assert participant.name == "Dominique"
    with read_session(engine) as db:
        stored = db.get(Participant, participant.id)
        assert stored and stored.token_hash != token and len(stored.token_hash) == 64
        assert joining.participant_for_token(db, plan.meeting_id, token) == stored
        assert joining.participant_for_token(db, plan.meeting_id + 1, token) is None
        assert joining.participant_for_token(db, plan.meeting_id, token + "x") is None
        meeting = db.get(Meeting, plan.meeting_id)
        assert meeting is not None
        for form, code in [(joining.JoinForm("", "habitant", None), "name-missing"),
                           (joining.JoinForm("x" * 81, "habitant", None), "name-too-long"),
                           (joining.JoinForm("Alex", "roi", None), "bad-role"),
                           (joining.JoinForm("Alex", "habitant", 9999), "bad-community")]:
            with pytest.raises(DomainError) as refused:
                joining.join(db, clock, meeting, form)
            assert refused.value.code == code


@pytest.mark.parametrize("alone", [False, True, "one-connection"], ids=["in-transaction", "alone", "one-connection"])
def test_post_is_idempotent_and_edit_own_only(engine: Engine, alone: bool | str) -> None:
    """The ways of storing a post (`alone`: one statement committed by itself on PostgreSQL; on one
    connection with the phone's lookup, as the web post does there)."""
    clock = FrozenClock()
    plan = _start(engine, clock)
    alice, _ = _join(engine, clock, plan.meeting_id, "Alice")
    bob, _ = _join(engine, clock, plan.meeting_id, "Bob")

    def post(who: Participant, key: str, text: str) -> tuple[Note, bool]:
        if alone == "one-connection":
            return _post_on_one_connection(engine, clock, plan.meeting_id, who, key, text)
        return _post(engine, clock, plan.meeting_id, who, key, text, alone=bool(alone))

    before = _meeting(engine, plan.meeting_id).version
    note, created = post(alice, "key-00000001", "Une ressourcerie partagée")
    # Stamped with the version its post gave the session, and stored (read from another session).
    assert note.created_version == note.changed_version == _meeting(engine, plan.meeting_id).version == before + 1
    with read_session(engine) as db:
        stored = db.get(Note, note.id)
        assert stored is not None and stored.text == "Une ressourcerie partagée"
        assert stored.created_version == before + 1 and stored.participant_id == alice.id
    again, created_again = post(alice, "key-00000001", "Une ressourcerie partagée")
    assert created and not created_again and again.id == note.id
    with pytest.raises(DomainError) as taken:
        post(bob, "key-00000001", "Une ressourcerie partagée")
    assert taken.value.code == "key-taken"
    # A stale form (its key already used for another note) is not a retry: the new note is kept, once.
    stale, stale_created = post(alice, "key-00000001", "Un atelier vélo")
    stale_again, stale_created_again = post(alice, "key-00000001", "Un atelier vélo")
    assert stale_created and not stale_created_again and stale.id == stale_again.id != note.id
    with read_session(engine) as db:
        assert db.exec(select(func.count()).select_from(Note)).one() == 2
    with write_session(engine) as db:
        meeting = db.get(Meeting, plan.meeting_id)
        assert meeting is not None
        with pytest.raises(NotFound):
            notes.edit(db, clock, meeting, bob, note.id or 0, "Réécrit par Bob")
        with pytest.raises(NotFound):
            notes.delete_own(db, clock, meeting, bob, note.id or 0)
        assert notes.edit(db, clock, meeting, alice, note.id or 0, "Une recyclerie partagée").text.startswith("Une rec")
    for bad, code in [({"key": "short"}, "bad-key"), ({"text": "   "}, "note-empty"),
                      ({"text": "x" * 501}, "note-too-long"), ({"dimension": "dim-inconnue"}, "bad-dimension")]:
        with pytest.raises(DomainError) as refused:
            _post(engine, clock, plan.meeting_id, alice, bad.get("key", "key-0000bad1"), bad.get("text", "Texte"),
                  bad.get("dimension", DIMENSIONS[0]))
        assert refused.value.code == code
    # A phone that read the session just before it closed: the store itself refuses.
    still_live = _meeting(engine, plan.meeting_id)
    with write_session(engine) as db:
        live.close(db, clock, plan.meeting_id)
    with pytest.raises(DomainError) as closed:
        _post(engine, clock, plan.meeting_id, alice, "key-00000002", "Trop tard", alone=alone, meeting=still_live)
    assert closed.value.code == "session-not-live"
    with read_session(engine) as db:
        assert db.exec(select(func.count()).select_from(Note)).one() == 2


def test_hidden_notes_and_deltas(engine: Engine) -> None:
    clock = FrozenClock()
    plan = _start(engine, clock)
    alice, _ = _join(engine, clock, plan.meeting_id, "Alice")
    bob, _ = _join(engine, clock, plan.meeting_id, "Bob")
    _post(engine, clock, plan.meeting_id, alice, "key-alice-001", "Secret de coopération", DIMENSIONS[0])
    _post(engine, clock, plan.meeting_id, alice, "key-alice-002", "Participation réelle", DIMENSIONS[1])
    with read_session(engine) as db:
        meeting = db.get(Meeting, plan.meeting_id)
        assert meeting is not None
        bob_wall = notes.wall(db, meeting, notes.participant_viewer(bob))
        assert bob_wall.notes == [] and bob_wall.hidden_counts == {DIMENSIONS[0]: 1, DIMENSIONS[1]: 1}
        assert len(notes.wall(db, meeting, notes.participant_viewer(alice)).notes) == 2
        assert notes.wall(db, meeting, notes.PROJECTION).notes == []
        assert len(notes.wall(db, meeting, notes.FACILITATOR).notes) == 2
        seen = meeting.version
    with write_session(engine) as db:
        live.reveal(db, clock, plan.meeting_id, DIMENSIONS[0], dimensions=DIMENSIONS)
    _post(engine, clock, plan.meeting_id, alice, "key-alice-003", "Encore la coopération", DIMENSIONS[0])
    with read_session(engine) as db:
        meeting = db.get(Meeting, plan.meeting_id)
        assert meeting is not None
        texts = [n.text for n in notes.wall(db, meeting, notes.participant_viewer(bob)).notes]
        assert texts == ["Secret de coopération", "Encore la coopération"]
        delta = notes.wall(db, meeting, notes.participant_viewer(bob), since=seen)
        assert [n.text for n in delta.notes] == ["Encore la coopération"] and delta.epoch > 1


def test_moderation_with_undo(engine: Engine) -> None:
    clock = FrozenClock()
    plan = _start(engine, clock, notes_hidden=False)
    alice, _ = _join(engine, clock, plan.meeting_id, "Alice")
    first, _ = _post(engine, clock, plan.meeting_id, alice, "key-mod-0001", "Monnaie locale")
    second, _ = _post(engine, clock, plan.meeting_id, alice, "key-mod-0002", "Une monnaie locale")
    with write_session(engine) as db:
        meeting = db.get(Meeting, plan.meeting_id)
        assert meeting is not None
        notes.moderate(db, clock, meeting, second.id or 0, "merge", into_id=first.id)
        notes.moderate(db, clock, meeting, first.id or 0, "hide")
    with read_session(engine) as db:
        meeting = db.get(Meeting, plan.meeting_id)
        assert meeting is not None
        facilitator = notes.wall(db, meeting, notes.FACILITATOR).notes
        assert [(n.text, n.hidden, n.merged) for n in facilitator] == [("Monnaie locale", True,
                                                                        ("Une monnaie locale",))]
        assert notes.wall(db, meeting, notes.PROJECTION).notes == []
    with write_session(engine) as db:
        meeting = db.get(Meeting, plan.meeting_id)
        assert meeting is not None
        notes.moderate(db, clock, meeting, first.id or 0, "show")
        notes.moderate(db, clock, meeting, first.id or 0, "delete")
        assert [d[0] for d in notes.deleted_notes(db, plan.meeting_id)] == [first.id]
        notes.moderate(db, clock, meeting, first.id or 0, "restore")
    with read_session(engine) as db:
        meeting = db.get(Meeting, plan.meeting_id)
        assert meeting is not None
        assert [n.text for n in notes.wall(db, meeting, notes.PROJECTION).notes] == ["Monnaie locale"]


def test_vote_limit(engine: Engine) -> None:
    clock = FrozenClock()
    plan = _start(engine, clock, votes=2, notes_hidden=False)
    alice, _ = _join(engine, clock, plan.meeting_id, "Alice")
    posted = [_post(engine, clock, plan.meeting_id, alice, f"key-vote-{i:04d}", f"Idée {i}")[0] for i in range(3)]
    with write_session(engine) as db:
        meeting = db.get(Meeting, plan.meeting_id)
        assert meeting is not None
        assert votes.vote(db, clock, meeting, alice, posted[0].id or 0)
        assert not votes.vote(db, clock, meeting, alice, posted[0].id or 0)  # the same dot twice: no-op
        assert votes.vote(db, clock, meeting, alice, posted[1].id or 0)
        with pytest.raises(DomainError) as limit:
            votes.vote(db, clock, meeting, alice, posted[2].id or 0)
        assert limit.value.code == "vote-limit"
        assert votes.unvote(db, clock, meeting, alice, posted[1].id or 0)
        assert votes.vote(db, clock, meeting, alice, posted[2].id or 0)
        assert votes.used(db, alice.id or 0) == 2


def test_a_phone_poll_reads_its_state_in_one_statement(engine: Engine) -> None:
    """`phone_state`: the session, the participant, the current step and the ballot, in one statement,
    equal to what the separate queries give; None for a token of another session or a wrong uuid."""
    clock = FrozenClock()
    plan = _start(engine, clock, votes=3, notes_hidden=False)
    alice, alice_token = _join(engine, clock, plan.meeting_id, "Alice")
    bob, _ = _join(engine, clock, plan.meeting_id, "Bob")
    other = _start(engine, clock, title="Une autre visite")
    _stranger, stranger_token = _join(engine, clock, other.meeting_id, "Sacha")
    posted = [_post(engine, clock, plan.meeting_id, bob, f"key-state-{i:04d}", f"Idée {i}")[0] for i in range(3)]
    meeting = _meeting(engine, plan.meeting_id)
    with read_session(engine) as db:
        state = phone_state(db, meeting.uuid, alice_token)
        assert state is not None and (state.voted, state.standing_votes) == (frozenset(), 0)
        assert state.participant.id == alice.id and state.meeting.version == meeting.version
        assert state.step is not None and state.step.id == plan.step_ids[0]
        assert state.step.dimensions == DIMENSIONS[:1]  # JSON read back as a list
    with write_session(engine) as db:
        live_meeting = db.get(Meeting, plan.meeting_id)
        assert live_meeting is not None
        for note in posted[:2]:
            votes.vote(db, clock, live_meeting, alice, note.id or 0)
        notes.moderate(db, clock, live_meeting, posted[0].id or 0, "delete")
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        with read_session(engine) as db:
            state = phone_state(db, meeting.uuid, alice_token)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1
    assert state is not None
    with read_session(engine) as db:
        assert (set(state.voted), state.standing_votes) == votes.ballot(db, alice.id or 0)
    # A vote on a deleted note is still the participant's (shown if the note comes back), not counted.
    assert state.voted == {posted[0].id, posted[1].id} and state.standing_votes == 1
    with write_session(engine) as db:
        db.execute(update(Meeting).where(col(Meeting.id) == plan.meeting_id).values(current_step_id=None))
    with read_session(engine) as db:
        state = phone_state(db, meeting.uuid, alice_token)
        assert state is not None and state.step is None and state.participant.id == alice.id
        assert phone_state(db, meeting.uuid, stranger_token) is None  # a token of another session
        assert phone_state(db, meeting.uuid, "not-a-token") is None
        assert phone_state(db, meeting.uuid, None) is None
        assert phone_state(db, "00000000-0000-0000-0000-000000000000", alice_token) is None


def test_vote_limit_holds_under_concurrency(engine: Engine) -> None:
    """Eight taps at once from one participant with two votes left: exactly two are stored."""
    clock = FrozenClock()
    plan = _start(engine, clock, votes=2, notes_hidden=False)
    alice, _ = _join(engine, clock, plan.meeting_id, "Alice")
    posted = [_post(engine, clock, plan.meeting_id, alice, f"key-race-{i:04d}", f"Idée {i}")[0] for i in range(8)]
    outcomes: list[str] = []
    barrier = threading.Barrier(len(posted))

    def tap(note_id: int) -> None:
        barrier.wait()
        try:
            with write_session(engine) as db:
                meeting = db.get(Meeting, plan.meeting_id)
                assert meeting is not None
                votes.vote(db, clock, meeting, alice, note_id)
            outcomes.append("ok")
        except DomainError as error:
            outcomes.append(error.code)

    threads = [threading.Thread(target=tap, args=(n.id,)) for n in posted]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok", "ok"] + ["vote-limit"] * 6
    with read_session(engine) as db:
        assert db.exec(select(func.count()).select_from(Vote)).one() == 2


def test_concurrent_posts_keep_versions_in_order(engine: Engine) -> None:
    """Posts from many threads: each stored once, every version distinct, deltas miss nothing."""
    clock = FrozenClock()
    plan = _start(engine, clock, notes_hidden=False)
    alice, _ = _join(engine, clock, plan.meeting_id, "Alice")
    errors: list[BaseException] = []

    def send(i: int) -> None:
        try:
            for attempt in range(2):  # every post is retried once: still stored once
                _post(engine, clock, plan.meeting_id, alice, f"key-conc-{i:04d}-{attempt * 0}", f"Note {i}")
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with read_session(engine) as db:
        rows = db.exec(select(Note.created_version)).all()
        assert len(rows) == 12 and len(set(rows)) == 12
