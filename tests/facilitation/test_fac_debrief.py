"""Debrief clusters and impression notes (domain)."""

from __future__ import annotations

import pytest
from after_factory import make_session
from sqlalchemy.engine import Engine
from sqlmodel import select

from app.clock import FrozenClock
from app.db import read_session, write_session
from app.facilitation import debrief, impressions
from app.facilitation.enums import MeetingStatus
from app.facilitation.errors import DomainError, NotFound
from app.models import Meeting, Note, Participant


def test_clusters_within_and_across_dimensions(engine: Engine) -> None:
    clock = FrozenClock()
    made = make_session(engine, notes=12)
    other = make_session(engine, facilitator=None, notes=2, title="Autre séance")
    with write_session(engine) as db:
        meeting = db.get(Meeting, made.meeting_id)
        assert meeting is not None
        version = meeting.version
        lieu = debrief.create_cluster(db, clock, meeting, "Le lieu")
        gouv = debrief.create_cluster(db, clock, meeting, "Gouvernance")
        assert debrief.move_notes(db, clock, meeting, made.note_ids[0:2], lieu.id) == 2  # two dimensions
        debrief.move_notes(db, clock, meeting, [made.note_ids[6]], gouv.id)  # same dimension as note 0
        debrief.move_notes(db, clock, meeting, [made.note_ids[1]], gouv.id)  # moved: one cluster only
        lieu_id, gouv_id = lieu.id or 0, gouv.id or 0
        with pytest.raises(NotFound):  # a note of another session
            debrief.move_notes(db, clock, meeting, [other.note_ids[0]], lieu_id)
        with pytest.raises(DomainError) as caught:
            debrief.create_cluster(db, clock, meeting, "   ")
        assert caught.value.code == "text-empty"
    with read_session(engine) as db:
        board = debrief.board(db, made.meeting_id)
        meeting = db.get(Meeting, made.meeting_id)
        assert meeting is not None and meeting.version > version
    names = {c.cluster.name: c for c in board.clusters}
    assert [n.note.id for n in names["Le lieu"].notes] == [made.note_ids[0]]
    assert sorted(n.note.id for n in names["Gouvernance"].notes) == sorted([made.note_ids[1], made.note_ids[6]])
    assert names["Gouvernance"].dimensions and len(set(names["Gouvernance"].dimensions)) == 2
    assert board.note_count == 12
    # votes: note 0 has one vote, note 1 two (factory)
    assert names["Le lieu"].votes == 1
    with write_session(engine) as db:
        meeting = db.get(Meeting, made.meeting_id)
        assert meeting is not None
        debrief.delete_cluster(db, meeting, gouv_id)
        with pytest.raises(NotFound):
            debrief.get_cluster(db, other.meeting_id, lieu_id)
    with read_session(engine) as db:
        board = debrief.board(db, made.meeting_id)
    assert len(board.clusters) == 1 and sum(len(v) for v in board.loose.values()) == 11



def test_a_participant_sees_on_the_board_only_what_their_wall_shows(engine: Engine) -> None:
    """A board made while the session runs hides, from a participant, the others' notes of a dimension
    not yet revealed, and the vote counts until votes are revealed; once closed, it is the result."""
    clock = FrozenClock()
    made = make_session(engine, notes=8, participants=2)
    with write_session(engine) as db:
        meeting = db.get(Meeting, made.meeting_id)
        assert meeting is not None
        meeting.status, meeting.closed_at = MeetingStatus.LIVE, None
        meeting.notes_hidden, meeting.votes_revealed, meeting.revealed_dimensions = True, False, []
        db.add(meeting)
        db.flush()
        everything = debrief.create_cluster(db, clock, meeting, "Tout")
        debrief.move_notes(db, clock, meeting, made.note_ids, everything.id)
        me = db.get(Participant, made.participant_ids[0])
        assert me is not None
        db.expunge(me)
        notes = {n.id or 0: (n.participant_id, n.dimension_id)
                 for n in db.exec(select(Note).where(Note.meeting_id == made.meeting_id)).all()}
        mine = {i for i, (author, _dimension) in notes.items() if author == me.id}
        first_dimension = notes[made.note_ids[1]][1]  # a note of the other participant

    def seen() -> tuple[set[int], int]:
        with read_session(engine) as db:
            board = debrief.board(db, made.meeting_id, shown_to=me)
        return {item.note.id or 0 for c in board.clusters for item in c.notes}, sum(c.votes for c in board.clusters)

    def change(**values: object) -> None:
        with write_session(engine) as db:
            meeting = db.get(Meeting, made.meeting_id)
            assert meeting is not None
            for name, value in values.items():
                setattr(meeting, name, value)
            db.add(meeting)

    assert seen() == (mine, 0)
    change(revealed_dimensions=[first_dimension])
    revealed = {i for i, (_author, dimension) in notes.items() if dimension == first_dimension}
    assert seen() == (mine | revealed, 0) and revealed - mine
    change(votes_revealed=True)
    assert seen()[1] > 0
    change(status=MeetingStatus.CLOSED, votes_revealed=False)
    assert seen()[0] == set(made.note_ids)
    with read_session(engine) as db:  # the facilitator's board, live or not, shows every note
        assert debrief.board(db, made.meeting_id).note_count == 8

def test_impression_drafts_conflicts_send_and_follow_up(engine: Engine) -> None:
    clock = FrozenClock()
    made = make_session(engine, participants=4)
    with write_session(engine) as db:
        meeting = db.get(Meeting, made.meeting_id)
        first = db.get(Participant, made.participant_ids[0])
        assert meeting is not None and first is not None
        note = impressions.save(db, clock, meeting, first, text="Début", consent=False, base_version=0)
        assert note.version == 1 and note.submitted_at is None and not note.consent_report
        again = impressions.save(db, clock, meeting, first, text="Début", consent=False, base_version=0)
        assert again.version == 1  # a retried autosave
        with pytest.raises(DomainError) as caught:  # another tab still at version 0
            impressions.save(db, clock, meeting, first, text="Autre", consent=False, base_version=0)
        assert caught.value.code == "impression-conflict"
        hostile = "<script>alert(1)</script> \u202egnp.exe 😀 file:///etc/passwd " + "x" * 9000
        sent = impressions.save(db, clock, meeting, first, text=hostile, consent=True, base_version=1, send=True)
        assert sent.submitted_at == clock.now() and sent.text == hostile and sent.consent_report
        with pytest.raises(DomainError) as caught:
            impressions.save(db, clock, meeting, first, text="x" * 20_000, consent=True, base_version=2)
        assert caught.value.code == "text-too-long"
        second = db.get(Participant, made.participant_ids[1])
        assert second is not None
        impressions.save(db, clock, meeting, second, text="brouillon", consent=False, base_version=0)
    with read_session(engine) as db:
        groups = impressions.follow_up(db, made.meeting_id)
        consented = impressions.sent_with_consent(db, made.meeting_id)
    assert [g.community.name if g.community else None for g in groups] == ["Collectif Osons", "Commune d'Ardes"]
    by_name = {row.participant.name: row for g in groups for row in g.rows}
    assert by_name["Participant·e 1"].sent and by_name["Participant·e 2"].drafting
    assert not by_name["Participant·e 3"].sent and groups[1].sent == 1
    assert [n.participant_id for n in consented] == [made.participant_ids[0]]


def test_impression_saves_from_the_same_page_never_conflict(engine: Engine) -> None:
    clock = FrozenClock()
    made = make_session(engine, participants=2)
    with write_session(engine) as db:
        meeting = db.get(Meeting, made.meeting_id)
        person = db.get(Participant, made.participant_ids[0])
        assert meeting is not None and person is not None
        impressions.save(db, clock, meeting, person, text="a", consent=False, base_version=0, editor="page-1")
        impressions.save(db, clock, meeting, person, text="ab", consent=True, base_version=1, editor="page-1")
        # the send button left with version 1 while the consent autosave made version 2: same page, accepted
        sent = impressions.save(db, clock, meeting, person, text="abc", consent=True, base_version=1,
                                editor="page-1", send=True)
        assert sent.text == "abc" and sent.submitted_at is not None
        with pytest.raises(DomainError):  # another page still at version 1
            impressions.save(db, clock, meeting, person, text="x", consent=True, base_version=1, editor="page-2")
