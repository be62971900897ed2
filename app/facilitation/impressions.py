"""Impression notes: after a session, each participant writes a free note from their phone.

A note is a draft until sent; drafts are saved as the participant types (autosave) and with a
button. Saves are conditional on the note's `version`: a save from a stale page (another tab, a
phone that slept while the other one typed) is refused with `impression-conflict` instead of
overwriting, and the page keeps what was typed. The author chooses whether the note may appear
in the session report (`consent_report`, off by default). The facilitator sees who has sent
theirs, per community, and copies a reminder link for the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from ..clock import Clock
from ..db import StaleVersion, insert_once, update_if_version
from ..models import Community, ImpressionNote, Meeting, Participant, new_uuid
from .errors import DomainError
from .texts import checked_text

#: About two printed pages, with room to spare.
TEXT_LIMIT = 12_000


def get(session: Session, meeting_id: int, participant_id: int) -> ImpressionNote | None:
    """A participant's impression note, if they started one."""
    return session.exec(select(ImpressionNote).where(
        ImpressionNote.meeting_id == meeting_id, ImpressionNote.participant_id == participant_id)).first()


def save(
    session: Session,
    clock: Clock,
    meeting: Meeting,
    participant: Participant,
    *,
    text: str,
    consent: bool,
    base_version: int,
    send: bool = False,
    editor: str = "",
) -> ImpressionNote:
    """Save the draft (and send it when `send`); `base_version` is the version the page showed
    (0 for a note not started yet); `editor` identifies the open page. Returns the saved note.

    The same text saved twice writes once; a save from an older version than the stored one is
    refused (`impression-conflict`) unless it comes from the page that saved last (its autosave
    and its button may cross) or carries exactly the stored text.
    """
    assert meeting.id is not None and participant.id is not None
    if participant.meeting_id != meeting.id:
        raise DomainError("not-a-participant")
    clean = checked_text(text, limit=TEXT_LIMIT, field="text")
    if send and not clean.strip():
        raise DomainError("text-empty", field="text")
    now = clock.now()
    insert_once(session, ImpressionNote, {
        "uuid": new_uuid(), "meeting_id": meeting.id, "participant_id": participant.id, "text": "",
        "consent_report": False, "version": 0, "created_at": now, "updated_at": now,
    }, conflict=["meeting_id", "participant_id"])
    note = get(session, meeting.id, participant.id)
    assert note is not None
    session.refresh(note)
    unchanged = note.text == clean and note.consent_report == consent and (note.submitted_at is not None or not send)
    if unchanged:
        return note
    editor = editor[:32]
    if base_version != note.version:
        if not editor or note.last_editor != editor:
            raise DomainError("impression-conflict", current=note.version)
        base_version = note.version  # the same page: its saves are sequential, the newest wins
    values: dict[str, object] = {"text": clean, "consent_report": consent, "updated_at": now,
                                 "last_editor": editor}
    if send and note.submitted_at is None:
        values["submitted_at"] = now
    try:
        update_if_version(session, ImpressionNote, note.id, base_version, **values)
    except StaleVersion:
        raise DomainError("impression-conflict", current=base_version + 1) from None
    session.refresh(note)
    return note


@dataclass
class Row:
    """One participant in the facilitator's follow-up: sent, a draft, or nothing yet."""

    participant: Participant
    note: ImpressionNote | None

    @property
    def sent(self) -> bool:
        """Whether the note was sent."""
        return self.note is not None and self.note.submitted_at is not None

    @property
    def drafting(self) -> bool:
        """Whether a draft exists that was not sent."""
        return self.note is not None and self.note.submitted_at is None and bool(self.note.text.strip())


@dataclass
class CommunityGroup:
    """The participants of one community (or of none), with their impression notes."""

    community: Community | None
    rows: list[Row] = field(default_factory=list)

    @property
    def sent(self) -> int:
        """How many sent theirs."""
        return sum(1 for row in self.rows if row.sent)


def follow_up(session: Session, meeting_id: int) -> list[CommunityGroup]:
    """Who has sent their impression note, grouped by community (communities by name, then none)."""
    participants = session.exec(select(Participant).where(Participant.meeting_id == meeting_id)
                                .order_by(col(Participant.name), col(Participant.id))).all()
    notes = {n.participant_id: n for n in session.exec(
        select(ImpressionNote).where(ImpressionNote.meeting_id == meeting_id)).all()}
    ids = {p.community_id for p in participants if p.community_id is not None}
    communities = {c.id: c for c in session.exec(select(Community).where(col(Community.id).in_(ids))).all()} \
        if ids else {}
    groups: dict[int | None, CommunityGroup] = {}
    for participant in participants:
        key = participant.community_id if participant.community_id in communities else None
        group = groups.setdefault(key, CommunityGroup(communities.get(key) if key is not None else None))
        group.rows.append(Row(participant, notes.get(participant.id or 0)))
    return sorted(groups.values(), key=lambda g: (g.community is None, g.community.name if g.community else ""))


def sent_with_consent(session: Session, meeting_id: int) -> list[ImpressionNote]:
    """The impression notes that may appear in the report (sent, with the author's consent)."""
    return list(session.exec(select(ImpressionNote).where(
        ImpressionNote.meeting_id == meeting_id, col(ImpressionNote.submitted_at).is_not(None),
        col(ImpressionNote.consent_report).is_(True)).order_by(col(ImpressionNote.submitted_at))).all())
