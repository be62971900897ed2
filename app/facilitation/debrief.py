"""The collective debrief: the facilitator groups a session's notes into named clusters.

Clusters may gather notes of one grid dimension or of several. A note is in at most one cluster
(`ClusterNote`, keyed by note); moving it elsewhere is one upsert, taking it out deletes the link.
Hidden and deleted notes stay out of the board. Every change bumps the session's `version`, so
the participants' phones see the new board.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from ..clock import Clock
from ..db import bump_version, upsert
from ..models import Cluster, ClusterNote, Meeting, Note, Participant, Vote
from .enums import MeetingStatus, Regard
from .errors import DomainError, NotFound
from .notes import participant_viewer, visible_to
from .texts import checked_text

NAME_LIMIT = 160
#: Most clusters a session's board may hold (the board stays readable on a phone).
MAX_CLUSTERS = 60


@dataclass
class BoardNote:
    """A note on the board, with its votes."""

    note: Note
    votes: int


@dataclass
class BoardCluster:
    """A cluster and its notes, most voted first."""

    cluster: Cluster
    notes: list[BoardNote] = field(default_factory=list)

    @property
    def votes(self) -> int:
        """The votes of all its notes."""
        return sum(item.votes for item in self.notes)

    @property
    def dimensions(self) -> list[str]:
        """The grid dimensions its notes come from (in order of first appearance)."""
        return list(dict.fromkeys(item.note.dimension_id for item in self.notes))


@dataclass
class Board:
    """A session's debrief: clusters, and the notes not yet in one (by grid dimension)."""

    clusters: list[BoardCluster]
    loose: dict[str, list[BoardNote]]

    @property
    def note_count(self) -> int:
        """Every note on the board."""
        return sum(len(c.notes) for c in self.clusters) + sum(len(n) for n in self.loose.values())


def _visible_notes(meeting_id: int) -> Any:
    return select(Note).where(Note.meeting_id == meeting_id, col(Note.deleted_at).is_(None),
                              col(Note.hidden).is_(False), col(Note.merged_into_id).is_(None))


def vote_counts(session: Session, meeting_id: int) -> dict[int, int]:
    """Votes per note of a session."""
    rows = session.exec(
        select(Vote.note_id, func.count()).where(Vote.meeting_id == meeting_id).group_by(col(Vote.note_id))
    ).all()
    return {int(note_id): int(count) for note_id, count in rows}


def board(session: Session, meeting_id: int, *, shown_to: Participant | None = None) -> Board:
    """The debrief board of a session; with `shown_to`, as that participant may see it while the
    session runs (the board can be made during it): only the notes their wall shows them (none of a
    dimension the facilitator has not revealed yet), and vote counts once votes are revealed."""
    query = _visible_notes(meeting_id)
    counted = True
    if shown_to is not None:
        meeting = session.get(Meeting, meeting_id)
        if meeting is None:
            raise NotFound("meeting")
        if meeting.status == MeetingStatus.LIVE:
            query = query.where(visible_to(meeting, participant_viewer(shown_to)))
            counted = meeting.votes_revealed
    notes: list[Note] = list(session.exec(query.order_by(col(Note.created_at), col(Note.id))).all())
    votes = vote_counts(session, meeting_id) if counted else {}
    placed = dict(session.exec(select(ClusterNote.note_id, ClusterNote.cluster_id)
                               .where(ClusterNote.meeting_id == meeting_id)).all())
    clusters = session.exec(select(Cluster).where(Cluster.meeting_id == meeting_id)
                            .order_by(col(Cluster.position), col(Cluster.id))).all()
    by_cluster: dict[int, BoardCluster] = {c.id or 0: BoardCluster(c) for c in clusters}
    loose: dict[str, list[BoardNote]] = defaultdict(list)
    for note in notes:
        item = BoardNote(note, votes.get(note.id or 0, 0))
        cluster_id = placed.get(note.id or 0)
        if cluster_id in by_cluster:
            by_cluster[cluster_id].notes.append(item)
        else:
            loose[note.dimension_id].append(item)
    for entry in by_cluster.values():
        entry.notes.sort(key=lambda item: -item.votes)
    return Board(list(by_cluster.values()), dict(loose))


def get_cluster(session: Session, meeting_id: int, cluster_id: int) -> Cluster:
    """A cluster of this session, or `NotFound` (a cluster of another session is not found)."""
    cluster = session.get(Cluster, cluster_id)
    if cluster is None or cluster.meeting_id != meeting_id:
        raise NotFound("cluster")
    return cluster


def create_cluster(session: Session, clock: Clock, meeting: Meeting, name: str,
                   regard: Regard | None = None) -> Cluster:
    """A new, empty cluster at the end of the board."""
    assert meeting.id is not None
    clean = checked_text(name, limit=NAME_LIMIT, field="name", required=True).strip()
    count = session.exec(select(func.count()).select_from(Cluster).where(Cluster.meeting_id == meeting.id)).one()
    if int(count) >= MAX_CLUSTERS:
        raise DomainError("too-many-clusters", limit=MAX_CLUSTERS)
    cluster = Cluster(meeting_id=meeting.id, name=clean, position=int(count), regard=regard, created_at=clock.now())
    session.add(cluster)
    session.flush()
    bump_version(session, Meeting, meeting.id)
    return cluster


def update_cluster(session: Session, meeting: Meeting, cluster_id: int, *, name: str,
                   regard: Regard | None) -> Cluster:
    """Rename a cluster and set the regard of the synthesis it feeds."""
    assert meeting.id is not None
    cluster = get_cluster(session, meeting.id, cluster_id)
    cluster.name = checked_text(name, limit=NAME_LIMIT, field="name", required=True).strip()
    cluster.regard = regard
    session.add(cluster)
    session.flush()
    bump_version(session, Meeting, meeting.id)
    return cluster


def delete_cluster(session: Session, meeting: Meeting, cluster_id: int) -> None:
    """Remove a cluster; its notes go back to the loose notes."""
    assert meeting.id is not None
    cluster = get_cluster(session, meeting.id, cluster_id)
    session.execute(delete(ClusterNote).where(col(ClusterNote.cluster_id) == cluster.id))
    session.delete(cluster)
    session.flush()
    bump_version(session, Meeting, meeting.id)


def move_notes(session: Session, clock: Clock, meeting: Meeting, note_ids: list[int],
               cluster_id: int | None) -> int:
    """Put notes into a cluster (or back among the loose notes with `None`); return how many moved.

    Every note must belong to the session (`NotFound` otherwise, and nothing moves). Moving a note
    where it already is changes nothing (a repeated drop is harmless).
    """
    assert meeting.id is not None
    if cluster_id is not None:
        get_cluster(session, meeting.id, cluster_id)
    wanted = sorted(set(note_ids))
    if not wanted:
        return 0
    found = set(session.exec(select(Note.id).where(col(Note.id).in_(wanted), Note.meeting_id == meeting.id,
                                                   col(Note.deleted_at).is_(None))).all())
    if found != set(wanted):
        raise NotFound("note")
    if cluster_id is None:
        session.execute(delete(ClusterNote).where(col(ClusterNote.note_id).in_(wanted)))
    else:
        for note_id in wanted:
            upsert(session, ClusterNote, {"note_id": note_id, "cluster_id": cluster_id, "meeting_id": meeting.id,
                                          "moved_at": clock.now()}, conflict=["note_id"])
    bump_version(session, Meeting, meeting.id)
    return len(wanted)
