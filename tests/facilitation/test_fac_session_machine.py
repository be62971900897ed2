"""The life of a live session as a Hypothesis state machine, checked against a small model.

Participants join, post (and retry their posts), edit, vote and take votes back; the facilitator
hides and shows notes, reveals dimensions and closes the session; at any point the accompaniment
may be exported and imported into a fresh database. After every step the real wall of every
participant (through `notes.wall`) must match what the model says they may see, no one has used
more votes than the limit, and a closed session refuses joins, posts and votes. An imported copy
must give every participant the same wall and an identical snapshot; importing it twice changes
nothing. Run on SQLite with a small budget (a few seconds).
"""

from __future__ import annotations

import itertools
import json
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from live_factory import DIMENSIONS, planned_session
from sqlalchemy.engine import Engine
from sqlite_template import sqlite_copy
from sqlmodel import select

from app.clock import FrozenClock
from app.db import make_engine, read_session, write_session
from app.facilitation import joining, live, notes, transfer, votes
from app.facilitation.errors import DomainError, NotFound
from app.facilitation.phone_state import phone_state
from app.models import Accompaniment, Meeting, Note, Participant

LIMIT = 2
DIMS = DIMENSIONS[:2]  # two dimensions: reveals and posts meet often
TEXTS = ["Le lieu partagé compte", "Élu·es présent·es", "😀 « ok » !", "<script>alert(1)</script>", "a\nb"]
NAMES = ["Camille", "Dominique", "Sacha", "Lou"]


@dataclass
class ModelNote:
    author: str  # participant uuid
    dimension: str
    text: str
    hidden: bool = False


@dataclass
class Model:
    live: bool = True
    participants: list[str] = field(default_factory=list)  # uuids, in joining order
    notes: dict[str, ModelNote] = field(default_factory=dict)  # by uuid
    votes: set[tuple[str, str]] = field(default_factory=set)  # (participant, note)
    revealed: set[str] = field(default_factory=set)

    def visible(self, participant: str) -> dict[str, str]:
        """Note uuid -> text, as this participant's phone must show them."""
        return {key: n.text for key, n in self.notes.items()
                if n.author == participant or (not n.hidden and n.dimension in self.revealed)}

    def used(self, participant: str) -> int:
        return sum(1 for who, _ in self.votes if who == participant)


def _walls(engine: Engine, tokens: dict[str, str] | None = None,
           ) -> tuple[dict[str, dict[str, str]], dict[str, int], dict[str, int]]:
    """Per participant uuid: the notes their wall shows; votes they used; facilitator's counts per note.

    With `tokens` (participant uuid -> token): what a phone's poll reads in one statement
    (`phone_state`) must agree with the queries it replaces."""
    with read_session(engine) as db:
        meeting = db.exec(select(Meeting)).one()
        people = db.exec(select(Participant).where(Participant.meeting_id == meeting.id)).all()
        walls, used = {}, {}
        for person in people:
            wall = notes.wall(db, meeting, notes.participant_viewer(person))
            walls[person.uuid] = {n.uuid: n.text for n in wall.notes}
            used[person.uuid] = votes.used(db, person.id or 0)
            mine, standing = votes.ballot(db, person.id or 0)  # what a phone's poll reads instead
            assert standing == used[person.uuid] and {n.id for n in wall.notes if n.voted} <= mine
            if tokens is not None:
                state = phone_state(db, meeting.uuid, tokens[person.uuid])
                assert state is not None and state.participant.id == person.id and state.meeting.id == meeting.id
                assert (state.voted, state.standing_votes) == (mine, standing)
                assert (state.step.id if state.step else None) == meeting.current_step_id
        counts = {n.uuid: n.votes or 0 for n in notes.wall(db, meeting, notes.FACILITATOR).notes}
    return walls, used, counts


class LiveSession(RuleBasedStateMachine):
    """One planned session, started; the rules are what phones and the console do."""

    @initialize()
    def setup(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="mallette-machine-"))
        self.engine = make_engine(sqlite_copy(self.folder / "laptop.sqlite3"))
        self.clock = FrozenClock()
        made = planned_session(self.engine, votes=LIMIT, notes_hidden=True)
        self.meeting_id = made.meeting_id
        with write_session(self.engine) as db:
            live.start(db, self.clock, self.meeting_id)
            self.acc_uuid = db.get(Accompaniment, made.accompaniment_id).uuid  # type: ignore[union-attr]
        self.model = Model()
        self.ids: dict[str, int] = {}  # uuid -> id, participants and notes
        self.tokens: dict[str, str] = {}  # participant uuid -> the token their phone holds
        self.last_post: tuple[str, str, str, str, str] | None = None  # participant, key, dimension, text, note
        self.stale_stored: set[tuple[str, str, str]] = set()  # (key, dimension, text) of stale forms stored
        self.copies = itertools.count()
        for name in NAMES[:2]:  # two phones in the room from the start, a note each per dimension,
            self.join(name)  # and one dimension revealed: every rule has something to act on
        for who, dimension in itertools.product(range(2), DIMS):
            self.post(who, dimension, TEXTS[who])
        self.reveal(DIMS[0], True)

    def teardown(self) -> None:
        if hasattr(self, "engine"):
            self.engine.dispose()
            shutil.rmtree(self.folder, ignore_errors=True)

    # -- helpers
    def _meeting(self, db):  # type: ignore[no-untyped-def]
        meeting = db.get(Meeting, self.meeting_id)
        assert meeting is not None
        return meeting

    def _participant(self, db, index: int) -> Participant:  # type: ignore[no-untyped-def]
        person = db.get(Participant, self.ids[self.model.participants[index % len(self.model.participants)]])
        assert person is not None
        return person

    def _note_uuid(self, index: int) -> str:
        # In posting order, not by (random) uuid: a replayed case must pick the same note.
        return list(self.model.notes)[index % len(self.model.notes)]

    # -- phones
    @rule(name=st.sampled_from(NAMES))
    def join(self, name: str) -> None:
        with write_session(self.engine) as db:
            meeting = self._meeting(db)
            if not self.model.live:
                try:
                    joining.join(db, self.clock, meeting, joining.JoinForm(name, "habitant", None))
                except DomainError as error:
                    assert error.code == "code-expired"
                    return
                raise AssertionError("a closed session let someone join")
            person, token = joining.join(db, self.clock, meeting, joining.JoinForm(name, "habitant", None))
            self.ids[person.uuid] = person.id or 0
            self.tokens[person.uuid] = token
            self.model.participants.append(person.uuid)

    def _post(self, who: int, key: str, dimension: str, text: str) -> None:
        with write_session(self.engine) as db:
            meeting, person = self._meeting(db), self._participant(db, who)
            try:
                note, created = notes.post(db, self.clock, meeting, client_key=key, dimension_id=dimension,
                                           text=text, dimensions=DIMENSIONS, participant=person)
            except DomainError as error:
                assert not self.model.live and error.code == "session-not-live"
                return
            assert self.model.live, "a closed session took a note"
            if created:
                assert note.uuid not in self.model.notes
                self.ids[note.uuid] = note.id or 0
                self.model.notes[note.uuid] = ModelNote(person.uuid, dimension, notes.clean_text(text))
            else:  # a retry of the same post: stored once
                assert note.uuid in self.model.notes and self.model.notes[note.uuid].author == person.uuid
            if self.last_post is None or self.last_post[1] != key:
                self.last_post = (person.uuid, key, dimension, text, note.uuid)

    @precondition(lambda self: self.model.participants)
    @rule(who=st.integers(0, 9), dimension=st.sampled_from(DIMS), text=st.sampled_from(TEXTS))
    def post(self, who: int, dimension: str, text: str) -> None:
        self._post(who, uuid.uuid4().hex, dimension, text)

    @precondition(lambda self: self.last_post is not None)
    @rule()
    def retry_last_post(self) -> None:
        assert self.last_post is not None
        author, key, dimension, text, note_uuid = self.last_post
        # A true retry is stored once; once the note was edited, the same key with the old text is
        # a stale form (a page restored from history): kept as a new note, not lost.
        # That stale form's own retries then land once.
        stale = self.model.notes[note_uuid].text != notes.clean_text(text)
        form = (key, dimension, notes.clean_text(text))
        new = stale and self.model.live and form not in self.stale_stored
        count = len(self.model.notes)
        self._post(self.model.participants.index(author), key, dimension, text)
        assert len(self.model.notes) == count + (1 if new else 0)
        if new:
            self.stale_stored.add(form)

    @precondition(lambda self: self.model.notes)
    @rule(who=st.integers(0, 9), which=st.integers(0, 99), text=st.sampled_from(TEXTS))
    def edit(self, who: int, which: int, text: str) -> None:
        note_uuid = self._note_uuid(which)
        with write_session(self.engine) as db:
            meeting, person = self._meeting(db), self._participant(db, who)
            own = self.model.notes[note_uuid].author == person.uuid
            try:
                notes.edit(db, self.clock, meeting, person, self.ids[note_uuid], text)
            except NotFound:
                assert not own and self.model.live
                return
            except DomainError as error:
                assert not self.model.live and error.code == "session-not-live"
                return
            assert own and self.model.live, "edited someone else's note, or a closed session's"
            self.model.notes[note_uuid].text = notes.clean_text(text)

    @precondition(lambda self: self.model.notes and self.model.participants)
    @rule(who=st.integers(0, 9), which=st.integers(0, 99), take_back=st.sampled_from([False, False, True]),
          seen=st.booleans())
    def vote(self, who: int, which: int, take_back: bool, seen: bool) -> None:
        """A vote (or taking it back) on a note; `seen`: one of those the model says they can see."""
        with write_session(self.engine) as db:
            meeting, person = self._meeting(db), self._participant(db, who)
            choices = list(self.model.visible(person.uuid)) if seen else list(self.model.notes)
            note_uuid = choices[which % len(choices)] if choices else self._note_uuid(which)
            pair = (person.uuid, note_uuid)
            try:
                if take_back:
                    changed = votes.unvote(db, self.clock, meeting, person, self.ids[note_uuid])
                else:
                    changed = votes.vote(db, self.clock, meeting, person, self.ids[note_uuid])
            except NotFound:
                assert note_uuid not in self.model.visible(person.uuid)
                return
            except DomainError as error:
                if error.code == "vote-limit":
                    assert self.model.used(person.uuid) >= LIMIT and pair not in self.model.votes
                else:
                    assert not self.model.live and error.code == "session-not-live"
                return
            assert self.model.live
            if take_back:
                assert changed == (pair in self.model.votes)
                self.model.votes.discard(pair)
            else:
                assert note_uuid in self.model.visible(person.uuid), "voted for a note they cannot see"
                assert changed == (pair not in self.model.votes)
                self.model.votes.add(pair)

    # -- the console
    @precondition(lambda self: self.model.notes)
    @rule(which=st.integers(0, 99), hide=st.booleans())
    def moderate(self, which: int, hide: bool) -> None:
        note_uuid = self._note_uuid(which)
        with write_session(self.engine) as db:
            notes.moderate(db, self.clock, self._meeting(db), self.ids[note_uuid], "hide" if hide else "show")
        self.model.notes[note_uuid].hidden = hide

    @rule(dimension=st.sampled_from(DIMS), shown=st.booleans())
    def reveal(self, dimension: str, shown: bool) -> None:
        with write_session(self.engine) as db:
            try:
                live.reveal(db, self.clock, self.meeting_id, dimension, shown, dimensions=DIMENSIONS)
            except DomainError:
                assert not self.model.live
                return
        assert self.model.live
        (self.model.revealed.add if shown else self.model.revealed.discard)(dimension)

    @precondition(lambda self: self.model.live)
    @rule()
    def close(self) -> None:
        with write_session(self.engine) as db:
            live.close(db, self.clock, self.meeting_id)
        self.model.live = False

    # -- laptop to server
    @rule()
    def export_import(self) -> None:
        with read_session(self.engine) as db:
            acc_id = db.exec(select(Accompaniment.id).where(Accompaniment.uuid == self.acc_uuid)).one()
            raw = json.dumps(transfer.export_accompaniment(db, self.clock, acc_id or 0)).encode()
        document = transfer.read_document(raw)
        copy = make_engine(sqlite_copy(self.folder / f"server-{next(self.copies)}.sqlite3"))
        try:
            with write_session(copy) as db:
                report = transfer.import_document(db, self.clock, document)
            assert report.conflicts == [] and report.problems == []
            with write_session(copy) as db:
                assert transfer.import_document(db, self.clock, document).changes == 0
            with read_session(copy) as db, read_session(self.engine) as here:
                assert transfer.snapshot(db, self.clock, self.acc_uuid) == \
                    transfer.snapshot(here, self.clock, self.acc_uuid)
            assert _walls(copy) == _walls(self.engine)
            self._check(copy)
        finally:
            copy.dispose()

    # -- what must always hold
    def _check(self, engine: Engine) -> None:
        walls, used, counts = _walls(engine, self.tokens if engine is self.engine else None)
        assert set(walls) == set(self.model.participants)
        for participant, wall in walls.items():
            assert wall == self.model.visible(participant)
            assert used[participant] == self.model.used(participant) <= LIMIT
        expected = {key: sum(1 for _, n in self.model.votes if n == key) for key in self.model.notes}
        assert counts == expected

    @invariant()
    def walls_match_the_model(self) -> None:
        if hasattr(self, "engine"):
            self._check(self.engine)

    @invariant()
    def screens_follow_by_deltas(self) -> None:
        """Each phone polls as its page does: a whole wall first and after a reshape (new epoch),
        otherwise only what changed since the version it has, applied as the page applies it (new
        notes inserted, changed ones replaced where they are). Its screen must equal its whole wall."""
        if not hasattr(self, "engine"):
            return
        if not hasattr(self, "screens"):
            self.screens: dict[str, tuple[int, int, dict[str, str]]] = {}
        with read_session(self.engine) as db:
            meeting = self._meeting(db)
            people = db.exec(select(Participant).where(Participant.meeting_id == meeting.id)).all()
            for person in people:
                viewer = notes.participant_viewer(person)
                held = self.screens.get(person.uuid)
                if held is None or held[1] != meeting.wall_epoch:
                    shown = {n.uuid: n.text for n in notes.wall(db, meeting, viewer).notes}
                else:
                    seen, _epoch, shown = held
                    shown = dict(shown)
                    for n in notes.wall(db, meeting, viewer, since=seen).notes:
                        if n.created_version > seen or n.uuid in shown:
                            shown[n.uuid] = n.text
                self.screens[person.uuid] = (meeting.version, meeting.wall_epoch, shown)
                assert shown == {n.uuid: n.text for n in notes.wall(db, meeting, viewer).notes}

    @invariant()
    def closed_means_closed(self) -> None:
        if hasattr(self, "engine"):
            with read_session(self.engine) as db:
                status = db.exec(select(Meeting.status).where(Meeting.id == self.meeting_id)).one()
                count = len(db.exec(select(Note.id)).all())
            assert (status.value == "live") == self.model.live
            assert count == len(self.model.notes)


LiveSession.TestCase.settings = settings(max_examples=8, stateful_step_count=20, deadline=None,
                                         derandomize=True, suppress_health_check=[HealthCheck.too_slow])
test_live_session_machine = LiveSession.TestCase
