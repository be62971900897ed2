"""What the live screens share: grid and posture lookups, the cheap conditional poll, the clock.

Every live screen (console, projection, phone) polls a fragment URL that carries the version and
wall epoch it has seen (`?v=…&e=…`). The server reads one row (the session's version) and answers
304 when nothing changed, with an ETag made of the version and the viewer (a participant's view
differs from another's) and `Cache-Control: no-cache`; otherwise it sends only what changed since
`v` (new notes, changed notes, the status bar), or the whole wall when the epoch moved.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from flask import Response, current_app, jsonify, make_response, request
from markupsafe import Markup

from .. import get_state
from ..facilitation.enums import MeetingStatus
from ..facilitation.live import clockface
from ..facilitation.notes import WallNote
from ..kit import ItemType
from ..models import Meeting
from .context import clock
from .domain_messages import live_refusal
from .ids import parse_id

#: How often live screens ask for changes (milliseconds); bench/live.py uses the same.
POLL_MS = 2000


@dataclass(frozen=True)
class Dimension:
    """A grid dimension as the live screens show it."""

    id: str
    title: str
    questions: list[tuple[str, str]]  # (question id, text)


def _question_ids(dimension_id: str, raw: list[Any]) -> list[tuple[str, str]]:
    found = []
    for index, question in enumerate(raw, start=1):
        if isinstance(question, str):
            found.append((f"{dimension_id}.q{index}", question))
        else:  # stable ids from the content (`{id, texte}`)
            local = getattr(question, "id", None) or f"q{index}"
            qid = f"{dimension_id}.{local}"
            text = getattr(question, "texte", None) or getattr(question, "text", None) or str(question)
            found.append((str(qid), str(text)))
    return found


@dataclass(frozen=True)
class _Grid:
    dimensions: list[Dimension]
    dimension_ids: list[str]
    question_ids: list[str]
    posture_ids: list[str]


_grids: dict[str, _Grid] = {}


def _grid() -> _Grid:
    kit = get_state().kit
    found = _grids.get(kit.content_hash)
    if found is None:
        dims = [Dimension(item.id, item.title, _question_ids(item.id, list(item.get("questions", []) or [])))
                for item in kit.by_type(ItemType.DIMENSION)]
        found = _Grid(dims, [d.id for d in dims], [qid for d in dims for qid, _text in d.questions],
                      [item.id for item in kit.by_type(ItemType.POSTURE)])
        if len(_grids) > 8:
            _grids.clear()
        _grids[kit.content_hash] = found
    return found


def dimensions() -> list[Dimension]:
    """The questioning grid's dimensions, in the kit's order (computed once per content version)."""
    return _grid().dimensions


def dimension_ids() -> list[str]:
    """Ids of the grid's dimensions."""
    return _grid().dimension_ids


def question_ids() -> list[str]:
    """Ids of every grid question."""
    return _grid().question_ids


def posture_ids() -> list[str]:
    """Ids of the kit's posture cards."""
    return _grid().posture_ids


def kit_item(item_id: str | None) -> Any:
    """A kit item by id (None if unknown)."""
    return get_state().kit.get(item_id) if item_id else None


def client_state() -> tuple[int | None, int | None]:
    """The version and wall epoch the polling screen has (`?v=&e=`), None when absent or bad."""

    def number(name: str) -> int | None:
        return parse_id(request.args.get(name))

    return number("v"), number("e")


def etag_for(version: int, viewer: str) -> str:
    """The ETag of a live view: the session's version plus who is looking."""
    return f'"{version}.{viewer}"'


def not_modified(etag: str) -> Response | None:
    """A 304 when the screen already has this state (by ETag, or by the version it sent)."""
    version = etag.strip('"').split(".", 1)[0]
    seen, _epoch = client_state()
    if request.if_none_match.contains(etag.strip('"')) or (seen is not None and str(seen) == version):
        response = make_response("", 304)
        response.headers["ETag"] = etag
        response.headers["Cache-Control"] = "no-cache"
        return response
    return None


def live_response(template: str, etag: str, **context: Any) -> Response:
    """A live fragment with its ETag, never cached without asking again (rendered with only the
    context given, see `rendering.render_fragment`)."""
    from .rendering import render_fragment

    response = render_fragment(template, **context)
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Vary"] = "HX-Request, Cookie"
    return response


def clock_context(meeting: Meeting) -> dict[str, Any]:
    """The countdown for templates (`face`) and the poll interval."""
    return {"face": clockface(meeting, clock()), "poll_ms": POLL_MS}


def server_time() -> Response:
    """The server's clock in epoch milliseconds: screens measure their offset against it."""
    response = jsonify(now=int(clock().now().timestamp() * 1000))
    response.headers["Cache-Control"] = "no-store"
    return response


def base_url() -> str:
    """The address the join QR code carries (BASE_URL; `mallette serve --lan` sets the LAN one)."""
    return str(current_app.config["BASE_URL"]).rstrip("/")




#: The live views' name for it (the messages live in `domain_messages`).
refusal = live_refusal

# -- notes as HTML, rendered once per version ---------------------------------------------------------
# Every screen receives every note: with 150 phones, a note is sent 150 times. A note's HTML only
# depends on its version, the kind of viewer and the language (unless it is the viewer's own note
# or carries their vote), so it is rendered once and reused.

_note_cache: OrderedDict[tuple[Any, ...], Markup] = OrderedDict()
_note_lock = threading.Lock()
NOTE_CACHE_SIZE = 20_000


def notes_html(items: list[WallNote], viewer: str, meeting: Meeting, oob: bool = False) -> Markup:
    """Notes of the wall as HTML for this kind of viewer (each cached when it is not personal)."""
    from flask import get_template_attribute

    from .rendering import _locale as locale_code

    live = meeting.status is MeetingStatus.LIVE  # once closed, nothing is voted on nor edited
    votes_on = live and meeting.votes_per_participant > 0
    locale = locale_code()
    macro = None
    parts: list[str] = []
    for note in items:
        personal = viewer == "facilitator" or note.own or note.voted
        key = (note.id, note.changed_version, note.votes, note.hidden, viewer, oob, votes_on, live, locale)
        found = None if personal else _note_cache.get(key)
        if found is None:
            if macro is None:
                macro = get_template_attribute("live/_live_macros.html", "note_item")
            found = Markup(macro(note, viewer, meeting.uuid, oob=oob, votes_on=votes_on, live=live))
            if not personal:
                with _note_lock:
                    _note_cache[key] = found
                    while len(_note_cache) > NOTE_CACHE_SIZE:
                        _note_cache.popitem(last=False)
        parts.append(found)
    return Markup("".join(parts))


def note_html(note: WallNote, viewer: str, meeting: Meeting, oob: bool = False) -> Markup:
    """One note of the wall as HTML."""
    return notes_html([note], viewer, meeting, oob)


def by_dimension(items: list[WallNote], seen: int | None = None) -> tuple[dict[str, list[WallNote]], list[WallNote]]:
    """Notes newest first per dimension (those posted after `seen`), and those changed in place."""
    fresh: dict[str, list[WallNote]] = {}
    changed: list[WallNote] = []
    for note in reversed(items):
        if seen is None or note.created_version > seen:
            fresh.setdefault(note.dimension_id, []).append(note)
        else:
            changed.append(note)
    return fresh, changed
