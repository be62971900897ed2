"""Planning a session (a `Meeting`): from a protocol template of the kit or an activity sheet, then edited.

Templates are kit content: a protocol (`type: protocole`) lists half-days whose steps cite activity
steps by address (`<activity-id>.<step-id>`) or are free steps; an activity sheet gives one half-day
made of its own steps. `Template` is the neutral form both turn into, so that the planner does not
depend on how content is parsed. Edits (add, remove, move, retime, attach dimensions and postures)
keep positions dense within each half-day and bump the session's `version` (the live views' ETag).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, select

from ..clock import Clock
from ..db import bump_version
from ..models import Accompaniment, AgendaStep, HalfDay, Meeting
from .accompaniments import clean
from .enums import MeetingKind
from .errors import DomainError

MAX_STEP_MINUTES = 600
MAX_HALF_DAY_MINUTES = 720
DEFAULT_HALF_DAY_MINUTES = 180


@dataclass(frozen=True)
class TemplateStep:
    """A step a template proposes."""

    title: str
    minutes: int
    instructions: str = ""
    activity_id: str | None = None
    address: str | None = None  # `<activity-id>.<step-id>`
    dimensions: tuple[str, ...] = ()


@dataclass(frozen=True)
class TemplateHalfDay:
    """A half-day a template proposes, with the time it has."""

    key: str
    title: str
    minutes: int
    steps: tuple[TemplateStep, ...]


@dataclass(frozen=True)
class Template:
    """What a session is planned from: a protocol or an activity sheet of the kit."""

    id: str
    title: str
    kind: MeetingKind | None
    half_days: tuple[TemplateHalfDay, ...]


def _field(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _item_type(item: Any) -> str:
    return str(getattr(item.type, "value", item.type))


def activity_step_address(activity: Any, step: Any, position: int) -> str | None:
    """The stable address of an activity's step, when the content gives steps ids."""
    local = _field(step, "id")
    return f"{activity.id}.{local}" if local else None


def resolve_step(kit: Any, address: str) -> tuple[Any, Any]:
    """The (activity, step) an address points at; `DomainError('template-step-missing')` if none."""
    activity_id, _, local = address.partition(".")
    activity = kit.get(activity_id)
    if activity is not None and _item_type(activity) == "activite":
        for step in activity.get("etapes", []) or []:
            if _field(step, "id") == local:
                return activity, step
    raise DomainError("template-step-missing", address=address)


def protocols(kit: Any) -> list[Any]:
    """The kit's protocol templates, in display order."""
    return [item for item in kit if _item_type(item) == "protocole"]


def activities(kit: Any) -> list[Any]:
    """The kit's activity sheets, in display order."""
    return [item for item in kit if _item_type(item) == "activite"]


def template_from_protocol(kit: Any, protocol_id: str) -> Template:
    """The template of a protocol (`DomainError('template-unknown')` if the kit has none by that id)."""
    item = kit.get(protocol_id)
    if item is None or _item_type(item) != "protocole":
        raise DomainError("template-unknown", template=protocol_id)
    half_days = []
    for day in item.get("demi_journees", []) or []:
        steps = []
        for entry in _field(day, "etapes", []) or []:
            address = _field(entry, "etape")
            if address:
                activity, step = resolve_step(kit, address)
                steps.append(TemplateStep(
                    title=_field(entry, "titre") or _field(step, "titre"),
                    minutes=int(_field(entry, "minutes") or _field(step, "minutes")),
                    instructions=_field(entry, "consigne") or _field(step, "consigne") or "",
                    activity_id=activity.id, address=address, dimensions=tuple(activity.dimensions),
                ))
            else:
                steps.append(TemplateStep(title=_field(entry, "titre"), minutes=int(_field(entry, "minutes")),
                                          instructions=_field(entry, "consigne") or ""))
        half_days.append(TemplateHalfDay(key=_field(day, "id") or "", title=_field(day, "titre"),
                                         minutes=int(_field(day, "minutes")), steps=tuple(steps)))
    kind_value = item.get("type_seance")
    kind = MeetingKind(kind_value) if kind_value in {k.value for k in MeetingKind} else None
    return Template(id=item.id, title=item.title, kind=kind, half_days=tuple(half_days))


def template_from_activity(kit: Any, activity_id: str) -> Template:
    """One half-day made of an activity sheet's steps, with the sheet's duration as time available."""
    item = kit.get(activity_id)
    if item is None or _item_type(item) != "activite":
        raise DomainError("template-unknown", template=activity_id)
    steps = tuple(
        TemplateStep(title=_field(step, "titre"), minutes=int(_field(step, "minutes")),
                     instructions=_field(step, "consigne") or "", activity_id=item.id,
                     address=activity_step_address(item, step, n), dimensions=tuple(item.dimensions))
        for n, step in enumerate(item.get("etapes", []) or [], start=1)
    )
    total = sum(step.minutes for step in steps)
    available = max(int(item.get("duree") or total), total)
    return Template(id=item.id, title=item.title, kind=None,
                    half_days=(TemplateHalfDay(key=item.id[:40], title=item.title, minutes=available, steps=steps),))


# -- creating a session --------------------------------------------------------------------------


def create_meeting(
    session: Session, clock: Clock, accompaniment: Accompaniment, *, kind: MeetingKind, title: str,
    place: str = "", starts_on: date | None = None, ends_on: date | None = None,
    template: Template | None = None,
) -> Meeting:
    """A new planned session, with the template's half-days and steps (or one empty half-day)."""
    if starts_on and ends_on and ends_on < starts_on:
        raise DomainError("dates-order")
    assert accompaniment.id is not None
    meeting = Meeting(
        accompaniment_id=accompaniment.id, kind=MeetingKind(kind), title=clean(title, 200, "title-length"),
        place=clean(place, 200, "place-length", required=False), starts_on=starts_on, ends_on=ends_on,
        template_id=template.id if template else None, created_at=clock.now(),
    )
    session.add(meeting)
    session.flush()
    assert meeting.id is not None
    half_days = template.half_days if template else (
        TemplateHalfDay(key="demi-journee-1", title="", minutes=DEFAULT_HALF_DAY_MINUTES, steps=()),)
    for n, planned in enumerate(half_days):
        day = starts_on + timedelta(days=n // 2) if starts_on else None
        half_day = HalfDay(meeting_id=meeting.id, position=n, key=planned.key[:40],
                           title=(planned.title or f"{n + 1}")[:120], day=day,
                           available_minutes=min(planned.minutes, MAX_HALF_DAY_MINUTES))
        session.add(half_day)
        session.flush()
        for m, step in enumerate(planned.steps):
            session.add(_step_row(meeting.id, half_day.id, m, step))
    session.flush()
    return meeting


def _step_row(meeting_id: int, half_day_id: int | None, position: int, step: TemplateStep) -> AgendaStep:
    return AgendaStep(
        meeting_id=meeting_id, half_day_id=half_day_id, position=position, title=step.title[:200],
        instructions=step.instructions, activity_id=step.activity_id, activity_step_id=step.address,
        planned_minutes=max(1, min(step.minutes, MAX_STEP_MINUTES)), dimensions=list(step.dimensions),
        postures=[],
    )


# -- reading the agenda --------------------------------------------------------------------------


@dataclass
class HalfDayPlan:
    """A half-day and its steps, with the total against the time available."""

    half_day: HalfDay | None  # None: steps not placed in a half-day
    steps: list[AgendaStep] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Planned minutes of its steps."""
        return sum(step.planned_minutes for step in self.steps)

    @property
    def available(self) -> int | None:
        """Minutes the half-day has (None for unplaced steps)."""
        return self.half_day.available_minutes if self.half_day else None

    @property
    def overrun(self) -> int:
        """Minutes planned beyond the time available (0 when it fits)."""
        return max(0, self.total - self.available) if self.available is not None else 0

    def offsets(self) -> list[tuple[AgendaStep, int, int]]:
        """Each step with its start and end, in minutes from the half-day's start."""
        rows, start = [], 0
        for step in self.steps:
            rows.append((step, start, start + step.planned_minutes))
            start += step.planned_minutes
        return rows


def agenda(session: Session, meeting_id: int) -> list[HalfDayPlan]:
    """The session's half-days in order, each with its steps in order (unplaced steps last)."""
    half_days = session.exec(
        select(HalfDay).where(HalfDay.meeting_id == meeting_id).order_by(HalfDay.position, HalfDay.id)  # type: ignore[arg-type]
    ).all()
    plans = {hd.id: HalfDayPlan(hd) for hd in half_days}
    loose = HalfDayPlan(None)
    steps = session.exec(
        select(AgendaStep).where(AgendaStep.meeting_id == meeting_id)
        .order_by(AgendaStep.position, AgendaStep.id)  # type: ignore[arg-type]
    ).all()
    for step in steps:
        plans.get(step.half_day_id, loose).steps.append(step)
    result = list(plans.values())
    return result + [loose] if loose.steps else result


def _flat(plans: Sequence[HalfDayPlan]) -> list[AgendaStep]:
    return [step for plan in plans for step in plan.steps]


def _renumber(session: Session, steps: Iterable[AgendaStep]) -> None:
    for n, step in enumerate(steps):
        if step.position != n:
            step.position = n
            session.add(step)


def _changed(session: Session, meeting: Meeting) -> None:
    session.flush()
    assert meeting.id is not None
    meeting.version = bump_version(session, Meeting, meeting.id)


def get_step(session: Session, meeting: Meeting, step_id: int) -> AgendaStep:
    """A step of this session (`not-found` for another session's step: no IDOR through step ids)."""
    step = session.get(AgendaStep, step_id)
    if step is None or step.meeting_id != meeting.id:
        raise DomainError("not-found", what="step")
    return step


def get_half_day(session: Session, meeting: Meeting, half_day_id: int) -> HalfDay:
    """A half-day of this session (`not-found` otherwise)."""
    half_day = session.get(HalfDay, half_day_id)
    if half_day is None or half_day.meeting_id != meeting.id:
        raise DomainError("not-found", what="half-day")
    return half_day


def check_minutes(minutes: int, maximum: int = MAX_STEP_MINUTES) -> int:
    """A duration in minutes between 1 and `maximum` (`DomainError('minutes-range')`)."""
    if not 1 <= minutes <= maximum:
        raise DomainError("minutes-range", maximum=maximum)
    return minutes


# -- editing -----------------------------------------------------------------------------------------


def add_step(
    session: Session, meeting: Meeting, half_day: HalfDay, *, title: str, minutes: int, instructions: str = "",
    template_step: TemplateStep | None = None,
) -> AgendaStep:
    """Append a step to a half-day: a free one (title, minutes), or one taken from the kit."""
    assert meeting.id is not None and half_day.id is not None
    if half_day.meeting_id != meeting.id:
        raise DomainError("not-found", what="half-day")
    position = len(session.exec(select(AgendaStep).where(AgendaStep.half_day_id == half_day.id)).all())
    if template_step is not None:
        step = _step_row(meeting.id, half_day.id, position, template_step)
        if minutes:
            step.planned_minutes = check_minutes(minutes)
    else:
        step = AgendaStep(meeting_id=meeting.id, half_day_id=half_day.id, position=position,
                          title=clean(title, 200, "title-length"), instructions=instructions.strip()[:4000],
                          planned_minutes=check_minutes(minutes), dimensions=[], postures=[])
    session.add(step)
    _changed(session, meeting)
    return step


def remove_step(session: Session, meeting: Meeting, step: AgendaStep) -> None:
    """Delete a step; the others close up."""
    half_day_id = step.half_day_id
    session.delete(step)
    session.flush()
    plan = next((p for p in agenda(session, meeting.id or 0)
                 if (p.half_day.id if p.half_day else None) == half_day_id), None)
    if plan is not None:
        _renumber(session, plan.steps)
    _changed(session, meeting)


def move_step(session: Session, meeting: Meeting, step: AgendaStep, direction: str) -> None:
    """Move a step one place `up` or `down`; at a half-day's edge it goes to the next half-day.

    At the very first or last place of the session nothing changes.
    """
    if direction not in ("up", "down"):
        raise DomainError("direction-invalid")
    plans = [p for p in agenda(session, meeting.id or 0) if p.half_day is not None]
    where = next(((n, p) for n, p in enumerate(plans) if step in p.steps), None)
    if where is None:
        return
    n, plan = where
    index = plan.steps.index(step)
    if direction == "up" and index > 0:
        plan.steps[index - 1], plan.steps[index] = plan.steps[index], plan.steps[index - 1]
    elif direction == "down" and index < len(plan.steps) - 1:
        plan.steps[index + 1], plan.steps[index] = plan.steps[index], plan.steps[index + 1]
    elif direction == "up" and n > 0:
        plan.steps.pop(index)
        target = plans[n - 1]
        target.steps.append(step)
        step.half_day_id = target.half_day.id  # type: ignore[union-attr]
        _renumber(session, target.steps)
    elif direction == "down" and n < len(plans) - 1:
        plan.steps.pop(index)
        target = plans[n + 1]
        target.steps.insert(0, step)
        step.half_day_id = target.half_day.id  # type: ignore[union-attr]
        _renumber(session, target.steps)
    else:
        return
    session.add(step)
    _renumber(session, plan.steps)
    _changed(session, meeting)


def retime_step(session: Session, meeting: Meeting, step: AgendaStep, minutes: int) -> None:
    """Set a step's planned duration (1 to 600 minutes)."""
    step.planned_minutes = check_minutes(minutes)
    session.add(step)
    _changed(session, meeting)


def edit_step(session: Session, meeting: Meeting, step: AgendaStep, *, title: str, minutes: int,
              instructions: str, dimensions: Sequence[str], postures: Sequence[str],
              known_dimensions: Iterable[str], known_postures: Iterable[str]) -> None:
    """Change a step's title, duration, instructions, and the grid dimensions and postures it feeds."""
    dimension_ids, posture_ids = set(known_dimensions), set(known_postures)
    unknown = [d for d in [*dimensions, *postures] if d not in dimension_ids and d not in posture_ids]
    if unknown:
        raise DomainError("link-unknown", ids=", ".join(unknown))
    step.title = clean(title, 200, "title-length")
    step.planned_minutes = check_minutes(minutes)
    step.instructions = instructions.strip()[:4000]
    step.dimensions = [d for d in dict.fromkeys(dimensions) if d in dimension_ids]
    step.postures = [p for p in dict.fromkeys(postures) if p in posture_ids]
    session.add(step)
    _changed(session, meeting)


def set_available(session: Session, meeting: Meeting, half_day: HalfDay, minutes: int) -> None:
    """Set the time a half-day has for its steps."""
    half_day.available_minutes = check_minutes(minutes, MAX_HALF_DAY_MINUTES)
    session.add(half_day)
    _changed(session, meeting)


def add_half_day(session: Session, meeting: Meeting, *, title: str, minutes: int) -> HalfDay:
    """Add a half-day at the end of the session."""
    assert meeting.id is not None
    count = len(session.exec(select(HalfDay).where(HalfDay.meeting_id == meeting.id)).all())
    half_day = HalfDay(meeting_id=meeting.id, position=count, key=f"demi-journee-{count + 1}",
                       title=clean(title, 120, "title-length"),
                       available_minutes=check_minutes(minutes, MAX_HALF_DAY_MINUTES))
    session.add(half_day)
    _changed(session, meeting)
    return half_day
