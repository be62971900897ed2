"""All database tables, in one place (SQLModel)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from .db import StrEnumType
from .facilitation.enums import (
    LinkKind,
    MeetingKind,
    MeetingStatus,
    PersonRole,
    ProposalKind,
    ProposalStatus,
    Regard,
    Stage,
    TimerState,
    UserRole,
    ValidationDecision,
    ValidationParty,
)


def utcnow() -> datetime:
    """Timezone-aware now, in UTC."""
    return datetime.now(UTC)


def new_uuid() -> str:
    """A random UUID as text: the stable id of a row that may travel between a laptop and a server."""
    return str(uuid.uuid4())


def _json_list() -> Any:
    return Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class Item(SQLModel, table=True):
    """A kit item as indexed from `kit_content/` (the Markdown file stays the source of truth)."""

    id: str = Field(primary_key=True, max_length=64)
    type: str = Field(index=True, max_length=20)
    title: str = Field(max_length=200)
    summary: str = Field(sa_column=Column(Text, nullable=False))
    position: int = Field(default=0, index=True)
    path: str = Field(max_length=300)
    checksum: str = Field(max_length=64)
    body: str = Field(sa_column=Column(Text, nullable=False))
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class ItemFacet(SQLModel, table=True):
    """A filterable value of an item: a tag or a grid dimension."""

    __tablename__ = "item_facet"

    item_id: str = Field(foreign_key="item.id", primary_key=True, max_length=64, ondelete="CASCADE")
    kind: str = Field(primary_key=True, max_length=20)
    value: str = Field(primary_key=True, index=True, max_length=64)


class ItemAlias(SQLModel, table=True):
    """A former id that redirects to an item."""

    __tablename__ = "item_alias"

    old_id: str = Field(primary_key=True, max_length=64)
    item_id: str = Field(foreign_key="item.id", max_length=64, ondelete="CASCADE")


class SearchTerm(SQLModel, table=True):
    """A word of the indexed kit (folded), for "did you mean" suggestions on a search without results."""

    __tablename__ = "search_term"

    term: str = Field(primary_key=True, max_length=64)
    label: str = Field(max_length=64)
    count: int = 0


class ContentState(SQLModel, table=True):
    """Which content version the index holds."""

    __tablename__ = "content_state"

    key: str = Field(primary_key=True, max_length=20)
    content_hash: str = Field(max_length=64)
    item_count: int = 0
    indexed_at: datetime = Field(default_factory=utcnow)


# == Background jobs ================================================================================
# A long job (a kit build; agenda and report PDFs next) is a row of its own table with the `JobState`
# columns: every web worker reads its status and progress there, the job worker (`app/jobs.py`)
# claims it with a conditional UPDATE and keeps a lease on it while it runs.


class JobStatus(StrEnum):
    """Where a job stands. `expired`: its files were removed to keep within the disk budget."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    EXPIRED = "expired"


class JobState(SQLModel):
    """The columns every job table has (status, progress as a code with parameters, lease)."""

    status: JobStatus = Field(default=JobStatus.QUEUED, sa_type=StrEnumType(JobStatus), index=True)
    progress: int = 0
    #: A progress code (see `app.jobs`), translated by the web layer, and its parameters.
    message: str = Field(default="", max_length=500)
    message_params: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    #: Why it failed, as a code.
    error: str = Field(default="", max_length=100)
    attempts: int = 0
    #: Until when the worker running it is known alive (renewed by its heartbeat).
    lease_until: datetime | None = None
    worker: str = Field(default="", max_length=100)
    version: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None


class KitBuild(JobState, table=True):
    """A territory kit build requested from the web app, cached by its options and content."""

    __tablename__ = "kit_build"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(index=True, unique=True, max_length=64)
    options: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    files: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    #: The last download of one of its files (the retention policy removes the least recent first).
    last_used_at: datetime | None = None


# == Facilitation ===================================================================================
# Every row that may travel between a laptop and a server (export/import of an accompaniment) has a
# stable `uuid`; integer ids stay local. Rows whose state changes concurrently carry a `version`
# for conditional updates (`app.db.update_if_version`). Datetimes are aware, in UTC.

# -- accounts -----------------------------------------------------------------------------------------


class User(SQLModel, table=True):
    """A facilitator's or coordinator's account (participants never have one)."""

    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(default_factory=new_uuid, unique=True, max_length=36)
    email: str = Field(unique=True, max_length=254)  # stored lower-cased
    display_name: str = Field(max_length=120)
    password_hash: str = Field(max_length=255)
    role: UserRole = Field(default=UserRole.FACILITATOR, sa_type=StrEnumType(UserRole))
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class LoginSession(SQLModel, table=True):
    """A signed-in browser: its token (hashed) is what the session cookie carries.

    Logging out deletes the row, so a copied cookie stops working at once (server-side sign-out).
    """

    __tablename__ = "login_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)


class AccountLink(SQLModel, table=True):
    """A single-use, expiring link: an invitation to sign up, or a password reset."""

    __tablename__ = "account_link"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True, max_length=64)
    kind: LinkKind = Field(sa_type=StrEnumType(LinkKind))
    role: UserRole = Field(default=UserRole.FACILITATOR, sa_type=StrEnumType(UserRole))
    email: str | None = Field(default=None, max_length=254)
    user_id: int | None = Field(default=None, foreign_key="user.id", ondelete="CASCADE")  # reset
    accompaniment_id: int | None = Field(default=None, foreign_key="accompaniment.id", ondelete="SET NULL")
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None


# -- accompaniments -----------------------------------------------------------------------------------


class Territory(SQLModel, table=True):
    """A territory where an accompaniment takes place."""

    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(default_factory=new_uuid, unique=True, max_length=36)
    name: str = Field(max_length=120)
    region: str = Field(default="", max_length=120)
    is_demo: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class Community(SQLModel, table=True):
    """A community (a structure, a collective, a town's actors) that asks for or offers accompaniment."""

    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(default_factory=new_uuid, unique=True, max_length=36)
    name: str = Field(max_length=160)
    territory_id: int | None = Field(default=None, foreign_key="territory.id", ondelete="SET NULL")
    structure_id: str | None = Field(default=None, max_length=64)  # a kit structure, e.g. structure-ardes
    description: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    is_demo: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class Accompaniment(SQLModel, table=True):
    """A community-to-community accompaniment: an asking and an offering community in a territory."""

    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(default_factory=new_uuid, unique=True, max_length=36)
    title: str = Field(max_length=200)
    territory_id: int | None = Field(default=None, foreign_key="territory.id", ondelete="SET NULL")
    asking_community_id: int | None = Field(default=None, foreign_key="community.id", ondelete="SET NULL")
    offering_community_id: int | None = Field(default=None, foreign_key="community.id", ondelete="SET NULL")
    stage: Stage = Field(default=Stage.CALL, sa_type=StrEnumType(Stage))
    summary: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    is_demo: bool = False
    version: int = 1
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)


class StageChange(SQLModel, table=True):
    """One step of an accompaniment's lifecycle: from which stage to which, when, by whom."""

    __tablename__ = "stage_change"

    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(default_factory=new_uuid, unique=True, max_length=36)
    accompaniment_id: int = Field(foreign_key="accompaniment.id", index=True, ondelete="CASCADE")
    from_stage: Stage | None = Field(default=None, sa_type=StrEnumType(Stage))
    to_stage: Stage = Field(sa_type=StrEnumType(Stage))
    at: datetime = Field(default_factory=utcnow)
    by_user_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    comment: str = Field(default="", max_length=500)


class Membership(SQLModel, table=True):
    """A facilitator's access to an accompaniment (coordinators see every accompaniment)."""

    accompaniment_id: int = Field(foreign_key="accompaniment.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id", primary_key=True, ondelete="CASCADE")
    added_at: datetime = Field(default_factory=utcnow)


class Person(SQLModel, table=True):
    """Someone who takes part in an accompaniment, shown by role and name or pseudonym."""

    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(default_factory=new_uuid, unique=True, max_length=36)
    accompaniment_id: int = Field(foreign_key="accompaniment.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=120)  # a name or a pseudonym, as the person chose
    role: PersonRole = Field(sa_type=StrEnumType(PersonRole))
    community_id: int | None = Field(default=None, foreign_key="community.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)


# -- sessions and agendas -------------------------------------------------------------------------------


class Meeting(SQLModel, table=True):
    """A session of an accompaniment (learning visit, seminar, steering meeting…): its plan and live state.

    The live state is server-side truth: the current step, the timer (an absolute deadline, or the
    remaining time while paused), the revealed grid dimensions. `version` goes up on every change a
    screen must show; it is the ETag of the live views.
    """

    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(default_factory=new_uuid, unique=True, max_length=36)
    accompaniment_id: int = Field(foreign_key="accompaniment.id", index=True, ondelete="CASCADE")
    kind: MeetingKind = Field(sa_type=StrEnumType(MeetingKind))
    title: str = Field(max_length=200)
    place: str = Field(default="", max_length=200)
    starts_on: date | None = None
    ends_on: date | None = None
    template_id: str | None = Field(default=None, max_length=64)  # the kit protocol it was planned from
    status: MeetingStatus = Field(default=MeetingStatus.PLANNED, sa_type=StrEnumType(MeetingStatus))
    join_code: str | None = Field(default=None, unique=True, max_length=16)
    votes_per_participant: int = 3
    notes_hidden: bool = True  # notes stay hidden from other participants until a dimension is revealed
    revealed_dimensions: list[str] = _json_list()
    votes_revealed: bool = False
    current_step_id: int | None = None
    timer_state: TimerState = Field(default=TimerState.STOPPED, sa_type=StrEnumType(TimerState))
    timer_deadline: datetime | None = None
    timer_remaining_ms: int | None = None  # while paused (or stopped with time set)
    shown_posture_id: str | None = Field(default=None, max_length=64)  # a posture card shown to the room
    version: int = 1
    wall_epoch: int = 1  # bumped when the wall changes shape (reveal, moderation): screens reload it
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    closed_at: datetime | None = None


class HalfDay(SQLModel, table=True):
    """A half-day of a session, with the time available for its steps."""

    __tablename__ = "half_day"

    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(default_factory=new_uuid, unique=True, max_length=36)
    meeting_id: int = Field(foreign_key="meeting.id", index=True, ondelete="CASCADE")
    position: int = 0
    key: str = Field(default="", max_length=40)  # the protocol's half-day id, e.g. j1-matin
    title: str = Field(max_length=120)
    day: date | None = None
    available_minutes: int = 180


class AgendaStep(SQLModel, table=True):
    """A step of a session's agenda: from an activity step of the kit (by stable id), or free."""

    __tablename__ = "agenda_step"

    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(default_factory=new_uuid, unique=True, max_length=36)
    meeting_id: int = Field(foreign_key="meeting.id", index=True, ondelete="CASCADE")
    half_day_id: int | None = Field(default=None, foreign_key="half_day.id", ondelete="SET NULL")
    position: int = 0
    title: str = Field(max_length=200)
    instructions: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    activity_id: str | None = Field(default=None, max_length=64)
    activity_step_id: str | None = Field(default=None, max_length=130)  # e.g. activite-x.accueil
    planned_minutes: int = 30
    dimensions: list[str] = _json_list()  # grid dimensions the step feeds
    postures: list[str] = _json_list()  # posture cards that go with it
    actual_start: datetime | None = None
    actual_end: datetime | None = None


# -- the live session: participants, notes, votes -------------------------------------------------------


class Participant(SQLModel, table=True):
    """Someone who joined a session from a phone, without an account (a token in their cookie)."""

    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(default_factory=new_uuid, unique=True, max_length=36)
    meeting_id: int = Field(foreign_key="meeting.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(unique=True, max_length=64)
    name: str = Field(max_length=80)  # name or pseudonym
    role: PersonRole = Field(sa_type=StrEnumType(PersonRole))
    community_id: int | None = Field(default=None, foreign_key="community.id", ondelete="SET NULL")
    person_id: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    joined_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)


class Note(SQLModel, table=True):
    """A note posted during a session, tagged with a grid dimension (and optionally a question or card).

    `client_key` is generated by the sending device: the unique (meeting, client_key) pair makes a
    retried or double-tapped post land once. Deleting sets `deleted_at` (so it can be undone).
    """

    __table_args__ = (UniqueConstraint("meeting_id", "client_key", name="uq_note_client_key"),
                      Index("ix_note_meeting_changed", "meeting_id", "changed_version"))

    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(default_factory=new_uuid, unique=True, max_length=36)
    meeting_id: int = Field(foreign_key="meeting.id", index=True, ondelete="CASCADE")
    client_key: str = Field(max_length=64)
    participant_id: int | None = Field(default=None, foreign_key="participant.id", index=True,
                                       ondelete="SET NULL")
    author_user_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    step_id: int | None = Field(default=None, foreign_key="agenda_step.id", ondelete="SET NULL")
    dimension_id: str = Field(max_length=64)
    question_id: str | None = Field(default=None, max_length=80)  # e.g. dim-cooperation.q2
    card_id: str | None = Field(default=None, max_length=64)  # a kit card the note is about
    text: str = Field(sa_column=Column(Text, nullable=False))
    hidden: bool = False  # hidden by the facilitator (moderation)
    merged_into_id: int | None = Field(default=None, foreign_key="note.id", ondelete="SET NULL")
    deleted_at: datetime | None = None
    version: int = 1
    created_version: int = 0  # the session's version when it was posted
    changed_version: int = 0  # the session's version at its last change (screens fetch what changed)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Vote(SQLModel, table=True):
    """One dot of a participant on a note (at most one per note; the total is capped per session)."""

    __table_args__ = (UniqueConstraint("note_id", "participant_id", name="uq_vote_note_participant"),)

    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(default_factory=new_uuid, unique=True, max_length=36)
    meeting_id: int = Field(foreign_key="meeting.id", index=True, ondelete="CASCADE")
    note_id: int = Field(foreign_key="note.id", index=True, ondelete="CASCADE")
    participant_id: int = Field(foreign_key="participant.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow)


# == Facilitation: the call for expressions of interest (h5) ================================


class CallApplication(SQLModel, table=True):
    """A volunteer territory's answer to the call for expressions of interest (public form).

    `idempotency_key` comes from a hidden field of the form the visitor loaded: a retried or
    double-clicked submission lands once. `reference` is what the visitor is given as a receipt.
    """

    __tablename__ = "call_application"

    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(default_factory=new_uuid, unique=True, max_length=36)
    reference: str = Field(unique=True, max_length=16)
    idempotency_key: str = Field(unique=True, max_length=64)
    applicant_name: str = Field(max_length=120)
    applicant_role: str = Field(max_length=160)
    organisation: str = Field(default="", max_length=160)
    email: str = Field(max_length=254)
    territory_name: str = Field(max_length=120)
    region: str = Field(default="", max_length=120)
    demand: str = Field(sa_column=Column(Text, nullable=False))
    diagnosis: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="new", max_length=16, index=True)  # new, chosen, declined
    accompaniment_id: int | None = Field(default=None, foreign_key="accompaniment.id", ondelete="SET NULL")
    decided_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    decided_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
# == After the session (issue 12): impression notes, debrief clusters, synthesis, capitalisation ========


class ImpressionNote(SQLModel, table=True):
    """A participant's free note after a session: a draft autosaved until they send it.

    One per participant and session. `consent_report` (off by default) lets the note appear in the
    session report; `version` makes autosaves from two tabs conditional (no silent overwrite).
    """

    __tablename__ = "impression_note"
    __table_args__ = (UniqueConstraint("meeting_id", "participant_id", name="uq_impression_participant"),)

    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(default_factory=new_uuid, unique=True, max_length=36)
    meeting_id: int = Field(foreign_key="meeting.id", index=True, ondelete="CASCADE")
    participant_id: int = Field(foreign_key="participant.id", index=True, ondelete="CASCADE")
    text: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    consent_report: bool = False
    submitted_at: datetime | None = None
    #: The page (a random id per opened editor) that saved last: its own saves never conflict.
    last_editor: str = Field(default="", max_length=32)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Cluster(SQLModel, table=True):
    """A group of a session's notes made at the debrief, within or across grid dimensions."""

    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(default_factory=new_uuid, unique=True, max_length=36)
    meeting_id: int = Field(foreign_key="meeting.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=160)
    position: int = 0
    regard: Regard | None = Field(default=None, sa_type=StrEnumType(Regard))  # where the synthesis puts it
    created_at: datetime = Field(default_factory=utcnow)


class ClusterNote(SQLModel, table=True):
    """A note's place in a cluster (a note is in at most one cluster)."""

    __tablename__ = "cluster_note"

    note_id: int = Field(foreign_key="note.id", primary_key=True, ondelete="CASCADE")
    cluster_id: int = Field(foreign_key="cluster.id", index=True, ondelete="CASCADE")
    meeting_id: int = Field(foreign_key="meeting.id", index=True, ondelete="CASCADE")
    moved_at: datetime = Field(default_factory=utcnow)


class Synthesis(SQLModel, table=True):
    """The synthesis note of a session; its text lives in numbered `SynthesisVersion`s.

    `version` is the number of the latest version: a save is a conditional update on it, so the
    second of two editors who started from the same version gets a conflict, not an overwrite.
    """

    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(default_factory=new_uuid, unique=True, max_length=36)
    meeting_id: int = Field(foreign_key="meeting.id", unique=True, ondelete="CASCADE")
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)


class SynthesisVersion(SQLModel, table=True):
    """One saved state of a synthesis note: the four regards (Markdown), who saved it and when.

    A version is never changed once written; `validated_at` is set when the three parties approved
    it (it is then frozen: the next edit writes a new version).
    """

    __tablename__ = "synthesis_version"
    __table_args__ = (UniqueConstraint("synthesis_id", "number", name="uq_synthesis_version_number"),)

    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(default_factory=new_uuid, unique=True, max_length=36)
    synthesis_id: int = Field(foreign_key="synthesis.id", index=True, ondelete="CASCADE")
    number: int
    structure: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    initiative: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    transition: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    methodes: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    author_user_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    author_name: str = Field(default="", max_length=120)
    created_at: datetime = Field(default_factory=utcnow)
    validated_at: datetime | None = None


class ValidationInvite(SQLModel, table=True):
    """A link given to one validating party (no account): its token is stored hashed."""

    __tablename__ = "validation_invite"
    __table_args__ = (UniqueConstraint("synthesis_id", "party", name="uq_validation_invite_party"),)

    id: int | None = Field(default=None, primary_key=True)
    synthesis_id: int = Field(foreign_key="synthesis.id", index=True, ondelete="CASCADE")
    party: ValidationParty = Field(sa_type=StrEnumType(ValidationParty))
    token_hash: str = Field(unique=True, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class Validation(SQLModel, table=True):
    """A party's answer on one version of a synthesis: approved, or changes asked with a comment."""

    __table_args__ = (UniqueConstraint("version_id", "party", name="uq_validation_version_party"),)

    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(default_factory=new_uuid, unique=True, max_length=36)
    synthesis_id: int = Field(foreign_key="synthesis.id", index=True, ondelete="CASCADE")
    version_id: int = Field(foreign_key="synthesis_version.id", index=True, ondelete="CASCADE")
    party: ValidationParty = Field(sa_type=StrEnumType(ValidationParty))
    decision: ValidationDecision = Field(sa_type=StrEnumType(ValidationDecision))
    approver_name: str = Field(max_length=120)
    comment: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    at: datetime = Field(default_factory=utcnow)
    #: Given in person (at a meeting, on paper) and recorded on the party's behalf by an account:
    #: who recorded it (name kept if the account goes), and the day the approver gave it.
    on_behalf: bool = False
    recorded_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    recorded_by_name: str = Field(default="", max_length=120)
    given_on: date | None = None


class Proposal(SQLModel, table=True):
    """A kit item proposed from a validated synthesis, reviewed and published by a coordinator.

    `provenance` records where it comes from (accompaniment, session, date, authors' roles); a
    published proposal is written into `kit_content/` by `mallette export-proposals` (never by a
    web worker); `exported_at` says when.
    """

    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(default_factory=new_uuid, unique=True, max_length=36)
    accompaniment_id: int = Field(foreign_key="accompaniment.id", index=True, ondelete="CASCADE")
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id", ondelete="SET NULL")
    synthesis_version_id: int | None = Field(default=None, foreign_key="synthesis_version.id",
                                             ondelete="SET NULL")
    kind: ProposalKind = Field(sa_type=StrEnumType(ProposalKind))
    item_id: str = Field(unique=True, max_length=64)  # the id the new kit item will have
    target_id: str | None = Field(default=None, max_length=64)  # the fiche an example is added to
    title: str = Field(max_length=160)
    summary: str = Field(max_length=300)
    territory: str = Field(default="", max_length=160)
    holder: str = Field(default="", max_length=160)
    need: str = Field(default="", max_length=300)
    innovation: str = Field(default="", max_length=300)
    body: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    provenance: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: ProposalStatus = Field(default=ProposalStatus.DRAFT, sa_type=StrEnumType(ProposalStatus))
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    reviewed_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    published_at: datetime | None = None
    exported_at: datetime | None = None


# == Visitors' reports (issue 15): "signaler une erreur" ==========================================


class VisitorReport(SQLModel, table=True):
    """A report sent from the contact form: an error in the kit, an accessibility problem, a question.

    Plain text as typed (shown escaped); `idempotency_key` comes from the served form so that a
    retried submission is stored once. Coordinators read them (`/signalements`, `mallette reports`).
    """

    __tablename__ = "visitor_report"

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(unique=True, max_length=64)
    kind: str = Field(max_length=20)
    page: str = Field(default="", max_length=300)
    message: str = Field(sa_column=Column(Text, nullable=False))
    email: str = Field(default="", max_length=254)
    language: str = Field(default="fr", max_length=8)
    created_at: datetime = Field(default_factory=utcnow, index=True)


class AgendaPdf(JobState, table=True):
    """A session's agenda (or one half-day's roadmap) as PDF, rendered by the job worker.

    `key` names what was asked (the session at one version, and the half-day): asking again for
    an unchanged session reuses the same row and its PDF.
    """

    __tablename__ = "agenda_pdf"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=64)
    meeting_id: int = Field(foreign_key="meeting.id", index=True, ondelete="CASCADE")
    half_day_id: int | None = Field(default=None, foreign_key="half_day.id", ondelete="CASCADE")
    meeting_version: int = 0
    filename: str = Field(default="", max_length=120)
    data: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))


# -- after the session (issue 12): the report PDF job --------------------------------------------------


class ReportPdf(JobState, table=True):
    """A session report PDF rendered by the job worker; `key` fingerprints what it shows (the same
    session content asked twice is rendered once), `file` is its name under BUILD_DIR/reports/."""

    __tablename__ = "report_pdf"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True, ondelete="CASCADE")
    key: str = Field(unique=True, max_length=64)
    file: str = Field(default="", max_length=200)
    pages: int = 0


class ProposalExport(JobState, table=True):
    """A coordinator's "export the published proposals" run by the job worker (never a web worker).

    `key` makes a double click one job: it names the export that follows the one the page showed
    (`after-<id>`), so every request sent from the same page lands on the same row. Once done, it
    lists the files written or already up to date, the proposals refused (item id, why) and, when
    the exported content would not pass validation, the problems (the files are then restored).
    """

    __tablename__ = "proposal_export"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=64)
    requested_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    written: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    unchanged: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    refused: list[list[str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    problems: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


# == Laptop to server (issue 13): what was last exchanged of each transferred record ================


class TransferBase(SQLModel, table=True):
    """The digest of a record as this database last received it in a transfer file (`import-session`).

    `key` is `<table>:<record key>`. Comparing a record's current digest and an incoming one with
    this base (and with the one the file carries from its side) tells which side changed since a
    state both had: one side only is taken, both is a conflict reported without touching either.
    """

    __tablename__ = "transfer_base"

    key: str = Field(primary_key=True, max_length=120)
    digest: str = Field(max_length=64)
    at: datetime = Field(default_factory=utcnow)
