"""What a session report holds, gathered once for the PDF and the CSV and JSON exports.

- the agenda as run: planned and actual minutes of each step, by half-day;
- who took part, by community and role, under the name or pseudonym each person chose;
- the notes by grid dimension with their votes (hidden, deleted and merged notes left out);
- the debrief clusters; the kit cards the room used (notes linked to a card);
- the impression notes whose authors agreed to share them (sent, consent given), nothing else;
- the latest validated version of the synthesis note, with who approved it for each party.

Participant text travels as plain strings: the PDF template escapes it, the CSV neutralises
spreadsheet formulas, the JSON is JSON.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from ..models import (
    Accompaniment,
    AgendaStep,
    Community,
    HalfDay,
    ImpressionNote,
    Meeting,
    Note,
    Participant,
    SynthesisVersion,
    Territory,
    Validation,
)
from . import debrief, impressions, synthesis
from .enums import MeetingStatus, PersonRole, Regard, ValidationParty


@dataclass
class StepRow:
    """A step of the agenda as run."""

    title: str
    half_day: str
    planned_minutes: int
    actual_minutes: int | None
    start: datetime | None


@dataclass
class CommunityPeople:
    """The participants of one community, by role."""

    name: str
    by_role: dict[PersonRole, list[str]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """How many took part."""
        return sum(len(names) for names in self.by_role.values())


@dataclass
class NoteRow:
    """A note in the report."""

    id: int
    dimension_id: str
    question_id: str | None
    card_id: str | None
    text: str
    votes: int
    cluster: str | None
    created_at: datetime


@dataclass
class ClusterRow:
    """A debrief cluster in the report."""

    name: str
    regard: Regard
    votes: int
    notes: list[str]
    dimensions: list[str]


@dataclass
class ImpressionRow:
    """A shared impression note, under its author's chosen name, role and community."""

    author: str
    role: PersonRole
    community: str
    text: str
    sent_at: datetime | None


@dataclass
class ReportData:
    """Everything the session report shows."""

    meeting: Meeting
    accompaniment: Accompaniment
    territory: str
    asking: str
    offering: str
    steps: list[StepRow]
    people: list[CommunityPeople]
    notes_by_dimension: dict[str, list[NoteRow]]
    clusters: list[ClusterRow]
    cards: list[tuple[str, int]]
    impressions: list[ImpressionRow]
    impressions_sent: int
    participants: int
    validated: SynthesisVersion | None
    validations: dict[ValidationParty, Validation]

    @property
    def note_count(self) -> int:
        """Notes in the report."""
        return sum(len(rows) for rows in self.notes_by_dimension.values())


def _minutes(step: AgendaStep) -> int | None:
    if step.actual_start is None or step.actual_end is None:
        return None
    return max(0, round((step.actual_end - step.actual_start).total_seconds() / 60))


def gather(session: Session, meeting: Meeting) -> ReportData:
    """Read everything the report of `meeting` shows (one pass per table)."""
    assert meeting.id is not None
    accompaniment = session.get(Accompaniment, meeting.accompaniment_id)
    assert accompaniment is not None
    communities = {c.id: c.name for c in session.exec(select(Community).where(col(Community.id).in_(
        [i for i in (accompaniment.asking_community_id, accompaniment.offering_community_id) if i]))).all()}
    participants = session.exec(select(Participant).where(Participant.meeting_id == meeting.id)
                                .order_by(col(Participant.name), col(Participant.id))).all()
    ids = {p.community_id for p in participants if p.community_id and p.community_id not in communities}
    if ids:
        communities.update({c.id: c.name for c in session.exec(select(Community).where(col(Community.id).in_(ids)))})
    territory = session.get(Territory, accompaniment.territory_id) if accompaniment.territory_id else None
    halves = {h.id: h for h in session.exec(select(HalfDay).where(HalfDay.meeting_id == meeting.id))}

    def in_agenda_order(step: AgendaStep) -> tuple[int, int, int, int]:
        """Half-day by half-day as planned (a step's position counts within its half-day)."""
        half = halves.get(step.half_day_id)
        return (half.position if half else -1, half.id or 0 if half else 0, step.position, step.id or 0)

    steps = [
        StepRow(s.title, halves[s.half_day_id].title if s.half_day_id in halves else "", s.planned_minutes,
                _minutes(s), s.actual_start)
        for s in sorted(session.exec(select(AgendaStep).where(AgendaStep.meeting_id == meeting.id)).all(),
                        key=in_agenda_order)
    ]
    people: dict[str, CommunityPeople] = {}
    for person in participants:
        name = communities.get(person.community_id, "") if person.community_id else ""
        group = people.setdefault(name, CommunityPeople(name))
        group.by_role.setdefault(person.role, []).append(person.name)

    board = debrief.board(session, meeting.id)
    cluster_of: dict[int, str] = {}
    clusters = []
    for entry in board.clusters:
        for item in entry.notes:
            cluster_of[item.note.id or 0] = entry.cluster.name
        clusters.append(ClusterRow(entry.cluster.name,
                                   synthesis.cluster_regard(entry.cluster, [i.note.dimension_id for i in entry.notes]),
                                   entry.votes, [i.note.text for i in entry.notes], entry.dimensions))
    votes = debrief.vote_counts(session, meeting.id)
    notes = session.exec(select(Note).where(Note.meeting_id == meeting.id, col(Note.deleted_at).is_(None),
                                            col(Note.hidden).is_(False), col(Note.merged_into_id).is_(None))
                         .order_by(col(Note.created_at), col(Note.id))).all()
    by_dimension: dict[str, list[NoteRow]] = defaultdict(list)
    cards: Counter[str] = Counter()
    for note in notes:
        by_dimension[note.dimension_id].append(NoteRow(
            note.id or 0, note.dimension_id, note.question_id, note.card_id, note.text,
            votes.get(note.id or 0, 0), cluster_of.get(note.id or 0), note.created_at))
        if note.card_id:
            cards[note.card_id] += 1
    for rows in by_dimension.values():
        rows.sort(key=lambda row: (-row.votes, row.created_at))

    by_id = {p.id: p for p in participants}
    shared = []
    for impression in impressions.sent_with_consent(session, meeting.id):
        author = by_id.get(impression.participant_id)
        if author is None or not impression.text.strip():
            continue
        shared.append(ImpressionRow(author.name, author.role, communities.get(author.community_id, "")
                                    if author.community_id else "", impression.text, impression.submitted_at))
    sent = len(session.exec(select(ImpressionNote.id).where(
        ImpressionNote.meeting_id == meeting.id, col(ImpressionNote.submitted_at).is_not(None))).all())

    found = synthesis.find(session, meeting.id)
    validated = synthesis.latest_validated(session, found.id or 0) if found else None
    validations = synthesis.answers(session, validated.id or 0) if validated else {}
    asking = communities.get(accompaniment.asking_community_id, "") if accompaniment.asking_community_id else ""
    offering = communities.get(accompaniment.offering_community_id, "") \
        if accompaniment.offering_community_id else ""
    ordered_people = sorted(people.values(), key=lambda g: (g.name not in (asking, offering), g.name != asking,
                                                            g.name))
    return ReportData(
        meeting, accompaniment, territory.name if territory else "", asking, offering, steps, ordered_people,
        dict(by_dimension), clusters, cards.most_common(), shared, sent, len(participants), validated, validations,
    )


# -- exports -------------------------------------------------------------------------------------------

CSV_COLUMNS = ["note", "dimension", "question", "carte", "texte", "votes", "groupe", "cree_le"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


#: A formula's first character right after a separator some spreadsheet may split at (";" is the
#: French default, the comma and tab others): that spreadsheet would start a cell with it.
_FORMULA_AFTER_SEPARATOR = re.compile(r"([,;\t]\s*)(?=[=+\-@])")


def _cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will not run as a formula, whatever separator it splits lines at:
    an apostrophe before a formula's first character at the start and after any `,` `;` or tab."""
    text = "" if value is None else str(value)
    text = _FORMULA_AFTER_SEPARATOR.sub(r"\1'", text)
    return "'" + text if text.startswith(_FORMULA_START) else text


def notes_csv(data: ReportData) -> str:
    """The session's notes as CSV (one row per note, formulas neutralised). Every cell is quoted, so
    that a spreadsheet splitting lines at another separator than the comma (";" in French ones)
    still reads each note as one cell, never its text after a ";" as a cell of its own."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL)
    writer.writerow(CSV_COLUMNS)
    for rows in data.notes_by_dimension.values():
        for row in rows:
            writer.writerow([_cell(v) for v in (row.id, row.dimension_id, row.question_id, row.card_id, row.text,
                                                row.votes, row.cluster, row.created_at.isoformat())])
    return out.getvalue()


def as_json(data: ReportData) -> str:
    """The session as JSON: agenda as run, participation, notes, clusters, shared impressions, synthesis."""
    version = data.validated
    payload = {
        "seance": {"uuid": data.meeting.uuid, "titre": data.meeting.title, "type": data.meeting.kind.value,
                   "lieu": data.meeting.place,
                   "du": data.meeting.starts_on.isoformat() if data.meeting.starts_on else None,
                   "au": data.meeting.ends_on.isoformat() if data.meeting.ends_on else None},
        "accompagnement": {"uuid": data.accompaniment.uuid, "titre": data.accompaniment.title,
                           "territoire": data.territory, "communaute_demandeuse": data.asking,
                           "communaute_accompagnatrice": data.offering},
        "deroule": [{"etape": s.title, "demi_journee": s.half_day, "minutes_prevues": s.planned_minutes,
                     "minutes_reelles": s.actual_minutes} for s in data.steps],
        "participation": [{"communaute": g.name, "roles": {r.value: names for r, names in g.by_role.items()}}
                          for g in data.people],
        "notes": [{"id": r.id, "dimension": r.dimension_id, "question": r.question_id, "carte": r.card_id,
                   "texte": r.text, "votes": r.votes, "groupe": r.cluster, "cree_le": r.created_at.isoformat()}
                  for rows in data.notes_by_dimension.values() for r in rows],
        "groupes": [{"nom": c.name, "regard": c.regard.value, "votes": c.votes, "notes": c.notes}
                    for c in data.clusters],
        "cartes_utilisees": [{"carte": card, "notes": n} for card, n in data.cards],
        "notes_impression": {"envoyees": data.impressions_sent,
                             "partagees": [{"auteur": i.author, "role": i.role.value, "communaute": i.community,
                                            "texte": i.text} for i in data.impressions]},
        "synthese_validee": None if version is None else {
            "version": version.number, "validee_le": version.validated_at.isoformat() if version.validated_at else None,
            "regards": {r.value: synthesis.regard_of(version, r) for r in Regard},
            "validations": [{"partie": p.value, "par": v.approver_name, "le": v.at.isoformat(),
                             "en_personne": v.on_behalf, "donne_le": v.given_on.isoformat() if v.given_on else None,
                             "enregistre_par": v.recorded_by_name if v.on_behalf else None}
                            for p, v in data.validations.items()],
        },
    }
    return json.dumps(payload, ensure_ascii=False, indent=2)


# -- dashboards ------------------------------------------------------------------------------------------


@dataclass
class MeetingSummary:
    """One session in a dashboard: what was produced and what is waiting on whom."""

    meeting: Meeting
    participants: int
    by_role: dict[PersonRole, int]
    by_community: dict[str, int]
    notes: int
    clusters: int
    impressions_sent: int
    synthesis_version: int | None
    validated_version: int | None
    awaiting: list[ValidationParty]
    change_requests: int

    @property
    def waiting_on(self) -> list[str]:
        """Who the session waits on, as codes: `facilitator-debrief`, `facilitator-synthesis`,
        `participants-impressions`, `party:<party>`."""
        waits = []
        closed = self.meeting.status == MeetingStatus.CLOSED
        if closed and self.notes and not self.clusters:
            waits.append("facilitator-debrief")
        if closed and self.synthesis_version is None:
            waits.append("facilitator-synthesis")
        if self.change_requests:
            waits.append("facilitator-changes")
        if closed and self.participants and self.impressions_sent < self.participants:
            waits.append("participants-impressions")
        if self.synthesis_version is not None and not self.change_requests:
            waits += [f"party:{party.value}" for party in self.awaiting]
        return waits


def meeting_summaries(session: Session, accompaniment: Accompaniment) -> list[MeetingSummary]:
    """Every session of an accompaniment, summarised (in date order)."""
    from sqlalchemy import func

    from ..models import Cluster

    meetings = session.exec(select(Meeting).where(Meeting.accompaniment_id == accompaniment.id)
                            .order_by(col(Meeting.starts_on), col(Meeting.id))).all()
    result = []
    for meeting in meetings:
        people = session.exec(select(Participant).where(Participant.meeting_id == meeting.id)).all()
        names = {c.id: c.name for c in session.exec(select(Community).where(
            col(Community.id).in_({p.community_id for p in people if p.community_id})))} if people else {}
        notes = session.exec(select(func.count()).select_from(Note).where(
            Note.meeting_id == meeting.id, col(Note.deleted_at).is_(None))).one()
        clusters = session.exec(select(func.count()).select_from(Cluster).where(Cluster.meeting_id == meeting.id)).one()
        sent = session.exec(select(func.count()).select_from(ImpressionNote).where(
            ImpressionNote.meeting_id == meeting.id, col(ImpressionNote.submitted_at).is_not(None))).one()
        found = synthesis.find(session, meeting.id or 0)
        state = synthesis.status(session, found) if found else None
        result.append(MeetingSummary(
            meeting, len(people), dict(Counter(p.role for p in people)),
            dict(Counter(names.get(p.community_id, "") for p in people)), int(notes), int(clusters), int(sent),
            state.latest.number if state else None, state.validated.number if state and state.validated else None,
            state.awaiting if state else list(ValidationParty), len(state.change_requests) if state else 0))
    return result
