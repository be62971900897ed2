"""The synthesis note of a session: four regards, numbered versions, validation by three parties.

- The note keeps four regards apart (`Regard`): on the accompanying structure, on the chosen
  cooperation initiative, on the impact on the transition, on what is specific to the methods.
  It starts pre-filled with the debrief's clusters and short quotes of their notes, and quotes of
  the impression notes whose authors agreed to share them.
- Every save writes a new `SynthesisVersion` (who, when); nothing is edited in place. A save is a
  conditional update on `Synthesis.version`: an editor who started from an older version gets a
  `synthesis-conflict` error and keeps their text (the web layer shows it next to the newer one).
- Each party (asking community, offering community or host structure, visiting group) answers
  through its own link: approved, or changes asked with a comment. When the three approved the
  same version, it is validated and frozen; a later edit starts a new version to validate again.
"""

from __future__ import annotations

import difflib
import hashlib
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from ..clock import Clock
from ..db import StaleVersion, insert_once, update_if_version
from ..models import (
    Cluster,
    ClusterNote,
    ImpressionNote,
    Meeting,
    Note,
    Synthesis,
    SynthesisVersion,
    User,
    Validation,
    ValidationInvite,
)
from .enums import Regard, ValidationDecision, ValidationParty
from .errors import DomainError, NotFound
from .texts import checked_text, markdown_literal, short_quote

REGARDS: tuple[Regard, ...] = tuple(Regard)
PARTIES: tuple[ValidationParty, ...] = tuple(ValidationParty)
#: Longest text of one regard (Markdown characters).
REGARD_LIMIT = 60_000
COMMENT_LIMIT = 5_000
NAME_LIMIT = 120
#: Quotes per cluster in the pre-filled note (the others are counted).
QUOTES_PER_CLUSTER = 5

#: Where a grid dimension's notes go by default when a cluster has no regard of its own.
DIMENSION_REGARD: dict[str, Regard] = {
    "dim-ecosysteme-territorial": Regard.STRUCTURE,
    "dim-posture-accompagnement": Regard.METHODS,
    "dim-participation-citoyenne": Regard.METHODS,
    "dim-cooperation": Regard.INITIATIVE,
    "dim-innovation-sociale": Regard.INITIATIVE,
    "dim-transition-ecologique": Regard.TRANSITION,
}
#: Headings of the pre-filled text (French: the note is written in French).
REGARD_HEADINGS: dict[Regard, str] = {
    Regard.STRUCTURE: "Regard sur la structure d'accompagnement",
    Regard.INITIATIVE: "Regard sur l'initiative de coopération retenue",
    Regard.TRANSITION: "Regard sur l'impact sur la transition",
    Regard.METHODS: "Regard sur les spécificités des méthodes d'accompagnement",
}


def regard_of(version: SynthesisVersion, regard: Regard) -> str:
    """The Markdown text of one regard in a version."""
    return str(getattr(version, FIELD[regard]))


FIELD: dict[Regard, str] = {
    Regard.STRUCTURE: "structure",
    Regard.INITIATIVE: "initiative",
    Regard.TRANSITION: "transition",
    Regard.METHODS: "methodes",
}


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# -- starting and pre-filling ------------------------------------------------------------------------


def cluster_regard(cluster: Cluster, dimensions: list[str]) -> Regard:
    """The regard a cluster belongs to: its own, else that of most of its notes' dimensions."""
    if cluster.regard is not None:
        return cluster.regard
    counts: dict[Regard, int] = defaultdict(int)
    for dimension in dimensions:
        counts[DIMENSION_REGARD.get(dimension, Regard.INITIATIVE)] += 1
    if not counts:
        return Regard.INITIATIVE
    return max(REGARDS, key=lambda regard: (counts.get(regard, 0), -REGARDS.index(regard)))


def prefill(session: Session, meeting_id: int) -> dict[Regard, str]:
    """The starting text of each regard: the clusters with short quotes of their notes, and quotes
    of the impression notes sent with consent (participant text escaped: it stays literal)."""
    clusters = session.exec(
        select(Cluster).where(Cluster.meeting_id == meeting_id).order_by(col(Cluster.position), col(Cluster.id))
    ).all()
    members: dict[int, list[Note]] = defaultdict(list)
    rows = session.exec(
        select(ClusterNote.cluster_id, Note)
        .join(Note, col(Note.id) == ClusterNote.note_id)
        .where(ClusterNote.meeting_id == meeting_id, col(Note.deleted_at).is_(None), col(Note.hidden).is_(False))
        .order_by(col(Note.created_at), col(Note.id))
    ).all()
    for cluster_id, note in rows:
        members[cluster_id].append(note)
    parts: dict[Regard, list[str]] = {regard: [] for regard in REGARDS}
    for cluster in clusters:
        notes = members.get(cluster.id or 0, [])
        regard = cluster_regard(cluster, [note.dimension_id for note in notes])
        lines = [f"### {markdown_literal(cluster.name)}", ""]
        for note in notes[:QUOTES_PER_CLUSTER]:
            lines.append(f"- « {markdown_literal(short_quote(note.text))} »")
        if len(notes) > QUOTES_PER_CLUSTER:
            lines.append(f"- … et {len(notes) - QUOTES_PER_CLUSTER} autre(s) note(s)")
        parts[regard].append("\n".join(lines))
    impressions = session.exec(
        select(ImpressionNote).where(
            ImpressionNote.meeting_id == meeting_id,
            col(ImpressionNote.submitted_at).is_not(None),
            col(ImpressionNote.consent_report).is_(True),
        ).order_by(col(ImpressionNote.submitted_at), col(ImpressionNote.id))
    ).all()
    if impressions:
        lines = ["### Notes d'impression à répartir", ""]
        lines += [f"- « {markdown_literal(short_quote(item.text))} »" for item in impressions if item.text.strip()]
        parts[Regard.STRUCTURE].append("\n".join(lines))
    return {regard: "\n\n".join(chunks) + ("\n" if chunks else "") for regard, chunks in parts.items()}


def find(session: Session, meeting_id: int) -> Synthesis | None:
    """The session's synthesis, if one was started."""
    return session.exec(select(Synthesis).where(Synthesis.meeting_id == meeting_id)).first()


def start(session: Session, clock: Clock, meeting: Meeting, user: User | None) -> Synthesis:
    """The session's synthesis, started (version 1, pre-filled) if it did not exist yet.

    Idempotent: a second call (a double click, a retry) returns the same synthesis.
    """
    assert meeting.id is not None
    found = find(session, meeting.id)
    if found is not None:
        return found
    synthesis = Synthesis(meeting_id=meeting.id, version=1, created_at=clock.now())
    session.add(synthesis)
    session.flush()
    texts = prefill(session, meeting.id)
    session.add(_version(synthesis.id or 0, 1, texts, user, clock))
    session.flush()
    return synthesis


def _version(synthesis_id: int, number: int, texts: dict[Regard, str], user: User | None,
             clock: Clock) -> SynthesisVersion:
    return SynthesisVersion(
        synthesis_id=synthesis_id, number=number, author_user_id=user.id if user else None,
        author_name=user.display_name if user else "", created_at=clock.now(),
        structure=texts[Regard.STRUCTURE], initiative=texts[Regard.INITIATIVE],
        transition=texts[Regard.TRANSITION], methodes=texts[Regard.METHODS],
    )


# -- versions ------------------------------------------------------------------------------------------


def versions(session: Session, synthesis_id: int) -> list[SynthesisVersion]:
    """Every version, newest first."""
    return list(session.exec(
        select(SynthesisVersion).where(SynthesisVersion.synthesis_id == synthesis_id)
        .order_by(col(SynthesisVersion.number).desc())
    ).all())


def get_version(session: Session, synthesis_id: int, number: int) -> SynthesisVersion:
    """One version by number, or `NotFound`."""
    found = session.exec(select(SynthesisVersion).where(
        SynthesisVersion.synthesis_id == synthesis_id, SynthesisVersion.number == number)).first()
    if found is None:
        raise NotFound("synthesis-version")
    return found


def latest(session: Session, synthesis: Synthesis) -> SynthesisVersion:
    """The newest version."""
    assert synthesis.id is not None
    return get_version(session, synthesis.id, synthesis.version)


def latest_validated(session: Session, synthesis_id: int) -> SynthesisVersion | None:
    """The newest validated (frozen) version, if any."""
    return session.exec(
        select(SynthesisVersion).where(SynthesisVersion.synthesis_id == synthesis_id,
                                       col(SynthesisVersion.validated_at).is_not(None))
        .order_by(col(SynthesisVersion.number).desc())
    ).first()


def save(
    session: Session,
    clock: Clock,
    synthesis: Synthesis,
    *,
    base_version: int,
    texts: dict[Regard, str],
    user: User,
) -> SynthesisVersion:
    """Save the four regards as a new version, if the editor started from the latest one.

    Raises `DomainError("synthesis-conflict", current=n)` when someone saved version n meanwhile
    (nothing is written: the caller keeps the text), and `text-*` errors for text that cannot be
    stored. Saving the same text as the latest version writes nothing and returns it (a retried
    save does not make a version).
    """
    assert synthesis.id is not None
    cleaned = {regard: checked_text(texts.get(regard, ""), limit=REGARD_LIMIT, field=regard.value)
               for regard in REGARDS}
    current = latest(session, synthesis)
    if base_version != synthesis.version:
        if all(regard_of(current, regard) == cleaned[regard] for regard in REGARDS):
            return current  # the same save, delivered twice
        raise DomainError("synthesis-conflict", current=synthesis.version, base=base_version)
    if all(regard_of(current, regard) == cleaned[regard] for regard in REGARDS):
        return current
    try:
        number = update_if_version(session, Synthesis, synthesis.id, base_version)
    except StaleVersion:
        raise DomainError("synthesis-conflict", current=base_version + 1, base=base_version) from None
    version = _version(synthesis.id, number, cleaned, user, clock)
    session.add(version)
    session.flush()
    synthesis.version = number
    return version


@dataclass(frozen=True)
class RegardDiff:
    """The changes of one regard between two versions, as unified-diff lines."""

    regard: Regard
    lines: list[str]

    @property
    def changed(self) -> bool:
        """Whether the regard changed at all."""
        return bool(self.lines)


def diff(old: SynthesisVersion | None, new: SynthesisVersion) -> list[RegardDiff]:
    """What changed in each regard from `old` (None: from nothing) to `new` (difflib, line by line)."""
    result = []
    for regard in REGARDS:
        before = regard_of(old, regard).splitlines() if old is not None else []
        after = regard_of(new, regard).splitlines()
        lines = list(difflib.unified_diff(
            before, after, fromfile=f"v{old.number if old else 0}", tofile=f"v{new.number}", lineterm="", n=2))
        result.append(RegardDiff(regard, lines[2:] if lines else []))
    return result


def diff_texts(before: str, after: str) -> list[str]:
    """Line differences between two texts (for a conflict: what the editor typed against the latest)."""
    lines = list(difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=2))
    return lines[2:] if lines else []


# -- validation -----------------------------------------------------------------------------------------


def invite(session: Session, clock: Clock, synthesis: Synthesis, party: ValidationParty) -> str:
    """A new validation link token for `party` (a previous link for the same party stops working)."""
    assert synthesis.id is not None
    token = secrets.token_urlsafe(24)
    existing = session.exec(select(ValidationInvite).where(
        ValidationInvite.synthesis_id == synthesis.id, ValidationInvite.party == party)).first()
    if existing is None:
        session.add(ValidationInvite(synthesis_id=synthesis.id, party=party, token_hash=_hash(token),
                                     created_at=clock.now()))
    else:
        existing.token_hash = _hash(token)
        existing.created_at = clock.now()
        session.add(existing)
    session.flush()
    return token


def invite_for(session: Session, token: str) -> ValidationInvite:
    """The invitation a token belongs to, or `NotFound`."""
    found = session.exec(select(ValidationInvite).where(ValidationInvite.token_hash == _hash(token))).first()
    if found is None:
        raise NotFound("validation-invite")
    return found


def invited_parties(session: Session, synthesis_id: int) -> set[ValidationParty]:
    """The parties that were given a link."""
    rows = session.exec(select(ValidationInvite).where(ValidationInvite.synthesis_id == synthesis_id)).all()
    return {row.party for row in rows}


def answers(session: Session, version_id: int) -> dict[ValidationParty, Validation]:
    """Each party's answer on a version."""
    rows = session.exec(select(Validation).where(Validation.version_id == version_id)).all()
    return {row.party: row for row in rows}


def history(session: Session, synthesis_id: int) -> list[tuple[int, Validation]]:
    """Every answer on every version, newest first, with the version number."""
    rows = session.exec(
        select(SynthesisVersion.number, Validation)
        .join(SynthesisVersion, col(SynthesisVersion.id) == Validation.version_id)
        .where(Validation.synthesis_id == synthesis_id)
        .order_by(col(Validation.at).desc(), col(Validation.id).desc())
    ).all()
    return [(int(number), row) for number, row in rows]


def answer(
    session: Session,
    clock: Clock,
    invitation: ValidationInvite,
    *,
    version_number: int,
    decision: ValidationDecision,
    approver_name: str,
    comment: str = "",
) -> Validation:
    """Record a party's answer on the version they read.

    Refused: an answer on a version that is no longer the latest (`synthesis-changed`), an answer
    after the version was validated (`synthesis-frozen`), changes asked without a comment
    (`comment-required`), an empty name. A party may change its answer until the version is
    validated; the same answer sent twice is recorded once.
    """
    synthesis = session.get(Synthesis, invitation.synthesis_id)
    if synthesis is None:
        raise NotFound("synthesis")
    name = checked_text(approver_name, limit=NAME_LIMIT, field="name", required=True).strip()
    text = checked_text(comment, limit=COMMENT_LIMIT, field="comment").strip()
    if decision == ValidationDecision.CHANGES_REQUESTED and not text:
        raise DomainError("comment-required")
    version = get_version(session, synthesis.id or 0, version_number)
    if version.validated_at is not None:
        raise DomainError("synthesis-frozen", version=version.number)
    if version_number != synthesis.version:
        raise DomainError("synthesis-changed", current=synthesis.version)
    existing = answers(session, version.id or 0).get(invitation.party)
    if existing is not None:
        if (existing.decision, existing.approver_name, existing.comment, existing.on_behalf) == (
                decision, name, text, False):
            return existing
        existing.decision, existing.approver_name, existing.comment = decision, name, text
        # the party's own answer replaces one recorded on its behalf
        existing.on_behalf, existing.recorded_by_id, existing.given_on = False, None, None
        existing.recorded_by_name = ""
        existing.at = clock.now()
        row = existing
    else:
        row = Validation(synthesis_id=synthesis.id or 0, version_id=version.id or 0, party=invitation.party,
                         decision=decision, approver_name=name, comment=text, at=clock.now())
    session.add(row)
    session.flush()
    _freeze_if_approved(session, clock, version)
    return row


def _freeze_if_approved(session: Session, clock: Clock, version: SynthesisVersion) -> None:
    """Validate (freeze) the version once the three parties approved it, however they answered."""
    given = answers(session, version.id or 0)
    if all(party in given and given[party].decision == ValidationDecision.APPROVED for party in PARTIES):
        now = clock.now()
        table: Any = SynthesisVersion
        result = session.execute(update(table).where(table.id == version.id, table.validated_at.is_(None))
                                 .values(validated_at=now))
        if getattr(result, "rowcount", 0) == 1:
            version.validated_at = now
        else:
            session.refresh(version)


#: An approval given in person may be recorded up to this many days after the version was saved
#: earlier than its date (time zones: the version's time is UTC, the day is the approver's).
DATE_SLACK = timedelta(days=1)


def record_in_person(
    session: Session,
    clock: Clock,
    synthesis: Synthesis,
    *,
    user: User,
    version_number: int,
    party: ValidationParty,
    approver_name: str,
    given_on: date,
    note: str = "",
) -> Validation:
    """Record an approval a party gave in person (at a meeting, on paper) on its behalf.

    Stored as the party's answer marked `on_behalf`, with who recorded it and the day it was given;
    it counts for validation like an answer sent through the party's link. The same record sent
    twice is stored once. Refused: a version that is no longer the latest (`synthesis-changed`) or is
    already validated (`synthesis-frozen`), a party that already approved it itself
    (`already-approved`), a day in the future or before the version existed (`given-on-invalid`).
    A party's earlier request for changes is replaced (conditionally on what was read).
    """
    assert synthesis.id is not None
    name = checked_text(approver_name, limit=NAME_LIMIT, field="name", required=True).strip()
    text = checked_text(note, limit=COMMENT_LIMIT, field="comment").strip()
    version = get_version(session, synthesis.id, version_number)
    if version.validated_at is not None:
        raise DomainError("synthesis-frozen", version=version.number)
    if version_number != synthesis.version:
        raise DomainError("synthesis-changed", current=synthesis.version)
    now = clock.now()
    if given_on > (now + DATE_SLACK).date() or given_on < (version.created_at - DATE_SLACK).date():
        raise DomainError("given-on-invalid", version=version.number)
    recorder = (user.display_name or user.email)[:NAME_LIMIT]
    values = {"decision": ValidationDecision.APPROVED, "approver_name": name, "comment": text, "at": now,
              "on_behalf": True, "recorded_by_id": user.id, "recorded_by_name": recorder, "given_on": given_on}
    inserted = insert_once(session, Validation, {"synthesis_id": synthesis.id, "version_id": version.id,
                                                 "party": party, **values}, conflict=["version_id", "party"])
    row = session.exec(select(Validation).where(Validation.version_id == version.id,
                                                Validation.party == party)).one()
    if not inserted:
        if row.on_behalf and (row.approver_name, row.given_on, row.comment) == (name, given_on, text):
            return row  # the same record, delivered twice
        if row.decision == ValidationDecision.APPROVED:
            raise DomainError("already-approved")
        table: Any = Validation
        result = session.execute(update(table).where(table.id == row.id, table.decision == row.decision,
                                                     table.at == row.at).values(**values))
        if getattr(result, "rowcount", 0) != 1:
            raise DomainError("already-approved")  # someone answered meanwhile: reload and look
        session.refresh(row)
    else:
        session.refresh(row)
    _freeze_if_approved(session, clock, version)
    return row


@dataclass
class Status:
    """Where a synthesis stands: its latest version, the answers on it, what is still awaited."""

    synthesis: Synthesis
    latest: SynthesisVersion
    answers: dict[ValidationParty, Validation] = field(default_factory=dict)
    validated: SynthesisVersion | None = None

    @property
    def frozen(self) -> bool:
        """Whether the latest version is validated."""
        return self.latest.validated_at is not None

    @property
    def awaiting(self) -> list[ValidationParty]:
        """Parties that have not approved the latest version."""
        return [party for party in PARTIES
                if party not in self.answers or self.answers[party].decision != ValidationDecision.APPROVED]

    @property
    def change_requests(self) -> list[Validation]:
        """Answers asking for changes on the latest version."""
        return [row for row in self.answers.values() if row.decision == ValidationDecision.CHANGES_REQUESTED]


def status(session: Session, synthesis: Synthesis) -> Status:
    """The synthesis's status."""
    current = latest(session, synthesis)
    return Status(synthesis, current, answers(session, current.id or 0),
                  latest_validated(session, synthesis.id or 0))

