"""Capitalisation: kit items proposed from validated synthesis notes, reviewed, published, exported.

A facilitator (or coordinator) proposes, from a synthesis version the three parties validated, a
territory story, a new initiative card, or an example for a fiche; all three become initiative
cards of the kit (`kit_content/initiatives/<id>.md`), the example linked to its fiche so that it
shows among the fiche's related items. The proposal keeps its provenance (accompaniment,
territory, session, date, validated version, authors' roles), printed at the end of the card.

A coordinator edits (conditional on `version`) and publishes or declines. `export(...)` writes the
published proposals as Markdown files in the content format; it is called by the
`mallette export-proposals` command (or the job a coordinator's button enqueues), never by a web
worker. A file that exists and was not written from the same proposal is never overwritten.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlmodel import Session, col, select

from ..clock import Clock
from ..db import StaleVersion, update_if_version
from ..kit import Kit
from ..models import Accompaniment, Meeting, Participant, Proposal, SynthesisVersion, Territory, User, Validation
from .enums import ProposalKind, ProposalStatus
from .errors import DomainError, NotFound
from .texts import checked_text

ID_PATTERN = re.compile(r"^initiative-[a-z0-9]+(-[a-z0-9]+)*$")
SOURCE_ID = "notes-synthese-phase-2"
#: Marks a file written by the export (a Markdown link reference definition: it renders nothing);
#: the proposal's uuid follows, so a re-export recognises its own file.
MARKER = "[proposition-mallette]: <urn:mallette:proposition:"
TAGS = {
    ProposalKind.TERRITORY_STORY: ["récit de territoire", "phase 2"],
    ProposalKind.INITIATIVE: ["phase 2"],
    ProposalKind.FICHE_EXAMPLE: ["exemple", "phase 2"],
}
ROLE_WORDS = {
    "visiteur": "visiteur·se", "accueil": "accueil", "elu": "élu·e", "habitant": "habitant·e",
    "financeur": "financeur", "chercheur": "chercheur·se", "animateur": "animateur·ice",
    "coordinateur": "coordinateur·ice",
}
LIMITS = {"title": 160, "summary": 300, "territory": 300, "holder": 300, "need": 300, "innovation": 300,
          "body": 2000}


@dataclass
class Draft:
    """The editable fields of a proposal."""

    kind: ProposalKind
    item_id: str
    title: str
    summary: str
    territory: str
    holder: str
    need: str
    innovation: str
    body: str
    target_id: str | None = None


def _check(session: Session, kit: Kit, draft: Draft, proposal_id: int | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, limit in LIMITS.items():
        values[name] = checked_text(str(getattr(draft, name)), limit=limit, field=name, required=True).strip()
    item_id = draft.item_id.strip()
    if not ID_PATTERN.match(item_id) or len(item_id) > 64:
        raise DomainError("proposal-id-invalid", prefix="initiative-")
    taken = session.exec(select(Proposal.id).where(Proposal.item_id == item_id)).first()
    if kit.get(item_id) is not None or (taken is not None and taken != proposal_id):
        raise DomainError("proposal-id-taken", item_id=item_id)
    target = (draft.target_id or "").strip() or None
    if draft.kind == ProposalKind.FICHE_EXAMPLE:
        fiche = kit.get(target) if target else None
        if fiche is None or fiche.type.value != "fiche":
            raise DomainError("proposal-target-missing")
    else:
        target = None
    values.update(kind=draft.kind, item_id=item_id, target_id=target)
    return values


def provenance(session: Session, version: SynthesisVersion, meeting: Meeting) -> dict[str, Any]:
    """Where a proposal comes from: accompaniment, territory, session and date, version, authors' roles."""
    accompaniment = session.get(Accompaniment, meeting.accompaniment_id)
    assert accompaniment is not None
    territory = session.get(Territory, accompaniment.territory_id) if accompaniment.territory_id else None
    roles = sorted({str(p.role) for p in session.exec(select(Participant).where(Participant.meeting_id == meeting.id))})
    validators = session.exec(select(Validation).where(Validation.version_id == version.id)).all()
    return {
        "accompagnement": accompaniment.title,
        "territoire": territory.name if territory else "",
        "seance": meeting.title,
        "date": (meeting.starts_on.isoformat() if meeting.starts_on else meeting.created_at.date().isoformat()),
        "version_synthese": version.number,
        "validee_le": version.validated_at.date().isoformat() if version.validated_at else None,
        "roles_auteurs": ["animateur", *[r for r in roles if r != "animateur"]],
        "validee_par": sorted(str(v.party) for v in validators),
    }


def propose(session: Session, clock: Clock, kit: Kit, user: User, version: SynthesisVersion, meeting: Meeting,
            draft: Draft) -> Proposal:
    """A new proposal from a validated synthesis version (`proposal-needs-validated` otherwise)."""
    if version.validated_at is None:
        raise DomainError("proposal-needs-validated")
    values = _check(session, kit, draft, None)
    proposal = Proposal(accompaniment_id=meeting.accompaniment_id, meeting_id=meeting.id,
                        synthesis_version_id=version.id, provenance=provenance(session, version, meeting),
                        created_by_id=user.id, created_at=clock.now(), **values)
    session.add(proposal)
    session.flush()
    return proposal


def get(session: Session, proposal_id: int) -> Proposal:
    """A proposal, or `NotFound`."""
    found = session.get(Proposal, proposal_id)
    if found is None:
        raise NotFound("proposal")
    return found


def edit(session: Session, kit: Kit, proposal: Proposal, *, base_version: int, draft: Draft) -> Proposal:
    """A coordinator's edit, conditional on the version they read (`proposal-stale` otherwise)."""
    if proposal.status == ProposalStatus.PUBLISHED:
        raise DomainError("proposal-published")
    values = _check(session, kit, draft, proposal.id)
    try:
        update_if_version(session, Proposal, proposal.id, base_version, **values)
    except StaleVersion:
        raise DomainError("proposal-stale") from None
    session.refresh(proposal)
    return proposal


def decide(session: Session, clock: Clock, user: User, proposal: Proposal, *, base_version: int,
           publish: bool) -> Proposal:
    """Publish (or decline) a proposal; conditional on its version."""
    if proposal.status == ProposalStatus.PUBLISHED:
        raise DomainError("proposal-published")
    status = ProposalStatus.PUBLISHED if publish else ProposalStatus.REJECTED
    try:
        update_if_version(session, Proposal, proposal.id, base_version, status=status, reviewed_by_id=user.id,
                          published_at=clock.now() if publish else None)
    except StaleVersion:
        raise DomainError("proposal-stale") from None
    session.refresh(proposal)
    return proposal


def listing(session: Session, accompaniment_ids: list[int] | None = None) -> list[Proposal]:
    """Proposals, newest first (of some accompaniments only, when given)."""
    statement = select(Proposal).order_by(col(Proposal.created_at).desc(), col(Proposal.id).desc())
    if accompaniment_ids is not None:
        statement = statement.where(col(Proposal.accompaniment_id).in_(accompaniment_ids))
    return list(session.exec(statement).all())


# -- export into the content -------------------------------------------------------------------------


def _provenance_line(proposal: Proposal) -> str:
    p = proposal.provenance
    roles = ", ".join(ROLE_WORDS.get(r, r) for r in p.get("roles_auteurs", []))
    place = f" ({p['territoire']})" if p.get("territoire") else ""
    return (f"*Provenance : accompagnement « {p.get('accompagnement', '')} »{place}, séance « {p.get('seance', '')} » "
            f"du {p.get('date', '')} ; note de synthèse validée (version {p.get('version_synthese', '')}) par les "
            f"communautés demandeuse et accompagnatrice et le groupe de visite ; rédigé avec : {roles}.*")


def markdown(proposal: Proposal) -> str:
    """The proposal as a content file: YAML front matter of an initiative card, body, provenance."""
    front: dict[str, Any] = {
        "id": proposal.item_id,
        "titre": proposal.title,
        "resume": proposal.summary,
        "tags": TAGS[proposal.kind],
        "liens": [proposal.target_id] if proposal.target_id else [],
        "sources": [SOURCE_ID],
        "territoire": proposal.territory,
        "porteur": proposal.holder,
        "besoin": proposal.need,
        "innovation": proposal.innovation,
    }
    head = yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=1000).strip()
    body = proposal.body.strip()
    return f"---\n{head}\n---\n\n{body}\n\n{_provenance_line(proposal)}\n\n{MARKER}{proposal.uuid}>\n"


@dataclass
class Exported:
    """What an export did: files written, files already up to date, proposals refused (with why)."""

    written: list[Path]
    unchanged: list[Path]
    refused: list[tuple[str, str]]


def export(session: Session, clock: Clock, content_dir: Path) -> Exported:
    """Write every published proposal into `content_dir/initiatives/` (idempotent)."""
    folder = Path(content_dir) / "initiatives"
    folder.mkdir(parents=True, exist_ok=True)
    result = Exported([], [], [])
    published = session.exec(select(Proposal).where(Proposal.status == ProposalStatus.PUBLISHED)
                             .order_by(col(Proposal.id))).all()
    for proposal in published:
        path = folder / f"{proposal.item_id}.md"
        text = markdown(proposal)
        if path.is_symlink():
            result.refused.append((proposal.item_id, "lien symbolique refusé"))
            continue
        if path.exists():
            current = path.read_text(encoding="utf-8")
            if f"{MARKER}{proposal.uuid}>" not in current:
                result.refused.append((proposal.item_id, "un fichier de ce nom existe déjà dans le contenu"))
                continue
            if current == text:
                result.unchanged.append(path)
                continue
        path.write_text(text, encoding="utf-8")
        proposal.exported_at = clock.now()
        session.add(proposal)
        result.written.append(path)
    session.flush()
    return result

